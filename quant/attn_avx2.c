/* Attention with AVX2+FMA+F16C (qlm_attn_fn, ggml-like/kernels.h), also used by the
 * AVX-512 table. Same steps and roundings as the scalar qlm_attn_ref; the sums run in
 * vector lanes and exp is a polynomial (relative error ~2e-7), so results differ from
 * it in the last bits only.
 *
 * The K and V rows of the group's positions are converted to f32 once (thread scratch)
 * and shared by the group's query heads. Scores are dot products of hd values: eight
 * positions at a time keep one vector accumulator each and are reduced together, so
 * the horizontal sums cost about 3 instructions per position instead of 6. */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include "../ggml-like/scratch.h"
#include "kernels_x86.h"
#include "simd_x86.h"

#include <math.h>

/* e^x for x <= 0 (softmax arguments after the max is subtracted; larger x also work up
 * to 88): x = n ln2 + r, |r| <= ln2/2, e^r by its degree-6 Taylor polynomial, times 2^n.
 * Below -87.3 the result is clamped near the smallest normal float instead of 0. */
static inline __m256 exp_ps(__m256 x) {
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.0f)), _mm256_set1_ps(-87.3f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);   /* ln2 high part, exact */
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);      /* ln2 low part */
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

static inline float exp1(float x) {
    float v[8] = {x};
    _mm256_storeu_ps(v, exp_ps(_mm256_loadu_ps(v)));
    return v[0];
}

/* 8 vectors -> the vector of their 8 horizontal sums */
static inline __m256 hsum8x8(const __m256 *a) {
    const __m256 t0 = _mm256_hadd_ps(a[0], a[1]), t1 = _mm256_hadd_ps(a[2], a[3]);
    const __m256 t2 = _mm256_hadd_ps(a[4], a[5]), t3 = _mm256_hadd_ps(a[6], a[7]);
    const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

/* rows [0, n_pos) of an f16/f32 matrix (hd values, stride elements apart) as packed f32 */
static void to_f32_rows(const void *src, size_t stride, int n_pos, int hd, bool f16, float *dst) {
    for (int t = 0; t < n_pos; t++) {
        float *d = dst + (size_t)t * hd;
        if (f16) {
            const qlm_f16 *s = (const qlm_f16 *)src + (size_t)t * stride;
            int e = 0;
            for (; e + 8 <= hd; e += 8) _mm256_storeu_ps(d + e, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(s + e))));
            for (; e < hd; e++) d[e] = x86_f16(s[e]);
        } else {
            memcpy(d, (const float *)src + (size_t)t * stride, (size_t)hd * 4);
        }
    }
}

/* One head over packed f32 K/V rows. */
static void head(const float *q, float *out, const float *kf, const float *vf, int n_pos, int hd,
                 float scale, bool f16, float *scores) {
    float qh[hd];
    for (int e = 0; e < hd; e++) qh[e] = f16 ? x86_f16(x86_to_f16(q[e])) : q[e];
    const int hd8 = hd & ~7;
    /* scores, 8 positions at a time */
    int t = 0;
    for (; t + 8 <= n_pos; t += 8) {
        __m256 acc[8];
        _Pragma("GCC unroll 8") for (int p = 0; p < 8; p++) acc[p] = _mm256_setzero_ps();
        for (int e = 0; e < hd8; e += 8) {
            const __m256 qv = _mm256_loadu_ps(qh + e);
            _Pragma("GCC unroll 8") for (int p = 0; p < 8; p++) acc[p] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kf + (size_t)(t + p) * hd + e), acc[p]);
        }
        __m256 s = hsum8x8(acc);
        if (hd8 < hd) {
            float tail[8];
            for (int p = 0; p < 8; p++) {
                tail[p] = 0;
                for (int e = hd8; e < hd; e++) tail[p] += qh[e] * kf[(size_t)(t + p) * hd + e];
            }
            s = _mm256_add_ps(s, _mm256_loadu_ps(tail));
        }
        _mm256_storeu_ps(scores + t, _mm256_mul_ps(s, _mm256_set1_ps(scale)));
    }
    for (; t < n_pos; t++) {
        __m256 acc = _mm256_setzero_ps();
        for (int e = 0; e < hd8; e += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(qh + e), _mm256_loadu_ps(kf + (size_t)t * hd + e), acc);
        float s = hsum8_ps(acc);
        for (int e = hd8; e < hd; e++) s += qh[e] * kf[(size_t)t * hd + e];
        scores[t] = s * scale;
    }
    /* softmax */
    __m256 vmx = _mm256_set1_ps(-INFINITY);
    for (t = 0; t + 8 <= n_pos; t += 8) vmx = _mm256_max_ps(vmx, _mm256_loadu_ps(scores + t));
    float mx = hmax8_ps(vmx);
    for (; t < n_pos; t++) if (scores[t] > mx) mx = scores[t];
    vmx = _mm256_set1_ps(mx);
    __m256 vsum = _mm256_setzero_ps();
    for (t = 0; t + 8 <= n_pos; t += 8) {
        const __m256 p = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(scores + t), vmx));
        _mm256_storeu_ps(scores + t, p);
        vsum = _mm256_add_ps(vsum, p);
    }
    float sum = hsum8_ps(vsum);
    for (; t < n_pos; t++) { scores[t] = exp1(scores[t] - mx); sum += scores[t]; }
    const __m256 inv = _mm256_set1_ps(1.0f / sum);
    for (t = 0; t + 8 <= n_pos; t += 8) {
        __m256 p = _mm256_mul_ps(_mm256_loadu_ps(scores + t), inv);
        if (f16) p = _mm256_cvtph_ps(_mm256_cvtps_ph(p, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        _mm256_storeu_ps(scores + t, p);
    }
    for (; t < n_pos; t++) {
        const float p = scores[t] * (1.0f / sum);
        scores[t] = f16 ? x86_f16(x86_to_f16(p)) : p;
    }
    /* out = sum p[t] V[t]: 64 columns at a time in 8 registers, then 8 at a time */
    int e0 = 0;
    for (; e0 + 64 <= hd8; e0 += 64) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (t = 0; t < n_pos; t++) {
            const __m256 p = _mm256_set1_ps(scores[t]);
            const float *vr = vf + (size_t)t * hd + e0;
            a0 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vr), a0);
            a1 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vr + 8), a1);
            a2 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vr + 16), a2);
            a3 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vr + 24), a3);
            a4 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vr + 32), a4);
            a5 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vr + 40), a5);
            a6 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vr + 48), a6);
            a7 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vr + 56), a7);
        }
        _mm256_storeu_ps(out + e0, a0);
        _mm256_storeu_ps(out + e0 + 8, a1);
        _mm256_storeu_ps(out + e0 + 16, a2);
        _mm256_storeu_ps(out + e0 + 24, a3);
        _mm256_storeu_ps(out + e0 + 32, a4);
        _mm256_storeu_ps(out + e0 + 40, a5);
        _mm256_storeu_ps(out + e0 + 48, a6);
        _mm256_storeu_ps(out + e0 + 56, a7);
    }
    for (; e0 < hd8; e0 += 8) {
        __m256 a0 = _mm256_setzero_ps();
        for (t = 0; t < n_pos; t++) a0 = _mm256_fmadd_ps(_mm256_set1_ps(scores[t]), _mm256_loadu_ps(vf + (size_t)t * hd + e0), a0);
        _mm256_storeu_ps(out + e0, a0);
    }
    for (int e = hd8; e < hd; e++) {
        float s = 0;
        for (t = 0; t < n_pos; t++) s += scores[t] * vf[(size_t)t * hd + e];
        out[e] = s;
    }
}

void qlm_avx2_attn(const float *q, float *out, size_t q_stride, int n_tok, int n_q, const void *k, const void *v,
                   size_t kv_stride, int n_pos, int hd, float scale, bool f16, float *scores) {
    const int n_all = n_pos + n_tok - 1; /* positions the last token sees */
    float *kf = qlm_thread_scratch(QLM_SCRATCH_ATTN, (size_t)n_all * hd * 2 * sizeof(float));
    if (!kf) { /* out of memory: the reference needs no scratch */
        qlm_attn_ref(q, out, q_stride, n_tok, n_q, k, v, kv_stride, n_pos, hd, scale, f16, scores);
        return;
    }
    float *vf = kf + (size_t)n_all * hd;
    to_f32_rows(k, kv_stride, n_all, hd, f16, kf);
    to_f32_rows(v, kv_stride, n_all, hd, f16, vf);
    for (int i = 0; i < n_tok; i++)
        for (int h = 0; h < n_q; h++)
            head(q + i * q_stride + (size_t)h * hd, out + i * q_stride + (size_t)h * hd, kf, vf, n_pos + i, hd,
                 scale, f16, scores);
}
#endif
