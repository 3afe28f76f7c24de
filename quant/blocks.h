/* Block layouts of the quantized formats, byte for byte as ggml stores them in GGUF
 * files (ggml-common.h is the ground truth; shared/docs/formats.md summarises it).
 *
 * A block holds a fixed number of weights and is stored packed, little-endian, with no
 * padding: every struct below is made of 1- and 2-byte members (Q8_K, which never
 * appears in a file, also has a float), so its natural layout has no holes, and the
 * _Static_asserts pin the sizes the file format requires.
 *
 * Halves are raw IEEE binary16 bits (qlm_f16 from ggml-like/fp16.h); convert with
 * qlm_f16_to_f32 / qlm_f32_to_f16.
 */
#ifndef QLM_BLOCKS_H
#define QLM_BLOCKS_H

#include <stddef.h>
#include <stdint.h>
#include "../ggml-like/fp16.h"

#define QK4_0 32
#define QK4_1 32
#define QK5_0 32
#define QK5_1 32
#define QK8_0 32
#define QK8_1 32
#define QK_K 256          /* super-block size of the K-quants */
#define K_SCALE_SIZE 12   /* bytes of packed 6-bit scales+mins in Q4_K / Q5_K */

/* Q4_0: x = d * (q - 8), q in 0..15.
 * qs[j] holds weight j in its low nibble and weight j+16 in its high nibble. */
typedef struct {
    qlm_f16 d;
    uint8_t qs[QK4_0 / 2];
} block_q4_0;

/* Q4_0_G8 (qlm's own, in memory only: never in a file): 8 Q4_0 blocks with their
 * scales grouped in front, d[j] and qs[j] being block j's. Same bytes per 256 weights
 * as Q4_0, so a Q4_0 row is regrouped in place (qlm_q4_0_g8_from_q4_0); the matrix-
 * vector loops then load 4 blocks' qs and 8 scales with one instruction each. */
typedef struct {
    qlm_f16 d[8];
    uint8_t qs[8][QK4_0 / 2];
} block_q4_0_g8;

/* Q4_0_R16 (qlm's own, in memory only: never in a file): 16 Q4_0 rows interleaved, one
 * block per 8 blocks (256 values) of the 16 rows, so that the matrix-vector loop holds
 * one row per 32-bit lane (no horizontal sums, no scale permutes). The same bytes as
 * the 128 Q4_0 blocks it is made from (qlm_q4_0_r16_from_q4_0), rearranged:
 *   d[j][r]        row r's scale of block j (0..7)
 *   qs[j][g][r][4] row r's qs[4 g .. 4 g + 3] of block j: one 64-byte line holds
 *                  values 4 g .. 4 g + 3 (low nibbles) and 16 + 4 g .. (high) of
 *                  block j for each of the 16 rows. */
typedef struct {
    qlm_f16 d[8][16];
    uint8_t qs[8][4][16][4];
} block_q4_0_r16;

/* Q4_1: x = d * q + m, q in 0..15. Nibble order as Q4_0. */
typedef struct {
    qlm_f16 d;
    qlm_f16 m;
    uint8_t qs[QK4_1 / 2];
} block_q4_1;

/* Q5_0: x = d * (q - 16), q in 0..31. Low 4 bits of q as Q4_0's nibbles; bit 4 of
 * weight j is bit j of the little-endian 32-bit word qh (so weights 16..31 use
 * bits 16..31). */
typedef struct {
    qlm_f16 d;
    uint8_t qh[4];
    uint8_t qs[QK5_0 / 2];
} block_q5_0;

/* Q5_1: x = d * q + m, q in 0..31. Bits as Q5_0. */
typedef struct {
    qlm_f16 d;
    qlm_f16 m;
    uint8_t qh[4];
    uint8_t qs[QK5_1 / 2];
} block_q5_1;

/* Q8_0: x = d * q, q in -127..127 (the quantizer never makes -128). */
typedef struct {
    qlm_f16 d;
    int8_t qs[QK8_0];
} block_q8_0;

/* Q8_0_R16 (qlm's own, in memory only): 16 Q8_0 rows interleaved as Q4_0_R16 is, one
 * block per 8 blocks (256 values) of the 16 rows (qlm_q8_0_r16_from_q8_0):
 *   d[j][r]         row r's scale of block j (0..7)
 *   qs[j][g][r][4]  row r's qs[4 g .. 4 g + 3] of block j (g 0..7), each with its sign
 *                   bit flipped (q + 128, unsigned, as vpdpbusd takes it) */
typedef struct {
    qlm_f16 d[8][16];
    uint8_t qs[8][8][16][4];
} block_q8_0_r16;

/* Q8_1 (activations for Q4_1 / Q5_1): x = d * q; s = d * sum(q), precomputed so the
 * dot product can apply the weight block's min m once per block: sum(d*q * m) = m*s. */
typedef struct {
    qlm_f16 d;
    qlm_f16 s;
    int8_t qs[QK8_1];
} block_q8_1;

/* Q4_K: 256 weights in 8 sub-blocks of 32. Sub-block j has a 6-bit scale sc[j] and a
 * 6-bit min m[j]; x = d*sc[j]*q - dmin*m[j], q in 0..15.
 *
 * scales[12] packs the 16 six-bit numbers (see kq_get_scale_min in quant_util.h):
 *   bytes 0..3:  sc[0..3] in bits 0-5,  bits 6-7 = bits 4-5 of sc[4..7]
 *   bytes 4..7:  m[0..3]  in bits 0-5,  bits 6-7 = bits 4-5 of m[4..7]
 *   bytes 8..11: low 4 bits of sc[4..7] in bits 0-3, low 4 bits of m[4..7] in bits 4-7
 * qs holds four 64-weight chunks of 32 bytes: byte l of chunk c has weight 64c+l in its
 * low nibble (sub-block 2c) and weight 64c+32+l in its high nibble (sub-block 2c+1). */
typedef struct {
    qlm_f16 d;     /* scale of the sub-block scales */
    qlm_f16 dmin;  /* scale of the sub-block mins */
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qs[QK_K / 2];
} block_q4_k;

/* Q4_K_R16 (qlm's own, in memory only: never in a file): 16 Q4_K rows interleaved, one
 * block per super-block index of the 16 rows, so that the matrix-vector loops hold one
 * row per 32-bit lane (no horizontal sums, no scale permutes). Same bytes as the 16
 * Q4_K blocks it is made from (qlm_q4_k_r16_from_q4_k), rearranged:
 *   d[r], dmin[r]  row r's super-block scales
 *   sl, sh         the 16 rows' 6-bit sub-block scales and mins, v[16 j + r] = row r's
 *                  scale j (j < 8) or min j - 8: sl[b] = low 4 bits of v[b] | of
 *                  v[b + 128] << 4 (b < 128); sh[b] = high 2 bits of v[b], v[b + 64],
 *                  v[b + 128], v[b + 192] at bits 0, 2, 4, 6 (b < 64). Decoded with a
 *                  few vector instructions into bytes ordered [j][r].
 *   qs             [chunk c 0..3][g 0..7][row r][4]: row r's Q4_K qs[32 c + 4 g .. + 3],
 *                  so 64 bytes hold 4 consecutive weights of sub-blocks 2c (low nibbles)
 *                  and 2c+1 (high) for each of the 16 rows. */
typedef struct {
    qlm_f16 d[16];
    qlm_f16 dmin[16];
    uint8_t sl[128];
    uint8_t sh[64];
    uint8_t qs[16 * QK_K / 2];
} block_q4_k_r16;

/* Q5_K: Q4_K plus a fifth bit, q in 0..31. qs as in Q4_K gives the low 4 bits; bit 4
 * of weight 64c+l is bit 2c of qh[l], of weight 64c+32+l bit 2c+1 of qh[l]. */
typedef struct {
    qlm_f16 d;
    qlm_f16 dmin;
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qh[QK_K / 8];
    uint8_t qs[QK_K / 2];
} block_q5_k;

/* Q5_K_R16 (qlm's own, in memory only): 16 Q5_K rows interleaved as Q4_K_R16 is (the
 * same d, dmin, sl, sh and qs), plus
 *   qh[g][r][4]  row r's qh[4 g .. 4 g + 3] (g 0..7): bit 2c of a byte is bit 4 of the
 *                weight whose low nibble is in the same byte of qs line (c, g), bit
 *                2c + 1 of the weight in its high nibble. */
typedef struct {
    qlm_f16 d[16];
    qlm_f16 dmin[16];
    uint8_t sl[128];
    uint8_t sh[64];
    uint8_t qh[8][16][4];
    uint8_t qs[16 * QK_K / 2];
} block_q5_k_r16;

/* Q6_K: 256 weights in 16 sub-blocks of 16 with signed 8-bit scales;
 * x = d * scales[i/16] * (q - 32), q in 0..63.
 * Each half h (weights 128h..128h+127) uses ql[64h..64h+63] and qh[32h..32h+31]; for
 * l in 0..31, with w = 128h:
 *   weight w+l    : low nibble of ql[64h+l],    bits 0-1 of qh[32h+l]
 *   weight w+l+32 : low nibble of ql[64h+l+32], bits 2-3 of qh[32h+l]
 *   weight w+l+64 : high nibble of ql[64h+l],   bits 4-5 of qh[32h+l]
 *   weight w+l+96 : high nibble of ql[64h+l+32],bits 6-7 of qh[32h+l] */
typedef struct {
    uint8_t ql[QK_K / 2];
    uint8_t qh[QK_K / 4];
    int8_t scales[QK_K / 16];
    qlm_f16 d;
} block_q6_k;

/* Q6_K_R16 (qlm's own, in memory only): 16 Q6_K rows interleaved as Q4_K_R16 is, one
 * block per super-block index, the same 16 x 210 bytes rearranged
 * (qlm_q6_k_r16_from_q6_k):
 *   q       [chunk 8 h + g (h 0..1, g 0..7)][part 0..2][row r][4]: part 0 holds row r's
 *           ql[64 h + 4 g .. + 3], part 1 ql[64 h + 32 + 4 g ..], part 2 qh[32 h + 4 g ..]:
 *           one chunk (192 bytes) is 4 consecutive weights of 4 sub-blocks of each row
 *           (weights 128 h + 32 m + 4 g .. + 3, m = 0..3, in Q6_K's bit places)
 *   scales  [sub-block j][row r]
 *   d       [row r]
 * 3360 bytes is 52.5 cache lines, so every other block of a group starts half-way into
 * a line: the parts go in the order that keeps q on line boundaries, picked by bit 5
 * of the block's address (scales, q, d where it is 0; d, scales, q where it is 1). The
 * layout is therefore tied to the address the block was made at: never move one. */
typedef struct {
    uint8_t bytes[16 * 210];
} block_q6_k_r16;

static inline size_t q6_k_r16_lead(const void *b) { return ((uintptr_t)b & 32) ? 32 : 0; }
static inline const int8_t *q6_k_r16_scales(const block_q6_k_r16 *b) {
    return (const int8_t *)(b->bytes + q6_k_r16_lead(b));
}
static inline const uint8_t *q6_k_r16_q(const block_q6_k_r16 *b) { return b->bytes + q6_k_r16_lead(b) + 256; }
static inline const qlm_f16 *q6_k_r16_d(const block_q6_k_r16 *b) {
    return (const qlm_f16 *)(b->bytes + (q6_k_r16_lead(b) ? 0 : 3328));
}

/* Q8_K (activations for the K-quants, never stored in files): x = d * q;
 * bsums[i] = sum of qs[16i..16i+15], which the K-quant dots use for the min term. */
typedef struct {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];
} block_q8_k;

_Static_assert(sizeof(block_q4_0) == 18, "block_q4_0 must be 18 bytes");
_Static_assert(sizeof(block_q4_0_g8) == 8 * sizeof(block_q4_0), "block_q4_0_g8 must be 8 Q4_0 blocks");
_Static_assert(sizeof(block_q4_0_r16) == 16 * sizeof(block_q4_0_g8), "block_q4_0_r16 must be 128 Q4_0 blocks");
_Static_assert(sizeof(block_q4_1) == 20, "block_q4_1 must be 20 bytes");
_Static_assert(sizeof(block_q5_0) == 22, "block_q5_0 must be 22 bytes");
_Static_assert(sizeof(block_q5_1) == 24, "block_q5_1 must be 24 bytes");
_Static_assert(sizeof(block_q8_0) == 34, "block_q8_0 must be 34 bytes");
_Static_assert(sizeof(block_q8_0_r16) == 128 * sizeof(block_q8_0), "block_q8_0_r16 must be 128 Q8_0 blocks");
_Static_assert(sizeof(block_q8_1) == 36, "block_q8_1 must be 36 bytes");
_Static_assert(sizeof(block_q4_k) == 144, "block_q4_k must be 144 bytes");
_Static_assert(sizeof(block_q4_k_r16) == 16 * sizeof(block_q4_k), "block_q4_k_r16 must be 16 Q4_K blocks");
_Static_assert(sizeof(block_q5_k) == 176, "block_q5_k must be 176 bytes");
_Static_assert(sizeof(block_q5_k_r16) == 16 * sizeof(block_q5_k), "block_q5_k_r16 must be 16 Q5_K blocks");
_Static_assert(sizeof(block_q6_k) == 210, "block_q6_k must be 210 bytes");
_Static_assert(sizeof(block_q6_k_r16) == 16 * sizeof(block_q6_k), "block_q6_k_r16 must be 16 Q6_K blocks");
_Static_assert(sizeof(block_q8_k) == 292, "block_q8_k must be 292 bytes");

#endif
