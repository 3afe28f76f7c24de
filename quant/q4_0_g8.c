/* Q4_0_G8: Q4_0 regrouped 8 blocks at a time, scales first (layout in blocks.h). The
 * weights and their arithmetic are Q4_0's: dequantizing and dot products give the
 * same values, in the same order, as the Q4_0 row it was made from. */
#include "quants.h"
#include "blocks.h"

#include <string.h>

void qlm_q4_0_g8_from_q4_0(const void *src, void *dst, int64_t n) {
    const block_q4_0 *x = src;
    block_q4_0_g8 *y = dst;
    for (int64_t i = 0; i < n / QK_K; i++) {
        block_q4_0_g8 g; /* a copy first: dst may be src */
        for (int j = 0; j < 8; j++) {
            g.d[j] = x[8 * i + j].d;
            memcpy(g.qs[j], x[8 * i + j].qs, sizeof g.qs[j]);
        }
        memcpy(&y[i], &g, sizeof g);
    }
}

/* back to Q4_0 blocks, one super-block (8 blocks) at a time */
static void to_q4_0(const block_q4_0_g8 *g, block_q4_0 *b) {
    for (int j = 0; j < 8; j++) {
        b[j].d = g->d[j];
        memcpy(b[j].qs, g->qs[j], sizeof b[j].qs);
    }
}

void qlm_dequant_q4_0_g8(const void *src, float *dst, int64_t n) {
    const block_q4_0_g8 *x = src;
    for (int64_t i = 0; i < n / QK_K; i++) {
        block_q4_0 b[8];
        to_q4_0(&x[i], b);
        qlm_dequant_q4_0(b, dst + i * QK_K, QK_K);
    }
}

void qlm_quant_q4_0_g8_ref(const float *src, void *dst, int64_t n) {
    qlm_quant_q4_0_ref(src, dst, n); /* same bytes per 256 weights */
    qlm_q4_0_g8_from_q4_0(dst, dst, n);
}

void qlm_dot_q4_0_g8_q8_0(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q4_0_g8 *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++)
        for (int j = 0; j < 8; j++) {
            int sumi = 0;
            for (int k = 0; k < QK4_0 / 2; k++) {
                sumi += ((x[i].qs[j][k] & 15) - 8) * y[8 * i + j].qs[k];
                sumi += ((x[i].qs[j][k] >> 4) - 8) * y[8 * i + j].qs[k + QK4_0 / 2];
            }
            /* as qlm_dot_q4_0_q8_0: (sumi * dx) * dy, blocks in order */
            sum += sumi * qlm_f16_to_f32(x[i].d[j]) * qlm_f16_to_f32(y[8 * i + j].d);
        }
    *s = sum;
}
