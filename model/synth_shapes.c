/* Named shapes for qlm synth: the hyperparameters of real models, from their published
 * configs (config.json of each Hugging Face checkpoint). */
#include "qlm.h"
#include "../ggml-like/error.h"

#include <ctype.h>
#include <string.h>

typedef struct {
    const char *name, *general_name, *arch;
    int n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx;
    float rope_theta, norm_eps;
    bool qkv_bias, tied_embd;
} synth_shape;

static const synth_shape SHAPES[] = {
    /* TinyLlama/TinyLlama-1.1B-Chat-v1.0: 1,100,048,384 parameters */
    {"tinyllama-1.1b", "synth-tinyllama-1.1b", "llama", 2048, 22, 32, 4, 5632, 32000, 2048, 10000.0f, 1e-5f, false, false},
    /* meta-llama/Llama-2-7b-hf */
    {"llama2-7b", "synth-llama2-7b", "llama", 4096, 32, 32, 32, 11008, 32000, 4096, 10000.0f, 1e-5f, false, false},
    /* meta-llama/Meta-Llama-3-8B (its BPE tokenizer is replaced by the synthetic one) */
    {"llama3-8b", "synth-llama3-8b", "llama", 4096, 32, 32, 8, 14336, 128256, 8192, 500000.0f, 1e-5f, false, false},
    /* Qwen/Qwen2.5-0.5B: Q/K/V biases, tied embeddings */
    {"qwen2.5-0.5b", "synth-qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 4864, 151936, 32768, 1000000.0f, 1e-6f, true, true},
    /* llama2.c's stories260K (ffn 172 is not a multiple of 32: ffn_down stays F16) */
    {"stories260k", "synth-stories260k", "llama", 64, 5, 8, 4, 172, 512, 512, 10000.0f, 1e-5f, false, false},
};

const char *qlm_synth_shape_names(void) { return "tinyllama-1.1b, llama2-7b, llama3-8b, qwen2.5-0.5b, stories260k"; }

static bool same_name(const char *a, const char *b) {
    while (*a && *b && tolower((unsigned char)*a) == tolower((unsigned char)*b)) a++, b++;
    return !*a && !*b;
}

qlm_status qlm_synth_shape(const char *shape, qlm_synth_params *p, qlm_error *err) {
    if (!shape || !p) return qlm_set_error(err, QLM_ERR_INVALID_ARG, "qlm_synth_shape: NULL argument");
    for (size_t i = 0; i < sizeof SHAPES / sizeof SHAPES[0]; i++) {
        const synth_shape *s = &SHAPES[i];
        if (!same_name(s->name, shape)) continue;
        memset(p, 0, sizeof *p);
        p->arch = s->arch;
        p->name = s->general_name;
        p->n_embd = s->n_embd;
        p->n_layer = s->n_layer;
        p->n_head = s->n_head;
        p->n_head_kv = s->n_head_kv;
        p->n_ff = s->n_ff;
        p->n_vocab = s->n_vocab;
        p->n_ctx = s->n_ctx;
        p->rope_theta = s->rope_theta;
        p->norm_eps = s->norm_eps;
        p->qkv_bias = s->qkv_bias;
        p->tied_embd = s->tied_embd;
        p->type = "F16";
        p->seed = 1;
        return QLM_OK;
    }
    return qlm_set_error(err, QLM_ERR_INVALID_ARG, "unknown shape '%s' (known: %s)", shape, qlm_synth_shape_names());
}
