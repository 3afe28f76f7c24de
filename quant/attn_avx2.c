/* Attention head with AVX2+FMA+F16C (see qlm_attn_head_fn in ggml-like/kernels.h).
 * Same steps and roundings as the scalar qlm_attn_head_ref; the sums run in vector
 * lanes and exp is a polynomial (relative error ~2e-7), so results differ from it in
 * the last bits only. */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX2__)
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

static inline __m256 load8(const void *base, size_t i, bool f16) {
    if (f16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const qlm_f16 *)base + i)));
    return _mm256_loadu_ps((const float *)base + i);
}

static inline float load1(const void *base, size_t i, bool f16) {
    return f16 ? x86_f16(((const qlm_f16 *)base)[i]) : ((const float *)base)[i];
}

void qlm_avx2_attn_head(const float *q, const void *k, const void *v, size_t kv_stride,
                        int n_pos, int hd, float scale, bool f16, float *scores, float *out) {
    float qh[hd];
    for (int e = 0; e < hd; e++) qh[e] = f16 ? x86_f16(x86_to_f16(q[e])) : q[e];
    const int hd8 = hd & ~7;
    /* scores and their maximum */
    float mx = -INFINITY;
    for (int t = 0; t < n_pos; t++) {
        size_t row = (size_t)t * kv_stride;
        __m256 acc = _mm256_setzero_ps();
        for (int e = 0; e < hd8; e += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(qh + e), load8(k, row + e, f16), acc);
        float s = hsum8_ps(acc);
        for (int e = hd8; e < hd; e++) s += qh[e] * load1(k, row + e, f16);
        scores[t] = s * scale;
        if (scores[t] > mx) mx = scores[t];
    }
    /* softmax */
    const __m256 vmx = _mm256_set1_ps(mx);
    __m256 vsum = _mm256_setzero_ps();
    int t = 0;
    for (; t + 8 <= n_pos; t += 8) {
        __m256 p = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(scores + t), vmx));
        _mm256_storeu_ps(scores + t, p);
        vsum = _mm256_add_ps(vsum, p);
    }
    float sum = hsum8_ps(vsum);
    for (; t < n_pos; t++) { scores[t] = exp1(scores[t] - mx); sum += scores[t]; }
    const float inv = 1.0f / sum;
    for (t = 0; t < n_pos; t++) {
        float p = scores[t] * inv;
        scores[t] = f16 ? x86_f16(x86_to_f16(p)) : p;
    }
    /* out = sum p[t] V[t], 64 columns at a time kept in registers */
    for (int e0 = 0; e0 < hd8; e0 += 64) {
        const int w = hd8 - e0 < 64 ? hd8 - e0 : 64;
        __m256 acc[8];
        for (int c = 0; c < 8; c++) acc[c] = _mm256_setzero_ps();
        for (t = 0; t < n_pos; t++) {
            const __m256 p = _mm256_set1_ps(scores[t]);
            size_t row = (size_t)t * kv_stride + (size_t)e0;
            for (int c = 0; c < w / 8; c++) acc[c] = _mm256_fmadd_ps(p, load8(v, row + 8 * c, f16), acc[c]);
        }
        for (int c = 0; c < w / 8; c++) _mm256_storeu_ps(out + e0 + 8 * c, acc[c]);
    }
    for (int e = hd8; e < hd; e++) {
        float s = 0;
        for (t = 0; t < n_pos; t++) s += scores[t] * load1(v, (size_t)t * kv_stride + e, f16);
        out[e] = s;
    }
}
#endif
