/* AVX2 summing kernel of the bandwidth probe (compiled with -mavx2). Four independent
 * 256-bit accumulators keep four loads in flight per iteration, so the loop is limited
 * by memory, not by the add latency chain. */
#include "membw.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>

static uint64_t sum_avx2(const void *p, size_t bytes) {
    const __m256i *v = p;
    size_t n = bytes / 32;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        a0 = _mm256_add_epi64(a0, _mm256_load_si256(v + i));
        a1 = _mm256_add_epi64(a1, _mm256_load_si256(v + i + 1));
        a2 = _mm256_add_epi64(a2, _mm256_load_si256(v + i + 2));
        a3 = _mm256_add_epi64(a3, _mm256_load_si256(v + i + 3));
        a0 = _mm256_add_epi64(a0, _mm256_load_si256(v + i + 4));
        a1 = _mm256_add_epi64(a1, _mm256_load_si256(v + i + 5));
        a2 = _mm256_add_epi64(a2, _mm256_load_si256(v + i + 6));
        a3 = _mm256_add_epi64(a3, _mm256_load_si256(v + i + 7));
    }
    __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
    uint64_t out[4];
    _mm256_storeu_si256((__m256i *)out, s);
    return out[0] + out[1] + out[2] + out[3];
}

qlm_membw_sum_fn qlm_membw_kernel_avx2(void) { return sum_avx2; }
#else
qlm_membw_sum_fn qlm_membw_kernel_avx2(void) { return NULL; }
#endif
