/* AVX-512 row operations (see ops_simd.h). */
#include "ops_simd.h"
#include "ops.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>
#include <math.h>

#include "exp_avx512.h"

void qlm_avx512_silu_mul(float *g, const float *u, int n) {
    /* exp(-x) is clamped to [e^-87, e^88]: for x > 87 it is ~0 anyway (silu = x), and
     * below x = -87 the result is set to 0, as x / (1 + inf) gives in the scalar code */
    const __m512 lo = _mm512_set1_ps(-87.0f), hi = _mm512_set1_ps(88.0f), one = _mm512_set1_ps(1.0f);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 x = _mm512_loadu_ps(g + i);
        __m512 e = qlm_avx512_exp(_mm512_max_ps(_mm512_min_ps(_mm512_sub_ps(_mm512_setzero_ps(), x), hi), lo));
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
