/* From tokens back to text: the bytes of one token, and a streaming detokenizer that
 * only hands out whole UTF-8 characters. */
#include "vocab_internal.h"
#include "unicode.h"

#include <stdlib.h>
#include <string.h>

/* Append p[0..n) to buf within cap; returns the new logical length. */
static int put(char *buf, int cap, int at, const void *p, size_t n) {
    if (at < cap) memcpy(buf + at, p, (size_t)(cap - at) < n ? (size_t)(cap - at) : n);
    return at + (int)n;
}

int qlm_vocab_token_bytes(const qlm_vocab *v, int32_t id, bool special, char *buf, int cap) {
    if (!v || id < 0 || id >= v->n || cap < 0 || (cap > 0 && !buf)) return -1;
    const qlm_vtoken *t = &v->tok[id];
    const char *s = v->text + t->off;
    if (!special && (t->attr & (QLM_ATTR_CONTROL | QLM_ATTR_UNKNOWN))) return 0;
    if (t->attr & QLM_ATTR_SPECIAL) return put(buf, cap, 0, s, t->len); /* verbatim */
    if (t->attr & QLM_ATTR_NORMAL) {
        int n = 0;
        if (v->kind == QLM_VOCAB_BPE) {
            /* undo the byte map: each character stands for one byte */
            const uint8_t *u = (const uint8_t *)s;
            for (size_t i = 0; i < t->len;) {
                uint32_t cp;
                int l = qlm_uc_utf8_decode(u + i, t->len - i, &cp);
                int b = l ? qlm_gpt2_cp_to_byte(cp) : -1;
                if (b >= 0) {
                    char c = (char)b;
                    n = put(buf, cap, n, &c, 1);
                } else { /* not a byte-map character: keep it as written */
                    if (!l) l = 1;
                    n = put(buf, cap, n, u + i, (size_t)l);
                }
                i += (size_t)l;
            }
            return n;
        }
        /* SentencePiece and WordPiece: U+2581 stands for a space */
        for (size_t i = 0; i < t->len;) {
            if (t->len - i >= 3 && !memcmp(s + i, "\xe2\x96\x81", 3)) {
                n = put(buf, cap, n, " ", 1);
                i += 3;
            } else {
                n = put(buf, cap, n, s + i, 1);
                i++;
            }
        }
        return n;
    }
    if (t->attr & QLM_ATTR_BYTE) {
        /* "<0xXX>", checked at load */
        static const char hex[] = "0123456789abcdef";
        int hi = (int)(strchr(hex, s[3] | 0x20) - hex), lo = (int)(strchr(hex, s[4] | 0x20) - hex);
        char c = (char)(hi * 16 + lo);
        return put(buf, cap, 0, &c, 1);
    }
    return 0; /* undefined and unused tokens have no text */
}

/* ---- streaming ------------------------------------------------------------------ */

struct qlm_detok {
    const qlm_vocab *v;
    bool strip_space; /* the first piece of text still has to lose its leading space */
    char *pend;       /* bytes of an incomplete character, waiting for the rest */
    size_t n_pend, cap_pend;
    char *out;        /* what the last call returned */
    size_t cap_out;
};

qlm_detok *qlm_detok_new_vocab(const qlm_vocab *v) {
    if (!v) return NULL;
    qlm_detok *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->v = v;
    d->strip_space = v->add_space_prefix;
    d->out = malloc(64);
    if (!d->out) { free(d); return NULL; }
    d->cap_out = 64;
    d->out[0] = 0;
    return d;
}

void qlm_detok_free(qlm_detok *d) {
    if (!d) return;
    free(d->pend);
    free(d->out);
    free(d);
}

static bool reserve(char **p, size_t *cap, size_t need) {
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    char *t = realloc(*p, c);
    if (!t) return false;
    *p = t;
    *cap = c;
    return true;
}

/* How many leading bytes of b[0..n) can be handed out: all but a trailing sequence that
 * is a valid start of a UTF-8 character still missing bytes. Anything that can never
 * become valid goes out as it is. */
static size_t complete_prefix(const uint8_t *b, size_t n) {
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        uint8_t c = b[n - back];
        if ((c & 0xC0) == 0x80) continue; /* continuation: look further back */
        size_t need = c >= 0xF8 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
        return need > back ? n - back : n;
    }
    return n;
}

static const char *hand_out(qlm_detok *d, size_t k) {
    if (!reserve(&d->out, &d->cap_out, k + 1)) return "";
    if (k) {
        memcpy(d->out, d->pend, k);
        memmove(d->pend, d->pend + k, d->n_pend - k);
        d->n_pend -= k;
    }
    d->out[k] = 0;
    return d->out;
}

const char *qlm_detok_push(qlm_detok *d, int32_t token) {
    if (!d) return "";
    int n = qlm_vocab_token_bytes(d->v, token, false, NULL, 0);
    if (n <= 0) return "";
    if (!reserve(&d->pend, &d->cap_pend, d->n_pend + (size_t)n)) return "";
    char *p = d->pend + d->n_pend;
    qlm_vocab_token_bytes(d->v, token, false, p, n);
    if (d->strip_space) {
        /* SentencePiece put a space before the first word; printed text starts without it */
        d->strip_space = false;
        if (p[0] == ' ') { memmove(p, p + 1, (size_t)n - 1); n--; }
    }
    d->n_pend += (size_t)n;
    return hand_out(d, complete_prefix((const uint8_t *)d->pend, d->n_pend));
}

const char *qlm_detok_flush(qlm_detok *d) {
    if (!d) return "";
    return hand_out(d, d->n_pend);
}
