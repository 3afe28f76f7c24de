/* Hugging Face tokenizers imported into GGUF (model/hf_tokenizer*.c, qlm convert
 * --vocab-only): the three real tokenizers of ../shared/tokenizers tokenize llama.cpp's
 * 46 strings to the reference ids and decode back; their special tokens and chat
 * template match tokenizer_config.json; the LLaMA-2 tokenizer.model gives exactly the
 * vocabulary of llama.cpp's ggml-vocab-llama-spm.gguf; the full converter includes a
 * folder's tokenizer; malformed inputs give clear errors and no output file. */
#include "harness.h"
#include "qlm.h"
#include "../model/gguf.h"
#include "../model/json.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------------------- */

static bool exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) { T_CHECK(0, "cannot write %s: %s", path, strerror(errno)); return; }
    fwrite(data, 1, n, f);
    fclose(f);
}

static void write_str(const char *dir, const char *name, const char *text) {
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    write_file(p, text, strlen(text));
}

/* An empty scratch folder tests/out/test_hf_tokenizer/<name>. */
static const char *fresh_dir(const char *name, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/%s", t_tmpdir(), name);
    mkdir(buf, 0755);
    DIR *d = opendir(buf);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", buf, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    return buf;
}

static qlm_status vocab_only(const char *dir, const char *out, qlm_error *err) {
    qlm_convert_params p = {.vocab_only = true};
    return qlm_convert_hf(dir, out, &p, err);
}

/* Ids of a text (no BOS, no special-token parsing), malloc'd; *n gets the count. */
static int32_t *tokenize(const qlm_model *m, const char *s, size_t len, unsigned flags, int *n) {
    qlm_error err = {0};
    int need = qlm_tokenize(m, s, len, flags, NULL, 0, &err);
    *n = need;
    if (need < 0) return NULL;
    int32_t *ids = malloc(((size_t)need + 1) * sizeof *ids);
    qlm_tokenize(m, s, len, flags, ids, need, &err);
    return ids;
}

/* The bytes of the tokens, without control tokens. */
static char *detokenize(const qlm_model *m, const int32_t *ids, int n, size_t *len) {
    size_t cap = 64, k = 0;
    char *s = malloc(cap);
    for (int i = 0; i < n; i++) {
        int need = qlm_token_bytes(m, ids[i], false, NULL, 0);
        if (need < 0) { free(s); return NULL; }
        while (k + (size_t)need + 1 > cap) s = realloc(s, cap *= 2);
        qlm_token_bytes(m, ids[i], false, s + k, need);
        k += (size_t)need;
    }
    s[k] = 0;
    *len = k;
    return s;
}

/* ---- llama.cpp's 46 strings -------------------------------------------------------- */

typedef struct {
    char *inp, *out; /* whole files */
    size_t n_inp;
    const char *str[64];
    size_t len[64];
    const char *line[64];
    int n;
} cases;

/* cases.inp: strings joined by "\n__ggml_vocab_test__\n"; cases.out: one line each. */
static bool read_cases(const char *name, cases *c) {
    memset(c, 0, sizeof *c);
    char rel[256];
    snprintf(rel, sizeof rel, "tokenizers/%s/cases.inp", name);
    const char *pi = t_shared(rel);
    snprintf(rel, sizeof rel, "tokenizers/%s/cases.out", name);
    const char *po = t_shared(rel);
    if (!pi || !po) { t_skip("../shared/tokenizers/%s/cases.* is absent", name); return false; }
    size_t no;
    c->inp = t_read_file(pi, &c->n_inp);
    c->out = t_read_file(po, &no);
    if (!c->inp || !c->out) { T_CHECK(0, "cannot read the cases of %s", name); return false; }
    static const char sep[] = "\n__ggml_vocab_test__\n";
    size_t pos = 0;
    char *line = c->out;
    while (pos < c->n_inp && c->n < 64) {
        char *next = strstr(c->inp + pos, sep);
        size_t end = next ? (size_t)(next - c->inp) : c->n_inp;
        c->str[c->n] = c->inp + pos;
        c->len[c->n] = end - pos;
        char *eol = strchr(line, '\n');
        if (eol) *eol = 0;
        c->line[c->n++] = line;
        line = eol ? eol + 1 : line + strlen(line);
        if (!next) break;
        pos = end + sizeof sep - 1;
    }
    return true;
}

static void cases_free(cases *c) { free(c->inp); free(c->out); }

/* Tokenize every case and compare with its line; count round trips too. */
static void run_cases(const qlm_model *m, const cases *c, const char *name, bool spm_space, int *ok, int *rt) {
    *ok = *rt = 0;
    for (int i = 0; i < c->n; i++) {
        int n;
        int32_t *ids = tokenize(m, c->str[i], c->len[i], 0, &n);
        char got[8192];
        size_t k = 0;
        got[0] = 0;
        for (int j = 0; j < n && k + 16 < sizeof got; j++) k += (size_t)snprintf(got + k, sizeof got - k, " %d", ids[j]);
        if (!strcmp(got, c->line[i])) (*ok)++;
        else if (*ok + 1 > i) T_CHECK(0, "%s: '%.40s': want%.200s got%.200s", name, c->str[i], c->line[i], got);
        size_t len;
        char *back = detokenize(m, ids, n, &len);
        const char *b = back;
        if (spm_space && len && b[0] == ' ') { b++; len--; }
        if (back && len == c->len[i] && !memcmp(b, c->str[i], len)) (*rt)++;
        free(back);
        free(ids);
    }
}

/* ---- random text ---------------------------------------------------------------------- */

static uint32_t rnd(uint64_t *x, uint32_t n) { /* xorshift64*, seeded */
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return (uint32_t)(((*x * 0x2545F4914F6CDD1Dull) >> 32) % n);
}

static int utf8_put(uint32_t cp, char *o) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Up to 40 characters: ASCII, white space, digits, Latin, Cyrillic, CJK, emoji, any
 * other code point (no surrogates, no U+2581, which SentencePiece decodes as a space). */
static size_t random_text(uint64_t *x, char *out) {
    size_t n = 0, chars = rnd(x, 41);
    for (size_t i = 0; i < chars; i++) {
        uint32_t cp;
        switch (rnd(x, 9)) {
        case 0: case 1: case 2: cp = 0x20 + rnd(x, 95); break;
        case 3: { static const uint32_t ws[] = {' ', '\n', '\t', '\r', 0xA0, 0x3000}; cp = ws[rnd(x, 6)]; break; }
        case 4: cp = 0xC0 + rnd(x, 0x4FF - 0xC0); break;
        case 5: cp = 0x4E00 + rnd(x, 0x5200); break;
        case 6: cp = 0x1F300 + rnd(x, 0x800); break;
        case 7: cp = 1 + rnd(x, 0xFFFD); break;
        default: cp = 0x10000 + rnd(x, 0x100000); break;
        }
        if ((cp >= 0xD800 && cp < 0xE000) || cp == 0x2581) cp = 'z';
        n += (size_t)utf8_put(cp, out + n);
    }
    return n;
}

/* decode(encode(s)) == s over random text; returns the failures. */
static int random_roundtrips(const qlm_model *m, int count, uint64_t seed) {
    uint64_t x = seed;
    char s[41 * 4];
    int bad = 0;
    for (int i = 0; i < count; i++) {
        size_t len = random_text(&x, s);
        int n;
        int32_t *ids = tokenize(m, s, len, 0, &n);
        size_t bl;
        char *back = ids ? detokenize(m, ids, n, &bl) : NULL;
        if (!back || bl != len || memcmp(back, s, len)) bad++;
        free(back);
        free(ids);
    }
    return bad;
}

/* ---- the three real tokenizers ----------------------------------------------------- */

static bool load_vocab(const char *path, qlm_model **m) {
    qlm_model_params mp = {.vocab_only = true};
    qlm_error err = {0};
    qlm_status rc = qlm_model_load(path, &mp, m, &err);
    T_CHECK(rc == QLM_OK, "load %s: %s", path, err.message);
    return rc == QLM_OK;
}

/* The id the vocabulary gives a special token's text. */
static int32_t special_id(const qlm_model *m, const char *text) {
    int n;
    int32_t *ids = tokenize(m, text, strlen(text), QLM_TOK_PARSE_SPECIAL, &n);
    int32_t id = n == 1 ? ids[0] : -2;
    free(ids);
    return id;
}

static void test_real(const char *name, bool expect_add_bos) {
    t_case("hf import %s: llama.cpp's 46 strings, decoding, special tokens, chat template", name);
    char rel[1200], dir[1024], out[1024];
    snprintf(rel, sizeof rel, "tokenizers/%s", name);
    const char *src = t_shared(rel);
    if (!src) { t_skip("../shared/tokenizers/%s is absent", name); return; }
    snprintf(dir, sizeof dir, "%s", src);
    snprintf(out, sizeof out, "%s/%s.gguf", t_tmpdir(), name);
    qlm_error err = {0};
    qlm_status rc = vocab_only(dir, out, &err);
    T_CHECK(rc == QLM_OK, "convert --vocab-only %s: %s", name, err.message);
    if (rc) return;
    cases c;
    qlm_model *m;
    if (!load_vocab(out, &m)) return;
    if (read_cases(name, &c)) {
        int ok, rt;
        run_cases(m, &c, name, false, &ok, &rt);
        T_CHECK(c.n == 46 && ok == 46, "%d/%d strings match", ok, c.n);
        /* byte-level BPE and Gemma's byte fallback spell everything: all come back */
        T_CHECK(rt == c.n, "%d/%d strings decode back to themselves", rt, c.n);
        printf("# %s: %d/%d match, %d/%d decode back\n", name, ok, c.n, rt, c.n);
        cases_free(&c);
    }
    int bad = random_roundtrips(m, 2000, 0x243F6A8885A308D3ull);
    T_CHECK(bad == 0, "%d/2000 random strings do not decode back", bad);
    printf("# %s: %d/2000 random strings fail to decode back\n", name, bad);

    /* special tokens against tokenizer_config.json */
    snprintf(rel, sizeof rel, "%s/tokenizer_config.json", dir);
    qlm_json_doc *doc;
    if (qlm_json_parse_file(rel, NULL, &doc, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); qlm_model_free(m); return; }
    const qlm_json *tc = qlm_json_root(doc);
    qlm_model_desc d;
    qlm_model_describe(m, &d);
    const char *bos = qlm_json_str(qlm_json_get(tc, "bos_token"));
    const char *eos = qlm_json_str(qlm_json_get(tc, "eos_token"));
    if (bos) T_CHECK(d.bos == special_id(m, bos), "bos %d is not '%s' (%d)", d.bos, bos, special_id(m, bos));
    T_CHECK(eos && d.eos == special_id(m, eos), "eos %d is not '%s'", d.eos, eos ? eos : "?");
    T_CHECK(qlm_token_is_eog(m, d.eos), "EOS ends generation");
    T_CHECK(d.add_bos == expect_add_bos, "add_bos %d", d.add_bos);
    bool b;
    if (qlm_json_bool(qlm_json_get(tc, "add_bos_token"), &b)) T_CHECK(d.add_bos == b, "add_bos differs from the config");

    qlm_gguf *g;
    if (qlm_gguf_open(out, &g, &err) == QLM_OK) {
        qlm_str t;
        const qlm_json *want = qlm_json_get(tc, "chat_template");
        T_CHECK(qlm_gguf_get_str(g, "tokenizer.chat_template", &t) && want && t.len == want->len &&
                    !memcmp(t.ptr, want->str, t.len),
                "tokenizer.chat_template is tokenizer_config.json's");
        /* the added tokens of tokenizer_config.json: id, text, control or user-defined */
        const qlm_json *dec = qlm_json_get(tc, "added_tokens_decoder");
        uint32_t type;
        uint64_t n;
        const qlm_gguf_kv *toks, *types;
        T_CHECK(qlm_gguf_get_arr(g, "tokenizer.ggml.tokens", &type, &n, &toks) &&
                    qlm_gguf_get_arr(g, "tokenizer.ggml.token_type", &type, &n, &types),
                "tokens and types");
        int wrong = 0;
        for (size_t i = 0; i < qlm_json_len(dec) && toks && types; i++) {
            long id = strtol(qlm_json_key(dec, i)->str, NULL, 10);
            const qlm_json *e = qlm_json_val(dec, i);
            const qlm_json *content = qlm_json_get(e, "content");
            bool special = false;
            qlm_json_bool(qlm_json_get(e, "special"), &special);
            int64_t tt = qlm_gguf_arr_i64(types, (uint64_t)id);
            if ((uint64_t)id >= n) { wrong++; continue; }
            qlm_str s = toks->arr_strs[id];
            if (special) {
                if (tt != 3 || s.len != content->len || memcmp(s.ptr, content->str, s.len)) wrong++;
            } else if (tt != 3 && tt != 4) {
                wrong++;
            }
        }
        T_CHECK(wrong == 0, "%d added tokens with the wrong text or type", wrong);
        qlm_gguf_close(g);
    }
    qlm_json_free(doc);
    qlm_model_free(m);
}

/* ---- LLaMA-2's tokenizer.model == llama.cpp's ggml-vocab-llama-spm.gguf -------------- */

static void test_spm_model(void) {
    t_case("hf import tokenizer.model (LLaMA 2): tokens, scores, types of ggml-vocab-llama-spm.gguf");
    const char *model = t_shared("tokenizer-vectors/llama2-tokenizer.model");
    const char *ref = t_shared("vocab/ggml-vocab-llama-spm.gguf");
    if (!model || !ref) { t_skip("../shared llama2-tokenizer.model or ggml-vocab-llama-spm.gguf is absent"); return; }
    char dir[1024], link[1200], out[1024], abs_model[4096];
    fresh_dir("llama2-spm", dir, sizeof dir);
    snprintf(link, sizeof link, "%s/tokenizer.model", dir);
    if (!realpath(model, abs_model)) { T_CHECK(0, "realpath %s", model); return; }
    T_CHECK(symlink(abs_model, link) == 0, "symlink: %s", strerror(errno));
    snprintf(out, sizeof out, "%s/llama2-spm.gguf", t_tmpdir());
    qlm_error err = {0};
    qlm_status rc = vocab_only(dir, out, &err);
    T_CHECK(rc == QLM_OK, "convert: %s", err.message);
    if (rc) return;
    qlm_gguf *a, *b;
    if (qlm_gguf_open(out, &a, &err) || qlm_gguf_open(ref, &b, &err)) { T_CHECK(0, "%s", err.message); return; }
    static const char *const keys[] = {"tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"};
    for (int k = 0; k < 3; k++) {
        uint32_t ta, tb;
        uint64_t na, nb;
        const qlm_gguf_kv *ka, *kb;
        if (!qlm_gguf_get_arr(a, keys[k], &ta, &na, &ka) || !qlm_gguf_get_arr(b, keys[k], &tb, &nb, &kb)) {
            T_CHECK(0, "%s missing", keys[k]);
            continue;
        }
        T_CHECK(ta == tb && na == nb, "%s: type %u/%u, %llu/%llu entries", keys[k], ta, tb, (unsigned long long)na,
                (unsigned long long)nb);
        if (ta != tb || na != nb) continue;
        uint64_t diff = 0, first = 0;
        for (uint64_t i = 0; i < na; i++) {
            bool same = ta == GGUF_TYPE_STRING
                            ? ka->arr_strs[i].len == kb->arr_strs[i].len &&
                                  !memcmp(ka->arr_strs[i].ptr, kb->arr_strs[i].ptr, ka->arr_strs[i].len)
                            : !memcmp(ka->arr_data + i * 4, kb->arr_data + i * 4, 4);
            if (!same && !diff++) first = i;
        }
        T_CHECK(diff == 0, "%s: %llu entries differ (first %llu)", keys[k], (unsigned long long)diff,
                (unsigned long long)first);
        printf("# %s: %llu entries, %llu differ\n", keys[k], (unsigned long long)na, (unsigned long long)diff);
    }
    uint32_t ia, ib;
    static const char *const ids[] = {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                                      "tokenizer.ggml.unknown_token_id"};
    for (int k = 0; k < 3; k++)
        T_CHECK(qlm_gguf_get_u32(a, ids[k], &ia) && qlm_gguf_get_u32(b, ids[k], &ib) && ia == ib, "%s", ids[k]);
    bool sp;
    T_CHECK(qlm_gguf_get_bool(a, "tokenizer.ggml.add_space_prefix", &sp) && sp, "add_space_prefix true (add_dummy_prefix)");
    qlm_gguf_close(a);
    qlm_gguf_close(b);
}

static bool kv_str_is(const qlm_gguf *g, const char *key, const char *want) {
    qlm_str s;
    return qlm_gguf_get_str(g, key, &s) && s.len == strlen(want) && !memcmp(s.ptr, want, s.len);
}

/* ---- the full converter takes a folder's tokenizer ----------------------------------- */

/* A small byte-level BPE tokenizer.json: the 256 byte symbols, a few merges, two added
 * tokens. */
static char *tiny_tokenizer_json(void) {
    size_t cap = 1 << 16, k = 0;
    char *s = malloc(cap);
    k += (size_t)snprintf(s + k, cap - k,
                          "{\"version\":\"1.0\",\"added_tokens\":["
                          "{\"id\":259,\"content\":\"<|endoftext|>\",\"special\":true},"
                          "{\"id\":260,\"content\":\"<|im_end|>\",\"special\":true}],"
                          "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
                          "\"trim_offsets\":true,\"use_regex\":true},\"post_processor\":null,"
                          "\"decoder\":{\"type\":\"ByteLevel\"},\"model\":{\"type\":\"BPE\",\"vocab\":{");
    for (int b = 0; b < 256; b++) {
        /* GPT-2's printable spelling of byte b */
        unsigned cp = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE ? (unsigned)b
                      : b <= 0x20 ? 0x100u + (unsigned)b : b <= 0xA0 ? 0x100u + 33 + (unsigned)(b - 0x7F) : 0x143u;
        char enc[5];
        int n = 0;
        if (cp < 0x80) enc[n++] = (char)cp;
        else { enc[n++] = (char)(0xC0 | (cp >> 6)); enc[n++] = (char)(0x80 | (cp & 0x3F)); }
        enc[n] = 0;
        if (cp == '"' || cp == '\\') k += (size_t)snprintf(s + k, cap - k, "\"\\%s\":%d,", enc, b);
        else k += (size_t)snprintf(s + k, cap - k, "\"%s\":%d,", enc, b);
    }
    k += (size_t)snprintf(s + k, cap - k, "\"he\":256,\"ll\":257,\"hell\":258},\"merges\":[\"h e\",[\"l\",\"l\"],\"he ll\"]}}");
    return s;
}

static void test_full_converter(void) {
    t_case("hf import: the full converter writes the folder's tokenizer; fixtures without one stay without");
    const char *cfg = t_shared("fixtures/hf/llama/config.json");
    const char *st = t_shared("fixtures/hf/llama/model.safetensors");
    if (!cfg || !st) { t_skip("../shared/fixtures/hf/llama is absent"); return; }
    char dir[1024], p[1200], out[1024], abs_p[4096];
    fresh_dir("llama-with-tok", dir, sizeof dir);
    snprintf(p, sizeof p, "%s/config.json", dir);
    if (realpath(cfg, abs_p)) symlink(abs_p, p);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    if (realpath(st, abs_p)) symlink(abs_p, p);
    char *tj = tiny_tokenizer_json();
    write_str(dir, "tokenizer.json", tj);
    free(tj);
    write_str(dir, "tokenizer_config.json",
              "{\"eos_token\":\"<|im_end|>\",\"add_bos_token\":false,\"chat_template\":["
              "{\"name\":\"default\",\"template\":\"{{ messages }}\"},{\"name\":\"tool use\",\"template\":\"T\"}]}");
    snprintf(out, sizeof out, "%s/llama-with-tok.gguf", t_tmpdir());
    qlm_convert_params cp = {.out_type = "f32", .n_threads = 1};
    qlm_error err = {0};
    qlm_status rc = qlm_convert_hf(dir, out, &cp, &err);
    T_CHECK(rc == QLM_OK, "convert: %s", err.message);
    if (rc) return;
    qlm_model *m;
    rc = qlm_model_load(out, NULL, &m, &err);
    T_CHECK(rc == QLM_OK, "load: %s", err.message);
    if (rc) return;
    qlm_model_desc d;
    qlm_model_describe(m, &d);
    T_CHECK(d.n_vocab == 512 && !strcmp(d.tokenizer, "gpt2") && d.eos == 260 && !d.add_bos,
            "vocab %d, tokenizer %s, eos %d, add_bos %d", d.n_vocab, d.tokenizer, d.eos, d.add_bos);
    int n;
    int32_t *ids = tokenize(m, "hello", 5, 0, &n);
    T_CHECK(n == 2 && ids[0] == 258 && ids[1] == 'o', "hello -> %d ids (%d %d)", n, n > 0 ? ids[0] : -1,
            n > 1 ? ids[1] : -1);
    free(ids);
    qlm_model_free(m);
    qlm_gguf *g;
    if (qlm_gguf_open(out, &g, &err) == QLM_OK) {
        qlm_str s;
        uint32_t type;
        uint64_t nt;
        const qlm_gguf_kv *kv;
        T_CHECK(qlm_gguf_get_arr(g, "tokenizer.ggml.tokens", &type, &nt, &kv) && nt == 512 &&
                    kv->arr_strs[511].len == 8 && !memcmp(kv->arr_strs[511].ptr, "[PAD511]", 8),
                "tokens padded to config.json's vocab_size with [PAD<id>]");
        T_CHECK(qlm_gguf_get_str(g, "tokenizer.chat_template", &s) && s.len == 14, "default template");
        T_CHECK(qlm_gguf_get_str(g, "tokenizer.chat_template.tool_use", &s) && s.len == 1, "named template");
        T_CHECK(qlm_gguf_get_arr(g, "tokenizer.chat_templates", &type, &nt, &kv) && nt == 1, "template names");
        T_CHECK(qlm_gguf_get_str(g, "tokenizer.ggml.pre", &s) && s.len == 5 && !memcmp(s.ptr, "gpt-2", 5), "pre gpt-2");
        qlm_gguf_close(g);
    }

    /* --vocab-only on the same folder: config.json names the architecture and the size */
    snprintf(out, sizeof out, "%s/llama-vocab-only.gguf", t_tmpdir());
    rc = vocab_only(dir, out, &err);
    T_CHECK(rc == QLM_OK, "vocab-only: %s", err.message);
    if (rc == QLM_OK && qlm_gguf_open(out, &g, &err) == QLM_OK) {
        uint32_t type;
        uint64_t nt;
        const qlm_gguf_kv *kv;
        T_CHECK(kv_str_is(g, "general.architecture", "llama") && kv_str_is(g, "general.name", "llama-with-tok") &&
                    qlm_gguf_n_tensors(g) == 0 && qlm_gguf_get_arr(g, "tokenizer.ggml.tokens", &type, &nt, &kv) &&
                    nt == 512,
                "vocab-only: architecture, name, no tensors, 512 tokens");
        qlm_gguf_close(g);
    }

    /* the shared fixture as it is (no tokenizer files): no vocabulary */
    char fx[1024];
    snprintf(fx, sizeof fx, "%s", cfg);
    *strrchr(fx, '/') = 0;
    snprintf(out, sizeof out, "%s/llama-no-tok.gguf", t_tmpdir());
    rc = qlm_convert_hf(fx, out, &cp, &err);
    T_CHECK(rc == QLM_OK, "convert fixture: %s", err.message);
    if (rc == QLM_OK && qlm_gguf_open(out, &g, &err) == QLM_OK) {
        T_CHECK(!qlm_gguf_get(g, "tokenizer.ggml.model") && !qlm_gguf_get(g, "tokenizer.ggml.tokens"), "no vocabulary");
        qlm_gguf_close(g);
    }

    /* a tokenizer with more tokens than the model's embedding rows */
    fresh_dir("llama-too-many", dir, sizeof dir);
    snprintf(p, sizeof p, "%s/config.json", dir);
    if (realpath(cfg, abs_p)) symlink(abs_p, p);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    if (realpath(st, abs_p)) symlink(abs_p, p);
    write_str(dir, "tokenizer.json",
              "{\"added_tokens\":[{\"id\":600,\"content\":\"<x>\",\"special\":true}],\"pre_tokenizer\":{\"type\":"
              "\"ByteLevel\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]}}");
    snprintf(out, sizeof out, "%s/too-many.gguf", t_tmpdir());
    rc = qlm_convert_hf(dir, out, &cp, &err);
    T_CHECK(rc != QLM_OK && strstr(err.message, "vocab_size") && !exists(out), "601 tokens, 512 rows: %s", err.message);
}

/* ---- tokenizer.json variants -------------------------------------------------------- */

/* Convert a folder holding just this tokenizer.json (+ config); open the result. */
static qlm_gguf *import_json(const char *name, const char *tj, const char *tc, qlm_error *err) {
    char dir[1024], out[1200];
    fresh_dir(name, dir, sizeof dir);
    write_str(dir, "tokenizer.json", tj);
    if (tc) write_str(dir, "tokenizer_config.json", tc);
    snprintf(out, sizeof out, "%s/%s.gguf", t_tmpdir(), name);
    qlm_gguf *g = NULL;
    if (vocab_only(dir, out, err) == QLM_OK) qlm_gguf_open(out, &g, err);
    return g;
}

static void test_variants(void) {
    t_case("hf import: Llama-2-style and Metaspace tokenizer.json, Llama 3 / StarCoder pre-tokenizers, merges with spaces");
    qlm_error err = {0};
    /* Llama 2 / Mistral: Prepend + Replace normalizer, byte fallback; scores from merge
     * ranks ("▁a" before "ab"), types: unknown, control, byte, normal */
    static const char llama2[] =
        "{\"added_tokens\":[{\"id\":1,\"content\":\"<s>\",\"special\":true},{\"id\":2,\"content\":\"</s>\",\"special\":true}],"
        "\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"Prepend\",\"prepend\":\"\xe2\x96\x81\"},"
        "{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},\"content\":\"\xe2\x96\x81\"}]},\"pre_tokenizer\":null,"
        "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
        "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}]},"
        "\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\",\"pattern\":{\"String\":\"\xe2\x96\x81\"},"
        "\"content\":\" \"},{\"type\":\"ByteFallback\"},{\"type\":\"Fuse\"}]},"
        "\"model\":{\"type\":\"BPE\",\"unk_token\":\"<unk>\",\"byte_fallback\":true,\"vocab\":{\"<unk>\":0,\"<s>\":1,"
        "\"</s>\":2,\"<0x41>\":3,\"\xe2\x96\x81\":4,\"a\":5,\"b\":6,\"\xe2\x96\x81\x61\":7,\"ab\":8,\"\xe2\x96\x81\x61\x62\":9},"
        "\"merges\":[\"\xe2\x96\x81 a\",\"a b\",\"\xe2\x96\x81\x61 b\"]}}";
    qlm_gguf *g = import_json("llama2-json", llama2, "{\"bos_token\":\"<s>\",\"eos_token\":\"</s>\"}", &err);
    T_CHECK(g, "llama2-style: %s", err.message);
    if (g) {
        uint32_t type;
        uint64_t n;
        const qlm_gguf_kv *sc, *tt;
        bool sp = false;
        T_CHECK(kv_str_is(g, "tokenizer.ggml.model", "llama") && kv_str_is(g, "tokenizer.ggml.pre", "default"), "llama/default");
        T_CHECK(qlm_gguf_get_bool(g, "tokenizer.ggml.add_space_prefix", &sp) && sp, "add_space_prefix from Prepend");
        T_CHECK(qlm_gguf_get_arr(g, "tokenizer.ggml.scores", &type, &n, &sc) && n == 10 &&
                    qlm_gguf_get_arr(g, "tokenizer.ggml.token_type", &type, &n, &tt),
                "scores and types");
        if (sc && tt) {
            float s7 = qlm_gguf_arr_f32(sc, 7), s8 = qlm_gguf_arr_f32(sc, 8), s9 = qlm_gguf_arr_f32(sc, 9);
            T_CHECK(s7 > s8 && s8 > s9 && qlm_gguf_arr_f32(sc, 5) == 0.0f, "scores follow merge ranks: %g %g %g", s7, s8, s9);
            T_CHECK(qlm_gguf_arr_i64(tt, 0) == 2 && qlm_gguf_arr_i64(tt, 1) == 3 && qlm_gguf_arr_i64(tt, 3) == 6 &&
                        qlm_gguf_arr_i64(tt, 5) == 1,
                    "types unknown/control/byte/normal");
        }
        bool ab = false;
        uint32_t id = 0;
        T_CHECK(qlm_gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &ab) && ab, "add_bos from TemplateProcessing");
        T_CHECK(qlm_gguf_get_u32(g, "tokenizer.ggml.bos_token_id", &id) && id == 1, "bos 1");
        T_CHECK(!qlm_gguf_get(g, "tokenizer.ggml.merges"), "no merges for a SentencePiece-style vocabulary");
        qlm_gguf_close(g);
        qlm_model *m;
        char out[1200];
        snprintf(out, sizeof out, "%s/llama2-json.gguf", t_tmpdir());
        if (load_vocab(out, &m)) {
            int nt;
            int32_t *ids = tokenize(m, "ab a", 4, QLM_TOK_ADD_BOS, &nt);
            /* "▁ab▁a": ▁a (best score) twice, then ▁a + b */
            T_CHECK(nt == 3 && ids[0] == 1 && ids[1] == 9 && ids[2] == 7, "'ab a' -> %d tokens", nt);
            free(ids);
            qlm_model_free(m);
        }
    }
    /* Metaspace that never prepends: add_space_prefix false */
    static const char meta[] =
        "{\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"\xe2\x96\x81\",\"prepend_scheme\":\"never\","
        "\"split\":false},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"\xe2\x96\x81\":1},\"merges\":[]}}";
    g = import_json("metaspace", meta, NULL, &err);
    T_CHECK(g, "metaspace: %s", err.message);
    if (g) {
        bool sp = true;
        T_CHECK(qlm_gguf_get_bool(g, "tokenizer.ggml.add_space_prefix", &sp) && !sp, "prepend_scheme never");
        qlm_gguf_close(g);
    }
    /* Llama 3's split regex: llama-bpe with ignore_merges, smaug-bpe without */
    static const char l3[] =
        "{\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":"
        "\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}{1,3}| ?[^\\\\s\\\\p{L}\\\\p{N}]+"
        "[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"},\"behavior\":\"Isolated\",\"invert\":false},"
        "{\"type\":\"ByteLevel\",\"use_regex\":false}]},\"model\":{\"type\":\"BPE\",\"ignore_merges\":%s,"
        "\"vocab\":{\"a\":0},\"merges\":[]}}";
    for (int im = 0; im < 2; im++) {
        char text[1024];
        snprintf(text, sizeof text, l3, im ? "true" : "false");
        g = import_json("llama3-regex", text, NULL, &err);
        T_CHECK(g && kv_str_is(g, "tokenizer.ggml.pre", im ? "llama-bpe" : "smaug-bpe"), "ignore_merges %d: %s", im,
                err.message);
        if (g) qlm_gguf_close(g);
    }
    /* StarCoder: single digits, then ByteLevel with its regex */
    static const char star[] =
        "{\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Digits\",\"individual_digits\":true},"
        "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true}]},"
        "\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\" b\":1,\"a b\":2},\"merges\":[[\"a\",\" b\"]]}}";
    g = import_json("starcoder", star, NULL, &err);
    T_CHECK(g, "starcoder: %s", err.message);
    if (g) {
        uint32_t type;
        uint64_t n;
        const qlm_gguf_kv *mg;
        T_CHECK(kv_str_is(g, "tokenizer.ggml.pre", "starcoder"), "pre starcoder");
        /* a space inside a merge part is written as U+0120, as llama.cpp does */
        T_CHECK(qlm_gguf_get_arr(g, "tokenizer.ggml.merges", &type, &n, &mg) && n == 1 && mg->arr_strs[0].len == 5 &&
                    !memcmp(mg->arr_strs[0].ptr, "a \xc4\xa0" "b", 5),
                "merge [\"a\", \" b\"] -> \"a \\u0120b\"");
        qlm_gguf_close(g);
    }
}

/* ---- malformed inputs -------------------------------------------------------------- */

typedef struct {
    const char *what, *tokenizer_json, *tokenizer_config, *config, *needle;
} bad_case;

#define BPE_BODY "\"pre_tokenizer\":{\"type\":\"ByteLevel\"},\"model\":{\"type\":\"BPE\","
#define BPE_HEAD "{" BPE_BODY
#define OKV "\"vocab\":{\"a\":0,\"b\":1,\"ab\":2}"

static const bad_case BAD[] = {
    {"truncated JSON", BPE_HEAD "\"vocab\":{\"a\":0", NULL, NULL, "tokenizer.json"},
    {"not an object", "[1,2,3]", NULL, NULL, "top level"},
    {"no model", "{\"version\":\"1.0\"}", NULL, NULL, "no \"model\""},
    {"vocab an array", BPE_HEAD "\"vocab\":[\"a\"],\"merges\":[]}}", NULL, NULL, "model.vocab must be an object"},
    {"merges an object", BPE_HEAD OKV ",\"merges\":{}}}", NULL, NULL, "merges must be an array"},
    {"negative id", BPE_HEAD "\"vocab\":{\"a\":-1},\"merges\":[]}}", NULL, NULL, "model.vocab['a']"},
    {"huge id", BPE_HEAD "\"vocab\":{\"a\":4000000000},\"merges\":[]}}", NULL, NULL, "not a token id"},
    {"fractional id", BPE_HEAD "\"vocab\":{\"a\":1.5},\"merges\":[]}}", NULL, NULL, "not a token id"},
    {"id as string", BPE_HEAD "\"vocab\":{\"a\":\"0\"},\"merges\":[]}}", NULL, NULL, "not a token id"},
    {"two tokens one id", BPE_HEAD "\"vocab\":{\"a\":0,\"b\":0},\"merges\":[]}}", NULL, NULL, "gives id 0"},
    {"added id huge", "{\"added_tokens\":[{\"id\":99999999,\"content\":\"<x>\"}]," BPE_BODY OKV ",\"merges\":[]}}", NULL,
     NULL, "added_tokens[0]"},
    {"added without content", "{\"added_tokens\":[{\"id\":5}]," BPE_BODY OKV ",\"merges\":[]}}", NULL, NULL,
     "added_tokens[0]"},
    {"added duplicates a token", "{\"added_tokens\":[{\"id\":5,\"content\":\"a\"}]," BPE_BODY OKV ",\"merges\":[]}}",
     NULL, NULL, "two ids"},
    {"merge of unknown tokens", BPE_HEAD OKV ",\"merges\":[\"a c\"]}}", NULL, NULL, "merges[0] uses 'c'"},
    {"merge result unknown", BPE_HEAD "\"vocab\":{\"a\":0,\"b\":1},\"merges\":[\"a b\"]}}", NULL, NULL, "uses 'ab'"},
    {"merge without a space", BPE_HEAD OKV ",\"merges\":[\"ab\"]}}", NULL, NULL, "merges[0] is neither"},
    {"merge pair of three", BPE_HEAD OKV ",\"merges\":[[\"a\",\"b\",\"c\"]]}}", NULL, NULL, "merges[0] is neither"},
    {"unknown pre-tokenizer",
     "{\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":"
     "\"\\\\w+\"},\"behavior\":\"Isolated\",\"invert\":false},{\"type\":\"ByteLevel\",\"use_regex\":false}]},"
     "\"model\":{\"type\":\"BPE\"," OKV ",\"merges\":[]}}",
     NULL, NULL, "unrecognised pre-tokenizer [Split /\\w+/, ByteLevel]"},
    {"unigram", "{\"model\":{\"type\":\"Unigram\",\"vocab\":[[\"a\",0.0]]}}", NULL, NULL, "'Unigram' is not supported"},
    {"wordpiece", "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0}}}", NULL, NULL, "'WordPiece'"},
    {"neither family", "{\"model\":{\"type\":\"BPE\"," OKV ",\"merges\":[]}}", NULL, NULL, "neither byte-level"},
    {"unsupported normalizer", "{\"normalizer\":{\"type\":\"Lowercase\"}," BPE_BODY OKV ",\"merges\":[]}}", NULL, NULL, "Lowercase"},
    {"bad chat template", BPE_HEAD OKV ",\"merges\":[]}}", "{\"chat_template\":5}", NULL, "chat_template must be"},
    {"bad template list", BPE_HEAD OKV ",\"merges\":[]}}", "{\"chat_template\":[{\"name\":1}]}", NULL,
     "chat_template[0]"},
    {"config not an object", BPE_HEAD OKV ",\"merges\":[]}}", "[]", NULL, "tokenizer_config.json: the top level"},
    {"bad added_tokens_decoder key", BPE_HEAD OKV ",\"merges\":[]}}",
     "{\"added_tokens_decoder\":{\"x1\":{\"content\":\"<y>\"}}}", NULL, "key 'x1'"},
    {"bos id out of range", BPE_HEAD OKV ",\"merges\":[]}}", NULL, "{\"bos_token_id\":1000}", "bos token id 1000"},
    {"negative eos id", BPE_HEAD OKV ",\"merges\":[]}}", NULL, "{\"eos_token_id\":-5}", "negative"},
    {"config.json truncated", BPE_HEAD OKV ",\"merges\":[]}}", NULL, "{\"vocab_size\":", "config.json"},
    {"vocab_size too small", BPE_HEAD OKV ",\"merges\":[]}}", NULL, "{\"vocab_size\":2}", "vocab_size is 2"},
};

static void test_bad_json(void) {
    t_case("hf import: malformed tokenizer.json / tokenizer_config.json / config.json: clear errors, no file");
    char dir[1024], out[1024];
    int n_ok = 0;
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        const bad_case *b = &BAD[i];
        fresh_dir("bad", dir, sizeof dir);
        write_str(dir, "tokenizer.json", b->tokenizer_json);
        if (b->tokenizer_config) write_str(dir, "tokenizer_config.json", b->tokenizer_config);
        if (b->config) write_str(dir, "config.json", b->config);
        snprintf(out, sizeof out, "%s/bad-out.gguf", t_tmpdir());
        unlink(out);
        qlm_error err = {0};
        qlm_status rc = vocab_only(dir, out, &err);
        bool ok = rc != QLM_OK && strstr(err.message, b->needle) && !exists(out) && !strchr(err.message, '\n');
        T_CHECK(ok, "%s: rc %d, '%s' (want '%s')", b->what, rc, err.message, b->needle);
        n_ok += ok;
    }
    printf("# %d/%zu malformed inputs rejected with the expected message\n", n_ok, sizeof BAD / sizeof BAD[0]);
    /* no tokenizer at all */
    fresh_dir("bad", dir, sizeof dir);
    qlm_error err = {0};
    T_CHECK(vocab_only(dir, out, &err) != QLM_OK && strstr(err.message, "neither tokenizer.json nor tokenizer.model"),
            "empty folder: %s", err.message);
    /* a small valid tokenizer.json (and config) with bytes flipped: an error or a
     * vocabulary, never a crash (make SAN=1 test runs this under ASan) */
    char *tiny = tiny_tokenizer_json();
    size_t tn = strlen(tiny);
    uint64_t x = 0x2545F4914F6CDD1Dull;
    int converted = 0;
    for (int round = 0; round < 150; round++) {
        char *c = strdup(tiny);
        for (int k = 0; k < 1 + round % 4; k++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            c[(x >> 8) % tn] = "{}[]\",:0123456789-.e ab\\"[(x >> 40) % 24];
        }
        fresh_dir("bad", dir, sizeof dir);
        write_str(dir, "tokenizer.json", c);
        write_str(dir, "tokenizer_config.json", "{\"eos_token\":\"<|im_end|>\",\"chat_template\":\"x\"}");
        unlink(out);
        if (vocab_only(dir, out, &err) == QLM_OK) {
            converted++;
            qlm_model *m;
            qlm_model_params mp = {.vocab_only = true};
            if (qlm_model_load(out, &mp, &m, &err) == QLM_OK) qlm_model_free(m);
        } else {
            T_CHECK(!exists(out) && !strchr(err.message, '\n'), "round %d: %s", round, err.message);
        }
        free(c);
    }
    free(tiny);
    printf("# mutated tokenizer.json: %d/150 still converted\n", converted);
    /* the real qwen3 file cut short */
    const char *q = t_shared("tokenizers/qwen3/tokenizer.json");
    if (!q) return;
    size_t n;
    char *full = t_read_file(q, &n);
    if (!full) return;
    size_t cuts[] = {0, 1, 100, n / 3, n - 2};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        fresh_dir("bad", dir, sizeof dir);
        char p[1200];
        snprintf(p, sizeof p, "%s/tokenizer.json", dir);
        write_file(p, full, cuts[k]);
        T_CHECK(vocab_only(dir, out, &err) != QLM_OK && strstr(err.message, "tokenizer.json") && !exists(out),
                "cut at %zu: %s", cuts[k], err.message);
    }
    free(full);
}

/* A SentencePiece model protobuf, built by hand. */
typedef struct {
    uint8_t b[4096];
    size_t n;
} pbuf;

static void pb_byte(pbuf *p, uint8_t c) { if (p->n < sizeof p->b) p->b[p->n++] = c; }
static void pb_varint(pbuf *p, uint64_t v) {
    while (v >= 0x80) { pb_byte(p, (uint8_t)(v | 0x80)); v >>= 7; }
    pb_byte(p, (uint8_t)v);
}
static void pb_key(pbuf *p, unsigned field, unsigned wire) { pb_varint(p, (uint64_t)field << 3 | wire); }
static void pb_bytes(pbuf *p, unsigned field, const void *d, size_t n) {
    pb_key(p, field, 2);
    pb_varint(p, n);
    for (size_t i = 0; i < n; i++) pb_byte(p, ((const uint8_t *)d)[i]);
}
static void pb_piece(pbuf *p, const char *text, float score, int type) {
    pbuf m = {.n = 0};
    pb_bytes(&m, 1, text, strlen(text));
    pb_key(&m, 2, 5);
    uint32_t u;
    memcpy(&u, &score, 4);
    for (int i = 0; i < 4; i++) pb_byte(&m, (uint8_t)(u >> (8 * i)));
    if (type) { pb_key(&m, 3, 0); pb_varint(&m, (uint64_t)(int64_t)type); }
    pb_bytes(p, 1, m.b, m.n);
}
static void pb_trainer(pbuf *p, int model_type, int64_t bos) {
    pbuf t = {.n = 0};
    pb_key(&t, 3, 0);
    pb_varint(&t, (uint64_t)model_type);
    pb_key(&t, 41, 0);
    pb_varint(&t, (uint64_t)bos);
    pb_bytes(p, 2, t.b, t.n);
}

static void try_model(const pbuf *p, const char *needle, const char *what) {
    char dir[1024], path[1200], out[1024];
    fresh_dir("badspm", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/tokenizer.model", dir);
    write_file(path, p->b, p->n);
    snprintf(out, sizeof out, "%s/badspm-out.gguf", t_tmpdir());
    unlink(out);
    qlm_error err = {0};
    qlm_status rc = vocab_only(dir, out, &err);
    if (!needle) {
        T_CHECK(rc == QLM_OK && exists(out), "%s: %s", what, err.message);
        return;
    }
    T_CHECK(rc != QLM_OK && strstr(err.message, needle) && !exists(out), "%s: '%s' (want '%s')", what, err.message, needle);
}

static void test_bad_model(void) {
    t_case("hf import: malformed tokenizer.model: clear errors, no file, no crash");
    pbuf p = {.n = 0};
    pb_piece(&p, "<unk>", 0, 2);
    pb_piece(&p, "<s>", 0, 3);
    pb_piece(&p, "</s>", 0, 3);
    pb_piece(&p, "a", -1, 0);
    pbuf good = p;
    pb_trainer(&good, 2, 1);
    try_model(&good, NULL, "a minimal BPE model");

    pbuf q = p;
    try_model(&q, "no trainer_spec", "no trainer spec");
    q = p;
    pb_trainer(&q, 1, 1);
    try_model(&q, "unigram models are not supported", "unigram");
    q = p;
    pb_trainer(&q, 2, 7);
    try_model(&q, "bos_id = 7 is out of range", "bos out of range");
    q = p;
    pb_trainer(&q, 2, -5);
    try_model(&q, "bos_id = -5", "negative bos");
    q = p;
    pb_piece(&q, "b", 0, 9);
    pb_trainer(&q, 2, 1);
    try_model(&q, "type 9", "piece type 9");
    q = p;
    pb_piece(&q, "<0xZZ>", 0, 6);
    pb_trainer(&q, 2, 1);
    try_model(&q, "not <0xXX>", "bad byte piece");
    q = p;
    pb_piece(&q, "", 0, 0);
    pb_trainer(&q, 2, 1);
    try_model(&q, "has no text", "empty piece");
    q = p;
    pb_piece(&q, "a", 0, 0);
    pb_trainer(&q, 2, 1);
    try_model(&q, "two ids", "duplicate piece");
    q = (pbuf){.n = 0};
    pb_trainer(&q, 2, 1);
    try_model(&q, "no pieces", "no pieces");
    /* a length past the end, an overlong varint, a group wire type */
    q = good;
    q.b[1] = 0x7f;
    try_model(&q, "malformed SentencePiece model", "length past the end");
    q = (pbuf){.n = 0};
    for (int i = 0; i < 11; i++) pb_byte(&q, 0xff);
    try_model(&q, "malformed SentencePiece model", "overlong varint");
    q = (pbuf){.n = 0};
    pb_key(&q, 1, 3);
    try_model(&q, "malformed SentencePiece model", "group wire type");

    /* the real model cut short and with bytes flipped: errors or a vocabulary, no crash */
    const char *real = t_shared("tokenizer-vectors/llama2-tokenizer.model");
    if (!real) return;
    size_t n;
    uint8_t *full = t_read_file(real, &n);
    if (!full) return;
    char dir[1024], path[1200], out[1024];
    snprintf(out, sizeof out, "%s/badspm-real.gguf", t_tmpdir());
    size_t cuts[] = {1, 7, n / 2, n - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        fresh_dir("badspm", dir, sizeof dir);
        snprintf(path, sizeof path, "%s/tokenizer.model", dir);
        write_file(path, full, cuts[k]);
        unlink(out);
        qlm_error err = {0};
        T_CHECK(vocab_only(dir, out, &err) != QLM_OK && strstr(err.message, "tokenizer.model") && !exists(out),
                "cut at %zu: %s", cuts[k], err.message);
    }
    uint64_t x = 0x9E3779B97F4A7C15ull;
    int accepted = 0;
    for (int round = 0; round < 12; round++) {
        uint8_t *c = malloc(n);
        memcpy(c, full, n);
        for (int k = 0; k < 6; k++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            c[(x >> 8) % n] ^= (uint8_t)(x | 1);
        }
        fresh_dir("badspm", dir, sizeof dir);
        snprintf(path, sizeof path, "%s/tokenizer.model", dir);
        write_file(path, c, n);
        qlm_error err = {0};
        if (vocab_only(dir, out, &err) == QLM_OK) {
            accepted++;
            qlm_model *m;
            qlm_model_params mp = {.vocab_only = true};
            /* what was written must load or be refused cleanly */
            if (qlm_model_load(out, &mp, &m, &err) == QLM_OK) qlm_model_free(m);
        }
        free(c);
    }
    printf("# flipped bytes: %d/12 files still converted\n", accepted);
    free(full);
}

int main(void) {
    test_real("llama3", true);  /* no add_bos_token in its config: llama-bpe's default */
    test_real("qwen3", false);
    test_real("gemma3", true);
    test_spm_model();
    test_full_converter();
    test_variants();
    test_bad_json();
    test_bad_model();
    return t_done();
}
