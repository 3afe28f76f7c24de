/* The tokenizer functions of qlm.h: thin wrappers that reach the model's vocabulary. */
#include "model.h"
#include "../ggml-like/error.h"

#include <limits.h>

int qlm_tokenize(const qlm_model *m, const char *text, size_t len, unsigned flags, int32_t *out, int cap,
                 qlm_error *err) {
    if (!m) {
        qlm_set_error(err, QLM_ERR_INVALID_ARG, "qlm_tokenize: no model");
        return -1;
    }
    if (!m->vocab) {
        qlm_set_error(err, QLM_ERR_UNSUPPORTED, "the model has no tokenizer (tokenizer.ggml.model is absent or 'none')");
        return -1;
    }
    if (flags & ~(unsigned)(QLM_TOK_ADD_BOS | QLM_TOK_PARSE_SPECIAL)) {
        qlm_set_error(err, QLM_ERR_INVALID_ARG, "qlm_tokenize: unknown flags 0x%x", flags);
        return -1;
    }
    if ((len && !text) || cap < 0 || (cap > 0 && !out)) {
        qlm_set_error(err, QLM_ERR_INVALID_ARG, "qlm_tokenize: NULL buffer or negative capacity");
        return -1;
    }
    int n = qlm_vocab_tokenize(m->vocab, text, len, flags, out, cap);
    if (n < 0) {
        if (n == -(int)QLM_ERR_NOMEM)
            qlm_set_error(err, QLM_ERR_NOMEM, "out of memory while tokenizing %zu bytes", len);
        else
            qlm_set_error(err, QLM_ERR_INVALID_ARG, "cannot tokenize a text of %zu bytes (at most %d)", len, INT_MAX - 16);
        return -1;
    }
    return n;
}

int qlm_token_bytes(const qlm_model *m, int32_t token, bool special, char *buf, int cap) {
    if (!m || !m->vocab) return -1;
    return qlm_vocab_token_bytes(m->vocab, token, special, buf, cap);
}

qlm_detok *qlm_detok_new(const qlm_model *m) {
    return m ? qlm_detok_new_vocab(m->vocab) : NULL;
}
