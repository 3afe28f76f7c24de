/* Functions shared between the x86 kernel files (internal). Those named qlm_avx2_* need
 * AVX2+FMA+F16C+BMI2, qlm_avx512_* also AVX-512 F/BW/VL/DQ+VNNI: call them only from
 * tables installed after the matching run-time check (ggml-like/kernels.c). */
#ifndef QLM_KERNELS_X86_H
#define QLM_KERNELS_X86_H

#include "../ggml-like/kernels.h"

void qlm_avx2_quant_q8_0(const float *x, void *y, int64_t n);
void qlm_avx2_quant_q8_1(const float *x, void *y, int64_t n);
void qlm_avx2_quant_q8_k(const float *x, void *y, int64_t n);
void qlm_avx2_quant_f16(const float *x, void *y, int64_t n);
void qlm_avx2_dequant_f16(const void *x, float *y, int64_t n);
void qlm_avx2_dequant_bf16(const void *x, float *y, int64_t n);

void qlm_avx2_attn_head(const float *q, const void *k, const void *v, size_t kv_stride,
                        int n_pos, int hd, float scale, bool f16, float *scores, float *out);

void qlm_avx2_fill_gemm(qlm_kernels *k);
void qlm_avx512_fill_gemm(qlm_kernels *k);

#endif
