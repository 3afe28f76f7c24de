/* Q5_1: blocks of 32 weights, x = d*q + m with q in 0..31 (bits as Q5_0, see
 * blocks.h).
 *
 * Reference quantizer (llama.cpp's): m = block minimum, d = (max - min)/31,
 * q = trunc((x - min)/d + 0.5). Dot product against Q8_1, min term from y.s as in
 * Q4_1. */
#include "quants.h"
#include "quant_util.h"

#include <float.h>

static inline uint32_t load_qh(const uint8_t qh[4]) {
    return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
}

static inline void unpack_q5_1(const block_q5_1 *b, int q[QK5_1]) {
    const uint32_t qh = load_qh(b->qh);
    for (int j = 0; j < QK5_1 / 2; j++) {
        q[j] = (b->qs[j] & 15) | (int)((qh >> j) & 1) << 4;
        q[j + QK5_1 / 2] = (b->qs[j] >> 4) | (int)((qh >> (j + QK5_1 / 2)) & 1) << 4;
    }
}

void qlm_dequant_q5_1(const void *src, float *dst, int64_t n) {
    const block_q5_1 *x = src;
    for (int64_t i = 0; i < n / QK5_1; i++) {
        const float d = qlm_f16_to_f32(x[i].d);
        const float m = qlm_f16_to_f32(x[i].m);
        int q[QK5_1];
        unpack_q5_1(&x[i], q);
        for (int j = 0; j < QK5_1; j++) dst[i * QK5_1 + j] = q[j] * d + m;
    }
}

void qlm_quant_q5_1_ref(const float *src, void *dst, int64_t n) {
    block_q5_1 *y = dst;
    for (int64_t i = 0; i < n / QK5_1; i++) {
        const float *x = src + i * QK5_1;
        float lo = FLT_MAX, hi = -FLT_MAX;
        for (int j = 0; j < QK5_1; j++) {
            if (x[j] < lo) lo = x[j];
            if (x[j] > hi) hi = x[j];
        }
        const float d = (hi - lo) / 31;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = qlm_f32_to_f16(d);
        y[i].m = qlm_f32_to_f16(lo);
        uint32_t qh = 0;
        for (int j = 0; j < QK5_1 / 2; j++) {
            /* (x - min)/d never exceeds 31 by more than rounding error, so the cap at
             * 31 changes nothing for finite input (llama.cpp has none here) */
            int q0 = qlm_trunc_clamp((x[j] - lo) * id + 0.5f, 0, 31);
            int q1 = qlm_trunc_clamp((x[j + QK5_1 / 2] - lo) * id + 0.5f, 0, 31);
            y[i].qs[j] = (uint8_t)((q0 & 15) | ((q1 & 15) << 4));
            qh |= (uint32_t)(q0 >> 4) << j;
            qh |= (uint32_t)(q1 >> 4) << (j + QK5_1 / 2);
        }
        for (int k = 0; k < 4; k++) y[i].qh[k] = (uint8_t)(qh >> (8 * k));
    }
}

void qlm_dot_q5_1_q8_1(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q5_1 *x = vx;
    const block_q8_1 *y = vy;
    float sum = 0;
    for (int64_t i = 0; i < n / QK5_1; i++) {
        int q[QK5_1];
        unpack_q5_1(&x[i], q);
        int sumi = 0;
        for (int j = 0; j < QK5_1; j++) sumi += q[j] * y[i].qs[j];
        sum += (qlm_f16_to_f32(x[i].d) * qlm_f16_to_f32(y[i].d)) * sumi
             + qlm_f16_to_f32(x[i].m) * qlm_f16_to_f32(y[i].s);
    }
    *s = sum;
}
