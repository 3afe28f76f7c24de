/* AVX-512 row operations (see ops_simd.h). */
#include "ops_simd.h"
#include "ops.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>
#include <math.h>

/* exp(x) for x in [-87.3, 88.7] (callers clamp): x = n ln2 + r, |r| <= ln2/2, with ln2
 * in two parts so r is exact to ~1e-11; e^r = 1 + r + r^2 P(r) with
 * Cephes' degree-5 minimax P (Horner), then scaled by 2^n with vscalefps, which also gives 0 and inf at
 * the ends of the range. Relative error about 1.5e-7 (measured in tests/test_ops.c). */
static inline __m512 exp512(__m512 x) {
    const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
    const __m512 ln2_hi = _mm512_set1_ps(0.693359375f), ln2_lo = _mm512_set1_ps(-2.12194440e-4f);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, ln2_hi, x);
    r = _mm512_fnmadd_ps(n, ln2_lo, r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

void qlm_avx512_silu_mul(float *g, const float *u, int n) {
    /* exp(-x) is clamped to [e^-87, e^88]: for x > 87 it is ~0 anyway (silu = x), and
     * below x = -87 the result is set to 0, as x / (1 + inf) gives in the scalar code */
    const __m512 lo = _mm512_set1_ps(-87.0f), hi = _mm512_set1_ps(88.0f), one = _mm512_set1_ps(1.0f);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 x = _mm512_loadu_ps(g + i);
        __m512 e = exp512(_mm512_max_ps(_mm512_min_ps(_mm512_sub_ps(_mm512_setzero_ps(), x), hi), lo));
        __m512 s = _mm512_div_ps(x, _mm512_add_ps(one, e));
        s = _mm512_mask_mov_ps(s, _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), _mm512_setzero_ps()); /* exp(-x) = inf */
        _mm512_storeu_ps(g + i, _mm512_mul_ps(s, _mm512_loadu_ps(u + i)));
    }
    if (i < n) qlm_silu_mul(g + i, u + i, n - i);
}

/* qlm_rmsnorm with the sum of squares in 32 double lanes (the scalar one: 4 chains of
 * scalar conversions and adds, 1.6-1.9% of a prompt's time); the order of the double
 * additions differs, which moves the float scale at most in its last bit, rarely. */
void qlm_avx512_rmsnorm(float *out, const float *x, const float *w, int n, float eps) {
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512d a = _mm512_cvtps_pd(_mm256_loadu_ps(x + i)), b = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8));
        const __m512d c = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 16)), d = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 24));
        s0 = _mm512_fmadd_pd(a, a, s0);
        s1 = _mm512_fmadd_pd(b, b, s1);
        s2 = _mm512_fmadd_pd(c, c, s2);
        s3 = _mm512_fmadd_pd(d, d, s3);
    }
    double ss = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)));
    for (int j = i; j < n; j++) ss += (double)x[j] * x[j];
    const float scale = 1.0f / sqrtf((float)(ss / n) + eps);
    const __m512 vs = _mm512_set1_ps(scale);
    for (i = 0; i + 16 <= n; i += 16) /* (x * scale) * w, as the scalar code */
        _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i), vs), _mm512_loadu_ps(w + i)));
    for (; i < n; i++) out[i] = x[i] * scale * w[i];
}
#endif
