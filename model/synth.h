/* Internal pieces of qlm_synth (qlm.h): the weight-type mixes, the tokenizer metadata
 * and the shape table, each in its own file (model/synth_*.c). */
#ifndef QLM_SYNTH_H
#define QLM_SYNTH_H

#include "gguf_write.h"
#include "../ggml-like/qtypes.h"

/* A requested weight type or mix, as llama-quantize names it. */
typedef struct {
    const char *name;      /* "Q4_K_M" */
    qlm_type base;         /* type of an ordinary weight matrix */
    uint32_t ftype;        /* general.file_type (llama.cpp's LLAMA_FTYPE_* value) */
    int promote;           /* SYNTH_PROMOTE_*: extra bits for some layers */
} synth_mix;

enum { SYNTH_PROMOTE_NONE = 0, SYNTH_PROMOTE_M = 1, SYNTH_PROMOTE_K_S = 2 };

/* What the type rules distinguish about a matrix. */
typedef enum { SK_EMBD, SK_HEAD, SK_ATTN_V, SK_FFN_DOWN, SK_OTHER } synth_kind;

const synth_mix *synth_mix_find(const char *name);   /* case-insensitive; NULL if unknown */
const char *synth_mix_names(void);
/* Type of a 2-D tensor of kind `kind` in layer `il` (of n_layer) with rows of ne0. */
qlm_type synth_pick_type(const synth_mix *mx, bool pure, synth_kind kind, int il, int n_layer, int64_t ne0);

/* tokenizer.ggml.* metadata of a SentencePiece-style vocabulary of n_vocab (>= 260)
 * pieces. Returns QLM_ERR_NOMEM on allocation failure. */
qlm_status synth_write_vocab(qlm_gguf_writer *w, int n_vocab, qlm_error *err);
#define SYNTH_MIN_VOCAB 260   /* <unk> <s> </s>, 256 byte tokens, one piece */

#endif
