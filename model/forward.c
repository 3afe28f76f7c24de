/* The shared transformer forward pass for a batch of tokens, for every architecture.
 *
 * Per layer:
 *   xb  = norm(x) * attn_norm (+ bias)               RMSNorm, or LayerNorm (gpt2)
 *   q,k,v = xb Wq, xb Wk, xb Wv (+ biases)            or one fused Wqkv (phi3, gpt2)
 *   q,k = per-head RMSNorm                            when the file has Q/K norms
 *   rope(q, k); append k, v to the cache              (not for learned positions)
 *   att = softmax(q k^T * scale) v                    causal, GQA, optional window
 *   x  += post_norm(att Wo (+ bias))                  post norm: gemma3
 *   xb  = norm(x) * ffn_norm (+ bias)
 *   x  += post_norm(FFN(xb))                          SwiGLU, GeGLU or GELU
 * then logits = norm(x) Wout for the rows asked for.
 */
#include "context.h"
#include "../ggml-like/fp16.h"
#include "../ggml-like/matmul.h"
#include "../ggml-like/ops.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

typedef struct {
    qlm_context *c;
    const int32_t *tokens;
    int n;              /* tokens in this batch */
    int pos0;           /* position of the first one */
    const qlm_layer *L;
    int layer;
    /* residual_norm: x[i] += add[i] (if add), then out[i] = norm(x[i]) for rows >= first */
    const float *add;
    const qlm_tensor *post_norm; /* normalises add before it joins the residual */
    const qlm_tensor *norm_w, *norm_b;
    float *norm_out;
    int first;
    atomic_long next;   /* attention: the next unclaimed work item */
} fwd_job;

static const float *vec(const qlm_tensor *t) { return (const float *)t->data; }

static void norm_row(const qlm_context *c, float *out, const float *x, const qlm_tensor *w, const qlm_tensor *b) {
    const qlm_model *m = c->m;
    int d = m->hp.n_embd;
    if (m->arch->norm == QLM_NORM_LAYER) qlm_layernorm(out, x, vec(w), b ? vec(b) : NULL, d, m->hp.norm_eps);
    else c->kern->rmsnorm(out, x, vec(w), d, m->hp.norm_eps);
}

static void embed_task(void *arg, int ith, int nth) {
    fwd_job *j = arg;
    const qlm_model *m = j->c->m;
    int d = m->hp.n_embd;
    float scale = sqrtf((float)d);
    long lo, hi;
    qlm_split(j->n, ith, nth, &lo, &hi);
    for (long i = lo; i < hi; i++) {
        float *x = j->c->x + i * d;
        j->c->kern->to_float[m->tok_embd.type](qlm_tensor_row(&m->tok_embd, j->tokens[i]), x, d);
        if (m->arch->embd_scale)
            for (int e = 0; e < d; e++) x[e] *= scale;
        if (m->pos_embd.data) {
            float pe[m->hp.n_embd];
            j->c->kern->to_float[m->pos_embd.type](qlm_tensor_row(&m->pos_embd, j->pos0 + i), pe, d);
            qlm_add(x, pe, d);
        }
    }
}

static void residual_norm_task(void *arg, int ith, int nth) {
    fwd_job *j = arg;
    qlm_context *c = j->c;
    const qlm_model *m = c->m;
    int d = m->hp.n_embd;
    long lo, hi;
    qlm_split(j->n - j->first, ith, nth, &lo, &hi);
    for (long i = j->first + lo; i < j->first + hi; i++) {
        float *x = c->x + i * d;
        if (j->add) {
            float *a = (float *)j->add + i * d;
            if (j->post_norm && j->post_norm->data) qlm_rmsnorm(a, a, vec(j->post_norm), d, m->hp.norm_eps);
            qlm_add(x, a, d);
        }
        if (j->norm_w) norm_row(j->c, j->norm_out + i * d, x, j->norm_w, j->norm_b);
    }
}

/* y[i] += b for each of n rows of width w */
static void add_bias(float *y, const qlm_tensor *b, int n, int w, int ld) {
    if (!b->data) return;
    for (int i = 0; i < n; i++) qlm_add(y + (size_t)i * ld, vec(b), w);
}

/* The RoPE settings of layer L (its base: sliding-window layers may have their own). */
static qlm_rope_cfg rope_cfg(const qlm_model *m, const qlm_layer *L) {
    const qlm_hparams *hp = &m->hp;
    const float *freq_div = m->rope_freqs.data ? vec(&m->rope_freqs) : NULL;
    return (qlm_rope_cfg){hp->n_rot, L->rope_theta, m->arch->rope_mode == QLM_ROPE_NEOX, freq_div,
                          hp->rope_freq_bf16};
}

/* The cos/sin pairs of each token's position, once per batch and RoPE base instead of
 * once per layer: n_rot/2 powf, cosf and sinf per token were a third of qkv_post_task. */
static void rope_table_task(void *arg, int ith, int nth) {
    fwd_job *j = arg;
    const qlm_context *c = j->c;
    const int n_rot = c->m->hp.n_rot;
    const qlm_rope_cfg rc = rope_cfg(c->m, j->L);
    long lo, hi;
    qlm_split(j->n, ith, nth, &lo, &hi);
    for (long i = lo; i < hi; i++) qlm_rope_angles(c->rope_cs + i * n_rot, j->pos0 + (int)i, &rc);
}

/* Biases, Q/K norms and RoPE on q and k; then k and v go to the cache. */
static void qkv_post_task(void *arg, int ith, int nth) {
    fwd_job *j = arg;
    qlm_context *c = j->c;
    const qlm_model *m = c->m;
    const qlm_hparams *hp = &m->hp;
    const qlm_layer *L = j->L;
    int hd = hp->head_dim, kv_dim = hp->n_head_kv * hd, q_dim = hp->n_head * hd;
    const bool rope = m->arch->rope_mode != QLM_ROPE_NONE;
    const qlm_rope_cfg rc = rope_cfg(m, L);
    long lo, hi;
    qlm_split(j->n, ith, nth, &lo, &hi);
    for (long i = lo; i < hi; i++) {
        int pos = j->pos0 + (int)i;
        float *q = c->q + i * q_dim, *k = c->k + i * kv_dim, *v = c->v + i * kv_dim;
        if (L->wqkv.data) { /* split the fused rows: [q | k | v] */
            const float *f = c->qkv + i * (q_dim + 2 * kv_dim);
            memcpy(q, f, (size_t)q_dim * sizeof *q);
            memcpy(k, f + q_dim, (size_t)kv_dim * sizeof *k);
            memcpy(v, f + q_dim + kv_dim, (size_t)kv_dim * sizeof *v);
            add_bias(q, &(qlm_tensor){.data = L->bqkv.data}, 1, q_dim, q_dim);
            if (L->bqkv.data) {
                qlm_add(k, vec(&L->bqkv) + q_dim, kv_dim);
                qlm_add(v, vec(&L->bqkv) + q_dim + kv_dim, kv_dim);
            }
        } else {
            add_bias(q, &L->bq, 1, q_dim, q_dim);
            add_bias(k, &L->bk, 1, kv_dim, kv_dim);
            add_bias(v, &L->bv, 1, kv_dim, kv_dim);
        }
        if (L->q_norm.data) {
            for (int h = 0; h < hp->n_head; h++) qlm_rmsnorm(q + h * hd, q + h * hd, vec(&L->q_norm), hd, hp->norm_eps);
            for (int h = 0; h < hp->n_head_kv; h++) qlm_rmsnorm(k + h * hd, k + h * hd, vec(&L->k_norm), hd, hp->norm_eps);
        }
        if (rope) {
            const float *cs = c->rope_cs + i * hp->n_rot; /* rope_table_task */
            for (int h = 0; h < hp->n_head; h++) qlm_rope_apply(q + h * hd, cs, &rc);
            for (int h = 0; h < hp->n_head_kv; h++) qlm_rope_apply(k + h * hd, cs, &rc);
        }
        size_t off = ((size_t)j->layer * c->n_ctx + (size_t)pos) * kv_dim;
        if (c->kv_type == QLM_KV_F16) { /* rounded to nearest even, as qlm_f32_to_f16 */
            c->kern->from_float[QLM_TYPE_F16](k, (qlm_f16 *)c->k_cache + off, kv_dim);
            c->kern->from_float[QLM_TYPE_F16](v, (qlm_f16 *)c->v_cache + off, kv_dim);
        } else {
            memcpy((float *)c->k_cache + off, k, (size_t)kv_dim * sizeof(float));
            memcpy((float *)c->v_cache + off, v, (size_t)kv_dim * sizeof(float));
        }
    }
}

/* One (block of attn_tokens tokens, KV head) pair per work item: the query heads
 * sharing that KV head (GQA) attend to the cached positions each token may see (all
 * earlier ones, or the last n_swa on a sliding-window layer) through the kernel table's
 * attention, which converts the K/V rows once for the whole item (see kernels.h for the
 * f16 rounding that tracks llama.cpp). Threads claim items from a shared counter, the
 * last tokens' first: with a causal mask later tokens see more positions, so the big
 * items go early and the small ones even out the end; a thread on a slower core simply
 * claims fewer. */
/* Each item converts its K/V rows once for all its tokens' heads: 16 tokens (or what
 * the kernel table asks for: 32 with AMX tiles) halve that work against 8 and still
 * give a 512-token prompt 32 (16) items per KV head. */
static int attn_tokens(const qlm_kernels *k) { return k->attn_tokens > 0 ? k->attn_tokens : 16; }

static void attention_task(void *arg, int ith, int nth) {
    fwd_job *j = arg;
    qlm_context *c = j->c;
    const qlm_hparams *hp = &c->m->hp;
    int hd = hp->head_dim, kv_dim = hp->n_head_kv * hd, q_dim = hp->n_head * hd;
    int group = hp->n_head / hp->n_head_kv;
    float *scores = c->scores + (size_t)ith * c->n_ctx;
    bool f16 = c->kv_type == QLM_KV_F16;
    size_t layer_off = (size_t)j->layer * c->n_ctx * kv_dim;
    const int tb = attn_tokens(c->kern);
    long n_blocks = (j->n + tb - 1) / tb;
    long n_items = n_blocks * hp->n_head_kv;
    (void)nth;
    for (;;) {
        long u = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (u >= n_items) break;
        long w = n_items - 1 - u;
        int blk = (int)(w / hp->n_head_kv), kvh = (int)(w % hp->n_head_kv);
        int i0 = blk * tb, i1 = i0 + tb < j->n ? i0 + tb : j->n;
        for (int i = i0; i < i1;) {
            /* a sliding window moves the first visible position: such tokens go alone */
            int end = j->pos0 + i + 1;
            bool window = j->L->swa && hp->n_swa > 0 && j->pos0 + i1 > hp->n_swa;
            int start = window && end > hp->n_swa ? end - hp->n_swa : 0;
            int nt = window ? 1 : i1 - i;
            size_t qo = (size_t)i * q_dim + (size_t)kvh * group * hd;
            size_t off = (layer_off + (size_t)start * kv_dim + (size_t)kvh * hd) * c->kv_elt;
            c->kern->attn(c->q + qo, c->att + qo, (size_t)q_dim, nt, group, (const char *)c->k_cache + off,
                          (const char *)c->v_cache + off, (size_t)kv_dim, end - start, hd,
                          hp->attn_scale, f16, scores);
            i += nt;
        }
    }
}

/* hb = act(gate) * up, or act(up) for plain GELU; biases first. A fused [gate | up]
 * projection (phi3) sits in hb as rows of 2 n_ff. */
static void ffn_act_task(void *arg, int ith, int nth) {
    fwd_job *j = arg;
    qlm_context *c = j->c;
    const qlm_layer *L = j->L;
    int ff = c->m->hp.n_ff;
    qlm_ffn_kind kind = c->m->arch->ffn;
    bool fused = kind != QLM_FFN_GELU && !L->w_gate.data;
    long lo, hi;
    qlm_split(j->n, ith, nth, &lo, &hi);
    for (long i = lo; i < hi; i++) {
        if (kind == QLM_FFN_GELU) {
            float *u = c->hb + i * ff;
            add_bias(u, &L->b_up, 1, ff, ff);
            qlm_gelu(u, ff);
            continue;
        }
        float *g, *u;
        if (fused) {
            g = c->hb + i * 2 * ff;
            u = g + ff;
            add_bias(g, &L->b_up, 1, 2 * ff, 2 * ff);
        } else {
            g = c->hb + i * ff;
            u = c->hb2 + i * ff;
            add_bias(g, &L->b_gate, 1, ff, ff);
            add_bias(u, &L->b_up, 1, ff, ff);
        }
        if (kind == QLM_FFN_SWIGLU) c->kern->silu_mul(g, u, ff);
        else qlm_gelu_mul(g, u, ff);
        if (fused) memmove(c->hb2 + i * ff, g, (size_t)ff * sizeof *g); /* compact rows */
    }
}

static void out_bias_task(void *arg, int ith, int nth) {
    fwd_job *j = arg;
    long lo, hi;
    qlm_split(j->n, ith, nth, &lo, &hi);
    int d = j->c->m->hp.n_embd;
    const qlm_tensor *b = j->norm_b; /* reused field: the bias to add to proj */
    for (long i = lo; i < hi; i++) qlm_add(j->c->proj + i * d, vec(b), d);
}

static void matmul(qlm_context *c, const qlm_tensor *W, const float *x, float *y, int n) {
    qlm_matmul(c->pool, c->kern, W, x, y, W->ne[1], n, c->mm_scratch);
}

static void add_proj_bias(qlm_context *c, fwd_job *j, const qlm_tensor *b) {
    if (!b->data) return;
    const qlm_tensor *saved = j->norm_b;
    j->norm_b = b;
    qlm_pool_run(c->pool, out_bias_task, j);
    j->norm_b = saved;
}

void qlm_forward(qlm_context *c, const int32_t *tokens, int n, bool all_logits, float *out) {
    const qlm_model *m = c->m;
    const qlm_hparams *hp = &m->hp;
    int d = hp->n_embd;
    fwd_job j = {.c = c, .tokens = tokens, .n = n, .pos0 = c->pos};
    qlm_pool_run(c->pool, embed_task, &j);

    for (int il = 0; il < hp->n_layer; il++) {
        const qlm_layer *L = &m->layers[il];
        j.L = L;
        j.layer = il;
        /* attention block; the previous layer's FFN output joins the residual here */
        j.add = il == 0 ? NULL : c->proj;
        j.post_norm = il == 0 ? NULL : &m->layers[il - 1].ffn_post_norm;
        j.norm_w = &L->attn_norm;
        j.norm_b = &L->attn_norm_b;
        j.norm_out = c->xb;
        j.first = 0;
        qlm_pool_run(c->pool, residual_norm_task, &j);
        if (L->wqkv.data) {
            matmul(c, &L->wqkv, c->xb, c->qkv, n);  /* [n][q_dim + 2 kv_dim] */
        } else {
            /* q [n][q_dim], k [n][kv_dim], v [n][kv_dim]: one step, one activation prep */
            const qlm_tensor *W[3] = {&L->wq, &L->wk, &L->wv};
            float *Y[3] = {c->q, c->k, c->v};
            int64_t ld[3] = {L->wq.ne[1], L->wk.ne[1], L->wv.ne[1]};
            qlm_matmul_fused(c->pool, c->kern, 3, W, c->xb, Y, ld, n, c->mm_scratch);
        }
        if (m->arch->rope_mode != QLM_ROPE_NONE && (il == 0 || L->rope_theta != m->layers[il - 1].rope_theta))
            qlm_pool_run(c->pool, rope_table_task, &j);
        qlm_pool_run(c->pool, qkv_post_task, &j);
        atomic_store(&j.next, 0);
        qlm_pool_run(c->pool, attention_task, &j);
        matmul(c, &L->wo, c->att, c->proj, n);      /* [n][n_embd] */
        add_proj_bias(c, &j, &L->bo);
        /* feed-forward block */
        j.add = c->proj;
        j.post_norm = &L->attn_post_norm;
        j.norm_w = &L->ffn_norm;
        j.norm_b = &L->ffn_norm_b;
        qlm_pool_run(c->pool, residual_norm_task, &j);
        if (m->arch->ffn == QLM_FFN_GELU) {
            matmul(c, &L->w_up, c->xb, c->hb, n);   /* [n][n_ff] */
        } else if (L->w_gate.data) {
            /* gate -> hb [n][n_ff], up -> hb2 [n][n_ff], in one step */
            const qlm_tensor *W[2] = {&L->w_gate, &L->w_up};
            float *Y[2] = {c->hb, c->hb2};
            int64_t ld[2] = {L->w_gate.ne[1], L->w_up.ne[1]};
            qlm_matmul_fused(c->pool, c->kern, 2, W, c->xb, Y, ld, n, c->mm_scratch);
        } else {
            matmul(c, &L->w_up, c->xb, c->hb, n);   /* [n][2 n_ff] = gate | up */
        }
        qlm_pool_run(c->pool, ffn_act_task, &j);
        /* the activation lands in hb (GELU, separate gate) or hb2 (fused gate|up) */
        const float *act = m->arch->ffn != QLM_FFN_GELU && !L->w_gate.data ? c->hb2 : c->hb;
        matmul(c, &L->w_down, act, c->proj, n);      /* [n][n_embd] */
        add_proj_bias(c, &j, &L->b_down);
    }
    /* the residual stream is needed only for the rows whose logits are wanted: add the
     * last FFN output to those and norm them */
    if (!out) return;
    j.add = c->proj;
    j.post_norm = &m->layers[hp->n_layer - 1].ffn_post_norm;
    j.norm_w = &m->output_norm;
    j.norm_b = &m->output_norm_b;
    j.first = all_logits ? 0 : n - 1;
    qlm_pool_run(c->pool, residual_norm_task, &j);
    int rows = n - j.first;
    matmul(c, &m->output, c->xb + (size_t)j.first * d, out, rows); /* [rows][n_vocab] */
}
