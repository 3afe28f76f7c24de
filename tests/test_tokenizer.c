/* Tokenizers against their references: llama.cpp's vocabulary test files (46 strings per
 * vocabulary: SentencePiece, byte-level BPE with each pre-tokenizer, WordPiece), the
 * stories260K vocabulary, llama-tokenizer-js and llama2.c cases; special-token parsing;
 * decoding and the streaming detokenizer; malformed vocabularies; UTF-8 edge cases. */
#include "harness.h"
#include "../model/vocab_internal.h"
#include "../model/unicode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ----------------------------------------------------------------- */

/* A path under ../shared (NULL if absent). The harness means its strings to live until
 * exit, which LeakSanitizer reports under make SAN=1, so this file frees them. */
/* a private copy the caller frees (t_shared keeps its own until exit) */
static char *shared(const char *rel) { const char *p = t_shared(rel); return p ? strdup(p) : NULL; }

typedef struct {
    qlm_gguf *g;
    qlm_vocab *v;
} loaded;

static bool load(const char *rel, loaded *l) {
    memset(l, 0, sizeof *l);
    char *p = shared(rel);
    if (!p) { t_skip("../shared/%s is absent", rel); return false; }
    qlm_error err = {0};
    qlm_status rc = qlm_gguf_open(p, &l->g, &err);
    free(p);
    if (rc != QLM_OK) { T_CHECK(0, "open %s: %s", rel, err.message); return false; }
    if (qlm_vocab_load(l->g, &l->v, &err) != QLM_OK || !l->v) {
        T_CHECK(0, "vocab %s: %s", rel, err.message);
        qlm_gguf_close(l->g);
        return false;
    }
    qlm_gguf_close(l->g); /* the vocabulary must not need the file any more */
    l->g = NULL;
    return true;
}

static void unload(loaded *l) { qlm_vocab_free(l->v); }

/* Tokenize into a malloc'd array; *n gets the count. */
static int32_t *tok(const qlm_vocab *v, const char *s, size_t len, unsigned flags, int *n) {
    int need = qlm_vocab_tokenize(v, s, len, flags, NULL, 0);
    *n = need;
    if (need < 0) return NULL;
    int32_t *ids = malloc(((size_t)need + 1) * sizeof *ids);
    int again = qlm_vocab_tokenize(v, s, len, flags, ids, need);
    T_CHECK(again == need, "count changed between calls: %d vs %d", need, again);
    return ids;
}

/* Concatenated bytes of the tokens (special ones only if asked); *len gets the length. */
static char *detok(const qlm_vocab *v, const int32_t *ids, int n, bool special, size_t *len) {
    size_t cap = 64, k = 0;
    char *s = malloc(cap);
    for (int i = 0; i < n; i++) {
        int m = qlm_vocab_token_bytes(v, ids[i], special, NULL, 0);
        if (m < 0) { free(s); return NULL; }
        while (k + (size_t)m + 1 > cap) s = realloc(s, cap *= 2);
        qlm_vocab_token_bytes(v, ids[i], special, s + k, m);
        k += (size_t)m;
    }
    s[k] = 0;
    *len = k;
    return s;
}

static void fmt_ids(char *buf, size_t cap, const int32_t *ids, int n) {
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < n && k + 16 < cap; i++) k += (size_t)snprintf(buf + k, cap - k, " %d", ids[i]);
}

static bool same_ids(const int32_t *a, int na, const int32_t *b, int nb) {
    return na == nb && (na == 0 || !memcmp(a, b, (size_t)na * sizeof *a));
}

/* ---- llama.cpp's vocabulary test files ---------------------------------------------- */

typedef struct {
    char **inp;  /* strings (not NUL-safe: lengths in inp_len) */
    size_t *inp_len;
    int32_t **ids;
    int *n_ids;
    int n;
} cases;

static void cases_free(cases *c) {
    for (int i = 0; i < c->n; i++) { free(c->inp[i]); free(c->ids[i]); }
    free(c->inp); free(c->inp_len); free(c->ids); free(c->n_ids);
    memset(c, 0, sizeof *c);
}

static void cases_add(cases *c, const char *s, size_t len, const int32_t *ids, int n) {
    c->inp = realloc(c->inp, (size_t)(c->n + 1) * sizeof *c->inp);
    c->inp_len = realloc(c->inp_len, (size_t)(c->n + 1) * sizeof *c->inp_len);
    c->ids = realloc(c->ids, (size_t)(c->n + 1) * sizeof *c->ids);
    c->n_ids = realloc(c->n_ids, (size_t)(c->n + 1) * sizeof *c->n_ids);
    c->inp[c->n] = malloc(len + 1);
    memcpy(c->inp[c->n], s, len);
    c->inp[c->n][len] = 0;
    c->inp_len[c->n] = len;
    c->ids[c->n] = malloc(((size_t)n + 1) * sizeof(int32_t));
    if (n) memcpy(c->ids[c->n], ids, (size_t)n * sizeof(int32_t));
    c->n_ids[c->n] = n;
    c->n++;
}

/* Reads NAME.inp (strings joined by "\n__ggml_vocab_test__\n"; text after the last
 * separator, if any, is one more string) and NAME.out (one " id id ..." line each),
 * exactly as llama.cpp's test-tokenizer-0 does. */
static bool read_vocab_cases(const char *inp_rel, const char *out_rel, cases *c) {
    memset(c, 0, sizeof *c);
    char *pi = shared(inp_rel), *po = shared(out_rel);
    if (!pi || !po) { t_skip("../shared/%s or .out is absent", inp_rel); free(pi); free(po); return false; }
    size_t ni, no;
    char *si = t_read_file(pi, &ni), *so = t_read_file(po, &no);
    free(pi);
    free(po);
    if (!si || !so) { T_CHECK(0, "cannot read %s", inp_rel); free(si); free(so); return false; }
    static const char sep[] = "\n__ggml_vocab_test__\n";
    size_t pos = 0;
    char *line = so;
    int32_t ids[4096];
    while (pos < ni) {
        char *next = strstr(si + pos, sep); /* the files hold no NUL bytes */
        size_t end = next ? (size_t)(next - si) : ni;
        int n = 0;
        char *eol = strchr(line, '\n');
        if (eol) *eol = 0;
        for (char *p = line; *p;) {
            char *e;
            long id = strtol(p, &e, 10);
            if (e == p) break;
            if (n < 4096) ids[n++] = (int32_t)id;
            p = e;
        }
        line = eol ? eol + 1 : line + strlen(line);
        cases_add(c, si + pos, end - pos, ids, n);
        if (!next) break;
        pos = end + sizeof sep - 1;
    }
    free(si);
    free(so);
    return true;
}

/* Tokenize every case without BOS and without special tokens; compare; check that the
 * tokens decode back to the text (SentencePiece: after its leading space). Returns the
 * number that matched. */
static int run_cases(const qlm_vocab *v, const cases *c, bool roundtrip, const char *name) {
    int ok = 0, rt_bad = 0;
    char want[512], got[512];
    for (int i = 0; i < c->n; i++) {
        int n;
        int32_t *ids = tok(v, c->inp[i], c->inp_len[i], 0, &n);
        if (same_ids(ids, n, c->ids[i], c->n_ids[i])) {
            ok++;
        } else if (ok + rt_bad == i) { /* report the first mismatch only */
            fmt_ids(want, sizeof want, c->ids[i], c->n_ids[i]);
            fmt_ids(got, sizeof got, ids, n);
            T_CHECK(0, "%s: '%.40s': want%s got%s", name, c->inp[i], want, got);
        }
        if (roundtrip && ids) {
            size_t len;
            char *back = detok(v, ids, n, false, &len);
            const char *b = back;
            if (!strcmp(qlm_vocab_model_name(v), "llama") && len && b[0] == ' ') { b++; len--; }
            if (!back || len != c->inp_len[i] || memcmp(b, c->inp[i], len)) {
                if (!rt_bad) T_CHECK(0, "%s: '%.40s' does not decode back to itself", name, c->inp[i]);
                rt_bad++;
            }
            free(back);
        }
        free(ids);
    }
    return ok;
}

static void vocab_file_case(const char *vocab, bool roundtrip) {
    t_case("vocab %s: llama.cpp's 46 strings", vocab);
    char g[256], i[256], o[256];
    snprintf(g, sizeof g, "vocab/ggml-vocab-%s.gguf", vocab);
    snprintf(i, sizeof i, "vocab/ggml-vocab-%s.gguf.inp", vocab);
    snprintf(o, sizeof o, "vocab/ggml-vocab-%s.gguf.out", vocab);
    loaded l;
    cases c;
    if (!read_vocab_cases(i, o, &c)) return;
    if (load(g, &l)) {
        int ok = run_cases(l.v, &c, roundtrip, vocab);
        T_CHECK(c.n == 46 && ok == c.n, "%d/%d strings match", ok, c.n);
        printf("# %s: %d/%d\n", vocab, ok, c.n);
        unload(&l);
    }
    cases_free(&c);
}

static void stories_case(const char *inp, const char *out, int expect_n) {
    t_case("vocab stories260K: %s", inp);
    loaded l;
    cases c;
    if (!read_vocab_cases(inp, out, &c)) return;
    if (load("models/stories260K/stories260K.gguf", &l)) {
        int ok = run_cases(l.v, &c, true, "stories260K");
        T_CHECK(c.n == expect_n && ok == c.n, "%d/%d strings match", ok, c.n);
        printf("# stories260K %s: %d/%d\n", inp, ok, c.n);
        unload(&l);
    }
    cases_free(&c);
}

/* ---- the .cases.json files: a reader for just their shape ----------------------------- */

/* Parse a JSON string at *p (pointing at the opening quote) into out; returns length. */
static size_t json_str(const char **pp, char *out, size_t cap) {
    const char *p = *pp + 1;
    size_t n = 0;
    while (*p && *p != '"') {
        uint32_t cp;
        if (*p == '\\') {
            p++;
            switch (*p) {
            case 'n': cp = '\n'; break;
            case 't': cp = '\t'; break;
            case 'r': cp = '\r'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'u': {
                cp = (uint32_t)strtoul((char[5]){p[1], p[2], p[3], p[4], 0}, NULL, 16);
                p += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u') {
                    uint32_t lo = (uint32_t)strtoul((char[5]){p[3], p[4], p[5], p[6], 0}, NULL, 16);
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
                break;
            }
            default: cp = (uint8_t)*p; break;
            }
            p++;
            char enc[4];
            int l = qlm_uc_utf8_encode(cp, enc);
            if (n + (size_t)l < cap) memcpy(out + n, enc, (size_t)l);
            n += (size_t)l;
        } else {
            if (n + 1 < cap) out[n] = *p;
            n++;
            p++;
        }
    }
    *pp = *p ? p + 1 : p;
    if (n < cap) out[n] = 0;
    return n;
}

/* Find "key": after *pp; leave *pp after the colon. */
static bool json_key(const char **pp, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *k = strstr(*pp, pat);
    if (!k) return false;
    k = strchr(k + strlen(pat), ':');
    if (!k) return false;
    k++;
    while (*k == ' ' || *k == '\n' || *k == '\t' || *k == '\r') k++;
    *pp = k;
    return true;
}

static int json_ints(const char **pp, int32_t *out, int cap) {
    const char *p = strchr(*pp, '[');
    int n = 0;
    if (!p) return 0;
    p++;
    while (*p && *p != ']') {
        char *e;
        long v = strtol(p, &e, 10);
        if (e != p) { if (n < cap) out[n++] = (int32_t)v; p = e; }
        else p++;
    }
    *pp = *p ? p + 1 : p;
    return n;
}

static void json_encode_cases(const char *rel, const char *array_key) {
    t_case("vocab llama-spm: %s", rel);
    char *path = shared(rel);
    if (!path) { t_skip("../shared/%s is absent", rel); return; }
    char *js = t_read_file(path, NULL);
    free(path);
    loaded l;
    if (!js || !load("vocab/ggml-vocab-llama-spm.gguf", &l)) { free(js); return; }
    const char *p = js;
    if (!json_key(&p, array_key)) T_CHECK(0, "no %s in %s", array_key, rel);
    int n_cases = 0, ok = 0;
    static char text[65536];
    static int32_t want[16384];
    while (json_key(&p, "input")) {
        size_t len = json_str(&p, text, sizeof text);
        if (!json_key(&p, "expected_ids_with_bos")) break;
        int nw = json_ints(&p, want, 16384);
        n_cases++;
        int n;
        int32_t *ids = tok(l.v, text, len, QLM_TOK_ADD_BOS, &n);
        if (same_ids(ids, n, want, nw)) ok++;
        else T_CHECK(0, "'%.40s': %d tokens, want %d", text, n, nw);
        /* and back (after BOS and the leading space) */
        size_t bl;
        char *back = detok(l.v, ids + 1, n - 1, false, &bl);
        const char *b = back && bl && back[0] == ' ' ? back + 1 : back;
        T_CHECK(back && strlen(b) == len && !memcmp(b, text, len), "'%.40s' does not decode back", text);
        free(back);
        free(ids);
    }
    printf("# %s: %d/%d encode cases\n", rel, ok, n_cases);
    T_CHECK(n_cases > 0 && ok == n_cases, "%d/%d", ok, n_cases);

    /* llama-tokenizer-js decode cases: drop a leading BOS when add_bos_token, render the
     * rest with special tokens as text, and drop the first piece's leading space when
     * add_preceding_space */
    const char *d = strstr(js, "\"decode_cases\"");
    int n_dec = 0, ok_dec = 0;
    while (d && json_key(&d, "ids")) {
        int32_t ids[64];
        int n = json_ints(&d, ids, 64);
        if (!json_key(&d, "expected")) break;
        char expected[256];
        json_str(&d, expected, sizeof expected);
        bool add_bos = json_key(&d, "add_bos_token") && !strncmp(d, "true", 4);
        bool add_space = json_key(&d, "add_preceding_space") && !strncmp(d, "true", 4);
        int first = add_bos && n && ids[0] == qlm_vocab_bos(l.v) ? 1 : 0;
        char out[256];
        size_t k = 0;
        for (int i = first; i < n; i++) {
            char piece[64];
            int m = qlm_vocab_token_bytes(l.v, ids[i], true, piece, sizeof piece);
            int skip = add_space && i == first && m > 0 && piece[0] == ' ';
            memcpy(out + k, piece + skip, (size_t)(m - skip));
            k += (size_t)(m - skip);
        }
        out[k] = 0;
        n_dec++;
        if (!strcmp(out, expected)) ok_dec++;
        else T_CHECK(0, "decode case %d: got '%s', want '%s'", n_dec, out, expected);
    }
    if (strstr(js, "\"decode_cases\"")) {
        printf("# %s: %d/%d decode cases\n", rel, ok_dec, n_dec);
        T_CHECK(n_dec == 8 && ok_dec == n_dec, "%d/%d decode cases", ok_dec, n_dec);
    }
    unload(&l);
    free(js);
}

/* ---- in-memory GGUF images for the synthetic and malformed cases ---------------------- */

typedef struct {
    uint8_t *d;
    size_t n, cap;
    uint64_t n_kv;
} img;

static void put(img *b, const void *p, size_t n) {
    while (b->n + n > b->cap) b->d = realloc(b->d, b->cap = b->cap ? 2 * b->cap : 4096);
    memcpy(b->d + b->n, p, n);
    b->n += n;
}
static void put_u32(img *b, uint32_t v) { uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)}; put(b, x, 4); }
static void put_u64(img *b, uint64_t v) { put_u32(b, (uint32_t)v); put_u32(b, (uint32_t)(v >> 32)); }
static void put_str(img *b, const char *s) { put_u64(b, strlen(s)); put(b, s, strlen(s)); }
static void kv_head(img *b, const char *key, uint32_t type) { put_str(b, key); put_u32(b, type); b->n_kv++; }
static void kv_str(img *b, const char *key, const char *v) { kv_head(b, key, GGUF_TYPE_STRING); put_str(b, v); }
static void kv_u32(img *b, const char *key, uint32_t v) { kv_head(b, key, GGUF_TYPE_U32); put_u32(b, v); }
static void kv_bool(img *b, const char *key, bool v) { kv_head(b, key, GGUF_TYPE_BOOL); uint8_t x = v; put(b, &x, 1); }
static void kv_strs(img *b, const char *key, const char *const *s, int n) {
    kv_head(b, key, GGUF_TYPE_ARRAY);
    put_u32(b, GGUF_TYPE_STRING);
    put_u64(b, (uint64_t)n);
    for (int i = 0; i < n; i++) put_str(b, s[i]);
}
static void kv_i32s(img *b, const char *key, const int32_t *v, int n) {
    kv_head(b, key, GGUF_TYPE_ARRAY);
    put_u32(b, GGUF_TYPE_I32);
    put_u64(b, (uint64_t)n);
    for (int i = 0; i < n; i++) put_u32(b, (uint32_t)v[i]);
}
static void kv_f32s(img *b, const char *key, const float *v, int n) {
    kv_head(b, key, GGUF_TYPE_ARRAY);
    put_u32(b, GGUF_TYPE_F32);
    put_u64(b, (uint64_t)n);
    for (int i = 0; i < n; i++) { uint32_t u; memcpy(&u, &v[i], 4); put_u32(b, u); }
}

/* Header + the KVs written into body. */
static img finish(img *body) {
    img f = {0};
    put(&f, "GGUF", 4);
    put_u32(&f, 3);
    put_u64(&f, 0);
    put_u64(&f, body->n_kv);
    put(&f, body->d, body->n);
    free(body->d);
    return f;
}

/* Load a vocab from an image; returns the status, fills *v (may be NULL) and err. */
static qlm_status load_img(img *b, qlm_vocab **v, qlm_error *err) {
    img f = finish(b);
    qlm_gguf *g = NULL;
    *v = NULL;
    qlm_status rc = qlm_gguf_open_memory(f.d, f.n, &g, err);
    if (rc == QLM_OK) {
        rc = qlm_vocab_load(g, v, err);
        qlm_gguf_close(g);
    }
    free(f.d);
    return rc;
}

/* A small SentencePiece vocabulary: <unk> <s> </s>, the 256 byte tokens, then extra
 * normal tokens (score = -position) and extra tokens of the given types. */
typedef struct {
    const char *text;
    int32_t type;
} extra_tok;

static void spm_body(img *b, const extra_tok *extra, int n_extra) {
    int n = 3 + 256 + n_extra;
    const char **t = malloc((size_t)n * sizeof *t);
    char(*bytes)[8] = malloc(256 * sizeof *bytes);
    float *sc = malloc((size_t)n * sizeof *sc);
    int32_t *ty = malloc((size_t)n * sizeof *ty);
    t[0] = "<unk>"; t[1] = "<s>"; t[2] = "</s>";
    ty[0] = QLM_TOKEN_UNKNOWN; ty[1] = ty[2] = QLM_TOKEN_CONTROL;
    for (int i = 0; i < 256; i++) {
        snprintf(bytes[i], 8, "<0x%02X>", i);
        t[3 + i] = bytes[i];
        ty[3 + i] = QLM_TOKEN_BYTE;
    }
    for (int i = 0; i < n_extra; i++) { t[259 + i] = extra[i].text; ty[259 + i] = extra[i].type; }
    for (int i = 0; i < n; i++) sc[i] = (float)-i;
    kv_str(b, "tokenizer.ggml.model", "llama");
    kv_strs(b, "tokenizer.ggml.tokens", t, n);
    kv_f32s(b, "tokenizer.ggml.scores", sc, n);
    kv_i32s(b, "tokenizer.ggml.token_type", ty, n);
    free(t); free(bytes); free(sc); free(ty);
}

/* ---- synthetic behaviour --------------------------------------------------------------- */

static void test_special_priority(void) {
    t_case("special tokens: longer ones claim the text first (llama.cpp order)");
    extra_tok ex[] = {{"\xe2\x96\x81", 1}, {"a", 1}, {"b", 1}, {"c", 1}, {"d", 1},
                      {"ab", QLM_TOKEN_CONTROL}, {"bcd", QLM_TOKEN_CONTROL}, {"<x>", QLM_TOKEN_USER_DEFINED}};
    img b = {0};
    spm_body(&b, ex, 8);
    qlm_vocab *v;
    qlm_error err = {0};
    if (load_img(&b, &v, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); return; }
    int n;
    /* ids: ▁ 259, a 260, b 261, c 262, d 263, ab 264, bcd 265, <x> 266 */
    int32_t *ids = tok(v, "abcd", 4, QLM_TOK_PARSE_SPECIAL, &n);
    int32_t want1[] = {259, 260, 265};
    T_CHECK(same_ids(ids, n, want1, 3), "abcd -> %d tokens", n);
    free(ids);
    /* without the flag a control token is not matched in the text, but SentencePiece
     * merges may still form it from characters (llama.cpp does the same): "bc" is no
     * token, so "bcd" cannot form, while "ab" can */
    ids = tok(v, "abcd", 4, 0, &n);
    int32_t want2[] = {259, 264, 262, 263};
    T_CHECK(same_ids(ids, n, want2, 4), "abcd (no special) -> %d tokens", n);
    free(ids);
    ids = tok(v, "a<x>b", 5, 0, &n); /* user-defined tokens always match */
    int32_t want3[] = {259, 260, 266, 259, 261};
    T_CHECK(same_ids(ids, n, want3, 5), "a<x>b -> %d tokens", n);
    free(ids);
    ids = tok(v, "abab", 4, QLM_TOK_PARSE_SPECIAL | QLM_TOK_ADD_BOS, &n);
    int32_t want4[] = {1, 264, 264};
    T_CHECK(same_ids(ids, n, want4, 3), "abab -> %d tokens", n);
    free(ids);
    qlm_vocab_free(v);
}

static void test_special_real(void) {
    t_case("special tokens: <s>, </s>, <|endoftext|>, Phi-3's white-space stripping");
    loaded l;
    if (!load("vocab/ggml-vocab-llama-spm.gguf", &l)) return;
    int n, nh;
    int32_t *h = tok(l.v, "hello", 5, 0, &nh);
    int32_t *ids = tok(l.v, "<s>hello</s>", 12, QLM_TOK_PARSE_SPECIAL, &n);
    T_CHECK(n == nh + 2 && ids[0] == 1 && ids[n - 1] == 2 && !memcmp(ids + 1, h, (size_t)nh * 4),
            "<s>hello</s> with special parsing: %d tokens", n);
    free(ids);
    ids = tok(l.v, "<s>hello</s>", 12, 0, &n);
    bool has_ctl = false;
    for (int i = 0; i < n; i++) has_ctl |= ids[i] == 1 || ids[i] == 2;
    T_CHECK(n > nh + 2 && !has_ctl, "without special parsing <s> is text");
    size_t len;
    char *back = detok(l.v, ids, n, false, &len);
    T_CHECK(back && !strcmp(back, " <s>hello</s>"), "decodes to '%s'", back ? back : "(null)");
    free(back);
    free(ids);
    free(h);
    T_CHECK(qlm_vocab_is_eog(l.v, 2) && !qlm_vocab_is_eog(l.v, 1), "EOS ends generation, BOS does not");
    unload(&l);

    if (!load("vocab/ggml-vocab-gpt-2.gguf", &l)) return;
    int na, nb;
    int32_t *a = tok(l.v, "Hi", 2, 0, &na), *bb = tok(l.v, " there", 6, 0, &nb);
    ids = tok(l.v, "Hi<|endoftext|> there", 21, QLM_TOK_PARSE_SPECIAL, &n);
    T_CHECK(n == na + nb + 1 && ids[na] == 50256 && !memcmp(ids, a, (size_t)na * 4) &&
            !memcmp(ids + na + 1, bb, (size_t)nb * 4), "Hi<|endoftext|> there: %d tokens", n);
    char piece[32];
    T_CHECK(qlm_vocab_token_bytes(l.v, 50256, false, piece, 32) == 0, "control token is silent");
    T_CHECK(qlm_vocab_token_bytes(l.v, 50256, true, piece, 32) == 13 && !memcmp(piece, "<|endoftext|>", 13),
            "control token rendered with special");
    T_CHECK(qlm_vocab_is_eog(l.v, 50256), "<|endoftext|> ends generation");
    free(ids); free(a); free(bb);
    unload(&l);

    if (!load("vocab/ggml-vocab-phi-3.gguf", &l)) return;
    h = tok(l.v, "Hello", 5, 0, &nh);
    ids = tok(l.v, "<|user|>\nHello", 14, QLM_TOK_PARSE_SPECIAL, &n);
    T_CHECK(n == nh + 1 && ids[0] == 32010 && !memcmp(ids + 1, h, (size_t)nh * 4),
            "<|user|>\\nHello: the newline after the token is swallowed (%d tokens)", n);
    T_CHECK(qlm_vocab_is_eog(l.v, 32007) && qlm_vocab_is_eog(l.v, 32000), "<|end|> and <|endoftext|> end generation");
    free(ids); free(h);
    unload(&l);
}

static void test_add_special(void) {
    t_case("QLM_TOK_ADD_BOS follows the vocabulary (BOS, none, [CLS] ... [SEP])");
    loaded l;
    int n;
    int32_t *ids;
    if (load("vocab/ggml-vocab-deepseek-coder.gguf", &l)) {
        ids = tok(l.v, "int x;", 6, QLM_TOK_ADD_BOS, &n);
        T_CHECK(n > 1 && ids[0] == 32013, "deepseek-coder starts with BOS 32013");
        T_CHECK(qlm_vocab_add_bos(l.v) && qlm_vocab_bos(l.v) == 32013 && qlm_vocab_eos(l.v) == 32014, "ids");
        free(ids);
        unload(&l);
    }
    if (load("vocab/ggml-vocab-gpt-2.gguf", &l)) {
        int n0;
        int32_t *a = tok(l.v, "Hello", 5, 0, &n0);
        ids = tok(l.v, "Hello", 5, QLM_TOK_ADD_BOS, &n);
        T_CHECK(!qlm_vocab_add_bos(l.v) && same_ids(a, n0, ids, n), "gpt-2 adds no BOS");
        T_CHECK(!strcmp(qlm_vocab_model_name(l.v), "gpt2"), "model name");
        free(a); free(ids);
        unload(&l);
    }
    if (load("vocab/ggml-vocab-bert-bge.gguf", &l)) {
        ids = tok(l.v, "Hello world", 11, QLM_TOK_ADD_BOS, &n);
        T_CHECK(n == 4 && ids[0] == 101 && ids[3] == 102, "bert: [CLS] hello world [SEP], %d tokens", n);
        T_CHECK(!strcmp(qlm_vocab_model_name(l.v), "bert"), "model name");
        free(ids);
        unload(&l);
    }
    if (load("vocab/ggml-vocab-llama-spm.gguf", &l)) {
        ids = tok(l.v, "", 0, QLM_TOK_ADD_BOS, &n);
        T_CHECK(n == 1 && ids[0] == 1, "empty text with BOS is [1]");
        free(ids);
        ids = tok(l.v, "", 0, 0, &n);
        T_CHECK(n == 0, "empty text is no tokens");
        free(ids);
        /* capacity: the count comes back, only cap ids are written */
        int32_t two[3] = {-7, -7, -7};
        n = qlm_vocab_tokenize(l.v, "Hello world again", 17, QLM_TOK_ADD_BOS, two, 2);
        T_CHECK(n == 4 && two[0] == 1 && two[2] == -7, "cap 2: returned %d, wrote no more than 2", n);
        T_CHECK(qlm_vocab_tokenize(l.v, "x", 1, 0, NULL, -1) < 0, "negative cap rejected");
        unload(&l);
    }
}

/* MPT's user-defined tokens are runs of 2..24 spaces, matched even without special
 * parsing: a long run is claimed 24 at a time, the rest by the longest that fits. */
static void test_dense_user_defined(void) {
    t_case("special tokens: 100000 spaces with MPT's space tokens");
    loaded l;
    if (!load("vocab/ggml-vocab-mpt.gguf", &l)) return;
    size_t n = 100000;
    char *s = malloc(n);
    memset(s, ' ', n);
    int32_t id24 = qlm_vocab_find(l.v, s, 24), id16 = qlm_vocab_find(l.v, s, 16);
    int k;
    int32_t *ids = tok(l.v, s, n, 0, &k);
    int bad = 0;
    for (int i = 0; i < k - 1; i++) bad += ids[i] != id24;
    T_CHECK(id24 >= 0 && id16 >= 0 && k == 4167 && !bad && ids[k - 1] == id16, "%d tokens, %d not 24 spaces", k, bad);
    free(ids);
    free(s);
    unload(&l);
}

/* Word boundaries of the pre-tokenizers, derived by hand from their expressions. */
static void check_split(qlm_pre_kind pre, const char *text, const char *const *want, const char *name) {
    qlm_ucp *c;
    uint32_t *w;
    size_t nc, nw;
    if (qlm_pretokenize(pre, text, strlen(text), &c, &nc, &w, &nw) != QLM_OK) { T_CHECK(0, "%s: no memory", name); return; }
    size_t at = 0, i = 0;
    bool ok = true;
    for (; i < nw && ok; i++) {
        size_t b0 = c[at].off, b1 = c[at + w[i] - 1].off + c[at + w[i] - 1].len;
        ok = want[i] && strlen(want[i]) == b1 - b0 && !memcmp(want[i], text + b0, b1 - b0);
        if (!ok) T_CHECK(0, "%s: word %zu is '%.*s', want '%s'", name, i, (int)(b1 - b0), text + b0, want[i] ? want[i] : "(end)");
        at += w[i];
    }
    T_CHECK(!ok || !want[i], "%s: %zu words, want more ('%s' next)", name, nw, want[i] ? want[i] : "");
    free(c);
    free(w);
}

static void test_pre_splits(void) {
    t_case("pre-tokenizers: word boundaries of gpt-2, llama-bpe, qwen2, deepseek-llm");
    const char *t = "Hello, y'all! 1234567 \n\n  x";
    static const char *const llama3[] = {"Hello", ",", " y", "'all", "!", " ", "123", "456", "7", " \n\n", " ", " x", NULL};
    static const char *const qwen2[] = {"Hello", ",", " y", "'all", "!", " ", "1", "2", "3", "4", "5", "6", "7",
                                        " \n\n", " ", " x", NULL};
    static const char *const gpt2[] = {"Hello", ",", " y", "'", "all", "!", " 1234567", " \n\n ", " x", NULL};
    check_split(QLM_PRE_LLAMA3, t, llama3, "llama-bpe");
    check_split(QLM_PRE_QWEN2, t, qwen2, "qwen2");
    check_split(QLM_PRE_GPT2, t, gpt2, "gpt-2");
    static const char *const ctr3[] = {"I", "'M", " here", "'s", NULL};
    static const char *const ctr2[] = {"I", "'", "M", " here", "'s", NULL};
    check_split(QLM_PRE_LLAMA3, "I'M here's", ctr3, "llama-bpe contractions ignore case");
    check_split(QLM_PRE_GPT2, "I'M here's", ctr2, "gpt-2 contractions are lower case only");
    static const char *const ds[] = {"Hello", ",", " ", "\xe4\xb8\x96\xe7\x95\x8c", " ", "123", "\n", NULL};
    check_split(QLM_PRE_DEEPSEEK_LLM, "Hello, \xe4\xb8\x96\xe7\x95\x8c 123\n", ds, "deepseek-llm");
}

/* ---- decoding ---------------------------------------------------------------------- */

static void test_token_bytes(void) {
    t_case("token bytes: U+2581 -> space, <0xXX> -> byte, byte map reversed, bounds");
    loaded l;
    if (!load("vocab/ggml-vocab-llama-spm.gguf", &l)) return;
    char buf[16];
    int n = qlm_vocab_token_bytes(l.v, 29871, false, buf, 16); /* "▁" */
    T_CHECK(n == 1 && buf[0] == ' ', "▁ -> ' '");
    n = qlm_vocab_token_bytes(l.v, 3 + 0xE2, false, buf, 16); /* <0xE2> */
    T_CHECK(n == 1 && (uint8_t)buf[0] == 0xE2, "<0xE2> -> byte E2");
    T_CHECK(qlm_vocab_token_bytes(l.v, 1, false, buf, 16) == 0, "BOS silent");
    n = qlm_vocab_token_bytes(l.v, 1, true, buf, 16);
    T_CHECK(n == 3 && !memcmp(buf, "<s>", 3), "BOS with special");
    T_CHECK(qlm_vocab_token_bytes(l.v, 32000, false, buf, 16) == -1, "id past the end -> -1");
    T_CHECK(qlm_vocab_token_bytes(l.v, -1, false, buf, 16) == -1, "negative id -> -1");
    memset(buf, 'x', sizeof buf);
    n = qlm_vocab_token_bytes(l.v, 1, true, buf, 2);
    T_CHECK(n == 3 && buf[0] == '<' && buf[1] == 's' && buf[2] == 'x', "short buffer: needed size, no overrun");
    unload(&l);
    if (!load("vocab/ggml-vocab-gpt-2.gguf", &l)) return;
    int32_t id = qlm_vocab_find(l.v, "\xc4\xa0the", 5); /* "Ġthe" */
    n = qlm_vocab_token_bytes(l.v, id, false, buf, 16);
    T_CHECK(id >= 0 && n == 4 && !memcmp(buf, " the", 4), "Ġthe -> ' the'");
    unload(&l);
}

static const char *push_all(qlm_detok *d, const int32_t *ids, int n, char *acc, size_t cap) {
    size_t k = strlen(acc);
    for (int i = 0; i < n; i++) {
        const char *s = qlm_detok_push(d, ids[i]);
        size_t m = strlen(s);
        if (k + m < cap) { memcpy(acc + k, s, m); k += m; acc[k] = 0; }
    }
    return acc;
}

static void test_detok(void) {
    t_case("streaming detokenizer: whole characters only, first space dropped");
    loaded l;
    if (!load("vocab/ggml-vocab-llama-spm.gguf", &l)) return;
    qlm_detok *d = qlm_detok_new_vocab(l.v);
    /* BOS ▁ then 🦙 as four byte tokens: nothing until the last byte */
    int32_t llama[] = {1, 29871, 3 + 0xF0, 3 + 0x9F, 3 + 0xA6, 3 + 0x99};
    const char *outs[6];
    char keep[6][16];
    for (int i = 0; i < 6; i++) {
        outs[i] = qlm_detok_push(d, llama[i]);
        snprintf(keep[i], sizeof keep[i], "%s", outs[i]);
    }
    T_CHECK(!keep[0][0] && !keep[1][0] && !keep[2][0] && !keep[3][0] && !keep[4][0], "held until complete");
    T_CHECK(!strcmp(keep[5], "\xf0\x9f\xa6\x99"), "the llama comes out whole: '%s'", keep[5]);
    T_CHECK(!strcmp(qlm_detok_flush(d), ""), "nothing left");
    qlm_detok_free(d);

    /* the usual prompt: "Hello world" after BOS prints without a leading space */
    d = qlm_detok_new_vocab(l.v);
    int n;
    int32_t *ids = tok(l.v, "Hello world", 11, QLM_TOK_ADD_BOS, &n);
    char acc[256] = "";
    push_all(d, ids, n, acc, sizeof acc);
    T_CHECK(!strcmp(acc, "Hello world"), "got '%s'", acc);
    /* invalid UTF-8 is not held forever: E2 then 'A' comes out as it is */
    int32_t bad[] = {3 + 0xE2, qlm_vocab_find(l.v, "A", 1)};
    acc[0] = 0;
    const char *s = qlm_detok_push(d, bad[0]);
    T_CHECK(!s[0], "E2 waits");
    s = qlm_detok_push(d, bad[1]);
    T_CHECK(!strcmp(s, "\xe2" "A"), "E2 A released as is");
    /* a truncated character is handed out by flush */
    qlm_detok_push(d, 3 + 0xE2);
    qlm_detok_push(d, 3 + 0x96);
    T_CHECK(!strcmp(qlm_detok_flush(d), "\xe2\x96"), "flush returns the incomplete bytes");
    T_CHECK(!strcmp(qlm_detok_push(d, -5), ""), "invalid id gives nothing");
    qlm_detok_free(d);
    free(ids);
    unload(&l);

    /* stories260K: "á" is 410 198 164 (▁, C3, A1) */
    if (!load("models/stories260K/stories260K.gguf", &l)) return;
    ids = tok(l.v, "\xc3\xa1", 2, 0, &n);
    int32_t want[] = {410, 198, 164};
    T_CHECK(same_ids(ids, n, want, 3), "á -> 410 198 164");
    d = qlm_detok_new_vocab(l.v);
    acc[0] = 0;
    push_all(d, ids, n, acc, sizeof acc);
    T_CHECK(!strcmp(acc, "\xc3\xa1"), "á back whole");
    qlm_detok_free(d);
    free(ids);
    unload(&l);
}

/* ---- UTF-8 edge cases and long inputs ---------------------------------------------------- */

static void roundtrip_check(const qlm_vocab *v, const char *s, size_t len, const char *what) {
    int n;
    int32_t *ids = tok(v, s, len, 0, &n);
    size_t bl;
    char *back = ids ? detok(v, ids, n, false, &bl) : NULL;
    const char *b = back;
    if (back && !strcmp(qlm_vocab_model_name(v), "llama") && bl && b[0] == ' ') { b++; bl--; }
    T_CHECK(back && bl == len && !memcmp(b, s, len), "%s: %s does not round-trip (%d tokens)", qlm_vocab_model_name(v), what, n);
    free(back);
    free(ids);
}

static void test_utf8_edges(void) {
    t_case("UTF-8 edge cases: invalid bytes, truncation, 4-byte characters, long runs");
    loaded spm, bpe, ds;
    if (!load("vocab/ggml-vocab-llama-spm.gguf", &spm)) return;
    if (!load("vocab/ggml-vocab-gpt-2.gguf", &bpe)) { unload(&spm); return; }
    if (!load("vocab/ggml-vocab-deepseek-llm.gguf", &ds)) { unload(&spm); unload(&bpe); return; }
    /* ds: DeepSeek LLM's vocabulary has the byte-map characters of C0, C1 and F5..FF
     * (bytes that never occur in UTF-8) only as user-defined tokens, which decode to
     * their text, not to the byte: those bytes cannot round-trip there (nor in
     * llama.cpp) */
    /* spm: SentencePiece cuts characters by their lead byte after turning spaces into
     * U+2581, so a truncated character swallows the bytes of the U+2581 after it; those
     * come back as the character's bytes, not as a space (llama.cpp's algorithm, checked
     * token by token below) */
    static const struct { const char *s; size_t n; const char *what; bool ds, spm; } cases_[] = {
        {"\xff\xfe", 2, "FF FE", false, true},
        {"a\x80" "b", 3, "stray continuation byte", true, true},
        {"x\xe2\x96", 3, "truncated 3-byte character at the end", true, true},
        {"\xe2\x96 y", 4, "truncated character before a space", true, false},
        {"\xc0\x80", 2, "overlong NUL", false, true},
        {"\xf0\x9f\xa6\x99\xf0\x9f\x98\x81", 8, "two 4-byte characters", true, true},
        {"a\0b", 3, "an embedded NUL", true, true},
        {"\xed\xa0\x80", 3, "a surrogate", true, true},
        {"\xf4\x90\x80\x80", 4, "past U+10FFFF", true, true},
    };
    for (size_t i = 0; i < sizeof cases_ / sizeof cases_[0]; i++) {
        if (cases_[i].spm) roundtrip_check(spm.v, cases_[i].s, cases_[i].n, cases_[i].what);
        roundtrip_check(bpe.v, cases_[i].s, cases_[i].n, cases_[i].what);
        if (cases_[i].ds) roundtrip_check(ds.v, cases_[i].s, cases_[i].n, cases_[i].what);
    }
    int n;
    int32_t *ids = tok(spm.v, "\xe2\x96 y", 4, 0, &n);
    int32_t want_trunc[] = {29871, 3 + 0xE2, 3 + 0x96, 3 + 0xE2, 3 + 0x96, 3 + 0x81, qlm_vocab_find(spm.v, "y", 1)};
    T_CHECK(same_ids(ids, n, want_trunc, 7), "E2 96 ' ' y -> %d tokens", n);
    free(ids);
    /* SPM spells an unknown 4-byte character with its bytes */
    ids = tok(spm.v, "\xf0\x9f\xa6\x99", 4, 0, &n);
    int32_t want[] = {29871, 243, 162, 169, 156};
    T_CHECK(same_ids(ids, n, want, 5), "🦙 -> ▁ + 4 byte tokens");
    free(ids);
    /* long runs of spaces and a long mixed text */
    size_t big = 300000;
    char *s = malloc(big);
    memset(s, ' ', 5000);
    roundtrip_check(spm.v, s, 5000, "5000 spaces");
    roundtrip_check(bpe.v, s, 5000, "5000 spaces");
    roundtrip_check(ds.v, s, 5000, "5000 spaces");
    static const char chunk[] = "The quick brown fox, 1234 \xf0\x9f\xa6\x99 jumps\n\tover \xe4\xbd\xa0\xe5\xa5\xbd 'the' lazy dog's tail!  ";
    for (size_t k = 0; k < big; k++) s[k] = chunk[k % (sizeof chunk - 1)];
    roundtrip_check(spm.v, s, big, "300 KB of mixed text");
    roundtrip_check(bpe.v, s, big, "300 KB of mixed text");
    roundtrip_check(ds.v, s, big, "300 KB of mixed text");
    free(s);
    unload(&spm);
    unload(&bpe);
    unload(&ds);
}

/* ---- property: decode(encode(s)) == s over random text ----------------------------------- */

typedef struct {
    uint64_t s;
} rng;

static uint32_t rnd(rng *r, uint32_t n) { /* xorshift64*, seeded: the same strings every run */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)(((r->s * 0x2545F4914F6CDD1Dull) >> 32) % n);
}

/* A random code point from a mix of classes real text has: ASCII (letters, digits,
 * punctuation, white space), Latin-1 and other alphabets, combining marks, CJK, emoji,
 * and anything else of the BMP or the supplementary planes (no surrogates). */
static uint32_t random_cp(rng *r) {
    switch (rnd(r, 12)) {
    case 0: case 1: case 2: return 0x20 + rnd(r, 95);            /* printable ASCII */
    case 3: { static const uint32_t ws[] = {' ', ' ', '\n', '\t', '\r', 0x0B, 0x0C, 0xA0, 0x3000, 0x2009};
              return ws[rnd(r, 10)]; }
    case 4: return '0' + rnd(r, 10);
    case 5: return 0xA1 + rnd(r, 0x24F - 0xA1);                  /* Latin-1, Latin Extended */
    case 6: return 0x370 + rnd(r, 0x52F - 0x370);                /* Greek, Cyrillic */
    case 7: return 0x300 + rnd(r, 0x70);                         /* combining marks */
    case 8: return 0x4E00 + rnd(r, 0x9FFF - 0x4E00);             /* CJK */
    case 9: return 0x1F300 + rnd(r, 0x1FAFF - 0x1F300);          /* emoji */
    case 10: { uint32_t c = 1 + rnd(r, 0xFFFD); return c >= 0xD800 && c < 0xE000 ? 0xE000 + (c & 0xFF) : c; }
    default: return 0x10000 + rnd(r, 0x10FFFF - 0x10000);
    }
}

/* Which bytes the vocabulary gives back when a text holds them alone: all 256 where
 * every byte has a token (SentencePiece's <0xXX>, byte-level BPE's byte symbols), fewer
 * where the vocabulary lacks some (Falcon has no token for 0x03 or 0xF2, StarCoder none
 * for 0xF1) or spells them with user-defined tokens that decode to their own text
 * (DeepSeek's 0xC0 0xC1 0xF5..0xFF). Such bytes cannot come back in any tokenizer. */
static int spellable_bytes(const qlm_vocab *v, bool ok[256]) {
    int n_ok = 0;
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        int n;
        int32_t *ids = tok(v, &c, 1, 0, &n);
        size_t bl = 0;
        char *back = ids ? detok(v, ids, n, false, &bl) : NULL;
        const char *p = back;
        if (back && v->kind == QLM_VOCAB_SPM && v->add_space_prefix && bl && p[0] == ' ') { p++; bl--; }
        ok[b] = back && bl == 1 && p[0] == c;
        n_ok += ok[b];
        free(back);
        free(ids);
    }
    return n_ok;
}

/* Random valid UTF-8 of up to 48 characters whose bytes the vocabulary can spell
 * (U+2581 excluded for SentencePiece, which decodes it as the space it stands for).
 * Returns the byte length. */
static size_t random_utf8(rng *r, char *out, const bool ok[256], bool no_2581) {
    size_t n = 0, chars = rnd(r, 49);
    for (size_t i = 0; i < chars; i++) {
        char enc[4];
        int l = 0;
        for (int tries = 0; tries < 50; tries++) {
            uint32_t cp = random_cp(r);
            if (no_2581 && cp == 0x2581) continue;
            l = qlm_uc_utf8_encode(cp, enc);
            bool fine = true;
            for (int k = 0; k < l; k++) fine = fine && ok[(uint8_t)enc[k]];
            if (fine) break;
            l = 0;
        }
        memcpy(out + n, enc, (size_t)l);
        n += (size_t)l;
    }
    return n;
}

static void test_random_roundtrip(void) {
    t_case("property: decode(encode(s)) == s for 3000 random UTF-8 strings per byte-complete vocabulary");
    /* every vocabulary that can spell any byte: SentencePiece with byte tokens, byte-level BPE */
    static const char *const files[] = {
        "vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-phi-3.gguf", "models/stories260K/stories260K.gguf",
        "vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-falcon.gguf", "vocab/ggml-vocab-mpt.gguf",
        "vocab/ggml-vocab-starcoder.gguf", "vocab/ggml-vocab-refact.gguf", "vocab/ggml-vocab-deepseek-coder.gguf",
        "vocab/ggml-vocab-deepseek-llm.gguf"};
    char s[48 * 4 + 8];
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        loaded l;
        if (!load(files[f], &l)) continue;
        bool spm = !strcmp(qlm_vocab_model_name(l.v), "llama");
        bool ok[256];
        int n_ok = spellable_bytes(l.v, ok);
        rng r = {0x9E3779B97F4A7C15ull + f};
        int bad = 0;
        for (int i = 0; i < 3000; i++) {
            size_t len = random_utf8(&r, s, ok, spm);
            int n;
            int32_t *ids = tok(l.v, s, len, 0, &n);
            size_t bl = 0;
            char *back = ids ? detok(l.v, ids, n, false, &bl) : NULL;
            const char *b = back;
            if (back && spm && l.v->add_space_prefix && bl && b[0] == ' ') { b++; bl--; }
            if (!back || bl != len || memcmp(b, s, len)) {
                if (!bad) {
                    char hex[200];
                    size_t k = 0;
                    for (size_t j = 0; j < len && k + 4 < sizeof hex; j++) k += (size_t)snprintf(hex + k, sizeof hex - k, "%02x", (uint8_t)s[j]);
                    T_CHECK(0, "%s: string %d (%s) does not come back", files[f], i, hex);
                }
                bad++;
            }
            free(back);
            free(ids);
        }
        printf("# %s: %d/3000 round trips fail (%d of 256 bytes spellable)\n", files[f], bad, n_ok);
        unload(&l);
    }
}

static void test_random_bytes(void) {
    t_case("property: random invalid UTF-8 never crashes; byte-level BPE gives every byte back");
    static const char *const files[] = {
        "vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-phi-3.gguf", "models/stories260K/stories260K.gguf",
        "vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-falcon.gguf", "vocab/ggml-vocab-mpt.gguf",
        "vocab/ggml-vocab-starcoder.gguf", "vocab/ggml-vocab-refact.gguf", "vocab/ggml-vocab-deepseek-coder.gguf",
        "vocab/ggml-vocab-deepseek-llm.gguf", "vocab/ggml-vocab-bert-bge.gguf"};
    char s[64];
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        loaded l;
        if (!load(files[f], &l)) continue;
        /* SentencePiece turns spaces into U+2581 before cutting characters, so a broken
         * sequence can swallow part of one (see test_utf8_edges), and WordPiece drops
         * bytes: only byte-level BPE gives any byte string back, made of the bytes its
         * vocabulary can spell at all */
        bool exact = !strcmp(qlm_vocab_model_name(l.v), "gpt2");
        bool ok[256];
        spellable_bytes(l.v, ok);
        uint8_t alphabet[256];
        int n_alpha = 0;
        for (int b = 0; b < 256; b++)
            if (ok[b] || !exact) alphabet[n_alpha++] = (uint8_t)b;
        rng r = {0xD1B54A32D192ED03ull + f};
        int bad = 0, bad_ids = 0;
        for (int i = 0; i < 1000; i++) {
            size_t len = rnd(&r, sizeof s);
            for (size_t j = 0; j < len; j++) {
                /* bias towards the bytes that make and break UTF-8 sequences */
                uint32_t c = rnd(&r, 4);
                uint8_t byte = c == 0 ? (uint8_t)(0x80 + rnd(&r, 64)) : c == 1 ? (uint8_t)(0xC0 + rnd(&r, 64))
                               : c == 2 ? (uint8_t)(' ' + rnd(&r, 3)) : (uint8_t)rnd(&r, 256);
                s[j] = (char)(ok[byte] || !exact ? byte : alphabet[rnd(&r, (uint32_t)n_alpha)]);
            }
            unsigned flags = i % 3 == 0 ? 0 : i % 3 == 1 ? QLM_TOK_PARSE_SPECIAL : QLM_TOK_ADD_BOS;
            int n;
            int32_t *ids = tok(l.v, s, len, flags, &n);
            if (!ids || n < 0) { bad_ids++; free(ids); continue; }
            for (int k = 0; k < n; k++)
                if (ids[k] < 0 || ids[k] >= qlm_vocab_size(l.v)) bad_ids++;
            if (exact && flags == 0) {
                size_t bl;
                char *back = detok(l.v, ids, n, false, &bl);
                if (!back || bl != len || memcmp(back, s, len)) bad++;
                free(back);
            }
            free(ids);
        }
        T_CHECK(bad_ids == 0, "%s: %d bad results or ids", files[f], bad_ids);
        T_CHECK(bad == 0, "%s: %d byte strings do not come back", files[f], bad);
        printf("# %s: 1000 random byte strings%s, %d failures\n", files[f], exact ? " (round trip checked)" : "", bad + bad_ids);
        unload(&l);
    }
}

/* ---- malformed vocabularies -------------------------------------------------------------- */

typedef void (*body_fn)(img *b);

static void expect_error(body_fn f, qlm_status code, const char *needle, const char *what) {
    img b = {0};
    f(&b);
    qlm_vocab *v = NULL;
    qlm_error err = {0};
    qlm_status rc = load_img(&b, &v, &err);
    T_CHECK(rc == code && !v && strstr(err.message, needle), "%s: status %d, message '%s'", what, (int)rc, err.message);
    qlm_vocab_free(v);
}

static const char *const T3[] = {"<unk>", "<s>", "</s>"};
static void b_bos_range(img *b) {
    kv_str(b, "tokenizer.ggml.model", "llama");
    kv_strs(b, "tokenizer.ggml.tokens", T3, 3);
    kv_u32(b, "tokenizer.ggml.bos_token_id", 3);
}
static void b_scores_len(img *b) {
    float sc[2] = {0, 0};
    kv_str(b, "tokenizer.ggml.model", "llama");
    kv_strs(b, "tokenizer.ggml.tokens", T3, 3);
    kv_f32s(b, "tokenizer.ggml.scores", sc, 2);
}
static void b_types_len(img *b) {
    int32_t ty[4] = {2, 3, 3, 1};
    kv_str(b, "tokenizer.ggml.model", "llama");
    kv_strs(b, "tokenizer.ggml.tokens", T3, 3);
    kv_i32s(b, "tokenizer.ggml.token_type", ty, 4);
}
static void b_type_value(img *b) {
    int32_t ty[3] = {2, 3, 9};
    kv_str(b, "tokenizer.ggml.model", "llama");
    kv_strs(b, "tokenizer.ggml.tokens", T3, 3);
    kv_i32s(b, "tokenizer.ggml.token_type", ty, 3);
}
static void b_tokens_type(img *b) {
    int32_t ty[3] = {1, 2, 3};
    kv_str(b, "tokenizer.ggml.model", "llama");
    kv_i32s(b, "tokenizer.ggml.tokens", ty, 3);
}
static void b_no_tokens(img *b) { kv_str(b, "tokenizer.ggml.model", "llama"); }
static void b_model_type(img *b) { kv_u32(b, "tokenizer.ggml.model", 1); }
static void b_model_unknown(img *b) {
    kv_str(b, "tokenizer.ggml.model", "t5");
    kv_strs(b, "tokenizer.ggml.tokens", T3, 3);
}
static void b_dup(img *b) {
    static const char *const t[] = {"<unk>", "<s>", "</s>", "a", "a"};
    kv_str(b, "tokenizer.ggml.model", "llama");
    kv_strs(b, "tokenizer.ggml.tokens", t, 5);
}
static void b_byte_text(img *b) {
    static const char *const t[] = {"<unk>", "<s>", "</s>", "<0xZZ>"};
    int32_t ty[4] = {2, 3, 3, 6};
    kv_str(b, "tokenizer.ggml.model", "llama");
    kv_strs(b, "tokenizer.ggml.tokens", t, 4);
    kv_i32s(b, "tokenizer.ggml.token_type", ty, 4);
}
static const char *const TB[] = {"a", "b", "ab", "<|endoftext|>"};
static void b_no_merges(img *b) {
    kv_str(b, "tokenizer.ggml.model", "gpt2");
    kv_str(b, "tokenizer.ggml.pre", "gpt-2");
    kv_strs(b, "tokenizer.ggml.tokens", TB, 4);
}
static void b_bad_merge(img *b) {
    static const char *const m[] = {"ab"};
    kv_str(b, "tokenizer.ggml.model", "gpt2");
    kv_str(b, "tokenizer.ggml.pre", "gpt-2");
    kv_strs(b, "tokenizer.ggml.tokens", TB, 4);
    kv_strs(b, "tokenizer.ggml.merges", m, 1);
}
static void b_bad_pre(img *b) {
    static const char *const m[] = {"a b"};
    kv_str(b, "tokenizer.ggml.model", "gpt2");
    kv_str(b, "tokenizer.ggml.pre", "klingon");
    kv_strs(b, "tokenizer.ggml.tokens", TB, 4);
    kv_strs(b, "tokenizer.ggml.merges", m, 1);
}
static void b_add_bos_none(img *b) {
    static const char *const m[] = {"a b"};
    kv_str(b, "tokenizer.ggml.model", "gpt2");
    kv_str(b, "tokenizer.ggml.pre", "gpt-2");
    kv_strs(b, "tokenizer.ggml.tokens", TB, 4); /* the default BOS (11) is past the end */
    kv_strs(b, "tokenizer.ggml.merges", m, 1);
    kv_bool(b, "tokenizer.ggml.add_bos_token", true);
}
static void b_bool_type(img *b) {
    kv_str(b, "tokenizer.ggml.model", "llama");
    kv_strs(b, "tokenizer.ggml.tokens", T3, 3);
    kv_u32(b, "tokenizer.ggml.add_bos_token", 1);
}

static void test_malformed(void) {
    t_case("malformed vocabularies: clear errors, no crash");
    expect_error(b_bos_range, QLM_ERR_FORMAT, "bos_token_id = 3 is out of range", "BOS id past the end");
    expect_error(b_scores_len, QLM_ERR_FORMAT, "scores has 2 entries but there are 3", "short scores");
    expect_error(b_types_len, QLM_ERR_FORMAT, "token_type has 4 entries", "long token types");
    expect_error(b_type_value, QLM_ERR_FORMAT, "token_type[2] = 9", "bad token type");
    expect_error(b_tokens_type, QLM_ERR_FORMAT, "array of strings", "tokens of integers");
    expect_error(b_no_tokens, QLM_ERR_FORMAT, "no tokenizer.ggml.tokens", "tokens missing");
    expect_error(b_model_type, QLM_ERR_FORMAT, "must be a string", "model not a string");
    expect_error(b_model_unknown, QLM_ERR_UNSUPPORTED, "'t5'", "unknown model");
    expect_error(b_dup, QLM_ERR_FORMAT, "duplicate token", "duplicate token");
    expect_error(b_byte_text, QLM_ERR_FORMAT, "<0xZZ>", "malformed byte token");
    expect_error(b_no_merges, QLM_ERR_FORMAT, "merges", "BPE without merges");
    expect_error(b_bad_merge, QLM_ERR_FORMAT, "merges[0]", "merge without a space");
    expect_error(b_bad_pre, QLM_ERR_UNSUPPORTED, "'klingon'", "unknown pre-tokenizer");
    expect_error(b_add_bos_none, QLM_ERR_FORMAT, "no BOS", "add_bos without a BOS token");
    expect_error(b_bool_type, QLM_ERR_FORMAT, "must be a bool", "add_bos_token not a bool");

    /* no tokenizer, or "none": no vocabulary and no error */
    img b = {0};
    kv_str(&b, "general.architecture", "llama");
    qlm_vocab *v = (qlm_vocab *)1;
    qlm_error err = {0};
    T_CHECK(load_img(&b, &v, &err) == QLM_OK && !v, "no tokenizer keys -> NULL");
    b = (img){0};
    kv_str(&b, "tokenizer.ggml.model", "none");
    T_CHECK(load_img(&b, &v, &err) == QLM_OK && !v, "model none -> NULL");
    /* -1 / 0xFFFFFFFF ids mean "unset" (stories260K has them) */
    b = (img){0};
    kv_str(&b, "tokenizer.ggml.model", "llama");
    kv_strs(&b, "tokenizer.ggml.tokens", T3, 3);
    kv_u32(&b, "tokenizer.ggml.padding_token_id", UINT32_MAX);
    T_CHECK(load_img(&b, &v, &err) == QLM_OK && v && qlm_vocab_bos(v) == 1, "all-ones id accepted: %s", err.message);
    qlm_vocab_free(v);

    /* the real file, cut short or with bytes flipped: either an error or a vocabulary,
     * never a crash (run under ASan by make SAN=1 test) */
    char *p = shared("vocab/ggml-vocab-llama-spm.gguf");
    if (!p) return;
    size_t n;
    uint8_t *full = t_read_file(p, &n);
    free(p);
    if (!full) return;
    uint64_t x = 88172645463325252ull;
    for (int round = 0; round < 40; round++) {
        uint8_t *c = malloc(n);
        memcpy(c, full, n);
        for (int k = 0; k < 8; k++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            c[(x >> 8) % n] ^= (uint8_t)(x | 1);
        }
        size_t len = round < 20 ? n : (size_t)(x % n);
        qlm_gguf *g;
        if (qlm_gguf_open_memory(c, len, &g, &err) == QLM_OK) {
            if (qlm_vocab_load(g, &v, &err) == QLM_OK && v) {
                int32_t ids[64];
                qlm_vocab_tokenize(v, "Hello world <s> \xe2\x96\x81", 20, QLM_TOK_PARSE_SPECIAL, ids, 64);
                qlm_vocab_free(v);
            }
            qlm_gguf_close(g);
        }
        free(c);
    }
    free(full);
}

/* ---- Unicode tables ----------------------------------------------------------------------- */

static void test_unicode(void) {
    t_case("unicode tables: categories, white space, lowercase, NFD, UTF-8");
    T_CHECK(qlm_uc_category('a') == QLM_UC_LETTER && qlm_uc_category('7') == QLM_UC_NUMBER &&
            qlm_uc_category('$') == QLM_UC_SYMBOL && qlm_uc_category('!') == QLM_UC_PUNCT, "ASCII");
    T_CHECK(qlm_uc_category(0x4E00) == QLM_UC_LETTER && qlm_uc_category(0x0301) == QLM_UC_MARK &&
            qlm_uc_category(0x00BD) == QLM_UC_NUMBER && qlm_uc_category(0x1F999) == QLM_UC_SYMBOL &&
            qlm_uc_category(0x0378) == QLM_UC_UNASSIGNED && qlm_uc_category(0xE000) == QLM_UC_OTHER &&
            qlm_uc_category(0x110000) == QLM_UC_UNASSIGNED, "non-ASCII");
    T_CHECK(qlm_uc_is_space(0x3000) && qlm_uc_is_space(0x85) && qlm_uc_is_space('\t') && !qlm_uc_is_space(0x200B) &&
            !qlm_uc_is_space(0x1C), "White_Space");
    T_CHECK(qlm_uc_tolower('Q') == 'q' && qlm_uc_tolower(0x0130) == 'i' && qlm_uc_tolower(0x0416) == 0x0436 &&
            qlm_uc_tolower(0x1F999) == 0x1F999, "lowercase");
    T_CHECK(qlm_uc_nfd_first(0x00FC) == 'u' && qlm_uc_nfd_first(0x1EC7) == 'e' && qlm_uc_nfd_first(0xAC01) == 0x1100 &&
            qlm_uc_nfd_first('a') == 'a', "NFD first code point");
    uint32_t cp;
    T_CHECK(qlm_uc_utf8_decode((const uint8_t *)"\xf0\x9f\xa6\x99", 4, &cp) == 4 && cp == 0x1F999, "4-byte decode");
    T_CHECK(qlm_uc_utf8_decode((const uint8_t *)"\xf0\x9f\xa6", 3, &cp) == 0, "truncated");
    T_CHECK(qlm_uc_utf8_decode((const uint8_t *)"\x80", 1, &cp) == 0, "continuation byte");
}

int main(void) {
    static const char *const spm_files[] = {"llama-spm", "phi-3"};
    static const char *const bpe_files[] = {"gpt-2", "falcon", "mpt", "starcoder", "refact", "deepseek-coder",
                                            "deepseek-llm"};
    for (size_t i = 0; i < 2; i++) vocab_file_case(spm_files[i], true);
    for (size_t i = 0; i < 7; i++) vocab_file_case(bpe_files[i], true);
    vocab_file_case("bert-bge", false); /* WordPiece lowercases and drops accents: no round trip */
    stories_case("vocab/stories260K-tok512.DERIVED.inp", "vocab/stories260K-tok512.DERIVED.out", 46);
    stories_case("vocab/stories260K-tok512-extra.DERIVED.inp", "vocab/stories260K-tok512-extra.DERIVED.out", 5);
    json_encode_cases("tokenizer-vectors/llama-tokenizer-js.cases.json", "encode_cases");
    json_encode_cases("tokenizer-vectors/llama2c-test_c.cases.json", "cases");
    test_special_priority();
    test_special_real();
    test_dense_user_defined();
    test_pre_splits();
    test_add_special();
    test_token_bytes();
    test_detok();
    test_utf8_edges();
    test_random_roundtrip();
    test_random_bytes();
    test_malformed();
    test_unicode();
    return t_done();
}
