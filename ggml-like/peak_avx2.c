/* AVX2 int8 peak probe (compiled with -mavx2): the sequence the AVX2 quantized kernels
 * use for an int8 dot product, vpmaddubsw (32 unsigned x signed byte products, summed in
 * pairs to 16-bit) + vpmaddwd by ones (pairs to 32-bit) + vpaddd into an accumulator.
 * That is 32 multiply-adds per three instructions, two of them on the vector multiply
 * ports. Eight independent chains cover the ~10-cycle latency of the two multiplies.
 *
 * The loop body is inline assembly: as intrinsics the products, which do not depend on
 * the accumulators, are loop-invariant and identical for every chain, so the compiler
 * computes them once, and barriers against that leave GCC spilling accumulators to the
 * stack inside the loop (a store-forwarding delay on their chains). */
#include "peak.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>

/* acc += madd(maddubs(u, s), ones); AT&T order: sources first, destination last */
#define STEP(acc, t) \
    "vpmaddubsw %[s], %[u], %[" t "]\n\t" \
    "vpmaddwd %[ones], %[" t "], %[" t "]\n\t" \
    "vpaddd %[" t "], %[" acc "], %[" acc "]\n\t"

static uint64_t peak_avx2(uint64_t rounds, int32_t *sink) {
    __m256i u = _mm256_set1_epi8(3), s = _mm256_set1_epi8(-2), ones = _mm256_set1_epi16(1), t0, t1;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (uint64_t r = 0; r < rounds; r++)
        __asm__ volatile(STEP("a0", "t0") STEP("a1", "t1") STEP("a2", "t0") STEP("a3", "t1")
                         STEP("a4", "t0") STEP("a5", "t1") STEP("a6", "t0") STEP("a7", "t1")
                         : [a0] "+x"(a0), [a1] "+x"(a1), [a2] "+x"(a2), [a3] "+x"(a3), [a4] "+x"(a4),
                           [a5] "+x"(a5), [a6] "+x"(a6), [a7] "+x"(a7), [t0] "=&x"(t0), [t1] "=&x"(t1)
                         : [u] "x"(u), [s] "x"(s), [ones] "x"(ones));
    __m256i t = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                                 _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
    uint32_t v[8]; /* unsigned: long runs wrap, and signed overflow would be undefined */
    _mm256_storeu_si256((__m256i *)v, t);
    *sink = (int32_t)(v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7]);
    return rounds * 8 * 32;
}

qlm_peak_fn qlm_peak_kernel_avx2(void) { return peak_avx2; }
#else
qlm_peak_fn qlm_peak_kernel_avx2(void) { return 0; }
#endif
