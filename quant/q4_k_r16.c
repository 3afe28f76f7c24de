/* Q4_K_R16 and Q5_K_R16: 16 Q4_K or Q5_K rows interleaved (layouts in blocks.h). The
 * conversions move bytes only: the weights, scales and mins are the rows', bit for bit.
 * Both types share the scale packing and the qs order; Q5_K_R16 adds the qh lines. */
#include "quants.h"
#include "blocks.h"
#include "quant_util.h"

#include <stdbool.h>
#include <string.h>

/* The parts of one K-quant super-block of a row that the interleaving moves. */
typedef struct {
    qlm_f16 *d, *dmin;
    uint8_t *scales, *qs, *qh; /* qh: NULL for Q4_K */
} kq_parts;

static kq_parts q4_k_parts(block_q4_k *x) { return (kq_parts){&x->d, &x->dmin, x->scales, x->qs, NULL}; }
static kq_parts q5_k_parts(block_q5_k *x) { return (kq_parts){&x->d, &x->dmin, x->scales, x->qs, x->qh}; }

/* The parts of one group block (qh: NULL for Q4_K_R16). */
typedef struct {
    qlm_f16 *d, *dmin;
    uint8_t *sl, *sh, *qs, *qh;
} group_parts;

/* Row r's super-block into the group's d, dmin, scale values v[16 j + r] (j < 8: scale
 * j, else min j - 8), qs lines and (Q5_K) qh lines. */
static void put_row(const kq_parts *x, int r, const group_parts *g, uint8_t v[256]) {
    uint8_t *qs = g->qs, *qh = g->qh;
    g->d[r] = *x->d;
    g->dmin[r] = *x->dmin;
    for (int j = 0; j < 8; j++) qlm_kq_get_scale_min(j, x->scales, &v[16 * j + r], &v[16 * (j + 8) + r]);
    for (int c = 0; c < 4; c++)
        for (int q = 0; q < 8; q++) memcpy(qs + 64 * (8 * c + q) + 4 * r, x->qs + 32 * c + 4 * q, 4);
    if (qh)
        for (int q = 0; q < 8; q++) memcpy(qh + 64 * q + 4 * r, x->qh + 4 * q, 4);
}

static void get_row(kq_parts *x, int r, const group_parts *g, const uint8_t v[256]) {
    const uint8_t *qs = g->qs, *qh = g->qh;
    *x->d = g->d[r];
    *x->dmin = g->dmin[r];
    uint8_t sc[8], mn[8];
    for (int j = 0; j < 8; j++) {
        sc[j] = v[16 * j + r];
        mn[j] = v[16 * (j + 8) + r];
    }
    qlm_kq_put_scales_mins(x->scales, sc, mn);
    for (int c = 0; c < 4; c++)
        for (int q = 0; q < 8; q++) memcpy(x->qs + 32 * c + 4 * q, qs + 64 * (8 * c + q) + 4 * r, 4);
    if (qh)
        for (int q = 0; q < 8; q++) memcpy(x->qh + 4 * q, qh + 64 * q + 4 * r, 4);
}

/* v[256] (6-bit values) into sl[128], sh[64], and back */
static void pack_scales(const uint8_t v[256], uint8_t sl[128], uint8_t sh[64]) {
    for (int b = 0; b < 128; b++) sl[b] = (uint8_t)((v[b] & 15) | (v[b + 128] & 15) << 4);
    for (int b = 0; b < 64; b++)
        sh[b] = (uint8_t)(v[b] >> 4 | (v[b + 64] >> 4) << 2 | (v[b + 128] >> 4) << 4 | (v[b + 192] >> 4) << 6);
}

static void unpack_scales(const uint8_t sl[128], const uint8_t sh[64], uint8_t v[256]) {
    for (int b = 0; b < 256; b++) {
        const int shift = 2 * (b / 64); /* sh holds b, b + 64, b + 128, b + 192 */
        v[b] = (uint8_t)(((sl[b % 128] >> (b < 128 ? 0 : 4)) & 15) | ((sh[b % 64] >> shift) & 3) << 4);
    }
}

/* Block s of the Q4_K_R16 (q5 false) or Q5_K_R16 group at g, as parts. */
static group_parts group_of(void *g, int64_t s, bool q5) {
    if (q5) {
        block_q5_k_r16 *b = (block_q5_k_r16 *)g + s;
        return (group_parts){b->d, b->dmin, b->sl, b->sh, b->qs, b->qh[0][0]};
    }
    block_q4_k_r16 *b = (block_q4_k_r16 *)g + s;
    return (group_parts){b->d, b->dmin, b->sl, b->sh, b->qs, NULL};
}

/* Super-block s of row r, as parts. */
static kq_parts row_of(void *rows, size_t row_bytes, int r, int64_t s, bool q5) {
    uint8_t *row = (uint8_t *)rows + (size_t)r * row_bytes;
    return q5 ? q5_k_parts((block_q5_k *)row + s) : q4_k_parts((block_q4_k *)row + s);
}

/* rows are only read, dst only written (the casts drop const for the shared helpers) */
static void interleave(const void *rows, size_t row_bytes, void *dst, int64_t n, bool q5) {
    for (int64_t s = 0; s < n / QK_K; s++) {
        const group_parts g = group_of(dst, s, q5);
        uint8_t v[256];
        for (int r = 0; r < 16; r++) {
            const kq_parts x = row_of((void *)rows, row_bytes, r, s, q5);
            put_row(&x, r, &g, v);
        }
        pack_scales(v, g.sl, g.sh);
    }
}

static void deinterleave(const void *src, void *rows, size_t row_bytes, int64_t n, bool q5) {
    for (int64_t s = 0; s < n / QK_K; s++) {
        const group_parts g = group_of((void *)src, s, q5);
        uint8_t v[256];
        unpack_scales(g.sl, g.sh, v);
        for (int r = 0; r < 16; r++) {
            kq_parts x = row_of(rows, row_bytes, r, s, q5);
            get_row(&x, r, &g, v);
        }
    }
}

void qlm_q4_k_r16_from_q4_k(const void *rows, size_t row_bytes, void *dst, int64_t n) {
    interleave(rows, row_bytes, dst, n, false);
}

void qlm_q4_k_r16_to_q4_k(const void *src, void *rows, size_t row_bytes, int64_t n) {
    deinterleave(src, rows, row_bytes, n, false);
}

void qlm_q5_k_r16_from_q5_k(const void *rows, size_t row_bytes, void *dst, int64_t n) {
    interleave(rows, row_bytes, dst, n, true);
}

void qlm_q5_k_r16_to_q5_k(const void *src, void *rows, size_t row_bytes, int64_t n) {
    deinterleave(src, rows, row_bytes, n, true);
}
