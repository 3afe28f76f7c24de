/* Tokenizer metadata for synthetic models: a SentencePiece-style ("llama") vocabulary
 * that both qlm and llama.cpp load. Ids 0-2 are <unk>, <s>, </s>; ids 3-258 are the
 * byte tokens <0x00>..<0xFF> (byte fallback, so any text tokenizes); the rest are
 * distinct filler pieces "▁", "▁a", "a", "▁b", ..., "▁aa", "aa", ... with scores that
 * prefer shorter, earlier pieces. Only ids and sizes matter to a benchmark; the pieces
 * just have to be valid, unique and tokenizable. */
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPACE "\xe2\x96\x81" /* U+2581, SentencePiece's word-boundary mark */

enum { TOK_NORMAL = 1, TOK_UNKNOWN = 2, TOK_CONTROL = 3, TOK_BYTE = 6 };

/* Filler piece k (k = 0, 1, ...): "▁", then for each length L = 1, 2, ... every word of
 * L letters a-z in order, each first with and then without the "▁" prefix. Writes the
 * piece to out (room for 3 + 8 bytes) and returns its length. */
static size_t filler(uint64_t k, char *out) {
    if (k == 0) { memcpy(out, SPACE, 3); return 3; }
    k--;
    uint64_t count = 26; /* words of length L */
    int L = 1;
    while (k >= 2 * count) { k -= 2 * count; count *= 26; L++; }
    bool prefixed = (k % 2) == 0;
    uint64_t w = k / 2;
    size_t n = 0;
    if (prefixed) { memcpy(out, SPACE, 3); n = 3; }
    for (int i = L - 1; i >= 0; i--) { out[n + (size_t)i] = (char)('a' + w % 26); w /= 26; }
    return n + (size_t)L;
}

qlm_status synth_write_vocab(qlm_gguf_writer *w, int n_vocab, qlm_error *err) {
    if (n_vocab < SYNTH_MIN_VOCAB)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "vocabulary of %d: a synthetic vocabulary needs at least %d tokens",
                             n_vocab, SYNTH_MIN_VOCAB);
    size_t n = (size_t)n_vocab;
    const char **strs = malloc(n * sizeof *strs);
    size_t *lens = malloc(n * sizeof *lens);
    float *scores = malloc(n * sizeof *scores);
    int32_t *types = malloc(n * sizeof *types);
    char *text = malloc(n * 16); /* every piece is at most 3 + 5 letters (26^5 >> 2^24) */
    if (!strs || !lens || !scores || !types || !text) {
        free(strs); free(lens); free(scores); free(types); free(text);
        return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for a vocabulary of %d tokens", n_vocab);
    }
    static const char *special[3] = {"<unk>", "<s>", "</s>"};
    static const int32_t special_type[3] = {TOK_UNKNOWN, TOK_CONTROL, TOK_CONTROL};
    for (size_t i = 0; i < n; i++) {
        char *p = text + i * 16;
        strs[i] = p;
        scores[i] = 0.0f;
        if (i < 3) {
            lens[i] = strlen(special[i]);
            memcpy(p, special[i], lens[i]);
            types[i] = special_type[i];
        } else if (i < 259) {
            lens[i] = (size_t)snprintf(p, 16, "<0x%02X>", (unsigned)(i - 3));
            types[i] = TOK_BYTE;
        } else {
            lens[i] = filler(i - 259, p);
            types[i] = TOK_NORMAL;
            scores[i] = -(float)(i - 259);
        }
    }
    qlm_gguf_w_str(w, "tokenizer.ggml.model", "llama", 5);
    qlm_gguf_w_arr_str(w, "tokenizer.ggml.tokens", strs, lens, n);
    qlm_gguf_w_arr(w, "tokenizer.ggml.scores", GGUF_TYPE_F32, scores, n);
    qlm_gguf_w_arr(w, "tokenizer.ggml.token_type", GGUF_TYPE_I32, types, n);
    qlm_gguf_w_u32(w, "tokenizer.ggml.unknown_token_id", 0);
    qlm_gguf_w_u32(w, "tokenizer.ggml.bos_token_id", 1);
    qlm_gguf_w_u32(w, "tokenizer.ggml.eos_token_id", 2);
    qlm_gguf_w_bool(w, "tokenizer.ggml.add_bos_token", true);
    qlm_gguf_w_bool(w, "tokenizer.ggml.add_eos_token", false);
    free(strs); free(lens); free(scores); free(types); free(text);
    return QLM_OK;
}
