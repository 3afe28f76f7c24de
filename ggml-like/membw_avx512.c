/* AVX-512 summing kernel of the bandwidth probe (compiled with -mavx512f): one full
 * cache line per load, four accumulators. */
#include "membw.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

static uint64_t sum_avx512(const void *p, size_t bytes) {
    const __m512i *v = p;
    size_t n = bytes / 64;
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i + 4 <= n; i += 4) {
        a0 = _mm512_add_epi64(a0, _mm512_load_si512(v + i));
        a1 = _mm512_add_epi64(a1, _mm512_load_si512(v + i + 1));
        a2 = _mm512_add_epi64(a2, _mm512_load_si512(v + i + 2));
        a3 = _mm512_add_epi64(a3, _mm512_load_si512(v + i + 3));
    }
    /* summed as unsigned (gcc's _mm512_reduce_add_epi64 adds signed long longs in C:
     * undefined, and reported by UBSan, when the random-looking sums overflow) */
    _Alignas(64) uint64_t lanes[8];
    _mm512_store_si512(lanes, _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3)));
    uint64_t sum = 0;
    for (int i = 0; i < 8; i++) sum += lanes[i];
    return sum;
}

qlm_membw_sum_fn qlm_membw_kernel_avx512(void) { return sum_avx512; }
#else
qlm_membw_sum_fn qlm_membw_kernel_avx512(void) { return NULL; }
#endif
