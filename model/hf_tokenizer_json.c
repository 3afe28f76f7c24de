/* tokenizer.json (Hugging Face `tokenizers`) -> an hf_vocab.
 *
 * Two families are understood, the two llama.cpp stores:
 *   byte-level BPE ("gpt2"): a ByteLevel pre-tokenizer or decoder, no byte fallback.
 *     Tokens and merges are copied; the pre-tokenizer is recognised by its structure
 *     (the list of split regexes, ByteLevel's own GPT-2 regex, Digits) and named as
 *     llama.cpp names it in tokenizer.ggml.pre. llama.cpp instead hashes the ids of a
 *     test string, which needs the tokenizer running; the structure identifies the same
 *     rules without that. Recognised: GPT-2's ByteLevel regex (gpt-2), Llama 3's split
 *     regex (llama-bpe, or smaug-bpe when model.ignore_merges is off), Qwen 2's (qwen2),
 *     single digits then ByteLevel (starcoder).
 *   SentencePiece-style BPE ("llama"): spaces replaced by U+2581 (a Replace normalizer
 *     or a Metaspace pre-tokenizer), usually with byte fallback (Llama 2, Mistral,
 *     Gemma). llama.cpp tokenizes these with the SentencePiece algorithm, which merges
 *     the best-scoring pair whose concatenation is a token; tokenizer.json has merge
 *     ranks instead of scores, so a token's score is minus the rank of the first merge
 *     that makes it. That orders every merge exactly as the BPE ranks do (Hugging
 *     Face derives the merge list of such models from the SentencePiece scores).
 * Anything else (Unigram, WordPiece, other normalizers) is refused with its name. */
#include "hf_tokenizer.h"
#include "../ggml-like/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define U2581 "\xe2\x96\x81"

static const char *jstr(const qlm_json *o, const char *k) { return qlm_json_str(qlm_json_get(o, k)); }
static bool jtype(const qlm_json *o, const char *type) {
    const char *t = jstr(o, "type");
    return t && !strcmp(t, type);
}
static bool is_str(const qlm_json *v, const char *s) {
    return v && v->type == QLM_JSON_STRING && v->len == strlen(s) && !memcmp(v->str, s, v->len);
}
/* A boolean member, `def` when absent or null. */
static bool jbool(const qlm_json *o, const char *k, bool def) {
    bool b = def;
    qlm_json_bool(qlm_json_get(o, k), &b);
    return b;
}

/* The components of a normalizer / pre-tokenizer / decoder: the object itself, or the
 * members of a Sequence (one level, which is all tokenizers writes). */
static size_t parts(const qlm_json *o, const char *list_key, const qlm_json **out, size_t cap) {
    if (!o || o->type != QLM_JSON_OBJECT) return 0;
    if (!jtype(o, "Sequence")) { out[0] = o; return 1; }
    const qlm_json *l = qlm_json_get(o, list_key);
    size_t n = 0;
    for (size_t i = 0; i < qlm_json_len(l) && n < cap; i++)
        if (qlm_json_at(l, i)->type == QLM_JSON_OBJECT) out[n++] = qlm_json_at(l, i);
    return n;
}

/* ---- pre-tokenizer recognition -------------------------------------------------------- */

/* Llama 3's and Qwen 2's split regexes, as their tokenizer.json files spell them. */
static const char LLAMA3_RE[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char QWEN2_RE[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* Each rule set as the sequence of steps its pre-tokenizer performs: "BL" ByteLevel with
 * its GPT-2 regex, "D1" / "D+" Digits (one digit / runs), "R1" / "R2" a Split (Isolated)
 * on Llama 3's / Qwen 2's regex. ByteLevel without its regex only maps bytes: no step. */
typedef struct {
    const char *name;
    const char *steps[4];
} pre_sig;

static const pre_sig PRE_SIGS[] = {
    {"gpt-2", {"BL", NULL}},
    {"llama-bpe", {"R1", NULL}},
    {"qwen2", {"R2", NULL}},
    {"starcoder", {"D1", "BL", NULL}},
};

/* Name the pre-tokenizer of a byte-level BPE tokenizer into pre[32], or fail naming
 * what it does. */
static qlm_status recognise_pre(const qlm_json *pt, bool ignore_merges, const char *fname, char pre[32], qlm_error *err) {
    const qlm_json *p[16];
    size_t np = parts(pt, "pretokenizers", p, 16);
    const char *steps[16];
    size_t ns = 0;
    bool unknown = false;
    char what[240] = "none";
    size_t wl = 0;
    for (size_t i = 0; i < np; i++) {
        const char *type = jstr(p[i], "type");
        const char *re = jstr(qlm_json_get(p[i], "pattern"), "Regex");
        const char *step = NULL;
        if (!type) {
            unknown = true;
        } else if (!strcmp(type, "ByteLevel")) {
            if (jbool(p[i], "use_regex", true)) step = "BL";
        } else if (!strcmp(type, "Digits")) {
            step = jbool(p[i], "individual_digits", false) ? "D1" : "D+";
        } else if (!strcmp(type, "Split") && re && is_str(qlm_json_get(p[i], "behavior"), "Isolated") &&
                   !jbool(p[i], "invert", false) && !strcmp(re, LLAMA3_RE)) {
            step = "R1";
        } else if (!strcmp(type, "Split") && re && is_str(qlm_json_get(p[i], "behavior"), "Isolated") &&
                   !jbool(p[i], "invert", false) && !strcmp(re, QWEN2_RE)) {
            step = "R2";
        } else {
            unknown = true;
        }
        if (step) steps[ns++] = step;
        /* a readable account of the steps for the error message */
        if (wl < sizeof what - 1)
            wl += (size_t)snprintf(what + wl, sizeof what - wl, "%s%s%s%.60s%s", i ? ", " : "", type ? type : "?",
                                   re ? " /" : "", re ? re : "", re ? (strlen(re) > 60 ? ".../" : "/") : "");
    }
    for (size_t s = 0; s < sizeof PRE_SIGS / sizeof PRE_SIGS[0] && !unknown; s++) {
        size_t k = 0;
        while (k < ns && PRE_SIGS[s].steps[k] && !strcmp(PRE_SIGS[s].steps[k], steps[k])) k++;
        if (k == ns && !PRE_SIGS[s].steps[k]) {
            /* Llama 3's rules without ignore_merges (Smaug, DBRX): llama.cpp names them
             * apart, and only their names turn ignore_merges off */
            snprintf(pre, 32, "%s", !strcmp(PRE_SIGS[s].name, "llama-bpe") && !ignore_merges ? "smaug-bpe" : PRE_SIGS[s].name);
            return QLM_OK;
        }
    }
    return qlm_set_error(err, QLM_ERR_UNSUPPORTED,
                         "%s: unrecognised pre-tokenizer [%s] (recognised: GPT-2's ByteLevel regex -> gpt-2, "
                         "Llama 3's split regex -> llama-bpe (smaug-bpe without ignore_merges), Qwen 2's -> "
                         "qwen2, single digits + ByteLevel -> starcoder)",
                         fname, what);
}

/* ---- which family ----------------------------------------------------------------- */

typedef struct {
    bool byte_level;     /* ByteLevel pre-tokenizer or decoder */
    bool spm;            /* spaces become U+2581 */
    bool prepend;        /* a U+2581 in front of the text */
    const char *bad;     /* a component neither family allows, named in the error */
} family;

static void read_normalizer(const qlm_json *norm, family *f) {
    const qlm_json *p[16];
    size_t n = parts(norm, "normalizers", p, 16);
    for (size_t i = 0; i < n; i++) {
        const char *type = jstr(p[i], "type");
        if (!type) { f->bad = "normalizer without a type"; continue; }
        if (!strcmp(type, "Replace") && is_str(qlm_json_get(qlm_json_get(p[i], "pattern"), "String"), " ") &&
            is_str(qlm_json_get(p[i], "content"), U2581))
            f->spm = true;
        else if (!strcmp(type, "Prepend") && is_str(qlm_json_get(p[i], "prepend"), U2581))
            f->prepend = true;
        else if (!strcmp(type, "NFC"))
            ; /* llama.cpp does not normalize either; the vocabularies are NFC already */
        else
            f->bad = type;
    }
}

static void read_pre_family(const qlm_json *pt, family *f) {
    const qlm_json *p[16];
    size_t n = parts(pt, "pretokenizers", p, 16);
    for (size_t i = 0; i < n; i++) {
        const char *type = jstr(p[i], "type");
        if (!type) continue;
        if (!strcmp(type, "ByteLevel")) f->byte_level = true;
        if (!strcmp(type, "Metaspace")) {
            f->spm = true;
            /* prepend_scheme: "always" / "first" / "never"; older files: add_prefix_space */
            const char *scheme = jstr(p[i], "prepend_scheme");
            f->prepend = scheme ? strcmp(scheme, "never") != 0 : jbool(p[i], "add_prefix_space", true);
        }
    }
}

/* Pre-tokenizer steps a SentencePiece-style vocabulary may have: Metaspace, and the
 * Split on " " that Gemma keeps (a no-op once the normalizer replaced every space). */
static const char *spm_pre_bad(const qlm_json *pt) {
    const qlm_json *p[16];
    size_t n = parts(pt, "pretokenizers", p, 16);
    for (size_t i = 0; i < n; i++) {
        const char *type = jstr(p[i], "type");
        if (type && !strcmp(type, "Metaspace")) continue;
        if (type && !strcmp(type, "Split") && is_str(qlm_json_get(qlm_json_get(p[i], "pattern"), "String"), " "))
            continue;
        return type ? type : "(no type)";
    }
    return NULL;
}

/* ---- tokens ----------------------------------------------------------------------- */

/* An id from a JSON number: integer, 0 <= id < HF_MAX_TOKENS. */
static bool get_id(const qlm_json *v, int32_t *id) {
    int64_t i;
    if (!qlm_json_i64(v, &i) || i < 0 || i >= HF_MAX_TOKENS) return false;
    *id = (int32_t)i;
    return true;
}

static bool is_byte_piece(const char *s, size_t n) {
    static const char hex[] = "0123456789abcdefABCDEF";
    return n == 6 && !memcmp(s, "<0x", 3) && s[5] == '>' && s[3] && s[4] && strchr(hex, s[3]) && strchr(hex, s[4]);
}

/* Both merge formats: "left right" (one space) or ["left", "right"]. */
static bool merge_parts(const qlm_json *m, const char **l, size_t *ln, const char **r, size_t *rn) {
    if (m->type == QLM_JSON_STRING) {
        const char *sp = memchr(m->str, ' ', m->len);
        if (!sp || sp == m->str || (size_t)(sp - m->str) + 1 >= m->len) return false;
        if (memchr(sp + 1, ' ', m->len - (size_t)(sp - m->str) - 1)) return false;
        *l = m->str;
        *ln = (size_t)(sp - m->str);
        *r = sp + 1;
        *rn = m->len - *ln - 1;
        return true;
    }
    if (m->type == QLM_JSON_ARRAY && m->len == 2 && m->u.items[0].type == QLM_JSON_STRING &&
        m->u.items[1].type == QLM_JSON_STRING && m->u.items[0].len && m->u.items[1].len) {
        *l = m->u.items[0].str;
        *ln = m->u.items[0].len;
        *r = m->u.items[1].str;
        *rn = m->u.items[1].len;
        return true;
    }
    return false;
}

/* Append a merge part for tokenizer.ggml.merges: a space inside it is written as
 * U+0120 (GPT-2's byte map of the space), as llama.cpp does, so the one separator
 * stays unambiguous. */
static void put_part(qlm_buf *b, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ') qlm_buf_put(b, "\xc4\xa0", 2);
        else qlm_buf_putc(b, s[i]);
    }
}

/* Check every merge (its parts and their concatenation are tokens, as `tokenizers`
 * requires), store them for a BPE vocabulary, and for a SentencePiece-style one turn
 * their ranks into token scores. */
static qlm_status read_merges(const qlm_json *merges, const char *fname, hf_vocab *v, bool spm, qlm_error *err) {
    size_t nm = qlm_json_len(merges);
    hf_index ix = {0};
    qlm_status rc = hf_index_build(&ix, v, fname, err);
    if (rc) return rc;
    char *cat = NULL;
    size_t cat_cap = 0;
    bool *has_rank = NULL;
    int32_t n_ranked = 0;
    if (spm) {
        has_rank = calloc((size_t)v->n, 1);
        if (!has_rank) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); goto done; }
    } else {
        v->merge_off = malloc((nm + 1) * sizeof *v->merge_off);
        if (!v->merge_off) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for %zu merges", nm); goto done; }
        v->merge_off[0] = 0;
    }
    for (size_t i = 0; i < nm; i++) {
        const qlm_json *m = qlm_json_at(merges, i);
        const char *l, *r;
        size_t ln, rn;
        if (!merge_parts(m, &l, &ln, &r, &rn)) {
            rc = qlm_set_error(err, QLM_ERR_FORMAT,
                               "%s: model.merges[%zu] is neither \"left right\" nor [\"left\", \"right\"]", fname, i);
            goto done;
        }
        if (ln + rn > cat_cap) {
            cat_cap = 2 * (ln + rn);
            char *c = realloc(cat, cat_cap);
            if (!c) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); goto done; }
            cat = c;
        }
        memcpy(cat, l, ln);
        memcpy(cat + ln, r, rn);
        int32_t il = hf_index_find(&ix, v, l, ln), ir = hf_index_find(&ix, v, r, rn);
        int32_t id = hf_index_find(&ix, v, cat, ln + rn);
        if (il < 0 || ir < 0 || id < 0) {
            const char *what = il < 0 ? l : ir < 0 ? r : cat;
            size_t wn = il < 0 ? ln : ir < 0 ? rn : ln + rn;
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s: model.merges[%zu] uses '%.*s', which is not in the vocabulary",
                               fname, i, (int)(wn > 60 ? 60 : wn), what);
            goto done;
        }
        if (spm) {
            /* only the order matters: number the results densely (< n <= 2^22, exact in
             * a float) instead of using raw ranks */
            if (!has_rank[id]) {
                v->score[id] = -(float)++n_ranked;
                has_rank[id] = true;
            }
        } else {
            put_part(&v->merges, l, ln);
            qlm_buf_putc(&v->merges, ' ');
            put_part(&v->merges, r, rn);
            v->merge_off[i + 1] = v->merges.len;
            if (v->merges.oom) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for the merges"); goto done; }
        }
    }
    if (!spm) v->n_merges = (int64_t)nm;
done:
    free(cat);
    free(has_rank);
    hf_index_free(&ix);
    return rc;
}

qlm_status hf_vocab_from_json(const qlm_json *root, const char *fname, hf_vocab *v, qlm_error *err) {
    if (!root || root->type != QLM_JSON_OBJECT)
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s: the top level is not an object", fname);
    const qlm_json *model = qlm_json_get(root, "model");
    if (!model || model->type != QLM_JSON_OBJECT)
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s: no \"model\" object", fname);
    const qlm_json *mtype = qlm_json_get(model, "type");
    const qlm_json *merges = qlm_json_get(model, "merges");
    /* files from before `tokenizers` 0.11 name no type; a merge list means BPE */
    if (mtype && !is_str(mtype, "BPE")) {
        const char *t = qlm_json_str(mtype);
        return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "%s: tokenizer model '%.40s' is not supported (BPE only)", fname,
                             t ? t : "(not a string)");
    }
    if (!mtype && !merges) return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "%s: the model is not BPE (no merges)", fname);
    if (!merges || merges->type != QLM_JSON_ARRAY)
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s: model.merges must be an array", fname);
    const qlm_json *vocab = qlm_json_get(model, "vocab");
    if (!vocab || vocab->type != QLM_JSON_OBJECT)
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s: model.vocab must be an object of token -> id", fname);
    const qlm_json *added = qlm_json_get(root, "added_tokens");
    if (added && added->type != QLM_JSON_ARRAY && added->type != QLM_JSON_NULL)
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s: added_tokens must be an array", fname);
    const char *csp = jstr(model, "continuing_subword_prefix"), *ews = jstr(model, "end_of_word_suffix");
    if ((csp && *csp) || (ews && *ews))
        return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "%s: BPE with a subword prefix or word suffix is not supported",
                             fname);

    /* which family */
    family f = {0};
    const qlm_json *norm = qlm_json_get(root, "normalizer"), *pt = qlm_json_get(root, "pre_tokenizer");
    const qlm_json *dec = qlm_json_get(root, "decoder");
    read_normalizer(norm, &f);
    read_pre_family(pt, &f);
    const qlm_json *dp[16];
    size_t nd = parts(dec, "decoders", dp, 16);
    for (size_t i = 0; i < nd; i++)
        if (jtype(dp[i], "ByteLevel")) f.byte_level = true;
    bool byte_fallback = jbool(model, "byte_fallback", false);
    bool spm;
    if (f.byte_level && !byte_fallback) spm = false;
    else if (f.spm) spm = true;
    else
        return qlm_set_error(err, QLM_ERR_UNSUPPORTED,
                             "%s: neither byte-level BPE (a ByteLevel pre-tokenizer) nor SentencePiece-style BPE "
                             "(spaces replaced by U+2581)",
                             fname);
    if (f.bad)
        return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "%s: normalizer '%.40s' is not supported", fname, f.bad);
    if (spm) {
        const char *bad = spm_pre_bad(pt);
        if (bad) return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "%s: pre-tokenizer '%.40s' is not supported with "
                                      "SentencePiece-style BPE", fname, bad);
    }
    if (!spm && (f.spm || f.prepend))
        return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "%s: byte-level BPE with a U+2581 normalizer is not supported",
                             fname);

    /* size: the largest id of the vocabulary and the added tokens */
    int32_t n = 0;
    for (size_t i = 0; i < qlm_json_len(vocab); i++) {
        int32_t id;
        const qlm_json *k = qlm_json_key(vocab, i);
        const qlm_json *val = qlm_json_val(vocab, i);
        if (!get_id(val, &id))
            return qlm_set_error(err, QLM_ERR_FORMAT, "%s: model.vocab['%.40s'] = %.40s is not a token id (an integer 0..%d)",
                                 fname, k->str, val->type == QLM_JSON_NUMBER ? val->str : "(not a number)",
                                 HF_MAX_TOKENS - 1);
        if (id >= n) n = id + 1;
    }
    for (size_t i = 0; i < qlm_json_len(added); i++) {
        const qlm_json *a = qlm_json_at(added, i);
        int32_t id;
        const qlm_json *c = qlm_json_get(a, "content");
        if (a->type != QLM_JSON_OBJECT || !get_id(qlm_json_get(a, "id"), &id) || !c || c->type != QLM_JSON_STRING ||
            !c->len)
            return qlm_set_error(err, QLM_ERR_FORMAT,
                                 "%s: added_tokens[%zu] needs an \"id\" (0..%d) and a non-empty \"content\" string",
                                 fname, i, HF_MAX_TOKENS - 1);
        if (id >= n) n = id + 1;
    }
    if (n == 0) return qlm_set_error(err, QLM_ERR_FORMAT, "%s: the vocabulary is empty", fname);

    qlm_status rc = hf_vocab_resize(v, n, spm, -10000.0f, err);
    if (rc) return rc;
    v->model = spm ? "llama" : "gpt2";
    v->add_space_prefix = spm ? f.prepend : -1;
    bool *seen = calloc((size_t)n, 1);
    if (!seen) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < qlm_json_len(vocab); i++) {
        const qlm_json *k = qlm_json_key(vocab, i);
        int32_t id;
        get_id(qlm_json_val(vocab, i), &id);
        if (seen[id]) {
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s: model.vocab gives id %d to '%.40s' and to '%.40s'", fname,
                               (int)id, hf_tok_text(v, id), k->str);
            break;
        }
        if (!k->len) {
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s: model.vocab has an empty token (id %d)", fname, (int)id);
            break;
        }
        seen[id] = true;
        hf_vocab_set_text(v, id, k->str, k->len);
        v->type[id] = spm && byte_fallback && is_byte_piece(k->str, k->len) ? HF_TT_BYTE : HF_TT_NORMAL;
        if (spm) v->score[id] = 0.0f;
    }
    free(seen);
    if (rc) return rc;
    /* the unknown token of a SentencePiece-style model */
    v->unk_id = -1;
    const char *unk = jstr(model, "unk_token");
    if (unk) {
        for (int32_t id = 0; id < n && v->unk_id < 0; id++)
            if (v->len[id] == strlen(unk) && !memcmp(hf_tok_text(v, id), unk, v->len[id])) v->unk_id = id;
        if (spm && v->unk_id >= 0) v->type[v->unk_id] = HF_TT_UNKNOWN;
    }
    if (v->text.oom) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for the token texts");
    /* merges name model.vocab's tokens, before added tokens change texts and types */
    if ((rc = read_merges(merges, fname, v, spm, err))) return rc;
    for (size_t i = 0; i < qlm_json_len(added); i++) {
        const qlm_json *a = qlm_json_at(added, i), *c = qlm_json_get(a, "content");
        int32_t id;
        get_id(qlm_json_get(a, "id"), &id);
        hf_vocab_set_added(v, id, c->str, c->len, jbool(a, "special", false));
    }
    if (v->text.oom) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for the token texts");
    if (spm) snprintf(v->pre, sizeof v->pre, "default");
    else if ((rc = recognise_pre(pt, jbool(model, "ignore_merges", false), fname, v->pre, err))) return rc;
    return QLM_OK;
}
