/* Scalar reference implementations of every block format: dequantize (to_float),
 * reference quantize (from_float) and dot product against the activation format.
 * One file per format (quant/q4_0.c, ...); block layouts in quant/blocks.h.
 *
 * Naming: qlm_dequant_T, qlm_quant_T_ref, qlm_dot_T_A (weights T, activations A).
 * n is always a multiple of the block size. */
#ifndef QLM_QUANTS_H
#define QLM_QUANTS_H

#include <stddef.h>
#include <stdint.h>

#define QLM_DECL_TYPE(t) \
    void qlm_dequant_##t(const void *src, float *dst, int64_t n); \
    void qlm_quant_##t##_ref(const float *src, void *dst, int64_t n);

QLM_DECL_TYPE(f32)
QLM_DECL_TYPE(f16)
QLM_DECL_TYPE(bf16)
QLM_DECL_TYPE(q4_0)
QLM_DECL_TYPE(q4_0_g8)
QLM_DECL_TYPE(q4_1)
QLM_DECL_TYPE(q5_0)
QLM_DECL_TYPE(q5_1)
QLM_DECL_TYPE(q8_0)
QLM_DECL_TYPE(q8_1)
QLM_DECL_TYPE(q4_k)
QLM_DECL_TYPE(q5_k)
QLM_DECL_TYPE(q6_k)
QLM_DECL_TYPE(q8_k)
#undef QLM_DECL_TYPE

void qlm_dot_f32_f32(int64_t n, float *s, const void *x, const void *y);
void qlm_dot_f16_f16(int64_t n, float *s, const void *x, const void *y);
void qlm_dot_bf16_bf16(int64_t n, float *s, const void *x, const void *y);
void qlm_dot_bf16_f32(int64_t n, float *s, const void *x, const void *y);
void qlm_dot_q4_0_q8_0(int64_t n, float *s, const void *x, const void *y);
void qlm_dot_q4_0_g8_q8_0(int64_t n, float *s, const void *x, const void *y);
/* n Q4_0 weights (n a multiple of 256) regrouped as Q4_0_G8; src == dst is allowed */
void qlm_q4_0_g8_from_q4_0(const void *src, void *dst, int64_t n);
/* 16 Q4_0 rows of n weights (row_bytes apart; n a multiple of 256) interleaved as
 * n / 256 Q4_0_R16 blocks at dst, and back. src and dst must not overlap. */
void qlm_q4_0_r16_from_q4_0(const void *rows, size_t row_bytes, void *dst, int64_t n);
void qlm_q4_0_r16_to_q4_0(const void *src, void *rows, size_t row_bytes, int64_t n);
/* The same for Q8_0 and Q8_0_R16 (levels stored with the sign bit flipped). */
void qlm_q8_0_r16_from_q8_0(const void *rows, size_t row_bytes, void *dst, int64_t n);
void qlm_q8_0_r16_to_q8_0(const void *src, void *rows, size_t row_bytes, int64_t n);
/* 16 Q4_K rows of n weights (row_bytes apart; n a multiple of 256) interleaved as n / 256
 * Q4_K_R16 blocks at dst, and back. src and dst must not overlap. */
void qlm_q4_k_r16_from_q4_k(const void *rows, size_t row_bytes, void *dst, int64_t n);
void qlm_q4_k_r16_to_q4_k(const void *src, void *rows, size_t row_bytes, int64_t n);
/* The same for Q5_K and Q5_K_R16. */
void qlm_q5_k_r16_from_q5_k(const void *rows, size_t row_bytes, void *dst, int64_t n);
void qlm_q5_k_r16_to_q5_k(const void *src, void *rows, size_t row_bytes, int64_t n);
/* The same for Q6_K and Q6_K_R16 (blocks.h: a block's layout depends on its address,
 * so dst, and src of the way back, must be where the blocks live). */
void qlm_q6_k_r16_from_q6_k(const void *rows, size_t row_bytes, void *dst, int64_t n);
void qlm_q6_k_r16_to_q6_k(const void *src, void *rows, size_t row_bytes, int64_t n);
void qlm_dot_q4_1_q8_1(int64_t n, float *s, const void *x, const void *y);
void qlm_dot_q5_0_q8_0(int64_t n, float *s, const void *x, const void *y);
void qlm_dot_q5_1_q8_1(int64_t n, float *s, const void *x, const void *y);
void qlm_dot_q8_0_q8_0(int64_t n, float *s, const void *x, const void *y);
void qlm_dot_q4_k_q8_k(int64_t n, float *s, const void *x, const void *y);
void qlm_dot_q5_k_q8_k(int64_t n, float *s, const void *x, const void *y);
void qlm_dot_q6_k_q8_k(int64_t n, float *s, const void *x, const void *y);

#endif
