/* qlm synth, the bandwidth probe and qlm bench's output formats. No timing is checked:
 * the figures a benchmark prints only have to exist and parse.
 *
 *   - named shapes: tensor names, shapes, types and sizes as the real models have them,
 *     checked on the plan (the header qlm_synth writes) without generating 1.1B-8B
 *     parameters; parameter counts equal the published ones (TinyLlama 1,100,048,384;
 *     Qwen2.5-0.5B 494,032,768; Llama-3-8B 8,030,261,248; Llama-2-7B 6,738,415,616)
 *   - small generated files (--dims shapes, stories260k, a tiny qwen2): the header equals
 *     the plan, the metadata and tokenizer arrays are right, the model loads and qlm_eval
 *     gives finite logits; the same seed gives the same bytes for any thread count
 *   - qlm bench -o json parses (model/json.h) and has every llama-bench field with its
 *     JSON type; -o csv has the header row; -o md has llama-bench's column layout
 *   - bad arguments: exit 2 with a message; a missing model: exit 1 */
#include "harness.h"
#include "qlm.h"
#include "../model/gguf.h"
#include "../model/json.h"
#include "../ggml-like/qtypes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------------------------- */

static const qlm_synth_tensor *find(const qlm_synth_tensor *t, int n, const char *name) {
    for (int i = 0; i < n; i++) if (!strcmp(t[i].name, name)) return &t[i];
    return NULL;
}

static bool has(const qlm_synth_tensor *t, int n, const char *name, uint32_t type, int64_t ne0, int64_t ne1) {
    const qlm_synth_tensor *x = find(t, n, name);
    if (!x) { fprintf(stderr, "missing tensor %s\n", name); return false; }
    bool ok = x->type == type && x->ne[0] == ne0 && x->ne[1] == (ne1 ? ne1 : 1) && x->n_dims == (ne1 ? 2 : 1);
    if (!ok)
        fprintf(stderr, "%s: type %s [%lld, %lld], expected %s [%lld, %lld]\n", name, qlm_type_name(x->type),
                (long long)x->ne[0], (long long)x->ne[1], qlm_type_name(type), (long long)ne0, (long long)ne1);
    return ok;
}

static int64_t n_params(const qlm_synth_tensor *t, int n) {
    int64_t s = 0;
    for (int i = 0; i < n; i++) s += t[i].ne[0] * t[i].ne[1];
    return s;
}

static uint64_t n_bytes(const qlm_synth_tensor *t, int n) {
    uint64_t s = 0;
    for (int i = 0; i < n; i++) s += t[i].nbytes;
    return s;
}

/* Run `qlm ARGS > out 2> err` through the shell; returns the exit status. */
static int run_qlm(const char *args, const char *out, const char *err) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s > %s 2> %s", t_qlm(), args, out, err);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *path) {
    size_t n;
    char *s = t_read_file(path, &n);
    if (!s) return NULL;
    char *z = realloc(s, n + 1);
    if (!z) { free(s); return NULL; }
    z[n] = 0;
    return z;
}

static bool file_exists(const char *p) { return access(p, F_OK) == 0; }

enum { F32 = QLM_TYPE_F32, F16 = QLM_TYPE_F16, Q4_0 = QLM_TYPE_Q4_0, Q5_0 = QLM_TYPE_Q5_0, Q8_0 = QLM_TYPE_Q8_0,
       Q4_K = QLM_TYPE_Q4_K, Q6_K = QLM_TYPE_Q6_K };

/* ---- named shapes, from the plan ------------------------------------------------------------ */

static void test_tinyllama_plan(void) {
    t_case("synth plan: tinyllama-1.1b Q4_0 has TinyLlama's tensors, shapes and sizes");
    qlm_synth_params p;
    qlm_error err = {0};
    T_CHECK(qlm_synth_shape("TinyLlama-1.1B", &p, &err) == QLM_OK, "%s", err.message);
    p.type = "Q4_0";
    static qlm_synth_tensor t[512];
    int n = qlm_synth_plan(&p, t, 512, &err);
    T_CHECK(n == 201, "n = %d (%s)", n, err.message);
    if (n != 201) return;
    T_CHECK(has(t, n, "token_embd.weight", Q4_0, 2048, 32000), "");
    T_CHECK(has(t, n, "blk.0.attn_norm.weight", F32, 2048, 0), "");
    T_CHECK(has(t, n, "blk.0.attn_q.weight", Q4_0, 2048, 2048), "");
    T_CHECK(has(t, n, "blk.0.attn_k.weight", Q4_0, 2048, 256), "");
    T_CHECK(has(t, n, "blk.0.attn_v.weight", Q4_0, 2048, 256), "");
    T_CHECK(has(t, n, "blk.21.attn_output.weight", Q4_0, 2048, 2048), "");
    T_CHECK(has(t, n, "blk.21.ffn_gate.weight", Q4_0, 2048, 5632), "");
    T_CHECK(has(t, n, "blk.21.ffn_up.weight", Q4_0, 2048, 5632), "");
    T_CHECK(has(t, n, "blk.21.ffn_down.weight", Q4_0, 5632, 2048), "");
    T_CHECK(has(t, n, "output_norm.weight", F32, 2048, 0), "");
    /* llama-quantize puts the head of a Q4_0 model in Q6_K */
    T_CHECK(has(t, n, "output.weight", Q6_K, 2048, 32000), "");
    T_CHECK(find(t, n, "blk.22.attn_q.weight") == NULL, "a 23rd layer");
    T_CHECK(n_params(t, n) == 1100048384, "params %lld", (long long)n_params(t, n));
    /* Q4_0: 18 bytes per 32 values; Q6_K: 210 per 256 */
    T_CHECK(find(t, n, "token_embd.weight")->nbytes == 32000ull * 64 * 18, "");
    T_CHECK(find(t, n, "output.weight")->nbytes == 32000ull * 8 * 210, "");
    uint64_t layer = (2048ull * 2048 * 2 + 2048ull * 256 * 2 + 2048ull * 5632 * 3) / 32 * 18 + 2 * 2048 * 4;
    uint64_t want = 32000ull * 64 * 18 + 22 * layer + 2048 * 4 + 32000ull * 8 * 210;
    T_CHECK(n_bytes(t, n) == want, "bytes %llu, expected %llu", (unsigned long long)n_bytes(t, n), (unsigned long long)want);
    /* a NULL buffer only counts */
    T_CHECK(qlm_synth_plan(&p, NULL, 0, &err) == 201, "count-only call");

    t_case("synth plan: tinyllama-1.1b Q4_K_M promotes attn_v / ffn_down as llama.cpp's use_more_bits");
    p.type = "q4_k_m";
    n = qlm_synth_plan(&p, t, 512, &err);
    T_CHECK(n == 201, "n = %d", n);
    /* n_layer 22: layers < 2, >= 19, and (il - 2) % 3 == 2 get Q6_K */
    for (int il = 0; il < 22 && n == 201; il++) {
        bool more = il < 2 || il >= 19 || (il - 2) % 3 == 2;
        char name[64];
        snprintf(name, sizeof name, "blk.%d.attn_v.weight", il);
        T_CHECK(find(t, n, name)->type == (uint32_t)(more ? Q6_K : Q4_K), "%s", name);
        snprintf(name, sizeof name, "blk.%d.ffn_down.weight", il);
        T_CHECK(find(t, n, name)->type == (uint32_t)(more ? Q6_K : Q4_K), "%s", name);
        snprintf(name, sizeof name, "blk.%d.attn_q.weight", il);
        T_CHECK(find(t, n, name)->type == Q4_K, "%s", name);
    }
    T_CHECK(has(t, n, "output.weight", Q6_K, 2048, 32000), "");
    T_CHECK(has(t, n, "token_embd.weight", Q4_K, 2048, 32000), "");

    t_case("synth plan: tinyllama-1.1b Q4_K_S: attn_v of layers 0-3 and ffn_down of layers 0-1 in Q5_K");
    p.type = "Q4_K_S";
    n = qlm_synth_plan(&p, t, 512, &err);
    T_CHECK(n == 201, "n = %d", n);
    for (int il = 0; il < 22 && n == 201; il++) {
        char name[64];
        snprintf(name, sizeof name, "blk.%d.attn_v.weight", il);
        T_CHECK(find(t, n, name)->type == (uint32_t)(il < 4 ? QLM_TYPE_Q5_K : Q4_K), "%s", name);
        snprintf(name, sizeof name, "blk.%d.ffn_down.weight", il);
        T_CHECK(find(t, n, name)->type == (uint32_t)(il < 2 ? QLM_TYPE_Q5_K : Q4_K), "%s", name);
    }
    T_CHECK(has(t, n, "output.weight", Q6_K, 2048, 32000), "");

    t_case("synth plan: --pure keeps every matrix in the base type; F16 keeps an F16 head");
    p.type = "Q4_0";
    p.pure = true;
    n = qlm_synth_plan(&p, t, 512, &err);
    T_CHECK(n == 201 && has(t, n, "output.weight", Q4_0, 2048, 32000), "");
    p.pure = false;
    p.type = "F16";
    n = qlm_synth_plan(&p, t, 512, &err);
    T_CHECK(n == 201 && has(t, n, "output.weight", F16, 2048, 32000) && has(t, n, "blk.3.ffn_down.weight", F16, 5632, 2048), "");
    p.type = "Q8_0"; /* llama-quantize leaves a Q8_0 head in Q8_0 */
    n = qlm_synth_plan(&p, t, 512, &err);
    T_CHECK(n == 201 && has(t, n, "output.weight", Q8_0, 2048, 32000), "");
}

static void test_other_plans(void) {
    static qlm_synth_tensor t[512];
    qlm_synth_params p;
    qlm_error err = {0};

    t_case("synth plan: qwen2.5-0.5b has QKV biases, tied embeddings and 494,032,768 params");
    T_CHECK(qlm_synth_shape("qwen2.5-0.5b", &p, &err) == QLM_OK, "%s", err.message);
    T_CHECK(!strcmp(p.arch, "qwen2") && p.qkv_bias && p.tied_embd, "");
    p.type = "Q4_0";
    int n = qlm_synth_plan(&p, t, 512, &err);
    T_CHECK(n == 1 + 24 * 12 + 1, "n = %d", n);
    if (n != 290) return;
    T_CHECK(find(t, n, "output.weight") == NULL, "tied: no output.weight");
    /* the tied embedding is the head: Q6_K, which 896-wide rows cannot hold -> Q8_0 */
    T_CHECK(has(t, n, "token_embd.weight", Q8_0, 896, 151936), "");
    T_CHECK(has(t, n, "blk.0.attn_q.weight", Q4_0, 896, 896), "");
    T_CHECK(has(t, n, "blk.0.attn_q.bias", F32, 896, 0), "");
    T_CHECK(has(t, n, "blk.0.attn_k.weight", Q4_0, 896, 128), "");
    T_CHECK(has(t, n, "blk.0.attn_k.bias", F32, 128, 0), "");
    T_CHECK(has(t, n, "blk.23.attn_v.bias", F32, 128, 0), "");
    T_CHECK(has(t, n, "blk.23.ffn_down.weight", Q4_0, 4864, 896), "");
    T_CHECK(n_params(t, n) == 494032768, "params %lld", (long long)n_params(t, n));
    /* Q4_K rows of 896 do not fit 256-blocks: llama.cpp falls back to Q5_0 */
    p.type = "Q4_K";
    n = qlm_synth_plan(&p, t, 512, &err);
    T_CHECK(has(t, n, "blk.0.attn_q.weight", Q5_0, 896, 896), "");
    T_CHECK(has(t, n, "blk.0.ffn_down.weight", Q4_K, 4864, 896), "");

    t_case("synth plan: llama3-8b and llama2-7b dimensions and parameter counts");
    T_CHECK(qlm_synth_shape("llama3-8b", &p, &err) == QLM_OK, "%s", err.message);
    T_CHECK(p.rope_theta == 500000.0f && p.n_vocab == 128256 && p.n_head_kv == 8 && p.n_ff == 14336, "");
    n = qlm_synth_plan(&p, t, 512, &err);
    T_CHECK(n == 1 + 32 * 9 + 2, "n = %d", n);
    T_CHECK(n_params(t, n) == 8030261248LL, "params %lld", (long long)n_params(t, n));
    T_CHECK(has(t, n, "blk.31.attn_k.weight", F16, 4096, 1024), "");
    T_CHECK(qlm_synth_shape("llama2-7b", &p, &err) == QLM_OK, "%s", err.message);
    n = qlm_synth_plan(&p, t, 512, &err);
    T_CHECK(n_params(t, n) == 6738415616LL, "params %lld", (long long)n_params(t, n));

    t_case("synth plan: bad parameters are rejected with a message");
    qlm_synth_shape("stories260k", &p, NULL);
    qlm_synth_params b = p;
    b.n_head = 7; /* 64 does not split into 7 heads */
    T_CHECK(qlm_synth_plan(&b, NULL, 0, &err) < 0 && err.code == QLM_ERR_INVALID_ARG && strstr(err.message, "heads"), "%s", err.message);
    b = p; b.n_head_kv = 3;
    T_CHECK(qlm_synth_plan(&b, NULL, 0, &err) < 0 && strstr(err.message, "kv-heads"), "%s", err.message);
    b = p; b.n_vocab = 259;
    T_CHECK(qlm_synth_plan(&b, NULL, 0, &err) < 0 && strstr(err.message, "vocab"), "%s", err.message);
    b = p; b.type = "Q3_K";
    T_CHECK(qlm_synth_plan(&b, NULL, 0, &err) < 0 && strstr(err.message, "Q3_K"), "%s", err.message);
    b = p; b.arch = "gpt2";
    T_CHECK(qlm_synth_plan(&b, NULL, 0, &err) < 0 && strstr(err.message, "gpt2"), "%s", err.message);
    T_CHECK(qlm_synth_shape("llama9-1t", &p, &err) == QLM_ERR_INVALID_ARG && strstr(err.message, "tinyllama"), "%s", err.message);
}

/* ---- generated files ------------------------------------------------------------------------ */

/* The file's header must be the plan; the model must load and evaluate. */
static void check_file(const qlm_synth_params *p, const char *path) {
    static qlm_synth_tensor t[512];
    qlm_error err = {0};
    int n = qlm_synth_plan(p, t, 512, &err);
    qlm_gguf *g = NULL;
    T_CHECK(qlm_gguf_open(path, &g, &err) == QLM_OK, "%s", err.message);
    if (!g) return;
    T_CHECK((int)g->n_tensors == n, "%llu tensors, plan %d", (unsigned long long)g->n_tensors, n);
    for (int i = 0; i < n && i < (int)g->n_tensors; i++) {
        const qlm_gguf_tinfo *x = &g->tensors[i];
        T_CHECK(!strcmp(x->name, t[i].name) && x->type == t[i].type && x->ne[0] == t[i].ne[0] &&
                x->ne[1] == t[i].ne[1] && x->nbytes == t[i].nbytes, "tensor %d: %s vs plan %s", i, x->name, t[i].name);
    }
    char key[128];
    uint32_t u;
    float f;
    qlm_str s;
#define KEY(suffix) (snprintf(key, sizeof key, "%s.%s", p->arch, suffix), key)
    T_CHECK(qlm_gguf_get_str(g, "general.architecture", &s) && s.len == strlen(p->arch) && !memcmp(s.ptr, p->arch, s.len), "");
    T_CHECK(qlm_gguf_get_u32(g, KEY("embedding_length"), &u) && u == (uint32_t)p->n_embd, "");
    T_CHECK(qlm_gguf_get_u32(g, KEY("block_count"), &u) && u == (uint32_t)p->n_layer, "");
    T_CHECK(qlm_gguf_get_u32(g, KEY("feed_forward_length"), &u) && u == (uint32_t)p->n_ff, "");
    T_CHECK(qlm_gguf_get_u32(g, KEY("attention.head_count"), &u) && u == (uint32_t)p->n_head, "");
    T_CHECK(qlm_gguf_get_u32(g, KEY("attention.head_count_kv"), &u) && u == (uint32_t)p->n_head_kv, "");
    T_CHECK(qlm_gguf_get_u32(g, KEY("context_length"), &u) && u == (uint32_t)p->n_ctx, "");
    T_CHECK(qlm_gguf_get_u32(g, KEY("rope.dimension_count"), &u) && u == (uint32_t)(p->n_embd / p->n_head), "");
    T_CHECK(qlm_gguf_get_f32(g, KEY("rope.freq_base"), &f) && f == p->rope_theta, "");
    T_CHECK(qlm_gguf_get_f32(g, KEY("attention.layer_norm_rms_epsilon"), &f) && f == p->norm_eps, "");
#undef KEY
    /* the tokenizer llama.cpp needs */
    T_CHECK(qlm_gguf_get_str(g, "tokenizer.ggml.model", &s) && s.len == 5 && !memcmp(s.ptr, "llama", 5), "");
    uint32_t type;
    uint64_t count;
    const qlm_gguf_kv *kv;
    T_CHECK(qlm_gguf_get_arr(g, "tokenizer.ggml.tokens", &type, &count, &kv) && type == GGUF_TYPE_STRING &&
            count == (uint64_t)p->n_vocab, "tokens");
    if (count == (uint64_t)p->n_vocab && type == GGUF_TYPE_STRING) {
        const char *want[] = {"<unk>", "<s>", "</s>", "<0x00>"};
        for (int i = 0; i < 4; i++)
            T_CHECK(kv->arr_strs[i].len == strlen(want[i]) && !memcmp(kv->arr_strs[i].ptr, want[i], strlen(want[i])), "token %d", i);
        T_CHECK(kv->arr_strs[258].len == 6 && !memcmp(kv->arr_strs[258].ptr, "<0xFF>", 6), "token 258");
        T_CHECK(kv->arr_strs[259].len == 3 && !memcmp(kv->arr_strs[259].ptr, "\xe2\x96\x81", 3), "token 259 is U+2581");
        /* every piece distinct */
        bool uniq = true;
        for (uint64_t i = 259; i < count && uniq; i++)
            for (uint64_t j = 3; j < i && uniq; j++)
                if (kv->arr_strs[i].len == kv->arr_strs[j].len && !memcmp(kv->arr_strs[i].ptr, kv->arr_strs[j].ptr, kv->arr_strs[i].len))
                    uniq = false;
        T_CHECK(uniq, "duplicate pieces");
    }
    T_CHECK(qlm_gguf_get_arr(g, "tokenizer.ggml.token_type", &type, &count, &kv) && count == (uint64_t)p->n_vocab, "types");
    if (count == (uint64_t)p->n_vocab)
        T_CHECK(qlm_gguf_arr_i64(kv, 0) == 2 && qlm_gguf_arr_i64(kv, 1) == 3 && qlm_gguf_arr_i64(kv, 2) == 3 &&
                qlm_gguf_arr_i64(kv, 3) == 6 && qlm_gguf_arr_i64(kv, 258) == 6 && qlm_gguf_arr_i64(kv, 259) == 1, "token types");
    T_CHECK(qlm_gguf_get_arr(g, "tokenizer.ggml.scores", &type, &count, &kv) && type == GGUF_TYPE_F32 && count == (uint64_t)p->n_vocab, "scores");
    T_CHECK(qlm_gguf_get_u32(g, "tokenizer.ggml.bos_token_id", &u) && u == 1, "");
    T_CHECK(qlm_gguf_get_u32(g, "tokenizer.ggml.eos_token_id", &u) && u == 2, "");
    qlm_gguf_close(g);

    qlm_model *m = NULL;
    T_CHECK(qlm_model_load(path, NULL, &m, &err) == QLM_OK, "%s", err.message);
    if (!m) return;
    qlm_model_desc d;
    qlm_model_describe(m, &d);
    T_CHECK(!strcmp(d.arch, p->arch) && d.n_embd == p->n_embd && d.n_layer == p->n_layer && d.n_head == p->n_head &&
            d.n_head_kv == p->n_head_kv && d.n_ff == p->n_ff && d.n_vocab == p->n_vocab && d.n_ctx_train == p->n_ctx, "desc");
    T_CHECK(d.n_params == n_params(t, n), "n_params %lld", (long long)d.n_params);
    /* the synthetic vocabulary works through the real tokenizer: BOS, byte fallback for
     * what the filler pieces lack, and back to the same text */
    T_CHECK(!strcmp(d.tokenizer, "llama") && d.bos == 1 && d.eos == 2 && d.add_bos, "tokenizer %s, bos %d", d.tokenizer, d.bos);
    const char *text = "Hello, w\xc3\xb6rld 42";
    int32_t ids[64];
    int n_ids = qlm_tokenize(m, text, strlen(text), QLM_TOK_ADD_BOS, ids, 64, &err);
    T_CHECK(n_ids > 1 && n_ids <= 64 && ids[0] == 1, "%d ids (%s)", n_ids, err.message);
    qlm_detok *dt = qlm_detok_new(m);
    char back[256] = "";
    for (int i = 0; dt && i < n_ids && i < 64; i++) strncat(back, qlm_detok_push(dt, ids[i]), sizeof back - strlen(back) - 1);
    if (dt) strncat(back, qlm_detok_flush(dt), sizeof back - strlen(back) - 1);
    qlm_detok_free(dt);
    T_CHECK(!strcmp(back, text), "decoded '%s'", back);
    T_CHECK(d.weights_bytes == n_bytes(t, n), "weights_bytes");
    /* bytes per token: everything but the embedding table, of which one row */
    const qlm_synth_tensor *e = find(t, n, "token_embd.weight");
    uint64_t per_tok = p->tied_embd ? n_bytes(t, n) : n_bytes(t, n) - e->nbytes + e->nbytes / (uint64_t)e->ne[1];
    T_CHECK(qlm_model_weight_bytes_per_token(m) == per_tok, "bytes/token %llu, expected %llu",
            (unsigned long long)qlm_model_weight_bytes_per_token(m), (unsigned long long)per_tok);
    qlm_context_params cp = qlm_context_default_params();
    cp.n_ctx = 16;
    cp.n_threads = 2;
    qlm_context *c = NULL;
    T_CHECK(qlm_context_new(m, &cp, &c, &err) == QLM_OK, "%s", err.message);
    if (c) {
        int32_t toks[5] = {1, 300 % p->n_vocab, 7, 259, p->n_vocab - 1};
        T_CHECK(qlm_eval(c, toks, 5, false, &err) == QLM_OK, "%s", err.message);
        T_CHECK(qlm_eval(c, toks, 1, false, &err) == QLM_OK, "%s", err.message);
        const float *l = qlm_logits(c, 0);
        bool finite = l != NULL;
        for (int i = 0; finite && i < p->n_vocab; i++) finite = isfinite(l[i]);
        T_CHECK(finite, "logits are not finite");
        qlm_context_free(c);
    }
    qlm_model_free(m);
}

static void test_generated(void) {
    char path[512], path2[512];
    qlm_error err = {0};
    qlm_synth_params p;
    const char *dir = t_tmpdir();
    const char *types[] = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K", "Q4_K_M", "Q5_K_M"};
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        t_case("synth: a --dims llama model in %s: header = plan, metadata, tokenizer, loads, evaluates", types[k]);
        qlm_synth_shape("tinyllama-1.1b", &p, NULL);
        /* 256-wide rows so the K types apply; 2 layers so the mixes differ per layer */
        p.n_embd = 256; p.n_layer = 2; p.n_head = 4; p.n_head_kv = 2; p.n_ff = 512; p.n_vocab = 300; p.n_ctx = 64;
        p.type = types[k];
        p.n_threads = 2;
        snprintf(path, sizeof path, "%s/dims-%s.gguf", dir, types[k]);
        T_CHECK(qlm_synth(&p, path, &err) == QLM_OK, "%s", err.message);
        check_file(&p, path);
        remove(path);
    }

    t_case("synth: stories260k shape: ffn_down (rows of 172) falls back to F16; loads and evaluates");
    T_CHECK(qlm_synth_shape("stories260k", &p, &err) == QLM_OK, "%s", err.message);
    p.type = "Q8_0";
    snprintf(path, sizeof path, "%s/stories.gguf", dir);
    T_CHECK(qlm_synth(&p, path, &err) == QLM_OK, "%s", err.message);
    check_file(&p, path);
    static qlm_synth_tensor t[64];
    int n = qlm_synth_plan(&p, t, 64, &err);
    T_CHECK(has(t, n, "blk.4.ffn_down.weight", F16, 172, 64) && has(t, n, "blk.4.ffn_up.weight", Q8_0, 64, 172), "");

    t_case("synth: a tiny qwen2 (biases, tied embeddings) loads and evaluates");
    qlm_synth_shape("qwen2.5-0.5b", &p, NULL);
    p.n_embd = 64; p.n_layer = 2; p.n_head = 4; p.n_head_kv = 2; p.n_ff = 96; p.n_vocab = 400; p.n_ctx = 64;
    p.type = "Q4_0";
    snprintf(path, sizeof path, "%s/qwen2.gguf", dir);
    T_CHECK(qlm_synth(&p, path, &err) == QLM_OK, "%s", err.message);
    check_file(&p, path);
    remove(path);

    t_case("synth: the same seed gives the same bytes with 1 or 2 threads; another seed differs");
    qlm_synth_shape("stories260k", &p, NULL);
    p.type = "Q4_K_M"; /* falls back per tensor: exercises several quantizers */
    p.n_threads = 1;
    snprintf(path, sizeof path, "%s/seed-a.gguf", dir);
    snprintf(path2, sizeof path2, "%s/seed-b.gguf", dir);
    T_CHECK(qlm_synth(&p, path, &err) == QLM_OK, "%s", err.message);
    p.n_threads = 2;
    T_CHECK(qlm_synth(&p, path2, &err) == QLM_OK, "%s", err.message);
    size_t na, nb;
    char *a = t_read_file(path, &na), *b = t_read_file(path2, &nb);
    T_CHECK(a && b && na == nb && !memcmp(a, b, na), "files differ");
    free(b);
    p.seed = 2;
    T_CHECK(qlm_synth(&p, path2, &err) == QLM_OK, "%s", err.message);
    b = t_read_file(path2, &nb);
    T_CHECK(a && b && na == nb && memcmp(a, b, na), "seed 2 gives the same file");
    free(a); free(b);
    remove(path); remove(path2);

    t_case("synth: invalid parameters write nothing");
    p.n_head = 5;
    snprintf(path, sizeof path, "%s/bad.gguf", dir);
    T_CHECK(qlm_synth(&p, path, &err) == QLM_ERR_INVALID_ARG, "");
    T_CHECK(!file_exists(path), "a file was left");
}

/* ---- bandwidth probe ------------------------------------------------------------------------ */

static void test_membw(void) {
    t_case("membw: a small probe reports consistent figures; bad arguments are rejected");
    qlm_bandwidth bw;
    qlm_error err = {0};
    T_CHECK(qlm_measure_read_bandwidth(2, 8u << 20, 3, &bw, &err) == QLM_OK, "%s", err.message);
    T_CHECK(bw.best_gbps > 0 && bw.best_gbps >= bw.median_gbps && bw.median_gbps >= bw.worst_gbps && bw.worst_gbps > 0,
            "best %g median %g worst %g", bw.best_gbps, bw.median_gbps, bw.worst_gbps);
    T_CHECK(bw.n_threads == 2 && bw.reps == 3 && bw.bytes <= (8u << 20) && bw.bytes >= (8u << 20) - 2 * 4096, "");
    T_CHECK(bw.kernel && *bw.kernel, "");
    T_CHECK(qlm_measure_read_bandwidth(0, 8u << 20, 3, &bw, &err) == QLM_ERR_INVALID_ARG, "0 threads");
    T_CHECK(qlm_measure_read_bandwidth(1, 1000, 3, &bw, &err) == QLM_ERR_INVALID_ARG, "tiny buffer");
    T_CHECK(qlm_measure_read_bandwidth(1, 8u << 20, 0, &bw, &err) == QLM_ERR_INVALID_ARG, "0 reps");
}

/* ---- the CLI -------------------------------------------------------------------------------- */

/* llama-bench's JSON fields and their JSON types (s: string, i: integer, b: bool, f: float) */
static const struct { const char *name; char type; } LB_FIELDS[] = {
    {"build_commit", 's'}, {"build_number", 'i'}, {"cpu_info", 's'}, {"gpu_info", 's'}, {"backends", 's'},
    {"model_filename", 's'}, {"model_type", 's'}, {"model_size", 'i'}, {"model_n_params", 'i'}, {"n_batch", 'i'},
    {"n_ubatch", 'i'}, {"n_threads", 'i'}, {"cpu_mask", 's'}, {"cpu_strict", 'b'}, {"poll", 'i'}, {"type_k", 's'},
    {"type_v", 's'}, {"n_gpu_layers", 'i'}, {"n_cpu_moe", 'i'}, {"split_mode", 's'}, {"main_gpu", 'i'},
    {"no_kv_offload", 'b'}, {"flash_attn", 'i'}, {"devices", 's'}, {"tensor_split", 's'},
    {"tensor_buft_overrides", 's'}, {"load_mode", 's'}, {"embeddings", 'b'}, {"no_op_offload", 'i'},
    {"no_host", 'b'}, {"fit_target", 'i'}, {"fit_min_ctx", 'i'}, {"n_prompt", 'i'}, {"n_gen", 'i'},
    {"n_depth", 'i'}, {"test_time", 's'}, {"avg_ns", 'i'}, {"stddev_ns", 'i'}, {"avg_ts", 'f'},
    {"stddev_ts", 'f'},
};
#define N_LB ((int)(sizeof LB_FIELDS / sizeof LB_FIELDS[0]))

static bool json_type_is(const qlm_json *v, char t) {
    if (!v) return false;
    switch (t) {
    case 's': return v->type == QLM_JSON_STRING;
    case 'b': return v->type == QLM_JSON_BOOL;
    case 'i': return v->type == QLM_JSON_NUMBER && v->is_int;
    default: return v->type == QLM_JSON_NUMBER;
    }
}

static void test_cli(void) {
    const char *dir = t_tmpdir();
    char model[512], out[512], err_path[512], args[1024];
    snprintf(model, sizeof model, "%s/cli-tiny.gguf", dir);
    snprintf(out, sizeof out, "%s/cli.out", dir);
    snprintf(err_path, sizeof err_path, "%s/cli.err", dir);

    t_case("cli: qlm synth --dims writes a model");
    snprintf(args, sizeof args, "synth --dims 64,2,4,2,128,300,64 --type Q8_0 --seed 7 -t 2 -o %s", model);
    int rc = run_qlm(args, out, err_path);
    T_CHECK(rc == 0 && file_exists(model), "exit %d", rc);
    if (rc != 0) return;

    t_case("cli: qlm bench -o json parses and has every llama-bench field with its type");
    snprintf(args, sizeof args, "bench -m %s -p 8 -n 4 -r 2 -t 1 --bw 10 -o json", model);
    rc = run_qlm(args, out, err_path);
    T_CHECK(rc == 0, "exit %d", rc);
    char *text = slurp(out);
    qlm_json_doc *doc = NULL;
    qlm_error err = {0};
    T_CHECK(text && qlm_json_parse(text, strlen(text), NULL, &doc, &err) == QLM_OK, "%s", err.message);
    const qlm_json *root = doc ? qlm_json_root(doc) : NULL;
    T_CHECK(root && root->type == QLM_JSON_ARRAY && qlm_json_len(root) == 2, "not an array of 2 tests");
    for (size_t i = 0; root && i < qlm_json_len(root) && i < 2; i++) {
        const qlm_json *o = qlm_json_at(root, i);
        for (int f = 0; f < N_LB; f++)
            T_CHECK(json_type_is(qlm_json_get(o, LB_FIELDS[f].name), LB_FIELDS[f].type), "test %zu: field %s", i, LB_FIELDS[f].name);
        const qlm_json *sn = qlm_json_get(o, "samples_ns"), *st = qlm_json_get(o, "samples_ts");
        T_CHECK(sn && sn->type == QLM_JSON_ARRAY && qlm_json_len(sn) == 2, "samples_ns");
        T_CHECK(st && st->type == QLM_JSON_ARRAY && qlm_json_len(st) == 2, "samples_ts");
        int64_t np = -1, ng = -1, nt = -1;
        qlm_json_i64(qlm_json_get(o, "n_prompt"), &np);
        qlm_json_i64(qlm_json_get(o, "n_gen"), &ng);
        qlm_json_i64(qlm_json_get(o, "n_threads"), &nt);
        T_CHECK(i == 0 ? (np == 8 && ng == 0) : (np == 0 && ng == 4), "test %zu: n_prompt %lld n_gen %lld", i, (long long)np, (long long)ng);
        T_CHECK(nt == 1, "n_threads");
        double ts = 0, roof = -1;
        qlm_json_num(qlm_json_get(o, "avg_ts"), &ts);
        qlm_json_num(qlm_json_get(o, "qlm_roofline_ts"), &roof);
        T_CHECK(ts > 0, "avg_ts");
        T_CHECK(i == 0 ? roof == 0 : roof > 0, "roofline %g", roof);
        const char *mt = qlm_json_str(qlm_json_get(o, "model_type"));
        T_CHECK(mt && !strncmp(mt, "llama ", 6) && strstr(mt, "Q8_0"), "model_type '%s'", mt ? mt : "");
        const char *fn = qlm_json_str(qlm_json_get(o, "model_filename"));
        T_CHECK(fn && !strcmp(fn, model), "model_filename");
        T_CHECK(qlm_json_str(qlm_json_get(o, "qlm_isa")) && !strcmp(qlm_json_str(qlm_json_get(o, "qlm_isa")), qlm_isa_name()), "qlm_isa");
    }
    qlm_json_free(doc);
    free(text);

    t_case("cli: qlm bench -o csv has llama-bench's header row and one row per test");
    snprintf(args, sizeof args, "bench -m %s -p 8 -n 4 -r 2 -t 1,2 --bw 10 -o csv --kv f32", model);
    rc = run_qlm(args, out, err_path);
    T_CHECK(rc == 0, "exit %d", rc);
    text = slurp(out);
    if (text) {
        char *save = NULL, *line = strtok_r(text, "\n", &save);
        int rows = 0;
        /* header: the llama-bench fields in order, then qlm's */
        char want[2048] = "";
        for (int f = 0; f < N_LB; f++) { strcat(want, f ? "," : ""); strcat(want, LB_FIELDS[f].name); }
        T_CHECK(line && !strncmp(line, want, strlen(want)) && line[strlen(want)] == ',', "header: %s", line ? line : "");
        int header_cols = 1;
        for (const char *c = line; c && *c; c++) header_cols += *c == ',';
        while ((line = strtok_r(NULL, "\n", &save))) {
            rows++;
            int cols = 1, quotes = 0;
            for (const char *c = line; *c; c++) { quotes += *c == '"'; if (*c == ',' && quotes % 2 == 0) cols++; }
            T_CHECK(cols == header_cols && line[0] == '"', "row %d: %d columns, header %d", rows, cols, header_cols);
            T_CHECK(strstr(line, "\"f32\",\"f32\""), "row %d: type_k/type_v f32", rows);
        }
        T_CHECK(rows == 4, "%d rows", rows);
    } else {
        T_CHECK(0, "no output");
    }
    free(text);

    t_case("cli: qlm bench -mmp 0 reads the model into memory: load_mode \"none\" (\"mmap\" by default)");
    snprintf(args, sizeof args, "bench -m %s -p 8 -n 0 -r 1 -t 1 -mmp 0 -o csv", model);
    rc = run_qlm(args, out, err_path);
    T_CHECK(rc == 0, "exit %d", rc);
    text = slurp(out);
    T_CHECK(text && strstr(text, ",\"none\",") && !strstr(text, ",\"mmap\","), "load_mode: %.300s", text ? text : "");
    free(text);
    snprintf(args, sizeof args, "bench -m %s -p 8 -n 0 -r 1 -t 1 -o csv", model);
    rc = run_qlm(args, out, err_path);
    text = slurp(out);
    T_CHECK(rc == 0 && text && strstr(text, ",\"mmap\","), "default load_mode");
    free(text);

    t_case("cli: --repack: qlm logits writes the mapped file's logits to the bit; qlm bench -rtr 1 "
           "shows an rtr column and qlm_repack");
    {
        char q4[512], la[512], lb[512], cmd[2048];
        snprintf(q4, sizeof q4, "%s/repack-q4_0.gguf", dir);
        snprintf(la, sizeof la, "%s/logits-mapped.f32", dir);
        snprintf(lb, sizeof lb, "%s/logits-repacked.f32", dir);
        snprintf(args, sizeof args, "synth --dims 256,2,4,2,512,300,128 --type Q4_0 --pure -o %s -t 1", q4);
        T_CHECK(run_qlm(args, out, err_path) == 0, "synth failed");
        const char *toks = "1,7,99,250,3,18,77,5,6,200,150,42";
        snprintf(cmd, sizeof cmd, "logits -m %s --tokens %s -o %s -t 2", q4, toks, la);
        T_CHECK(run_qlm(cmd, out, err_path) == 0, "logits failed");
        snprintf(cmd, sizeof cmd, "logits -m %s --tokens %s -o %s -t 2 --repack", q4, toks, lb);
        T_CHECK(run_qlm(cmd, out, err_path) == 0, "logits --repack failed");
        size_t na = 0, nb = 0;
        char *a = t_read_file(la, &na), *b = t_read_file(lb, &nb);
        T_CHECK(a && b && na == 12 * 300 * 4 && na == nb && !memcmp(a, b, na), "logits differ (%zu, %zu bytes)", na, nb);
        free(a);
        free(b);
        snprintf(args, sizeof args, "bench -m %s -p 8 -n 2 -r 1 -t 1 -rtr 1 --bw 10", q4);
        T_CHECK(run_qlm(args, out, err_path) == 0, "bench -rtr 1 failed");
        text = slurp(out);
        T_CHECK(text && strstr(text, "| rtr |") && strstr(text, "|   1 |"), "rtr column: %.300s", text ? text : "");
        free(text);
        snprintf(args, sizeof args, "bench -m %s -p 8 -n 0 -r 1 -t 1 -rtr 1 -o json", q4);
        T_CHECK(run_qlm(args, out, err_path) == 0, "bench -rtr 1 -o json failed");
        text = slurp(out);
        T_CHECK(text && strstr(text, "\"qlm_repack\": 1") && strstr(text, "\"load_mode\": \"none\""),
                "json: %.600s", text ? text : "");
        free(text);
        remove(q4); remove(la); remove(lb);
    }

    t_case("cli: qlm bench -o md has llama-bench's columns, then the roofline columns");
    snprintf(args, sizeof args, "bench -m %s -p 8 -n 4 -r 2 -t 2 --bw 10", model);
    rc = run_qlm(args, out, err_path);
    T_CHECK(rc == 0, "exit %d", rc);
    text = slurp(out);
    if (text) {
        const char *head =
            "| model                          |       size |     params | backend    | threads |            test |                  t/s |";
        const char *sep =
            "| ------------------------------ | ---------: | ---------: | ---------- | ------: | --------------: | -------------------: |";
        T_CHECK(!strncmp(text, head, strlen(head)), "header:\n%.200s", text);
        char *l2 = strchr(text, '\n');
        T_CHECK(l2 && !strncmp(l2 + 1, sep, strlen(sep)), "separator");
        T_CHECK(strstr(text, "roofline t/s") && strstr(text, "% roof") && strstr(text, "isa"), "roofline columns");
        T_CHECK(strstr(text, "|             pp8 |") && strstr(text, "|             tg4 |"), "test column");
        T_CHECK(strstr(text, " \xc2\xb1 "), "t/s mean +- sd");
        T_CHECK(strstr(text, "\nbuild: "), "footer");
    }
    free(text);

    t_case("cli: qlm bench --membw -o json parses");
    rc = run_qlm("bench --membw -t 1,2 -r 2 --bw-mib 8 -o json", out, err_path);
    T_CHECK(rc == 0, "exit %d", rc);
    text = slurp(out);
    doc = NULL;
    T_CHECK(text && qlm_json_parse(text, strlen(text), NULL, &doc, &err) == QLM_OK, "%s", err.message);
    root = doc ? qlm_json_root(doc) : NULL;
    T_CHECK(root && root->type == QLM_JSON_ARRAY && qlm_json_len(root) == 2, "two rows");
    double g = 0;
    T_CHECK(root && qlm_json_num(qlm_json_get(qlm_json_at(root, 1), "best_gbps"), &g) && g > 0, "best_gbps");
    qlm_json_free(doc);
    free(text);

    /* usage errors: exit 2 with a message naming the problem */
    struct { const char *args, *needle; } bad[] = {
        {"bench", "-m"},
        {"bench -m x.gguf -p abc", "-p"},
        {"bench -m x.gguf -p 8,", "-p"},
        {"bench -m x.gguf -t 0", "-t"},
        {"bench -m x.gguf -r 0", "-r"},
        {"bench -m x.gguf -o xml", "xml"},
        {"bench -m x.gguf --kv q8_0", "--kv"},
        {"bench -m x.gguf --bw -3", "--bw"},
        {"bench -m x.gguf -mmp 2", "-mmp"},
        {"bench -m x.gguf -rtr 2", "-rtr"},
        {"bench -m x.gguf --load-mode dio", "--load-mode"},
        {"bench -m x.gguf -p 0 -n 0", "nothing"},
        {"bench -m x.gguf --frobnicate", "--frobnicate"},
        {"bench -m", "-m"},
        {"synth -o x.gguf", "--shape"},
        {"synth --shape stories260k --dims 1,2,3,4,5,6,7 -o x.gguf", "--shape"},
        {"synth --shape nosuch -o x.gguf", "nosuch"},
        {"synth --shape stories260k", "-o"},
        {"synth --shape stories260k --type Q3_K -o x.gguf", "Q3_K"},
        {"synth --dims 64,2,4,2,128,300 -o x.gguf", "--dims"},
        {"synth --dims 64,2,4,2,128,100,64 -o x.gguf", "vocab"},
        {"synth --dims 64,2,5,1,128,300,64 -o x.gguf", "heads"},
        {"synth --shape stories260k --seed -1 -o x.gguf", "--seed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t_case("cli: 'qlm %s' -> exit 2 naming %s", bad[i].args, bad[i].needle);
        rc = run_qlm(bad[i].args, out, err_path);
        text = slurp(err_path);
        T_CHECK(rc == 2, "exit %d", rc);
        T_CHECK(text && strstr(text, bad[i].needle) && strchr(text, '\n') == text + strlen(text) - 1,
                "stderr: %s", text ? text : "");
        free(text);
    }
    T_CHECK(!file_exists("x.gguf"), "a usage error wrote x.gguf");

    t_case("cli: qlm bench on a missing file -> exit 1, one line naming it");
    rc = run_qlm("bench -m /nonexistent/m.gguf -p 8 -n 0 -r 1", out, err_path);
    text = slurp(err_path);
    T_CHECK(rc == 1 && text && strstr(text, "/nonexistent/m.gguf"), "exit %d: %s", rc, text ? text : "");
    free(text);

    remove(model);
}

int main(void) {
    test_tinyllama_plan();
    test_other_plans();
    test_generated();
    test_membw();
    test_cli();
    return t_done();
}
