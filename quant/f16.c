/* F16: IEEE binary16. f32 -> f16 rounds to nearest even (qlm_f32_to_f16), which is
 * what llama.cpp writes. The dot product follows ggml's scalar vec_dot_f16: each
 * product of the widened halves is rounded to float, the sum is kept in double. */
#include "quants.h"
#include "../ggml-like/fp16.h"

void qlm_dequant_f16(const void *src, float *dst, int64_t n) {
    const qlm_f16 *x = src;
    for (int64_t i = 0; i < n; i++) dst[i] = qlm_f16_to_f32(x[i]);
}

void qlm_quant_f16_ref(const float *src, void *dst, int64_t n) {
    qlm_f16 *y = dst;
    for (int64_t i = 0; i < n; i++) y[i] = qlm_f32_to_f16(src[i]);
}

void qlm_dot_f16_f16(int64_t n, float *s, const void *vx, const void *vy) {
    const qlm_f16 *x = vx, *y = vy;
    double sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += (double)(qlm_f16_to_f32(x[i]) * qlm_f16_to_f32(y[i]));
    *s = (float)sum;
}
