/* The NEON gemm tiles of quant/gemm_neon.inc (layouts and tiling: gemm_neon.c's header)
 * for ARMv8-A CPUs without dotprod (Cortex-A53, A72, ...): the 16-byte dot products are
 * widening multiplies (smull/smlal into int16) pairwise added into int32 (sadalp), as
 * kernels_neon.c's dot_base. Without them such a CPU runs a prompt as one vec_dot per
 * weight row and token, unpacking every weight block once per token instead of once
 * per 4. kernels_neon.c installs these only when HWCAP lacks dotprod. */
#include "../ggml-like/kernels.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

#include "blocks.h"

/* The Makefile compiles *_neon.c with -march=armv8.2-a+dotprod+fp16; this whole file is
 * brought back to plain ARMv8-A so that GCC cannot emit sdot (its vectorizer would, for
 * a dot-product loop) in code meant for CPUs without it. Every function here has the
 * same target, so the always_inline helpers inline. Clang cannot lower a file's -march
 * by pragma: a clang build assumes the flags' CPU (as kernels_neon.c). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("arch=armv8-a")
#endif
#define INLINE static inline __attribute__((always_inline))

/* All 16 products of signed bytes, two smull (each product fits int16: |-128*-128| =
 * 2^14) and two sadalp. */
INLINE int32x4_t dot16(int32x4_t acc, int8x16_t w, int8x16_t a) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(w), vget_low_s8(a)));
    return vpadalq_s16(acc, vmull_high_s8(w, a));
}

/* Weights |w| <= 32 (all levels but Q8_0's: Q6_K -32..31, Q5_x 0..31 or -16..15, Q4_x
 * 0..15 or -8..7), so |w*a| <= 32*128 = 2^12 and an int16 lane holds the sum of 4
 * products (<= 2^14) exactly: one sadalp per 16 products, or per 32. */
INLINE int32x4_t dot16s(int32x4_t acc, int8x16_t w, int8x16_t a) {
    return vpadalq_s16(acc, vmlal_high_s8(vmull_s8(vget_low_s8(w), vget_low_s8(a)), w, a));
}

INLINE int32x4_t dot32s(int32x4_t acc, int8x16_t w0, int8x16_t a0, int8x16_t w1, int8x16_t a1) {
    int16x8_t p = vmull_s8(vget_low_s8(w0), vget_low_s8(a0));
    p = vmlal_high_s8(p, w0, a0);
    p = vmlal_s8(p, vget_low_s8(w1), vget_low_s8(a1));
    return vpadalq_s16(acc, vmlal_high_s8(p, w1, a1));
}

#define ATTR
#define GEMM_NAME(t) qlm_neon_gemm_##t##_base
#define DOT16(acc, w, a) dot16(acc, w, a)
#define DOT16S(acc, w, a) dot16s(acc, w, a)
#define DOT32S(acc, w0, a0, w1, a1) dot32s(acc, w0, a0, w1, a1)
#include "gemm_neon.inc"

#endif
