/* Q8_0: blocks of 32 weights, x = d*q with q in -127..127.
 *
 * Reference quantizer (llama.cpp's): d = max|x| / 127, q = roundf(x/d) (ties away
 * from zero). Also the activation format of Q4_0, Q5_0 and Q8_0 weights. Dot product
 * against Q8_0: integer sum per block times (dx*dy). */
#include "quants.h"
#include "quant_util.h"

void qlm_dequant_q8_0(const void *src, float *dst, int64_t n) {
    const block_q8_0 *x = src;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        const float d = qlm_f16_to_f32(x[i].d);
        for (int j = 0; j < QK8_0; j++) dst[i * QK8_0 + j] = x[i].qs[j] * d;
    }
}

void qlm_quant_q8_0_ref(const float *src, void *dst, int64_t n) {
    block_q8_0 *y = dst;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        const float *x = src + i * QK8_0;
        float amax = 0;
        for (int j = 0; j < QK8_0; j++) {
            if (fabsf(x[j]) > amax) amax = fabsf(x[j]);
        }
        const float d = amax / 127;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = qlm_f32_to_f16(d);
        for (int j = 0; j < QK8_0; j++) y[i].qs[j] = qlm_round_q8(x[j] * id);
    }
}

void qlm_dot_q8_0_q8_0(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q8_0 *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        int sumi = 0;
        for (int j = 0; j < QK8_0; j++) sumi += x[i].qs[j] * y[i].qs[j];
        sum += sumi * (qlm_f16_to_f32(x[i].d) * qlm_f16_to_f32(y[i].d));
    }
    *s = sum;
}
