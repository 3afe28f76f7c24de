/* What the AVX2 matrix-product files share: quant/gemm_avx2.c (quantized weights;
 * compiled a second time, with AVX-VNNI, as quant/gemm_avxvnni.c) and
 * quant/gemm_float_avx2.c (F32, F16, BF16 weights, in both kernel tables). Internal:
 * include only from files compiled with the AVX2 flags. */
#ifndef QLM_GEMM_AVX2_H
#define QLM_GEMM_AVX2_H

#include "../ggml-like/kernels.h"

#include <immintrin.h>

/* Types with a matrix-vector loop (every quantized type of gemm_avx2.c, and the float
 * ones) use it, in passes of up to 3 tokens, below this many tokens: repacking panels
 * for so few tokens cost more than reading the weights again (in-process A/B, 1024 x
 * 2048 in cache: 1.15-2.0x at 4-9 tokens; a 37 MB matrix 1.2-1.8x at 9; from 12 tokens
 * the micro-kernel wins). Not 10: the two loops round differently, and qlm_matmul's
 * split of a batch by tokens leaves pieces of 9 or more, which must take the path the
 * whole batch takes (results independent of the thread count; tests/test_kernels.c,
 * qlm_matmul_fused). */
#define GEMV_BELOW 9

/* The weights stream from memory once: ask for the bytes PF_DIST ahead, into L2, as
 * the AVX-512 loop does (measured here: Q4_0 generation +45% with it, 1 thread), and
 * for the same line again into L1 when it is PF_L1 ahead: in-process A/B, one thread, a
 * 1 GB matrix streamed from memory, Q4_K 1.04-1.05x (AVX2, AVX-VNNI), Q6_K 1.03x, Q4_0
 * 1.02x, Q8_0 / Q5_0 / F16 unchanged. A macro: written as a static inline function,
 * gcc 12 emitted none of its prefetches here (0 prefetch instructions in the object;
 * the loops then ran at 0.6x). */
#define PF_DIST 8192
#define PF_L1 1024
#define prefetch_line(p)                                                                          \
    do {                                                                                          \
        _mm_prefetch((const char *)(p) + PF_DIST, _MM_HINT_T1);                                   \
        _mm_prefetch((const char *)(p) + PF_L1, _MM_HINT_T0);                                     \
    } while (0)

/* qlm_gemm_fn of gemm_float_avx2.c */
void qlm_avx2_gemm_f32(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                       int64_t ldy, void *work);
void qlm_avx2_gemm_f16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                       int64_t ldy, void *work);
void qlm_avx2_gemm_bf16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                        int64_t ldy, void *work);

#endif
