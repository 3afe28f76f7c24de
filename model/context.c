/* Context life cycle and batched evaluation on top of qlm_forward. */
#include "context.h"
#include "../ggml-like/matmul.h"

#include <stdlib.h>
#include <string.h>

qlm_context_params qlm_context_default_params(void) {
    qlm_context_params p = {.n_ctx = 0, .n_threads = 0, .n_batch = 512, .kv_type = QLM_KV_F16};
    return p;
}

void qlm_context_free(qlm_context *c) {
    if (!c) return;
    qlm_pool_free(c->pool);
    free(c->k_cache); free(c->v_cache);
    free(c->x); free(c->xb); free(c->q); free(c->k); free(c->v); free(c->att); free(c->qkv);
    free(c->hb); free(c->hb2); free(c->proj); free(c->scores); free(c->rope_cs); free(c->mm_scratch);
    free(c->logits);
    free(c);
}

static void *alloc_floats(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

/* A weight matrix the kernels k cannot multiply by one token (no matrix loop and no
 * vec_dot for its type), or NULL. Only qlm's in-memory layouts can be such: a model
 * rearranged by .repack for one kernel path, then a context made after qlm_isa_set
 * chose another. */
static const qlm_tensor *uncomputable(const qlm_model *m, const qlm_kernels *k) {
    for (int il = 0; il <= m->hp.n_layer; il++) {
        const qlm_layer *L = il < m->hp.n_layer ? &m->layers[il] : NULL;
        const qlm_tensor *mats[] = {L ? &L->wq : &m->output, L ? &L->wk : NULL, L ? &L->wv : NULL,
                                    L ? &L->wqkv : NULL, L ? &L->wo : NULL, L ? &L->w_gate : NULL,
                                    L ? &L->w_up : NULL, L ? &L->w_down : NULL};
        for (size_t i = 0; i < sizeof mats / sizeof *mats; i++) {
            const qlm_tensor *t = mats[i];
            if (!t || !t->data) continue;
            if (!(k->gemm[t->type] && k->gemm_min_tokens[t->type] <= 1) && !k->vec_dot[t->type]) return t;
        }
    }
    return NULL;
}

qlm_status qlm_context_new(qlm_model *m, const qlm_context_params *p, qlm_context **out,
                           qlm_error *err) {
    *out = NULL;
    if (!m || m->vocab_only)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "the model was loaded without weights");
    qlm_context_params dp = qlm_context_default_params();
    if (!p) p = &dp;
    const qlm_hparams *hp = &m->hp;
    if (p->n_ctx < 0 || p->n_ctx > (1 << 24) || p->n_threads < 0 || p->n_threads > 1024 ||
        p->n_batch < 0 || p->n_batch > (1 << 16) || (p->kv_type != QLM_KV_F16 && p->kv_type != QLM_KV_F32))
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "invalid context parameters");
    const qlm_tensor *bad = uncomputable(m, qlm_kernels_active());
    if (bad)
        return qlm_set_error(err, QLM_ERR_UNSUPPORTED,
                             "the %s kernels cannot compute %s weights (rearranged by --repack for another kernel "
                             "path): load the model again",
                             qlm_isa_name(), qlm_type_get(bad->type)->name);
    qlm_context *c = calloc(1, sizeof *c);
    if (!c) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    c->m = m;
    c->n_ctx = p->n_ctx ? p->n_ctx : (hp->n_ctx_train < 4096 ? hp->n_ctx_train : 4096);
    c->n_batch = p->n_batch ? p->n_batch : 512;
    if (c->n_batch > c->n_ctx) c->n_batch = c->n_ctx;
    c->n_threads = p->n_threads ? p->n_threads : qlm_physical_cores();
    c->kv_type = p->kv_type;
    c->kv_elt = p->kv_type == QLM_KV_F16 ? 2 : 4;
    c->kern = qlm_kernels_active();

    size_t q_dim = (size_t)hp->n_head * hp->head_dim, kv_dim = (size_t)hp->n_head_kv * hp->head_dim;
    size_t nb = (size_t)c->n_batch;
    size_t kv_bytes = (size_t)hp->n_layer * (size_t)c->n_ctx * kv_dim * c->kv_elt;
    size_t xb_w = q_dim > (size_t)hp->n_embd ? q_dim : (size_t)hp->n_embd;
    size_t mm_in = (size_t)hp->n_ff > xb_w ? (size_t)hp->n_ff : xb_w;
    c->k_cache = calloc(1, kv_bytes);
    c->v_cache = calloc(1, kv_bytes);
    c->x = alloc_floats(nb * hp->n_embd);
    c->xb = alloc_floats(nb * xb_w);
    c->q = alloc_floats(nb * q_dim);
    c->k = alloc_floats(nb * kv_dim);
    c->v = alloc_floats(nb * kv_dim);
    c->att = alloc_floats(nb * q_dim);
    c->qkv = alloc_floats(nb * (q_dim + 2 * kv_dim));
    c->hb = alloc_floats(nb * 2 * (size_t)hp->n_ff); /* room for a fused gate|up */
    c->hb2 = alloc_floats(nb * hp->n_ff);
    c->proj = alloc_floats(nb * hp->n_embd);
    c->scores = alloc_floats((size_t)c->n_threads * c->n_ctx);
    c->rope_cs = alloc_floats(nb * (size_t)(hp->n_rot > 0 ? hp->n_rot : 1));
    c->mm_scratch = malloc(qlm_matmul_scratch_size((int64_t)mm_in, c->n_batch));
    c->pool = qlm_pool_new(c->n_threads);
    if (!c->k_cache || !c->v_cache || !c->x || !c->xb || !c->q || !c->k || !c->v || !c->att || !c->qkv ||
        !c->hb || !c->hb2 || !c->proj || !c->scores || !c->rope_cs || !c->mm_scratch || !c->pool) {
        qlm_context_free(c);
        return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory creating a context of %d tokens (KV cache %zu MiB)",
                             p->n_ctx, 2 * kv_bytes >> 20);
    }
    *out = c;
    return QLM_OK;
}

int qlm_context_n_ctx(const qlm_context *c) { return c->n_ctx; }
int qlm_context_pos(const qlm_context *c) { return c->pos; }

void qlm_context_truncate(qlm_context *c, int pos) {
    if (pos < 0) pos = 0;
    if (pos < c->pos) c->pos = pos; /* later positions are simply overwritten */
}

static bool ensure_logits(qlm_context *c, size_t rows) {
    if (rows <= c->logits_cap) return true;
    float *l = realloc(c->logits, rows * (size_t)c->m->hp.n_vocab * sizeof(float));
    if (!l) return false;
    c->logits = l;
    c->logits_cap = rows;
    return true;
}

qlm_status qlm_eval(qlm_context *c, const int32_t *tokens, int n, bool all_logits, qlm_error *err) {
    if (n <= 0) return qlm_set_error(err, QLM_ERR_INVALID_ARG, "qlm_eval needs at least one token");
    if (n > c->n_ctx - c->pos)
        return qlm_set_error(err, QLM_ERR_CONTEXT_FULL, "%d tokens do not fit: %d of the context's %d positions are used",
                             n, c->pos, c->n_ctx);
    int n_vocab = c->m->hp.n_vocab;
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= n_vocab)
            return qlm_set_error(err, QLM_ERR_INVALID_ARG, "token id %d is out of range (vocabulary of %d)", tokens[i], n_vocab);
    if (!ensure_logits(c, all_logits ? (size_t)n : 1))
        return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for logits");
    for (int i = 0; i < n; i += c->n_batch) {
        int chunk = n - i < c->n_batch ? n - i : c->n_batch;
        bool last = i + chunk == n;
        float *out = all_logits ? c->logits + (size_t)i * n_vocab : c->logits;
        /* without all_logits only the final chunk computes (its last) logits */
        qlm_forward(c, tokens + i, chunk, all_logits, all_logits || last ? out : NULL);
        c->pos += chunk;
    }
    c->n_logits = all_logits ? n : 1;
    return QLM_OK;
}

const float *qlm_logits(const qlm_context *c, int i) {
    if (i < 0 || i >= c->n_logits) return NULL;
    return c->logits + (size_t)i * c->m->hp.n_vocab;
}
