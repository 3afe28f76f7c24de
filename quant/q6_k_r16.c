/* Q6_K_R16: 16 Q6_K rows interleaved (layout in blocks.h). The conversions move bytes
 * only: the weights, scales and d are Q6_K's, bit for bit. */
#include "quants.h"
#include "blocks.h"

#include <string.h>

void qlm_q6_k_r16_from_q6_k(const void *rows, size_t row_bytes, void *dst, int64_t n) {
    block_q6_k_r16 *y = dst;
    for (int64_t s = 0; s < n / QK_K; s++) {
        block_q6_k_r16 *g = &y[s];
        uint8_t *q = (uint8_t *)q6_k_r16_q(g);
        int8_t *sc = (int8_t *)q6_k_r16_scales(g);
        qlm_f16 *d = (qlm_f16 *)q6_k_r16_d(g);
        for (int r = 0; r < 16; r++) {
            const block_q6_k *x = (const block_q6_k *)((const uint8_t *)rows + (size_t)r * row_bytes) + s;
            d[r] = x->d;
            for (int j = 0; j < 16; j++) sc[16 * j + r] = x->scales[j];
            for (int h = 0; h < 2; h++)
                for (int k = 0; k < 8; k++) {
                    uint8_t *c = q + 192 * (8 * h + k) + 4 * r;
                    memcpy(c, x->ql + 64 * h + 4 * k, 4);
                    memcpy(c + 64, x->ql + 64 * h + 32 + 4 * k, 4);
                    memcpy(c + 128, x->qh + 32 * h + 4 * k, 4);
                }
        }
    }
}

void qlm_q6_k_r16_to_q6_k(const void *src, void *rows, size_t row_bytes, int64_t n) {
    const block_q6_k_r16 *y = src;
    for (int64_t s = 0; s < n / QK_K; s++) {
        const block_q6_k_r16 *g = &y[s];
        const uint8_t *q = q6_k_r16_q(g);
        const int8_t *sc = q6_k_r16_scales(g);
        const qlm_f16 *d = q6_k_r16_d(g);
        for (int r = 0; r < 16; r++) {
            block_q6_k *x = (block_q6_k *)((uint8_t *)rows + (size_t)r * row_bytes) + s;
            x->d = d[r];
            for (int j = 0; j < 16; j++) x->scales[j] = sc[16 * j + r];
            for (int h = 0; h < 2; h++)
                for (int k = 0; k < 8; k++) {
                    const uint8_t *c = q + 192 * (8 * h + k) + 4 * r;
                    memcpy(x->ql + 64 * h + 4 * k, c, 4);
                    memcpy(x->ql + 64 * h + 32 + 4 * k, c + 64, 4);
                    memcpy(x->qh + 32 * h + 4 * k, c + 128, 4);
                }
        }
    }
}
