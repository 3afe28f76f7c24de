/* Tuning shared by the AVX-512 matrix-product files: quant/gemm_avx512.c (quantized
 * weights) and quant/gemm_float_avx512.c (F32, F16, BF16 weights), and the entry points
 * of the second, which qlm_avx512_fill_gemm puts in the kernel table. Internal: include
 * only from files compiled with the AVX-512 flags. */
#ifndef QLM_GEMM_AVX512_H
#define QLM_GEMM_AVX512_H

#include "../ggml-like/kernels.h"

/* Software prefetch of the weight stream: PF_DIST bytes ahead, into L2 (T1). Measured
 * here (2 threads, tg64, alternating binaries): no prefetch loses ~30%; 1 KiB ahead is
 * worse than 4 KiB; 8 KiB into L2 beat 4 KiB into L1 by 3-20% depending on the type
 * (Q6_K most). Prefetches into L1 waited for line-fill buffers that the demand loads
 * needed (the samples piled up on the prefetch instructions). */
#define PF_DIST 8192
#define PF_HINT _MM_HINT_T1
/* ... and a second prefetch of the same bytes into L1 when they are PF_L1 bytes ahead
 * (by then in L2): the K-quant loops, whose arithmetic per byte is the heaviest, had
 * their L2-to-L1 latency exposed (in-process A/B, one thread, 1 GB matrix streamed
 * from memory: Q4_K 1.04-1.09x, Q6_K 1.05x; Q4_0 and Q8_0 unchanged, 0.5-4 KiB alike). */
#define PF_L1 1024

/* Panels of 16 rows: within a row, the bytes this far ahead of the unpacking are asked
 * for into L1 (the next panel's rows go to L2: prefetch_next_panel, gemm_avx512.c). */
#define TILES_PF_AHEAD 512

#define MAX_C 8 /* tokens per micro-kernel call (registers: 8 weights + 2 x 8 accumulators) */

/* Float weights take the matrix-vector loop below this many tokens: the transposing
 * micro-kernel loses up to 8 tokens for F16 / BF16 (1.7-2.6x; converting the weights
 * costs more than reading them again) and up to 6 for F32. At most 9 either way:
 * qlm_matmul's token split leaves pieces of 9+, which must take the whole batch's path
 * (quant/gemm_avx2.c, GEMV_BELOW). */
#define FGEMM_MIN_TOKENS(wt) ((wt) == QLM_TYPE_F32 ? 7 : 9)

/* Rows in blocks whose panels (row_bytes per row) take about 768 KiB of L2, next to one
 * 32-token tile of activations: 128 rows for n = 2048 bf16 values, 64 for 5632; never
 * more than the scratch holds (at least 32 rows: the callers check). */
static inline size_t tiles_block_rows(int64_t n, int nt, size_t row_bytes) {
    size_t rb = (size_t)768 * 1024 / row_bytes;
    const size_t fit = QLM_GEMM_WORK_BASE(n, nt) / row_bytes;
    rb = rb > fit ? fit : rb;
    return rb < 32 ? 32 : rb > 128 ? 128 : rb / 32 * 32;
}

/* qlm_gemm_fn of gemm_float_avx512.c: the FMA kernels (any batch) and the bf16 tiles
 * (F16 / BF16, batches of FTILES_MIN_TOKENS+ on AMX-BF16 machines) */
void qlm_avx512_gemm_f32(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                         int64_t ldy, void *work);
void qlm_avx512_gemm_f16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                         int64_t ldy, void *work);
void qlm_avx512_gemm_bf16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                          int64_t ldy, void *work);
void qlm_avx512_tiles_f16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                          int64_t ldy, void *work);
void qlm_avx512_tiles_bf16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                           int64_t ldy, void *work);

#endif
