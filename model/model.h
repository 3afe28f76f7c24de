/* The loaded model: hyperparameters, tensor views into the GGUF map, vocabulary.
 * Internal; the public handle is qlm_model in qlm.h. */
#ifndef QLM_MODEL_H
#define QLM_MODEL_H

#include "gguf.h"
#include "vocab.h"
#include "arch.h"
#include "../ggml-like/tensor.h"

typedef struct {
    /* attention; an absent tensor has data == NULL */
    qlm_tensor attn_norm, attn_norm_b;  /* [n_embd] (bias: LayerNorm archs) */
    qlm_tensor wq;                    /* [n_embd] -> [n_head * head_dim]  (ne0 = n_embd) */
    qlm_tensor wk;                    /* [n_embd] -> [n_head_kv * head_dim] */
    qlm_tensor wv;                    /* [n_embd] -> [n_head_kv * head_dim] */
    qlm_tensor wqkv;                  /* fused [n_embd] -> [q_dim + 2 kv_dim] (phi3, gpt2) */
    qlm_tensor bq, bk, bv, bqkv;      /* biases of the above */
    qlm_tensor q_norm, k_norm;        /* [head_dim] per-head RMSNorm (qwen3, gemma3) */
    qlm_tensor wo, bo;                /* [n_head * head_dim] -> [n_embd] */
    qlm_tensor attn_post_norm;        /* [n_embd] (gemma3) */
    /* feed-forward */
    qlm_tensor ffn_norm, ffn_norm_b;  /* [n_embd] */
    qlm_tensor w_gate, b_gate;        /* [n_embd] -> [n_ff] */
    qlm_tensor w_up, b_up;            /* [n_embd] -> [n_ff], or [2 n_ff] = gate|up fused (phi3) */
    qlm_tensor w_down, b_down;        /* [n_ff] -> [n_embd] */
    qlm_tensor ffn_post_norm;         /* [n_embd] (gemma3) */
    bool swa;                         /* sliding-window layer */
    float rope_theta;                 /* this layer's RoPE base */
} qlm_layer;

typedef struct {
    int n_vocab, n_ctx_train, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff;
    int n_rot;            /* rotated dims per head (rope.dimension_count) */
    float rope_theta;     /* base of full-attention layers */
    float rope_theta_swa; /* base of sliding-window layers */
    bool rope_freq_bf16;  /* ARCH.rope.freq_bf16: frequencies rounded to bf16 (qlm key) */
    float norm_eps;
    float attn_scale;     /* multiplies q.k: 1/sqrt(head_dim) unless the file says */
    int n_swa;            /* sliding window length (0: none) */
} qlm_hparams;

struct qlm_model {
    qlm_gguf *gguf;
    const qlm_arch *arch;
    qlm_hparams hp;
    char name[128];
    qlm_tensor tok_embd;              /* [n_vocab rows of n_embd] */
    qlm_tensor pos_embd;              /* [n_ctx_train rows of n_embd] learned positions (gpt2) */
    qlm_tensor output_norm, output_norm_b; /* [n_embd] */
    qlm_tensor rope_freqs;            /* [n_rot/2] divisors of the RoPE frequencies (llama3) */
    qlm_tensor output;                /* [n_embd] -> [n_vocab]; = tok_embd when tied */
    qlm_layer *layers;                /* [n_layer] */
    qlm_vocab *vocab;                 /* NULL when the file has none */
    int64_t n_params;
    uint64_t weights_bytes;
    int n_repacked;       /* matrices regrouped at load (qlm_model_params.repack) */
    const char *file_type;
    bool vocab_only;
};

#endif
