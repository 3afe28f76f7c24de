/* AVX-VNNI int8 peak probe: vpdpbusd on ymm (32 unsigned x signed byte products into 8
 * int32 lanes), the instruction of the "avxvnni" kernels (quant/gemm_avxvnni.c). Ten
 * independent accumulators cover its latency at two per cycle. The feature comes
 * from a target pragma (avxvnni_target.h). */
#include "avxvnni_target.h"
#include "peak.h"

#ifdef QLM_AVXVNNI_TARGET
#include <immintrin.h>

/* acc += 4 products per lane; AT&T order: sources first, destination last. Inline
 * assembly, as in peak_avx2.c: with intrinsics gcc shuffled the accumulators through
 * the stack inside the loop. */
#define STEP(acc) "%{vex%} vpdpbusd %[s], %[u], %[" acc "]\n\t"

static uint64_t peak_avxvnni(uint64_t rounds, int32_t *sink) {
    const __m256i u = _mm256_set1_epi8(3), s = _mm256_set1_epi8(-2);
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0,
            a9 = a0;
    for (uint64_t r = 0; r < rounds; r++)
        __asm__ volatile(STEP("a0") STEP("a1") STEP("a2") STEP("a3") STEP("a4") STEP("a5") STEP("a6") STEP("a7")
                         STEP("a8") STEP("a9")
                         : [a0] "+x"(a0), [a1] "+x"(a1), [a2] "+x"(a2), [a3] "+x"(a3), [a4] "+x"(a4),
                           [a5] "+x"(a5), [a6] "+x"(a6), [a7] "+x"(a7), [a8] "+x"(a8), [a9] "+x"(a9)
                         : [u] "x"(u), [s] "x"(s));
    __m256i t = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                                 _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
    t = _mm256_add_epi32(t, _mm256_add_epi32(a8, a9));
    uint32_t v[8]; /* unsigned: long runs wrap, and signed overflow would be undefined */
    _mm256_storeu_si256((__m256i *)v, t);
    *sink = (int32_t)(v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7]);
    return rounds * 10 * 32;
}

qlm_peak_fn qlm_peak_kernel_avxvnni(void) { return peak_avxvnni; }

QLM_AVXVNNI_TARGET_END
#else
qlm_peak_fn qlm_peak_kernel_avxvnni(void) { return 0; }
#endif
