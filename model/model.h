/* The loaded model: hyperparameters, tensor views into the GGUF map, vocabulary.
 * Internal; the public handle is qlm_model in qlm.h. */
#ifndef QLM_MODEL_H
#define QLM_MODEL_H

#include "gguf.h"
#include "vocab.h"
#include "arch.h"
#include "../ggml-like/tensor.h"

typedef struct {
    /* attention */
    qlm_tensor attn_norm;             /* [n_embd] */
    qlm_tensor wq;                    /* [n_embd] -> [n_head * head_dim]  (ne0 = n_embd) */
    qlm_tensor wk;                    /* [n_embd] -> [n_head_kv * head_dim] */
    qlm_tensor wv;                    /* [n_embd] -> [n_head_kv * head_dim] */
    qlm_tensor wo;                    /* [n_head * head_dim] -> [n_embd] */
    /* feed-forward */
    qlm_tensor ffn_norm;              /* [n_embd] */
    qlm_tensor w_gate;                /* [n_embd] -> [n_ff] */
    qlm_tensor w_up;                  /* [n_embd] -> [n_ff] */
    qlm_tensor w_down;                /* [n_ff] -> [n_embd] */
} qlm_layer;

typedef struct {
    int n_vocab, n_ctx_train, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff;
    int n_rot;            /* rotated dims per head (rope.dimension_count) */
    float rope_theta;
    float norm_eps;
} qlm_hparams;

struct qlm_model {
    qlm_gguf *gguf;
    const qlm_arch *arch;
    qlm_hparams hp;
    char name[128];
    qlm_tensor tok_embd;              /* [n_vocab rows of n_embd] */
    qlm_tensor output_norm;           /* [n_embd] */
    qlm_tensor output;                /* [n_embd] -> [n_vocab]; = tok_embd when tied */
    qlm_layer *layers;                /* [n_layer] */
    qlm_vocab *vocab;                 /* NULL when the file has none */
    int64_t n_params;
    uint64_t weights_bytes;
    const char *file_type;
    bool vocab_only;
};

#endif
