/* Per-tensor type choice of the quantizer, with llama.cpp's rules (src/llama-quant.cpp,
 * February 2025) for the file types qlm writes. Facts taken from there:
 *
 *  - Only weight matrices are quantized: a name ending in "weight", at least 2
 *    dimensions, not a norm, not the MoE router, learned positions, token types, or a
 *    few small special tensors. Everything else is copied unchanged (F32 norms and
 *    biases stay F32 whatever the target).
 *  - In the quantized file types, output.weight - or token_embd.weight when the model
 *    ties its output to the embeddings - goes to Q6_K (Q8_0 stays Q8_0; falcon, or a
 *    row that the base type does not divide, gets Q8_0).
 *  - Q4_K_M / Q5_K_M give Q6_K to attn_v and ffn_down in the first eighth of the
 *    layers, the last eighth, and every third layer between (use_more_bits); attn_qkv
 *    gets Q5_K / Q6_K. Q4_K_S gives Q5_K to the first 4 attn_v and to ffn_down in the
 *    first eighth of the layers. MoE models with 8 experts and 70B models get a few more
 *    promotions (below).
 *  - The layer of attn_v / ffn_down is a running count of those tensors in the
 *    processing order (by layer, then name), not the number in the name, except in
 *    MoE models where it is read from the name.
 *  - A row length that the chosen type's blocks do not divide falls back: Q4_K -> Q5_0,
 *    Q5_K -> Q5_1, Q6_K -> Q8_0, and to F16 when that does not fit either. (This is how
 *    stories260K's 172-wide ffn_down ends up F16 and its 64-wide output Q8_0.)
 *
 * Two deliberate differences: llama.cpp stops with an error when a legacy type (Q4_0,
 * Q5_0, ...) does not fit a row, and skips the fallback altogether under --pure (then
 * fails inside ggml); qlm falls back to F16 in both cases so the file can be written.
 */
#include "quantize.h"

#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const qlm_ftype_info FTYPES[] = {
    {"F32", QLM_FTYPE_ALL_F32, QLM_TYPE_F32},
    {"F16", QLM_FTYPE_F16, QLM_TYPE_F16},
    {"BF16", QLM_FTYPE_BF16, QLM_TYPE_BF16},
    {"Q8_0", QLM_FTYPE_Q8_0, QLM_TYPE_Q8_0},
    {"Q4_0", QLM_FTYPE_Q4_0, QLM_TYPE_Q4_0},
    {"Q4_1", QLM_FTYPE_Q4_1, QLM_TYPE_Q4_1},
    {"Q5_0", QLM_FTYPE_Q5_0, QLM_TYPE_Q5_0},
    {"Q5_1", QLM_FTYPE_Q5_1, QLM_TYPE_Q5_1},
    {"Q4_K", QLM_FTYPE_Q4_K_M, QLM_TYPE_Q4_K}, /* llama-quantize's alias of Q4_K_M */
    {"Q4_K_S", QLM_FTYPE_Q4_K_S, QLM_TYPE_Q4_K},
    {"Q4_K_M", QLM_FTYPE_Q4_K_M, QLM_TYPE_Q4_K},
    {"Q5_K", QLM_FTYPE_Q5_K_M, QLM_TYPE_Q5_K}, /* alias of Q5_K_M */
    {"Q5_K_S", QLM_FTYPE_Q5_K_S, QLM_TYPE_Q5_K},
    {"Q5_K_M", QLM_FTYPE_Q5_K_M, QLM_TYPE_Q5_K},
    {"Q6_K", QLM_FTYPE_Q6_K, QLM_TYPE_Q6_K},
};

const char *qlm_quantize_type_names(void) {
    return "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, "
           "Q6_K, Q4_K (= Q4_K_M), Q5_K (= Q5_K_M)";
}

static bool same_name(const char *a, const char *b) {
    while (*a && *b && toupper((unsigned char)*a) == toupper((unsigned char)*b)) a++, b++;
    return !*a && !*b;
}

const qlm_ftype_info *qlm_ftype_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof FTYPES / sizeof FTYPES[0]; i++)
        if (same_name(FTYPES[i].name, name)) return &FTYPES[i];
    return NULL;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !memcmp(s + n - m, suffix, m);
}

static bool has(const char *s, const char *part) { return strstr(s, part) != NULL; }

/* Layer number of a "blk.N." name, -1 for others (llama.cpp's sscanf("blk.%d.")). */
static int layer_of(const char *name) {
    if (strncmp(name, "blk.", 4) != 0 || !isdigit((unsigned char)name[4])) return -1;
    long v = 0;
    for (const char *p = name + 4; isdigit((unsigned char)*p); p++) {
        v = v * 10 + (*p - '0');
        if (v > 1000000) return -1; /* no model has that many layers */
    }
    return (int)v;
}

int qlm_quant_n_dims(const qlm_gguf_tinfo *t) {
    int n = GGUF_MAX_DIMS;
    while (n > 1 && t->ne[n - 1] == 1) n--;
    return n;
}

bool qlm_quant_wants(const qlm_gguf_tinfo *t) {
    const char *n = t->name;
    if (!ends_with(n, "weight") || qlm_quant_n_dims(t) < 2) return false;
    static const char *const KEEP_PARTS[] = {
        "_norm.weight",          /* norms */
        "ffn_gate_inp.weight",   /* MoE router */
        "ssm_conv1d.weight",     /* Mamba's small 2-D weights */
        "time_mix_first.weight", "time_mix_w1.weight", "time_mix_w2.weight",   /* RWKV */
        "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
        "attn_rel_b.weight",     /* T5 relative position bias */
    };
    for (size_t i = 0; i < sizeof KEEP_PARTS / sizeof KEEP_PARTS[0]; i++)
        if (has(n, KEEP_PARTS[i])) return false;
    return strcmp(n, "position_embd.weight") != 0 && strcmp(n, "token_types.weight") != 0;
}

static bool get_u32(const qlm_gguf *g, const char *arch, const char *suffix, uint32_t *v) {
    char key[96];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    return qlm_gguf_get_u32(g, key, v);
}

void qlm_quant_state_init(qlm_quant_state *s, const qlm_gguf *g, const qlm_ftype_info *ft,
                          bool pure, int output_type, int embd_type) {
    memset(s, 0, sizeof *s);
    s->ft = ft;
    s->pure = pure;
    s->output_type = output_type;
    s->embd_type = embd_type;
    qlm_str a;
    if (qlm_gguf_get_str(g, "general.architecture", &a)) {
        size_t n = a.len < sizeof s->arch - 1 ? (size_t)a.len : sizeof s->arch - 1;
        memcpy(s->arch, a.ptr, n);
    }
    uint32_t v = 0, n_head = 0, n_head_kv = 0;
    if (get_u32(g, s->arch, "block_count", &v) && v <= 1000000) s->n_layer = (int)v;
    if (get_u32(g, s->arch, "expert_count", &v) && v <= 1000000) s->n_expert = (int)v;
    get_u32(g, s->arch, "attention.head_count", &n_head);
    get_u32(g, s->arch, "attention.head_count_kv", &n_head_kv);
    int max_layer = -1;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const char *n = g->tensors[i].name;
        if (has(n, "attn_v.weight") || has(n, "attn_qkv.weight") || has(n, "attn_kv_b.weight"))
            s->n_attention_wv++;
        else if (!strcmp(n, "output.weight"))
            s->has_output = true;
        int l = layer_of(n);
        if (l > max_layer) max_layer = l;
    }
    /* without block_count (llama.cpp would not load such a file) count the layers */
    if (s->n_layer == 0) s->n_layer = max_layer + 1;
    /* llama.cpp's LLM_TYPE_70B: 80 layers of llama with grouped KV heads (a llama with
     * 8 experts is classed by its expert count instead), qwen2, olmo or deci */
    if (s->n_layer == 80) {
        if (!strcmp(s->arch, "llama"))
            s->is_70b = s->n_expert != 8 && n_head_kv != 0 && n_head != n_head_kv;
        else
            s->is_70b = !strcmp(s->arch, "qwen2") || !strcmp(s->arch, "olmo") || !strcmp(s->arch, "deci");
    }
}

static int cmp_layer_name(const qlm_gguf_tinfo *a, const qlm_gguf_tinfo *b) {
    int la = layer_of(a->name), lb = layer_of(b->name);
    if (la != lb) return la < lb ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* A small merge sort over indices (qsort would need the gguf in a global). */
static void sort_idx(const qlm_gguf *g, int64_t *v, int64_t *tmp, int64_t n) {
    if (n < 2) return;
    int64_t h = n / 2;
    sort_idx(g, v, tmp, h);
    sort_idx(g, v + h, tmp, n - h);
    int64_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_layer_name(&g->tensors[v[j]], &g->tensors[v[i]]) < 0 ? v[j++] : v[i++];
    while (i < h) tmp[k++] = v[i++];
    while (j < n) tmp[k++] = v[j++];
    memcpy(v, tmp, (size_t)n * sizeof *v);
}

int64_t *qlm_quant_order(const qlm_gguf *g) {
    size_t n = (size_t)g->n_tensors;
    int64_t *v = malloc((n ? n : 1) * sizeof *v), *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!v || !tmp) { free(v); free(tmp); return NULL; }
    for (size_t i = 0; i < n; i++) v[i] = (int64_t)i;
    sort_idx(g, v, tmp, (int64_t)n);
    free(tmp);
    return v;
}

/* llama.cpp's use_more_bits: the first and last eighth of the layers, and every third
 * layer in between. */
static bool more_bits(int i, int n) {
    return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

static bool fits(qlm_type t, int64_t ne0) { return ne0 % qlm_type_get(t)->blck_size == 0; }

/* The layer llama.cpp attributes to an ffn_* tensor: the running count, or in MoE
 * models (whose expert tensors are not one per layer in order) the number in the name. */
static qlm_status ffn_layer(const qlm_quant_state *s, int counter, const char *name, int *out,
                            qlm_error *err) {
    *out = counter;
    if (s->n_expert <= 1) return QLM_OK;
    int l = layer_of(name);
    if (l < 0 || l >= s->n_layer)
        return qlm_set_error(err, QLM_ERR_FORMAT, "cannot tell the layer of tensor '%s' (model has %d layers)",
                             name, s->n_layer);
    *out = l;
    return QLM_OK;
}

qlm_status qlm_quant_choose(qlm_quant_state *s, const qlm_gguf_tinfo *t, qlm_type *out,
                            bool *fell_back, qlm_error *err) {
    const char *name = t->name;
    const uint32_t ft = s->ft->ftype;
    const bool falcon = !strcmp(s->arch, "falcon");
    const int n = s->n_layer;
    qlm_type ty = s->ft->base;
    bool is_explicit = false;
    *fell_back = false;

    if (!s->pure && qlm_type_get(ty)->is_quantized) {
        if (!strcmp(name, "output.weight") || (!s->has_output && !strcmp(name, "token_embd.weight"))) {
            if (s->output_type >= 0) {
                ty = (qlm_type)s->output_type;
                is_explicit = true;
            } else if (falcon || !fits(ty, t->ne[0])) {
                ty = QLM_TYPE_Q8_0;
            } else if (ty != QLM_TYPE_Q8_0) {
                ty = QLM_TYPE_Q6_K;
            }
        } else if (!strcmp(name, "token_embd.weight")) {
            /* only llama.cpp's IQ and ternary types change the embeddings */
        } else if (has(name, "attn_v.weight")) {
            if ((ft == QLM_FTYPE_Q4_K_M || ft == QLM_FTYPE_Q5_K_M) && more_bits(s->i_attention_wv, s->n_attention_wv))
                ty = QLM_TYPE_Q6_K;
            else if (ft == QLM_FTYPE_Q4_K_S && s->i_attention_wv < 4)
                ty = QLM_TYPE_Q5_K;
            /* 70B: 8 query heads share each V head, so attn_v is small; more bits are cheap */
            if (s->is_70b && (ty == QLM_TYPE_Q3_K || ty == QLM_TYPE_Q4_K)) ty = QLM_TYPE_Q5_K;
            if (s->n_expert == 8) ty = QLM_TYPE_Q8_0;
            s->i_attention_wv++;
        } else if (has(name, "attn_k.weight")) {
            if (s->n_expert == 8) ty = QLM_TYPE_Q8_0;
        } else if (has(name, "attn_q.weight")) {
            /* only IQ types change attn_q */
        } else if (has(name, "ffn_down")) {
            int il;
            qlm_status rc = ffn_layer(s, s->i_ffn_down, name, &il, err);
            if (rc) return rc;
            if (ft == QLM_FTYPE_Q4_K_M) {
                if (falcon)
                    ty = il < n / 16 ? QLM_TYPE_Q6_K : more_bits(il, n) ? QLM_TYPE_Q5_K : QLM_TYPE_Q4_K;
                else if (more_bits(il, n))
                    ty = QLM_TYPE_Q6_K;
            } else if (ft == QLM_FTYPE_Q5_K_M && more_bits(il, n)) {
                ty = QLM_TYPE_Q6_K;
            } else if (ft == QLM_FTYPE_Q4_K_S && !falcon && il < n / 8) {
                ty = QLM_TYPE_Q5_K;
            }
            s->i_ffn_down++;
        } else if (has(name, "attn_output.weight")) {
            if (!falcon && s->n_expert == 8 && (ft == QLM_FTYPE_Q4_K_S || ft == QLM_FTYPE_Q4_K_M))
                ty = QLM_TYPE_Q5_K;
        } else if (has(name, "attn_qkv.weight")) {
            if (ft == QLM_FTYPE_Q4_K_M) ty = QLM_TYPE_Q5_K;
            else if (ft == QLM_FTYPE_Q5_K_M) ty = QLM_TYPE_Q6_K;
        } else if (has(name, "ffn_gate")) {
            int il;
            qlm_status rc = ffn_layer(s, s->i_ffn_gate, name, &il, err);
            if (rc) return rc;
            s->i_ffn_gate++; /* only IQ3_XS uses the layer here */
        } else if (has(name, "ffn_up")) {
            int il;
            qlm_status rc = ffn_layer(s, s->i_ffn_up, name, &il, err);
            if (rc) return rc;
            s->i_ffn_up++;
        }
    }
    /* explicit overrides win, also under --pure */
    if (s->embd_type >= 0 && !strcmp(name, "token_embd.weight")) { ty = (qlm_type)s->embd_type; is_explicit = true; }
    if (s->output_type >= 0 && !strcmp(name, "output.weight")) { ty = (qlm_type)s->output_type; is_explicit = true; }

    if (!fits(ty, t->ne[0])) {
        if (is_explicit)
            return qlm_set_error(err, QLM_ERR_INVALID_ARG,
                                 "%s does not fit tensor '%s': its rows of %lld are not a multiple of %lld",
                                 qlm_type_name(ty), name, (long long)t->ne[0],
                                 (long long)qlm_type_get(ty)->blck_size);
        switch (ty) {
        case QLM_TYPE_Q4_K: ty = QLM_TYPE_Q5_0; break;
        case QLM_TYPE_Q5_K: ty = QLM_TYPE_Q5_1; break;
        case QLM_TYPE_Q6_K: ty = QLM_TYPE_Q8_0; break;
        default: ty = QLM_TYPE_F16; break;
        }
        if (!fits(ty, t->ne[0])) ty = QLM_TYPE_F16;
        *fell_back = true;
    }
    *out = ty;
    return QLM_OK;
}
