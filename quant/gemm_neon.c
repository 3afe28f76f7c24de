/* NEON matrix-matrix products (qlm_gemm_fn, ggml-like/kernels.h) for prompt batches of
 * the 8 quantized block types: Q4_0, Q5_0 and Q8_0 weights against activations prepared
 * as Q8_0; Q4_1 and Q5_1 against activations prepared as Q8_1 (levels, scale and the
 * per-block sum term that carries the weights' min); Q4_K, Q5_K and Q6_K against
 * activations prepared as Q8_K. Two builds of the same tiles (quant/gemm_neon.inc):
 * this file's with sdot (ARMv8.2 dotprod), and quant/gemm_base_neon.c's with widening
 * multiplies for CPUs without it (Cortex-A53/A72); kernels_neon.c installs one or the
 * other from HWCAP. The preparation (quant/gemm_prep_neon.c) is common to both.
 *
 * Prepared rows (qlm_gemm_act_size bytes each, 64-byte aligned), levels in natural
 * order with the rounding of kernels_neon.c's quantizers (so the integer sums equal
 * those of the vec_dot path and only float rounding differs):
 *   Q8_0 layout: int8 qs[n] | float d[n/32]        (d rounded through f16, as stored)
 *   Q8_1 layout: int8 qs[n] | float d[n/32] | float s[n/32]  (d and s = d*sum of the
 *                block's levels, both rounded through f16 as block_q8_1 stores them)
 *   Q8_K layout: int8 qs[n] | float d[n/256] | int16 s[n/32]  (s: sums of 32 levels,
 *                for the Q4_K/Q5_K min term; Q6_K ignores them)
 * That is at most 1.25 n + 4 bytes, well inside 2.5 n + 64.
 *
 * The kernels read the weights in their file layout (no repacking, so no scratch). A
 * micro-tile is 4 weight rows x 4 tokens with one float lane per token: each weight
 * block is loaded and unpacked once and its dot products are done for all 4 tokens;
 * the per-token int32 vectors are reduced with a tree of 3 pairwise adds into one
 * vector over the tokens, converted once and accumulated with one FMA per block scale
 * (and one more per block for the Q4_1/Q5_1 min: m * the tokens' s; 32-value blocks:
 * 8 activation + 4 float accumulator registers live across the 4 rows, about 10 per
 * row; K-quants: a row's super-block at a time, its sub-block scales applied in int32
 * per token, one reduction per super-block). Rows go in groups of 16 so that their
 * weights stay in cache while every token passes.
 *
 * Every output is computed by the same sequence of lane operations wherever its row
 * and token fall in a tile (a missing token is a zero lane, a missing row repeats the
 * last row and is not stored), so results do not depend on how the caller splits the
 * rows or tokens between threads (qlm_matmul_fused relies on that). */
#include "../ggml-like/kernels.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

#include "blocks.h"

/* Unlike kernels_neon.c, which mixes dotprod and plain ARMv8-A variants, everything in
 * this file needs sdot and runs only on CPUs that have it, so it keeps the file's
 * -march (+dotprod) throughout; DP states it on each function all the same, for a build
 * that compiles the file without it. (GCC 12 refuses to inline always_inline DP helpers
 * into DP callers under a file-wide "#pragma GCC target arch=armv8-a", which is why the
 * plain variant is a file of its own, gemm_base_neon.c.) */
#if defined(__GNUC__) && !defined(__clang__)
#define DP __attribute__((target("arch=armv8.2-a+dotprod")))
#else
#define DP __attribute__((target("dotprod")))
#endif
#define INLINE static inline __attribute__((always_inline))

#define ATTR DP
#define GEMM_NAME(t) qlm_neon_gemm_##t
#define DOT16(acc, w, a) vdotq_s32(acc, w, a)
#define DOT16S(acc, w, a) vdotq_s32(acc, w, a)
#define DOT32S(acc, w0, a0, w1, a1) vdotq_s32(vdotq_s32(acc, w0, a0), w1, a1)
#include "gemm_neon.inc"

#endif
