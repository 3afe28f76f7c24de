/* Hugging Face tokenizer import (model/hf_tokenizer.h), the converter's reading of a
 * checkpoint's tokenizer files. The first input byte picks the file:
 *   even: tokenizer.json text (parsed, then hf_vocab_from_json);
 *   odd:  a SentencePiece tokenizer.model protobuf (hf_vocab_from_spm).
 * A vocabulary that is built is indexed (hf_index_build), as the converter does next.
 *
 * Properties: every token has its text inside the text buffer, a type 1..6, and the
 * index finds each token whose text is unique; merges lie inside their buffer. */
#include "fuzz.h"
#include "../../model/hf_tokenizer.h"

#include <string.h>

static void check_vocab(const hf_vocab *v) {
    FUZZ_CHECK(v->n >= 0 && v->n <= HF_MAX_TOKENS, "token count %d", v->n);
    for (int32_t i = 0; i < v->n; i++) {
        FUZZ_CHECK(v->off[i] + v->len[i] <= v->text.len, "token %d text outside the buffer", i);
        FUZZ_CHECK(v->type[i] >= HF_TT_NORMAL && v->type[i] <= HF_TT_BYTE, "token %d type %d", i, v->type[i]);
    }
    FUZZ_CHECK(v->unk_id >= -1 && v->unk_id < v->n, "unk id %d", v->unk_id);
    for (int64_t m = 0; m < v->n_merges; m++)
        FUZZ_CHECK(v->merge_off[m] <= v->merge_off[m + 1] && v->merge_off[m + 1] <= v->merges.len, "merge %lld",
                   (long long)m);
    hf_index ix = {0};
    qlm_error err = {0};
    if (hf_index_build(&ix, v, "fuzz", &err) == QLM_OK) {
        for (int32_t i = 0; i < v->n; i++)
            FUZZ_CHECK(hf_index_find(&ix, v, hf_tok_text(v, i), v->len[i]) == i, "token %d not found by its text", i);
        hf_index_free(&ix);
    } else {
        FUZZ_CHECK(err.message[0], "index error without a message");
    }
}

int fuzz_hf_tokenizer(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    hf_vocab v = {0};
    qlm_error err = {0};
    qlm_status rc;
    if (!(data[0] & 1)) {
        qlm_json_doc *doc = NULL;
        if (qlm_json_parse((const char *)data + 1, size - 1, NULL, &doc, &err) != QLM_OK) return 0;
        rc = hf_vocab_from_json(qlm_json_root(doc), "tokenizer.json", &v, &err);
        if (rc == QLM_OK) check_vocab(&v);
        qlm_json_free(doc);
    } else {
        rc = hf_vocab_from_spm(data + 1, size - 1, "tokenizer.model", &v, &err);
        if (rc == QLM_OK) check_vocab(&v);
    }
    if (rc != QLM_OK) FUZZ_CHECK(err.code != QLM_OK && err.message[0], "error without a message");
    hf_vocab_free(&v);
    return 0;
}

FUZZ_MAIN(fuzz_hf_tokenizer)
