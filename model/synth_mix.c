/* Weight types of a synthetic model, following llama-quantize's main rules so that a
 * synth file benchmarks like a file quantized from real weights.
 *
 * A stand-in for the rule module of `qlm quantize` (model/quantize_rules.c, written on
 * another branch; once both are on one branch synth_pick_type should call its
 * qlm_quant_choose, with a qlm_quant_state filled from the synth parameters). The rules:
 *   - a quantized type other than Q8_0 puts the output head (or the tied embedding) in Q6_K;
 *   - the _M mixes put attn_v and ffn_down of the layers llama.cpp's use_more_bits picks
 *     (the first and last eighth, and every third in between: about half) in Q6_K;
 *   - Q4_K_S puts attn_v of the first 4 layers and ffn_down of the first eighth of the
 *     layers in Q5_K;
 *   - a row length the type's blocks do not divide falls back as llama.cpp does:
 *     Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, then F16.
 * Other llama.cpp refinements (MoE, 70B and per-arch exceptions, the IQ and Q2/Q3
 * mixes) are not modelled. Checked against qlm quantize's rule module (main at 0e9f017,
 * quantizing a synth F16 file): the same type for every tensor, for all ten types here,
 * on llama shapes of 22 layers (GQA 8) and 32 layers, and on a qwen2 shape with tied
 * embeddings and 384-wide rows (fallbacks). */
#include "qlm.h"
#include "synth.h"

#include <ctype.h>

/* general.file_type values are llama.cpp's LLAMA_FTYPE_* numbers. A single K type is
 * recorded as its "_S" ftype, the one llama.cpp names "Q4_K - Small" etc. */
static const synth_mix MIXES[] = {
    {"F32", QLM_TYPE_F32, 0, SYNTH_PROMOTE_NONE},
    {"F16", QLM_TYPE_F16, 1, SYNTH_PROMOTE_NONE},
    {"BF16", QLM_TYPE_BF16, 32, SYNTH_PROMOTE_NONE},
    {"Q8_0", QLM_TYPE_Q8_0, 7, SYNTH_PROMOTE_NONE},
    {"Q4_0", QLM_TYPE_Q4_0, 2, SYNTH_PROMOTE_NONE},
    {"Q4_1", QLM_TYPE_Q4_1, 3, SYNTH_PROMOTE_NONE},
    {"Q5_0", QLM_TYPE_Q5_0, 8, SYNTH_PROMOTE_NONE},
    {"Q5_1", QLM_TYPE_Q5_1, 9, SYNTH_PROMOTE_NONE},
    {"Q4_K", QLM_TYPE_Q4_K, 14, SYNTH_PROMOTE_NONE},
    {"Q5_K", QLM_TYPE_Q5_K, 16, SYNTH_PROMOTE_NONE},
    {"Q6_K", QLM_TYPE_Q6_K, 18, SYNTH_PROMOTE_NONE},
    {"Q4_K_S", QLM_TYPE_Q4_K, 14, SYNTH_PROMOTE_K_S},
    {"Q4_K_M", QLM_TYPE_Q4_K, 15, SYNTH_PROMOTE_M},
    {"Q5_K_S", QLM_TYPE_Q5_K, 16, SYNTH_PROMOTE_NONE},
    {"Q5_K_M", QLM_TYPE_Q5_K, 17, SYNTH_PROMOTE_M},
};

const char *synth_mix_names(void) {
    return "F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M";
}

static bool same_name(const char *a, const char *b) {
    while (*a && *b && toupper((unsigned char)*a) == toupper((unsigned char)*b)) a++, b++;
    return !*a && !*b;
}

const synth_mix *synth_mix_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof MIXES / sizeof MIXES[0]; i++)
        if (same_name(MIXES[i].name, name)) return &MIXES[i];
    return NULL;
}

/* llama.cpp's use_more_bits: the first and last eighth of the layers, and every third
 * layer in between. */
static bool more_bits(int il, int n) {
    return il < n / 8 || il >= 7 * n / 8 || (il - n / 8) % 3 == 2;
}

static qlm_type fit_rows(qlm_type t, int64_t ne0) {
    for (;;) {
        const qlm_type_traits *tt = qlm_type_get(t);
        if (ne0 % tt->blck_size == 0) return t;
        switch (t) {
        case QLM_TYPE_Q4_K: t = QLM_TYPE_Q5_0; break;
        case QLM_TYPE_Q5_K: t = QLM_TYPE_Q5_1; break;
        case QLM_TYPE_Q6_K: t = QLM_TYPE_Q8_0; break;
        default: return QLM_TYPE_F16;
        }
    }
}

qlm_type synth_pick_type(const synth_mix *mx, bool pure, synth_kind kind, int il, int n_layer, int64_t ne0) {
    qlm_type t = mx->base;
    bool quantized = qlm_type_get(t)->is_quantized;
    if (!pure && quantized) {
        if (kind == SK_HEAD && t != QLM_TYPE_Q8_0) t = QLM_TYPE_Q6_K;
        else if (mx->promote == SYNTH_PROMOTE_M && (kind == SK_ATTN_V || kind == SK_FFN_DOWN) &&
                 more_bits(il, n_layer))
            t = QLM_TYPE_Q6_K;
        else if (mx->promote == SYNTH_PROMOTE_K_S &&
                 ((kind == SK_ATTN_V && il < 4) || (kind == SK_FFN_DOWN && il < n_layer / 8)))
            t = QLM_TYPE_Q5_K;
    }
    return fit_rows(t, ne0);
}

const char *qlm_synth_type_names(void) { return synth_mix_names(); }
