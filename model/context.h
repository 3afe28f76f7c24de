/* Evaluation state: KV cache, scratch buffers, thread pool. Internal. */
#ifndef QLM_CONTEXT_H
#define QLM_CONTEXT_H

#include "model.h"
#include "../ggml-like/threadpool.h"
#include "../ggml-like/kernels.h"

struct qlm_context {
    qlm_model *m;
    int n_ctx, n_batch, n_threads;
    qlm_kv_type kv_type;
    qlm_pool *pool;
    const qlm_kernels *kern;
    size_t kv_elt;            /* bytes per cache element: 2 (f16) or 4 (f32) */
    void *k_cache, *v_cache;  /* [n_layer][n_ctx][n_head_kv * head_dim] */
    int pos;                  /* tokens stored in the cache */
    /* per-batch scratch, [n_batch][width] each */
    float *x;                 /* residual stream        [n_batch][n_embd] */
    float *xb;                /* normed input           [n_batch][max(n_embd, q_dim)] */
    float *q;                 /* queries                [n_batch][q_dim] */
    float *k;                 /* keys                   [n_batch][kv_dim] */
    float *v;                 /* values                 [n_batch][kv_dim] */
    float *att;               /* attention output       [n_batch][q_dim] */
    float *qkv;               /* fused projection       [n_batch][q_dim + 2 kv_dim] */
    float *hb, *hb2;          /* feed-forward hidden    [n_batch][2 n_ff] / [n_batch][n_ff] */
    float *proj;              /* projection output      [n_batch][n_embd] */
    float *scores;            /* per thread             [n_threads][n_ctx] */
    float *rope_cs;           /* RoPE cos, sin pairs    [n_batch][n_rot] (qlm_rope_angles) */
    void *mm_scratch;         /* quantized activations */
    float *logits;            /* [n_logits][n_vocab] */
    size_t logits_cap;        /* rows allocated */
    int n_logits;
};

/* Run one chunk of n <= n_batch tokens at positions c->pos.. and write logits for the
 * last token (or every token with all_logits) to out ([rows][n_vocab]). */
void qlm_forward(qlm_context *c, const int32_t *tokens, int n, bool all_logits, float *out);

#endif
