/* Q4_0: blocks of 32 weights, x = d*(q - 8) with q in 0..15 (layout in blocks.h).
 *
 * Reference quantizer (llama.cpp's, byte for byte): m = the value of largest
 * magnitude, with its sign; d = m / -8, so m itself maps to q = 0 (level -8, the one
 * level without a positive twin) and the other values to trunc(x/d + 8.5) capped at
 * 15. Dot product against Q8_0: one integer sum per block, scaled by both deltas. */
#include "quants.h"
#include "quant_util.h"

void qlm_dequant_q4_0(const void *src, float *dst, int64_t n) {
    const block_q4_0 *x = src;
    for (int64_t i = 0; i < n / QK4_0; i++) {
        const float d = qlm_f16_to_f32(x[i].d);
        float *y = dst + i * QK4_0;
        for (int j = 0; j < QK4_0 / 2; j++) {
            y[j] = ((x[i].qs[j] & 15) - 8) * d;
            y[j + QK4_0 / 2] = ((x[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void qlm_quant_q4_0_ref(const float *src, void *dst, int64_t n) {
    block_q4_0 *y = dst;
    for (int64_t i = 0; i < n / QK4_0; i++) {
        const float *x = src + i * QK4_0;
        float amax = 0, m = 0;
        for (int j = 0; j < QK4_0; j++) {
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); m = x[j]; }
        }
        const float d = m / -8;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = qlm_f32_to_f16(d);
        for (int j = 0; j < QK4_0 / 2; j++) {
            int q0 = qlm_trunc_clamp(x[j] * id + 8.5f, 0, 15);
            int q1 = qlm_trunc_clamp(x[j + QK4_0 / 2] * id + 8.5f, 0, 15);
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void qlm_dot_q4_0_q8_0(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q4_0 *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0;
    for (int64_t i = 0; i < n / QK4_0; i++) {
        int sumi = 0;
        for (int j = 0; j < QK4_0 / 2; j++) {
            sumi += ((x[i].qs[j] & 15) - 8) * y[i].qs[j];
            sumi += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + QK4_0 / 2];
        }
        /* ggml's order: (sumi * dx) * dy */
        sum += sumi * qlm_f16_to_f32(x[i].d) * qlm_f16_to_f32(y[i].d);
    }
    *s = sum;
}
