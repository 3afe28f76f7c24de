/* NEON int8 peak probe (compiled with -march=armv8.2-a+dotprod): sdot on 128-bit
 * registers, 16 signed x signed byte multiply-adds each (4 products into each of 4 int32
 * lanes), the instruction of the dotprod variant of the NEON kernels. Twelve independent
 * accumulators cover a latency of 2-3 cycles at up to 4 issues per cycle (Neoverse V1 and
 * similar cores). Only called when the CPU reports dotprod (the caller checks); the rest
 * of the file is one function returning a pointer, so the file-wide ARMv8.2 flags cannot
 * put other ARMv8.2 instructions on a path an older CPU runs. */
#include "peak.h"

#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#include <arm_neon.h>

#define N_ACC 12

static uint64_t peak_neon(uint64_t rounds, int32_t *sink) {
    int8x16_t u = vdupq_n_s8(3), s = vdupq_n_s8(-2);
    /* an empty asm that "changes" the operands: no constant folding (no instruction) */
    __asm__("" : "+w"(u), "+w"(s));
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    int32x4_t a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
    /* the same for the accumulators: chains the compiler knows to be identical would be
     * computed once */
    __asm__("" : "+w"(a0), "+w"(a1), "+w"(a2), "+w"(a3), "+w"(a4), "+w"(a5));
    __asm__("" : "+w"(a6), "+w"(a7), "+w"(a8), "+w"(a9), "+w"(a10), "+w"(a11));
    for (uint64_t r = 0; r < rounds; r++) {
        a0 = vdotq_s32(a0, u, s);
        a1 = vdotq_s32(a1, u, s);
        a2 = vdotq_s32(a2, u, s);
        a3 = vdotq_s32(a3, u, s);
        a4 = vdotq_s32(a4, u, s);
        a5 = vdotq_s32(a5, u, s);
        a6 = vdotq_s32(a6, u, s);
        a7 = vdotq_s32(a7, u, s);
        a8 = vdotq_s32(a8, u, s);
        a9 = vdotq_s32(a9, u, s);
        a10 = vdotq_s32(a10, u, s);
        a11 = vdotq_s32(a11, u, s);
    }
    a0 = vaddq_s32(vaddq_s32(a0, a1), vaddq_s32(a2, a3));
    a4 = vaddq_s32(vaddq_s32(a4, a5), vaddq_s32(a6, a7));
    a8 = vaddq_s32(vaddq_s32(a8, a9), vaddq_s32(a10, a11));
    /* unsigned lanes: long runs wrap, which signed arithmetic may not */
    *sink = (int32_t)vaddvq_u32(vreinterpretq_u32_s32(vaddq_s32(a0, vaddq_s32(a4, a8))));
    return rounds * N_ACC * 16;
}

qlm_peak_fn qlm_peak_kernel_neon(void) { return peak_neon; }
#else
qlm_peak_fn qlm_peak_kernel_neon(void) { return 0; }
#endif
