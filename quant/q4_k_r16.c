/* Q4_K_R16 and Q5_K_R16: 16 Q4_K or Q5_K rows interleaved (layouts in blocks.h). The
 * conversions move bytes only: the weights, scales and mins are the rows', bit for bit.
 * Both types share the scale packing and the qs order; Q5_K_R16 adds the qh lines. */
#include "quants.h"
#include "blocks.h"
#include "quant_util.h"

#include <string.h>

/* The parts of one K-quant super-block of a row that the interleaving moves. */
typedef struct {
    qlm_f16 *d, *dmin;
    uint8_t *scales, *qs, *qh; /* qh: NULL for Q4_K */
} kq_parts;

static kq_parts q4_k_parts(block_q4_k *x) { return (kq_parts){&x->d, &x->dmin, x->scales, x->qs, NULL}; }
static kq_parts q5_k_parts(block_q5_k *x) { return (kq_parts){&x->d, &x->dmin, x->scales, x->qs, x->qh}; }

/* Row r's super-block into the group's d, dmin, scale values v[16 j + r] (j < 8: scale
 * j, else min j - 8), qs lines and (Q5_K) qh lines. */
static void put_row(const kq_parts *x, int r, qlm_f16 *d, qlm_f16 *dmin, uint8_t v[256], uint8_t *qs, uint8_t *qh) {
    d[r] = *x->d;
    dmin[r] = *x->dmin;
    for (int j = 0; j < 8; j++) qlm_kq_get_scale_min(j, x->scales, &v[16 * j + r], &v[16 * (j + 8) + r]);
    for (int c = 0; c < 4; c++)
        for (int q = 0; q < 8; q++) memcpy(qs + 64 * (8 * c + q) + 4 * r, x->qs + 32 * c + 4 * q, 4);
    if (qh)
        for (int q = 0; q < 8; q++) memcpy(qh + 64 * q + 4 * r, x->qh + 4 * q, 4);
}

static void get_row(kq_parts *x, int r, const qlm_f16 *d, const qlm_f16 *dmin, const uint8_t v[256], const uint8_t *qs,
                    const uint8_t *qh) {
    *x->d = d[r];
    *x->dmin = dmin[r];
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

void qlm_q4_k_r16_from_q4_k(const void *rows, size_t row_bytes, void *dst, int64_t n) {
    block_q4_k_r16 *y = dst;
    for (int64_t s = 0; s < n / QK_K; s++) {
        block_q4_k_r16 *g = &y[s];
        uint8_t v[256];
        for (int r = 0; r < 16; r++) {
            const kq_parts x = q4_k_parts((block_q4_k *)((const uint8_t *)rows + (size_t)r * row_bytes) + s);
            put_row(&x, r, g->d, g->dmin, v, g->qs, NULL);
        }
        pack_scales(v, g->sl, g->sh);
    }
}

void qlm_q4_k_r16_to_q4_k(const void *src, void *rows, size_t row_bytes, int64_t n) {
    const block_q4_k_r16 *y = src;
    for (int64_t s = 0; s < n / QK_K; s++) {
        const block_q4_k_r16 *g = &y[s];
        uint8_t v[256];
        unpack_scales(g->sl, g->sh, v);
        for (int r = 0; r < 16; r++) {
            kq_parts x = q4_k_parts((block_q4_k *)((uint8_t *)rows + (size_t)r * row_bytes) + s);
            get_row(&x, r, g->d, g->dmin, v, g->qs, NULL);
        }
    }
}

void qlm_q5_k_r16_from_q5_k(const void *rows, size_t row_bytes, void *dst, int64_t n) {
    block_q5_k_r16 *y = dst;
    for (int64_t s = 0; s < n / QK_K; s++) {
        block_q5_k_r16 *g = &y[s];
        uint8_t v[256];
        for (int r = 0; r < 16; r++) {
            const kq_parts x = q5_k_parts((block_q5_k *)((const uint8_t *)rows + (size_t)r * row_bytes) + s);
            put_row(&x, r, g->d, g->dmin, v, g->qs, g->qh[0][0]);
        }
        pack_scales(v, g->sl, g->sh);
    }
}

void qlm_q5_k_r16_to_q5_k(const void *src, void *rows, size_t row_bytes, int64_t n) {
    const block_q5_k_r16 *y = src;
    for (int64_t s = 0; s < n / QK_K; s++) {
        const block_q5_k_r16 *g = &y[s];
        uint8_t v[256];
        unpack_scales(g->sl, g->sh, v);
        for (int r = 0; r < 16; r++) {
            kq_parts x = q5_k_parts((block_q5_k *)((uint8_t *)rows + (size_t)r * row_bytes) + s);
            get_row(&x, r, g->d, g->dmin, v, g->qs, g->qh[0][0]);
        }
    }
}
