/* BF16: the top 16 bits of an f32. f32 -> bf16 rounds to nearest even and keeps NaNs
 * quiet (qlm_f32_to_bf16), which is what llama.cpp writes. The dot product follows
 * ggml's scalar vec_dot_bf16: float products, double sum. */
#include "quants.h"
#include "../ggml-like/fp16.h"

void qlm_dequant_bf16(const void *src, float *dst, int64_t n) {
    const qlm_bf16 *x = src;
    for (int64_t i = 0; i < n; i++) dst[i] = qlm_bf16_to_f32(x[i]);
}

void qlm_quant_bf16_ref(const float *src, void *dst, int64_t n) {
    qlm_bf16 *y = dst;
    for (int64_t i = 0; i < n; i++) y[i] = qlm_f32_to_bf16(src[i]);
}

void qlm_dot_bf16_bf16(int64_t n, float *s, const void *vx, const void *vy) {
    const qlm_bf16 *x = vx, *y = vy;
    double sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += (double)(qlm_bf16_to_f32(x[i]) * qlm_bf16_to_f32(y[i]));
    *s = (float)sum;
}

/* BF16 weights against f32 activations: the activations keep their full precision
 * (bf16 has only 8 mantissa bits, so rounding them as well would cost accuracy for no
 * bandwidth gain in generation). This is what BF16 tensors use in qlm's matmul. */
void qlm_dot_bf16_f32(int64_t n, float *s, const void *vx, const void *vy) {
    const qlm_bf16 *x = vx;
    const float *y = vy;
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += (double)(qlm_bf16_to_f32(x[i]) * y[i]);
    *s = (float)sum;
}
