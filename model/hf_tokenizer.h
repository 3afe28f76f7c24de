/* Hugging Face tokenizers -> GGUF vocabulary metadata (tokenizer.ggml.*), as llama.cpp's
 * convert_hf_to_gguf.py writes it. Internal to the library; qlm.h exposes it through
 * qlm_convert_hf (the full converter, and vocab_only).
 *
 * Sources, read from a model folder:
 *   tokenizer.json          the vocabulary, merges, added tokens, normalizer and
 *                           pre-tokenizer (hf_tokenizer_json.c); or, when absent,
 *   tokenizer.model         a SentencePiece model protobuf (hf_spm_model.c);
 *   tokenizer_config.json   special tokens, add_bos/add_eos, chat template, and
 *                           added_tokens_decoder (which overrides the added tokens);
 *   chat_template.jinja / chat_template.json   the chat template of newer checkpoints;
 *   config.json             {bos,eos,...}_token_id when the tokenizer files give none.
 * Every id, count, type and string is checked; a problem is a one-line error that names
 * the file and the entry, and nothing is written. */
#ifndef QLM_HF_TOKENIZER_H
#define QLM_HF_TOKENIZER_H

#include "gguf_write.h"
#include "json.h"

/* Token types (llama.cpp's values, as in vocab.h). */
enum { HF_TT_NORMAL = 1, HF_TT_UNKNOWN = 2, HF_TT_CONTROL = 3, HF_TT_USER_DEFINED = 4, HF_TT_UNUSED = 5, HF_TT_BYTE = 6 };

/* Most tokens a vocabulary may have: far above any real one (Gemma 3: 262,145), low
 * enough that a hostile id cannot make us allocate gigabytes. */
#define HF_MAX_TOKENS (1 << 22)

/* A vocabulary being built. Token texts are appended to `text` (a token whose text is
 * replaced later gets a new offset; the old bytes stay unused). */
typedef struct {
    int32_t n;            /* tokens */
    qlm_buf text;         /* all texts */
    uint64_t *off;        /* [n] offsets into text */
    uint32_t *len;        /* [n] */
    int32_t *type;        /* [n] HF_TT_* */
    float *score;         /* [n], SentencePiece-style vocabularies only (else NULL) */
    bool *added;          /* [n] an added token (tokenizer.json added_tokens / decoder) */
    bool *special;        /* [n] an added token marked special */
    qlm_buf merges;       /* "left right" strings back to back (BPE) */
    uint64_t *merge_off;  /* [n_merges + 1] */
    int64_t n_merges;
    int32_t unk_id;       /* tokenizer.json's model.unk_token, -1: none */
    const char *model;    /* "gpt2" or "llama" (static string) */
    char pre[32];         /* tokenizer.ggml.pre */
    int add_space_prefix; /* -1: do not write; 0/1 */
    /* ids a SentencePiece model names itself (-1: none); used when nothing else does */
    int32_t spm_unk, spm_bos, spm_eos, spm_pad;
} hf_vocab;

void hf_vocab_free(hf_vocab *v);
static inline const char *hf_tok_text(const hf_vocab *v, int32_t id) { return v->text.p + v->off[id]; }

/* Grow (or first allocate) the per-token arrays to n tokens; new tokens are
 * "[PAD<id>]", UNUSED, with score `pad_score`. */
qlm_status hf_vocab_resize(hf_vocab *v, int32_t n, bool scores, float pad_score, qlm_error *err);
/* Replace the text of token id. */
void hf_vocab_set_text(hf_vocab *v, int32_t id, const char *s, size_t n);
/* Make token id an added token, as llama.cpp types them: CONTROL when special or when
 * it looks special, else USER_DEFINED with U+2581 turned into spaces; score -1000. */
void hf_vocab_set_added(hf_vocab *v, int32_t id, const char *s, size_t n, bool special);

/* text -> id over a vocabulary's tokens (open addressing). */
typedef struct {
    uint32_t *slot; /* id + 1, 0 = empty */
    uint32_t mask;
} hf_index;
/* Build; two tokens with the same text are an error naming both ids (llama.cpp's
 * loader refuses them too). */
qlm_status hf_index_build(hf_index *ix, const hf_vocab *v, const char *fname, qlm_error *err);
int32_t hf_index_find(const hf_index *ix, const hf_vocab *v, const char *s, size_t n);
void hf_index_free(hf_index *ix);

/* Build from tokenizer.json (root object): model.vocab and added_tokens (ids missing
 * from both become "[PAD<id>]"), merges, family, pre-tokenizer name. The caller pads to
 * the model's vocab_size. Errors name `fname`. */
qlm_status hf_vocab_from_json(const qlm_json *root, const char *fname, hf_vocab *v, qlm_error *err);

/* Build from a SentencePiece model file (the whole file in memory). Errors name `fname`. */
qlm_status hf_vocab_from_spm(const uint8_t *data, size_t size, const char *fname, hf_vocab *v, qlm_error *err);

/* llama.cpp's guess that an added token not marked special is a control token
 * (<|...|>, <｜...｜>, <unused...>, <pad>, <mask>, ...). */
bool hf_token_looks_special(const char *s, size_t n);

/* Add the vocabulary of the folder `dir` to w. n_vocab > 0: the model's vocabulary size
 * (config.json vocab_size), to which the token list is padded with "[PAD<id>]" tokens
 * as llama.cpp does; 0: the tokenizer's own size. *found is false (and nothing is
 * written) when the folder has neither tokenizer.json nor tokenizer.model. */
qlm_status qlm_hf_tokenizer_add(qlm_gguf_writer *w, const char *dir, int64_t n_vocab, bool *found, qlm_error *err);

/* A vocabulary-only GGUF (no tensors) of the folder `dir`: general.architecture from
 * config.json's model_type when present (else "llama"; qlm's vocab-only loading reads
 * no architecture keys), general.name (the folder's name), and the tokenizer, padded
 * to config.json's vocab_size when there is one. */
qlm_status qlm_hf_vocab_only(const char *dir, const char *out_path, qlm_error *err);

#endif
