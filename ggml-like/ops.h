/* Row-wise operations of the forward pass, on f32 rows. Callers parallelise over rows
 * with the thread pool; each function handles one row (or one token). */
#ifndef QLM_OPS_H
#define QLM_OPS_H

#include <stdbool.h>
#include <stdint.h>

/* out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]   (sum of squares in double) */
void qlm_rmsnorm(float *out, const float *x, const float *w, int n, float eps);

/* out[i] = (x[i] - mean) / sqrt(var + eps) * w[i] + b[i]   (b may be NULL) */
void qlm_layernorm(float *out, const float *x, const float *w, const float *b, int n, float eps);

/* Rotary position embedding of one head vector, in place.
 * Only the first n_rot dims rotate; pair i turns by theta_i = pos * f_i with
 * f_i = base^(-2i/n_rot) / div[i]. */
typedef struct {
    int n_rot;
    float base;
    bool neox;          /* false: pairs (2i, 2i+1), GGUF llama layout; true: (i, i + n_rot/2) */
    const float *div;   /* n_rot/2 frequency divisors (llama3 rope_freqs), or NULL */
    bool freq_bf16;     /* round f_i to bfloat16, as transformers does when it runs a
                           checkpoint in bf16 (its inv_freq buffer is cast with the model) */
} qlm_rope_cfg;
/* In two steps, so that the heads of a token share one set of angles: cs[2i], cs[2i+1]
 * = cos, sin of theta_i (n_rot floats), then the rotation of one head vector. */
#define QLM_ROPE_MAX_ROT 4096 /* = the largest head_dim model.c accepts */
void qlm_rope_angles(float *cs, int pos, const qlm_rope_cfg *cfg);
void qlm_rope_apply(float *x, const float *cs, const qlm_rope_cfg *cfg);

/* In-place softmax over n values; returns nothing, max-subtracted for stability. */
void qlm_softmax(float *x, int n);

/* g[i] = silu(g[i]) * u[i] */
void qlm_silu_mul(float *g, const float *u, int n);

/* GELU, tanh approximation (gelu_new / gelu_pytorch_tanh): in place */
void qlm_gelu(float *x, int n);
/* g[i] = gelu(g[i]) * u[i] */
void qlm_gelu_mul(float *g, const float *u, int n);

/* y[i] += x[i] */
void qlm_add(float *restrict y, const float *restrict x, int n);

/* Index of the largest value (first one on ties). */
int qlm_argmax(const float *x, int n);

#endif
