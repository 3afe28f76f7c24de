/* Attention with AVX-512 (qlm_attn_fn, ggml-like/kernels.h). Same steps and roundings
 * as qlm_attn_ref; sums in vector lanes, exp by polynomial.
 *
 * For the group's positions, K is converted once to f32 and transposed (kt[e][t]), so
 * the scores of 16 positions are hd broadcast-FMAs with the query, lane = position, and
 * no horizontal sums; V is converted once, in rows, and the weighted sum runs with
 * lane = element. Both conversions are shared by the group's query heads. On CPUs with
 * AMX-BF16, blocks of 16+ (token, head) pairs over an f16 cache take the tile path
 * instead (attn_tiles, below). */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include "../ggml-like/exp_avx512.h"
#include "../ggml-like/scratch.h"
#include "kernels_x86.h"
#include "simd_avx512.h"
#include "simd_x86.h"

#include <math.h>

/* e^x for x <= 0 (larger x is clamped at 88, as in attn_avx2.c) */
static inline __m512 exp16(__m512 x) {
    return qlm_avx512_exp(_mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.0f)), _mm512_set1_ps(-87.3f)));
}

static inline __mmask16 first(int k) { return (__mmask16)(k >= 16 ? 0xFFFF : k <= 0 ? 0 : (1u << k) - 1); }

/* 16 values of row t of an f16/f32 matrix from element e, masked to m */
static inline __m512 load16(const void *base, size_t stride, int t, int e, __mmask16 m, bool f16) {
    if (f16) return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const qlm_f16 *)base + (size_t)t * stride + e));
    return _mm512_maskz_loadu_ps(m, (const float *)base + (size_t)t * stride + e);
}


/* Cache rows asked for ahead of their conversion (k_transposed, the V rows below). */
#define KV_PF_AHEAD 32

/* kt[e][t] (ld = np16 positions per row, zero past n_pos) from K rows */
static void k_transposed(const void *k, size_t stride, int n_pos, int np16, int hd, bool f16, float *kt) {
    const size_t esz = f16 ? 2 : 4, row_bytes = (size_t)hd * esz;
    for (int t0 = 0; t0 < np16; t0 += 16) {
        /* The rows are hd values of a longer cache row (all KV heads): the hardware
         * prefetchers do not follow them, and each block waited on 16 cache misses. */
        for (int i = 0; i < 16; i++) {
            const int t = t0 + KV_PF_AHEAD + i;
            if (t >= n_pos) break;
            const char *r = (const char *)k + (size_t)t * stride * esz;
            for (size_t o = 0; o < row_bytes; o += 64) _mm_prefetch(r + o, _MM_HINT_T0);
        }
        for (int e0 = 0; e0 < hd; e0 += 16) {
            const __mmask16 m = first(hd - e0);
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = t0 + i < n_pos ? load16(k, stride, t0 + i, e0, m, f16) : _mm512_setzero_ps();
            avx512_transpose16(r);
            for (int i = 0; i < 16 && e0 + i < hd; i++) _mm512_store_ps(kt + (size_t)(e0 + i) * np16 + t0, r[i]);
        }
    }
}

/* Scores of 64 positions from t0 (masked to n) for one query: four FMA chains. */
static inline void scores64(const float *qh, const float *kt, int ld, int t0, int n, int hd, float scale, float *out) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const float *kr = kt + t0;
    for (int e = 0; e < hd; e++, kr += ld) {
        const __m512 qe = _mm512_set1_ps(qh[e]);
        a0 = _mm512_fmadd_ps(qe, _mm512_load_ps(kr), a0);
        a1 = _mm512_fmadd_ps(qe, _mm512_load_ps(kr + 16), a1);
        a2 = _mm512_fmadd_ps(qe, _mm512_load_ps(kr + 32), a2);
        a3 = _mm512_fmadd_ps(qe, _mm512_load_ps(kr + 48), a3);
    }
    const __m512 sc = _mm512_set1_ps(scale);
    _mm512_mask_storeu_ps(out + t0, first(n - t0), _mm512_mul_ps(a0, sc));
    _mm512_mask_storeu_ps(out + t0 + 16, first(n - t0 - 16), _mm512_mul_ps(a1, sc));
    _mm512_mask_storeu_ps(out + t0 + 32, first(n - t0 - 32), _mm512_mul_ps(a2, sc));
    _mm512_mask_storeu_ps(out + t0 + 48, first(n - t0 - 48), _mm512_mul_ps(a3, sc));
}

/* The same for four queries (rows hd floats apart, outputs ld apart) that see the same
 * n positions: 16 FMA chains share each load of K, where one query's 4 chains left
 * half of the FMA throughput to latency (measured: scores64 was ~45% of attention). */
static inline void scores64x4(const float *qh, const float *kt, int ld, int t0, int n, int hd, float scale,
                              float *out) {
    __m512 a[4][4];
    for (int p = 0; p < 4; p++)
        for (int c = 0; c < 4; c++) a[p][c] = _mm512_setzero_ps();
    const float *kr = kt + t0;
    for (int e = 0; e < hd; e++, kr += ld) {
        const __m512 k0 = _mm512_load_ps(kr), k1 = _mm512_load_ps(kr + 16);
        const __m512 k2 = _mm512_load_ps(kr + 32), k3 = _mm512_load_ps(kr + 48);
        _Pragma("GCC unroll 4") for (int p = 0; p < 4; p++) {
            const __m512 qe = _mm512_set1_ps(qh[(size_t)p * hd + e]);
            a[p][0] = _mm512_fmadd_ps(qe, k0, a[p][0]);
            a[p][1] = _mm512_fmadd_ps(qe, k1, a[p][1]);
            a[p][2] = _mm512_fmadd_ps(qe, k2, a[p][2]);
            a[p][3] = _mm512_fmadd_ps(qe, k3, a[p][3]);
        }
    }
    const __m512 sc = _mm512_set1_ps(scale);
    for (int p = 0; p < 4; p++)
        for (int c = 0; c < 4; c++)
            _mm512_mask_storeu_ps(out + (size_t)p * ld + t0 + 16 * c, first(n - t0 - 16 * c), _mm512_mul_ps(a[p][c], sc));
}

/* exp(scale s - max) over n scores, in place; returns 1 / their sum */
static float softmax_exp(float *s, int n, float scale) {
    const __m512 vs = _mm512_set1_ps(scale);
    __m512 vmx = _mm512_set1_ps(-INFINITY);
    for (int t0 = 0; t0 < n; t0 += 16)
        vmx = _mm512_max_ps(vmx, _mm512_mask_mul_ps(vmx, first(n - t0), _mm512_maskz_loadu_ps(first(n - t0), s + t0), vs));
    const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vmx));
    __m512 vsum = _mm512_setzero_ps();
    for (int t0 = 0; t0 < n; t0 += 16) {
        const __mmask16 m = first(n - t0);
        const __m512 p = exp16(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(m, s + t0), vs, mx));
        _mm512_mask_storeu_ps(s + t0, m, p);
        vsum = _mm512_add_ps(vsum, _mm512_maskz_mov_ps(m, p));
    }
    return 1.0f / _mm512_reduce_add_ps(vsum);
}

/* softmax over n scores (already scaled), then (f16 cache) rounded to f16 as the
 * reference does */
static void softmax16(float *s, int n, bool f16) {
    const __m512 inv = _mm512_set1_ps(softmax_exp(s, n, 1.0f));
    for (int t0 = 0; t0 < n; t0 += 16) {
        const __mmask16 m = first(n - t0);
        __m512 p = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, s + t0), inv);
        if (f16) p = _mm512_cvtph_ps(_mm512_cvtps_ph(p, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        _mm512_mask_storeu_ps(s + t0, m, p);
    }
}

/* o[0..hd) += sum over t in [t0, t1) of p[t] V[t] (V rows of hd16 floats) */
static inline void pv_chunk(const float *p, const float *vf, int hd16, int hd, int t0, int t1, float *o) {
    if (hd == 64) {
        __m512 a0 = _mm512_loadu_ps(o), a1 = _mm512_loadu_ps(o + 16), a2 = _mm512_loadu_ps(o + 32), a3 = _mm512_loadu_ps(o + 48);
        __m512 b0 = _mm512_setzero_ps(), b1 = b0, b2 = b0, b3 = b0;
        int t = t0;
        for (; t + 2 <= t1; t += 2) {
            const __m512 p0 = _mm512_set1_ps(p[t]), p1 = _mm512_set1_ps(p[t + 1]);
            const float *v0 = vf + (size_t)t * 64, *v1 = v0 + 64;
            a0 = _mm512_fmadd_ps(p0, _mm512_load_ps(v0), a0);
            a1 = _mm512_fmadd_ps(p0, _mm512_load_ps(v0 + 16), a1);
            a2 = _mm512_fmadd_ps(p0, _mm512_load_ps(v0 + 32), a2);
            a3 = _mm512_fmadd_ps(p0, _mm512_load_ps(v0 + 48), a3);
            b0 = _mm512_fmadd_ps(p1, _mm512_load_ps(v1), b0);
            b1 = _mm512_fmadd_ps(p1, _mm512_load_ps(v1 + 16), b1);
            b2 = _mm512_fmadd_ps(p1, _mm512_load_ps(v1 + 32), b2);
            b3 = _mm512_fmadd_ps(p1, _mm512_load_ps(v1 + 48), b3);
        }
        if (t < t1) {
            const __m512 p0 = _mm512_set1_ps(p[t]);
            const float *v0 = vf + (size_t)t * 64;
            a0 = _mm512_fmadd_ps(p0, _mm512_load_ps(v0), a0);
            a1 = _mm512_fmadd_ps(p0, _mm512_load_ps(v0 + 16), a1);
            a2 = _mm512_fmadd_ps(p0, _mm512_load_ps(v0 + 32), a2);
            a3 = _mm512_fmadd_ps(p0, _mm512_load_ps(v0 + 48), a3);
        }
        _mm512_storeu_ps(o, _mm512_add_ps(a0, b0));
        _mm512_storeu_ps(o + 16, _mm512_add_ps(a1, b1));
        _mm512_storeu_ps(o + 32, _mm512_add_ps(a2, b2));
        _mm512_storeu_ps(o + 48, _mm512_add_ps(a3, b3));
        return;
    }
    for (int e0 = 0; e0 < hd16; e0 += 16) {
        const __mmask16 m = first(hd - e0);
        __m512 a0 = _mm512_maskz_loadu_ps(m, o + e0), a1 = _mm512_setzero_ps();
        int t = t0;
        for (; t + 2 <= t1; t += 2) {
            a0 = _mm512_fmadd_ps(_mm512_set1_ps(p[t]), _mm512_load_ps(vf + (size_t)t * hd16 + e0), a0);
            a1 = _mm512_fmadd_ps(_mm512_set1_ps(p[t + 1]), _mm512_load_ps(vf + (size_t)(t + 1) * hd16 + e0), a1);
        }
        if (t < t1) a0 = _mm512_fmadd_ps(_mm512_set1_ps(p[t]), _mm512_load_ps(vf + (size_t)t * hd16 + e0), a0);
        _mm512_mask_storeu_ps(o + e0, m, _mm512_add_ps(a0, a1));
    }
}

/* pv_chunk for two heads of a token at once (hd == 64; probabilities and outputs ld and
 * hd floats apart): each V row is loaded once for both, 8 FMA chains. */
static inline void pv_chunk2_hd64(const float *p, int ld, const float *vf, int t0, int t1, float *o) {
    __m512 a0 = _mm512_loadu_ps(o), a1 = _mm512_loadu_ps(o + 16), a2 = _mm512_loadu_ps(o + 32), a3 = _mm512_loadu_ps(o + 48);
    __m512 b0 = _mm512_loadu_ps(o + 64), b1 = _mm512_loadu_ps(o + 80), b2 = _mm512_loadu_ps(o + 96), b3 = _mm512_loadu_ps(o + 112);
    for (int t = t0; t < t1; t++) {
        const __m512 pa = _mm512_set1_ps(p[t]), pb = _mm512_set1_ps(p[ld + t]);
        const float *v = vf + (size_t)t * 64;
        const __m512 v0 = _mm512_load_ps(v), v1 = _mm512_load_ps(v + 16), v2 = _mm512_load_ps(v + 32), v3 = _mm512_load_ps(v + 48);
        a0 = _mm512_fmadd_ps(pa, v0, a0);
        a1 = _mm512_fmadd_ps(pa, v1, a1);
        a2 = _mm512_fmadd_ps(pa, v2, a2);
        a3 = _mm512_fmadd_ps(pa, v3, a3);
        b0 = _mm512_fmadd_ps(pb, v0, b0);
        b1 = _mm512_fmadd_ps(pb, v1, b1);
        b2 = _mm512_fmadd_ps(pb, v2, b2);
        b3 = _mm512_fmadd_ps(pb, v3, b3);
    }
    _mm512_storeu_ps(o, a0);
    _mm512_storeu_ps(o + 16, a1);
    _mm512_storeu_ps(o + 32, a2);
    _mm512_storeu_ps(o + 48, a3);
    _mm512_storeu_ps(o + 64, b0);
    _mm512_storeu_ps(o + 80, b1);
    _mm512_storeu_ps(o + 96, b2);
    _mm512_storeu_ps(o + 112, b3);
}

/* pv_chunk for four heads of a token at once (hd == 64): each V row is loaded once for
 * all four, 16 FMA chains beside 4 loads and 4 broadcasts. The accumulators are named
 * variables: as an array GCC kept them in memory. */
#define PV4_ACC(h)                                                                                \
    __m512 h##0 = _mm512_loadu_ps(o + 64 * h##_i), h##1 = _mm512_loadu_ps(o + 64 * h##_i + 16),   \
           h##2 = _mm512_loadu_ps(o + 64 * h##_i + 32), h##3 = _mm512_loadu_ps(o + 64 * h##_i + 48);
#define PV4_FMA(h)                                                                                \
    do {                                                                                          \
        const __m512 p_ = _mm512_set1_ps(p[(size_t)h##_i * ld + t]);                              \
        h##0 = _mm512_fmadd_ps(p_, v0, h##0);                                                     \
        h##1 = _mm512_fmadd_ps(p_, v1, h##1);                                                     \
        h##2 = _mm512_fmadd_ps(p_, v2, h##2);                                                     \
        h##3 = _mm512_fmadd_ps(p_, v3, h##3);                                                     \
    } while (0)
#define PV4_STORE(h)                                                                              \
    _mm512_storeu_ps(o + 64 * h##_i, h##0);                                                       \
    _mm512_storeu_ps(o + 64 * h##_i + 16, h##1);                                                  \
    _mm512_storeu_ps(o + 64 * h##_i + 32, h##2);                                                  \
    _mm512_storeu_ps(o + 64 * h##_i + 48, h##3);
static inline void pv_chunk4_hd64(const float *p, int ld, const float *vf, int t0, int t1, float *o) {
    enum { a_i = 0, b_i = 1, c_i = 2, d_i = 3 };
    PV4_ACC(a) PV4_ACC(b) PV4_ACC(c) PV4_ACC(d)
    for (int t = t0; t < t1; t++) {
        const float *v = vf + (size_t)t * 64;
        const __m512 v0 = _mm512_load_ps(v), v1 = _mm512_load_ps(v + 16), v2 = _mm512_load_ps(v + 32), v3 = _mm512_load_ps(v + 48);
        PV4_FMA(a);
        PV4_FMA(b);
        PV4_FMA(c);
        PV4_FMA(d);
    }
    PV4_STORE(a) PV4_STORE(b) PV4_STORE(c) PV4_STORE(d)
}
#undef PV4_ACC
#undef PV4_FMA
#undef PV4_STORE

/* Positions are taken in chunks of CHUNK, so a chunk of K (and later of V) stays in L1
 * while every token and head of the call uses it; scores of all (token, head) pairs go
 * to scratch in between. */
#define CHUNK 64

/* ---- with bf16 tiles (AMX) ----------------------------------------------------------
 *
 * Both products of a block of (token, head) pairs are matrix products for the tile
 * gemm of quant/gemm_amx_avx512.c: scores S = Q K^T (the pairs as the tokens, the
 * positions as the weight rows, hd values each), then O = P V (positions as the
 * values, the hd elements as the rows). With an f16 cache the query, K, V and the
 * probabilities are f16 values, each the exact sum of two bf16 parts, so three passes
 * (hi hi, lo hi, hi lo) leave out only the lo x lo products, below 2^-16 of each term;
 * an f32 cache keeps the FMA path (two parts would hold 16 of its 24 bits). */
bool qlm_avx512_attn_tiles;

/* K panels for the scores: 16 positions per panel, bf16 hi/lo B tiles (nk hi tiles,
 * then nk lo) of their 32 nk elements, from the f16 cache rows (stride elements apart;
 * positions past npos are zero). */
static void k_panels(const void *k, size_t stride, int npos, int nk, uint8_t *panels) {
    _Alignas(64) float v[16][32];
    const size_t pbytes = 2048 * (size_t)nk;
    for (int p = 0; p < (npos + 15) / 16; p++)
        for (int kk = 0; kk < nk; kk++) {
            for (int r = 0; r < 16; r++) {
                const int t = 16 * p + r;
                _mm512_store_ps(v[r], t < npos ? load16(k, stride, t, 32 * kk, 0xFFFF, true) : _mm512_setzero_ps());
                _mm512_store_ps(v[r] + 16, t < npos ? load16(k, stride, t, 32 * kk + 16, 0xFFFF, true) : _mm512_setzero_ps());
            }
            uint8_t *pan = panels + pbytes * (size_t)p;
            qlm_amx_bf16_pack_float(&v[0][0], true, pan + 1024 * (size_t)kk, pan + 1024 * (size_t)(nk + kk));
        }
}

static size_t up64(size_t b) { return (b + 63) / 64 * 64; }

/* false: no scratch (the caller takes the FMA path) */
static bool attn_tiles(const float *q, float *out, size_t q_stride, int n_tok, int n_q, const void *k, const void *v,
                       size_t kv_stride, int n_pos, int hd, float scale) {
    const int n_all = n_pos + n_tok - 1, ld = (n_all + 63) / 64 * 64, np = n_tok * n_q;
    const int nkq = hd / 32, nkp = ld / 32, npk = (n_all + 15) / 16;
    const size_t qrow = qlm_tiles_act_size(2 * (int64_t)hd), prow = qlm_tiles_act_size(2 * (int64_t)ld);
    const size_t kpb = 2048 * (size_t)nkq, vpb = 2048 * (size_t)nkp;
    const size_t b_kp = (size_t)npk * kpb, b_q = (size_t)np * qrow;
    const size_t b_sc = up64((size_t)np * ld * 4), b_p = (size_t)np * prow;
    const size_t b_vp = (size_t)(hd / 16) * vpb, b_o = up64((size_t)np * hd * 4), b_qh = up64((size_t)hd * 4);
    uint8_t *base = qlm_thread_scratch(QLM_SCRATCH_ATTN, b_kp + b_q + b_sc + b_p + b_vp + b_o + b_qh);
    if (!base) return false;
    uint8_t *kp = base;                           /* K panels: positions x hd */
    uint8_t *qs = kp + b_kp;                      /* [pair] q hi | lo */
    float *sc = (float *)(qs + b_q);              /* [pair][ld] scores, then probabilities */
    uint8_t *ps = (uint8_t *)sc + b_sc;           /* [pair] p hi | lo */
    uint8_t *vp = ps + b_p;                       /* V panels: hd x positions */
    float *o = (float *)(vp + b_vp);              /* [pair][hd] outputs */
    float *qh = (float *)((uint8_t *)o + b_o);    /* one query, f16-rounded */
    k_panels(k, kv_stride, n_all, nkq, kp);
    for (int i = 0; i < n_tok; i++)
        for (int h = 0; h < n_q; h++) {
            const float *qr = q + i * q_stride + (size_t)h * hd;
            for (int e0 = 0; e0 < hd; e0 += 16) /* rounded through f16 like the reference */
                _mm512_storeu_ps(qh + e0, _mm512_cvtph_ps(_mm512_cvtps_ph(_mm512_loadu_ps(qr + e0),
                                                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)));
            qlm_amx_prep_bf16_split(qh, qs + qrow * (size_t)(i * n_q + h), hd);
        }
    const qlm_amx_pass pq[3] = {{0, 0}, {2 * (size_t)hd, 0}, {0, 1024 * (size_t)nkq}};
    qlm_amx_bf16_gemm(qs, qrow, np, kp, kpb, npk, nkq, sc, ld, n_all, pq, 3);
    for (int i = 0; i < n_tok; i++)
        for (int h = 0; h < n_q; h++) {
            float *row = sc + (size_t)(i * n_q + h) * ld;
            const int n = n_pos + i;
            qlm_amx_prob_split(row, softmax_exp(row, n, scale), n, ld, ps + prow * (size_t)(i * n_q + h));
        }
    /* V panels straight from the cache rows: panel = 16 elements, tile k = positions
     * 32k.. in pairs */
    for (int p = 0; p < hd / 16; p++)
        for (int kk = 0; kk < nkp; kk++) {
            uint8_t *pan = vp + vpb * (size_t)p;
            qlm_amx_bf16_pack_pairs((const uint16_t *)v, kv_stride, n_all, 32 * kk, 16 * p, pan + 1024 * (size_t)kk,
                                    pan + 1024 * (size_t)(nkp + kk));
        }
    const qlm_amx_pass pv[3] = {{0, 0}, {2 * (size_t)ld, 0}, {0, 1024 * (size_t)nkp}};
    qlm_amx_bf16_gemm(ps, prow, np, vp, vpb, hd / 16, nkp, o, hd, hd, pv, 3);
    for (int i = 0; i < n_tok; i++)
        for (int h = 0; h < n_q; h++)
            memcpy(out + i * q_stride + (size_t)h * hd, o + (size_t)(i * n_q + h) * hd, (size_t)hd * sizeof(float));
    return true;
}

/* ---- one token (generation) --------------------------------------------------------
 *
 * The path above converts the visible K rows to floats and transposes them, and the V
 * rows to floats, into buffers the size of the context before it starts: for a block of
 * tokens that is shared work, for one token it was most of the attention time (2 of its
 * 3.3 M cycles per call at 512 positions, hd 64), the K and V buffers (~128 KB each)
 * going through L2. Here each block of 16 positions is converted into a buffer of at
 * most 16 KB that stays in L1, its 16 scores per head are 16 dot products reduced by
 * avx512_sum16, and P V reads the cache rows directly, 64 elements at a time for up to
 * 4 heads (16 accumulators). Any hd that is a multiple of 16 up to 256 (64, 96, 128 and
 * 256 in the supported architectures), f16 or f32 cache; same roundings as the reference (with
 * an f16 cache, the query and the probabilities through f16). */
#define DECODE_MAX_HD 256

/* 16 values of row t from element e, unmasked */
static inline __m512 load16_full(const void *base, size_t stride, int t, int e, bool f16) {
    if (f16) return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const qlm_f16 *)base + (size_t)t * stride + e)));
    return _mm512_loadu_ps((const float *)base + (size_t)t * stride + e);
}

/* out[h][e0 .. e0 + 16 W) = sum over t of p[h][t] V[t][e0 ..] for the nh <= 4 heads */
static inline __attribute__((always_inline)) void
decode_pv(const float *sc, int ldp, const void *v, size_t kv_stride, int n_pos, int hd, int e0, bool f16,
          float *out, int nh, const int W) {
    const size_t esz = f16 ? 2 : 4;
    __m512 acc[4][4];
    QLM_UNROLL_FULL for (int j = 0; j < 4; j++) QLM_UNROLL_FULL for (int c = 0; c < W; c++) acc[j][c] = _mm512_setzero_ps();
    for (int t = 0; t < n_pos; t++) {
        if (t + KV_PF_AHEAD < n_pos) {
            const char *r = (const char *)v + ((size_t)(t + KV_PF_AHEAD) * kv_stride + (size_t)e0) * esz;
            for (int o = 0; o < 16 * W * (int)esz; o += 64) _mm_prefetch(r + o, _MM_HINT_T0);
        }
        __m512 vv[4];
        QLM_UNROLL_FULL for (int c = 0; c < W; c++) vv[c] = load16_full(v, kv_stride, t, e0 + 16 * c, f16);
        QLM_UNROLL_FULL for (int j = 0; j < 4; j++) {
            if (j >= nh) break;
            const __m512 p = _mm512_set1_ps(sc[(size_t)j * ldp + t]);
            QLM_UNROLL_FULL for (int c = 0; c < W; c++) acc[j][c] = _mm512_fmadd_ps(p, vv[c], acc[j][c]);
        }
    }
    QLM_UNROLL_FULL for (int j = 0; j < 4; j++) {
        if (j >= nh) break;
        QLM_UNROLL_FULL for (int c = 0; c < W; c++) _mm512_storeu_ps(out + (size_t)j * hd + e0 + 16 * c, acc[j][c]);
    }
}

static inline __attribute__((always_inline)) void
decode_kv(const float *q, float *out, int n_q, const void *k, const void *v, size_t kv_stride, int n_pos, int hd,
          float scale, float *qh, float *sc, int ldp, const bool f16) {
    const int C = hd / 16; /* hd % 16 == 0, hd <= DECODE_MAX_HD (attn_decode) */
    const size_t esz = f16 ? 2 : 4;
    for (int h = 0; h < n_q; h++)
        for (int c = 0; c < C; c++) {
            __m512 x = _mm512_loadu_ps(q + (size_t)h * hd + 16 * c);
            if (f16) /* rounded through f16 like the reference */
                x = _mm512_cvtph_ps(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
            _mm512_store_ps(qh + (size_t)h * hd + 16 * c, x);
        }
    _Alignas(64) float kb[16][DECODE_MAX_HD];
    const __m512 vs = _mm512_set1_ps(scale);
    for (int t0 = 0; t0 < n_pos; t0 += 16) {
        const int nb = n_pos - t0 < 16 ? n_pos - t0 : 16;
        for (int i = 0; i < 16; i++) {
            const int t = t0 + KV_PF_AHEAD + i;
            if (t < n_pos)
                for (int o = 0; o < hd * (int)esz; o += 64)
                    _mm_prefetch((const char *)k + (size_t)t * kv_stride * esz + o, _MM_HINT_T0);
        }
        for (int i = 0; i < 16; i++)
            for (int c = 0; c < C; c++)
                _mm512_store_ps(kb[i] + 16 * c, i < nb ? load16_full(k, kv_stride, t0 + i, 16 * c, f16) : _mm512_setzero_ps());
        for (int h = 0; h < n_q; h++) {
            const float *qr = qh + (size_t)h * hd;
            __m512 acc[16];
            const __m512 q0 = _mm512_load_ps(qr);
            QLM_UNROLL_FULL for (int i = 0; i < 16; i++) acc[i] = _mm512_mul_ps(q0, _mm512_load_ps(kb[i]));
            for (int c = 1; c < C; c++) {
                const __m512 qc = _mm512_load_ps(qr + 16 * c);
                QLM_UNROLL_FULL for (int i = 0; i < 16; i++) acc[i] = _mm512_fmadd_ps(qc, _mm512_load_ps(kb[i] + 16 * c), acc[i]);
            }
            _mm512_mask_storeu_ps(sc + (size_t)h * ldp + t0, first(nb), _mm512_mul_ps(avx512_sum16(acc), vs));
        }
    }
    for (int h = 0; h < n_q; h++) softmax16(sc + (size_t)h * ldp, n_pos, f16);
    for (int h0 = 0; h0 < n_q; h0 += 4) {
        const int nh = n_q - h0 < 4 ? n_q - h0 : 4;
        const float *sh = sc + (size_t)h0 * ldp;
        float *oh = out + (size_t)h0 * hd;
        int e0 = 0;
        for (; e0 + 64 <= hd; e0 += 64) decode_pv(sh, ldp, v, kv_stride, n_pos, hd, e0, f16, oh, nh, 4);
        for (; e0 < hd; e0 += 16) decode_pv(sh, ldp, v, kv_stride, n_pos, hd, e0, f16, oh, nh, 1);
    }
}

/* decode_kv; false: not taken (another shape, or no scratch) */
static bool attn_decode(const float *q, float *out, int n_q, const void *k, const void *v, size_t kv_stride,
                        int n_pos, int hd, float scale, bool f16) {
    if (hd % 16 || hd > DECODE_MAX_HD) return false;
    const int ldp = (n_pos + 15) / 16 * 16;
    float *qh = qlm_thread_scratch(QLM_SCRATCH_ATTN, ((size_t)n_q * hd + (size_t)n_q * ldp) * sizeof(float));
    if (!qh) return false;
    float *sc = qh + (size_t)n_q * hd;
    /* the common sizes with hd known to the compiler (loops over hd unrolled) */
    if (f16 && hd == 64) decode_kv(q, out, n_q, k, v, kv_stride, n_pos, 64, scale, qh, sc, ldp, true);
    else if (f16 && hd == 128) decode_kv(q, out, n_q, k, v, kv_stride, n_pos, 128, scale, qh, sc, ldp, true);
    else if (f16) decode_kv(q, out, n_q, k, v, kv_stride, n_pos, hd, scale, qh, sc, ldp, true);
    else decode_kv(q, out, n_q, k, v, kv_stride, n_pos, hd, scale, qh, sc, ldp, false);
    return true;
}

void qlm_avx512_attn(const float *q, float *out, size_t q_stride, int n_tok, int n_q, const void *k,
                     const void *v, size_t kv_stride, int n_pos, int hd, float scale, bool f16, float *scores) {
    const int n_all = n_pos + n_tok - 1; /* positions the last token sees */
    if (n_tok == 1 && attn_decode(q, out, n_q, k, v, kv_stride, n_pos, hd, scale, f16)) return;
    if (qlm_avx512_attn_tiles && f16 && hd % 32 == 0 && n_tok * n_q >= 16 && n_all >= 64 &&
        attn_tiles(q, out, q_stride, n_tok, n_q, k, v, kv_stride, n_pos, hd, scale))
        return;
    const int ld = (n_all + CHUNK - 1) / CHUNK * CHUNK, hd16 = (hd + 15) / 16 * 16;
    const size_t n_pairs = (size_t)n_tok * n_q;
    const size_t floats = (size_t)hd * ld + (size_t)n_all * hd16 + n_pairs * ld + n_pairs * hd + 16;
    float *kt = qlm_thread_scratch(QLM_SCRATCH_ATTN, floats * sizeof(float));
    if (!kt) { /* out of memory: the reference needs no scratch */
        qlm_attn_ref(q, out, q_stride, n_tok, n_q, k, v, kv_stride, n_pos, hd, scale, f16, scores);
        return;
    }
    float *vf = kt + (size_t)hd * ld;          /* rows of hd16 floats, zero-padded */
    float *sc = vf + (size_t)n_all * hd16;     /* [pair][ld] scores, then probabilities */
    float *qh = sc + n_pairs * ld;             /* [pair][hd] queries (f16-rounded) */
    k_transposed(k, kv_stride, n_all, ld, hd, f16, kt);
    for (int t = 0; t < n_all; t++) {
        if (t + KV_PF_AHEAD < n_all) {
            const char *r = (const char *)v + (size_t)(t + KV_PF_AHEAD) * kv_stride * (f16 ? 2 : 4);
            for (int o = 0; o < hd * (f16 ? 2 : 4); o += 64) _mm_prefetch(r + o, _MM_HINT_T0);
        }
        for (int e0 = 0; e0 < hd16; e0 += 16)
            _mm512_store_ps(vf + (size_t)t * hd16 + e0, load16(v, kv_stride, t, e0, first(hd - e0), f16));
    }
    for (int i = 0; i < n_tok; i++)
        for (int h = 0; h < n_q; h++) {
            const float *qr = q + i * q_stride + (size_t)h * hd;
            float *d = qh + ((size_t)i * n_q + h) * hd;
            for (int e0 = 0; e0 < hd; e0 += 16) { /* rounded through f16 like the reference */
                const __mmask16 m = first(hd - e0);
                __m512 qv = _mm512_maskz_loadu_ps(m, qr + e0);
                if (f16) qv = _mm512_cvtph_ps(_mm512_cvtps_ph(qv, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
                _mm512_mask_storeu_ps(d + e0, m, qv);
            }
        }
    for (int c0 = 0; c0 < n_all; c0 += CHUNK)
        for (int i = 0; i < n_tok; i++) {
            if (c0 >= n_pos + i) continue;
            int h = 0;
            for (; h + 4 <= n_q; h += 4) { /* a token's heads see the same positions */
                const size_t pr = (size_t)i * n_q + h;
                scores64x4(qh + pr * hd, kt, ld, c0, n_pos + i, hd, scale, sc + pr * ld);
            }
            for (; h < n_q; h++) {
                const size_t pr = (size_t)i * n_q + h;
                scores64(qh + pr * hd, kt, ld, c0, n_pos + i, hd, scale, sc + pr * ld);
            }
        }
    for (int i = 0; i < n_tok; i++)
        for (int h = 0; h < n_q; h++) {
            softmax16(sc + ((size_t)i * n_q + h) * ld, n_pos + i, f16);
            memset(out + i * q_stride + (size_t)h * hd, 0, (size_t)hd * sizeof(float));
        }
    for (int c0 = 0; c0 < n_all; c0 += CHUNK)
        for (int i = 0; i < n_tok; i++) {
            const int n = n_pos + i;
            if (c0 >= n) continue;
            const int c1 = c0 + CHUNK < n ? c0 + CHUNK : n;
            int h = 0;
            if (hd == 64) {
                for (; h + 4 <= n_q; h += 4)
                    pv_chunk4_hd64(sc + ((size_t)i * n_q + h) * ld, ld, vf, c0, c1, out + i * q_stride + (size_t)h * hd);
                for (; h + 2 <= n_q; h += 2)
                    pv_chunk2_hd64(sc + ((size_t)i * n_q + h) * ld, ld, vf, c0, c1, out + i * q_stride + (size_t)h * hd);
            }
            for (; h < n_q; h++)
                pv_chunk(sc + ((size_t)i * n_q + h) * ld, vf, hd16, hd, c0, c1, out + i * q_stride + (size_t)h * hd);
        }
    (void)scores;
}
#endif
