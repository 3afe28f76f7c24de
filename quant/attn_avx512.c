/* Attention with AVX-512 (qlm_attn_fn, ggml-like/kernels.h). Same steps and roundings
 * as qlm_attn_ref; sums in vector lanes, exp by polynomial.
 *
 * For the group's positions, K is converted once to f32 and transposed (kt[e][t]), so
 * the scores of 16 positions are hd broadcast-FMAs with the query, lane = position, and
 * no horizontal sums; V is converted once, in rows, and the weighted sum runs with
 * lane = element. Both conversions are shared by the group's query heads. */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include "../ggml-like/scratch.h"
#include "kernels_x86.h"
#include "simd_x86.h"

#include <math.h>

/* e^x for x <= 0 (see attn_avx2.c) */
static inline __m512 exp16(__m512 x) {
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.0f)), _mm512_set1_ps(-87.3f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

static inline __mmask16 first(int k) { return (__mmask16)(k >= 16 ? 0xFFFF : (1u << k) - 1); }

/* 16 values of row t of an f16/f32 matrix from element e, masked to m */
static inline __m512 load16(const void *base, size_t stride, int t, int e, __mmask16 m, bool f16) {
    if (f16) return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const qlm_f16 *)base + (size_t)t * stride + e));
    return _mm512_maskz_loadu_ps(m, (const float *)base + (size_t)t * stride + e);
}

static void transpose16(__m512 *r) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
        t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);
        t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
        t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
        r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
        r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);
    }
}

/* kt[e][t] (ld = np16 positions per row, zero past n_pos) from K rows */
static void k_transposed(const void *k, size_t stride, int n_pos, int np16, int hd, bool f16, float *kt) {
    for (int t0 = 0; t0 < np16; t0 += 16) {
        for (int e0 = 0; e0 < hd; e0 += 16) {
            const __mmask16 m = first(hd - e0);
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = t0 + i < n_pos ? load16(k, stride, t0 + i, e0, m, f16) : _mm512_setzero_ps();
            transpose16(r);
            for (int i = 0; i < 16 && e0 + i < hd; i++) _mm512_store_ps(kt + (size_t)(e0 + i) * np16 + t0, r[i]);
        }
    }
}

/* one query head over n_pos positions of the converted K (kt, ld positions per row)
 * and V (vf, rows of hd16) */
static void head(const float *qr, float *o, const float *kt, int ld, const float *vf, int n_pos, int hd,
                 float scale, bool f16, float *scores) {
    const int np16 = (n_pos + 15) / 16 * 16, hd16 = (hd + 15) / 16 * 16;
    float qh[hd];
    for (int e = 0; e < hd; e++) qh[e] = f16 ? x86_f16(x86_to_f16(qr[e])) : qr[e];
    /* scores, lane = position: 64 positions at a time keep four independent FMA
     * chains busy (one chain would wait on the FMA latency) */
    __m512 vmx = _mm512_set1_ps(-INFINITY);
    for (int t0 = 0; t0 < np16; t0 += 64) {
        const int nblk = np16 - t0 < 64 ? (np16 - t0) / 16 : 4;
        __m512 a[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        const float *kr = kt + t0;
        if (nblk == 4) {
            for (int e = 0; e < hd; e++, kr += ld) {
                const __m512 qe = _mm512_set1_ps(qh[e]);
                a[0] = _mm512_fmadd_ps(qe, _mm512_load_ps(kr), a[0]);
                a[1] = _mm512_fmadd_ps(qe, _mm512_load_ps(kr + 16), a[1]);
                a[2] = _mm512_fmadd_ps(qe, _mm512_load_ps(kr + 32), a[2]);
                a[3] = _mm512_fmadd_ps(qe, _mm512_load_ps(kr + 48), a[3]);
            }
        } else {
            for (int e = 0; e < hd; e++, kr += ld)
                for (int b = 0; b < nblk; b++)
                    a[b] = _mm512_fmadd_ps(_mm512_set1_ps(qh[e]), _mm512_load_ps(kr + 16 * b), a[b]);
        }
        for (int b = 0; b < nblk; b++) {
            const __m512 sc = _mm512_mul_ps(a[b], _mm512_set1_ps(scale));
            const __mmask16 m = first(n_pos - t0 - 16 * b);
            _mm512_mask_storeu_ps(scores + t0 + 16 * b, m, sc);
            vmx = _mm512_mask_max_ps(vmx, m, vmx, sc);
        }
    }
    /* softmax */
    const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vmx));
    __m512 vsum = _mm512_setzero_ps();
    for (int t0 = 0; t0 < n_pos; t0 += 16) {
        const __mmask16 m = first(n_pos - t0);
        const __m512 p = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, scores + t0), mx));
        _mm512_mask_storeu_ps(scores + t0, m, p);
        vsum = _mm512_add_ps(vsum, _mm512_maskz_mov_ps(m, p));
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
    for (int t0 = 0; t0 < n_pos; t0 += 16) {
        const __mmask16 m = first(n_pos - t0);
        __m512 p = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, scores + t0), inv);
        if (f16) p = _mm512_cvtph_ps(_mm512_cvtps_ph(p, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        _mm512_mask_storeu_ps(scores + t0, m, p);
    }
    /* out = sum p[t] V[t]: lane = element; for 64-wide heads, even and odd positions
     * in separate accumulators (eight FMA chains) */
    if (hd == 64) {
        __m512 a[8];
        for (int c = 0; c < 8; c++) a[c] = _mm512_setzero_ps();
        int t = 0;
        for (; t + 2 <= n_pos; t += 2) {
            const __m512 p0 = _mm512_set1_ps(scores[t]), p1 = _mm512_set1_ps(scores[t + 1]);
            const float *v0 = vf + (size_t)t * 64, *v1 = v0 + 64;
            a[0] = _mm512_fmadd_ps(p0, _mm512_load_ps(v0), a[0]);
            a[1] = _mm512_fmadd_ps(p0, _mm512_load_ps(v0 + 16), a[1]);
            a[2] = _mm512_fmadd_ps(p0, _mm512_load_ps(v0 + 32), a[2]);
            a[3] = _mm512_fmadd_ps(p0, _mm512_load_ps(v0 + 48), a[3]);
            a[4] = _mm512_fmadd_ps(p1, _mm512_load_ps(v1), a[4]);
            a[5] = _mm512_fmadd_ps(p1, _mm512_load_ps(v1 + 16), a[5]);
            a[6] = _mm512_fmadd_ps(p1, _mm512_load_ps(v1 + 32), a[6]);
            a[7] = _mm512_fmadd_ps(p1, _mm512_load_ps(v1 + 48), a[7]);
        }
        if (t < n_pos) {
            const __m512 p0 = _mm512_set1_ps(scores[t]);
            const float *v0 = vf + (size_t)t * 64;
            for (int c = 0; c < 4; c++) a[c] = _mm512_fmadd_ps(p0, _mm512_load_ps(v0 + 16 * c), a[c]);
        }
        for (int c = 0; c < 4; c++) _mm512_storeu_ps(o + 16 * c, _mm512_add_ps(a[c], a[c + 4]));
    } else {
        for (int e0 = 0; e0 < hd16; e0 += 16) {
            __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
            int t = 0;
            for (; t + 2 <= n_pos; t += 2) {
                a0 = _mm512_fmadd_ps(_mm512_set1_ps(scores[t]), _mm512_load_ps(vf + (size_t)t * hd16 + e0), a0);
                a1 = _mm512_fmadd_ps(_mm512_set1_ps(scores[t + 1]), _mm512_load_ps(vf + (size_t)(t + 1) * hd16 + e0), a1);
            }
            if (t < n_pos) a0 = _mm512_fmadd_ps(_mm512_set1_ps(scores[t]), _mm512_load_ps(vf + (size_t)t * hd16 + e0), a0);
            _mm512_mask_storeu_ps(o + e0, first(hd - e0), _mm512_add_ps(a0, a1));
        }
    }
}

void qlm_avx512_attn(const float *q, float *out, size_t q_stride, int n_tok, int n_q, const void *k,
                     const void *v, size_t kv_stride, int n_pos, int hd, float scale, bool f16, float *scores) {
    const int n_all = n_pos + n_tok - 1; /* positions the last token sees */
    const int ld = (n_all + 15) / 16 * 16, hd16 = (hd + 15) / 16 * 16;
    float *kt = qlm_thread_scratch(QLM_SCRATCH_ATTN, ((size_t)hd * ld + (size_t)n_all * hd16 + 16) * sizeof(float));
    if (!kt) { /* out of memory: the reference needs no scratch */
        qlm_attn_ref(q, out, q_stride, n_tok, n_q, k, v, kv_stride, n_pos, hd, scale, f16, scores);
        return;
    }
    float *vf = kt + (size_t)hd * ld; /* rows of hd16 floats, zero-padded */
    k_transposed(k, kv_stride, n_all, ld, hd, f16, kt);
    for (int t = 0; t < n_all; t++)
        for (int e0 = 0; e0 < hd16; e0 += 16)
            _mm512_store_ps(vf + (size_t)t * hd16 + e0, load16(v, kv_stride, t, e0, first(hd - e0), f16));
    for (int i = 0; i < n_tok; i++)
        for (int h = 0; h < n_q; h++)
            head(q + i * q_stride + (size_t)h * hd, out + i * q_stride + (size_t)h * hd, kt, ld, vf, n_pos + i, hd,
                 scale, f16, scores);
}
#endif
