/* WordPiece (tokenizer.ggml.model = "bert"), as llama.cpp runs it.
 *
 * Normalization (BERT's): optionally map each character to the first code point of
 * its NFD form and drop combining marks (strip_accents), drop control characters,
 * lowercase; split at white space, and make every punctuation mark, ASCII symbol and
 * CJK ideograph a word of its own. Each word gets a U+2581 prefix (GGUF files store
 * word-initial pieces with it and continuation pieces bare) and is covered greedily by
 * the longest tokens from left to right; a word that cannot be covered becomes [UNK]. */
#include "vocab_internal.h"
#include "unicode.h"

#include <stdlib.h>
#include <string.h>

static bool is_chinese_char(uint32_t cp) {
    /* the ranges BERT's tokenizer uses (0x2B920 rather than 0x2B820 as in HF's code) */
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
           (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

/* Cover "▁" + word greedily with the longest tokens; push [UNK] if that fails. */
static void wpm_word(const qlm_vocab *v, const char *w, size_t n, qlm_tok_sink *s) {
    int before = s->n;
    size_t i = 0;
    while (i < n) {
        size_t jmax = n - i < (size_t)v->max_token_len ? n : i + (size_t)v->max_token_len;
        int32_t id = -1;
        size_t j;
        for (j = jmax; j > i; j--)
            if ((id = qlm_vocab_find(v, w + i, j - i)) >= 0) break;
        if (id < 0) {
            s->n = before; /* drop the partial cover of this word */
            break;
        }
        qlm_sink_push(s, id);
        i = j;
    }
    if (s->n == before && v->unk >= 0) qlm_sink_push(s, v->unk);
}

qlm_status qlm_wpm_encode(const qlm_vocab *v, const char *text, size_t len, qlm_tok_sink *s) {
    /* a word is at most the whole text, lowercased (up to 4 bytes per byte), plus "▁" */
    size_t cap = 4 * len + 3;
    char *w = malloc(cap);
    if (!w) return QLM_ERR_NOMEM;
    memcpy(w, "\xe2\x96\x81", 3);
    size_t wn = 3; /* bytes in w, the prefix included */
    const uint8_t *t = (const uint8_t *)text;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int l = qlm_uc_utf8_decode(t + i, len - i, &cp);
        if (!l) { cp = 0xFFFD; l = 1; } /* invalid bytes are dropped below, like U+FFFD */
        i += (size_t)l;
        if (v->strip_accents) cp = qlm_uc_nfd_first(cp);
        if (qlm_uc_is_space(cp)) {
            if (wn > 3) wpm_word(v, w, wn, s);
            wn = 3;
            continue;
        }
        int cat = qlm_uc_category(cp);
        if (cp == 0 || cp == 0xFFFD || cat == QLM_UC_OTHER) continue;
        if (v->strip_accents && cat == QLM_UC_MARK) continue;
        uint32_t out = v->lowercase ? qlm_uc_tolower(cp) : cp;
        char enc[4];
        int el = qlm_uc_utf8_encode(out, enc);
        if (cat == QLM_UC_PUNCT || (cp < 0x7F && cat == QLM_UC_SYMBOL) || is_chinese_char(cp)) {
            if (wn > 3) wpm_word(v, w, wn, s);
            memcpy(w + 3, enc, (size_t)el);
            wpm_word(v, w, 3 + (size_t)el, s);
            wn = 3;
        } else {
            memcpy(w + wn, enc, (size_t)el);
            wn += (size_t)el;
        }
    }
    if (wn > 3) wpm_word(v, w, wn, s);
    free(w);
    return QLM_OK;
}
