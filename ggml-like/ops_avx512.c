/* AVX-512 row operations (see ops_simd.h). */
#include "ops_simd.h"
#include "ops.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

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
#endif
