/* Internals shared by the model/vocab*.c files: the vocabulary layout, its hash tables,
 * and the entry points of each tokenizer. Not part of any public interface. */
#ifndef QLM_VOCAB_INTERNAL_H
#define QLM_VOCAB_INTERNAL_H

#include "vocab.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { QLM_VOCAB_SPM = 1, QLM_VOCAB_BPE = 2, QLM_VOCAB_WPM = 3 } qlm_vocab_kind;

/* Pre-tokenizers (split rules run before byte-level BPE), named by tokenizer.ggml.pre. */
typedef enum {
    QLM_PRE_DEFAULT = 0,   /* "default" */
    QLM_PRE_GPT2,          /* "gpt-2", "mpt", ... */
    QLM_PRE_LLAMA3,        /* "llama-bpe", "llama3", ... */
    QLM_PRE_QWEN2,         /* "qwen2", ... */
    QLM_PRE_DEEPSEEK_LLM,
    QLM_PRE_DEEPSEEK_CODER,
    QLM_PRE_FALCON,
    QLM_PRE_STARCODER      /* "starcoder", "refact", ... */
} qlm_pre_kind;

/* Token attributes, a bit set as in llama.cpp (the EOG and FIM fix-ups add CONTROL to
 * tokens of other types, so one token can carry several). */
enum {
    QLM_ATTR_UNKNOWN = 1 << 0,
    QLM_ATTR_UNUSED = 1 << 1,
    QLM_ATTR_NORMAL = 1 << 2,
    QLM_ATTR_CONTROL = 1 << 3,
    QLM_ATTR_USER_DEFINED = 1 << 4,
    QLM_ATTR_BYTE = 1 << 5,
    QLM_ATTR_LSTRIP = 1 << 6, /* swallow white space before the token (special parsing) */
    QLM_ATTR_RSTRIP = 1 << 7  /* swallow white space after it */
};
#define QLM_ATTR_SPECIAL (QLM_ATTR_CONTROL | QLM_ATTR_USER_DEFINED | QLM_ATTR_UNKNOWN)

typedef struct {
    uint32_t off, len;   /* text = v->text + off */
    float score;         /* SPM merge priority */
    uint16_t attr;       /* QLM_ATTR_* */
} qlm_vtoken;

/* A node of the byte trie over the special tokens' texts. */
typedef struct {
    int32_t child, sibling; /* indices, -1 = none */
    int32_t token;          /* token ending here, -1 = none */
    uint8_t byte;
} qlm_trie_node;

struct qlm_vocab {
    qlm_vocab_kind kind;
    qlm_pre_kind pre;
    int32_t n;
    char *text;                /* all token texts, back to back */
    qlm_vtoken *tok;
    uint32_t *index;           /* open addressing: id + 1, 0 = empty */
    uint32_t index_mask;
    int max_token_len;         /* bytes */

    /* BPE merges: pair (left, right) -> rank, the merge's position in the file */
    char *merge_text;          /* "leftright" of every merge, back to back */
    uint32_t *merge_off;       /* [n_merges + 1] offsets into merge_text */
    uint32_t *merge_split;     /* [n_merges] length of the left part */
    uint32_t *merge_index;     /* open addressing: rank + 1, 0 = empty */
    uint32_t merge_mask;
    int32_t n_merges;

    int32_t bos, eos, eot, eom, unk, sep, pad;
    bool add_bos, add_eos, add_sep, add_space_prefix;
    bool ignore_merges;        /* llama3: a word that is a token is not split */
    bool lowercase, strip_accents; /* WordPiece normalizer */

    int32_t byte_token[256];   /* SPM byte fallback: id of <0xXX> (or the byte itself), -1 */

    /* special tokens (CONTROL, USER_DEFINED, UNKNOWN): a trie over their texts, their
     * distinct lengths from the longest down, and per length whether a token of it is
     * matched even without QLM_TOK_PARSE_SPECIAL (user-defined ones are) */
    qlm_trie_node *trie;
    int32_t n_trie;
    uint32_t *special_len;
    bool *special_len_always;
    int32_t n_special_len;

    int32_t *eog;              /* sorted ids that end generation */
    int n_eog;
};

/* ---- helpers (vocab_load.c) ---- */

uint64_t qlm_vocab_hash(const void *p, size_t n);
/* Id of the token whose text is exactly p[0..n), or -1. */
int32_t qlm_vocab_find(const qlm_vocab *v, const char *p, size_t n);
static inline const char *qlm_vocab_text(const qlm_vocab *v, int32_t id) { return v->text + v->tok[id].off; }

/* Rank of the BPE merge (left, right), or -1. */
int32_t qlm_vocab_merge_rank(const qlm_vocab *v, const char *l, size_t ln, const char *r, size_t rn);

/* GPT-2's map between bytes and the printable code points byte-level BPE spells them with. */
uint32_t qlm_gpt2_byte_to_cp(uint8_t b);
int qlm_gpt2_cp_to_byte(uint32_t cp); /* -1 if cp is not in the map */

/* ---- token output with a capacity: counts past the end, writes only what fits ---- */
typedef struct {
    int32_t *out;
    int cap;
    int n;
} qlm_tok_sink;

static inline void qlm_sink_push(qlm_tok_sink *s, int32_t id) {
    if (s->n < s->cap) s->out[s->n] = id;
    s->n++;
}

/* ---- the tokenizers; each returns QLM_OK or QLM_ERR_NOMEM ---- */

/* SentencePiece over one fragment of raw text (spaces become U+2581, optionally with
 * a leading one). */
qlm_status qlm_spm_encode(const qlm_vocab *v, const char *text, size_t len, bool space_prefix,
                          qlm_tok_sink *s);
/* Byte-level BPE over one fragment: pre-tokenize, then merge each word. */
qlm_status qlm_bpe_encode(const qlm_vocab *v, const char *text, size_t len, qlm_tok_sink *s);
/* WordPiece over one fragment. */
qlm_status qlm_wpm_encode(const qlm_vocab *v, const char *text, size_t len, qlm_tok_sink *s);

/* ---- pre-tokenizer (vocab_pre.c) ---- */

typedef struct {
    uint32_t cp;   /* code point; U+FFFD stands for a byte that is not valid UTF-8 */
    uint32_t off;  /* byte offset in the text */
    uint8_t len;   /* bytes */
    uint8_t cls;   /* QLM_PRE_CLS_* */
} qlm_ucp;

enum { QLM_PRE_CLS_OTHER = 0, QLM_PRE_CLS_SPACE, QLM_PRE_CLS_LETTER, QLM_PRE_CLS_NUMBER, QLM_PRE_CLS_NONE };

/* Split text into words: on success *cps holds one entry per character and *words the
 * length of each word in characters (both malloc'd; the caller frees them). */
qlm_status qlm_pretokenize(qlm_pre_kind pre, const char *text, size_t len, qlm_ucp **cps,
                           size_t *n_cps, uint32_t **words, size_t *n_words);

/* Name -> pre-tokenizer; false if unknown. Also reports the per-name defaults llama.cpp
 * applies (ignore_merges, add_bos, no BOS). */
bool qlm_pre_from_name(const char *name, size_t len, qlm_pre_kind *pre, bool *ignore_merges,
                       bool *add_bos, bool *no_bos);

#endif
