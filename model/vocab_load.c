/* Building a vocabulary from GGUF metadata (tokenizer.ggml.*), with every field checked.
 *
 * What is read and how it is judged:
 *   model     "llama" (SentencePiece), "gpt2" (byte-level BPE), "bert" (WordPiece);
 *             absent, "none" or "no_vocab": no vocabulary; anything else: unsupported.
 *   tokens    string array, required; no duplicates (llama.cpp refuses them too); an
 *             empty entry is renamed "[EMPTY_<id>]" as llama.cpp does.
 *   scores    float (or int32) array of the same length, optional.
 *   token_type integer array of the same length with values 0..6, optional.
 *   merges    string array "left right", required for BPE.
 *   *_token_id integers < n_tokens; all-ones (-1 / 0xFFFFFFFF) means "unset" and keeps
 *             the model's default, as llama.cpp does.
 *   add_bos_token, add_eos_token, add_sep_token, add_space_prefix: booleans.
 *   pre       the pre-tokenizer, one of the names vocab_pre.c knows (BPE only).
 * Defaults per model and the by-name fix-ups of special tokens (end-of-generation set,
 * FIM tokens, Phi-3's white-space stripping) follow llama.cpp's llama-vocab.cpp so that
 * the same file tokenizes the same way. */
#include "vocab_internal.h"
#include "../ggml-like/error.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- hashing ------------------------------------------------------------------- */

uint64_t qlm_vocab_hash(const void *p, size_t n) {
    /* FNV-1a, then a final mix so that the low bits used as a table index are good */
    const uint8_t *s = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

int32_t qlm_vocab_find(const qlm_vocab *v, const char *p, size_t n) {
    uint32_t i = (uint32_t)qlm_vocab_hash(p, n) & v->index_mask;
    for (;;) {
        uint32_t e = v->index[i];
        if (!e) return -1;
        const qlm_vtoken *t = &v->tok[e - 1];
        if (t->len == n && !memcmp(v->text + t->off, p, n)) return (int32_t)(e - 1);
        i = (i + 1) & v->index_mask;
    }
}

static uint64_t pair_hash(const char *l, size_t ln, const char *r, size_t rn) {
    /* the split point is part of the key: "ab"+"c" and "a"+"bc" are different merges */
    return qlm_vocab_hash(l, ln) * 31 + qlm_vocab_hash(r, rn);
}

int32_t qlm_vocab_merge_rank(const qlm_vocab *v, const char *l, size_t ln, const char *r, size_t rn) {
    if (!v->n_merges) return -1;
    uint32_t i = (uint32_t)pair_hash(l, ln, r, rn) & v->merge_mask;
    for (;;) {
        uint32_t e = v->merge_index[i];
        if (!e) return -1;
        int32_t m = (int32_t)(e - 1);
        const char *t = v->merge_text + v->merge_off[m];
        size_t tl = v->merge_split[m], tr = v->merge_off[m + 1] - v->merge_off[m] - tl;
        if (tl == ln && tr == rn && !memcmp(t, l, ln) && !memcmp(t + tl, r, rn)) return m;
        i = (i + 1) & v->merge_mask;
    }
}

static uint32_t table_size(uint64_t n) {
    uint32_t s = 16;
    while (s < 2 * n) s <<= 1; /* load factor <= 1/2 */
    return s;
}

/* ---- GPT-2 byte map ------------------------------------------------------------ */

/* Printable bytes stand for themselves; the other 68 (0x00-0x20, 0x7F-0xA0, 0xAD) are
 * numbered from U+0100 up, in byte order. */
uint32_t qlm_gpt2_byte_to_cp(uint8_t b) {
    if ((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE) return b;
    if (b <= 0x20) return 0x100 + b;
    if (b <= 0xA0) return 0x100 + 33 + (b - 0x7F);
    return 0x100 + 33 + 34; /* 0xAD */
}

int qlm_gpt2_cp_to_byte(uint32_t cp) {
    if ((cp >= 0x21 && cp <= 0x7E) || (cp >= 0xA1 && cp <= 0xAC) || (cp >= 0xAE && cp <= 0xFF)) return (int)cp;
    if (cp >= 0x100 && cp <= 0x120) return (int)(cp - 0x100);
    if (cp >= 0x121 && cp <= 0x142) return (int)(cp - 0x121 + 0x7F);
    if (cp == 0x143) return 0xAD;
    return -1;
}

/* ---- metadata access ------------------------------------------------------------ */

static bool is_int_type(uint32_t t) {
    return t == GGUF_TYPE_U8 || t == GGUF_TYPE_I8 || t == GGUF_TYPE_U16 || t == GGUF_TYPE_I16 ||
           t == GGUF_TYPE_U32 || t == GGUF_TYPE_I32 || t == GGUF_TYPE_U64 || t == GGUF_TYPE_I64;
}

/* Optional string key: false if absent; error if present with another type. */
static qlm_status get_str(const qlm_gguf *g, const char *key, qlm_str *out, bool *found, qlm_error *err) {
    *found = false;
    const qlm_gguf_kv *kv = qlm_gguf_get(g, key);
    if (!kv) return QLM_OK;
    if (kv->type != GGUF_TYPE_STRING)
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s must be a string, not %s", key, qlm_gguf_type_name(kv->type));
    *out = kv->str;
    *found = true;
    return QLM_OK;
}

static qlm_status get_bool(const qlm_gguf *g, const char *key, bool *out, qlm_error *err) {
    const qlm_gguf_kv *kv = qlm_gguf_get(g, key);
    if (!kv) return QLM_OK;
    if (kv->type != GGUF_TYPE_BOOL)
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s must be a bool, not %s", key, qlm_gguf_type_name(kv->type));
    *out = kv->v.u != 0;
    return QLM_OK;
}

/* A token id key: absent or all-ones keeps *id (the default); else it must be < n. */
static qlm_status get_id(const qlm_gguf *g, const char *key, int32_t n, int32_t *id, qlm_error *err) {
    const qlm_gguf_kv *kv = qlm_gguf_get(g, key);
    if (!kv) return QLM_OK;
    if (!is_int_type(kv->type))
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s must be an integer, not %s", key, qlm_gguf_type_name(kv->type));
    bool is_signed = kv->type == GGUF_TYPE_I8 || kv->type == GGUF_TYPE_I16 || kv->type == GGUF_TYPE_I32 ||
                     kv->type == GGUF_TYPE_I64;
    if ((is_signed && kv->v.i == -1) ||
        (!is_signed && ((kv->type == GGUF_TYPE_U32 && kv->v.u == UINT32_MAX) || kv->v.u == UINT64_MAX)))
        return QLM_OK;
    if ((is_signed && (kv->v.i < 0 || kv->v.i >= n)) || (!is_signed && kv->v.u >= (uint64_t)n)) {
        if (is_signed)
            return qlm_set_error(err, QLM_ERR_FORMAT, "%s = %" PRId64 " is out of range (vocabulary of %d tokens)",
                                 key, kv->v.i, (int)n);
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s = %" PRIu64 " is out of range (vocabulary of %d tokens)", key,
                             kv->v.u, (int)n);
    }
    *id = (int32_t)(is_signed ? kv->v.i : (int64_t)kv->v.u);
    return QLM_OK;
}

/* ---- building ------------------------------------------------------------------- */

void qlm_vocab_free(qlm_vocab *v) {
    if (!v) return;
    free(v->text);
    free(v->tok);
    free(v->index);
    free(v->merge_text);
    free(v->merge_off);
    free(v->merge_split);
    free(v->merge_index);
    free(v->trie);
    free(v->special_len);
    free(v->special_len_always);
    free(v->eog);
    free(v);
}

static qlm_status load_tokens(qlm_vocab *v, const qlm_gguf *g, qlm_error *err) {
    uint32_t type;
    uint64_t n;
    const qlm_gguf_kv *kv;
    if (!qlm_gguf_get_arr(g, "tokenizer.ggml.tokens", &type, &n, &kv)) {
        if (qlm_gguf_get(g, "tokenizer.ggml.tokens"))
            return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.tokens must be an array of strings");
        return qlm_set_error(err, QLM_ERR_FORMAT, "the file names a tokenizer but has no tokenizer.ggml.tokens");
    }
    if (type != GGUF_TYPE_STRING)
        return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.tokens must be an array of strings, not of %s",
                             qlm_gguf_type_name(type));
    if (n == 0) return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.tokens is empty");
    if (n > (uint64_t)INT32_MAX / 4)
        return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.tokens has %" PRIu64 " entries (too many)", n);
    v->n = (int32_t)n;

    /* texts: one allocation; empty ones get llama.cpp's placeholder name */
    uint64_t total = 0;
    for (uint64_t i = 0; i < n; i++) total += kv->arr_strs[i].len ? kv->arr_strs[i].len : 32;
    if (total > UINT32_MAX)
        return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.tokens holds %" PRIu64 " bytes of text (too much)", total);
    v->text = malloc(total ? total : 1);
    v->tok = calloc(n, sizeof *v->tok);
    if (!v->text || !v->tok) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for %" PRIu64 " tokens", n);
    uint32_t off = 0;
    for (uint64_t i = 0; i < n; i++) {
        qlm_str s = kv->arr_strs[i];
        qlm_vtoken *t = &v->tok[i];
        t->off = off;
        if (s.len) {
            memcpy(v->text + off, s.ptr, s.len);
            t->len = (uint32_t)s.len;
        } else {
            t->len = (uint32_t)snprintf(v->text + off, 32, "[EMPTY_%" PRIu64 "]", i);
        }
        off += t->len;
        if ((int)t->len > v->max_token_len) v->max_token_len = (int)t->len;
        t->attr = QLM_ATTR_NORMAL;
    }

    /* text -> id */
    uint32_t size = table_size(n);
    v->index = calloc(size, sizeof *v->index);
    if (!v->index) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for the token index");
    v->index_mask = size - 1;
    for (uint32_t id = 0; id < (uint32_t)n; id++) {
        const qlm_vtoken *t = &v->tok[id];
        uint32_t i = (uint32_t)qlm_vocab_hash(v->text + t->off, t->len) & v->index_mask;
        while (v->index[i]) {
            const qlm_vtoken *o = &v->tok[v->index[i] - 1];
            if (o->len == t->len && !memcmp(v->text + o->off, v->text + t->off, t->len))
                return qlm_set_error(err, QLM_ERR_FORMAT, "duplicate token in tokenizer.ggml.tokens: '%.*s' has ids %u and %u",
                                     (int)(t->len > 64 ? 64 : t->len), v->text + t->off, v->index[i] - 1, id);
            i = (i + 1) & v->index_mask;
        }
        v->index[i] = id + 1;
    }
    return QLM_OK;
}

static qlm_status load_scores_types(qlm_vocab *v, const qlm_gguf *g, qlm_error *err) {
    uint32_t type;
    uint64_t n;
    const qlm_gguf_kv *kv;
    if (qlm_gguf_get_arr(g, "tokenizer.ggml.scores", &type, &n, &kv)) {
        if (type != GGUF_TYPE_F32 && type != GGUF_TYPE_I32)
            return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.scores must be an array of f32, not of %s",
                                 qlm_gguf_type_name(type));
        if (n != (uint64_t)v->n)
            return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.scores has %" PRIu64 " entries but there are %d tokens",
                                 n, (int)v->n);
        for (int32_t i = 0; i < v->n; i++) v->tok[i].score = qlm_gguf_arr_f32(kv, (uint64_t)i);
    } else if (qlm_gguf_get(g, "tokenizer.ggml.scores")) {
        return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.scores must be an array");
    }

    if (qlm_gguf_get_arr(g, "tokenizer.ggml.token_type", &type, &n, &kv)) {
        if (!is_int_type(type))
            return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.token_type must be an array of integers, not of %s",
                                 qlm_gguf_type_name(type));
        if (n != (uint64_t)v->n)
            return qlm_set_error(err, QLM_ERR_FORMAT,
                                 "tokenizer.ggml.token_type has %" PRIu64 " entries but there are %d tokens", n, (int)v->n);
        for (int32_t i = 0; i < v->n; i++) {
            int64_t tt = qlm_gguf_arr_i64(kv, (uint64_t)i);
            uint16_t a;
            switch (tt) {
            case QLM_TOKEN_UNDEFINED: a = 0; break;
            case QLM_TOKEN_NORMAL: a = QLM_ATTR_NORMAL; break;
            case QLM_TOKEN_UNKNOWN: a = QLM_ATTR_UNKNOWN; break;
            case QLM_TOKEN_CONTROL: a = QLM_ATTR_CONTROL; break;
            case QLM_TOKEN_USER_DEFINED: a = QLM_ATTR_USER_DEFINED; break;
            case QLM_TOKEN_UNUSED: a = QLM_ATTR_UNUSED; break;
            case QLM_TOKEN_BYTE: a = QLM_ATTR_BYTE; break;
            default:
                return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.token_type[%d] = %" PRId64 " is not a token type (0..6)",
                                     (int)i, tt);
            }
            v->tok[i].attr = a;
        }
    } else if (qlm_gguf_get(g, "tokenizer.ggml.token_type")) {
        return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.token_type must be an array");
    }
    return QLM_OK;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Byte of a "<0xXX>" token, or -1 if the text is not of that form. */
static int byte_of_text(const char *t, size_t n) {
    if (n != 6 || memcmp(t, "<0x", 3) || t[5] != '>') return -1;
    int hi = hexval(t[3]), lo = hexval(t[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

static qlm_status check_byte_tokens(qlm_vocab *v, qlm_error *err) {
    for (int32_t i = 0; i < v->n; i++) {
        if (!(v->tok[i].attr & QLM_ATTR_BYTE)) continue;
        if (byte_of_text(qlm_vocab_text(v, i), v->tok[i].len) < 0)
            return qlm_set_error(err, QLM_ERR_FORMAT, "byte token %d is '%.*s', not of the form <0xXX>", (int)i,
                                 (int)(v->tok[i].len > 32 ? 32 : v->tok[i].len), qlm_vocab_text(v, i));
    }
    /* SentencePiece byte fallback: <0xXX> (upper-case hex, as llama.cpp looks it up), or
     * a token that is the byte itself */
    for (int b = 0; b < 256; b++) {
        char buf[8];
        snprintf(buf, sizeof buf, "<0x%02X>", b);
        int32_t id = qlm_vocab_find(v, buf, 6);
        if (id < 0) {
            char c = (char)b;
            id = qlm_vocab_find(v, &c, 1);
        }
        v->byte_token[b] = id;
    }
    return QLM_OK;
}

static qlm_status load_merges(qlm_vocab *v, const qlm_gguf *g, qlm_error *err) {
    uint32_t type;
    uint64_t n;
    const qlm_gguf_kv *kv;
    if (!qlm_gguf_get_arr(g, "tokenizer.ggml.merges", &type, &n, &kv)) {
        if (qlm_gguf_get(g, "tokenizer.ggml.merges"))
            return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.merges must be an array of strings");
        return qlm_set_error(err, QLM_ERR_FORMAT, "a BPE tokenizer needs tokenizer.ggml.merges, which is missing");
    }
    if (type != GGUF_TYPE_STRING)
        return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.merges must be an array of strings, not of %s",
                             qlm_gguf_type_name(type));
    if (n > (uint64_t)INT32_MAX / 4)
        return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.merges has %" PRIu64 " entries (too many)", n);
    uint64_t total = 0;
    for (uint64_t i = 0; i < n; i++) total += kv->arr_strs[i].len;
    if (total > UINT32_MAX)
        return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.merges holds too much text");
    v->merge_text = malloc(total ? total : 1);
    v->merge_off = malloc((n + 1) * sizeof *v->merge_off);
    v->merge_split = malloc((n ? n : 1) * sizeof *v->merge_split);
    uint32_t size = table_size(n);
    v->merge_index = calloc(size, sizeof *v->merge_index);
    if (!v->merge_text || !v->merge_off || !v->merge_split || !v->merge_index)
        return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for %" PRIu64 " merges", n);
    v->merge_mask = size - 1;
    uint32_t off = 0;
    for (uint64_t m = 0; m < n; m++) {
        qlm_str s = kv->arr_strs[m];
        /* "left right", split at the first space after the first byte (llama.cpp) */
        const char *sp = s.len > 1 ? memchr(s.ptr + 1, ' ', s.len - 1) : NULL;
        if (!sp)
            return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.merges[%" PRIu64 "] '%.*s' is not two parts split by a space",
                                 m, (int)(s.len > 64 ? 64 : s.len), s.ptr);
        size_t ln = (size_t)(sp - s.ptr), rn = s.len - ln - 1;
        v->merge_off[m] = off;
        v->merge_split[m] = (uint32_t)ln;
        memcpy(v->merge_text + off, s.ptr, ln);
        memcpy(v->merge_text + off + ln, sp + 1, rn);
        off += (uint32_t)(ln + rn);
        v->merge_off[m + 1] = off;
        /* the first occurrence of a pair keeps its rank (later duplicates are ignored) */
        v->n_merges = (int32_t)m; /* lookups below see merges [0, m) only */
        if (qlm_vocab_merge_rank(v, s.ptr, ln, sp + 1, rn) >= 0) continue;
        uint32_t i = (uint32_t)pair_hash(s.ptr, ln, sp + 1, rn) & v->merge_mask;
        while (v->merge_index[i]) i = (i + 1) & v->merge_mask;
        v->merge_index[i] = (uint32_t)m + 1;
    }
    v->n_merges = (int32_t)n;
    return QLM_OK;
}

/* ---- special tokens ---------------------------------------------------------------- */

static int32_t find_str(const qlm_vocab *v, const char *s) { return qlm_vocab_find(v, s, strlen(s)); }

static bool text_is(const qlm_vocab *v, int32_t id, const char *s) {
    return id >= 0 && v->tok[id].len == strlen(s) && !memcmp(qlm_vocab_text(v, id), s, v->tok[id].len);
}

/* Lowest id among the texts in list (NULL-terminated), or -1. llama.cpp picks the
 * first it meets in a hash map; the lowest id is a deterministic stand-in. */
static int32_t first_of(const qlm_vocab *v, const char *const *list) {
    int32_t best = -1;
    for (; *list; list++) {
        int32_t id = find_str(v, *list);
        if (id >= 0 && (best < 0 || id < best)) best = id;
    }
    return best;
}

static const char *const EOT_TEXTS[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                        "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
                                        "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>",
                                        "<end_of_utterance>", NULL};
static const char *const EOM_TEXTS[] = {"<|eom_id|>", NULL};
static const char *const FIM_PRE_TEXTS[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
                                            "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>", "<PRE>",
                                            "\xe2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>", NULL};
static const char *const FIM_SUF_TEXTS[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
                                            "<\xef\xbd\x9c" "fim\xe2\x96\x81hole\xef\xbd\x9c>", "<SUF>",
                                            "\xe2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>", NULL};
static const char *const FIM_MID_TEXTS[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>",
                                            "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>", "<MID>",
                                            "\xe2\x96\x81<MID>", "<|code_middle|>", "<|middle|>", NULL};
static const char *const FIM_PAD_TEXTS[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", NULL};
static const char *const FIM_REP_TEXTS[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", NULL};
static const char *const FIM_SEP_TEXTS[] = {"<|file_sep|>", NULL};
/* Texts that end generation wherever they appear. */
static const char *const EOG_TEXTS[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
                                        "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>",
                                        "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>",
                                        "<turn|>", "<|tool_response>",
                                        "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>", "[e~[",
                                        NULL};

static void add_eog(qlm_vocab *v, int32_t id) {
    if (id < 0) return;
    for (int i = 0; i < v->n_eog; i++)
        if (v->eog[i] == id) return;
    v->eog[v->n_eog++] = id;
}

static void remove_eog(qlm_vocab *v, int32_t id) {
    for (int i = 0; i < v->n_eog; i++)
        if (v->eog[i] == id) { v->eog[i] = v->eog[--v->n_eog]; return; }
}

static bool has_eog(const qlm_vocab *v, const char *s) {
    for (int i = 0; i < v->n_eog; i++)
        if (text_is(v, v->eog[i], s)) return true;
    return false;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The fix-ups llama.cpp applies by token text: a token that ends turns or marks FIM is
 * treated as a control token even when the file typed it otherwise. */
static qlm_status special_fixups(qlm_vocab *v, const qlm_gguf *g, qlm_error *err) {
    int32_t fim[6] = {-1, -1, -1, -1, -1, -1};
    static const char *const fim_keys[6] = {"tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.fim_suf_token_id",
                                            "tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.fim_pad_token_id",
                                            "tokenizer.ggml.fim_rep_token_id", "tokenizer.ggml.fim_sep_token_id"};
    static const char *const *fim_texts[6] = {FIM_PRE_TEXTS, FIM_SUF_TEXTS, FIM_MID_TEXTS,
                                              FIM_PAD_TEXTS, FIM_REP_TEXTS, FIM_SEP_TEXTS};
    qlm_status rc;
    for (int k = 0; k < 6; k++)
        if ((rc = get_id(g, fim_keys[k], v->n, &fim[k], err))) return rc;
    /* deprecated names of the first three */
    if ((rc = get_id(g, "tokenizer.ggml.prefix_token_id", v->n, &fim[0], err)) ||
        (rc = get_id(g, "tokenizer.ggml.suffix_token_id", v->n, &fim[1], err)) ||
        (rc = get_id(g, "tokenizer.ggml.middle_token_id", v->n, &fim[2], err)))
        return rc;

    if (v->eot < 0 && (v->eot = first_of(v, EOT_TEXTS)) >= 0) v->tok[v->eot].attr |= QLM_ATTR_CONTROL;
    if (v->eom < 0 && (v->eom = first_of(v, EOM_TEXTS)) >= 0) v->tok[v->eom].attr |= QLM_ATTR_CONTROL;
    for (int k = 0; k < 6; k++)
        if (fim[k] < 0 && (fim[k] = first_of(v, fim_texts[k])) >= 0) v->tok[fim[k]].attr |= QLM_ATTR_CONTROL;

    /* end-of-generation set */
    int cap = 3 + 3 + (int)(sizeof EOG_TEXTS / sizeof EOG_TEXTS[0]);
    v->eog = malloc((size_t)cap * sizeof *v->eog);
    if (!v->eog) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    add_eog(v, fim[3]);
    add_eog(v, fim[4]);
    add_eog(v, fim[5]);
    for (const char *const *t = EOG_TEXTS; *t; t++) {
        int32_t id = find_str(v, *t);
        if (id < 0) continue;
        add_eog(v, id);
        v->tok[id].attr |= QLM_ATTR_CONTROL;
    }
    /* gpt-oss: these must always be rendered */
    static const char *const always_shown[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>", NULL};
    for (const char *const *t = always_shown; *t; t++) {
        int32_t id = find_str(v, *t);
        if (id >= 0) v->tok[id].attr = QLM_ATTR_USER_DEFINED;
    }
    add_eog(v, v->eos);
    add_eog(v, v->eot);
    add_eog(v, v->eom);
    /* gpt-oss and Solar Open use <|end|> between turns, not at the end of the answer */
    int32_t end_id = find_str(v, "<|end|>");
    if (end_id >= 0 && has_eog(v, "<|end|>") &&
        ((has_eog(v, "<|return|>") && has_eog(v, "<|call|>")) || (has_eog(v, "<|calls|>") && has_eog(v, "<|flush|>")))) {
        remove_eog(v, end_id);
        v->tok[end_id].attr = QLM_ATTR_USER_DEFINED;
    }
    /* Gemma 4 and PaddleOCR: </s> is ordinary text there */
    int32_t s_id = find_str(v, "</s>");
    if (s_id >= 0 && has_eog(v, "</s>") && has_eog(v, "<|tool_response>")) {
        remove_eog(v, s_id);
        v->tok[s_id].attr = QLM_ATTR_NORMAL;
    }
    qsort(v->eog, (size_t)v->n_eog, sizeof *v->eog, cmp_i32);
    return QLM_OK;
}

/* Phi-3 files want white space after special tokens swallowed (llama.cpp keys this on
 * the model's name). */
static void phi3_rstrip(qlm_vocab *v, const qlm_gguf *g) {
    qlm_str name;
    if (!qlm_gguf_get_str(g, "general.name", &name)) return;
    char low[256];
    size_t n = name.len < sizeof low - 1 ? name.len : sizeof low - 1;
    for (size_t i = 0; i < n; i++) low[i] = (char)tolower((unsigned char)name.ptr[i]);
    low[n] = 0;
    if (!strstr(low, "phi-3") && !strstr(low, "phi3")) return;
    for (int32_t i = 0; i < v->n; i++)
        if (v->tok[i].attr & QLM_ATTR_SPECIAL) v->tok[i].attr |= QLM_ATTR_RSTRIP;
    int32_t id = find_str(v, "</s>");
    if (id >= 0) v->tok[id].attr |= QLM_ATTR_RSTRIP;
    static const char *const keep[] = {"<unk>", "<s>", "<|endoftext|>", NULL};
    for (const char *const *t = keep; *t; t++)
        if ((id = find_str(v, *t)) >= 0) v->tok[id].attr &= (uint16_t)~QLM_ATTR_RSTRIP;
}

static int cmp_u32_desc(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x < y) - (x > y);
}

static bool always_matched(uint16_t attr) { return !(attr & (QLM_ATTR_CONTROL | QLM_ATTR_UNKNOWN)); }

/* Trie over the special tokens' texts, and their distinct lengths. */
static qlm_status build_special(qlm_vocab *v, qlm_error *err) {
    int32_t ns = 0;
    uint64_t bytes = 0;
    for (int32_t i = 0; i < v->n; i++)
        if (v->tok[i].attr & QLM_ATTR_SPECIAL) { ns++; bytes += v->tok[i].len; }
    v->trie = malloc((size_t)(bytes + 1) * sizeof *v->trie);
    v->special_len = malloc((size_t)(ns ? ns : 1) * sizeof *v->special_len);
    v->special_len_always = calloc((size_t)(ns ? ns : 1), sizeof *v->special_len_always);
    if (!v->trie || !v->special_len || !v->special_len_always)
        return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for the special tokens");
    v->trie[0] = (qlm_trie_node){-1, -1, -1, 0};
    v->n_trie = 1;
    int32_t k = 0;
    for (int32_t id = 0; id < v->n; id++) {
        if (!(v->tok[id].attr & QLM_ATTR_SPECIAL)) continue;
        v->special_len[k++] = v->tok[id].len;
        const uint8_t *t = (const uint8_t *)qlm_vocab_text(v, id);
        int32_t node = 0;
        for (uint32_t j = 0; j < v->tok[id].len; j++) {
            int32_t c = v->trie[node].child;
            while (c >= 0 && v->trie[c].byte != t[j]) c = v->trie[c].sibling;
            if (c < 0) {
                c = v->n_trie++;
                v->trie[c] = (qlm_trie_node){-1, v->trie[node].child, -1, t[j]};
                v->trie[node].child = c;
            }
            node = c;
        }
        v->trie[node].token = id; /* texts are unique, so one token per node */
    }
    qsort(v->special_len, (size_t)ns, sizeof *v->special_len, cmp_u32_desc);
    int32_t nl = 0;
    for (int32_t i = 0; i < ns; i++)
        if (!nl || v->special_len[nl - 1] != v->special_len[i]) v->special_len[nl++] = v->special_len[i];
    v->n_special_len = nl;
    for (int32_t id = 0; id < v->n; id++) {
        if (!(v->tok[id].attr & QLM_ATTR_SPECIAL) || !always_matched(v->tok[id].attr)) continue;
        uint32_t *at = bsearch(&v->tok[id].len, v->special_len, (size_t)nl, sizeof *v->special_len, cmp_u32_desc);
        v->special_len_always[at - v->special_len] = true;
    }
    return QLM_OK;
}

static qlm_status build(qlm_vocab *v, const qlm_gguf *g, qlm_error *err) {
    qlm_status rc;
    bool found;
    qlm_str pre;

    /* defaults per model, as llama.cpp sets them */
    v->eot = v->eom = v->sep = v->pad = -1;
    v->lowercase = v->strip_accents = true;
    if (v->kind == QLM_VOCAB_SPM) {
        v->bos = 1; v->eos = 2; v->unk = 0;
        v->add_bos = true;
        v->add_space_prefix = true;
    } else if (v->kind == QLM_VOCAB_BPE) {
        v->bos = 11; v->eos = 11; v->unk = -1;
    } else {
        v->bos = 101; v->eos = -1; v->unk = 100; v->sep = 102; v->pad = 0;
        v->add_bos = true;
        v->add_sep = true;
    }

    if ((rc = get_str(g, "tokenizer.ggml.pre", &pre, &found, err))) return rc;
    if (v->kind == QLM_VOCAB_BPE) {
        bool no_bos = false;
        if (!found) {
            v->pre = QLM_PRE_DEFAULT; /* llama.cpp warns that quality will suffer */
        } else if (!qlm_pre_from_name(pre.ptr, pre.len, &v->pre, &v->ignore_merges, &v->add_bos, &no_bos)) {
            return qlm_set_error(err, QLM_ERR_UNSUPPORTED,
                                 "unknown pre-tokenizer tokenizer.ggml.pre = '%.*s' (supported: default, gpt-2, "
                                 "llama-bpe, qwen2, deepseek-llm, deepseek-coder, falcon, mpt, starcoder, refact, "
                                 "and their aliases)",
                                 (int)(pre.len > 64 ? 64 : pre.len), pre.ptr);
        }
        if (no_bos) v->bos = -1;
    }

    if ((rc = load_tokens(v, g, err)) || (rc = load_scores_types(v, g, err))) return rc;
    if (v->kind == QLM_VOCAB_BPE && (rc = load_merges(v, g, err))) return rc;
    if ((rc = check_byte_tokens(v, err))) return rc;

    if ((rc = get_bool(g, "tokenizer.ggml.add_space_prefix", &v->add_space_prefix, err))) return rc;

    /* defaults that point past a small vocabulary are dropped, as in llama.cpp */
    int32_t *defaults[] = {&v->bos, &v->eos, &v->unk, &v->sep, &v->pad};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (*defaults[i] >= v->n) *defaults[i] = -1;
    if ((rc = get_id(g, "tokenizer.ggml.bos_token_id", v->n, &v->bos, err)) ||
        (rc = get_id(g, "tokenizer.ggml.eos_token_id", v->n, &v->eos, err)) ||
        (rc = get_id(g, "tokenizer.ggml.eot_token_id", v->n, &v->eot, err)) ||
        (rc = get_id(g, "tokenizer.ggml.eom_token_id", v->n, &v->eom, err)) ||
        (rc = get_id(g, "tokenizer.ggml.unknown_token_id", v->n, &v->unk, err)) ||
        (rc = get_id(g, "tokenizer.ggml.seperator_token_id", v->n, &v->sep, err)) ||
        (rc = get_id(g, "tokenizer.ggml.padding_token_id", v->n, &v->pad, err)))
        return rc;
    if ((rc = get_bool(g, "tokenizer.ggml.add_bos_token", &v->add_bos, err)) ||
        (rc = get_bool(g, "tokenizer.ggml.add_eos_token", &v->add_eos, err)) ||
        (rc = get_bool(g, "tokenizer.ggml.add_sep_token", &v->add_sep, err)))
        return rc;
    if (v->add_bos && v->bos < 0)
        return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.add_bos_token is true but there is no BOS token");
    if (v->add_eos && v->eos < 0)
        return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.add_eos_token is true but there is no EOS token");
    if (v->add_sep && v->sep < 0)
        return qlm_set_error(err, QLM_ERR_FORMAT, "tokenizer.ggml.add_sep_token is true but there is no separator token");

    /* BERT normalizer; strip_accents follows lowercase unless set itself (as in HF) */
    if ((rc = get_bool(g, "tokenizer.ggml.normalizer.lowercase", &v->lowercase, err))) return rc;
    v->strip_accents = v->lowercase;
    if ((rc = get_bool(g, "tokenizer.ggml.normalizer.strip_accents", &v->strip_accents, err))) return rc;

    if ((rc = special_fixups(v, g, err))) return rc;
    phi3_rstrip(v, g);
    return build_special(v, err);
}

qlm_status qlm_vocab_load(const qlm_gguf *g, qlm_vocab **out, qlm_error *err) {
    *out = NULL;
    qlm_str model;
    bool found;
    qlm_status rc = get_str(g, "tokenizer.ggml.model", &model, &found, err);
    if (rc || !found) return rc;
    qlm_vocab_kind kind;
#define IS(s) (model.len == sizeof(s) - 1 && !memcmp(model.ptr, s, sizeof(s) - 1))
    if (IS("none") || IS("no_vocab")) return QLM_OK;
    if (IS("llama")) kind = QLM_VOCAB_SPM;
    else if (IS("gpt2")) kind = QLM_VOCAB_BPE;
    else if (IS("bert")) kind = QLM_VOCAB_WPM;
    else
        return qlm_set_error(err, QLM_ERR_UNSUPPORTED,
                             "unsupported tokenizer model tokenizer.ggml.model = '%.*s' (supported: llama, gpt2, bert)",
                             (int)(model.len > 64 ? 64 : model.len), model.ptr);
#undef IS
    qlm_vocab *v = calloc(1, sizeof *v);
    if (!v) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    v->kind = kind;
    rc = build(v, g, err);
    if (rc) {
        qlm_vocab_free(v);
        return rc;
    }
    *out = v;
    return QLM_OK;
}

/* ---- queries --------------------------------------------------------------------- */

int qlm_vocab_size(const qlm_vocab *v) { return v->n; }

const char *qlm_vocab_model_name(const qlm_vocab *v) {
    switch (v->kind) {
    case QLM_VOCAB_SPM: return "llama";
    case QLM_VOCAB_BPE: return "gpt2";
    case QLM_VOCAB_WPM: return "bert";
    }
    return "none";
}

int32_t qlm_vocab_bos(const qlm_vocab *v) { return v->bos; }
int32_t qlm_vocab_eos(const qlm_vocab *v) { return v->eos; }
bool qlm_vocab_add_bos(const qlm_vocab *v) { return v->add_bos; }

bool qlm_vocab_is_eog(const qlm_vocab *v, int32_t id) {
    return id >= 0 && bsearch(&id, v->eog, (size_t)v->n_eog, sizeof *v->eog, cmp_i32) != NULL;
}
