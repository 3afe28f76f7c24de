/* Q4_K_R16: 16 Q4_K rows interleaved (layout in blocks.h). The conversions move bytes
 * only: the weights, scales and mins are Q4_K's, bit for bit. */
#include "quants.h"
#include "blocks.h"
#include "quant_util.h"

#include <string.h>

void qlm_q4_k_r16_from_q4_k(const void *rows, size_t row_bytes, void *dst, int64_t n) {
    block_q4_k_r16 *y = dst;
    for (int64_t s = 0; s < n / QK_K; s++) {
        block_q4_k_r16 *g = &y[s];
        uint8_t v[256]; /* v[16 j + r]: row r's scale j (j < 8) or min j - 8 */
        for (int r = 0; r < 16; r++) {
            const block_q4_k *x = (const block_q4_k *)((const uint8_t *)rows + (size_t)r * row_bytes) + s;
            g->d[r] = x->d;
            g->dmin[r] = x->dmin;
            for (int j = 0; j < 8; j++) qlm_kq_get_scale_min(j, x->scales, &v[16 * j + r], &v[16 * (j + 8) + r]);
            for (int c = 0; c < 4; c++)
                for (int q = 0; q < 8; q++) memcpy(g->qs + 64 * (8 * c + q) + 4 * r, x->qs + 32 * c + 4 * q, 4);
        }
        for (int b = 0; b < 128; b++) g->sl[b] = (uint8_t)((v[b] & 15) | (v[b + 128] & 15) << 4);
        for (int b = 0; b < 64; b++)
            g->sh[b] = (uint8_t)(v[b] >> 4 | (v[b + 64] >> 4) << 2 | (v[b + 128] >> 4) << 4 | (v[b + 192] >> 4) << 6);
    }
}

void qlm_q4_k_r16_to_q4_k(const void *src, void *rows, size_t row_bytes, int64_t n) {
    const block_q4_k_r16 *y = src;
    for (int64_t s = 0; s < n / QK_K; s++) {
        const block_q4_k_r16 *g = &y[s];
        uint8_t v[256];
        for (int b = 0; b < 256; b++) {
            const int shift = 2 * (b / 64); /* sh holds b, b + 64, b + 128, b + 192 */
            v[b] = (uint8_t)(((g->sl[b % 128] >> (b < 128 ? 0 : 4)) & 15) | ((g->sh[b % 64] >> shift) & 3) << 4);
        }
        for (int r = 0; r < 16; r++) {
            block_q4_k *x = (block_q4_k *)((uint8_t *)rows + (size_t)r * row_bytes) + s;
            x->d = g->d[r];
            x->dmin = g->dmin[r];
            uint8_t sc[8], mn[8];
            for (int j = 0; j < 8; j++) {
                sc[j] = v[16 * j + r];
                mn[j] = v[16 * (j + 8) + r];
            }
            qlm_kq_put_scales_mins(x->scales, sc, mn);
            for (int c = 0; c < 4; c++)
                for (int q = 0; q < 8; q++) memcpy(x->qs + 32 * c + 4 * q, g->qs + 64 * (8 * c + q) + 4 * r, 4);
        }
    }
}
