/* Q4_0_R16: 16 Q4_0 rows interleaved (layout in blocks.h). The conversions move bytes
 * only: the scales and levels are Q4_0's, bit for bit. */
#include "quants.h"
#include "blocks.h"

#include <string.h>

void qlm_q4_0_r16_from_q4_0(const void *rows, size_t row_bytes, void *dst, int64_t n) {
    block_q4_0_r16 *y = dst;
    for (int64_t s = 0; s < n / QK_K; s++) {
        block_q4_0_r16 *g = &y[s];
        for (int r = 0; r < 16; r++) {
            const block_q4_0 *x = (const block_q4_0 *)((const uint8_t *)rows + (size_t)r * row_bytes) + 8 * s;
            for (int j = 0; j < 8; j++) {
                g->d[j][r] = x[j].d;
                for (int q = 0; q < 4; q++) memcpy(g->qs[j][q][r], x[j].qs + 4 * q, 4);
            }
        }
    }
}

void qlm_q4_0_r16_to_q4_0(const void *src, void *rows, size_t row_bytes, int64_t n) {
    const block_q4_0_r16 *y = src;
    for (int64_t s = 0; s < n / QK_K; s++) {
        const block_q4_0_r16 *g = &y[s];
        for (int r = 0; r < 16; r++) {
            block_q4_0 *x = (block_q4_0 *)((uint8_t *)rows + (size_t)r * row_bytes) + 8 * s;
            for (int j = 0; j < 8; j++) {
                x[j].d = g->d[j][r];
                for (int q = 0; q < 4; q++) memcpy(x[j].qs + 4 * q, g->qs[j][q][r], 4);
            }
        }
    }
}
