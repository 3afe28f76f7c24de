/* Hugging Face checkpoint (config.json + safetensors) -> GGUF with llama.cpp's tensor
 * names, metadata keys and Q/K row permutation, so the file also loads in llama.cpp.
 *
 * Streaming: the header is written from the safetensors shapes alone, then each tensor
 * is read, transformed (permute / transpose / +1), converted and written before the
 * next one, so memory stays at about one tensor, not the model. The output goes to a
 * temp file that is renamed when complete. */
#include "qlm.h"
#include "convert_internal.h"
#include "gguf_write.h"
#include "hf_tokenizer.h"
#include "json.h"
#include "safetensors.h"
#include "../ggml-like/error.h"
#include "../ggml-like/qtypes.h"
#include "../ggml-like/threadpool.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef enum { X_NONE, X_PERMUTE_Q, X_PERMUTE_K, X_TRANSPOSE, X_PLUS_ONE } xform;

typedef struct {
    const char *hf;     /* suffix after the layer prefix (or a whole global name) */
    const char *gguf;   /* suffix after "blk.N." (or a whole global name) */
    xform x;
} name_rule;

/* One entry per supported model_type. */
typedef struct {
    const char *model_type;   /* config.json model_type */
    const char *gguf_arch;    /* general.architecture written */
    const name_rule *layer;   /* rules for tensors inside a layer */
    const name_rule *global;
    bool gpt2_names;          /* layers are "transformer.h.N." / "h.N." */
} conv_arch;

#define END {NULL, NULL, X_NONE}

static const name_rule LLAMA_LAYER[] = {
    {"input_layernorm.weight", "attn_norm.weight", X_NONE},
    {"self_attn.q_proj.weight", "attn_q.weight", X_PERMUTE_Q},
    {"self_attn.k_proj.weight", "attn_k.weight", X_PERMUTE_K},
    {"self_attn.v_proj.weight", "attn_v.weight", X_NONE},
    {"self_attn.q_proj.bias", "attn_q.bias", X_PERMUTE_Q},
    {"self_attn.k_proj.bias", "attn_k.bias", X_PERMUTE_K},
    {"self_attn.v_proj.bias", "attn_v.bias", X_NONE},
    {"self_attn.o_proj.weight", "attn_output.weight", X_NONE},
    {"self_attn.o_proj.bias", "attn_output.bias", X_NONE},
    {"post_attention_layernorm.weight", "ffn_norm.weight", X_NONE},
    {"mlp.gate_proj.weight", "ffn_gate.weight", X_NONE},
    {"mlp.up_proj.weight", "ffn_up.weight", X_NONE},
    {"mlp.down_proj.weight", "ffn_down.weight", X_NONE},
    {"mlp.gate_proj.bias", "ffn_gate.bias", X_NONE},
    {"mlp.up_proj.bias", "ffn_up.bias", X_NONE},
    {"mlp.down_proj.bias", "ffn_down.bias", X_NONE},
    END};

/* Qwen: the Hugging Face layout is kept (NEOX RoPE), so no permutation. */
static const name_rule QWEN_LAYER[] = {
    {"input_layernorm.weight", "attn_norm.weight", X_NONE},
    {"self_attn.q_proj.weight", "attn_q.weight", X_NONE},
    {"self_attn.k_proj.weight", "attn_k.weight", X_NONE},
    {"self_attn.v_proj.weight", "attn_v.weight", X_NONE},
    {"self_attn.q_proj.bias", "attn_q.bias", X_NONE},
    {"self_attn.k_proj.bias", "attn_k.bias", X_NONE},
    {"self_attn.v_proj.bias", "attn_v.bias", X_NONE},
    {"self_attn.o_proj.weight", "attn_output.weight", X_NONE},
    {"self_attn.q_norm.weight", "attn_q_norm.weight", X_NONE},
    {"self_attn.k_norm.weight", "attn_k_norm.weight", X_NONE},
    {"post_attention_layernorm.weight", "ffn_norm.weight", X_NONE},
    {"mlp.gate_proj.weight", "ffn_gate.weight", X_NONE},
    {"mlp.up_proj.weight", "ffn_up.weight", X_NONE},
    {"mlp.down_proj.weight", "ffn_down.weight", X_NONE},
    END};

/* Gemma stores norm weights as offsets from 1 (it computes x * (1 + w)); llama.cpp's
 * files hold 1 + w, so the forward pass needs no special norm. */
static const name_rule GEMMA3_LAYER[] = {
    {"input_layernorm.weight", "attn_norm.weight", X_PLUS_ONE},
    {"self_attn.q_proj.weight", "attn_q.weight", X_NONE},
    {"self_attn.k_proj.weight", "attn_k.weight", X_NONE},
    {"self_attn.v_proj.weight", "attn_v.weight", X_NONE},
    {"self_attn.o_proj.weight", "attn_output.weight", X_NONE},
    {"self_attn.q_norm.weight", "attn_q_norm.weight", X_PLUS_ONE},
    {"self_attn.k_norm.weight", "attn_k_norm.weight", X_PLUS_ONE},
    {"post_attention_layernorm.weight", "post_attention_norm.weight", X_PLUS_ONE},
    {"pre_feedforward_layernorm.weight", "ffn_norm.weight", X_PLUS_ONE},
    {"post_feedforward_layernorm.weight", "post_ffw_norm.weight", X_PLUS_ONE},
    {"mlp.gate_proj.weight", "ffn_gate.weight", X_NONE},
    {"mlp.up_proj.weight", "ffn_up.weight", X_NONE},
    {"mlp.down_proj.weight", "ffn_down.weight", X_NONE},
    END};

static const name_rule PHI3_LAYER[] = {
    {"input_layernorm.weight", "attn_norm.weight", X_NONE},
    {"self_attn.qkv_proj.weight", "attn_qkv.weight", X_NONE},
    {"self_attn.o_proj.weight", "attn_output.weight", X_NONE},
    {"post_attention_layernorm.weight", "ffn_norm.weight", X_NONE},
    {"mlp.gate_up_proj.weight", "ffn_up.weight", X_NONE},
    {"mlp.down_proj.weight", "ffn_down.weight", X_NONE},
    END};

/* GPT-2's Conv1D stores weights as [in, out]: transposed to [out, in]. */
static const name_rule GPT2_LAYER[] = {
    {"ln_1.weight", "attn_norm.weight", X_NONE},
    {"ln_1.bias", "attn_norm.bias", X_NONE},
    {"attn.c_attn.weight", "attn_qkv.weight", X_TRANSPOSE},
    {"attn.c_attn.bias", "attn_qkv.bias", X_NONE},
    {"attn.c_proj.weight", "attn_output.weight", X_TRANSPOSE},
    {"attn.c_proj.bias", "attn_output.bias", X_NONE},
    {"ln_2.weight", "ffn_norm.weight", X_NONE},
    {"ln_2.bias", "ffn_norm.bias", X_NONE},
    {"mlp.c_fc.weight", "ffn_up.weight", X_TRANSPOSE},
    {"mlp.c_fc.bias", "ffn_up.bias", X_NONE},
    {"mlp.c_proj.weight", "ffn_down.weight", X_TRANSPOSE},
    {"mlp.c_proj.bias", "ffn_down.bias", X_NONE},
    END};

static const name_rule LLAMA_GLOBAL[] = {
    {"model.embed_tokens.weight", "token_embd.weight", X_NONE},
    {"model.norm.weight", "output_norm.weight", X_NONE},
    {"lm_head.weight", "output.weight", X_NONE},
    END};

static const name_rule GEMMA3_GLOBAL[] = {
    {"model.embed_tokens.weight", "token_embd.weight", X_NONE},
    {"model.norm.weight", "output_norm.weight", X_PLUS_ONE},
    {"lm_head.weight", "output.weight", X_NONE},
    END};

static const name_rule GPT2_GLOBAL[] = {
    {"wte.weight", "token_embd.weight", X_NONE},
    {"wpe.weight", "position_embd.weight", X_NONE},
    {"ln_f.weight", "output_norm.weight", X_NONE},
    {"ln_f.bias", "output_norm.bias", X_NONE},
    {"lm_head.weight", "output.weight", X_NONE},
    END};

static const conv_arch ARCHS[] = {
    {"llama", "llama", LLAMA_LAYER, LLAMA_GLOBAL, false},
    {"mistral", "llama", LLAMA_LAYER, LLAMA_GLOBAL, false}, /* llama.cpp stores Mistral as llama */
    {"qwen2", "qwen2", QWEN_LAYER, LLAMA_GLOBAL, false},
    {"qwen3", "qwen3", QWEN_LAYER, LLAMA_GLOBAL, false},
    {"gemma3_text", "gemma3", GEMMA3_LAYER, GEMMA3_GLOBAL, false},
    {"gemma3", "gemma3", GEMMA3_LAYER, GEMMA3_GLOBAL, false},
    {"phi3", "phi3", PHI3_LAYER, LLAMA_GLOBAL, false},
    {"gpt2", "gpt2", GPT2_LAYER, GPT2_GLOBAL, true},
};

static const char *qlm_convert_arch_list(void) { return "llama, mistral, qwen2, qwen3, gemma3 (text), phi3, gpt2"; }

/* Hyperparameters gathered from config.json (both the older rope_theta/rope_scaling
 * layout and the newer rope_parameters one). */
typedef struct {
    int64_t n_embd, n_layer, n_ff, n_head, n_head_kv, head_dim, n_ctx, n_vocab, n_rot;
    double eps, rope_theta, rope_theta_swa;
    bool tied, bf16_source;
    /* llama3 rope scaling */
    bool llama3_rope;
    double rs_factor, rs_low, rs_high, rs_orig_ctx;
    /* gemma3 */
    int64_t sliding_window;
    bool *swa_layer;          /* [n_layer] */
    double attn_scale;        /* 0: default */
} hf_hparams;

static bool geti(const qlm_json *o, const char *k, int64_t *v) { return qlm_json_i64(qlm_json_get(o, k), v); }
static bool getd(const qlm_json *o, const char *k, double *v) { return qlm_json_num(qlm_json_get(o, k), v); }

/* rope settings: rope_parameters (new; possibly per layer type) or rope_theta/rope_scaling */
static void read_rope(const qlm_json *cfg, hf_hparams *hp) {
    hp->rope_theta = 10000.0;
    hp->rope_theta_swa = 10000.0;
    const qlm_json *rp = qlm_json_get(cfg, "rope_parameters");
    const qlm_json *full = rp, *local = NULL;
    if (rp && qlm_json_get(rp, "full_attention")) {
        full = qlm_json_get(rp, "full_attention");
        local = qlm_json_get(rp, "sliding_attention");
    }
    if (!rp) full = qlm_json_get(cfg, "rope_scaling");
    getd(cfg, "rope_theta", &hp->rope_theta);
    getd(full, "rope_theta", &hp->rope_theta);
    getd(cfg, "rope_local_base_freq", &hp->rope_theta_swa);
    getd(local, "rope_theta", &hp->rope_theta_swa);
    double prf = 1.0;
    getd(cfg, "partial_rotary_factor", &prf);
    getd(full, "partial_rotary_factor", &prf);
    /* checked here, before the conversion to an integer (read_config rejects 0) */
    hp->n_rot = prf > 0.0 && prf <= 1.0 ? (int64_t)(hp->head_dim * prf) : 0;
    const char *type = qlm_json_str(qlm_json_get(full, "rope_type"));
    if (!type) type = qlm_json_str(qlm_json_get(full, "type"));
    if (type && !strcmp(type, "llama3")) {
        hp->llama3_rope = true;
        hp->rs_factor = 8; hp->rs_low = 1; hp->rs_high = 4; hp->rs_orig_ctx = 8192;
        getd(full, "factor", &hp->rs_factor);
        getd(full, "low_freq_factor", &hp->rs_low);
        getd(full, "high_freq_factor", &hp->rs_high);
        getd(full, "original_max_position_embeddings", &hp->rs_orig_ctx);
    }
}

static qlm_status read_config(const qlm_json *cfg, const conv_arch *a, hf_hparams *hp, qlm_error *err) {
    memset(hp, 0, sizeof *hp);
    bool gpt2 = a->gpt2_names;
    if (!geti(cfg, gpt2 ? "n_embd" : "hidden_size", &hp->n_embd) ||
        !geti(cfg, gpt2 ? "n_layer" : "num_hidden_layers", &hp->n_layer) ||
        !geti(cfg, gpt2 ? "n_head" : "num_attention_heads", &hp->n_head) ||
        !geti(cfg, "vocab_size", &hp->n_vocab))
        return qlm_set_error(err, QLM_ERR_FORMAT, "config.json lacks the model dimensions (hidden size, layers, heads, vocab_size)");
    if (gpt2) {
        /* null n_inner: 4 x n_embd (0, rejected below, when n_embd is out of range) */
        if (!geti(cfg, "n_inner", &hp->n_ff)) hp->n_ff = hp->n_embd > 0 && hp->n_embd <= (1 << 20) ? 4 * hp->n_embd : 0;
        if (!geti(cfg, "n_positions", &hp->n_ctx)) hp->n_ctx = 1024;
        hp->eps = 1e-5;
        getd(cfg, "layer_norm_epsilon", &hp->eps);
    } else {
        if (!geti(cfg, "intermediate_size", &hp->n_ff))
            return qlm_set_error(err, QLM_ERR_FORMAT, "config.json lacks intermediate_size");
        if (!geti(cfg, "max_position_embeddings", &hp->n_ctx)) hp->n_ctx = 2048;
        hp->eps = 1e-5;
        getd(cfg, "rms_norm_eps", &hp->eps);
    }
    if (!geti(cfg, "num_key_value_heads", &hp->n_head_kv)) hp->n_head_kv = hp->n_head;
    /* bounds far above any real model keep every product below (products of three of
     * these stay under 2^62, so no size computation can overflow) */
    if (hp->n_embd < 1 || hp->n_embd > (1 << 20) || hp->n_layer < 1 || hp->n_layer > 4096 ||
        hp->n_head < 1 || hp->n_head > 4096 || hp->n_head_kv < 1 || hp->n_head % hp->n_head_kv ||
        hp->n_ff < 1 || hp->n_ff > (1 << 22) || hp->n_vocab < 1 || hp->n_vocab > (1 << 24) ||
        hp->n_ctx < 1 || hp->n_ctx > (1 << 26))
        return qlm_set_error(err, QLM_ERR_FORMAT, "config.json has inconsistent or out-of-range dimensions");
    if (!geti(cfg, "head_dim", &hp->head_dim)) hp->head_dim = hp->n_embd / hp->n_head;
    if (hp->head_dim < 2 || hp->head_dim > 4096 || hp->head_dim % 2)
        return qlm_set_error(err, QLM_ERR_FORMAT, "invalid head_dim %lld", (long long)hp->head_dim);
    read_rope(cfg, hp);
    if (hp->n_rot < 2 || hp->n_rot % 2)
        return qlm_set_error(err, QLM_ERR_FORMAT, "partial_rotary_factor leaves no even number of rotated dimensions");
    if (!(hp->rope_theta > 0 && hp->rope_theta < 1e30) || !(hp->rope_theta_swa > 0 && hp->rope_theta_swa < 1e30) ||
        !(hp->eps >= 0 && hp->eps < 1))
        return qlm_set_error(err, QLM_ERR_FORMAT, "config.json has an invalid rope_theta or norm epsilon");
    if (hp->llama3_rope && !(hp->rs_factor >= 1 && hp->rs_factor < 1e6 && hp->rs_low > 0 && hp->rs_high > hp->rs_low &&
                             hp->rs_high < 1e6 && hp->rs_orig_ctx >= 1 && hp->rs_orig_ctx < 1e9))
        return qlm_set_error(err, QLM_ERR_FORMAT, "config.json has invalid llama3 rope_scaling values");
    hp->tied = gpt2 || !strcmp(a->gguf_arch, "gemma3");
    qlm_json_bool(qlm_json_get(cfg, "tie_word_embeddings"), &hp->tied);
    const char *dt = qlm_json_str(qlm_json_get(cfg, "dtype"));
    if (!dt) dt = qlm_json_str(qlm_json_get(cfg, "torch_dtype"));
    hp->bf16_source = dt && !strcmp(dt, "bfloat16");
    if (!strcmp(a->gguf_arch, "gemma3")) {
        hp->swa_layer = calloc((size_t)hp->n_layer, sizeof *hp->swa_layer);
        if (!hp->swa_layer) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
        geti(cfg, "sliding_window", &hp->sliding_window);
        if (hp->sliding_window < 0 || hp->sliding_window > (1 << 26))
            return qlm_set_error(err, QLM_ERR_FORMAT, "config.json has an invalid sliding_window");
        const qlm_json *lt = qlm_json_get(cfg, "layer_types");
        int64_t pattern = 6;
        geti(cfg, "sliding_window_pattern", &pattern);
        geti(cfg, "_sliding_window_pattern", &pattern);
        for (int64_t il = 0; il < hp->n_layer; il++) {
            const char *t = qlm_json_str(qlm_json_at(lt, (size_t)il));
            hp->swa_layer[il] = t ? !strcmp(t, "sliding_attention") : pattern > 0 && (il + 1) % pattern != 0;
        }
        double qpas;
        if (getd(cfg, "query_pre_attn_scalar", &qpas) && qpas > 1e-6 && qpas < 1e12) hp->attn_scale = 1.0 / sqrt(qpas);
    }
    return QLM_OK;
}

/* llama3 RoPE scaling as frequency divisors, one per rotated pair, as llama.cpp writes
 * rope_freqs.weight. Its converter computes them with float32 tensors, so this does
 * every step in float (with 2*pi rounded to float first) to produce the same bytes. */
static void llama3_factors(const hf_hparams *hp, float *out) {
    float factor = (float)hp->rs_factor, low = (float)hp->rs_low, high = (float)hp->rs_high;
    float old_ctx = (float)hp->rs_orig_ctx;
    float low_wl = old_ctx / low, high_wl = old_ctx / high;
    float two_pi = (float)(2.0 * M_PI);
    for (int64_t i = 0; i < hp->n_rot / 2; i++) {
        float freq = 1.0f / powf((float)hp->rope_theta, (float)(2 * i) / (float)hp->n_rot);
        float wl = two_pi / freq;
        if (wl < high_wl) out[i] = 1.0f;
        else if (wl > low_wl) out[i] = factor;
        else {
            float smooth = (old_ctx / wl - low) / (high - low);
            out[i] = 1.0f / ((1.0f - smooth) / factor + smooth);
        }
    }
}

/* One planned output tensor. src == NULL for generated ones (rope_freqs). */
typedef struct {
    char name[GGUF_MAX_NAME + 1];
    const qlm_st_tensor *src;
    xform x;
    int n_dims;
    int64_t ne[2];        /* GGUF order: ne[0] = row length */
    uint32_t type;
    long order;           /* output position: see plan_order */
} plan_item;

/* A canonical tensor order, independent of how the checkpoint is sharded: rope_freqs,
 * embeddings, then layer by layer (source order within a layer), then the head. */
static long plan_order(const char *gname, long src_index) {
    long group;
    if (!strncmp(gname, "blk.", 4)) group = 3 + atol(gname + 4);
    else if (!strcmp(gname, "rope_freqs.weight")) group = 0;
    else if (!strcmp(gname, "token_embd.weight")) group = 1;
    else if (!strcmp(gname, "position_embd.weight")) group = 2;
    else group = 1L << 20; /* output_norm, output */
    return group * 1000000 + src_index;
}

static int cmp_plan(const void *a, const void *b) {
    long x = ((const plan_item *)a)->order, y = ((const plan_item *)b)->order;
    return x < y ? -1 : x > y;
}

/* Match "model.layers.N.rest", "transformer.h.N.rest" or "h.N.rest"; sets layer and rest. */
static bool split_layer(const char *name, bool gpt2, long *layer, const char **rest) {
    const char *prefixes_llama[] = {"model.layers.", "model.language_model.layers.", NULL};
    const char *prefixes_gpt2[] = {"transformer.h.", "h.", NULL};
    const char **pp = gpt2 ? prefixes_gpt2 : prefixes_llama;
    for (; *pp; pp++) {
        size_t n = strlen(*pp);
        if (strncmp(name, *pp, n) || !isdigit((unsigned char)name[n])) continue;
        char *end;
        *layer = strtol(name + n, &end, 10);
        if (*end != '.') return false;
        *rest = end + 1;
        return true;
    }
    return false;
}

static const name_rule *find_rule(const name_rule *rules, const char *hf) {
    for (; rules->hf; rules++)
        if (!strcmp(rules->hf, hf)) return rules;
    return NULL;
}

/* Source tensors that carry no weights (buffers saved by older checkpoints). */
static bool ignorable(const char *name) {
    size_t n = strlen(name);
    const char *tails[] = {"rotary_emb.inv_freq", "attn.bias", "attn.masked_bias"};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        size_t k = strlen(tails[i]);
        if (n >= k && !strcmp(name + n - k, tails[i])) return true;
    }
    return false;
}

/* The output type of a tensor: 1-D stays F32; matrices take the requested type, or F16
 * when their rows do not fit its blocks (as llama.cpp's converter falls back). */
static uint32_t pick_type(uint32_t want, int n_dims, int64_t ne0) {
    if (n_dims == 1) return QLM_TYPE_F32;
    const qlm_type_traits *t = qlm_type_get(want);
    if (ne0 % t->blck_size) return QLM_TYPE_F16;
    return want;
}

static uint32_t file_type_of(uint32_t t) {
    switch (t) {
    case QLM_TYPE_F32: return 0;
    case QLM_TYPE_F16: return 1;
    case QLM_TYPE_Q4_0: return 2;
    case QLM_TYPE_Q4_1: return 3;
    case QLM_TYPE_Q8_0: return 7;
    case QLM_TYPE_Q5_0: return 8;
    case QLM_TYPE_Q5_1: return 9;
    case QLM_TYPE_Q4_K: return 14;
    case QLM_TYPE_Q5_K: return 16;
    case QLM_TYPE_Q6_K: return 18;
    case QLM_TYPE_BF16: return 32;
    default: return 0;
    }
}

typedef struct {
    const float *src;
    void *dst;
    int64_t ne0, rows;
    qlm_from_float_fn quant;
    size_t row_size;
} quant_job;

static void quant_rows(void *arg, int ith, int nth) {
    quant_job *j = arg;
    long lo, hi;
    qlm_split((long)j->rows, ith, nth, &lo, &hi);
    for (long r = lo; r < hi; r++)
        j->quant(j->src + (size_t)r * j->ne0, (char *)j->dst + (size_t)r * j->row_size, j->ne0);
}

/* Read a source tensor into f32 with its transform applied. out: [rows][ne0]. */
static void load_transformed(const plan_item *p, const hf_hparams *hp, float *out, float *tmp) {
    const qlm_st_tensor *s = p->src;
    int64_t ne0 = p->ne[0], rows = p->n_dims == 1 ? 1 : p->ne[1];
    switch (p->x) {
    case X_NONE:
        qlm_st_to_f32(s, 0, s->n_elements, out);
        break;
    case X_PLUS_ONE:
        qlm_st_to_f32(s, 0, s->n_elements, out);
        for (int64_t i = 0; i < s->n_elements; i++) out[i] += 1.0f;
        break;
    case X_TRANSPOSE: /* source [ne0 = in][rows = out] stored as [in][out] */
        qlm_st_to_f32(s, 0, s->n_elements, tmp);
        for (int64_t r = 0; r < rows; r++)
            for (int64_t c = 0; c < ne0; c++) out[r * ne0 + c] = tmp[c * rows + r];
        break;
    case X_PERMUTE_Q:
    case X_PERMUTE_K: {
        /* within each head: GGUF row 2i+j = HF row j*(hd/2)+i, turning rotate-half
         * pairs into adjacent pairs (the layout GGUF llama files use); a bias is a
         * column of rows of width 1 */
        int64_t n_heads = p->x == X_PERMUTE_Q ? hp->n_head : hp->n_head_kv;
        if (p->n_dims == 1) { rows = ne0; ne0 = 1; }
        int64_t hd = rows / n_heads, half = hd / 2;
        qlm_st_to_f32(s, 0, s->n_elements, tmp);
        for (int64_t h = 0; h < n_heads; h++)
            for (int64_t i = 0; i < half; i++)
                for (int64_t jj = 0; jj < 2; jj++) {
                    int64_t dst = h * hd + 2 * i + jj, src = h * hd + jj * half + i;
                    memcpy(out + dst * ne0, tmp + src * ne0, (size_t)ne0 * sizeof *out);
                }
        break;
    }
    }
}

/* The shape a GGUF tensor must have for these hyperparameters ([ne0] or [ne0, ne1]);
 * false for a name the forward pass does not know. */
static bool expected_shape(const char *gname, const hf_hparams *hp, bool phi3, int *n_dims, int64_t ne[2]) {
    const char *sfx = gname;
    if (!strncmp(gname, "blk.", 4)) { sfx = strchr(gname + 4, '.'); if (!sfx) return false; sfx++; }
    int64_t d = hp->n_embd, hd = hp->head_dim, q = hp->n_head * hd, kv = hp->n_head_kv * hd, ff = hp->n_ff;
    static const struct { const char *name; int dims; char a, b; } S[] = {
        /* codes: d embd, q q_dim, k kv_dim, Q qkv, f ff, F ff (x2 when phi3), h head_dim,
         * v vocab, c context */
        {"token_embd.weight", 2, 'd', 'v'}, {"output.weight", 2, 'd', 'v'}, {"position_embd.weight", 2, 'd', 'c'},
        {"output_norm.weight", 1, 'd', 0}, {"output_norm.bias", 1, 'd', 0}, {"rope_freqs.weight", 1, 'r', 0},
        {"attn_norm.weight", 1, 'd', 0}, {"attn_norm.bias", 1, 'd', 0},
        {"attn_q.weight", 2, 'd', 'q'}, {"attn_k.weight", 2, 'd', 'k'}, {"attn_v.weight", 2, 'd', 'k'},
        {"attn_q.bias", 1, 'q', 0}, {"attn_k.bias", 1, 'k', 0}, {"attn_v.bias", 1, 'k', 0},
        {"attn_qkv.weight", 2, 'd', 'Q'}, {"attn_qkv.bias", 1, 'Q', 0},
        {"attn_q_norm.weight", 1, 'h', 0}, {"attn_k_norm.weight", 1, 'h', 0},
        {"attn_output.weight", 2, 'q', 'd'}, {"attn_output.bias", 1, 'd', 0},
        {"post_attention_norm.weight", 1, 'd', 0}, {"ffn_norm.weight", 1, 'd', 0}, {"ffn_norm.bias", 1, 'd', 0},
        {"ffn_gate.weight", 2, 'd', 'f'}, {"ffn_up.weight", 2, 'd', 'F'}, {"ffn_down.weight", 2, 'f', 'd'},
        {"ffn_gate.bias", 1, 'f', 0}, {"ffn_up.bias", 1, 'F', 0}, {"ffn_down.bias", 1, 'd', 0},
        {"post_ffw_norm.weight", 1, 'd', 0},
    };
    for (size_t i = 0; i < sizeof S / sizeof S[0]; i++) {
        if (strcmp(S[i].name, sfx)) continue;
        char codes[2] = {S[i].a, S[i].b};
        for (int k = 0; k < S[i].dims; k++) {
            switch (codes[k]) {
            case 'd': ne[k] = d; break;
            case 'q': ne[k] = q; break;
            case 'k': ne[k] = kv; break;
            case 'Q': ne[k] = q + 2 * kv; break;
            case 'f': ne[k] = ff; break;
            case 'F': ne[k] = phi3 ? 2 * ff : ff; break;
            case 'h': ne[k] = hd; break;
            case 'v': ne[k] = hp->n_vocab; break;
            case 'c': ne[k] = hp->n_ctx; break;
            case 'r': ne[k] = hp->n_rot / 2; break;
            }
        }
        *n_dims = S[i].dims;
        return true;
    }
    return false;
}

/* Every planned tensor has its expected shape, and every tensor the forward pass needs
 * is present: a clear error naming the tensor, before anything is written. */
static qlm_status check_plan(const plan_item *plan, int n, const hf_hparams *hp, const conv_arch *a, qlm_error *err) {
    bool phi3 = !strcmp(a->gguf_arch, "phi3"), gpt2 = a->gpt2_names, gemma = !strcmp(a->gguf_arch, "gemma3");
    for (int i = 0; i < n; i++) {
        int nd;
        int64_t ne[2] = {0, 0};
        if (!expected_shape(plan[i].name, hp, phi3, &nd, ne)) continue;
        if (plan[i].n_dims != nd || plan[i].ne[0] != ne[0] || (nd == 2 && plan[i].ne[1] != ne[1]))
            return qlm_set_error(err, QLM_ERR_FORMAT, "tensor '%s' (%s) has shape [%lld, %lld], expected [%lld, %lld] from config.json",
                                 plan[i].name, plan[i].src ? plan[i].src->name : "generated", (long long)plan[i].ne[0],
                                 (long long)(plan[i].n_dims == 2 ? plan[i].ne[1] : 0), (long long)ne[0], (long long)(nd == 2 ? ne[1] : 0));
    }
    const char *need_global[] = {"token_embd.weight", "output_norm.weight", gpt2 ? "position_embd.weight" : NULL,
                                 gpt2 ? "output_norm.bias" : NULL, !hp->tied ? "output.weight" : NULL};
    const char *need_layer[16];
    int nl = 0;
    need_layer[nl++] = "attn_norm.weight";
    need_layer[nl++] = "attn_output.weight";
    need_layer[nl++] = "ffn_norm.weight";
    need_layer[nl++] = "ffn_up.weight";
    need_layer[nl++] = "ffn_down.weight";
    if (phi3 || gpt2) need_layer[nl++] = "attn_qkv.weight";
    else { need_layer[nl++] = "attn_q.weight"; need_layer[nl++] = "attn_k.weight"; need_layer[nl++] = "attn_v.weight"; }
    if (!phi3 && !gpt2) need_layer[nl++] = "ffn_gate.weight";
    if (gpt2) { need_layer[nl++] = "attn_norm.bias"; need_layer[nl++] = "ffn_norm.bias"; }
    if (gemma) {
        need_layer[nl++] = "attn_q_norm.weight"; need_layer[nl++] = "attn_k_norm.weight";
        need_layer[nl++] = "post_attention_norm.weight"; need_layer[nl++] = "post_ffw_norm.weight";
    }
    char name[GGUF_MAX_NAME + 1];
    for (int64_t il = -1; il < hp->n_layer; il++) {
        int count = il < 0 ? (int)(sizeof need_global / sizeof need_global[0]) : nl;
        for (int k = 0; k < count; k++) {
            const char *want = il < 0 ? need_global[k] : need_layer[k];
            if (!want) continue;
            if (il < 0) snprintf(name, sizeof name, "%s", want);
            else snprintf(name, sizeof name, "blk.%lld.%s", (long long)il, want);
            bool found = false;
            for (int i = 0; i < n && !found; i++) found = !strcmp(plan[i].name, name);
            if (!found) return qlm_set_error(err, QLM_ERR_FORMAT, "the checkpoint lacks tensor '%s'", name);
        }
    }
    return QLM_OK;
}

static const conv_arch *find_arch(const char *model_type) {
    for (size_t i = 0; model_type && i < sizeof ARCHS / sizeof ARCHS[0]; i++)
        if (!strcmp(ARCHS[i].model_type, model_type)) return &ARCHS[i];
    return NULL;
}

qlm_status qlm_convert_read_config(const char *json, size_t len, qlm_error *err) {
    qlm_json_doc *doc = NULL;
    qlm_status rc = qlm_json_parse(json, len, NULL, &doc, err);
    if (rc) return rc;
    const qlm_json *cfg = qlm_json_root(doc);
    const conv_arch *a = find_arch(qlm_json_str(qlm_json_get(cfg, "model_type")));
    hf_hparams hp = {0};
    if (!a) rc = qlm_set_error(err, QLM_ERR_UNSUPPORTED, "unsupported model_type");
    else rc = read_config(cfg, a, &hp, err);
    free(hp.swa_layer);
    qlm_json_free(doc);
    return rc;
}

static bool is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

qlm_status qlm_convert_hf(const char *dir, const char *out_path, const qlm_convert_params *params,
                          qlm_error *err) {
    qlm_convert_params dp = {0};
    const qlm_convert_params *p = params ? params : &dp;
    if (!is_dir(dir)) return qlm_set_error(err, QLM_ERR_IO, "'%s' is not a directory", dir);
    if (p->vocab_only) return qlm_hf_vocab_only(dir, out_path, err);
    const char *tname = p->out_type ? p->out_type : "f16";
    int tid = qlm_type_from_name(tname);
    const qlm_type_traits *ot = tid >= 0 ? qlm_type_get((uint32_t)tid) : NULL;
    if (!ot || !ot->supported || !ot->vec_dot || ot->internal)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "unsupported output type '%s' (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k)", tname);
    uint32_t out_type = (uint32_t)tid;

    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/config.json", dir);
    qlm_json_doc *cfg_doc = NULL;
    qlm_st *st = NULL;
    qlm_gguf_writer *w = NULL;
    plan_item *plan = NULL;
    float *buf = NULL, *tmp = NULL;
    void *qbuf = NULL;
    qlm_pool *pool = NULL;
    hf_hparams hp = {0};
    qlm_status rc = qlm_json_parse_file(path, NULL, &cfg_doc, err);
    if (rc) goto done;
    const qlm_json *cfg = qlm_json_root(cfg_doc);
    const char *mt = qlm_json_str(qlm_json_get(cfg, "model_type"));
    const conv_arch *a = find_arch(mt);
    if (!a) {
        rc = qlm_set_error(err, QLM_ERR_UNSUPPORTED, "unsupported model_type '%s' in %s (supported: %s)",
                           mt ? mt : "(none)", path, qlm_convert_arch_list());
        goto done;
    }
    if ((rc = read_config(cfg, a, &hp, err))) goto done;
    if ((rc = qlm_st_open_dir(dir, &st, err))) goto done;

    /* plan: map every source tensor to its GGUF name, shape and type */
    int n_src = qlm_st_count(st), n_plan = 0;
    plan = calloc((size_t)n_src + 2, sizeof *plan);
    if (!plan) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); goto done; }
    int64_t max_elems = hp.n_rot;
    if (hp.llama3_rope) {
        plan_item *it = &plan[n_plan++];
        strcpy(it->name, "rope_freqs.weight");
        it->n_dims = 1;
        it->ne[0] = hp.n_rot / 2;
        it->type = QLM_TYPE_F32;
    }
    const qlm_st_tensor *embd = NULL;
    for (int i = 0; i < n_src; i++) {
        const qlm_st_tensor *s = qlm_st_at(st, i);
        long layer;
        const char *rest;
        const name_rule *r = NULL;
        char gname[128];
        if (split_layer(s->name, a->gpt2_names, &layer, &rest)) {
            r = find_rule(a->layer, rest);
            if (r) snprintf(gname, sizeof gname, "blk.%ld.%s", layer, r->gguf);
            if (r && (layer < 0 || layer >= hp.n_layer)) {
                rc = qlm_set_error(err, QLM_ERR_FORMAT, "tensor '%s' names layer %ld of %lld", s->name, layer, (long long)hp.n_layer);
                goto done;
            }
        } else {
            const char *nm = s->name;
            if (a->gpt2_names && !strncmp(nm, "transformer.", 12)) nm += 12;
            r = find_rule(a->global, nm);
            if (r) snprintf(gname, sizeof gname, "%s", r->gguf);
        }
        if (!r) {
            if (ignorable(s->name)) continue;
            rc = qlm_set_error(err, QLM_ERR_UNSUPPORTED, "cannot map tensor '%s' of a %s model", s->name, mt);
            goto done;
        }
        if (!strcmp(r->gguf, "output.weight") && hp.tied) continue; /* the embedding serves */
        if (s->n_dims < 1 || s->n_dims > 2) {
            rc = qlm_set_error(err, QLM_ERR_UNSUPPORTED, "tensor '%s' has %d dimensions", s->name, s->n_dims);
            goto done;
        }
        plan_item *it = &plan[n_plan++];
        if (strlen(gname) > GGUF_MAX_NAME) {
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "tensor name '%s' is too long for GGUF", gname);
            goto done;
        }
        memcpy(it->name, gname, strlen(gname) + 1);
        it->order = plan_order(gname, i);
        it->src = s;
        it->x = r->x;
        it->n_dims = s->n_dims;
        if (s->n_dims == 1) it->ne[0] = s->shape[0];
        else if (r->x == X_TRANSPOSE) { it->ne[0] = s->shape[0]; it->ne[1] = s->shape[1]; }
        else { it->ne[0] = s->shape[1]; it->ne[1] = s->shape[0]; }
        if (r->x == X_PERMUTE_Q || r->x == X_PERMUTE_K) {
            /* rows (or bias entries) must split into heads of even size */
            int64_t heads = r->x == X_PERMUTE_Q ? hp.n_head : hp.n_head_kv, rows = s->shape[0];
            if (rows % heads || (rows / heads) % 2) {
                rc = qlm_set_error(err, QLM_ERR_FORMAT, "tensor '%s': %lld rows do not split into %lld heads", s->name, (long long)rows, (long long)heads);
                goto done;
            }
        }
        it->type = pick_type(out_type, it->n_dims, it->ne[0]);
        if (!strcmp(gname, "position_embd.weight")) it->type = QLM_TYPE_F32; /* as llama.cpp */
        /* the output head decides the logits: with a quantized out type it stays F16
         * (output.weight, or the embedding when the two are tied), as llama.cpp's
         * quantizer also spends more bits there */
        bool head = !strcmp(gname, "output.weight") || (hp.tied && !strcmp(gname, "token_embd.weight"));
        if (head && ot->is_quantized) it->type = QLM_TYPE_F16;
        if (!strcmp(gname, "token_embd.weight")) embd = s;
        if (s->n_elements > max_elems) max_elems = s->n_elements;
    }
    if (!embd) { rc = qlm_set_error(err, QLM_ERR_FORMAT, "no token embedding tensor found"); goto done; }
    /* gpt2 in llama.cpp needs output.weight: write a copy of the embedding */
    if (a->gpt2_names) {
        plan_item *it = &plan[n_plan++];
        strcpy(it->name, "output.weight");
        it->order = plan_order(it->name, n_src);
        it->src = embd;
        it->n_dims = 2;
        it->ne[0] = embd->shape[1];
        it->ne[1] = embd->shape[0];
        it->type = ot->is_quantized ? QLM_TYPE_F16 : pick_type(out_type, 2, it->ne[0]);
    }

    qsort(plan, (size_t)n_plan, sizeof *plan, cmp_plan);
    if ((rc = check_plan(plan, n_plan, &hp, a, err))) goto done;

    /* metadata */
    w = qlm_gguf_writer_new(0);
    if (!w) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); goto done; }
    const char *arch = a->gguf_arch;
    char key[160];
#define K(suffix) (snprintf(key, sizeof key, "%s.%s", arch, suffix), key)
    qlm_gguf_w_str(w, "general.architecture", arch, strlen(arch));
    const char *base = strrchr(dir, '/');
    base = base && base[1] ? base + 1 : dir;
    qlm_gguf_w_str(w, "general.name", base, strlen(base));
    qlm_gguf_w_u32(w, "general.file_type", file_type_of(out_type));
    if (ot->is_quantized) qlm_gguf_w_u32(w, "general.quantization_version", 2);
    qlm_gguf_w_u32(w, K("context_length"), (uint32_t)hp.n_ctx);
    qlm_gguf_w_u32(w, K("embedding_length"), (uint32_t)hp.n_embd);
    qlm_gguf_w_u32(w, K("block_count"), (uint32_t)hp.n_layer);
    qlm_gguf_w_u32(w, K("feed_forward_length"), (uint32_t)hp.n_ff);
    qlm_gguf_w_u32(w, K("attention.head_count"), (uint32_t)hp.n_head);
    qlm_gguf_w_u32(w, K("attention.head_count_kv"), (uint32_t)hp.n_head_kv);
    qlm_gguf_w_u32(w, K("attention.key_length"), (uint32_t)hp.head_dim);
    qlm_gguf_w_u32(w, K("attention.value_length"), (uint32_t)hp.head_dim);
    qlm_gguf_w_u32(w, K("vocab_size"), (uint32_t)hp.n_vocab);
    if (a->gpt2_names) {
        qlm_gguf_w_f32(w, K("attention.layer_norm_epsilon"), (float)hp.eps);
    } else {
        qlm_gguf_w_f32(w, K("attention.layer_norm_rms_epsilon"), (float)hp.eps);
        qlm_gguf_w_f32(w, K("rope.freq_base"), (float)hp.rope_theta);
        qlm_gguf_w_u32(w, K("rope.dimension_count"), (uint32_t)hp.n_rot);
        /* transformers runs a bf16 checkpoint with its RoPE frequencies cast to bf16;
         * record it so qlm reproduces those numerics (qlm's own key) */
        qlm_gguf_w_bool(w, K("rope.freq_bf16"), hp.bf16_source);
    }
    if (hp.swa_layer) {
        qlm_gguf_w_u32(w, K("attention.sliding_window"), (uint32_t)hp.sliding_window);
        qlm_gguf_w_f32(w, K("rope.freq_base_swa"), (float)hp.rope_theta_swa);
        qlm_gguf_w_arr(w, K("attention.sliding_window_pattern"), GGUF_TYPE_BOOL, hp.swa_layer, (uint64_t)hp.n_layer);
        if (hp.attn_scale > 0) qlm_gguf_w_f32(w, K("attention.scale"), (float)hp.attn_scale);
    }
#undef K
    bool have_vocab; /* the folder's tokenizer, when it has one */
    if ((rc = qlm_hf_tokenizer_add(w, dir, hp.n_vocab, &have_vocab, err))) goto done;
    for (int i = 0; i < n_plan; i++) {
        if (qlm_gguf_w_add_tensor(w, plan[i].name, plan[i].type, plan[i].n_dims, plan[i].ne) < 0) {
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "tensor '%s' cannot be written as %s", plan[i].name, qlm_type_name(plan[i].type));
            goto done;
        }
    }
    if ((rc = qlm_gguf_w_begin(w, out_path, err))) goto done;

    buf = malloc((size_t)max_elems * sizeof *buf);
    tmp = malloc((size_t)max_elems * sizeof *tmp);
    qbuf = malloc((size_t)max_elems * 4 + 4096);
    pool = qlm_pool_new(p->n_threads > 0 ? p->n_threads : qlm_physical_cores());
    if (!buf || !tmp || !qbuf || !pool) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory (largest tensor: %lld values)", (long long)max_elems); goto done; }
    for (int i = 0; i < n_plan; i++) {
        const plan_item *it = &plan[i];
        int64_t rows = it->n_dims == 1 ? 1 : it->ne[1];
        if (!it->src) llama3_factors(&hp, buf);
        else load_transformed(it, &hp, buf, tmp);
        size_t row_size = qlm_row_size(it->type, it->ne[0]);
        const void *data = buf;
        if (it->type != QLM_TYPE_F32) {
            quant_job j = {buf, qbuf, it->ne[0], rows, qlm_type_get(it->type)->from_float, row_size};
            qlm_pool_run(pool, quant_rows, &j);
            data = qbuf;
        }
        if ((rc = qlm_gguf_w_write(w, data, row_size * (size_t)rows, err))) goto done;
        if (p->progress) p->progress(p->progress_data, i + 1, n_plan, it->name);
    }
    rc = qlm_gguf_w_finish(w, err);
done:
    qlm_pool_free(pool);
    free(buf);
    free(tmp);
    free(qbuf);
    free(plan);
    free(hp.swa_layer);
    qlm_gguf_writer_free(w);
    qlm_st_close(st);
    qlm_json_free(cfg_doc);
    return rc;
}
