/* Quantized matrix products: y = W x for a batch of tokens.
 *
 * The activations are converted once per call, as llama.cpp does: to the weight type's
 * vec_dot_type (Q8_0 for Q4_0, Q8_K for K-quants, ...) for the vec_dot path, or to the
 * kernel table's prepared layout for its gemm (see kernels.h). Then the threads split
 * the weight rows (or, for small matrices, the tokens) and each runs the kernel on its
 * part, so every weight row is read once per call while the activations stay in cache. */
#ifndef QLM_MATMUL_H
#define QLM_MATMUL_H

#include "tensor.h"
#include "threadpool.h"
#include "kernels.h"

/* Bytes of scratch qlm_matmul needs for n_tok rows of n_in activations of any type. */
size_t qlm_matmul_scratch_size(int64_t n_in, int n_tok);

/* y[t][o] = sum_i W[o][i] * x[t][i] for t < n_tok, o < W->ne[1]
 *   W: [ne1 rows][ne0 = n_in], x: [n_tok][n_in] f32, y: [n_tok][ldy] f32 (ldy >= ne1)
 * scratch: qlm_matmul_scratch_size(n_in, n_tok) bytes. */
void qlm_matmul(qlm_pool *pool, const qlm_kernels *k, const qlm_tensor *W, const float *x,
                float *y, int64_t ldy, int n_tok, void *scratch);

/* y[i] = W[i] x for nw matrices (at most 4 share one step) that multiply the same
 * activations, e.g. q, k and v: matrices whose gemm prepares activations alike share
 * one preparation and one parallel step (the threads split their panels as one
 * sequence); the others run as qlm_matmul would. All W[i] have ne0 = n_in; y[i] is
 * [n_tok][ldy[i]]; scratch as for qlm_matmul. */
void qlm_matmul_fused(qlm_pool *pool, const qlm_kernels *k, int nw, const qlm_tensor *const *W, const float *x,
                      float *const *y, const int64_t *ldy, int n_tok, void *scratch);

#endif
