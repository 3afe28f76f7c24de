/* e^x on 16 floats, shared by the AVX-512 files (internal; include only from files
 * compiled with the AVX-512 flags: ggml-like/ops_avx512.c, quant/attn_avx512.c). */
#ifndef QLM_EXP_AVX512_H
#define QLM_EXP_AVX512_H

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

/* exp(x) for x in [-87.3, 88.7] (callers clamp): x = n ln2 + r, |r| <= ln2/2, with ln2
 * in two parts so r is exact to ~1e-11; e^r = 1 + r + r^2 P(r) with Cephes' degree-5
 * minimax P (Horner), then scaled by 2^n with vscalefps, which also gives 0 and inf at
 * the ends of the range. Relative error about 1.5e-7 (the SiLU test in tests/test_kernels.c measures it). */
static inline __m512 qlm_avx512_exp(__m512 x) {
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

#endif
#endif
