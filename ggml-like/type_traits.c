/* The type-traits table: one row per ggml type id. Adding a quant type means adding
 * its block file in quant/, its row here, and its tests. */
#include "qtypes.h"
#include "../quant/blocks.h"
#include "../quant/quants.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define PLAIN(nm, sz) .name = nm, .blck_size = 1, .type_size = sz, .is_quantized = false
#define BLOCK(nm, blk, st) .name = nm, .blck_size = blk, .type_size = sizeof(st), .is_quantized = true
#define REF(t, dot_type, dot) .supported = true, .to_float = qlm_dequant_##t, \
    .from_float = qlm_quant_##t##_ref, .vec_dot_type = dot_type, .vec_dot = dot

static const qlm_type_traits TRAITS[QLM_TYPE_COUNT] = {
    [QLM_TYPE_F32]  = { PLAIN("F32", 4),  REF(f32, QLM_TYPE_F32, qlm_dot_f32_f32) },
    [QLM_TYPE_F16]  = { PLAIN("F16", 2),  REF(f16, QLM_TYPE_F16, qlm_dot_f16_f16) },
    [QLM_TYPE_BF16] = { PLAIN("BF16", 2), REF(bf16, QLM_TYPE_F32, qlm_dot_bf16_f32) },
    [QLM_TYPE_Q4_0] = { BLOCK("Q4_0", QK4_0, block_q4_0), REF(q4_0, QLM_TYPE_Q8_0, qlm_dot_q4_0_q8_0) },
    [QLM_TYPE_Q4_1] = { BLOCK("Q4_1", QK4_1, block_q4_1), REF(q4_1, QLM_TYPE_Q8_1, qlm_dot_q4_1_q8_1) },
    [QLM_TYPE_Q5_0] = { BLOCK("Q5_0", QK5_0, block_q5_0), REF(q5_0, QLM_TYPE_Q8_0, qlm_dot_q5_0_q8_0) },
    [QLM_TYPE_Q5_1] = { BLOCK("Q5_1", QK5_1, block_q5_1), REF(q5_1, QLM_TYPE_Q8_1, qlm_dot_q5_1_q8_1) },
    [QLM_TYPE_Q8_0] = { BLOCK("Q8_0", QK8_0, block_q8_0), REF(q8_0, QLM_TYPE_Q8_0, qlm_dot_q8_0_q8_0) },
    /* built at load time from Q4_0 (qlm_model_params.repack), never in a file */
    [QLM_TYPE_Q4_0_G8] = { BLOCK("Q4_0_G8", QK_K, block_q4_0_g8), REF(q4_0_g8, QLM_TYPE_Q8_0, qlm_dot_q4_0_g8_q8_0),
                           .internal = true },
    /* built at load time from 16 Q4_K rows at a time (qlm_model_params.repack): rows are
     * interleaved, so no per-row functions; computed only by the gemm kernels that have
     * it (its reference is Q4_K's on the rows it came from) */
    [QLM_TYPE_Q4_K_R16] = { .name = "Q4_K_R16", .blck_size = QK_K, .type_size = sizeof(block_q4_k),
                            .is_quantized = true, .internal = true },
    /* the same for 16 Q6_K rows */
    [QLM_TYPE_Q6_K_R16] = { .name = "Q6_K_R16", .blck_size = QK_K, .type_size = sizeof(block_q6_k),
                            .is_quantized = true, .internal = true },
    /* the same for 16 Q4_0 rows */
    [QLM_TYPE_Q4_0_R16] = { .name = "Q4_0_R16", .blck_size = QK_K, .type_size = sizeof(block_q4_0_g8),
                            .is_quantized = true, .internal = true },
    /* and for 16 Q8_0 rows (8 blocks per row and group) */
    [QLM_TYPE_Q8_0_R16] = { .name = "Q8_0_R16", .blck_size = QK_K, .type_size = 8 * sizeof(block_q8_0),
                            .is_quantized = true, .internal = true },
    /* and 16 Q5_K rows */
    [QLM_TYPE_Q5_K_R16] = { .name = "Q5_K_R16", .blck_size = QK_K, .type_size = sizeof(block_q5_k),
                            .is_quantized = true, .internal = true },
    /* activation-only formats: no dot of their own */
    [QLM_TYPE_Q8_1] = { BLOCK("Q8_1", QK8_1, block_q8_1), .supported = true,
                        .to_float = qlm_dequant_q8_1, .from_float = qlm_quant_q8_1_ref,
                        .vec_dot_type = QLM_TYPE_Q8_1 },
    [QLM_TYPE_Q8_K] = { BLOCK("Q8_K", QK_K, block_q8_k), .supported = true,
                        .to_float = qlm_dequant_q8_k, .from_float = qlm_quant_q8_k_ref,
                        .vec_dot_type = QLM_TYPE_Q8_K },
    [QLM_TYPE_Q4_K] = { BLOCK("Q4_K", QK_K, block_q4_k), REF(q4_k, QLM_TYPE_Q8_K, qlm_dot_q4_k_q8_k) },
    [QLM_TYPE_Q5_K] = { BLOCK("Q5_K", QK_K, block_q5_k), REF(q5_k, QLM_TYPE_Q8_K, qlm_dot_q5_k_q8_k) },
    [QLM_TYPE_Q6_K] = { BLOCK("Q6_K", QK_K, block_q6_k), REF(q6_k, QLM_TYPE_Q8_K, qlm_dot_q6_k_q8_k) },
    /* known to llama.cpp, not (yet) computed by qlm: sizes kept so files still parse */
    [QLM_TYPE_Q2_K]   = { .name = "Q2_K",   .blck_size = 256, .type_size = 84,  .is_quantized = true },
    [QLM_TYPE_Q3_K]   = { .name = "Q3_K",   .blck_size = 256, .type_size = 110, .is_quantized = true },
    [16]              = { .name = "IQ2_XXS",.blck_size = 256, .type_size = 66,  .is_quantized = true },
    [17]              = { .name = "IQ2_XS", .blck_size = 256, .type_size = 74,  .is_quantized = true },
    [18]              = { .name = "IQ3_XXS",.blck_size = 256, .type_size = 98,  .is_quantized = true },
    [19]              = { .name = "IQ1_S",  .blck_size = 256, .type_size = 50,  .is_quantized = true },
    [QLM_TYPE_IQ4_NL] = { .name = "IQ4_NL", .blck_size = 32,  .type_size = 18,  .is_quantized = true },
    [21]              = { .name = "IQ3_S",  .blck_size = 256, .type_size = 110, .is_quantized = true },
    [22]              = { .name = "IQ2_S",  .blck_size = 256, .type_size = 82,  .is_quantized = true },
    [23]              = { .name = "IQ4_XS", .blck_size = 256, .type_size = 136, .is_quantized = true },
    [QLM_TYPE_I8]     = { PLAIN("I8", 1) },
    [QLM_TYPE_I16]    = { PLAIN("I16", 2) },
    [QLM_TYPE_I32]    = { PLAIN("I32", 4) },
    [QLM_TYPE_I64]    = { PLAIN("I64", 8) },
    [QLM_TYPE_F64]    = { PLAIN("F64", 8) },
    [29]              = { .name = "IQ1_M",  .blck_size = 256, .type_size = 56,  .is_quantized = true },
    [QLM_TYPE_TQ1_0]  = { .name = "TQ1_0",  .blck_size = 256, .type_size = 54,  .is_quantized = true },
    [QLM_TYPE_TQ2_0]  = { .name = "TQ2_0",  .blck_size = 256, .type_size = 66,  .is_quantized = true },
    [QLM_TYPE_MXFP4]  = { .name = "MXFP4",  .blck_size = 32,  .type_size = 17,  .is_quantized = true },
};

const qlm_type_traits *qlm_type_get(uint32_t type) {
    if (type >= QLM_TYPE_COUNT || !TRAITS[type].name) return NULL;
    return &TRAITS[type];
}

const char *qlm_type_name(uint32_t type) {
    const qlm_type_traits *t = qlm_type_get(type);
    if (t) return t->name;
    static _Thread_local char buf[32];
    snprintf(buf, sizeof buf, "type %u", type);
    return buf;
}

size_t qlm_row_size(qlm_type type, int64_t ne0) {
    const qlm_type_traits *t = qlm_type_get(type);
    if (!t || ne0 < 0 || ne0 % t->blck_size) return 0;
    return (size_t)(ne0 / t->blck_size) * t->type_size;
}

int qlm_type_from_name(const char *name) {
    for (int i = 0; i < QLM_TYPE_COUNT; i++) {
        if (!TRAITS[i].name) continue;
        const char *a = TRAITS[i].name, *b = name;
        while (*a && *b && toupper((unsigned char)*a) == toupper((unsigned char)*b)) a++, b++;
        if (!*a && !*b) return i;
    }
    return -1;
}
