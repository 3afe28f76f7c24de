/* Architectures: one table entry each, read by the loader and the shared forward pass.
 * A new architecture is a new row plus, where needed, a hook in model/forward.c keyed
 * on one of these options - never a copied forward pass. Optional tensors (biases,
 * fused projections, Q/K norms) are found by name and used when present, so the
 * options here are only what cannot be seen in the file. */
#ifndef QLM_ARCH_H
#define QLM_ARCH_H

#include <stdbool.h>

typedef enum {
    QLM_ROPE_NORM = 0,  /* rotate adjacent pairs (2i, 2i+1): GGUF llama layout */
    QLM_ROPE_NEOX = 1,  /* rotate (i, i + n_rot/2): Hugging Face layout */
    QLM_ROPE_NONE = 2   /* learned absolute positions instead (gpt2) */
} qlm_rope_mode;

typedef enum { QLM_NORM_RMS = 0, QLM_NORM_LAYER = 1 } qlm_norm_kind;

typedef enum {
    QLM_FFN_SWIGLU = 0,  /* down(silu(gate x) * up x) */
    QLM_FFN_GEGLU = 1,   /* down(gelu_tanh(gate x) * up x)  (gemma) */
    QLM_FFN_GELU = 2     /* down(gelu_tanh(up x))           (gpt2) */
} qlm_ffn_kind;

typedef struct {
    const char *name;          /* general.architecture */
    qlm_rope_mode rope_mode;
    qlm_norm_kind norm;
    qlm_ffn_kind ffn;
    const char *eps_key;       /* metadata suffix of the norm epsilon */
    bool embd_scale;           /* multiply embeddings by sqrt(n_embd) (gemma) */
    bool swa_layers;           /* some layers use a sliding window (gemma3) */
} qlm_arch;

/* NULL when unknown. */
const qlm_arch *qlm_arch_find(const char *name);
/* Comma-separated list of the supported names, for error messages. */
const char *qlm_arch_list(void);

#endif
