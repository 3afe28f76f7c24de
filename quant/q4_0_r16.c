/* Q4_0_R16 and Q8_0_R16: 16 Q4_0 or Q8_0 rows interleaved (layouts in blocks.h). The
 * conversions move bytes only: the scales and levels are the rows', bit for bit (Q8_0's
 * levels stored with the sign bit flipped, undone on the way back). */
#include "quants.h"
#include "blocks.h"

#include <stddef.h>
#include <string.h>

_Static_assert(offsetof(block_q4_0_r16, qs) == 256 && offsetof(block_q8_0_r16, qs) == 256 &&
                   offsetof(block_q4_0, qs) == 2 && offsetof(block_q8_0, qs) == 2,
               "interleave32's offsets: d[8][16] then qs; a block's d then its qs");

/* Both layouts, per 8 blocks of 32 values (bsz bytes each: f16 d, then 4 x lines qs
 * bytes) of 16 rows: d[8][16], then qs[8][lines][16][4], each 4-byte word xor flip. */
static void interleave32(const void *rows, size_t row_bytes, void *dst, int64_t n, size_t bsz, int lines,
                         uint32_t flip) {
    uint8_t *g = dst;
    for (int64_t s = 0; s < n / QK_K; s++, g += 16 * 8 * bsz) {
        for (int r = 0; r < 16; r++) {
            const uint8_t *x = (const uint8_t *)rows + (size_t)r * row_bytes + 8 * bsz * (size_t)s;
            for (int j = 0; j < 8; j++, x += bsz) {
                memcpy(g + 2 * (16 * j + r), x, 2);
                for (int q = 0; q < lines; q++) {
                    uint32_t v;
                    memcpy(&v, x + 2 + 4 * q, 4);
                    v ^= flip;
                    memcpy(g + 256 + 4 * (16 * (lines * j + q) + r), &v, 4);
                }
            }
        }
    }
}

static void deinterleave32(const void *src, void *rows, size_t row_bytes, int64_t n, size_t bsz, int lines,
                           uint32_t flip) {
    const uint8_t *g = src;
    for (int64_t s = 0; s < n / QK_K; s++, g += 16 * 8 * bsz) {
        for (int r = 0; r < 16; r++) {
            uint8_t *x = (uint8_t *)rows + (size_t)r * row_bytes + 8 * bsz * (size_t)s;
            for (int j = 0; j < 8; j++, x += bsz) {
                memcpy(x, g + 2 * (16 * j + r), 2);
                for (int q = 0; q < lines; q++) {
                    uint32_t v;
                    memcpy(&v, g + 256 + 4 * (16 * (lines * j + q) + r), 4);
                    v ^= flip;
                    memcpy(x + 2 + 4 * q, &v, 4);
                }
            }
        }
    }
}

void qlm_q4_0_r16_from_q4_0(const void *rows, size_t row_bytes, void *dst, int64_t n) {
    interleave32(rows, row_bytes, dst, n, sizeof(block_q4_0), 4, 0);
}

void qlm_q4_0_r16_to_q4_0(const void *src, void *rows, size_t row_bytes, int64_t n) {
    deinterleave32(src, rows, row_bytes, n, sizeof(block_q4_0), 4, 0);
}

void qlm_q8_0_r16_from_q8_0(const void *rows, size_t row_bytes, void *dst, int64_t n) {
    interleave32(rows, row_bytes, dst, n, sizeof(block_q8_0), 8, 0x80808080u);
}

void qlm_q8_0_r16_to_q8_0(const void *src, void *rows, size_t row_bytes, int64_t n) {
    deinterleave32(src, rows, row_bytes, n, sizeof(block_q8_0), 8, 0x80808080u);
}
