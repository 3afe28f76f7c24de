/* Vocabulary and tokenizers, built from a GGUF file's tokenizer.* metadata.
 *
 * One qlm_vocab serves every tokenizer model: SentencePiece-style ("llama": scores,
 * byte fallback, U+2581 for spaces), byte-level BPE ("gpt2": merge ranks and a
 * pre-tokenizer named by tokenizer.ggml.pre) and WordPiece ("bert"). The public
 * qlm_tokenize / qlm_token_bytes / qlm_detok_* functions of qlm.h are thin wrappers
 * over this file's functions (model/vocab*.c). */
#ifndef QLM_VOCAB_H
#define QLM_VOCAB_H

#include "gguf.h"

typedef struct qlm_vocab qlm_vocab;

/* Token types as stored in tokenizer.ggml.token_type (llama.cpp's values). */
enum {
    QLM_TOKEN_UNDEFINED = 0, QLM_TOKEN_NORMAL = 1, QLM_TOKEN_UNKNOWN = 2,
    QLM_TOKEN_CONTROL = 3, QLM_TOKEN_USER_DEFINED = 4, QLM_TOKEN_UNUSED = 5,
    QLM_TOKEN_BYTE = 6
};

/* Builds the vocabulary; *out = NULL (and QLM_OK) when the file has no tokenizer.
 * Every id, count and string from the file is validated. The vocab copies what it
 * needs, so it does not depend on the gguf staying open. */
qlm_status qlm_vocab_load(const qlm_gguf *g, qlm_vocab **out, qlm_error *err);
void qlm_vocab_free(qlm_vocab *v);

int qlm_vocab_size(const qlm_vocab *v);
const char *qlm_vocab_model_name(const qlm_vocab *v); /* "llama", "gpt2", "bert" */
int32_t qlm_vocab_bos(const qlm_vocab *v);   /* -1 if none */
int32_t qlm_vocab_eos(const qlm_vocab *v);   /* -1 if none */
bool qlm_vocab_add_bos(const qlm_vocab *v);  /* tokenizer.ggml.add_bos_token, with the model's default */
/* True for ids that end generation (EOS, EOT, <|im_end|>, ...). */
bool qlm_vocab_is_eog(const qlm_vocab *v, int32_t id);

/* Same contract as qlm_tokenize in qlm.h (flags QLM_TOK_*), except that a failure
 * returns -(qlm_status): -QLM_ERR_NOMEM, or -QLM_ERR_INVALID_ARG for bad arguments or a
 * text of more than INT_MAX - 16 bytes.
 * QLM_TOK_ADD_BOS adds the special tokens the vocabulary asks for, as llama.cpp's
 * add_special does: BOS when tokenizer.ggml.add_bos_token is true (the default for
 * SentencePiece), EOS when add_eos_token is true; WordPiece wraps the text in
 * [CLS] ... [SEP]. User-defined tokens (e.g. MPT's runs of spaces) are matched in the
 * text even without QLM_TOK_PARSE_SPECIAL, as in llama.cpp.
 * Bytes that are not valid UTF-8 are kept: SentencePiece spells them with byte tokens
 * (as llama.cpp does) and byte-level BPE maps them like any byte (where llama.cpp would
 * substitute U+FFFD), so decoding gives them back; WordPiece drops them, as BERT does. */
int qlm_vocab_tokenize(const qlm_vocab *v, const char *text, size_t len, unsigned flags,
                       int32_t *out, int cap);
/* Same contract as qlm_token_bytes in qlm.h. */
int qlm_vocab_token_bytes(const qlm_vocab *v, int32_t id, bool special, char *buf, int cap);

/* The streaming detokenizer of qlm.h over a vocabulary (qlm_detok_new is this with the
 * model's vocabulary). NULL when v is NULL or memory runs out. */
qlm_detok *qlm_detok_new_vocab(const qlm_vocab *v);

#endif
