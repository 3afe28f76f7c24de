/* AVX-512 VNNI int8 peak probe (compiled with -mavx512f -mavx512vnni ...): vpdpbusd on
 * zmm registers, 64 multiply-adds each (unsigned x signed bytes, 4 products into each of
 * 16 int32 lanes). The instruction has a latency of about 5 cycles and up to 2 issue per
 * cycle on cores with two 512-bit FMA units, so 12 independent accumulators keep both
 * ports busy with some margin. The sums wrap around, which does not matter here. */
#include "peak.h"

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VNNI__)
#include <immintrin.h>

#define N_ACC 12

static uint64_t peak_avx512(uint64_t rounds, int32_t *sink) {
    __m512i u = _mm512_set1_epi8(3), s = _mm512_set1_epi8(-2);
    /* an empty asm that "changes" the operands: the compiler cannot fold constants into
     * the loop (it emits no instruction) */
    __asm__("" : "+v"(u), "+v"(s));
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    __m512i a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
    /* the same for the accumulators: twelve chains the compiler knows to be identical
     * would be computed once */
    __asm__("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5));
    __asm__("" : "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
    /* named variables, not an array: GCC would copy an array's elements around */
    for (uint64_t r = 0; r < rounds; r++) {
        a0 = _mm512_dpbusd_epi32(a0, u, s);
        a1 = _mm512_dpbusd_epi32(a1, u, s);
        a2 = _mm512_dpbusd_epi32(a2, u, s);
        a3 = _mm512_dpbusd_epi32(a3, u, s);
        a4 = _mm512_dpbusd_epi32(a4, u, s);
        a5 = _mm512_dpbusd_epi32(a5, u, s);
        a6 = _mm512_dpbusd_epi32(a6, u, s);
        a7 = _mm512_dpbusd_epi32(a7, u, s);
        a8 = _mm512_dpbusd_epi32(a8, u, s);
        a9 = _mm512_dpbusd_epi32(a9, u, s);
        a10 = _mm512_dpbusd_epi32(a10, u, s);
        a11 = _mm512_dpbusd_epi32(a11, u, s);
    }
    a0 = _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3));
    a4 = _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7));
    a8 = _mm512_add_epi32(_mm512_add_epi32(a8, a9), _mm512_add_epi32(a10, a11));
    /* summed as unsigned: long runs wrap (gcc's _mm512_reduce_add_epi32 adds as signed
     * int in C, which UBSan rightly reports when it overflows) */
    _Alignas(64) uint32_t lanes[16];
    _mm512_store_si512(lanes, _mm512_add_epi32(a0, _mm512_add_epi32(a4, a8)));
    uint32_t sum = 0;
    for (int i = 0; i < 16; i++) sum += lanes[i];
    *sink = (int32_t)sum;
    return rounds * N_ACC * 64;
}

qlm_peak_fn qlm_peak_kernel_avx512(void) { return peak_avx512; }
#else
qlm_peak_fn qlm_peak_kernel_avx512(void) { return 0; }
#endif
