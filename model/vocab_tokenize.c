/* Tokenization entry point: split out special tokens, then run the vocabulary's
 * tokenizer over the text between them.
 *
 * Special tokens are found the way llama.cpp's tokenizer_st_partition finds them:
 * tokens are taken in order of decreasing length (then increasing id), and each claims
 * its leftmost non-overlapping occurrences in the text that longer tokens left free.
 * So with tokens "ab" and "bcd", "abcd" gives "a" + <bcd>, not <ab> + "cd". User-defined
 * tokens are always matched; control and unknown ones only with QLM_TOK_PARSE_SPECIAL.
 *
 * Instead of one scan of the text per special token (a vocabulary can have thousands),
 * there is one scan per distinct token length, with a short walk down a trie of the
 * tokens' texts from each position that is still free; memory stays O(text) also for
 * texts dense with matches (MPT's 23 space tokens match at every position of a run of
 * spaces). Same-length tokens are then claimed token by token, lowest id first: the
 * order llama.cpp leaves to std::sort, made deterministic. */
#include "vocab_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t off, len;
    int32_t token; /* >= 0: a special token; -1: raw text */
} fragment;

typedef struct {
    int32_t token;
    uint32_t start;
} candidate;

static int cmp_cand(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->token != y->token) return x->token < y->token ? -1 : 1;
    return (x->start > y->start) - (x->start < y->start);
}

static int cmp_frag(const void *a, const void *b) {
    const fragment *x = a, *y = b;
    return (x->off > y->off) - (x->off < y->off);
}

static bool c_isspace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* The allowed special token spelled by the free bytes text[i..i+L), or -1. */
static int32_t token_at(const qlm_vocab *v, const uint8_t *s, const uint8_t *mark, size_t i, uint32_t L,
                        bool parse_special) {
    int32_t node = 0;
    for (uint32_t j = 0; j < L; j++) {
        if (mark[i + j]) return -1;
        int32_t c = v->trie[node].child;
        while (c >= 0 && v->trie[c].byte != s[i + j]) c = v->trie[c].sibling;
        if (c < 0) return -1;
        node = c;
    }
    int32_t id = v->trie[node].token;
    if (id < 0 || (!parse_special && (v->tok[id].attr & (QLM_ATTR_CONTROL | QLM_ATTR_UNKNOWN)))) return -1;
    return id;
}

static qlm_status partition(const qlm_vocab *v, const char *text, size_t len, bool parse_special,
                            fragment **frags, size_t *n_frags) {
    *frags = NULL;
    *n_frags = 0;
    bool any = false; /* can any special token match at all? */
    for (int32_t li = 0; li < v->n_special_len && !any; li++)
        any = v->special_len[li] <= len && (parse_special || v->special_len_always[li]);
    if (!any) {
        fragment *one = malloc(sizeof *one);
        if (!one) return QLM_ERR_NOMEM;
        *one = (fragment){0, (uint32_t)len, -1};
        *frags = one;
        *n_frags = 1;
        return QLM_OK;
    }
    const uint8_t *s = (const uint8_t *)text;
    /* 0 free, 1 claimed by a token, 2 white space swallowed by a token's strip */
    uint8_t *mark = calloc(len, 1);
    candidate *cand = malloc(len * sizeof *cand);
    fragment *tokf = NULL; /* the accepted tokens */
    size_t n_tok = 0, cap_tok = 0;
    fragment *f = NULL;
    qlm_status rc = QLM_ERR_NOMEM;
    if (!mark || !cand) goto done;
    bool first[256] = {false}; /* bytes a special token can start with */
    for (int32_t c = v->trie[0].child; c >= 0; c = v->trie[c].sibling) first[v->trie[c].byte] = true;

    for (int32_t li = 0; li < v->n_special_len; li++) {
        uint32_t L = v->special_len[li];
        if (L > len || (!parse_special && !v->special_len_always[li])) continue;
        /* candidates of this length where the text is still free, then claimed token by
         * token (lowest id first), each leftmost first */
        size_t nc = 0;
        for (size_t i = 0; i + L <= len; i++) {
            if (mark[i] || !first[s[i]]) continue;
            int32_t id = token_at(v, s, mark, i, L, parse_special);
            if (id >= 0) cand[nc++] = (candidate){id, (uint32_t)i};
        }
        if (nc > 1) qsort(cand, nc, sizeof *cand, cmp_cand);
        for (size_t k = 0; k < nc; k++) {
            size_t st = cand[k].start;
            bool is_free = true;
            for (uint32_t j = 0; j < L && is_free; j++) is_free = !mark[st + j];
            if (!is_free) continue;
            memset(mark + st, 1, L);
            uint16_t attr = v->tok[cand[k].token].attr;
            if (attr & QLM_ATTR_LSTRIP)
                for (size_t j = st; j > 0 && !mark[j - 1] && c_isspace(text[j - 1]); j--) mark[j - 1] = 2;
            if (attr & QLM_ATTR_RSTRIP)
                for (size_t j = st + L; j < len && !mark[j] && c_isspace(text[j]); j++) mark[j] = 2;
            if (n_tok == cap_tok) {
                size_t c2 = cap_tok ? 2 * cap_tok : 16;
                fragment *t = realloc(tokf, c2 * sizeof *t);
                if (!t) goto done;
                tokf = t;
                cap_tok = c2;
            }
            tokf[n_tok++] = (fragment){(uint32_t)st, L, cand[k].token};
        }
    }
    if (n_tok > 1) qsort(tokf, n_tok, sizeof *tokf, cmp_frag);

    /* fragments in text order: free runs are text, claimed spans are tokens */
    f = malloc((2 * n_tok + 1) * sizeof *f);
    if (!f) goto done;
    size_t nf = 0, pos = 0;
    for (size_t k = 0; k <= n_tok; k++) {
        size_t end = k < n_tok ? tokf[k].off : len;
        for (size_t a = pos; a < end;) { /* text between tokens, minus swallowed white space */
            while (a < end && mark[a]) a++;
            size_t b = a;
            while (b < end && !mark[b]) b++;
            if (b > a) f[nf++] = (fragment){(uint32_t)a, (uint32_t)(b - a), -1};
            a = b;
        }
        if (k < n_tok) {
            f[nf++] = tokf[k];
            pos = tokf[k].off + tokf[k].len;
        }
    }
    *frags = f;
    *n_frags = nf;
    f = NULL;
    rc = QLM_OK;
done:
    free(mark);
    free(cand);
    free(tokf);
    free(f);
    return rc;
}

int qlm_vocab_tokenize(const qlm_vocab *v, const char *text, size_t len, unsigned flags, int32_t *out, int cap) {
    if (!v || (len && !text) || cap < 0 || (cap > 0 && !out)) return -(int)QLM_ERR_INVALID_ARG;
    /* every tokenizer yields at most one token per byte, plus a few added ones */
    if (len > (size_t)INT_MAX - 16) return -(int)QLM_ERR_INVALID_ARG;
    bool add_special = flags & QLM_TOK_ADD_BOS;
    qlm_tok_sink sink = {out, cap, 0};
    fragment *frags = NULL;
    size_t nf = 0;
    qlm_status rc = len ? partition(v, text, len, flags & QLM_TOK_PARSE_SPECIAL, &frags, &nf) : QLM_OK;
    if (rc) return -(int)rc;

    switch (v->kind) {
    case QLM_VOCAB_SPM: {
        if (add_special && v->add_bos) qlm_sink_push(&sink, v->bos);
        /* a text fragment at the start or after a special token gets the dummy prefix */
        bool prev_special = true;
        for (size_t k = 0; k < nf && !rc; k++) {
            if (frags[k].token >= 0) {
                qlm_sink_push(&sink, frags[k].token);
                prev_special = true;
            } else {
                rc = qlm_spm_encode(v, text + frags[k].off, frags[k].len, v->add_space_prefix && prev_special, &sink);
                prev_special = false;
            }
        }
        if (add_special && v->add_eos) qlm_sink_push(&sink, v->eos);
        break;
    }
    case QLM_VOCAB_BPE:
        if (add_special && v->add_bos) qlm_sink_push(&sink, v->bos);
        for (size_t k = 0; k < nf && !rc; k++) {
            if (frags[k].token >= 0) qlm_sink_push(&sink, frags[k].token);
            else rc = qlm_bpe_encode(v, text + frags[k].off, frags[k].len, &sink);
        }
        if (add_special && v->add_eos) qlm_sink_push(&sink, v->eos);
        break;
    case QLM_VOCAB_WPM:
        /* BERT: [CLS] text [SEP] */
        if (add_special && v->bos >= 0) qlm_sink_push(&sink, v->bos);
        for (size_t k = 0; k < nf && !rc; k++) {
            if (frags[k].token >= 0) qlm_sink_push(&sink, frags[k].token);
            else rc = qlm_wpm_encode(v, text + frags[k].off, frags[k].len, &sink);
        }
        if (add_special && v->sep >= 0) qlm_sink_push(&sink, v->sep);
        break;
    }
    free(frags);
    return rc ? -(int)rc : sink.n;
}
