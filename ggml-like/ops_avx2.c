/* AVX2 row operations (see ops_simd.h). */
#include "ops_simd.h"
#include "ops.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include "exp_avx2.h"

void qlm_avx2_silu_mul(float *g, const float *u, int n) {
    const __m256 lo = _mm256_set1_ps(-87.0f), hi = _mm256_set1_ps(88.0f), one = _mm256_set1_ps(1.0f);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(g + i);
        __m256 e = qlm_avx2_exp(_mm256_max_ps(_mm256_min_ps(_mm256_sub_ps(_mm256_setzero_ps(), x), hi), lo));
        __m256 s = _mm256_div_ps(x, _mm256_add_ps(one, e));
        s = _mm256_andnot_ps(_mm256_cmp_ps(x, lo, _CMP_LT_OQ), s); /* x < -87: exp(-x) = inf, silu = 0 */
        _mm256_storeu_ps(g + i, _mm256_mul_ps(s, _mm256_loadu_ps(u + i)));
    }
    if (i < n) qlm_silu_mul(g + i, u + i, n - i);
}
#endif
