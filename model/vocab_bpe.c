/* Byte-level BPE (tokenizer.ggml.model = "gpt2"), as llama.cpp runs it: the
 * pre-tokenizer cuts the text into words; each word's bytes are spelled with GPT-2's
 * printable byte map, cut into characters, and adjacent pairs are merged in order of
 * their merge rank (lowest first, leftmost on ties) until no listed pair remains. */
#include "vocab_internal.h"
#include "unicode.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int32_t rank;
    int32_t left, right;
    uint32_t size;
} bigram;

static inline bool better(const bigram *a, const bigram *b) {
    return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static void heap_push(bigram *h, size_t *n, bigram b) {
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!better(&b, &h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = b;
}

static bigram heap_pop(bigram *h, size_t *n) {
    bigram top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && better(&h[c + 1], &h[c])) c++;
        if (!better(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = last;
    return top;
}

/* Scratch space for one word, reused across the words of a text. */
typedef struct {
    uint32_t *start, *len;
    int32_t *prev, *next;
    bigram *heap;
    size_t cap; /* symbols */
} bpe_scratch;

static void try_pair(const qlm_vocab *v, const char *w, bpe_scratch *sc, size_t *nh, int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    int32_t rank = qlm_vocab_merge_rank(v, w + sc->start[l], sc->len[l], w + sc->start[r], sc->len[r]);
    if (rank < 0) return;
    heap_push(sc->heap, nh, (bigram){rank, l, r, sc->len[l] + sc->len[r]});
}

/* Merge one byte-encoded word w[0..n) and emit its tokens. */
static void bpe_word(const qlm_vocab *v, const char *w, size_t n, bpe_scratch *sc, qlm_tok_sink *s) {
    if (v->ignore_merges) {
        int32_t id = qlm_vocab_find(v, w, n);
        if (id >= 0) { qlm_sink_push(s, id); return; }
    }
    int32_t ns = 0;
    for (size_t off = 0; off < n; ns++) {
        size_t l = (size_t)qlm_uc_utf8_len((uint8_t)w[off]);
        if (l > n - off) l = n - off;
        sc->start[ns] = (uint32_t)off;
        sc->len[ns] = (uint32_t)l;
        sc->prev[ns] = ns - 1;
        off += l;
        sc->next[ns] = off == n ? -1 : ns + 1;
    }
    size_t nh = 0;
    for (int32_t i = 1; i < ns; i++) try_pair(v, w, sc, &nh, i - 1, i);
    while (nh) {
        bigram b = heap_pop(sc->heap, &nh);
        int32_t l = b.left, r = b.right;
        /* stale: a side was merged away or grew since the pair was queued */
        if (!sc->len[l] || !sc->len[r] || sc->len[l] + sc->len[r] != b.size) continue;
        sc->len[l] += sc->len[r];
        sc->len[r] = 0;
        sc->next[l] = sc->next[r];
        if (sc->next[r] >= 0) sc->prev[sc->next[r]] = l;
        try_pair(v, w, sc, &nh, sc->prev[l], l);
        try_pair(v, w, sc, &nh, l, sc->next[l]);
    }
    for (int32_t i = 0; i != -1; i = sc->next[i]) {
        int32_t id = qlm_vocab_find(v, w + sc->start[i], sc->len[i]);
        if (id >= 0) {
            qlm_sink_push(s, id);
            continue;
        }
        /* not a token (a vocabulary missing a base character): llama.cpp then looks up
         * each byte of the spelled text on its own and drops those that are no token */
        for (uint32_t j = 0; j < sc->len[i]; j++) {
            int32_t bt = qlm_vocab_find(v, w + sc->start[i] + j, 1);
            if (bt >= 0) qlm_sink_push(s, bt);
        }
    }
}

static bool scratch_reserve(bpe_scratch *sc, size_t n) {
    if (n <= sc->cap) return true;
    size_t c = n < 64 ? 64 : n;
    uint32_t *st = realloc(sc->start, c * sizeof *st);
    if (st) sc->start = st;
    uint32_t *ln = realloc(sc->len, c * sizeof *ln);
    if (ln) sc->len = ln;
    int32_t *pv = realloc(sc->prev, c * sizeof *pv);
    if (pv) sc->prev = pv;
    int32_t *nx = realloc(sc->next, c * sizeof *nx);
    if (nx) sc->next = nx;
    bigram *h = realloc(sc->heap, 3 * c * sizeof *h);
    if (h) sc->heap = h;
    if (!st || !ln || !pv || !nx || !h) return false;
    sc->cap = c;
    return true;
}

qlm_status qlm_bpe_encode(const qlm_vocab *v, const char *text, size_t len, qlm_tok_sink *s) {
    qlm_ucp *cps = NULL;
    uint32_t *words = NULL;
    size_t n_cps, n_words;
    qlm_status rc = qlm_pretokenize(v->pre, text, len, &cps, &n_cps, &words, &n_words);
    if (rc) return rc;
    bpe_scratch sc = {0};
    char *w = NULL;
    size_t w_cap = 0;
    size_t c0 = 0;
    rc = QLM_ERR_NOMEM;
    for (size_t k = 0; k < n_words; k++) {
        size_t c1 = c0 + words[k];
        size_t b0 = cps[c0].off, b1 = cps[c1 - 1].off + cps[c1 - 1].len;
        /* every byte becomes one character of at most 2 UTF-8 bytes */
        size_t need = 2 * (b1 - b0);
        if (need > w_cap) {
            char *t = realloc(w, need);
            if (!t) goto done;
            w = t;
            w_cap = need;
        }
        size_t wn = 0;
        for (size_t i = b0; i < b1; i++) wn += (size_t)qlm_uc_utf8_encode(qlm_gpt2_byte_to_cp((uint8_t)text[i]), w + wn);
        if (!scratch_reserve(&sc, wn)) goto done;
        bpe_word(v, w, wn, &sc, s);
        c0 = c1;
    }
    rc = QLM_OK;
done:
    free(cps);
    free(words);
    free(w);
    free(sc.start);
    free(sc.len);
    free(sc.prev);
    free(sc.next);
    free(sc.heap);
    return rc;
}
