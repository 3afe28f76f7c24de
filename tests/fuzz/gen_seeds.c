/* Writes small, valid seed inputs for the fuzzers that need binary files:
 *   OUT/gguf/NAME.gguf            tiny models of every architecture qlm loads (every
 *                                 supported tensor type, fused and optional tensors,
 *                                 SentencePiece / BPE / WordPiece vocabularies), a
 *                                 vocab-only file, a file of one tensor per type, a v1 file
 *   OUT/safetensors/NAME.safetensors  small checkpoints in F32, F16 and BF16
 *   OUT/template/...              fuzz_template inputs: each real chat template as text
 *                                 (mode byte 0), and each conversation of its cases file
 *                                 (SHARED/chat-templates/NAME.cases.json) as a context
 *                                 for that template (mode byte 1, template index)
 *   OUT/hf_tokenizer/...          fuzz_hf_tokenizer inputs: the real tokenizer.json files
 *                                 of SHARED/tokenizers (mode byte 0) and the LLaMA-2
 *                                 tokenizer.model (mode byte 1), cut down to their first
 *                                 tokens (the merges and added tokens that fit them)
 * The real files in ../shared are megabytes; mutating those wastes most of each run on
 * tensor data. Usage: gen_seeds OUT [SHARED] (the OUT/NAME folders must exist). */
#include "../../model/gguf_write.h"
#include "../../model/json.h"
#include "../../ggml-like/qtypes.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *g_out;
static uint32_t g_rng = 12345;

static float rnd(void) {
    g_rng = g_rng * 1664525u + 1013904223u;
    return ((float)(g_rng >> 8) / 16777216.0f - 0.5f) * 0.2f;
}

static void die(const char *what, const qlm_error *err) {
    fprintf(stderr, "gen_seeds: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

/* ---- vocabularies ---------------------------------------------------------------- */

#define MAX_TOK 400
static const char *tok[MAX_TOK];
static size_t tok_len[MAX_TOK];
static float score[MAX_TOK];
static int32_t ttype[MAX_TOK];
static int n_tok;
static char byte_names[256][8];

static void add_tok(const char *s, int32_t type) {
    tok[n_tok] = s;
    tok_len[n_tok] = strlen(s);
    score[n_tok] = -(float)n_tok;
    ttype[n_tok] = type;
    n_tok++;
}

static void put_tokens(qlm_gguf_writer *w) {
    qlm_gguf_w_arr_str(w, "tokenizer.ggml.tokens", tok, tok_len, (uint64_t)n_tok);
    qlm_gguf_w_arr(w, "tokenizer.ggml.scores", GGUF_TYPE_F32, score, (uint64_t)n_tok);
    qlm_gguf_w_arr(w, "tokenizer.ggml.token_type", GGUF_TYPE_I32, ttype, (uint64_t)n_tok);
}

/* SentencePiece; with_bytes adds the 256 <0xXX> byte-fallback tokens. */
static void vocab_spm(qlm_gguf_writer *w, bool with_bytes) {
    n_tok = 0;
    add_tok("<unk>", 2);
    add_tok("<s>", 3);
    add_tok("</s>", 3);
    if (with_bytes)
        for (int b = 0; b < 256; b++) {
            snprintf(byte_names[b], sizeof byte_names[b], "<0x%02X>", b);
            add_tok(byte_names[b], 6);
        }
    static const char *pieces[] = {"\xe2\x96\x81", "\xe2\x96\x81t", "\xe2\x96\x81th", "\xe2\x96\x81the", "h", "e", "t",
                                   "he", "th", "\xe2\x96\201a", "a", "b", "ab", "\xc3\xa9", "\xe2\x96\x81\xe2\x96\x81", "\n"};
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) add_tok(pieces[i], 1);
    add_tok("<|im_start|>", 3);
    add_tok("<|im_end|>", 3);
    add_tok("<start_of_turn>", 4);
    add_tok("<end_of_turn>", 3);
    put_tokens(w);
    qlm_gguf_w_str(w, "tokenizer.ggml.model", "llama", 5);
    qlm_gguf_w_u32(w, "tokenizer.ggml.bos_token_id", 1);
    qlm_gguf_w_u32(w, "tokenizer.ggml.eos_token_id", 2);
    qlm_gguf_w_u32(w, "tokenizer.ggml.unknown_token_id", 0);
    qlm_gguf_w_bool(w, "tokenizer.ggml.add_bos_token", true);
}

/* Byte-level BPE: the 256 byte-map characters, a few merges and an end token. */
static char bpe_chars[256][4];
static char *merge_str[16];
static void vocab_bpe(qlm_gguf_writer *w, const char *pre) {
    n_tok = 0;
    for (int b = 0; b < 256; b++) {
        uint32_t cp = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE ? (uint32_t)b
                    : b <= 0x20 ? 0x100u + (uint32_t)b : b <= 0xA0 ? 0x100u + 33 + (uint32_t)(b - 0x7F) : 0x143u;
        if (cp < 0x80) { bpe_chars[b][0] = (char)cp; bpe_chars[b][1] = 0; }
        else { bpe_chars[b][0] = (char)(0xC0 | (cp >> 6)); bpe_chars[b][1] = (char)(0x80 | (cp & 0x3F)); bpe_chars[b][2] = 0; }
        add_tok(bpe_chars[b], 1);
    }
    static const char *merged[] = {"\xc4\xa0t", "he", "\xc4\xa0the", "in", "\xc4\240a", "\xc4\x8a\xc4\x8a"};
    static const char *merges[] = {"\xc4\xa0 t", "h e", "\xc4\xa0t he", "i n", "\xc4\xa0 a", "\xc4\x8a \xc4\x8a"};
    for (size_t i = 0; i < sizeof merged / sizeof merged[0]; i++) add_tok(merged[i], 1);
    add_tok("<|endoftext|>", 3);
    add_tok("<|im_start|>", 3);
    add_tok("<|im_end|>", 3);
    add_tok("<tool>", 4);
    put_tokens(w);
    size_t ml[16];
    int nm = (int)(sizeof merges / sizeof merges[0]);
    for (int i = 0; i < nm; i++) { merge_str[i] = (char *)merges[i]; ml[i] = strlen(merges[i]); }
    qlm_gguf_w_arr_str(w, "tokenizer.ggml.merges", (const char *const *)merge_str, ml, (uint64_t)nm);
    qlm_gguf_w_str(w, "tokenizer.ggml.model", "gpt2", 4);
    qlm_gguf_w_str(w, "tokenizer.ggml.pre", pre, strlen(pre));
    qlm_gguf_w_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)n_tok - 4);
    qlm_gguf_w_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)n_tok - 4);
    qlm_gguf_w_u32(w, "tokenizer.ggml.eot_token_id", (uint32_t)n_tok - 2);
}

static void vocab_wpm(qlm_gguf_writer *w) {
    n_tok = 0;
    static const char *t[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "a", "##b", "##s",
                              "the", "##e", ",", "!", "\xc3\xa9", "caf", "##\xc3\xa9"};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) add_tok(t[i], t[i][0] == '[' ? 3 : 1);
    put_tokens(w);
    qlm_gguf_w_str(w, "tokenizer.ggml.model", "bert", 4);
    qlm_gguf_w_u32(w, "tokenizer.ggml.unknown_token_id", 1);
    qlm_gguf_w_u32(w, "tokenizer.ggml.bos_token_id", 2); /* BERT begins with [CLS] */
    qlm_gguf_w_u32(w, "tokenizer.ggml.cls_token_id", 2);
    qlm_gguf_w_u32(w, "tokenizer.ggml.seperator_token_id", 3);
    qlm_gguf_w_u32(w, "tokenizer.ggml.padding_token_id", 0);
}

/* ---- tensors --------------------------------------------------------------------- */

typedef struct {
    char name[64];
    uint32_t type;
    int n_dims;
    int64_t ne[2];
} tdef;

static tdef T[64];
static int n_t;

static void add_t(const char *name, uint32_t type, int64_t ne0, int64_t ne1) {
    tdef *t = &T[n_t++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->type = type;
    t->n_dims = ne1 ? 2 : 1;
    t->ne[0] = ne0;
    t->ne[1] = ne1 ? ne1 : 1;
}

static void add_layer_t(int il, const char *suffix, uint32_t type, int64_t ne0, int64_t ne1) {
    char name[64];
    snprintf(name, sizeof name, "blk.%d.%s", il, suffix);
    add_t(name, type, ne0, ne1);
}

/* Declare T[], write the header, then each tensor's data (random values quantized to
 * its type; norm weights near 1). */
static void finish(qlm_gguf_writer *w, const char *file) {
    for (int i = 0; i < n_t; i++)
        if (qlm_gguf_w_add_tensor(w, T[i].name, T[i].type, T[i].n_dims, T[i].ne) < 0) die(T[i].name, NULL);
    char path[1024];
    snprintf(path, sizeof path, "%s/gguf/%s", g_out, file);
    qlm_error err = {0};
    if (qlm_gguf_w_begin(w, path, &err)) die(path, &err);
    for (int i = 0; i < n_t; i++) {
        int64_t n = T[i].ne[0] * T[i].ne[1];
        float *f = malloc((size_t)n * sizeof *f);
        bool norm = strstr(T[i].name, "norm") != NULL;
        for (int64_t k = 0; k < n; k++) f[k] = norm ? 1.0f + rnd() : rnd();
        const qlm_type_traits *tt = qlm_type_get(T[i].type);
        size_t bytes = qlm_row_size((qlm_type)T[i].type, T[i].ne[0]) * (size_t)T[i].ne[1];
        void *q = malloc(bytes);
        if (T[i].type == QLM_TYPE_F32) memcpy(q, f, bytes);
        else for (int64_t r = 0; r < T[i].ne[1]; r++)
            tt->from_float(f + r * T[i].ne[0], (char *)q + (size_t)r * qlm_row_size((qlm_type)T[i].type, T[i].ne[0]), T[i].ne[0]);
        if (qlm_gguf_w_write(w, q, bytes, &err)) die(path, &err);
        free(q);
        free(f);
    }
    if (qlm_gguf_w_finish(w, &err)) die(path, &err);
    qlm_gguf_writer_free(w);
    n_t = 0;
}

typedef struct {
    const char *arch;
    int n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx;
} hp;

static qlm_gguf_writer *model_header(const hp *h, const char *name) {
    qlm_gguf_writer *w = qlm_gguf_writer_new(0);
    char key[128];
#define K(s) (snprintf(key, sizeof key, "%s.%s", h->arch, s), key)
    qlm_gguf_w_str(w, "general.architecture", h->arch, strlen(h->arch));
    qlm_gguf_w_str(w, "general.name", name, strlen(name));
    qlm_gguf_w_u32(w, K("context_length"), (uint32_t)h->n_ctx);
    qlm_gguf_w_u32(w, K("embedding_length"), (uint32_t)h->n_embd);
    qlm_gguf_w_u32(w, K("block_count"), (uint32_t)h->n_layer);
    qlm_gguf_w_u32(w, K("feed_forward_length"), (uint32_t)h->n_ff);
    qlm_gguf_w_u32(w, K("attention.head_count"), (uint32_t)h->n_head);
    qlm_gguf_w_u32(w, K("attention.head_count_kv"), (uint32_t)h->n_head_kv);
    qlm_gguf_w_u32(w, K("attention.key_length"), (uint32_t)h->head_dim);
    qlm_gguf_w_u32(w, K("attention.value_length"), (uint32_t)h->head_dim);
    qlm_gguf_w_f32(w, K("attention.layer_norm_rms_epsilon"), 1e-5f);
    qlm_gguf_w_f32(w, K("attention.layer_norm_epsilon"), 1e-5f);
    qlm_gguf_w_f32(w, K("rope.freq_base"), 10000.0f);
    qlm_gguf_w_u32(w, K("rope.dimension_count"), (uint32_t)h->head_dim);
#undef K
    return w;
}

/* The attention and feed-forward tensors of a llama-style layer, types varied so that
 * every supported type meets the loader and the forward pass somewhere. */
static void llama_layers(const hp *h, const uint32_t types[7]) {
    int64_t d = h->n_embd, q = (int64_t)h->n_head * h->head_dim, kv = (int64_t)h->n_head_kv * h->head_dim;
    for (int il = 0; il < h->n_layer; il++) {
        add_layer_t(il, "attn_norm.weight", QLM_TYPE_F32, d, 0);
        add_layer_t(il, "attn_q.weight", types[0], d, q);
        add_layer_t(il, "attn_k.weight", types[1], d, kv);
        add_layer_t(il, "attn_v.weight", types[2], d, kv);
        add_layer_t(il, "attn_output.weight", types[3], q, d);
        add_layer_t(il, "ffn_norm.weight", QLM_TYPE_F32, d, 0);
        add_layer_t(il, "ffn_gate.weight", types[4], d, h->n_ff);
        add_layer_t(il, "ffn_up.weight", types[5], d, h->n_ff);
        add_layer_t(il, "ffn_down.weight", types[6], h->n_ff, d);
    }
}

static void gen_llama(void) {
    hp h = {"llama", 32, 1, 2, 1, 16, 32, 64};
    qlm_gguf_writer *w = model_header(&h, "tiny llama");
    vocab_spm(w, true);
    add_t("rope_freqs.weight", QLM_TYPE_F32, h.head_dim / 2, 0);
    add_t("token_embd.weight", QLM_TYPE_Q8_0, h.n_embd, n_tok);
    const uint32_t types[7] = {QLM_TYPE_F16, QLM_TYPE_BF16, QLM_TYPE_Q4_0, QLM_TYPE_Q4_1, QLM_TYPE_Q5_0, QLM_TYPE_Q5_1, QLM_TYPE_F32};
    llama_layers(&h, types);
    add_t("output_norm.weight", QLM_TYPE_F32, h.n_embd, 0);
    add_t("output.weight", QLM_TYPE_Q8_0, h.n_embd, n_tok);
    finish(w, "llama.gguf");
}

/* K-quants need rows of 256. */
static void gen_kquant(void) {
    hp h = {"mistral", 256, 1, 1, 1, 8, 8, 32};
    qlm_gguf_writer *w = model_header(&h, "k-quants");
    vocab_spm(w, false);
    add_t("token_embd.weight", QLM_TYPE_Q6_K, h.n_embd, n_tok);
    const uint32_t types[7] = {QLM_TYPE_Q4_K, QLM_TYPE_Q5_K, QLM_TYPE_Q6_K, QLM_TYPE_F16, QLM_TYPE_Q4_K, QLM_TYPE_Q5_K, QLM_TYPE_F16};
    llama_layers(&h, types);
    add_t("output_norm.weight", QLM_TYPE_F32, h.n_embd, 0); /* tied output */
    finish(w, "kquant.gguf");
}

static void gen_qwen(const char *arch) {
    hp h = {arch, 32, 1, 2, 1, 16, 32, 64};
    qlm_gguf_writer *w = model_header(&h, arch);
    vocab_bpe(w, !strcmp(arch, "qwen2") ? "qwen2" : "llama-bpe");
    add_t("token_embd.weight", QLM_TYPE_F16, h.n_embd, n_tok);
    const uint32_t types[7] = {QLM_TYPE_Q8_0, QLM_TYPE_Q8_0, QLM_TYPE_F16, QLM_TYPE_Q8_0, QLM_TYPE_Q4_0, QLM_TYPE_Q4_0, QLM_TYPE_Q8_0};
    llama_layers(&h, types);
    if (!strcmp(arch, "qwen2")) {
        add_layer_t(0, "attn_q.bias", QLM_TYPE_F32, 32, 0);
        add_layer_t(0, "attn_k.bias", QLM_TYPE_F32, 16, 0);
        add_layer_t(0, "attn_v.bias", QLM_TYPE_F32, 16, 0);
    } else {
        add_layer_t(0, "attn_q_norm.weight", QLM_TYPE_F32, 16, 0);
        add_layer_t(0, "attn_k_norm.weight", QLM_TYPE_F32, 16, 0);
    }
    add_t("output_norm.weight", QLM_TYPE_F32, h.n_embd, 0);
    char file[64];
    snprintf(file, sizeof file, "%s.gguf", arch);
    finish(w, file);
}

static void gen_phi3(void) {
    hp h = {"phi3", 32, 1, 2, 2, 16, 32, 64};
    qlm_gguf_writer *w = model_header(&h, "phi3");
    vocab_spm(w, false);
    add_t("token_embd.weight", QLM_TYPE_F32, 32, n_tok);
    add_layer_t(0, "attn_norm.weight", QLM_TYPE_F32, 32, 0);
    add_layer_t(0, "attn_qkv.weight", QLM_TYPE_Q8_0, 32, 32 + 2 * 32);
    add_layer_t(0, "attn_output.weight", QLM_TYPE_F16, 32, 32);
    add_layer_t(0, "ffn_norm.weight", QLM_TYPE_F32, 32, 0);
    add_layer_t(0, "ffn_up.weight", QLM_TYPE_Q4_1, 32, 64);
    add_layer_t(0, "ffn_down.weight", QLM_TYPE_BF16, 32, 32);
    add_t("output_norm.weight", QLM_TYPE_F32, 32, 0);
    add_t("output.weight", QLM_TYPE_F16, 32, n_tok);
    finish(w, "phi3.gguf");
}

static void gen_gpt2(void) {
    hp h = {"gpt2", 32, 1, 2, 2, 16, 32, 16};
    qlm_gguf_writer *w = model_header(&h, "gpt2");
    vocab_bpe(w, "gpt-2");
    add_t("token_embd.weight", QLM_TYPE_Q8_0, 32, n_tok);
    add_t("position_embd.weight", QLM_TYPE_F32, 32, 16);
    add_layer_t(0, "attn_norm.weight", QLM_TYPE_F32, 32, 0);
    add_layer_t(0, "attn_norm.bias", QLM_TYPE_F32, 32, 0);
    add_layer_t(0, "attn_qkv.weight", QLM_TYPE_F16, 32, 96);
    add_layer_t(0, "attn_qkv.bias", QLM_TYPE_F32, 96, 0);
    add_layer_t(0, "attn_output.weight", QLM_TYPE_Q5_0, 32, 32);
    add_layer_t(0, "attn_output.bias", QLM_TYPE_F32, 32, 0);
    add_layer_t(0, "ffn_norm.weight", QLM_TYPE_F32, 32, 0);
    add_layer_t(0, "ffn_norm.bias", QLM_TYPE_F32, 32, 0);
    add_layer_t(0, "ffn_up.weight", QLM_TYPE_Q8_0, 32, 32);
    add_layer_t(0, "ffn_up.bias", QLM_TYPE_F32, 32, 0);
    add_layer_t(0, "ffn_down.weight", QLM_TYPE_Q5_1, 32, 32);
    add_layer_t(0, "ffn_down.bias", QLM_TYPE_F32, 32, 0);
    add_t("output_norm.weight", QLM_TYPE_F32, 32, 0);
    add_t("output_norm.bias", QLM_TYPE_F32, 32, 0);
    add_t("output.weight", QLM_TYPE_Q8_0, 32, n_tok);
    finish(w, "gpt2.gguf");
}

static void gen_gemma3(void) {
    hp h = {"gemma3", 32, 2, 2, 1, 16, 32, 64};
    qlm_gguf_writer *w = model_header(&h, "gemma3");
    vocab_spm(w, false);
    qlm_gguf_w_u32(w, "gemma3.attention.sliding_window", 4);
    qlm_gguf_w_f32(w, "gemma3.rope.freq_base_swa", 10000.0f);
    qlm_gguf_w_f32(w, "gemma3.attention.scale", 0.25f);
    bool pattern[2] = {true, false};
    qlm_gguf_w_arr(w, "gemma3.attention.sliding_window_pattern", GGUF_TYPE_BOOL, pattern, 2);
    add_t("token_embd.weight", QLM_TYPE_BF16, 32, n_tok);
    const uint32_t types[7] = {QLM_TYPE_Q8_0, QLM_TYPE_Q8_0, QLM_TYPE_Q8_0, QLM_TYPE_Q8_0, QLM_TYPE_F16, QLM_TYPE_F16, QLM_TYPE_F16};
    llama_layers(&h, types);
    for (int il = 0; il < 2; il++) {
        add_layer_t(il, "attn_q_norm.weight", QLM_TYPE_F32, 16, 0);
        add_layer_t(il, "attn_k_norm.weight", QLM_TYPE_F32, 16, 0);
        add_layer_t(il, "post_attention_norm.weight", QLM_TYPE_F32, 32, 0);
        add_layer_t(il, "post_ffw_norm.weight", QLM_TYPE_F32, 32, 0);
    }
    add_t("output_norm.weight", QLM_TYPE_F32, 32, 0);
    finish(w, "gemma3.gguf");
}

static void gen_bert_vocab(void) {
    qlm_gguf_writer *w = qlm_gguf_writer_new(64);
    qlm_gguf_w_str(w, "general.architecture", "bert", 4);
    vocab_wpm(w);
    finish(w, "bert-vocab.gguf");
}

/* One tensor of each type, rows of 256, with metadata of every value type. */
static void gen_all_types(void) {
    qlm_gguf_writer *w = qlm_gguf_writer_new(0);
    qlm_gguf_w_i32(w, "t.i32", -7);
    qlm_gguf_w_u64(w, "t.u64", 1ull << 40);
    qlm_gguf_w_f32(w, "t.f32", 0.5f);
    qlm_gguf_w_bool(w, "t.bool", true);
    qlm_gguf_w_str(w, "t.str", "text\n\"quoted\"", 14);
    int16_t arr[3] = {-1, 2, 3};
    qlm_gguf_w_arr(w, "t.arr_i16", GGUF_TYPE_I16, arr, 3);
    double d[2] = {1.5, -2.25};
    qlm_gguf_w_arr(w, "t.arr_f64", GGUF_TYPE_F64, d, 2);
    static const uint32_t types[] = {QLM_TYPE_F32, QLM_TYPE_F16, QLM_TYPE_BF16, QLM_TYPE_Q4_0, QLM_TYPE_Q4_1, QLM_TYPE_Q5_0,
                                     QLM_TYPE_Q5_1, QLM_TYPE_Q8_0, QLM_TYPE_Q4_K, QLM_TYPE_Q5_K, QLM_TYPE_Q6_K};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "t%zu", i);
        add_t(name, types[i], 256, 0);
    }
    finish(w, "all-types.gguf");
}

/* GGUF v1 (32-bit counts and lengths), written by hand: the writer only makes v3. */
static void gen_v1(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/gguf/v1.gguf", g_out);
    FILE *f = fopen(path, "wb");
    if (!f) die(path, NULL);
    uint32_t hdr[4] = {0x46554747u, 1, 0, 2}; /* "GGUF", version, n_tensors, n_kv */
    fwrite(hdr, 4, 4, f);
    uint32_t kl = 20, type = GGUF_TYPE_STRING, sl = 5;
    fwrite(&kl, 4, 1, f); fwrite("general.architecture", 1, 20, f);
    fwrite(&type, 4, 1, f); fwrite(&sl, 4, 1, f); fwrite("llama", 1, 5, f);
    uint32_t kl2 = 17, t2 = GGUF_TYPE_ARRAY, et = GGUF_TYPE_STRING, n = 2, l1 = 1, l2 = 2;
    fwrite(&kl2, 4, 1, f); fwrite("tokenizer.ggml.xs", 1, 17, f);
    fwrite(&t2, 4, 1, f); fwrite(&et, 4, 1, f); fwrite(&n, 4, 1, f);
    fwrite(&l1, 4, 1, f); fwrite("a", 1, 1, f); fwrite(&l2, 4, 1, f); fwrite("bc", 1, 2, f);
    fclose(f);
}

/* ---- safetensors ------------------------------------------------------------------- */

static void write_st(const char *file, const char *header, const void *data, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/safetensors/%s", g_out, file);
    FILE *f = fopen(path, "wb");
    if (!f) die(path, NULL);
    uint64_t hl = strlen(header);
    uint64_t padded = (hl + 7) & ~7ull; /* the format pads its header with spaces */
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(padded >> (8 * i));
    fwrite(len, 1, 8, f);
    fwrite(header, 1, hl, f);
    for (uint64_t i = hl; i < padded; i++) fputc(' ', f);
    fwrite(data, 1, n, f);
    fclose(f);
}

static void gen_safetensors(void) {
    uint8_t data[256];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 37 + 11);
    write_st("mixed.safetensors",
             "{\"__metadata__\":{\"format\":\"pt\"},"
             "\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
             "\"b.bias\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[24,32]},"
             "\"c\":{\"dtype\":\"BF16\",\"shape\":[2,2,2],\"data_offsets\":[32,48]},"
             "\"scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[48,52]},"
             "\"empty\":{\"dtype\":\"F16\",\"shape\":[0,5],\"data_offsets\":[52,52]}}",
             data, 52);
    write_st("llama-names.safetensors",
             "{\"model.embed_tokens.weight\":{\"dtype\":\"BF16\",\"shape\":[4,8],\"data_offsets\":[0,64]},"
             "\"model.layers.0.self_attn.q_proj.weight\":{\"dtype\":\"BF16\",\"shape\":[8,8],\"data_offsets\":[64,192]},"
             "\"model.norm.weight\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[192,224]}}",
             data, 224);
    write_st("four-dims.safetensors",
             "{\"x\":{\"dtype\":\"F16\",\"shape\":[1,2,3,4],\"data_offsets\":[0,48]}}", data, 48);
    write_st("empty.safetensors", "{}", data, 0);
}

/* ---- chat templates ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void write_seed_in(const char *dir, const char *name, const uint8_t *prefix, size_t np, const char *text, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", g_out, dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) die(path, NULL);
    fwrite(prefix, 1, np, f);
    fwrite(text, 1, n, f);
    fclose(f);
}

static void write_seed(const char *name, const uint8_t *prefix, size_t np, const char *text, size_t n) {
    write_seed_in("template", name, prefix, np, text, n);
}

/* Template i of the sorted *.jinja list is the one fuzz_template picks with index i. */
static void gen_templates(const char *shared) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/chat-templates", shared);
    DIR *d = opendir(dir);
    if (!d) return;
    char *names[64];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 64;) {
        size_t l = strlen(e->d_name);
        if (l > 6 && !strcmp(e->d_name + l - 6, ".jinja")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char path[2048], seed[256];
        size_t l = strlen(names[i]) - 6;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        static char text[1 << 16];
        size_t tl = fread(text, 1, sizeof text, f);
        fclose(f);
        snprintf(seed, sizeof seed, "text-%.*s", (int)l, names[i]);
        write_seed(seed, (const uint8_t *)"\0", 1, text, tl);
        snprintf(path, sizeof path, "%s/%.*s.cases.json", dir, (int)l, names[i]);
        qlm_json_doc *doc = NULL;
        if (qlm_json_parse_file(path, NULL, &doc, NULL) != QLM_OK) continue;
        const qlm_json *cases = qlm_json_root(doc);
        for (size_t k = 0; k < qlm_json_len(cases); k++) {
            const qlm_json *c = qlm_json_at(cases, k);
            bool agp = false;
            qlm_json_bool(qlm_json_get(c, "add_generation_prompt"), &agp);
            /* the whole case as the context, and its messages alone */
            qlm_json_write_opts wo = {-1, false, true};
            qlm_buf b = {0};
            qlm_json_write(&b, c, &wo);
            uint8_t pre[2] = {1, (uint8_t)i};
            snprintf(seed, sizeof seed, "ctx-%.*s-%zu", (int)l, names[i], k);
            write_seed(seed, pre, 2, qlm_buf_cstr(&b), b.len);
            qlm_buf_free(&b);
            if (k % 2) continue; /* the odd cases repeat the messages */
            qlm_buf m = {0};
            qlm_json_write(&m, qlm_json_get(c, "messages"), &wo);
            pre[0] = agp ? 3 : 1;
            snprintf(seed, sizeof seed, "msgs-%.*s-%zu", (int)l, names[i], k);
            write_seed(seed, pre, 2, qlm_buf_cstr(&m), m.len);
            qlm_buf_free(&m);
        }
        qlm_json_free(doc);
    }
    for (int i = 0; i < n; i++) free(names[i]);
}

/* ---- Hugging Face tokenizer files, cut down ------------------------------------------ */

#define KEEP_IDS 600

/* A small set of strings (the kept token texts), open addressing. */
typedef struct { const char *s[4096]; uint32_t n[4096]; } strset;

static uint32_t str_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}
static void set_add(strset *t, const char *s, size_t n) {
    for (uint32_t i = str_hash(s, n) & 4095;; i = (i + 1) & 4095)
        if (!t->s[i]) { t->s[i] = s; t->n[i] = (uint32_t)n; return; }
}
static bool set_has(const strset *t, const char *s, size_t n) {
    for (uint32_t i = str_hash(s, n) & 4095; t->s[i]; i = (i + 1) & 4095)
        if (t->n[i] == n && !memcmp(t->s[i], s, n)) return true;
    return false;
}

/* A merge's two parts, from "left right" or ["left", "right"]. */
static bool merge_parts(const qlm_json *m, const char **l, size_t *ll, const char **r, size_t *rl) {
    if (m->type == QLM_JSON_STRING) {
        const char *sp = memchr(m->str, ' ', m->len);
        if (!sp) return false;
        *l = m->str; *ll = (size_t)(sp - m->str);
        *r = sp + 1; *rl = m->len - *ll - 1;
        return true;
    }
    const qlm_json *a = qlm_json_at(m, 0), *b = qlm_json_at(m, 1);
    if (!qlm_json_str(a) || !qlm_json_str(b)) return false;
    *l = a->str; *ll = a->len; *r = b->str; *rl = b->len;
    return true;
}

/* tokenizer.json with only the ids below KEEP_IDS, the merges among them, and the first
 * added tokens above (renumbered from KEEP_IDS); everything else as it was. */
static void cut_tokenizer_json(const char *src, const char *seed) {
    qlm_json_doc *doc = NULL;
    if (qlm_json_parse_file(src, NULL, &doc, NULL) != QLM_OK) return;
    const qlm_json *root = qlm_json_root(doc), *model = qlm_json_get(root, "model");
    const qlm_json *vocab = qlm_json_get(model, "vocab"), *merges = qlm_json_get(model, "merges");
    if (!vocab || !merges) { qlm_json_free(doc); return; }
    static strset kept;
    memset(&kept, 0, sizeof kept);
    qlm_json_write_opts wo = {-1, false, true};
    qlm_buf b = {0};
    qlm_buf_puts(&b, "{");
    for (size_t i = 0; i < qlm_json_len(root); i++) {
        const qlm_json *k = qlm_json_key(root, i), *v = qlm_json_val(root, i);
        if (i) qlm_buf_puts(&b, ",");
        qlm_json_put_str(&b, k->str, k->len, false);
        qlm_buf_puts(&b, ":");
        if (!strcmp(k->str, "added_tokens")) {
            qlm_buf_puts(&b, "[");
            int n_out = 0, renum = KEEP_IDS;
            for (size_t t = 0; t < qlm_json_len(v); t++) {
                const qlm_json *at = qlm_json_at(v, t);
                int64_t id;
                if (!qlm_json_i64(qlm_json_get(at, "id"), &id)) continue;
                if ((id >= KEEP_IDS && renum >= KEEP_IDS + 8) || n_out >= 48) continue;
                if (n_out++) qlm_buf_puts(&b, ",");
                qlm_buf_puts(&b, "{");
                for (size_t f = 0; f < qlm_json_len(at); f++) {
                    const qlm_json *fk = qlm_json_key(at, f);
                    if (f) qlm_buf_puts(&b, ",");
                    qlm_json_put_str(&b, fk->str, fk->len, false);
                    qlm_buf_puts(&b, ":");
                    if (!strcmp(fk->str, "id")) qlm_buf_printf(&b, "%lld", (long long)(id < KEEP_IDS ? id : renum++));
                    else qlm_json_write(&b, qlm_json_val(at, f), &wo);
                }
                qlm_buf_puts(&b, "}");
            }
            qlm_buf_puts(&b, "]");
        } else if (!strcmp(k->str, "model")) {
            qlm_buf_puts(&b, "{");
            for (size_t f = 0; f < qlm_json_len(model); f++) {
                const qlm_json *fk = qlm_json_key(model, f), *fv = qlm_json_val(model, f);
                if (f) qlm_buf_puts(&b, ",");
                qlm_json_put_str(&b, fk->str, fk->len, false);
                qlm_buf_puts(&b, ":");
                if (fv == vocab) {
                    qlm_buf_puts(&b, "{");
                    int n_out = 0;
                    for (size_t t = 0; t < qlm_json_len(vocab); t++) {
                        int64_t id;
                        const qlm_json *tk = qlm_json_key(vocab, t);
                        if (!qlm_json_i64(qlm_json_val(vocab, t), &id) || id >= KEEP_IDS) continue;
                        set_add(&kept, tk->str, tk->len);
                        if (n_out++) qlm_buf_puts(&b, ",");
                        qlm_json_put_str(&b, tk->str, tk->len, false);
                        qlm_buf_printf(&b, ":%lld", (long long)id);
                    }
                    qlm_buf_puts(&b, "}");
                } else if (fv == merges) {
                    /* vocab comes before merges in these files, so `kept` is complete */
                    qlm_buf_puts(&b, "[");
                    int n_out = 0;
                    char joined[512];
                    for (size_t t = 0; t < qlm_json_len(merges); t++) {
                        const qlm_json *m = qlm_json_at(merges, t);
                        const char *l, *r;
                        size_t ll, rl;
                        if (!merge_parts(m, &l, &ll, &r, &rl) || ll + rl > sizeof joined) continue;
                        memcpy(joined, l, ll);
                        memcpy(joined + ll, r, rl);
                        if (!set_has(&kept, l, ll) || !set_has(&kept, r, rl) || !set_has(&kept, joined, ll + rl)) continue;
                        if (n_out++) qlm_buf_puts(&b, ",");
                        qlm_json_write(&b, m, &wo);
                    }
                    qlm_buf_puts(&b, "]");
                } else {
                    qlm_json_write(&b, fv, &wo);
                }
            }
            qlm_buf_puts(&b, "}");
        } else {
            qlm_json_write(&b, v, &wo);
        }
    }
    qlm_buf_puts(&b, "}");
    write_seed_in("hf_tokenizer", seed, (const uint8_t *)"\0", 1, qlm_buf_cstr(&b), b.len);
    qlm_buf_free(&b);
    qlm_json_free(doc);
}

/* Protobuf varint; false at the end or on a malformed one. */
static bool pb_var(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    *v = 0;
    for (int sh = 0; sh < 64 && *p < end; sh += 7) {
        uint8_t c = *(*p)++;
        *v |= (uint64_t)(c & 0x7f) << sh;
        if (!(c & 0x80)) return true;
    }
    return false;
}

/* tokenizer.model with only its first KEEP_IDS pieces (top-level field 1); the specs
 * and everything else copied as they are. */
static void cut_tokenizer_model(const char *src, const char *seed) {
    FILE *f = fopen(src, "rb");
    if (!f) return;
    static uint8_t in[1 << 21];
    size_t n = fread(in, 1, sizeof in, f);
    fclose(f);
    qlm_buf b = {0};
    const uint8_t *p = in, *end = in + n;
    int pieces = 0;
    while (p < end) {
        const uint8_t *start = p;
        uint64_t key, len = 0;
        if (!pb_var(&p, end, &key)) break;
        switch (key & 7) {
        case 0: if (!pb_var(&p, end, &len)) p = end; break;
        case 1: p += 8; break;
        case 2: if (!pb_var(&p, end, &len) || len > (uint64_t)(end - p)) { p = end; break; } p += len; break;
        case 5: p += 4; break;
        default: p = end;
        }
        if (p > end) break;
        if (key >> 3 == 1 && pieces++ >= KEEP_IDS) continue;
        qlm_buf_put(&b, start, (size_t)(p - start));
    }
    write_seed_in("hf_tokenizer", seed, (const uint8_t *)"\1", 1, b.p ? b.p : "", b.len);
    qlm_buf_free(&b);
}

static void gen_hf(const char *shared) {
    static const char *const names[] = {"llama3", "qwen3", "gemma3"};
    char path[1024], seed[64];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/tokenizers/%s/tokenizer.json", shared, names[i]);
        snprintf(seed, sizeof seed, "json-%s", names[i]);
        cut_tokenizer_json(path, seed);
    }
    snprintf(path, sizeof path, "%s/tokenizer-vectors/llama2-tokenizer.model", shared);
    cut_tokenizer_model(path, "model-llama2");
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: gen_seeds OUT_DIR [SHARED_DIR]\n");
        return 2;
    }
    g_out = argv[1];
    gen_llama();
    gen_kquant();
    gen_qwen("qwen2");
    gen_qwen("qwen3");
    gen_phi3();
    gen_gpt2();
    gen_gemma3();
    gen_bert_vocab();
    gen_all_types();
    gen_v1();
    gen_safetensors();
    if (argc == 3) {
        gen_templates(argv[2]);
        gen_hf(argv[2]);
    }
    return 0;
}
