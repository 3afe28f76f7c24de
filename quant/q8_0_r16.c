/* Q8_0_R16: 16 Q8_0 rows interleaved (layout in blocks.h). The scales are Q8_0's bit
 * for bit; each level is stored with its sign bit flipped (q + 128), undone on the way
 * back. */
#include "quants.h"
#include "blocks.h"

#include <string.h>

void qlm_q8_0_r16_from_q8_0(const void *rows, size_t row_bytes, void *dst, int64_t n) {
    block_q8_0_r16 *y = dst;
    for (int64_t s = 0; s < n / QK_K; s++) {
        block_q8_0_r16 *g = &y[s];
        for (int r = 0; r < 16; r++) {
            const block_q8_0 *x = (const block_q8_0 *)((const uint8_t *)rows + (size_t)r * row_bytes) + 8 * s;
            for (int j = 0; j < 8; j++) {
                g->d[j][r] = x[j].d;
                for (int q = 0; q < 8; q++) { /* 4 levels at a time, sign bits flipped */
                    uint32_t v;
                    memcpy(&v, x[j].qs + 4 * q, 4);
                    v ^= 0x80808080u;
                    memcpy(g->qs[j][q][r], &v, 4);
                }
            }
        }
    }
}

void qlm_q8_0_r16_to_q8_0(const void *src, void *rows, size_t row_bytes, int64_t n) {
    const block_q8_0_r16 *y = src;
    for (int64_t s = 0; s < n / QK_K; s++) {
        const block_q8_0_r16 *g = &y[s];
        for (int r = 0; r < 16; r++) {
            block_q8_0 *x = (block_q8_0 *)((uint8_t *)rows + (size_t)r * row_bytes) + 8 * s;
            for (int j = 0; j < 8; j++) {
                x[j].d = g->d[j][r];
                for (int q = 0; q < 8; q++) {
                    uint32_t v;
                    memcpy(&v, g->qs[j][q][r], 4);
                    v ^= 0x80808080u;
                    memcpy(x[j].qs + 4 * q, &v, 4);
                }
            }
        }
    }
}
