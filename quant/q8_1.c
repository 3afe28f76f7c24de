/* Q8_1: Q8_0 plus s = d * sum(q), the activation format of Q4_1 and Q5_1 weights
 * (their min m contributes m * sum(dy*q8) = m*s to a block's dot product).
 *
 * Quantizer as ggml's: d = max|x| / 127, q = roundf(x/d), s = f16(sum(q) * d) with
 * the sum taken over the stored int8 levels and d before its rounding to f16. */
#include "quants.h"
#include "quant_util.h"

void qlm_dequant_q8_1(const void *src, float *dst, int64_t n) {
    const block_q8_1 *x = src;
    for (int64_t i = 0; i < n / QK8_1; i++) {
        const float d = qlm_f16_to_f32(x[i].d);
        for (int j = 0; j < QK8_1; j++) dst[i * QK8_1 + j] = x[i].qs[j] * d;
    }
}

void qlm_quant_q8_1_ref(const float *src, void *dst, int64_t n) {
    block_q8_1 *y = dst;
    for (int64_t i = 0; i < n / QK8_1; i++) {
        const float *x = src + i * QK8_1;
        float amax = 0;
        for (int j = 0; j < QK8_1; j++) {
            if (fabsf(x[j]) > amax) amax = fabsf(x[j]);
        }
        const float d = amax / 127;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = qlm_f32_to_f16(d);
        int sum = 0;
        for (int j = 0; j < QK8_1; j++) {
            y[i].qs[j] = qlm_round_q8(x[j] * id);
            sum += y[i].qs[j];
        }
        y[i].s = qlm_f32_to_f16(sum * d);
    }
}
