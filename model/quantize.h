/* Internal API of the quantizer (qlm_quantize_file in qlm.h).
 *
 * model/quantize_rules.c decides each tensor's output type the way llama.cpp's
 * llama-quantize does (src/llama-quant.cpp, llama_tensor_get_type and the loop that
 * calls it): which tensors are quantized at all, the per-layer promotions of the K
 * mixes, and the fallback when a row does not fit the chosen type's blocks.
 * model/quantize.c plans the whole file with these rules, then converts and writes it.
 */
#ifndef QLM_QUANTIZE_H
#define QLM_QUANTIZE_H

#include "gguf.h"
#include "../ggml-like/qtypes.h"

/* llama.cpp's LLAMA_FTYPE values (include/llama.h), written as general.file_type. */
enum {
    QLM_FTYPE_ALL_F32 = 0, QLM_FTYPE_F16 = 1, QLM_FTYPE_Q4_0 = 2, QLM_FTYPE_Q4_1 = 3,
    QLM_FTYPE_Q8_0 = 7, QLM_FTYPE_Q5_0 = 8, QLM_FTYPE_Q5_1 = 9,
    QLM_FTYPE_Q4_K_S = 14, QLM_FTYPE_Q4_K_M = 15, QLM_FTYPE_Q5_K_S = 16,
    QLM_FTYPE_Q5_K_M = 17, QLM_FTYPE_Q6_K = 18, QLM_FTYPE_BF16 = 32
};

#define QLM_QUANTIZATION_VERSION 2 /* ggml's GGML_QNT_VERSION */

typedef struct {
    const char *name;    /* as llama-quantize spells it */
    uint32_t ftype;      /* QLM_FTYPE_* */
    qlm_type base;       /* type of an ordinary weight matrix */
} qlm_ftype_info;

/* NULL for an unknown name (case-insensitive). */
const qlm_ftype_info *qlm_ftype_find(const char *name);

/* What the rules need to know about the model, and the running counters llama.cpp
 * keeps while it walks the tensors (in the order of qlm_quant_order). */
typedef struct {
    const qlm_ftype_info *ft;
    bool pure;
    int output_type, embd_type;  /* explicit overrides, -1 for none */
    char arch[32];               /* general.architecture ("" when absent) */
    int n_layer;                 /* ARCH.block_count (0 when absent) */
    int n_expert;                /* ARCH.expert_count (0 when absent) */
    bool is_70b;                 /* llama.cpp classes the model as 70B (see rules) */
    bool has_output;             /* the file has output.weight */
    int n_attention_wv;          /* tensors named attn_v / attn_qkv / attn_kv_b */
    int i_attention_wv, i_ffn_down, i_ffn_gate, i_ffn_up;
} qlm_quant_state;

/* Fill the model facts of s from the file (counters start at 0). */
void qlm_quant_state_init(qlm_quant_state *s, const qlm_gguf *g, const qlm_ftype_info *ft,
                          bool pure, int output_type, int embd_type);

/* The tensor indices of g in llama.cpp's processing (and output) order: tensors
 * outside "blk.N." first, then by layer, each group by name. Caller frees. */
int64_t *qlm_quant_order(const qlm_gguf *g);

/* Whether llama.cpp quantizes this tensor at all: weight matrices yes; 1-D tensors,
 * norms, biases, learned position embeddings and a few special tensors no. */
bool qlm_quant_wants(const qlm_gguf_tinfo *t);

/* Output type of a tensor that qlm_quant_wants; advances the counters in s. Fails
 * (QLM_ERR_INVALID_ARG / QLM_ERR_FORMAT) when an explicit override does not fit the
 * tensor's rows or an expert tensor's layer cannot be read from its name. */
qlm_status qlm_quant_choose(qlm_quant_state *s, const qlm_gguf_tinfo *t, qlm_type *out,
                            bool *fell_back, qlm_error *err);

/* Number of dimensions as ggml counts them: trailing 1s dropped, at least 1. */
int qlm_quant_n_dims(const qlm_gguf_tinfo *t);

#endif
