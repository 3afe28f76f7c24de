/* Attention with AVX2+FMA+F16C (qlm_attn_fn, ggml-like/kernels.h). Same steps and
 * roundings as the scalar qlm_attn_ref; the sums run in vector lanes and exp is a
 * polynomial (ggml-like/exp_avx2.h, ~1.5e-7), so results differ from it in the last bits only.
 *
 * One call holds the query heads of one KV head for a few tokens (model/forward.c). K
 * is converted once to f32 and transposed (kt[e][t]), so the scores of 8 positions are
 * hd broadcast-FMAs with lane = position and no horizontal sums, and four query heads
 * share each load of K; V is converted once, in rows, and the weighted sums run with
 * lane = element, two heads sharing each load of V. Positions go in chunks of CHUNK
 * whose K and V (16 KiB each at hd 64) stay in L1 while every (token, head) pair of the
 * call passes over them: a pair at a time streamed both from L2 for every pair, and
 * attention took ~10% of a 512-token prompt. */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include "../ggml-like/exp_avx2.h"
#include "../ggml-like/scratch.h"
#include "kernels_x86.h"
#include "simd_x86.h"

#include <math.h>

#define CHUNK 64 /* positions per block of K and V */

/* e^x for the softmax's arguments (x <= 0 once the max is subtracted), clamped to the
 * shared exp's range: below -87 the result is the smallest normal float, not 0 */
static inline __m256 exp_ps(__m256 x) {
    return qlm_avx2_exp(_mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.0f)), _mm256_set1_ps(-87.0f)));
}

static inline float exp1(float x) {
    float v[8] = {x};
    _mm256_storeu_ps(v, exp_ps(_mm256_loadu_ps(v)));
    return v[0];
}

/* 8 values of row t of an f16/f32 matrix from element e */
static inline __m256 load8(const void *base, size_t stride, int t, int e, bool f16) {
    if (f16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const qlm_f16 *)base + (size_t)t * stride + e)));
    return _mm256_loadu_ps((const float *)base + (size_t)t * stride + e);
}

/* kt[e][t] (ld positions per row, zero from n_pos on) from K rows; hd % 8 == 0 */
static void k_transposed(const void *k, size_t stride, int n_pos, int ld, int hd, bool f16, float *kt) {
    for (int t0 = 0; t0 < ld; t0 += 8)
        for (int e0 = 0; e0 < hd; e0 += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) r[i] = t0 + i < n_pos ? load8(k, stride, t0 + i, e0, f16) : _mm256_setzero_ps();
            x86_transpose8_ps(r);
            for (int i = 0; i < 8; i++) _mm256_store_ps(kt + (size_t)(e0 + i) * ld + t0, r[i]);
        }
}

/* Scores (times scale) of 16 positions from t0 for Q queries (rows hd floats apart, out
 * rows ld apart): 2Q FMA chains, each load of K shared by the Q queries. Writes all 16
 * (the rows are ld long; positions a query does not see are ignored later). */
static inline __attribute__((always_inline)) void
scores16(const float *qh, const float *kt, int ld, int t0, int hd, float scale, float *out, const int Q) {
    __m256 a[4][2];
    _Pragma("GCC unroll 4") for (int p = 0; p < Q; p++) a[p][0] = a[p][1] = _mm256_setzero_ps();
    const float *kr = kt + t0;
    for (int e = 0; e < hd; e++, kr += ld) {
        const __m256 k0 = _mm256_load_ps(kr), k1 = _mm256_load_ps(kr + 8);
        _Pragma("GCC unroll 4") for (int p = 0; p < Q; p++) {
            const __m256 qe = _mm256_broadcast_ss(qh + (size_t)p * hd + e);
            a[p][0] = _mm256_fmadd_ps(qe, k0, a[p][0]);
            a[p][1] = _mm256_fmadd_ps(qe, k1, a[p][1]);
        }
    }
    const __m256 sc = _mm256_set1_ps(scale);
    _Pragma("GCC unroll 4") for (int p = 0; p < Q; p++) {
        _mm256_storeu_ps(out + (size_t)p * ld + t0, _mm256_mul_ps(a[p][0], sc));
        _mm256_storeu_ps(out + (size_t)p * ld + t0 + 8, _mm256_mul_ps(a[p][1], sc));
    }
}

/* softmax of n scores in place, then (f16 cache) rounded to f16 as the reference does */
static void softmax_row(float *s, int n, bool f16) {
    int t;
    __m256 vmx = _mm256_set1_ps(-INFINITY);
    for (t = 0; t + 8 <= n; t += 8) vmx = _mm256_max_ps(vmx, _mm256_loadu_ps(s + t));
    float mx = hmax8_ps(vmx);
    for (; t < n; t++) if (s[t] > mx) mx = s[t];
    vmx = _mm256_set1_ps(mx);
    __m256 vsum = _mm256_setzero_ps();
    for (t = 0; t + 8 <= n; t += 8) {
        const __m256 p = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(s + t), vmx));
        _mm256_storeu_ps(s + t, p);
        vsum = _mm256_add_ps(vsum, p);
    }
    float sum = hsum8_ps(vsum);
    for (; t < n; t++) { s[t] = exp1(s[t] - mx); sum += s[t]; }
    const __m256 inv = _mm256_set1_ps(1.0f / sum);
    for (t = 0; t + 8 <= n; t += 8) {
        __m256 p = _mm256_mul_ps(_mm256_loadu_ps(s + t), inv);
        if (f16) p = _mm256_cvtph_ps(_mm256_cvtps_ph(p, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        _mm256_storeu_ps(s + t, p);
    }
    for (; t < n; t++) {
        const float p = s[t] * (1.0f / sum);
        s[t] = f16 ? x86_f16(x86_to_f16(p)) : p;
    }
}

/* o_h[e0, e0 + 8W) += sum over t in [t0, t1) of p_h[t] V[t] for H heads (probability
 * rows ld apart, outputs hd apart); V rows vs elements apart, floats or (f16) the cache's
 * own rows. Each load of V feeds H FMAs. */
static inline __attribute__((always_inline)) void
pv_block(const float *p, int ld, const void *vb, size_t vs, bool f16, int hd, int e0, int t0, int t1, float *o,
         const int H, const int W) {
    __m256 a[2][4];
    _Pragma("GCC unroll 2") for (int h = 0; h < H; h++)
        _Pragma("GCC unroll 4") for (int c = 0; c < W; c++) a[h][c] = _mm256_loadu_ps(o + (size_t)h * hd + e0 + 8 * c);
    for (int t = t0; t < t1; t++) {
        __m256 ph[2];
        _Pragma("GCC unroll 2") for (int h = 0; h < H; h++) ph[h] = _mm256_broadcast_ss(p + (size_t)h * ld + t);
        _Pragma("GCC unroll 4") for (int c = 0; c < W; c++) {
            const __m256 v = load8(vb, vs, t, e0 + 8 * c, f16);
            _Pragma("GCC unroll 2") for (int h = 0; h < H; h++) a[h][c] = _mm256_fmadd_ps(ph[h], v, a[h][c]);
        }
    }
    _Pragma("GCC unroll 2") for (int h = 0; h < H; h++)
        _Pragma("GCC unroll 4") for (int c = 0; c < W; c++) _mm256_storeu_ps(o + (size_t)h * hd + e0 + 8 * c, a[h][c]);
}

/* pv_block over all hd elements: 32 at a time, then 8 */
static inline __attribute__((always_inline)) void
pv_heads(const float *p, int ld, const void *vb, size_t vs, bool f16, int hd, int t0, int t1, float *o, const int H) {
    int e0 = 0;
    for (; e0 + 32 <= hd; e0 += 32) pv_block(p, ld, vb, vs, f16, hd, e0, t0, t1, o, H, 4);
    for (; e0 < hd; e0 += 8) pv_block(p, ld, vb, vs, f16, hd, e0, t0, t1, o, H, 1);
}

/* ---- one token (generation) --------------------------------------------------------
 *
 * As in quant/attn_avx512.c: for one token, converting and transposing every visible K
 * row and converting every V row into context-sized buffers before starting was most of
 * the work. Here 8 positions of K at a time are converted into an L1 buffer (at most 8
 * KB), their 8 scores per head are 8 dot products reduced by one transpose, and P V
 * reads the cache rows in chunks that stay in L1 while every head passes over them. Any
 * hd that is a multiple of 8 up to 256, f16 or f32 cache; same roundings as the
 * reference (with an f16 cache, the query and the probabilities through f16). */
#define KV_PF_AHEAD 32 /* cache rows asked for this many positions ahead */
#define DECODE_MAX_HD 256
static inline __attribute__((always_inline)) void
decode_kv(const float *q, float *out, int n_q, const void *k, const void *v, size_t kv_stride, int n_pos, int hd,
          float scale, float *qh, float *sc, int ldp, const bool f16) {
    const int C = hd / 8; /* hd % 8 == 0, hd <= DECODE_MAX_HD (the caller checks) */
    const int row_bytes = hd * (f16 ? 2 : 4);
    for (int h = 0; h < n_q; h++)
        for (int c = 0; c < C; c++) {
            __m256 x = _mm256_loadu_ps(q + h * hd + 8 * c);
            if (f16) /* rounded through f16 like the reference */
                x = _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
            _mm256_storeu_ps(qh + h * hd + 8 * c, x);
        }
    _Alignas(32) float kb[8][DECODE_MAX_HD];
    const __m256 vs = _mm256_set1_ps(scale);
    for (int t0 = 0; t0 < n_pos; t0 += 8) {
        const int nb = n_pos - t0 < 8 ? n_pos - t0 : 8;
        for (int i = 0; i < 8 && t0 + KV_PF_AHEAD + i < n_pos; i++)
            for (int o = 0; o < row_bytes; o += 64)
                _mm_prefetch((const char *)k + (size_t)(t0 + KV_PF_AHEAD + i) * kv_stride * (f16 ? 2 : 4) + o, _MM_HINT_T0);
        for (int i = 0; i < 8; i++)
            for (int c = 0; c < C; c++)
                _mm256_store_ps(kb[i] + 8 * c, i < nb ? load8(k, kv_stride, t0 + i, 8 * c, f16) : _mm256_setzero_ps());
        for (int h = 0; h < n_q; h++) {
            __m256 acc[8];
            const __m256 q0 = _mm256_loadu_ps(qh + h * hd);
            QLM_UNROLL_FULL for (int i = 0; i < 8; i++) acc[i] = _mm256_mul_ps(q0, _mm256_load_ps(kb[i]));
            for (int c = 1; c < C; c++) {
                const __m256 qc = _mm256_loadu_ps(qh + h * hd + 8 * c);
                QLM_UNROLL_FULL for (int i = 0; i < 8; i++) acc[i] = _mm256_fmadd_ps(qc, _mm256_load_ps(kb[i] + 8 * c), acc[i]);
            }
            x86_transpose8_ps(acc); /* lane i of acc[j]: part j of position i's sum */
            const __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])),
                                           _mm256_add_ps(_mm256_add_ps(acc[4], acc[5]), _mm256_add_ps(acc[6], acc[7])));
            _Alignas(32) float tmp[8];
            _mm256_store_ps(tmp, _mm256_mul_ps(s, vs));
            memcpy(sc + (size_t)h * ldp + t0, tmp, (size_t)nb * sizeof(float));
        }
    }
    for (int h = 0; h < n_q; h++) softmax_row(sc + (size_t)h * ldp, n_pos, f16);
    memset(out, 0, (size_t)n_q * hd * sizeof(float));
    for (int c0 = 0; c0 < n_pos; c0 += CHUNK) {
        const int c1 = c0 + CHUNK < n_pos ? c0 + CHUNK : n_pos;
        for (int t = c1; t < c1 + CHUNK && t < n_pos; t++) /* the next chunk's V rows */
            for (int o = 0; o < row_bytes; o += 64)
                _mm_prefetch((const char *)v + (size_t)t * kv_stride * (f16 ? 2 : 4) + o, _MM_HINT_T0);
        int h = 0;
        for (; h + 2 <= n_q; h += 2) pv_heads(sc + (size_t)h * ldp, ldp, v, kv_stride, f16, hd, c0, c1, out + (size_t)h * hd, 2);
        for (; h < n_q; h++) pv_heads(sc + (size_t)h * ldp, ldp, v, kv_stride, f16, hd, c0, c1, out + (size_t)h * hd, 1);
    }
}

void qlm_avx2_attn(const float *q, float *out, size_t q_stride, int n_tok, int n_q, const void *k, const void *v,
                   size_t kv_stride, int n_pos, int hd, float scale, bool f16, float *scores) {
    const int n_all = n_pos + n_tok - 1; /* positions the last token sees */
    if (n_tok == 1 && hd % 8 == 0 && hd <= DECODE_MAX_HD) {
        const int ldp = (n_pos + 7) / 8 * 8;
        float *qh = qlm_thread_scratch(QLM_SCRATCH_ATTN, ((size_t)n_q * hd + (size_t)n_q * ldp) * sizeof(float));
        if (qh) {
            float *sc = qh + (size_t)n_q * hd;
            if (f16) decode_kv(q, out, n_q, k, v, kv_stride, n_pos, hd, scale, qh, sc, ldp, true);
            else decode_kv(q, out, n_q, k, v, kv_stride, n_pos, hd, scale, qh, sc, ldp, false);
            return;
        }
    }
    const int ld = (n_all + CHUNK - 1) / CHUNK * CHUNK;
    const size_t n_pairs = (size_t)n_tok * n_q;
    /* kt [hd][ld], vf [n_all][hd], sc [pair][ld] scores then probabilities, qh [pair][hd]
     * queries (f16-rounded) */
    const size_t floats = (size_t)hd * ld + (size_t)n_all * hd + n_pairs * ld + n_pairs * hd;
    float *kt = hd % 8 == 0 ? qlm_thread_scratch(QLM_SCRATCH_ATTN, floats * sizeof(float)) : NULL;
    if (!kt) { /* out of memory or an odd head size: the reference needs no scratch */
        qlm_attn_ref(q, out, q_stride, n_tok, n_q, k, v, kv_stride, n_pos, hd, scale, f16, scores);
        return;
    }
    float *vf = kt + (size_t)hd * ld, *sc = vf + (size_t)n_all * hd, *qh = sc + n_pairs * ld;
    k_transposed(k, kv_stride, n_all, ld, hd, f16, kt);
    for (int t = 0; t < n_all; t++)
        for (int e0 = 0; e0 < hd; e0 += 8) _mm256_storeu_ps(vf + (size_t)t * hd + e0, load8(v, kv_stride, t, e0, f16));
    for (int i = 0; i < n_tok; i++)
        for (int h = 0; h < n_q; h++)
            for (int e0 = 0; e0 < hd; e0 += 8) { /* rounded through f16 like the reference */
                __m256 qv = _mm256_loadu_ps(q + i * q_stride + (size_t)h * hd + e0);
                if (f16) qv = _mm256_cvtph_ps(_mm256_cvtps_ph(qv, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
                _mm256_storeu_ps(qh + ((size_t)i * n_q + h) * hd + e0, qv);
            }
    /* scores: token i sees positions [0, n_pos + i); its heads see the same ones */
    for (int c0 = 0; c0 < n_all; c0 += CHUNK)
        for (int i = 0; i < n_tok; i++) {
            const int n = n_pos + i, c1 = c0 + CHUNK < n ? c0 + CHUNK : n;
            for (int t0 = c0; t0 < c1; t0 += 16) {
                const size_t pr = (size_t)i * n_q;
                for (int h = 0; h < n_q; h += 4) { /* four heads at a time, then what is left */
                    const float *qr = qh + (pr + h) * hd;
                    float *sr = sc + (pr + h) * ld;
                    switch (n_q - h) {
                    case 1: scores16(qr, kt, ld, t0, hd, scale, sr, 1); break;
                    case 2: scores16(qr, kt, ld, t0, hd, scale, sr, 2); break;
                    case 3: scores16(qr, kt, ld, t0, hd, scale, sr, 3); break;
                    default: scores16(qr, kt, ld, t0, hd, scale, sr, 4); break;
                    }
                }
            }
        }
    for (size_t pr = 0; pr < n_pairs; pr++) softmax_row(sc + pr * ld, n_pos + (int)(pr / (size_t)n_q), f16);
    for (int i = 0; i < n_tok; i++) memset(out + i * q_stride, 0, (size_t)n_q * hd * sizeof(float));
    for (int c0 = 0; c0 < n_all; c0 += CHUNK)
        for (int i = 0; i < n_tok; i++) {
            const int n = n_pos + i, c1 = c0 + CHUNK < n ? c0 + CHUNK : n;
            if (c0 >= n) continue;
            const size_t pr = (size_t)i * n_q;
            float *oi = out + i * q_stride; /* the token's heads, hd apart */
            int h = 0;
            for (; h + 2 <= n_q; h += 2) pv_heads(sc + (pr + h) * ld, ld, vf, (size_t)hd, false, hd, c0, c1, oi + (size_t)h * hd, 2);
            for (; h < n_q; h++) pv_heads(sc + (pr + h) * ld, ld, vf, (size_t)hd, false, hd, c0, c1, oi + (size_t)h * hd, 1);
        }
    (void)scores;
}
#endif
