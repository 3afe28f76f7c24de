/* The hf_vocab being built (model/hf_tokenizer.h): storage, added tokens, text index. */
#include "hf_tokenizer.h"
#include "vocab_internal.h"
#include "../ggml-like/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hf_vocab_free(hf_vocab *v) {
    qlm_buf_free(&v->text);
    qlm_buf_free(&v->merges);
    free(v->off);
    free(v->len);
    free(v->type);
    free(v->score);
    free(v->added);
    free(v->special);
    free(v->merge_off);
    memset(v, 0, sizeof *v);
}

static bool grow(void **p, size_t elem, int32_t n) {
    void *q = realloc(*p, (size_t)n * elem);
    if (!q) return false;
    *p = q;
    return true;
}

qlm_status hf_vocab_resize(hf_vocab *v, int32_t n, bool scores, float pad_score, qlm_error *err) {
    if (n < v->n || n > HF_MAX_TOKENS) return qlm_set_error(err, QLM_ERR_INVALID_ARG, "bad vocabulary size %d", (int)n);
    if (n == v->n) return QLM_OK;
    if (!grow((void **)&v->off, sizeof *v->off, n) || !grow((void **)&v->len, sizeof *v->len, n) ||
        !grow((void **)&v->type, sizeof *v->type, n) || !grow((void **)&v->added, sizeof *v->added, n) ||
        !grow((void **)&v->special, sizeof *v->special, n) ||
        ((scores || v->score) && !grow((void **)&v->score, sizeof *v->score, n)))
        return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for %d tokens", (int)n);
    for (int32_t i = v->n; i < n; i++) {
        /* llama.cpp's name for an id the tokenizer leaves unused */
        char name[32];
        int len = snprintf(name, sizeof name, "[PAD%d]", (int)i);
        v->off[i] = v->text.len;
        v->len[i] = (uint32_t)len;
        qlm_buf_put(&v->text, name, (size_t)len);
        v->type[i] = HF_TT_UNUSED;
        v->added[i] = v->special[i] = false;
        if (v->score) v->score[i] = pad_score;
    }
    v->n = n;
    if (v->text.oom) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for the token texts");
    return QLM_OK;
}

void hf_vocab_set_text(hf_vocab *v, int32_t id, const char *s, size_t n) {
    v->off[id] = v->text.len;
    v->len[id] = (uint32_t)n;
    qlm_buf_put(&v->text, s, n);
}

bool hf_token_looks_special(const char *s, size_t n) {
#define EQ(lit) (n == sizeof(lit) - 1 && !memcmp(s, lit, n))
#define STARTS(lit) (n >= sizeof(lit) - 1 && !memcmp(s, lit, sizeof(lit) - 1))
#define ENDS(lit) (n >= sizeof(lit) - 1 && !memcmp(s + n - (sizeof(lit) - 1), lit, sizeof(lit) - 1))
    /* tokens some models mark as not special although they are (deepseek-coder, gemma) */
    if (EQ("<pad>") || EQ("<mask>") || EQ("<2mass>") || EQ("[@BOS@]")) return true;
    if (n >= 4 && STARTS("<|") && ENDS("|>")) return true;
    /* deepseek's full-width bars: <｜ ... ｜> */
    if (n >= 8 && STARTS("<\xef\xbd\x9c") && ENDS("\xef\xbd\x9c>")) return true;
    if (STARTS("<unused") && ENDS(">")) return true;
    return false;
#undef EQ
#undef STARTS
#undef ENDS
}

void hf_vocab_set_added(hf_vocab *v, int32_t id, const char *s, size_t n, bool special) {
    v->added[id] = true;
    v->special[id] = special;
    if (special || hf_token_looks_special(s, n)) {
        hf_vocab_set_text(v, id, s, n);
        v->type[id] = HF_TT_CONTROL;
    } else {
        /* llama.cpp matches user-defined tokens in the raw text, where spaces are still
         * spaces: it writes them with U+2581 turned back into a space */
        v->off[id] = v->text.len;
        for (size_t i = 0; i < n;) {
            if (i + 3 <= n && !memcmp(s + i, "\xe2\x96\x81", 3)) {
                qlm_buf_putc(&v->text, ' ');
                i += 3;
            } else {
                qlm_buf_putc(&v->text, s[i++]);
            }
        }
        v->len[id] = (uint32_t)(v->text.len - v->off[id]);
        v->type[id] = HF_TT_USER_DEFINED;
    }
    if (v->score) v->score[id] = -1000.0f;
}

/* ---- text index ----------------------------------------------------------------------- */

qlm_status hf_index_build(hf_index *ix, const hf_vocab *v, const char *fname, qlm_error *err) {
    uint32_t size = 16;
    while (size < 2u * (uint32_t)v->n) size <<= 1;
    ix->slot = calloc(size, sizeof *ix->slot);
    if (!ix->slot) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for the token index");
    ix->mask = size - 1;
    for (int32_t id = 0; id < v->n; id++) {
        const char *t = hf_tok_text(v, id);
        uint32_t i = (uint32_t)qlm_vocab_hash(t, v->len[id]) & ix->mask;
        while (ix->slot[i]) {
            int32_t o = (int32_t)ix->slot[i] - 1;
            if (v->len[o] == v->len[id] && !memcmp(hf_tok_text(v, o), t, v->len[id])) {
                qlm_status rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s: token '%.*s' has two ids, %d and %d", fname,
                                              (int)(v->len[id] > 60 ? 60 : v->len[id]), t, (int)o, (int)id);
                hf_index_free(ix);
                return rc;
            }
            i = (i + 1) & ix->mask;
        }
        ix->slot[i] = (uint32_t)id + 1;
    }
    return QLM_OK;
}

int32_t hf_index_find(const hf_index *ix, const hf_vocab *v, const char *s, size_t n) {
    uint32_t i = (uint32_t)qlm_vocab_hash(s, n) & ix->mask;
    for (;;) {
        uint32_t e = ix->slot[i];
        if (!e) return -1;
        int32_t id = (int32_t)e - 1;
        if (v->len[id] == n && !memcmp(hf_tok_text(v, id), s, n)) return id;
        i = (i + 1) & ix->mask;
    }
}

void hf_index_free(hf_index *ix) {
    free(ix->slot);
    ix->slot = NULL;
}
