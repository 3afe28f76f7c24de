/* The shared transformer forward pass for a batch of tokens.
 *
 * Per layer (llama family):
 *   xb  = rmsnorm(x) * attn_norm
 *   q,k,v = xb Wq, xb Wk, xb Wv          (one matrix-matrix product each)
 *   rope(q, k); append k, v to the cache
 *   att = softmax(q k^T / sqrt(hd)) v     (causal, grouped-query heads)
 *   x  += att Wo
 *   xb  = rmsnorm(x) * ffn_norm
 *   x  += (silu(xb Wgate) * (xb Wup)) Wdown
 * then logits = (rmsnorm(x) * output_norm) Wout for the rows asked for.
 */
#include "context.h"
#include "../ggml-like/fp16.h"
#include "../ggml-like/matmul.h"
#include "../ggml-like/ops.h"

#include <math.h>
#include <string.h>

typedef struct {
    qlm_context *c;
    const int32_t *tokens;
    int n;          /* tokens in this batch */
    int pos0;       /* position of the first one */
    int layer;
    const float *norm_w;   /* for norm_task */
    float *norm_out;
    int norm_first;        /* rows [norm_first, n) */
} fwd_job;

static void embed_task(void *arg, int ith, int nth) {
    fwd_job *j = arg;
    const qlm_model *m = j->c->m;
    long lo, hi;
    qlm_split(j->n, ith, nth, &lo, &hi);
    for (long i = lo; i < hi; i++)
        j->c->kern->to_float[m->tok_embd.type](qlm_tensor_row(&m->tok_embd, j->tokens[i]),
                                               j->c->x + i * m->hp.n_embd, m->hp.n_embd);
}

/* x[i] += proj[i] (when residual), then norm_out[i] = rmsnorm(x[i]) * w */
static void residual_norm(fwd_job *j, int ith, int nth, bool residual) {
    qlm_context *c = j->c;
    int d = c->m->hp.n_embd;
    long lo, hi;
    qlm_split(j->n - j->norm_first, ith, nth, &lo, &hi);
    for (long i = j->norm_first + lo; i < j->norm_first + hi; i++) {
        if (residual) qlm_add(c->x + i * d, c->proj + i * d, d);
        if (j->norm_w) qlm_rmsnorm(j->norm_out + i * d, c->x + i * d, j->norm_w, d, c->m->hp.norm_eps);
    }
}
static void norm_task(void *arg, int ith, int nth) { residual_norm(arg, ith, nth, false); }
static void add_norm_task(void *arg, int ith, int nth) { residual_norm(arg, ith, nth, true); }

/* RoPE on q and k, then store k and v in the cache at their positions. */
static void rope_store_task(void *arg, int ith, int nth) {
    fwd_job *j = arg;
    qlm_context *c = j->c;
    const qlm_hparams *hp = &c->m->hp;
    int hd = hp->head_dim, kv_dim = hp->n_head_kv * hd, q_dim = hp->n_head * hd;
    int neox = c->m->arch->rope_mode == QLM_ROPE_NEOX;
    long lo, hi;
    qlm_split(j->n, ith, nth, &lo, &hi);
    for (long i = lo; i < hi; i++) {
        int pos = j->pos0 + (int)i;
        float *q = c->q + i * q_dim, *k = c->k + i * kv_dim, *v = c->v + i * kv_dim;
        for (int h = 0; h < hp->n_head; h++) qlm_rope(q + h * hd, hp->n_rot, pos, hp->rope_theta, neox);
        for (int h = 0; h < hp->n_head_kv; h++) qlm_rope(k + h * hd, hp->n_rot, pos, hp->rope_theta, neox);
        size_t off = ((size_t)j->layer * c->n_ctx + (size_t)pos) * kv_dim;
        if (c->kv_type == QLM_KV_F16) {
            qlm_f16 *kc = (qlm_f16 *)c->k_cache + off, *vc = (qlm_f16 *)c->v_cache + off;
            for (int e = 0; e < kv_dim; e++) { kc[e] = qlm_f32_to_f16(k[e]); vc[e] = qlm_f32_to_f16(v[e]); }
        } else {
            memcpy((float *)c->k_cache + off, k, (size_t)kv_dim * sizeof(float));
            memcpy((float *)c->v_cache + off, v, (size_t)kv_dim * sizeof(float));
        }
    }
}

/* One (token, head) pair per work item: scores against every cached position up to the
 * token's own, softmax, weighted sum of values. With an f16 cache the query and the
 * probabilities are rounded to f16 first, as llama.cpp's f16 matrix products do, so the
 * results track its reference logits. */
static void attention_task(void *arg, int ith, int nth) {
    fwd_job *j = arg;
    qlm_context *c = j->c;
    const qlm_hparams *hp = &c->m->hp;
    int hd = hp->head_dim, kv_dim = hp->n_head_kv * hd, q_dim = hp->n_head * hd;
    int group = hp->n_head / hp->n_head_kv;
    float scale = 1.0f / sqrtf((float)hd);
    float *scores = c->scores + (size_t)ith * c->n_ctx;
    bool f16 = c->kv_type == QLM_KV_F16;
    size_t layer_off = (size_t)j->layer * c->n_ctx * kv_dim;
    float qh[4096];
    long lo, hi;
    qlm_split((long)j->n * hp->n_head, ith, nth, &lo, &hi);
    for (long w = lo; w < hi; w++) {
        int i = (int)(w / hp->n_head), h = (int)(w % hp->n_head);
        int kvh = h / group, n_pos = j->pos0 + i + 1;
        const float *q = c->q + (size_t)i * q_dim + (size_t)h * hd;
        float *out = c->att + (size_t)i * q_dim + (size_t)h * hd;
        size_t head_off = layer_off + (size_t)kvh * hd;
        if (f16) {
            for (int e = 0; e < hd; e++) qh[e] = qlm_f16_to_f32(qlm_f32_to_f16(q[e]));
            const qlm_f16 *kc = (const qlm_f16 *)c->k_cache + head_off;
            for (int t = 0; t < n_pos; t++) {
                const qlm_f16 *kt = kc + (size_t)t * kv_dim;
                float s = 0.0f;
                for (int e = 0; e < hd; e++) s += qh[e] * qlm_f16_to_f32(kt[e]);
                scores[t] = s * scale;
            }
        } else {
            const float *kc = (const float *)c->k_cache + head_off;
            for (int t = 0; t < n_pos; t++) {
                const float *kt = kc + (size_t)t * kv_dim;
                float s = 0.0f;
                for (int e = 0; e < hd; e++) s += q[e] * kt[e];
                scores[t] = s * scale;
            }
        }
        qlm_softmax(scores, n_pos);
        memset(out, 0, (size_t)hd * sizeof(float));
        if (f16) {
            const qlm_f16 *vc = (const qlm_f16 *)c->v_cache + head_off;
            for (int t = 0; t < n_pos; t++) {
                float p = qlm_f16_to_f32(qlm_f32_to_f16(scores[t]));
                const qlm_f16 *vt = vc + (size_t)t * kv_dim;
                for (int e = 0; e < hd; e++) out[e] += p * qlm_f16_to_f32(vt[e]);
            }
        } else {
            const float *vc = (const float *)c->v_cache + head_off;
            for (int t = 0; t < n_pos; t++) {
                float p = scores[t];
                const float *vt = vc + (size_t)t * kv_dim;
                for (int e = 0; e < hd; e++) out[e] += p * vt[e];
            }
        }
    }
}

static void swiglu_task(void *arg, int ith, int nth) {
    fwd_job *j = arg;
    qlm_context *c = j->c;
    int ff = c->m->hp.n_ff;
    long lo, hi;
    qlm_split(j->n, ith, nth, &lo, &hi);
    for (long i = lo; i < hi; i++) qlm_silu_mul(c->hb + i * ff, c->hb2 + i * ff, ff);
}

static void matmul(qlm_context *c, const qlm_tensor *W, const float *x, float *y, int n) {
    qlm_matmul(c->pool, c->kern, W, x, y, W->ne[1], n, c->mm_scratch);
}

void qlm_forward(qlm_context *c, const int32_t *tokens, int n, bool all_logits, float *out) {
    const qlm_model *m = c->m;
    const qlm_hparams *hp = &m->hp;
    int d = hp->n_embd;
    fwd_job j = {.c = c, .tokens = tokens, .n = n, .pos0 = c->pos};
    qlm_pool_run(c->pool, embed_task, &j);

    for (int il = 0; il < hp->n_layer; il++) {
        const qlm_layer *L = &m->layers[il];
        j.layer = il;
        /* attention block; the previous layer's FFN output is added here */
        j.norm_w = L->attn_norm.data;
        j.norm_out = c->xb;
        j.norm_first = 0;
        qlm_pool_run(c->pool, il == 0 ? norm_task : add_norm_task, &j);
        matmul(c, &L->wq, c->xb, c->q, n);   /* [n][q_dim]  */
        matmul(c, &L->wk, c->xb, c->k, n);   /* [n][kv_dim] */
        matmul(c, &L->wv, c->xb, c->v, n);   /* [n][kv_dim] */
        qlm_pool_run(c->pool, rope_store_task, &j);
        qlm_pool_run(c->pool, attention_task, &j);
        matmul(c, &L->wo, c->att, c->proj, n); /* [n][n_embd] */
        /* feed-forward block */
        j.norm_w = L->ffn_norm.data;
        qlm_pool_run(c->pool, add_norm_task, &j);
        matmul(c, &L->w_gate, c->xb, c->hb, n);  /* [n][n_ff] */
        matmul(c, &L->w_up, c->xb, c->hb2, n);   /* [n][n_ff] */
        qlm_pool_run(c->pool, swiglu_task, &j);
        matmul(c, &L->w_down, c->hb, c->proj, n); /* [n][n_embd] */
    }
    /* the residual stream is needed only for the rows whose logits are wanted: add the
     * last FFN output to those and norm them */
    if (!out) return;
    j.norm_w = m->output_norm.data;
    j.norm_first = all_logits ? 0 : n - 1;
    qlm_pool_run(c->pool, add_norm_task, &j);
    int rows = n - j.norm_first;
    matmul(c, &m->output, c->xb + (size_t)j.norm_first * d, out, rows); /* [rows][n_vocab] */
}
