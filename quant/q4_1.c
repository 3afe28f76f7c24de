/* Q4_1: blocks of 32 weights, x = d*q + m with q in 0..15 (layout in blocks.h).
 *
 * Reference quantizer (llama.cpp's): m = block minimum, d = (max - min)/15,
 * q = trunc((x - min)/d + 0.5) capped at 15. Dot product against Q8_1: the integer sum
 * of q*q8 scaled by dx*dy, plus the min term m * sum(dy*q8) = m * y.s, which Q8_1
 * precomputed per block. */
#include "quants.h"
#include "quant_util.h"

#include <float.h>

void qlm_dequant_q4_1(const void *src, float *dst, int64_t n) {
    const block_q4_1 *x = src;
    for (int64_t i = 0; i < n / QK4_1; i++) {
        const float d = qlm_f16_to_f32(x[i].d);
        const float m = qlm_f16_to_f32(x[i].m);
        float *y = dst + i * QK4_1;
        for (int j = 0; j < QK4_1 / 2; j++) {
            y[j] = (x[i].qs[j] & 15) * d + m;
            y[j + QK4_1 / 2] = (x[i].qs[j] >> 4) * d + m;
        }
    }
}

void qlm_quant_q4_1_ref(const float *src, void *dst, int64_t n) {
    block_q4_1 *y = dst;
    for (int64_t i = 0; i < n / QK4_1; i++) {
        const float *x = src + i * QK4_1;
        float lo = FLT_MAX, hi = -FLT_MAX;
        for (int j = 0; j < QK4_1; j++) {
            if (x[j] < lo) lo = x[j];
            if (x[j] > hi) hi = x[j];
        }
        const float d = (hi - lo) / 15;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = qlm_f32_to_f16(d);
        y[i].m = qlm_f32_to_f16(lo);
        for (int j = 0; j < QK4_1 / 2; j++) {
            int q0 = qlm_trunc_clamp((x[j] - lo) * id + 0.5f, 0, 15);
            int q1 = qlm_trunc_clamp((x[j + QK4_1 / 2] - lo) * id + 0.5f, 0, 15);
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void qlm_dot_q4_1_q8_1(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q4_1 *x = vx;
    const block_q8_1 *y = vy;
    float sum = 0;
    for (int64_t i = 0; i < n / QK4_1; i++) {
        int sumi = 0;
        for (int j = 0; j < QK4_1 / 2; j++) {
            sumi += (x[i].qs[j] & 15) * y[i].qs[j];
            sumi += (x[i].qs[j] >> 4) * y[i].qs[j + QK4_1 / 2];
        }
        sum += (qlm_f16_to_f32(x[i].d) * qlm_f16_to_f32(y[i].d)) * sumi
             + qlm_f16_to_f32(x[i].m) * qlm_f16_to_f32(y[i].s);
    }
    *s = sum;
}
