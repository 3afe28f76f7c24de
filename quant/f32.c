/* F32: plain floats. Conversion is a copy; the dot product follows ggml's scalar
 * vec_dot_f32: each product is rounded to float, the sum is kept in double. */
#include "quants.h"

#include <string.h>

void qlm_dequant_f32(const void *src, float *dst, int64_t n) {
    memmove(dst, src, (size_t)n * sizeof(float));
}

void qlm_quant_f32_ref(const float *src, void *dst, int64_t n) {
    memmove(dst, src, (size_t)n * sizeof(float));
}

void qlm_dot_f32_f32(int64_t n, float *s, const void *vx, const void *vy) {
    const float *x = vx, *y = vy;
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += (double)(x[i] * y[i]);
    *s = (float)sum;
}
