/* Q5_0: blocks of 32 weights, x = d*(q - 16) with q in 0..31 (layout in blocks.h:
 * nibbles as Q4_0, bit 4 of weight j is bit j of the little-endian word qh).
 *
 * Reference quantizer (llama.cpp's): m = the value of largest magnitude with its sign,
 * d = m / -16, q = trunc(x/d + 16.5) capped at 31. Dot product against Q8_0. */
#include "quants.h"
#include "quant_util.h"

static inline uint32_t load_qh(const uint8_t qh[4]) {
    return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
}

/* The 5-bit levels of one block, in weight order. */
static inline void unpack_q5_0(const block_q5_0 *b, int q[QK5_0]) {
    const uint32_t qh = load_qh(b->qh);
    for (int j = 0; j < QK5_0 / 2; j++) {
        q[j] = (b->qs[j] & 15) | (int)((qh >> j) & 1) << 4;
        q[j + QK5_0 / 2] = (b->qs[j] >> 4) | (int)((qh >> (j + QK5_0 / 2)) & 1) << 4;
    }
}

void qlm_dequant_q5_0(const void *src, float *dst, int64_t n) {
    const block_q5_0 *x = src;
    for (int64_t i = 0; i < n / QK5_0; i++) {
        const float d = qlm_f16_to_f32(x[i].d);
        int q[QK5_0];
        unpack_q5_0(&x[i], q);
        for (int j = 0; j < QK5_0; j++) dst[i * QK5_0 + j] = (q[j] - 16) * d;
    }
}

void qlm_quant_q5_0_ref(const float *src, void *dst, int64_t n) {
    block_q5_0 *y = dst;
    for (int64_t i = 0; i < n / QK5_0; i++) {
        const float *x = src + i * QK5_0;
        float amax = 0, m = 0;
        for (int j = 0; j < QK5_0; j++) {
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); m = x[j]; }
        }
        const float d = m / -16;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = qlm_f32_to_f16(d);
        uint32_t qh = 0;
        for (int j = 0; j < QK5_0 / 2; j++) {
            int q0 = qlm_trunc_clamp(x[j] * id + 16.5f, 0, 31);
            int q1 = qlm_trunc_clamp(x[j + QK5_0 / 2] * id + 16.5f, 0, 31);
            y[i].qs[j] = (uint8_t)((q0 & 15) | ((q1 & 15) << 4));
            qh |= (uint32_t)(q0 >> 4) << j;
            qh |= (uint32_t)(q1 >> 4) << (j + QK5_0 / 2);
        }
        for (int k = 0; k < 4; k++) y[i].qh[k] = (uint8_t)(qh >> (8 * k));
    }
}

void qlm_dot_q5_0_q8_0(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q5_0 *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0;
    for (int64_t i = 0; i < n / QK5_0; i++) {
        int q[QK5_0];
        unpack_q5_0(&x[i], q);
        int sumi = 0;
        for (int j = 0; j < QK5_0; j++) sumi += (q[j] - 16) * y[i].qs[j];
        sum += (qlm_f16_to_f32(x[i].d) * qlm_f16_to_f32(y[i].d)) * sumi;
    }
    *s = sum;
}
