/* Tokenization entry point: split out special tokens, then run the vocabulary's
 * tokenizer over the text between them.
 *
 * Special tokens are found the way llama.cpp's tokenizer_st_partition finds them:
 * tokens are taken in order of decreasing length (then increasing id), and each claims
 * its leftmost non-overlapping occurrences in the text that longer tokens left free.
 * So with tokens "ab" and "bcd", "abcd" gives "a" + <bcd>, not <ab> + "cd". User-defined
 * tokens are always matched; control and unknown ones only with QLM_TOK_PARSE_SPECIAL.
 * Instead of scanning the text once per special token (a vocabulary can have thousands),
 * one pass over a trie collects every occurrence, and the priority order is applied to
 * that list. */
#include "vocab_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t off, len;
    int32_t token; /* >= 0: a special token; -1: raw text */
} fragment;

typedef struct {
    int32_t rank;
    uint32_t start, len;
    int32_t token;
} occurrence;

static int cmp_occ(const void *a, const void *b) {
    const occurrence *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return (x->start > y->start) - (x->start < y->start);
}

static int cmp_occ_pos(const void *a, const void *b) {
    const occurrence *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

static bool c_isspace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static bool allowed(const qlm_vocab *v, int32_t id, bool parse_special) {
    return parse_special || !(v->tok[id].attr & (QLM_ATTR_CONTROL | QLM_ATTR_UNKNOWN));
}

static qlm_status partition(const qlm_vocab *v, const char *text, size_t len, bool parse_special,
                            fragment **frags, size_t *n_frags) {
    *frags = NULL;
    *n_frags = 0;
    occurrence *occ = NULL;
    size_t n_occ = 0, cap_occ = 0;
    uint8_t *mark = NULL;
    fragment *f = NULL;
    qlm_status rc = QLM_ERR_NOMEM;

    /* every occurrence of every allowed special token */
    int32_t first[256];
    for (int b = 0; b < 256; b++) first[b] = -1;
    for (int32_t c = v->trie[0].child; c >= 0; c = v->trie[c].sibling) first[v->trie[c].byte] = c;
    const uint8_t *s = (const uint8_t *)text;
    for (size_t i = 0; i < len; i++) {
        int32_t node = first[s[i]];
        for (size_t j = i; node >= 0;) {
            int32_t id = v->trie[node].token;
            if (id >= 0 && allowed(v, id, parse_special)) {
                if (n_occ == cap_occ) {
                    size_t nc = cap_occ ? 2 * cap_occ : 64;
                    occurrence *t = realloc(occ, nc * sizeof *t);
                    if (!t) goto done;
                    occ = t;
                    cap_occ = nc;
                }
                occ[n_occ++] = (occurrence){v->special_rank[id], (uint32_t)i, (uint32_t)(j + 1 - i), id};
            }
            if (++j >= len) break;
            int32_t c = v->trie[node].child;
            while (c >= 0 && v->trie[c].byte != s[j]) c = v->trie[c].sibling;
            node = c;
        }
    }

    /* claim them by priority: 0 free, 1 token, 2 white space swallowed by a strip */
    size_t n_acc = 0;
    if (n_occ) {
        mark = calloc(len, 1);
        if (!mark) goto done;
        qsort(occ, n_occ, sizeof *occ, cmp_occ);
        for (size_t k = 0; k < n_occ; k++) {
            occurrence o = occ[k];
            bool free_span = true;
            for (uint32_t j = 0; j < o.len && free_span; j++) free_span = !mark[o.start + j];
            if (!free_span) continue;
            memset(mark + o.start, 1, o.len);
            uint16_t attr = v->tok[o.token].attr;
            if (attr & QLM_ATTR_LSTRIP)
                for (size_t j = o.start; j > 0 && !mark[j - 1] && c_isspace(text[j - 1]); j--) mark[j - 1] = 2;
            if (attr & QLM_ATTR_RSTRIP)
                for (size_t j = o.start + o.len; j < len && !mark[j] && c_isspace(text[j]); j++) mark[j] = 2;
            occ[n_acc++] = o; /* k >= n_acc: compacting in place is safe */
        }
        qsort(occ, n_acc, sizeof *occ, cmp_occ_pos);
    }

    /* fragments in text order: free runs are text, claimed spans are tokens */
    f = malloc((2 * n_acc + 1) * sizeof *f);
    if (!f) goto done;
    size_t nf = 0, pos = 0;
    for (size_t k = 0; k <= n_acc; k++) {
        size_t end = k < n_acc ? occ[k].start : len;
        size_t a = pos;
        while (a < end) { /* text between tokens, minus stripped white space */
            while (a < end && mark && mark[a]) a++;
            size_t b = a;
            while (b < end && !(mark && mark[b])) b++;
            if (b > a) f[nf++] = (fragment){(uint32_t)a, (uint32_t)(b - a), -1};
            a = b;
        }
        if (k < n_acc) {
            f[nf++] = (fragment){occ[k].start, occ[k].len, occ[k].token};
            pos = occ[k].start + occ[k].len;
        }
    }
    *frags = f;
    *n_frags = nf;
    f = NULL;
    rc = QLM_OK;
done:
    free(occ);
    free(mark);
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
