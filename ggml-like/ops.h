/* Row-wise operations of the forward pass, on f32 rows. Callers parallelise over rows
 * with the thread pool; each function handles one row (or one token). */
#ifndef QLM_OPS_H
#define QLM_OPS_H

#include <stdint.h>

/* out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]   (sum of squares in double) */
void qlm_rmsnorm(float *out, const float *x, const float *w, int n, float eps);

/* Rotate one head vector in place for position pos.
 * neox = 0: pairs (2i, 2i+1) - GGUF llama layout; neox = 1: pairs (i, i + n_rot/2).
 * Only the first n_rot dims rotate; theta_i = pos * base^(-2i/n_rot). */
void qlm_rope(float *x, int n_rot, int pos, float base, int neox);

/* In-place softmax over n values; returns nothing, max-subtracted for stability. */
void qlm_softmax(float *x, int n);

/* g[i] = silu(g[i]) * u[i] */
void qlm_silu_mul(float *g, const float *u, int n);

/* y[i] += x[i] */
void qlm_add(float *y, const float *x, int n);

/* Index of the largest value (first one on ties). */
int qlm_argmax(const float *x, int n);

#endif
