/* SentencePiece-style tokenization (tokenizer.ggml.model = "llama"), llama.cpp's SPM
 * algorithm: spaces become U+2581, the text is cut into UTF-8 characters, and adjacent
 * pairs are merged greedily, best score first, as long as the merged text is a token.
 * Whatever is left that is not a token is spelled with byte tokens (<0xXX>).
 *
 * Candidate merges live in a binary heap; a merge that went stale (one side was merged
 * elsewhere meanwhile) is recognized by its size and skipped, so the whole run is
 * O(n log n) in the text length. */
#include "vocab_internal.h"
#include "unicode.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    float score;
    int32_t left, right;
    uint32_t size; /* bytes of left + right when the pair was queued */
} bigram;

/* heap order: higher score first, then the leftmost pair */
static inline bool better(const bigram *a, const bigram *b) {
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

typedef struct {
    bigram *h;
    size_t n;
} heap;

static void heap_push(heap *q, bigram b) {
    size_t i = q->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!better(&b, &q->h[p])) break;
        q->h[i] = q->h[p];
        i = p;
    }
    q->h[i] = b;
}

static bigram heap_pop(heap *q) {
    bigram top = q->h[0], last = q->h[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n) break;
        if (c + 1 < q->n && better(&q->h[c + 1], &q->h[c])) c++;
        if (!better(&q->h[c], &last)) break;
        q->h[i] = q->h[c];
        i = c;
    }
    if (q->n) q->h[i] = last;
    return top;
}

typedef struct {
    const qlm_vocab *v;
    const char *text;
    uint32_t *start, *len; /* symbol i is text[start[i] .. start[i] + len[i]); len 0 = merged away */
    int32_t *prev, *next;
    heap q;
} spm_state;

static void try_pair(spm_state *st, int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    uint32_t size = st->len[l] + st->len[r];
    int32_t id = qlm_vocab_find(st->v, st->text + st->start[l], size);
    if (id < 0) return;
    heap_push(&st->q, (bigram){st->v->tok[id].score, l, r, size});
}

qlm_status qlm_spm_encode(const qlm_vocab *v, const char *text, size_t len, bool space_prefix, qlm_tok_sink *s) {
    /* escaped text: U+2581 for every space, and one in front if asked */
    size_t n_spaces = 0;
    for (size_t i = 0; i < len; i++) n_spaces += text[i] == ' ';
    size_t n = len + 2 * n_spaces + 3 * space_prefix; /* ' ' (1 byte) -> U+2581 (3 bytes) */
    if (n == 0) return QLM_OK;
    char *buf = malloc(n);
    uint32_t *start = malloc(n * sizeof *start), *slen = malloc(n * sizeof *slen);
    int32_t *prev = malloc(n * sizeof *prev), *next = malloc(n * sizeof *next);
    /* each merge queues at most two new pairs: n - 1 + 2 (n - 1) entries in all */
    bigram *h = malloc(3 * n * sizeof *h);
    qlm_status rc = QLM_ERR_NOMEM;
    if (!buf || !start || !slen || !prev || !next || !h) goto done;
    size_t k = 0;
    if (space_prefix) { memcpy(buf, "\xe2\x96\x81", 3); k = 3; }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') { memcpy(buf + k, "\xe2\x96\x81", 3); k += 3; }
        else buf[k++] = text[i];
    }

    /* characters by their lead byte (llama.cpp's rule; a truncated one ends the text) */
    int32_t ns = 0;
    for (size_t off = 0; off < n; ns++) {
        size_t l = (size_t)qlm_uc_utf8_len((uint8_t)buf[off]);
        if (l > n - off) l = n - off;
        start[ns] = (uint32_t)off;
        slen[ns] = (uint32_t)l;
        prev[ns] = ns - 1;
        off += l;
        next[ns] = off == n ? -1 : ns + 1;
    }

    spm_state st = {v, buf, start, slen, prev, next, {h, 0}};
    for (int32_t i = 1; i < ns; i++) try_pair(&st, i - 1, i);
    while (st.q.n) {
        bigram b = heap_pop(&st.q);
        int32_t l = b.left, r = b.right;
        if (!slen[l] || !slen[r] || slen[l] + slen[r] != b.size) continue; /* stale */
        slen[l] += slen[r];
        slen[r] = 0;
        next[l] = next[r];
        if (next[r] >= 0) prev[next[r]] = l;
        try_pair(&st, prev[l], l);
        try_pair(&st, l, next[l]);
    }

    for (int32_t i = 0; i != -1; i = next[i]) {
        int32_t id = qlm_vocab_find(v, buf + start[i], slen[i]);
        if (id >= 0) {
            qlm_sink_push(s, id);
            continue;
        }
        /* byte fallback; a vocabulary without the byte's token falls back to <unk> */
        for (uint32_t j = 0; j < slen[i]; j++) {
            int32_t bt = v->byte_token[(uint8_t)buf[start[i] + j]];
            if (bt < 0) bt = v->unk;
            if (bt >= 0) qlm_sink_push(s, bt);
        }
    }
    rc = QLM_OK;
done:
    free(buf);
    free(start);
    free(slen);
    free(prev);
    free(next);
    free(h);
    return rc;
}
