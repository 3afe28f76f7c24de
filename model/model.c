/* Model loading: read hyperparameters from GGUF metadata, bind tensor views into the
 * map, and check every shape and type against what the forward pass will assume. */
#include "model.h"
#include "huge_pages.h"
#include "../ggml-like/kernels.h"
#include "../ggml-like/threadpool.h"
#include "../quant/quants.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upper bounds that keep every size computation far from overflow; real models are
 * well inside them. */
#define MAX_EMBD   (1 << 17)
#define MAX_LAYERS 4096
#define MAX_HEADS  4096
#define MAX_FF     (1 << 20)
#define MAX_VOCAB  (1 << 24)

static bool key_u32(const qlm_gguf *g, const char *arch, const char *suffix, uint32_t *out) {
    char key[256];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    return qlm_gguf_get_u32(g, key, out);
}

static bool key_f32(const qlm_gguf *g, const char *arch, const char *suffix, float *out) {
    char key[256];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    return qlm_gguf_get_f32(g, key, out);
}

static qlm_status need_u32(const qlm_gguf *g, const char *arch, const char *suffix,
                           uint32_t lo, uint32_t hi, int *out, qlm_error *err) {
    uint32_t v;
    if (!key_u32(g, arch, suffix, &v))
        return qlm_set_error(err, QLM_ERR_FORMAT, "missing or non-integer metadata '%s.%s'", arch, suffix);
    if (v < lo || v > hi)
        return qlm_set_error(err, QLM_ERR_FORMAT, "metadata '%s.%s' = %u is out of range (%u to %u)", arch, suffix, v, lo, hi);
    *out = (int)v;
    return QLM_OK;
}

static qlm_status read_hparams(qlm_model *m, const char *arch, qlm_error *err) {
    const qlm_gguf *g = m->gguf;
    qlm_hparams *hp = &m->hp;
    qlm_status rc;
    if ((rc = need_u32(g, arch, "embedding_length", 1, MAX_EMBD, &hp->n_embd, err)) ||
        (rc = need_u32(g, arch, "block_count", 1, MAX_LAYERS, &hp->n_layer, err)) ||
        (rc = need_u32(g, arch, "feed_forward_length", 1, MAX_FF, &hp->n_ff, err)) ||
        (rc = need_u32(g, arch, "attention.head_count", 1, MAX_HEADS, &hp->n_head, err)))
        return rc;
    uint32_t v;
    hp->n_head_kv = key_u32(g, arch, "attention.head_count_kv", &v) ? (int)v : hp->n_head;
    if (hp->n_head_kv < 1 || hp->n_head_kv > hp->n_head || hp->n_head % hp->n_head_kv)
        return qlm_set_error(err, QLM_ERR_FORMAT, "attention.head_count_kv = %d must divide head_count = %d",
                             hp->n_head_kv, hp->n_head);
    hp->head_dim = key_u32(g, arch, "attention.key_length", &v) ? (int)v : hp->n_embd / hp->n_head;
    if (hp->head_dim < 2 || hp->head_dim > 4096 || hp->head_dim % 2)
        return qlm_set_error(err, QLM_ERR_FORMAT, "invalid head dimension %d", hp->head_dim);
    if (key_u32(g, arch, "attention.value_length", &v) && (int)v != hp->head_dim)
        return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "value_length %u differs from key_length %d", v, hp->head_dim);
    hp->n_rot = key_u32(g, arch, "rope.dimension_count", &v) ? (int)v : hp->head_dim;
    if (hp->n_rot < 0 || hp->n_rot > hp->head_dim || hp->n_rot % 2)
        return qlm_set_error(err, QLM_ERR_FORMAT, "rope.dimension_count = %d is invalid for head dimension %d",
                             hp->n_rot, hp->head_dim);
    hp->n_ctx_train = key_u32(g, arch, "context_length", &v) && v > 0 && v <= (1u << 24) ? (int)v : 2048;
    if (!key_f32(g, arch, "rope.freq_base", &hp->rope_theta)) hp->rope_theta = 10000.0f;
    if (!(hp->rope_theta > 0.0f))
        return qlm_set_error(err, QLM_ERR_FORMAT, "rope.freq_base must be positive");
    if (!key_f32(g, arch, m->arch->eps_key, &hp->norm_eps)) hp->norm_eps = 1e-5f;
    if (!(hp->norm_eps >= 0.0f && hp->norm_eps < 1.0f))
        return qlm_set_error(err, QLM_ERR_FORMAT, "norm epsilon %g is out of range", hp->norm_eps);
    /* sliding window: gemma3 only; llama.cpp uses base 10000 on its local layers */
    hp->n_swa = m->arch->swa_layers && key_u32(g, arch, "attention.sliding_window", &v) ? (int)v : 0;
    if (!key_f32(g, arch, "rope.freq_base_swa", &hp->rope_theta_swa)) hp->rope_theta_swa = 10000.0f;
    char key[128];
    snprintf(key, sizeof key, "%s.rope.freq_bf16", arch);
    /* transformers runs a bf16 checkpoint with its RoPE frequencies cast to bf16 (they are
     * a buffer of the module). qlm's converter records that as ARCH.rope.freq_bf16; in
     * files without the key, a mostly-BF16 file (general.file_type 32) is taken as such
     * a checkpoint, so its logits match transformers' */
    if (!qlm_gguf_get_bool(g, key, &hp->rope_freq_bf16)) {
        uint32_t ft;
        hp->rope_freq_bf16 = qlm_gguf_get_u32(g, "general.file_type", &ft) && ft == 32;
    }
    if (!key_f32(g, arch, "attention.scale", &hp->attn_scale)) hp->attn_scale = 1.0f / sqrtf((float)hp->head_dim);
    if (!(hp->attn_scale > 0.0f && hp->attn_scale < 1e3f))
        return qlm_set_error(err, QLM_ERR_FORMAT, "attention.scale %g is out of range", hp->attn_scale);
    return QLM_OK;
}

/* Bind tensor `name` with the expected shape (ne1 = 0 for a vector). Absent and
 * !required gives an empty view. */
static qlm_status bind(qlm_model *m, qlm_tensor *t, const char *name, int64_t ne0, int64_t ne1,
                       bool required, qlm_error *err) {
    memset(t, 0, sizeof *t);
    const qlm_gguf_tinfo *gt = qlm_gguf_find_tensor(m->gguf, name);
    if (!gt) {
        if (!required) return QLM_OK;
        return qlm_set_error(err, QLM_ERR_FORMAT, "missing tensor '%s'", name);
    }
    int64_t want1 = ne1 ? ne1 : 1;
    if (gt->ne[0] != ne0 || gt->ne[1] != want1 || gt->ne[2] != 1 || gt->ne[3] != 1)
        return qlm_set_error(err, QLM_ERR_FORMAT,
                             "tensor '%s' has shape [%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 "], expected [%" PRId64 ", %" PRId64 "]",
                             name, gt->ne[0], gt->ne[1], gt->ne[2], gt->ne[3], ne0, want1);
    const qlm_type_traits *tt = qlm_type_get(gt->type);
    if (!tt || !tt->supported || !tt->vec_dot)
        return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "tensor '%s' has type %s, which qlm does not support yet",
                             name, qlm_type_name(gt->type));
    /* the activations are converted to vec_dot_type row by row, so the row must also be
     * a whole number of that type's blocks */
    const qlm_type_traits *at = qlm_type_get(tt->vec_dot_type);
    if (ne0 % at->blck_size)
        return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "tensor '%s': row length %" PRId64 " does not fit %s activations",
                             name, ne0, at->name);
    /* norm weights are read as plain floats by the forward pass */
    if (ne1 == 0 && gt->type != QLM_TYPE_F32)
        return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "vector tensor '%s' must be F32, not %s", name, tt->name);
    t->data = gt->data;
    t->type = (qlm_type)gt->type;
    t->ne[0] = gt->ne[0];
    t->ne[1] = want1;
    t->row_size = qlm_row_size(t->type, t->ne[0]);
    return QLM_OK;
}

/* Which layers use the sliding window: an explicit per-layer bool array when the
 * file has one, else llama.cpp's gemma3 rule (5 local layers, then 1 global). */
static bool layer_is_swa(const qlm_model *m, const char *arch, int il) {
    if (!m->hp.n_swa) return false;
    char key[128];
    snprintf(key, sizeof key, "%s.attention.sliding_window_pattern", arch);
    uint32_t type;
    uint64_t n;
    const qlm_gguf_kv *kv;
    if (qlm_gguf_get_arr(m->gguf, key, &type, &n, &kv) && type != GGUF_TYPE_STRING && (uint64_t)il < n)
        return qlm_gguf_arr_i64(kv, (uint64_t)il) != 0;
    return il % 6 < 5;
}

static qlm_status bind_layer(qlm_model *m, const char *arch, int il, qlm_error *err) {
    const qlm_hparams *hp = &m->hp;
    qlm_layer *L = &m->layers[il];
    int64_t d = hp->n_embd, q_dim = (int64_t)hp->n_head * hp->head_dim, kv_dim = (int64_t)hp->n_head_kv * hp->head_dim;
    int64_t ff = hp->n_ff, hd = hp->head_dim;
    char name[96];
    qlm_status rc;
#define BIND(field, suffix, ne0, ne1, req)                                    \
    snprintf(name, sizeof name, "blk.%d.%s", il, suffix);                     \
    if ((rc = bind(m, &L->field, name, ne0, ne1, req, err)) != QLM_OK) return rc;
    BIND(attn_norm, "attn_norm.weight", d, 0, true)
    BIND(attn_norm_b, "attn_norm.bias", d, 0, false)
    /* Q, K, V: separate or fused */
    snprintf(name, sizeof name, "blk.%d.attn_qkv.weight", il);
    bool fused = qlm_gguf_find_tensor(m->gguf, name) != NULL;
    if (fused) {
        BIND(wqkv, "attn_qkv.weight", d, q_dim + 2 * kv_dim, true)
        BIND(bqkv, "attn_qkv.bias", q_dim + 2 * kv_dim, 0, false)
    } else {
        BIND(wq, "attn_q.weight", d, q_dim, true)
        BIND(wk, "attn_k.weight", d, kv_dim, true)
        BIND(wv, "attn_v.weight", d, kv_dim, true)
        BIND(bq, "attn_q.bias", q_dim, 0, false)
        BIND(bk, "attn_k.bias", kv_dim, 0, false)
        BIND(bv, "attn_v.bias", kv_dim, 0, false)
    }
    BIND(q_norm, "attn_q_norm.weight", hd, 0, false)
    BIND(k_norm, "attn_k_norm.weight", hd, 0, false)
    if (!L->q_norm.data != !L->k_norm.data)
        return qlm_set_error(err, QLM_ERR_FORMAT, "layer %d has only one of attn_q_norm / attn_k_norm", il);
    BIND(wo, "attn_output.weight", q_dim, d, true)
    BIND(bo, "attn_output.bias", d, 0, false)
    BIND(attn_post_norm, "post_attention_norm.weight", d, 0, false)
    BIND(ffn_norm, "ffn_norm.weight", d, 0, true)
    BIND(ffn_norm_b, "ffn_norm.bias", d, 0, false)
    if (m->arch->ffn == QLM_FFN_GELU) {
        BIND(w_up, "ffn_up.weight", d, ff, true)
    } else {
        /* gate separate, or fused with up as [gate | up] (phi3) */
        snprintf(name, sizeof name, "blk.%d.ffn_gate.weight", il);
        bool gate = qlm_gguf_find_tensor(m->gguf, name) != NULL;
        BIND(w_up, "ffn_up.weight", d, gate ? ff : 2 * ff, true)
        if (gate) { BIND(w_gate, "ffn_gate.weight", d, ff, true) }
        BIND(b_gate, "ffn_gate.bias", ff, 0, false)
    }
    BIND(b_up, "ffn_up.bias", L->w_up.ne[1], 0, false)
    BIND(w_down, "ffn_down.weight", ff, d, true)
    BIND(b_down, "ffn_down.bias", d, 0, false)
    BIND(ffn_post_norm, "post_ffw_norm.weight", d, 0, false)
#undef BIND
    if (m->arch->norm == QLM_NORM_LAYER && (!L->attn_norm_b.data || !L->ffn_norm_b.data))
        return qlm_set_error(err, QLM_ERR_FORMAT, "layer %d: LayerNorm biases are missing", il);
    L->swa = layer_is_swa(m, arch, il);
    L->rope_theta = L->swa ? hp->rope_theta_swa : hp->rope_theta;
    return QLM_OK;
}

/* The most common weight type among the 2-D tensors, for display. */
static const char *dominant_type(const qlm_gguf *g) {
    uint64_t bytes[QLM_TYPE_COUNT] = {0};
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].ne[1] > 1 && g->tensors[i].type < QLM_TYPE_COUNT)
            bytes[g->tensors[i].type] += g->tensors[i].nbytes;
    int best = -1;
    for (int t = 0; t < QLM_TYPE_COUNT; t++)
        if (bytes[t] && (best < 0 || bytes[t] > bytes[best])) best = t;
    return best < 0 ? "none" : qlm_type_name((uint32_t)best);
}

static qlm_status load_weights(qlm_model *m, qlm_error *err) {
    const qlm_gguf *g = m->gguf;
    qlm_str arch;
    if (!qlm_gguf_get_str(g, "general.architecture", &arch))
        return qlm_set_error(err, QLM_ERR_FORMAT, "missing metadata 'general.architecture'");
    char arch_name[64];
    if (arch.len >= sizeof arch_name)
        return qlm_set_error(err, QLM_ERR_FORMAT, "architecture name is too long");
    memcpy(arch_name, arch.ptr, arch.len);
    arch_name[arch.len] = 0;
    m->arch = qlm_arch_find(arch_name);
    if (!m->arch)
        return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "unsupported architecture '%s' (supported: %s)",
                             arch_name, qlm_arch_list());
    qlm_status rc = read_hparams(m, arch_name, err);
    if (rc) return rc;
    qlm_hparams *hp = &m->hp;

    const qlm_gguf_tinfo *emb = qlm_gguf_find_tensor(g, "token_embd.weight");
    if (!emb) return qlm_set_error(err, QLM_ERR_FORMAT, "missing tensor 'token_embd.weight'");
    if (emb->ne[1] < 1 || emb->ne[1] > MAX_VOCAB)
        return qlm_set_error(err, QLM_ERR_FORMAT, "token_embd.weight has an invalid vocabulary size");
    hp->n_vocab = (int)emb->ne[1];
    if (m->vocab && qlm_vocab_size(m->vocab) > hp->n_vocab)
        return qlm_set_error(err, QLM_ERR_FORMAT, "the tokenizer has %d tokens but token_embd.weight only %d rows",
                             qlm_vocab_size(m->vocab), hp->n_vocab);
    if ((rc = bind(m, &m->tok_embd, "token_embd.weight", hp->n_embd, hp->n_vocab, true, err)) ||
        (rc = bind(m, &m->output_norm, "output_norm.weight", hp->n_embd, 0, true, err)) ||
        (rc = bind(m, &m->output_norm_b, "output_norm.bias", hp->n_embd, 0, false, err)) ||
        (rc = bind(m, &m->output, "output.weight", hp->n_embd, hp->n_vocab, false, err)) ||
        (rc = bind(m, &m->rope_freqs, "rope_freqs.weight", hp->n_rot / 2, 0, false, err)))
        return rc;
    if (m->arch->rope_mode == QLM_ROPE_NONE) {
        const qlm_gguf_tinfo *pe = qlm_gguf_find_tensor(g, "position_embd.weight");
        if (!pe || pe->ne[1] < 1 || pe->ne[1] > (1 << 24))
            return qlm_set_error(err, QLM_ERR_FORMAT, "missing or invalid tensor 'position_embd.weight'");
        if ((rc = bind(m, &m->pos_embd, "position_embd.weight", hp->n_embd, pe->ne[1], true, err))) return rc;
        if (hp->n_ctx_train > pe->ne[1]) hp->n_ctx_train = (int)pe->ne[1];
    }
    if (m->arch->norm == QLM_NORM_LAYER && !m->output_norm_b.data)
        return qlm_set_error(err, QLM_ERR_FORMAT, "missing tensor 'output_norm.bias'");
    if (!m->output.data) m->output = m->tok_embd; /* tied embeddings */

    m->layers = calloc((size_t)hp->n_layer, sizeof *m->layers);
    if (!m->layers) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    for (int il = 0; il < hp->n_layer; il++)
        if ((rc = bind_layer(m, arch_name, il, err))) return rc;

    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const qlm_gguf_tinfo *t = &g->tensors[i];
        m->n_params += t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
        m->weights_bytes += t->nbytes;
    }
    m->file_type = dominant_type(g);
    return QLM_OK;
}

/* A Q4_0 matrix regrouped in place as Q4_0_G8 (same bytes per row, rows whole
 * super-blocks); false: left as it is. */
static bool regroup(qlm_tensor *t, const qlm_tensor *tok_embd) {
    if (!t->data || t->type != QLM_TYPE_Q4_0 || t->ne[0] % 256 || t->data == tok_embd->data) return false;
    uint8_t *d = (uint8_t *)t->data; /* the caller made the weights writable */
    for (int64_t r = 0; r < t->ne[1]; r++) qlm_q4_0_g8_from_q4_0(d + (size_t)r * t->row_size, d + (size_t)r * t->row_size, t->ne[0]);
    t->type = QLM_TYPE_Q4_0_G8;
    return true;
}

/* The interleaved layouts: each from its plain type, 16 rows at a time. */
static const struct {
    qlm_type plain, r16;
    void (*from)(const void *rows, size_t row_bytes, void *dst, int64_t n);
} R16_LAYOUTS[] = {
    {QLM_TYPE_Q4_K, QLM_TYPE_Q4_K_R16, qlm_q4_k_r16_from_q4_k},
    {QLM_TYPE_Q5_K, QLM_TYPE_Q5_K_R16, qlm_q5_k_r16_from_q5_k},
    {QLM_TYPE_Q6_K, QLM_TYPE_Q6_K_R16, qlm_q6_k_r16_from_q6_k},
    {QLM_TYPE_Q4_0, QLM_TYPE_Q4_0_R16, qlm_q4_0_r16_from_q4_0},
    {QLM_TYPE_Q8_0, QLM_TYPE_Q8_0_R16, qlm_q8_0_r16_from_q8_0},
};

/* A matrix of one of those types whose rows come in whole groups of 16 (of a multiple
 * of 256 values: whole R16 blocks) interleaved in place, where the kernels k have a loop
 * for the layout (the same bytes per 16 rows, through a copy of each group's rows;
 * Q6_K_R16's layout depends on where its blocks lie, so they are made in place). The
 * kernels' threads take rows 16 at a time, so a group is never split. 1: done, 0: left
 * as it is, -1: out of memory. */
static int interleave(qlm_tensor *t, const qlm_tensor *tok_embd, const qlm_kernels *k) {
    size_t l = 0;
    while (l < sizeof R16_LAYOUTS / sizeof *R16_LAYOUTS && R16_LAYOUTS[l].plain != t->type) l++;
    if (l == sizeof R16_LAYOUTS / sizeof *R16_LAYOUTS || !k->gemm[R16_LAYOUTS[l].r16]) return 0;
    if (!t->data || t->ne[0] % 256 || t->ne[1] % 16 || t->data == tok_embd->data) return 0;
    const size_t group = 16 * t->row_size;
    uint8_t *d = (uint8_t *)t->data, *tmp = malloc(group); /* the caller made the weights writable */
    if (!tmp) return -1;
    for (int64_t r = 0; r < t->ne[1]; r += 16) {
        memcpy(tmp, d + (size_t)r * t->row_size, group);
        R16_LAYOUTS[l].from(tmp, t->row_size, d + (size_t)r * t->row_size, t->ne[0]);
    }
    free(tmp);
    t->type = R16_LAYOUTS[l].r16;
    return 1;
}

/* The matrices of one rearranging, shared by the pool's threads: each takes the next
 * matrix not yet taken (the sizes differ by 3x and more), so the threads stay busy. */
typedef struct {
    qlm_tensor **mats;
    int n_mats;
    const qlm_tensor *tok_embd;
    const qlm_kernels *k;
    atomic_int next, done, oom;
} rearrange_job;

static void rearrange_task(void *arg, int ith, int nth) {
    (void)ith, (void)nth;
    rearrange_job *j = arg;
    for (int i; (i = atomic_fetch_add(&j->next, 1)) < j->n_mats && !atomic_load(&j->oom);) {
        /* Q4_0: interleaved where there is a loop for it and the rows allow, else regrouped */
        int d = interleave(j->mats[i], j->tok_embd, j->k);
        if (d == 0 && j->k->gemm[QLM_TYPE_Q4_0_G8] && regroup(j->mats[i], j->tok_embd)) d = 1;
        if (d < 0) atomic_store(&j->oom, 1);
        if (d > 0) atomic_fetch_add(&j->done, 1);
    }
}

/* qlm_model_params.repack: Q4_0 matrices to Q4_0_R16 (or, where its loop or the shape
 * is missing, Q4_0_G8), Q4_K, Q5_K, Q6_K and Q8_0 ones to their R16 types,
 * where the active kernels have matrix loops for them. Moving the bytes is
 * bound by memory, so up to 4 threads share it (2 cores here: tl-q4_k_m's load 316-327
 * -> 252-270 ms). */
static qlm_status repack_weights(qlm_model *m, qlm_error *err) {
    const qlm_kernels *k = qlm_kernels_active();
    rearrange_job j = {.tok_embd = &m->tok_embd, .k = k};
    bool any = k->gemm[QLM_TYPE_Q4_0_G8] != NULL;
    for (size_t l = 0; l < sizeof R16_LAYOUTS / sizeof *R16_LAYOUTS; l++) any |= k->gemm[R16_LAYOUTS[l].r16] != NULL;
    if (!any) return QLM_OK;
    j.mats = malloc(((size_t)m->hp.n_layer * 8 + 1) * sizeof *j.mats);
    if (!j.mats) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    for (int il = 0; il < m->hp.n_layer; il++) {
        qlm_layer *L = &m->layers[il];
        qlm_tensor *lm[] = {&L->wq, &L->wk, &L->wv, &L->wqkv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
        for (size_t i = 0; i < 8; i++) j.mats[j.n_mats++] = lm[i];
    }
    j.mats[j.n_mats++] = &m->output;
    atomic_init(&j.next, 0);
    atomic_init(&j.done, 0);
    atomic_init(&j.oom, 0);
    qlm_status rc = qlm_gguf_set_writable(m->gguf, true, err);
    if (rc) { free(j.mats); return rc; }
    const int cores = qlm_physical_cores();
    qlm_pool *pool = qlm_pool_new(cores < 1 ? 1 : cores > 4 ? 4 : cores);
    if (pool) {
        qlm_pool_run(pool, rearrange_task, &j);
        qlm_pool_free(pool);
    } else {
        rearrange_task(&j, 0, 1); /* no threads to be had: this one alone */
    }
    free(j.mats);
    m->n_repacked = atomic_load(&j.done);
    rc = qlm_gguf_set_writable(m->gguf, false, err);
    return atomic_load(&j.oom) ? qlm_set_error(err, QLM_ERR_NOMEM, "out of memory") : rc;
}

qlm_status qlm_model_load(const char *path, const qlm_model_params *params, qlm_model **out,
                          qlm_error *err) {
    *out = NULL;
    qlm_model *m = calloc(1, sizeof *m);
    if (!m) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    qlm_status rc = params && (params->no_mmap || params->repack) && !params->vocab_only
                        ? qlm_gguf_open_read(path, params->progress, params->progress_data, &m->gguf, err)
                        : qlm_gguf_open(path, &m->gguf, err);
    if (rc == QLM_OK) rc = qlm_vocab_load(m->gguf, &m->vocab, err);
    m->vocab_only = params && params->vocab_only;
    if (rc == QLM_OK && m->vocab_only && !m->vocab)
        rc = qlm_set_error(err, QLM_ERR_FORMAT, "'%s' has no tokenizer metadata", path);
    if (rc == QLM_OK && !m->vocab_only) rc = load_weights(m, err);
    if (rc == QLM_OK && !m->vocab_only && params && params->repack)
        rc = repack_weights(m, err);
    qlm_str name;
    if (m->gguf && qlm_gguf_get_str(m->gguf, "general.name", &name)) {
        size_t n = name.len < sizeof m->name - 1 ? name.len : sizeof m->name - 1;
        memcpy(m->name, name.ptr, n);
        m->name[n] = 0;
    }
    if (rc != QLM_OK) {
        /* make sure the message names the file */
        if (err && m->gguf && strncmp(err->message, path, strlen(path)) != 0) qlm_error_prefix(err, path);
        qlm_model_free(m);
        return rc;
    }
    *out = m;
    return QLM_OK;
}

void qlm_model_free(qlm_model *m) {
    if (!m) return;
    qlm_vocab_free(m->vocab);
    free(m->layers);
    qlm_gguf_close(m->gguf);
    free(m);
}

int64_t qlm_model_huge_page_bytes(const qlm_model *m) {
    if (!m || !m->gguf || !m->gguf->base) return -1;
    const int64_t b = qlm_range_huge_bytes(m->gguf->base, (size_t)m->gguf->size);
    /* the memory a file is read into is a little longer than the file (alignment) */
    return b > (int64_t)m->gguf->size ? (int64_t)m->gguf->size : b;
}

void qlm_model_describe(const qlm_model *m, qlm_model_desc *d) {
    memset(d, 0, sizeof *d);
    const qlm_hparams *hp = &m->hp;
    d->arch = m->arch ? m->arch->name : "";
    d->name = m->name;
    d->n_vocab = m->vocab_only ? qlm_vocab_size(m->vocab) : hp->n_vocab;
    d->n_ctx_train = hp->n_ctx_train;
    d->n_embd = hp->n_embd;
    d->n_layer = hp->n_layer;
    d->n_head = hp->n_head;
    d->n_head_kv = hp->n_head_kv;
    d->head_dim = hp->head_dim;
    d->n_ff = hp->n_ff;
    d->rope_theta = hp->rope_theta;
    d->norm_eps = hp->norm_eps;
    d->n_params = m->n_params;
    d->file_size = m->gguf->size;
    d->weights_bytes = m->weights_bytes;
    d->file_type = m->file_type ? m->file_type : "none";
    d->n_repacked = m->n_repacked;
    d->tokenizer = m->vocab ? qlm_vocab_model_name(m->vocab) : "none";
    d->bos = m->vocab ? qlm_vocab_bos(m->vocab) : -1;
    d->eos = m->vocab ? qlm_vocab_eos(m->vocab) : -1;
    d->add_bos = m->vocab ? qlm_vocab_add_bos(m->vocab) : false;
}

bool qlm_token_is_eog(const qlm_model *m, int32_t token) {
    return m->vocab && qlm_vocab_is_eog(m->vocab, token);
}
