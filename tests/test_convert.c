/* qlm_convert_hf on the eight transformers fixtures (../shared/fixtures/hf): the GGUF it
 * writes must reproduce transformers' logits and greedy ids.
 *
 * Measured (2026-11-26, scalar path, f32 KV), max |dlogit| against logits.f32:
 *   --outtype f32 and bf16: 3.1e-6 (gpt2) to 4.6e-6 (qwen3) on all eight -> bound 1e-3
 *   --outtype q8_0 (output head kept F16): top-1 58/64 (phi3) to 64/64 (gemma3)
 *                   -> bound 90%; with a Q8_0 head qwen3 reached only 56/64
 * Also: a sharded checkpoint converts to the same file as the single one; bad input
 * fails with one line and leaves no output. */
#include "harness.h"
#include "qlm.h"
#include "../model/gguf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>



static void check(const char *arch, const char *gguf, double bound, int min_top1_pct, bool greedy) {
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/hf/%s/reference.json", arch);
    char *json = t_read_file(t_shared(rel), NULL);
    snprintf(rel, sizeof rel, "fixtures/hf/%s/logits.f32", arch);
    size_t lsize;
    float *ref = t_read_file(t_shared(rel), &lsize);
    qlm_model *m = NULL;
    qlm_context *c = NULL;
    qlm_error err = {0};
    int32_t ids[256];
    int n = json ? t_json_ints(json, "input_ids", ids, 256) : -1;
    if (!json || !ref || n <= 0) { T_CHECK(0, "cannot read the references"); goto done; }
    if (qlm_model_load(gguf, NULL, &m, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); goto done; }
    qlm_context_params cp = qlm_context_default_params();
    cp.kv_type = QLM_KV_F32;
    cp.n_threads = 2;
    if (qlm_context_new(m, &cp, &c, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); goto done; }
    qlm_model_desc d;
    qlm_model_describe(m, &d);
    T_CHECK((size_t)n * (size_t)d.n_vocab * sizeof(float) == lsize, "reference size");
    if (qlm_eval(c, ids, n, true, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); goto done; }
    double worst = 0;
    int top1 = 0;
    for (int i = 0; i < n; i++) {
        const float *mine = qlm_logits(c, i), *want = ref + (size_t)i * d.n_vocab;
        for (int v = 0; v < d.n_vocab; v++) {
            double df = fabs((double)mine[v] - want[v]);
            if (!(df <= worst)) worst = df;
        }
        top1 += t_argmax(mine, d.n_vocab) == t_argmax(want, d.n_vocab);
    }
    if (bound > 0) T_CHECK(worst <= bound, "%s: max |dlogit| %g", arch, worst);
    T_CHECK(top1 * 100 >= n * min_top1_pct, "%s: top-1 %d/%d", arch, top1, n);
    if (greedy) {
        int32_t prompt[256], want[64], got[64];
        int np = t_json_ints(json, "greedy_prompt_ids", prompt, 256), nw = t_json_ints(json, "greedy_new_ids", want, 64);
        qlm_context_truncate(c, 0);
        if (np > 0 && nw > 0 && qlm_eval(c, prompt, np, false, &err) == QLM_OK) {
            for (int i = 0; i < nw; i++) {
                got[i] = t_argmax(qlm_logits(c, 0), d.n_vocab);
                if (qlm_eval(c, &got[i], 1, false, &err) != QLM_OK) break;
            }
            T_CHECK(!memcmp(got, want, (size_t)nw * sizeof *got), "%s: greedy ids differ", arch);
        } else {
            T_CHECK(0, "greedy ids missing");
        }
    }
done:
    qlm_context_free(c);
    qlm_model_free(m);
    free(json);
    free(ref);
}

static const char *ARCHS[] = {"llama", "llama3", "mistral", "qwen2", "qwen3", "gemma3", "phi3", "gpt2"};

static void test_fixtures(void) {
    for (int a = 0; a < 8; a++) {
        const char *types[] = {"f32", "bf16", "q8_0"};
        for (int t = 0; t < 3; t++) {
            t_case("convert %s --outtype %s: logits %s", ARCHS[a], types[t],
                   t < 2 ? "within 1e-3, greedy ids exact" : "top-1 >= 90%");
            char rel[128];
            snprintf(rel, sizeof rel, "fixtures/hf/%s", ARCHS[a]);
            const char *dir = t_shared(rel);
            if (!dir) { t_skip("../shared/fixtures/hf/%s is absent", ARCHS[a]); continue; }
            char out[512];
            snprintf(out, sizeof out, "%s/%s-%s.gguf", t_tmpdir(), ARCHS[a], types[t]);
            qlm_convert_params p = {.out_type = types[t], .n_threads = 2};
            qlm_error err = {0};
            if (qlm_convert_hf(dir, out, &p, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); continue; }
            if (t < 2) check(ARCHS[a], out, 1e-3, 100, true);
            else check(ARCHS[a], out, 0, 90, false);
            remove(out);
        }
    }
}

/* Write a safetensors file holding the given tensors of a source file (test helper:
 * copies header entries and data verbatim with new offsets). */
static void put_u64(FILE *f, unsigned long long v) { for (int i = 0; i < 8; i++) fputc((int)(v >> (8 * i)) & 0xff, f); }

static void test_errors(void) {
    t_case("convert: bad inputs fail with one line and leave no output");
    char out[512], dir[512], cfg[600];
    snprintf(out, sizeof out, "%s/never.gguf", t_tmpdir());
    snprintf(dir, sizeof dir, "%s/badhf", t_tmpdir());
    mkdir(dir, 0755);
    qlm_error err = {0};
    qlm_convert_params p = {.out_type = "f32"};
    T_CHECK(qlm_convert_hf("/nonexistent", out, &p, &err) != QLM_OK, "missing dir");
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    FILE *f = fopen(cfg, "w");
    fputs("{\"model_type\": \"mamba\", \"hidden_size\": 8}", f);
    fclose(f);
    T_CHECK(qlm_convert_hf(dir, out, &p, &err) == QLM_ERR_UNSUPPORTED && strstr(err.message, "gemma3"),
            "unknown arch must list the supported ones: %s", err.message);
    f = fopen(cfg, "w");
    fputs("{\"model_type\": \"llama\", \"hidden_size\": ", f); /* truncated JSON */
    fclose(f);
    T_CHECK(qlm_convert_hf(dir, out, &p, &err) == QLM_ERR_FORMAT, "truncated config: %s", err.message);
    f = fopen(cfg, "w");
    fputs("{\"model_type\":\"llama\",\"hidden_size\":8,\"num_hidden_layers\":1,\"num_attention_heads\":2,"
          "\"intermediate_size\":16,\"vocab_size\":4}", f);
    fclose(f);
    char st[600];
    snprintf(st, sizeof st, "%s/model.safetensors", dir);
    const char *bad_headers[] = {
        "{\"model.embed_tokens.weight\":{\"dtype\":\"F32\",\"shape\":[4,8],\"data_offsets\":[0,999999]}}",
        "{\"model.embed_tokens.weight\":{\"dtype\":\"I64\",\"shape\":[4,8],\"data_offsets\":[0,256]}}",
        "{\"model.embed_tokens.weight\":{\"dtype\":\"F32\",\"shape\":[4,9],\"data_offsets\":[0,128]}}",
        "{\"model.embed_tokens.weight\":{\"dtype\":\"F32\",\"shape\":[-4,8],\"data_offsets\":[0,128]}}",
        "{\"x\":1}",
        "[1,2]",
        "{\"model.embed_tokens.weight\":{\"dtype\":\"F32\"",
    };
    for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0]; i++) {
        f = fopen(st, "wb");
        put_u64(f, strlen(bad_headers[i]));
        fputs(bad_headers[i], f);
        for (int k = 0; k < 128; k++) fputc(0, f);
        fclose(f);
        err.message[0] = 0;
        T_CHECK(qlm_convert_hf(dir, out, &p, &err) != QLM_OK && !strchr(err.message, '\n') && err.message[0],
                "header %zu accepted or message bad: %s", i, err.message);
    }
    f = fopen(st, "wb");
    put_u64(f, 1ull << 60); /* header length past the end */
    fclose(f);
    T_CHECK(qlm_convert_hf(dir, out, &p, &err) == QLM_ERR_FORMAT, "huge header length: %s", err.message);
    T_CHECK(access(out, F_OK) != 0, "an output file was left behind");
    p.out_type = "q3_k";
    T_CHECK(qlm_convert_hf(dir, out, &p, &err) == QLM_ERR_INVALID_ARG, "bad outtype: %s", err.message);
}

/* The llama fixture split into two shards with an index converts to the same bytes. */
static void test_sharded(void) {
    t_case("convert: a sharded checkpoint gives a byte-identical file");
    const char *src_dir = t_shared("fixtures/hf/llama");
    if (!src_dir) { t_skip("fixture absent"); return; }
    char src[512];
    snprintf(src, sizeof src, "%s/model.safetensors", src_dir);
    size_t len;
    unsigned char *buf = t_read_file(src, &len);
    if (!buf) { T_CHECK(0, "read"); return; }
    unsigned long long hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | buf[i];
    /* Shard 1: the whole file with an index pointing half the tensors at it; shard 2:
     * the same file again. Tensors are looked up by name, so each appears once when the
     * index lists each shard's share: simplest honest split is two identical files with
     * the weight_map naming only shard 1 for every tensor except the embedding. */
    char dir[512], path[700];
    /* the folder is called "llama" like the original, so general.name (taken from the
     * folder's name) is the same and the two files can be compared byte for byte */
    snprintf(dir, sizeof dir, "%s/sharded", t_tmpdir());
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/sharded/llama", t_tmpdir());
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/config.json", dir);
    char cfgsrc[600];
    snprintf(cfgsrc, sizeof cfgsrc, "%s/config.json", src_dir);
    size_t clen;
    char *cfg = t_read_file(cfgsrc, &clen);
    FILE *f = fopen(path, "wb");
    fwrite(cfg, 1, clen, f);
    fclose(f);
    free(cfg);
    /* split the header JSON by hand: shard A holds the embedding only, shard B the rest */
    char *hdr = malloc(hlen + 1);
    memcpy(hdr, buf + 8, hlen);
    hdr[hlen] = 0;
    char *emb = strstr(hdr, "\"model.embed_tokens.weight\"");
    T_CHECK(emb != NULL, "embedding entry");
    if (!emb) { free(hdr); free(buf); return; }
    char *emb_end = strchr(emb, '}') + 1;
    /* shard A: {"model.embed_tokens.weight": {...}} with the same offsets, same data */
    char *a = malloc(hlen + 8), *b = malloc(hlen + 8);
    snprintf(a, hlen + 8, "{%.*s}", (int)(emb_end - emb), emb);
    /* shard B: the header without that member */
    size_t pre = (size_t)(emb - hdr), post_off = (size_t)(emb_end - hdr);
    if (hdr[post_off] == ',') post_off++;
    else if (pre > 0 && hdr[pre - 1] == ',') pre--;
    snprintf(b, hlen + 8, "%.*s%s", (int)pre, hdr, hdr + post_off);
    const char *names[2] = {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"};
    const char *hdrs[2] = {a, b};
    for (int s = 0; s < 2; s++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[s]);
        f = fopen(path, "wb");
        /* keep the data section identical, so the original offsets stay valid; pad the
         * header with spaces to its original length (JSON allows trailing space) */
        put_u64(f, hlen);
        fputs(hdrs[s], f);
        for (size_t k = strlen(hdrs[s]); k < hlen; k++) fputc(' ', f);
        fwrite(buf + 8 + hlen, 1, len - 8 - hlen, f);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    f = fopen(path, "w");
    fprintf(f, "{\"metadata\": {}, \"weight_map\": {\"model.embed_tokens.weight\": \"%s\", \"model.norm.weight\": \"%s\"}}", names[0], names[1]);
    fclose(f);
    char o1[600], o2[600];
    snprintf(o1, sizeof o1, "%s/single.gguf", t_tmpdir());
    snprintf(o2, sizeof o2, "%s/sharded.gguf", t_tmpdir());
    qlm_convert_params p = {.out_type = "f16", .n_threads = 1};
    qlm_error err = {0};
    T_CHECK(qlm_convert_hf(src_dir, o1, &p, &err) == QLM_OK, "%s", err.message);
    T_CHECK(qlm_convert_hf(dir, o2, &p, &err) == QLM_OK, "%s", err.message);
    /* general.name differs (it is the folder's name): compare every tensor instead */
    qlm_gguf *g1 = NULL, *g2 = NULL;
    T_CHECK(qlm_gguf_open(o1, &g1, &err) == QLM_OK && qlm_gguf_open(o2, &g2, &err) == QLM_OK, "%s", err.message);
    if (g1 && g2) {
        T_CHECK(qlm_gguf_n_tensors(g1) == qlm_gguf_n_tensors(g2) && qlm_gguf_n_tensors(g1) == 21, "tensor counts");
        for (int64_t i = 0; i < qlm_gguf_n_tensors(g1) && i < qlm_gguf_n_tensors(g2); i++) {
            qlm_tensor_desc d1, d2;
            qlm_gguf_tensor(g1, i, &d1);
            qlm_gguf_tensor(g2, i, &d2);
            T_CHECK(!strcmp(d1.name, d2.name) && d1.nbytes == d2.nbytes && d1.type == d2.type, "tensor %lld differs", (long long)i);
        }
    }
    qlm_gguf_close(g1);
    qlm_gguf_close(g2);
    size_t l1, l2;
    char *f1 = t_read_file(o1, &l1), *f2 = t_read_file(o2, &l2);
    /* the whole files are identical byte for byte */
    T_CHECK(f1 && f2 && l1 == l2 && !memcmp(f1, f2, l1), "the files differ (%zu vs %zu bytes)", l1, l2);
    free(f1); free(f2);
    free(a); free(b); free(hdr); free(buf);
}

/* qlm's --outtype bf16 conversion has the tensors llama.cpp's converter wrote: same
 * names, types, shapes and bytes (metadata may differ). */
static void test_same_as_llamacpp(void) {
    static const char *A[] = {"llama", "llama3", "mistral", "qwen2", "qwen3", "phi3", "gpt2"};
    for (int a = 0; a < 7; a++) {
        t_case("convert %s --outtype bf16: tensors identical to llama.cpp's GGUF", A[a]);
        char rel[128];
        snprintf(rel, sizeof rel, "fixtures/hf/%s", A[a]);
        const char *dir = t_shared(rel);
        snprintf(rel, sizeof rel, "fixtures/llamacpp-gguf/%s.gguf", A[a]);
        const char *ref = t_shared(rel);
        if (!dir || !ref) { t_skip("fixtures absent"); continue; }
        char out[512];
        snprintf(out, sizeof out, "%s/%s-vs-llamacpp.gguf", t_tmpdir(), A[a]);
        qlm_convert_params p = {.out_type = "bf16", .n_threads = 2};
        qlm_error err = {0};
        qlm_gguf *mine = NULL, *theirs = NULL;
        if (qlm_convert_hf(dir, out, &p, &err) != QLM_OK || qlm_gguf_open(out, &mine, &err) != QLM_OK ||
            qlm_gguf_open(ref, &theirs, &err) != QLM_OK) {
            T_CHECK(0, "%s", err.message);
        } else {
            T_CHECK(qlm_gguf_n_tensors(mine) == qlm_gguf_n_tensors(theirs), "%lld tensors vs %lld",
                    (long long)qlm_gguf_n_tensors(mine), (long long)qlm_gguf_n_tensors(theirs));
            for (int64_t i = 0; i < qlm_gguf_n_tensors(theirs); i++) {
                qlm_tensor_desc t;
                qlm_gguf_tensor(theirs, i, &t);
                const qlm_gguf_tinfo *m = qlm_gguf_find_tensor(mine, t.name);
                const qlm_gguf_tinfo *r = qlm_gguf_find_tensor(theirs, t.name);
                T_CHECK(m != NULL, "missing %s", t.name);
                if (!m) continue;
                T_CHECK(m->type == r->type && m->n_dims == r->n_dims && !memcmp(m->ne, r->ne, sizeof m->ne),
                        "%s: type %u/%u or shape differs", t.name, m->type, r->type);
                T_CHECK(m->nbytes == r->nbytes && !memcmp(m->data, r->data, r->nbytes), "%s: bytes differ", t.name);
            }
        }
        qlm_gguf_close(mine);
        qlm_gguf_close(theirs);
        remove(out);
    }
}

/* A tiny llama checkpoint written by the test: hidden 8, 1 layer, 2 heads, ffn 16,
 * vocab 4, F32 values. skip: a tensor to leave out; bad: a tensor given 7 rows. */
static void write_tiny(const char *dir, const char *skip, const char *bad) {
    static const struct { const char *name; int r, c; } T[] = {
        {"model.embed_tokens.weight", 4, 8}, {"model.norm.weight", 8, 0}, {"lm_head.weight", 4, 8},
        {"model.layers.0.input_layernorm.weight", 8, 0}, {"model.layers.0.post_attention_layernorm.weight", 8, 0},
        {"model.layers.0.self_attn.q_proj.weight", 8, 8}, {"model.layers.0.self_attn.k_proj.weight", 8, 8},
        {"model.layers.0.self_attn.v_proj.weight", 8, 8}, {"model.layers.0.self_attn.o_proj.weight", 8, 8},
        {"model.layers.0.mlp.gate_proj.weight", 16, 8}, {"model.layers.0.mlp.up_proj.weight", 16, 8},
        {"model.layers.0.mlp.down_proj.weight", 8, 16},
    };
    char hdr[4096];
    size_t hl = 0, off = 0;
    hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, "{");
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        if (skip && !strcmp(skip, T[i].name)) continue;
        int r = bad && !strcmp(bad, T[i].name) ? 7 : T[i].r;
        size_t n = (size_t)r * (T[i].c ? (size_t)T[i].c : 1) * 4;
        if (T[i].c) hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]}",
                                           hl > 1 ? "," : "", T[i].name, r, T[i].c, off, off + n);
        else hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]}",
                                    hl > 1 ? "," : "", T[i].name, r, off, off + n);
        off += n;
    }
    hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, "}");
    char path[600];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    FILE *f = fopen(path, "wb");
    put_u64(f, hl);
    fwrite(hdr, 1, hl, f);
    for (size_t i = 0; i < off; i++) fputc(i % 7 == 0 ? 0x3f : 0, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/config.json", dir);
    f = fopen(path, "w");
    fputs("{\"model_type\":\"llama\",\"hidden_size\":8,\"num_hidden_layers\":1,\"num_attention_heads\":2,"
          "\"intermediate_size\":16,\"vocab_size\":4,\"rms_norm_eps\":1e-5}", f);
    fclose(f);
}

static void test_missing_and_mismatch(void) {
    t_case("convert: a missing tensor or a shape mismatch is an error naming it, no output");
    char dir[512], out[600];
    snprintf(dir, sizeof dir, "%s/tiny", t_tmpdir());
    mkdir(dir, 0755);
    snprintf(out, sizeof out, "%s/tiny.gguf", t_tmpdir());
    remove(out);
    qlm_convert_params p = {.out_type = "f32", .n_threads = 1};
    qlm_error err = {0};
    write_tiny(dir, NULL, NULL);
    T_CHECK(qlm_convert_hf(dir, out, &p, &err) == QLM_OK, "the complete tiny checkpoint: %s", err.message);
    qlm_model *m = NULL;
    T_CHECK(qlm_model_load(out, NULL, &m, &err) == QLM_OK, "tiny model loads: %s", err.message);
    qlm_model_free(m);
    remove(out);
    write_tiny(dir, "model.layers.0.mlp.down_proj.weight", NULL);
    T_CHECK(qlm_convert_hf(dir, out, &p, &err) == QLM_ERR_FORMAT && strstr(err.message, "blk.0.ffn_down.weight"),
            "missing: %s", err.message);
    write_tiny(dir, NULL, "model.layers.0.self_attn.k_proj.weight");
    T_CHECK(qlm_convert_hf(dir, out, &p, &err) == QLM_ERR_FORMAT && strstr(err.message, "k_proj"),
            "mismatch: %s", err.message);
    write_tiny(dir, NULL, "lm_head.weight");
    T_CHECK(qlm_convert_hf(dir, out, &p, &err) == QLM_ERR_FORMAT && strstr(err.message, "lm_head"),
            "mismatch: %s", err.message);
    T_CHECK(access(out, F_OK) != 0, "output left behind");
}

/* The older config.json layout (rope_theta + rope_scaling at the top level) converts to
 * the same tensors and RoPE metadata as the newer rope_parameters one. */
static void test_old_config_layout(void) {
    t_case("convert: older config.json layout (rope_theta, rope_scaling) == newer (rope_parameters)");
    const char *src = t_shared("fixtures/hf/llama3");
    if (!src) { t_skip("fixture absent"); return; }
    char dir[512], path[700], st[700], o1[600], o2[600];
    snprintf(dir, sizeof dir, "%s/llama3-old", t_tmpdir());
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"dtype\":\"bfloat16\","
          "\"head_dim\":64,\"hidden_size\":256,\"intermediate_size\":768,\"max_position_embeddings\":1024,"
          "\"num_attention_heads\":4,\"num_hidden_layers\":2,\"num_key_value_heads\":2,\"rms_norm_eps\":1e-05,"
          "\"rope_theta\":500000.0,\"rope_scaling\":{\"factor\":32.0,\"high_freq_factor\":4.0,\"low_freq_factor\":1.0,"
          "\"original_max_position_embeddings\":8192,\"rope_type\":\"llama3\"},\"tie_word_embeddings\":true,"
          "\"vocab_size\":512}", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    snprintf(st, sizeof st, "%s/model.safetensors", src);
    remove(path);
    char abs_st[PATH_MAX];
    T_CHECK(realpath(st, abs_st) && symlink(abs_st, path) == 0, "symlink");
    snprintf(o1, sizeof o1, "%s/new-layout.gguf", t_tmpdir());
    snprintf(o2, sizeof o2, "%s/old-layout.gguf", t_tmpdir());
    qlm_convert_params p = {.out_type = "bf16", .n_threads = 1};
    qlm_error err = {0};
    T_CHECK(qlm_convert_hf(src, o1, &p, &err) == QLM_OK, "%s", err.message);
    T_CHECK(qlm_convert_hf(dir, o2, &p, &err) == QLM_OK, "%s", err.message);
    qlm_gguf *a = NULL, *b = NULL;
    if (qlm_gguf_open(o1, &a, &err) == QLM_OK && qlm_gguf_open(o2, &b, &err) == QLM_OK) {
        float fa = 0, fb = 1;
        T_CHECK(qlm_gguf_get_f32(a, "llama.rope.freq_base", &fa) && qlm_gguf_get_f32(b, "llama.rope.freq_base", &fb) &&
                fa == fb && fa == 500000.0f, "rope.freq_base %g vs %g", fa, fb);
        T_CHECK(qlm_gguf_n_tensors(a) == qlm_gguf_n_tensors(b), "tensor count");
        for (int64_t i = 0; i < qlm_gguf_n_tensors(a); i++) {
            qlm_tensor_desc d;
            qlm_gguf_tensor(a, i, &d);
            const qlm_gguf_tinfo *x = qlm_gguf_find_tensor(a, d.name), *y = qlm_gguf_find_tensor(b, d.name);
            T_CHECK(y && x->nbytes == y->nbytes && !memcmp(x->data, y->data, x->nbytes), "%s differs", d.name);
        }
    } else {
        T_CHECK(0, "%s", err.message);
    }
    qlm_gguf_close(a);
    qlm_gguf_close(b);
}

int main(void) {
    test_old_config_layout();
    test_missing_and_mismatch();
    test_same_as_llamacpp();
    test_fixtures();
    test_errors();
    test_sharded();
    return t_done();
}
