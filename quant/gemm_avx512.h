/* What the AVX-512 matrix-product files share: quant/gemm_avx512.c (quantized weights,
 * 4+ tokens, and the kernel table), quant/gemv_avx512.c (quantized weights, 1..3
 * tokens) and quant/gemm_float_avx512.c (F32, F16, BF16 weights): tuning, the weight
 * kinds, the broadcast product, the decoding of the interleaved (R16) layouts, and the
 * entry points of the last two. Internal: include only from files compiled with the
 * AVX-512 flags. */
#ifndef QLM_GEMM_AVX512_H
#define QLM_GEMM_AVX512_H

#include "../ggml-like/kernels.h"
#include "kernels_x86.h"
#include "quants.h"
#include "simd_x86.h"
#include "simd_avx512.h"

#include <string.h>

/* Software prefetch of the weight stream: PF_DIST bytes ahead, into L2 (T1). Measured
 * here (2 threads, tg64, alternating binaries): no prefetch loses ~30%; 1 KiB ahead is
 * worse than 4 KiB; 8 KiB into L2 beat 4 KiB into L1 by 3-20% depending on the type
 * (Q6_K most). Prefetches into L1 waited for line-fill buffers that the demand loads
 * needed (the samples piled up on the prefetch instructions). */
#define PF_DIST 8192
#define PF_HINT _MM_HINT_T1
/* ... and a second prefetch of the same bytes into L1 when they are PF_L1 bytes ahead
 * (by then in L2): the K-quant loops, whose arithmetic per byte is the heaviest, had
 * their L2-to-L1 latency exposed (in-process A/B, one thread, 1 GB matrix streamed
 * from memory: Q4_K 1.04-1.09x, Q6_K 1.05x; Q4_0 and Q8_0 unchanged, 0.5-4 KiB alike). */
#define PF_L1 1024

/* Panels of 16 rows: within a row, the bytes this far ahead of the unpacking are asked
 * for into L1 (the next panel's rows go to L2: prefetch_next_panel, gemm_avx512.c). */
#define TILES_PF_AHEAD 512

#define MAX_C 8 /* tokens per micro-kernel call (registers: 8 weights + 2 x 8 accumulators) */

/* Float weights take the matrix-vector loop below this many tokens: the transposing
 * micro-kernel loses up to 8 tokens for F16 / BF16 (1.7-2.6x; converting the weights
 * costs more than reading them again) and up to 6 for F32. At most 9 either way:
 * qlm_matmul's token split leaves pieces of 9+, which must take the whole batch's path
 * (quant/gemm_avx2.c, GEMV_BELOW). */
#define FGEMM_MIN_TOKENS(wt) ((wt) == QLM_TYPE_F32 ? 7 : 9)

/* Rows in blocks whose panels (row_bytes per row) take about 768 KiB of L2, next to one
 * 32-token tile of activations: 128 rows for n = 2048 bf16 values, 64 for 5632; never
 * more than the scratch holds (at least 32 rows: the callers check). */
static inline size_t tiles_block_rows(int64_t n, int nt, size_t row_bytes) {
    size_t rb = (size_t)768 * 1024 / row_bytes;
    const size_t fit = QLM_GEMM_WORK_BASE(n, nt) / row_bytes;
    rb = rb > fit ? fit : rb;
    return rb < 32 ? 32 : rb > 128 ? 128 : rb / 32 * 32;
}

typedef x86_prow prow; /* a prepared activation row (quant/kernels_x86.h) */

/* The quantized weight kinds of the kernels (the kernel table's types, rearranged
 * layouts included) */
typedef enum {
    T_Q4_0, T_Q4_1, T_Q5_0, T_Q5_1, T_Q8_0, T_Q4_K, T_Q5_K, T_Q6_K,
    T_Q4_0_G8, T_Q4_K_R16, T_Q6_K_R16, T_Q4_0_R16, T_Q8_0_R16, T_Q5_K_R16
} qtype;

/* 4 bytes at p as an int32 (unaligned) */
static inline int32_t ld32(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* acc += w . (4 bytes at p, broadcast). Written in assembly because compilers load the
 * broadcast into a register first: the embedded {1to16} form is one fused uop instead
 * of two, and the micro-kernel is bound by instruction throughput. */
static inline __m512i dp_bcast(__m512i acc, __m512i w, const int8_t *p) {
    __asm__("vpdpbusd %[m]%{1to16%}, %[w], %[acc]" : [acc] "+v"(acc) : [w] "v"(w), [m] "m"(*(const int32_t *)p));
    return acc;
}

#ifndef NO_ASM_BCAST
#define DPB dp_bcast
#else
#define DPB(acc, w, p) _mm512_dpbusd_epi32(acc, w, _mm512_set1_epi32(ld32(p)))
#endif

/* 4 bytes at p as a float (unaligned) */
static inline float ldf(const int8_t *p) {
    float v;
    memcpy(&v, p, 4);
    return v;
}

/* ---- the interleaved layouts (quant/blocks.h) in registers: the matrix-vector loops
 * (gemv_avx512.c) and the panels and tiles made from them (gemm_avx512.c) ---------- */

/* Q4_K_R16 scales and mins as bytes [j][r] (r: row): v[0] scales 0-3, v[1] scales 4-7,
 * v[2] mins 0-3, v[3] mins 4-7, one j per 128-bit lane. */
static inline void r16_scales(const uint8_t *sl, const uint8_t *sh, __m512i v[4]) {
    const __m512i l0 = _mm512_loadu_si512(sl), l1 = _mm512_loadu_si512(sl + 64);
    const __m512i h = _mm512_loadu_si512(sh);
    const __m512i m4 = _mm512_set1_epi8(15), m3 = _mm512_set1_epi8(3);
    /* (low 4 bits) | (2 high bits) << 4, by ternary logic: (a & m4) | b */
    v[0] = _mm512_ternarylogic_epi32(l0, m4, _mm512_slli_epi16(_mm512_and_si512(h, m3), 4), 0xEA);
    v[1] = _mm512_ternarylogic_epi32(l1, m4, _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(h, 2), m3), 4), 0xEA);
    v[2] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(l0, 4), m4,
                                     _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(h, 4), m3), 4), 0xEA);
    v[3] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(l1, 4), m4,
                                     _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(h, 6), m3), 4), 0xEA);
}

/* Scale (j < 8) or min (j - 8) j of the 16 rows, one per 32-bit lane. */
static inline __m512i r16_j32(const __m512i v[4], int j) {
    const __m512i x = v[j / 4];
    switch (j % 4) { /* the extract wants an immediate: j is a constant once inlined */
    case 0: return _mm512_cvtepu8_epi32(_mm512_castsi512_si128(x));
    case 1: return _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(x, 1));
    case 2: return _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(x, 2));
    default: return _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(x, 3));
    }
}

/* The parts of a Q4_K_R16 or Q5_K_R16 block (the same prefix; qh only in Q5_K_R16). */
typedef struct {
    const qlm_f16 *d, *dmin;
    const uint8_t *sl, *sh, *qh, *qs;
} r16_parts;

static inline __attribute__((always_inline)) r16_parts r16_parts_of(const uint8_t *grp, int64_t s, const bool q5) {
    if (q5) {
        const block_q5_k_r16 *b = (const block_q5_k_r16 *)grp + s;
        return (r16_parts){b->d, b->dmin, b->sl, b->sh, b->qh[0][0], b->qs};
    }
    const block_q4_k_r16 *b = (const block_q4_k_r16 *)grp + s;
    return (r16_parts){b->d, b->dmin, b->sl, b->sh, NULL, b->qs};
}

/* qs line (c, g) of a block as levels: *lo the low nibbles (sub-block 2c), *hi the high
 * ones (2c + 1); Q5_K_R16 adds bit 4 from qh line g (bits 2c and 2c + 1 of each byte,
 * moved to bit 4 by a 16-bit shift: what crosses into the neighbouring byte lands in
 * bits the mask drops). */
static inline __attribute__((always_inline)) void r16_levels(const r16_parts *p, int c, int g, __m512i *lo, __m512i *hi) {
    const __m512i m4 = _mm512_set1_epi8(15);
    const __m512i q = _mm512_loadu_si512(p->qs + 64 * (8 * c + g));
    if (!p->qh) {
        *lo = _mm512_and_si512(q, m4);
        *hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
        return;
    }
    const __m512i m16 = _mm512_set1_epi8(16), h = _mm512_loadu_si512(p->qh + 64 * g);
    __m512i bl, bh; /* bits 2c, 2c + 1 at bit 4 */
    switch (c) { /* shift counts must be immediates: c is a constant once inlined */
    case 0: bl = _mm512_slli_epi16(h, 4); bh = _mm512_slli_epi16(h, 3); break;
    case 1: bl = _mm512_slli_epi16(h, 2); bh = _mm512_slli_epi16(h, 1); break;
    case 2: bl = h; bh = _mm512_srli_epi16(h, 1); break;
    default: bl = _mm512_srli_epi16(h, 2); bh = _mm512_srli_epi16(h, 3); break;
    }
    /* (a & m4) | (b & m16): 0xEA is (A & B) | C */
    *lo = _mm512_ternarylogic_epi32(q, m4, _mm512_and_si512(bl, m16), 0xEA);
    *hi = _mm512_ternarylogic_epi32(_mm512_srli_epi16(q, 4), m4, _mm512_and_si512(bh, m16), 0xEA);
}

/* Chunk ci (8 h + g) of a Q6_K_R16 block's q: wv[m] lane r = levels (0..63) of weights
 * 128 h + 32 m + 4 g .. + 3 of row r (sub-block 8 h + 2 m + g / 4, k-group g % 4). */
static inline __attribute__((always_inline)) void r6_levels(const uint8_t *q, int ci, __m512i wv[4]) {
    const __m512i m4 = _mm512_set1_epi8(15), m33 = _mm512_set1_epi8(0x33);
    const uint8_t *c = q + 192 * ci;
    const __m512i l0 = _mm512_loadu_si512(c), l1 = _mm512_loadu_si512(c + 64);
    const __m512i qh = _mm512_loadu_si512(c + 128);
    /* high bits of weights m = 0, 2 (bits 0-1, 4-5 of qh) and m = 1, 3 (2-3, 6-7) */
    const __m512i ha = _mm512_and_si512(qh, m33), hb = _mm512_and_si512(_mm512_srli_epi16(qh, 2), m33);
    /* m4 ? nibble : high bits in 4-5 (0xCA: bit select; the shifts' spill into the
     * neighbouring byte lands in bits the select discards) */
    wv[0] = _mm512_ternarylogic_epi32(m4, l0, _mm512_slli_epi16(ha, 4), 0xCA);
    wv[1] = _mm512_ternarylogic_epi32(m4, l1, _mm512_slli_epi16(hb, 4), 0xCA);
    wv[2] = _mm512_ternarylogic_epi32(m4, _mm512_srli_epi16(l0, 4), ha, 0xCA);
    wv[3] = _mm512_ternarylogic_epi32(m4, _mm512_srli_epi16(l1, 4), hb, 0xCA);
}

/* nt (1..3) tokens x nr rows of a qt matrix (gemv_avx512.c): y[t * ldy + r] */
void qlm_avx512_gemv(qtype qt, int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a,
                     size_t a_stride, float *y, int64_t ldy, int nt);

/* qlm_gemm_fn of gemm_float_avx512.c: the FMA kernels (any batch) and the bf16 tiles
 * (F16 / BF16, batches of FTILES_MIN_TOKENS+ on AMX-BF16 machines) */
void qlm_avx512_gemm_f32(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                         int64_t ldy, void *work);
void qlm_avx512_gemm_f16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                         int64_t ldy, void *work);
void qlm_avx512_gemm_bf16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                          int64_t ldy, void *work);
void qlm_avx512_tiles_f16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                          int64_t ldy, void *work);
void qlm_avx512_tiles_bf16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                           int64_t ldy, void *work);

#endif
