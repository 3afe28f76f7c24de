#include "arch.h"

#include <string.h>

#define RMS_EPS "attention.layer_norm_rms_epsilon"

static const qlm_arch ARCHS[] = {
    /* Llama 1/2/3, TinyLlama, Mistral (llama.cpp stores Mistral as "llama") */
    {.name = "llama", .rope_mode = QLM_ROPE_NORM, .norm = QLM_NORM_RMS, .ffn = QLM_FFN_SWIGLU, .eps_key = RMS_EPS},
    {.name = "mistral", .rope_mode = QLM_ROPE_NORM, .norm = QLM_NORM_RMS, .ffn = QLM_FFN_SWIGLU, .eps_key = RMS_EPS},
    /* Qwen2: Q/K/V biases (found by name) */
    {.name = "qwen2", .rope_mode = QLM_ROPE_NEOX, .norm = QLM_NORM_RMS, .ffn = QLM_FFN_SWIGLU, .eps_key = RMS_EPS},
    /* Qwen3: per-head Q/K RMSNorm (found by name) */
    {.name = "qwen3", .rope_mode = QLM_ROPE_NEOX, .norm = QLM_NORM_RMS, .ffn = QLM_FFN_SWIGLU, .eps_key = RMS_EPS},
    /* Phi-3: fused attn_qkv and fused gate|up in ffn_up */
    {.name = "phi3", .rope_mode = QLM_ROPE_NEOX, .norm = QLM_NORM_RMS, .ffn = QLM_FFN_SWIGLU, .eps_key = RMS_EPS},
    /* GPT-2: LayerNorm with bias, learned positions, GELU, biases everywhere */
    {.name = "gpt2", .rope_mode = QLM_ROPE_NONE, .norm = QLM_NORM_LAYER, .ffn = QLM_FFN_GELU,
     .eps_key = "attention.layer_norm_epsilon"},
    /* Gemma 3 (text): scaled embeddings, GELU-tanh gate, pre and post norms, Q/K norms,
     * sliding-window layers with their own RoPE base */
    {.name = "gemma3", .rope_mode = QLM_ROPE_NEOX, .norm = QLM_NORM_RMS, .ffn = QLM_FFN_GEGLU, .eps_key = RMS_EPS,
     .embd_scale = true, .swa_layers = true},
};

const qlm_arch *qlm_arch_find(const char *name) {
    for (size_t i = 0; i < sizeof ARCHS / sizeof ARCHS[0]; i++)
        if (!strcmp(ARCHS[i].name, name)) return &ARCHS[i];
    return NULL;
}

const char *qlm_arch_list(void) { return "llama, mistral, qwen2, qwen3, phi3, gpt2, gemma3"; }
