/* AVX-512 VNNI matrix products (qlm_gemm_fn, ggml-like/kernels.h) over activations
 * prepared as described in quant/kernels_x86.h.
 *
 * Two algorithms, picked by the number of tokens:
 *
 *  - Matrix-vector (1..3 tokens, token generation): gemv_avx512.c.
 *
 *  - Matrix-matrix (4+ tokens, prompts): 16 weight rows are repacked into a panel with
 *    lane = row (each 32-bit lane holds 4 consecutive levels of one row), with their
 *    per-block float scales. The micro-kernel computes 16 rows x C tokens: per block,
 *    8 vpdpbusd per token, each taking its 4 activation bytes as an embedded broadcast
 *    from memory, then one conversion, one scale product and one FMA into the token's
 *    float accumulator. The 8 weight vectors of a block stay in registers for all C
 *    tokens, so the loop is bound by vpdpbusd throughput (at most 8 of every 11 vector
 *    instructions are products). Repacking costs a few instructions per weight, paid
 *    once per panel and spread over all the tokens.
 *
 * Block types share three micro-kernels: symmetric blocks of 32 (Q4_0, Q5_0, Q8_0: the
 * int32 accumulator starts at the prepared -bias*sum(q)), affine blocks of 32 (Q4_1,
 * Q5_1 and the sub-blocks of Q4_K/Q5_K: a second FMA adds the min term) and symmetric
 * blocks of 16 (Q6_K). Only the repacking differs by type. Float weights (F32, F16,
 * BF16) have their kernels in gemm_float_avx512.c. */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VNNI__)
#include "kernels_x86.h"
#include "quants.h"
#include "simd_x86.h"
#include "simd_avx512.h"
#include "gemm_avx512.h"
#include "../ggml-like/cpu_features.h"

#include <stdlib.h>


/* Panels are made 16 rows at a time from 16 row streams (int8 panels for the VNNI and
 * AMX int8 kernels, bf16 tiles), more than the hardware prefetcher follows: the loads of
 * each block waited on memory (prompts of 16-48 tokens, where every call repacks every
 * weight, spent a third of their time in unpack_q4_k). So while a panel is made, the
 * same bytes of the next panel (the 16 rows below, this thread's next panel unless its
 * share ends) are asked for into L2, one panel (~18 KB for 2048 values) ahead. */
static inline __attribute__((always_inline)) void prefetch_next_panel(const uint8_t *p, size_t w_stride, size_t bytes) {
    x86_prefetch_lines(p + 16 * w_stride, bytes, false);
}
/* ... unless the micro-kernel asks for them (see PF_MICRO_MAX_TOKENS). */
/* Both for unit u of a panel row at b (the L1 one only when ahead: for super-blocks;
 * with blocks of 32, tl-q8_0, it measured 0.89-0.96x at pp16). */
static inline __attribute__((always_inline)) void prefetch_unit(const uint8_t *b, size_t w_stride, size_t unit_bytes,
                                                                int u, bool ahead, bool pf_next) {
    if (pf_next) prefetch_next_panel(b, w_stride, unit_bytes);
    if (ahead && (size_t)(u + 1) * unit_bytes + TILES_PF_AHEAD <= w_stride)
        x86_prefetch_lines(b + TILES_PF_AHEAD, unit_bytes, true);
}

/* ---- GEMM panels and micro-kernels ------------------------------------------------ */

/* Where the activation bytes of k-group j (4 values) of block bb (0..3) of a group of
 * 4 blocks sit, relative to the group's start in a prepared row (groups are 128 values;
 * 64 for blocks of 16). */
typedef enum { ORD_NIB4, ORD_KQ, ORD_NAT32, ORD_NAT16 } act_order;

static inline __attribute__((always_inline)) int aoff(act_order o, int bb, int j) {
    switch (o) {
    case ORD_NIB4: return 16 * bb + (j < 4 ? 4 * j : 64 + 4 * (j - 4)); /* halves */
    case ORD_KQ: return (bb == 0 ? 0 : bb == 1 ? 64 : bb == 2 ? 32 : 96) + 4 * j; /* s0 s2 s1 s3 */
    case ORD_NAT32: return 32 * bb + 4 * j;
    default: return 16 * bb + 4 * j;
    }
}


/* Panel record per block: J vectors of levels (lane r = 4 levels of row r), the 16 row
 * scales, and for affine types the 16 row offsets. Panels hold whole groups of 4
 * blocks (the padding records are zero). */
#define REC_BYTES(J, affine) (64 * (J) + 64 + ((affine) ? 64 : 0))

/* 16 rows x C tokens over blocks [b0, b1) (multiples of 4), added to y when acc is
 * set; with pf, pf_group bytes of the pf_len from pf asked for into L2 per group of 4
 * blocks. q[t]: token t's prepared row; its scales and corrections are doff and eoff bytes
 * further. The C token chains advance together (one k-group of every token, then the
 * next), so C independent vpdpbusd chains hide the instruction's latency. y: row 0 of
 * token 0; nrows <= 16 rows are read and written. */
static inline __attribute__((always_inline)) void
micro(int b0, int b1, bool acc_y, const uint8_t *panel, const int8_t *const *qt, size_t doff, size_t eoff,
      float *y, int64_t ldy, int nrows, const uint8_t *pf, size_t pf_len, size_t pf_group, const bool q8_r16, const int C,
      const act_order o, const int J, const bool affine) {
    __m512 facc[MAX_C];
    const __mmask16 m = (__mmask16)((1u << nrows) - 1);
    QLM_UNROLL_FULL for (int t = 0; t < C; t++)
        facc[t] = acc_y ? _mm512_maskz_loadu_ps(m, y + (size_t)t * ldy) : _mm512_setzero_ps();
    const size_t rec = REC_BYTES(J, affine);
    const int gsz = J * 16; /* values per group of 4 blocks */
    /* Each token's pointer into the current group, advanced per group and hidden from
     * the compiler by an empty asm: left alone, it merges them into one index register
     * (base + index addresses), and the 8 J C vpdpbusd with such a memory operand ran
     * 13-19% slower than with base + displacement (micro-op unlamination). The block
     * scales and corrections are read from the same pointers with one shared index
     * (their offsets move 4 bytes per block, not gsz / 4): a second set of 8 pointers
     * would not fit in the general registers. */
    const int8_t *qg[MAX_C];
    QLM_UNROLL_FULL for (int t = 0; t < C; t++) qg[t] = qt[t] + (ptrdiff_t)gsz * (b0 / 4);
    /* Q6_K: the activation scale is one per super-block of 16 blocks (Q8_K), so the
     * blocks' products with the row scales are summed in ftmp and multiplied by it once
     * per super-block: one multiply fewer per block (7 vector instructions for 4
     * vpdpbusd, now 6). With AMX too: Q6_K never takes the int8 tiles (GEMM_BODY), so
     * every piece of a batch, however qlm_matmul splits it, comes here and gets the same
     * bits. (Q4_K/Q5_K, 8 blocks per super-block, gained 1.0-1.07x; not worth a second
     * order to keep in step, and their int8 tiles scale per block.) */
    const int sbb = 16;
    const bool per_sb = o == ORD_NAT16;
    __m512 ftmp[MAX_C];
    QLM_UNROLL_FULL for (int t = 0; t < C; t++) ftmp[t] = _mm512_setzero_ps();
    for (int b = b0; b < b1; b += 4) {
        if (pf) x86_prefetch_piece(pf, pf_len, pf_group, (size_t)((b - b0) / 4));
        /* token t's block b scale at qg[t] + dx, correction at qg[t] + ex */
        const ptrdiff_t dx = (ptrdiff_t)doff + 4 * (ptrdiff_t)b - (ptrdiff_t)gsz * (b / 4);
        const ptrdiff_t ex = dx - (ptrdiff_t)doff + (ptrdiff_t)eoff;
        QLM_UNROLL_FULL for (int bb = 0; bb < 4; bb++) {
            /* q8_r16: the Q8_0_R16 group read in place (its levels are the panel's) */
            const uint8_t *pr = q8_r16 ? panel + sizeof(block_q8_0_r16) * (size_t)((b + bb) / 8) +
                                             offsetof(block_q8_0_r16, qs) + 512 * (size_t)((b + bb) % 8)
                                       : panel + rec * (size_t)(b + bb);
            __m512i acc[MAX_C];
            QLM_UNROLL_FULL for (int t = 0; t < C; t++)
                acc[t] = affine ? _mm512_setzero_si512() : _mm512_set1_epi32(ld32(qg[t] + ex + 4 * bb));
            QLM_UNROLL_FULL for (int j = 0; j < J; j++) {
                const __m512i w = _mm512_load_si512(pr + 64 * j);
                QLM_UNROLL_FULL for (int t = 0; t < C; t++)
                    acc[t] = DPB(acc[t], w, qg[t] + aoff(o, bb, j));
            }
            const __m512 ws = q8_r16 ? _mm512_cvtph_ps(_mm256_loadu_si256(
                                           (const __m256i *)(panel + sizeof(block_q8_0_r16) * (size_t)((b + bb) / 8) +
                                                             32 * (size_t)((b + bb) % 8))))
                                     : _mm512_load_ps(pr + 64 * J);
            /* two loops, not a branch inside one: clang does not unroll a loop around a
             * test of per_sb */
            if (per_sb) {
                QLM_UNROLL_FULL for (int t = 0; t < C; t++)
                    ftmp[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[t]), ws, ftmp[t]);
            } else {
                QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
                    const __m512 sc = _mm512_mul_ps(ws, _mm512_set1_ps(ldf(qg[t] + dx + 4 * bb)));
                    facc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[t]), sc, facc[t]);
                }
            }
            if (affine) {
                const __m512 wm = _mm512_load_ps(pr + 64 * J + 64);
                QLM_UNROLL_FULL for (int t = 0; t < C; t++)
                    facc[t] = _mm512_fmadd_ps(wm, _mm512_set1_ps(ldf(qg[t] + ex + 4 * bb)), facc[t]);
            }
        }
        if (per_sb && ((b + 4) % sbb == 0 || b + 4 >= b1)) /* a super-block's last group: its scale, once */
            QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
                facc[t] = _mm512_fmadd_ps(ftmp[t], _mm512_set1_ps(ldf(qg[t] + dx)), facc[t]);
                ftmp[t] = _mm512_setzero_ps();
            }
        QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
            qg[t] += gsz;
            __asm__("" : "+r"(qg[t]));
        }
    }
    QLM_UNROLL_FULL for (int t = 0; t < C; t++) _mm512_mask_storeu_ps(y + (size_t)t * ldy, m, facc[t]);
}

/* Dispatch to a micro-kernel compiled for this many tokens. */
#define MICRO_SWITCH(c, ...)                                            \
    switch (c) {                                                        \
    case 1: micro(__VA_ARGS__, 1, ORDER, J_, AFF); break;              \
    case 2: micro(__VA_ARGS__, 2, ORDER, J_, AFF); break;              \
    case 3: micro(__VA_ARGS__, 3, ORDER, J_, AFF); break;              \
    case 4: micro(__VA_ARGS__, 4, ORDER, J_, AFF); break;              \
    case 5: micro(__VA_ARGS__, 5, ORDER, J_, AFF); break;              \
    case 6: micro(__VA_ARGS__, 6, ORDER, J_, AFF); break;              \
    case 7: micro(__VA_ARGS__, 7, ORDER, J_, AFF); break;              \
    default: micro(__VA_ARGS__, 8, ORDER, J_, AFF); break;             \
    }

/* ---- repacking ------------------------------------------------------------------- */

/* A unit is what one row contributes per step: a block of 32 (Q4_0..Q8_0) or a
 * super-block of 256 (K-quants). unpack_* writes its levels (unsigned, per block in the
 * order the activations pair with them: natural order within each block) and each
 * block's scale and, for affine types, offset. */
#define UNIT_MAX 256

static inline __m256i nib32(const uint8_t *qs) { /* low nibbles, then high */
    const __m128i q = _mm_loadu_si128((const __m128i *)qs);
    const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1);
    return _mm256_and_si256(v, _mm256_set1_epi8(15));
}

static inline __m256i q5_bit4(__m256i v, const uint8_t qh[4]) {
    uint32_t h;
    memcpy(&h, qh, 4);
    return _mm256_mask_add_epi8(v, (__mmask32)h, v, _mm256_set1_epi8(16));
}

static void unpack_q4_0(const void *blk, uint8_t *lv, float *ws, float *wm) {
    const block_q4_0 *x = blk;
    _mm256_store_si256((__m256i *)lv, nib32(x->qs));
    ws[0] = x86_f16(x->d);
    (void)wm;
}

static void unpack_q4_0_g8(const void *blk, uint8_t *lv, float *ws, float *wm) {
    const block_q4_0_g8 *x = blk;
    for (int j = 0; j < 8; j++) {
        _mm256_store_si256((__m256i *)(lv + 32 * j), nib32(x->qs[j]));
        ws[j] = x86_f16(x->d[j]);
    }
    (void)wm;
}

static void unpack_q4_1(const void *blk, uint8_t *lv, float *ws, float *wm) {
    const block_q4_1 *x = blk;
    _mm256_store_si256((__m256i *)lv, nib32(x->qs));
    ws[0] = x86_f16(x->d);
    wm[0] = x86_f16(x->m);
}

static void unpack_q5_0(const void *blk, uint8_t *lv, float *ws, float *wm) {
    const block_q5_0 *x = blk;
    _mm256_store_si256((__m256i *)lv, q5_bit4(nib32(x->qs), x->qh));
    ws[0] = x86_f16(x->d);
    (void)wm;
}

static void unpack_q5_1(const void *blk, uint8_t *lv, float *ws, float *wm) {
    const block_q5_1 *x = blk;
    _mm256_store_si256((__m256i *)lv, q5_bit4(nib32(x->qs), x->qh));
    ws[0] = x86_f16(x->d);
    wm[0] = x86_f16(x->m);
}

static void unpack_q8_0(const void *blk, uint8_t *lv, float *ws, float *wm) {
    const block_q8_0 *x = blk; /* q + 128: unsigned; the activations carry -128 sum(a) */
    const __m256i q = _mm256_loadu_si256((const __m256i *)x->qs);
    _mm256_store_si256((__m256i *)lv, _mm256_xor_si256(q, _mm256_set1_epi8((char)0x80)));
    ws[0] = x86_f16(x->d);
    (void)wm;
}

/* Q4_K/Q5_K sub-block scales d * sc[j] and offsets -dmin * mn[j] (j < 8), in vector
 * registers (x86_kq_scale_bytes reads the 4 bytes after the 12 scale bytes: d/dmin
 * precede them, qh/qs follow, all inside the block). */
static inline void kq_unit_scales(const uint8_t *scales, qlm_f16 d, qlm_f16 dmin, float *ws, float *wm) {
    const __m512 f = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(x86_kq_scale_bytes(scales)));
    const __m512 m = _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(x86_f16(d)), _mm512_set1_ps(-x86_f16(dmin)));
    const __m512 v = _mm512_mul_ps(f, m);
    _mm256_storeu_ps(ws, _mm512_castps512_ps256(v));
    _mm256_storeu_ps(wm, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

static void unpack_q4_k(const void *blk, uint8_t *lv, float *ws, float *wm) {
    const block_q4_k *x = blk;
    kq_unit_scales(x->scales, x->d, x->dmin, ws, wm);
    const __m256i m4 = _mm256_set1_epi8(15);
    for (int c = 0; c < 4; c++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * c));
        _mm256_store_si256((__m256i *)(lv + 64 * c), _mm256_and_si256(q, m4));
        _mm256_store_si256((__m256i *)(lv + 64 * c + 32), _mm256_and_si256(_mm256_srli_epi16(q, 4), m4));
    }
}

/* Q4_K_R16 has no per-row blocks: this function only names the type to repack(),
 * repack_bf16() and tiles_fallback(), which read its 16-row groups themselves. */
static void unpack_q4_k_r16(const void *blk, uint8_t *lv, float *ws, float *wm) {
    (void)blk, (void)lv, (void)ws, (void)wm;
}

/* The scales of the 8 sub-blocks of the 16 rows of a Q4_K_R16 block: ws[j] = d * sc[j],
 * wm[j] = -dmin * mn[j], the products kq_unit_scales forms for a Q4_K row. */
static inline void r16_unit_scales(const qlm_f16 *dh, const qlm_f16 *dminh, const uint8_t *sl, const uint8_t *sh,
                                   __m512 ws[8], __m512 wm[8]) {
    __m512i v[4];
    r16_scales(sl, sh, v);
    const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)dh));
    const __m512 nmin = _mm512_sub_ps(_mm512_setzero_ps(), _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)dminh)));
    for (int j = 0; j < 8; j++) {
        ws[j] = _mm512_mul_ps(_mm512_cvtepi32_ps(r16_j32(v, j)), d);
        wm[j] = _mm512_mul_ps(_mm512_cvtepi32_ps(r16_j32(v, 8 + j)), nmin);
    }
}

static void unpack_q5_k(const void *blk, uint8_t *lv, float *ws, float *wm) {
    const block_q5_k *x = blk;
    kq_unit_scales(x->scales, x->d, x->dmin, ws, wm);
    const __m256i m4 = _mm256_set1_epi8(15), h16 = _mm256_set1_epi8(16);
    const __m256i qh = _mm256_loadu_si256((const __m256i *)x->qh);
    for (int c = 0; c < 4; c++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * c));
        const __mmask32 k0 = _mm256_test_epi8_mask(qh, _mm256_set1_epi8((char)(1 << (2 * c))));
        const __mmask32 k1 = _mm256_test_epi8_mask(qh, _mm256_set1_epi8((char)(2 << (2 * c))));
        const __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        _mm256_store_si256((__m256i *)(lv + 64 * c), _mm256_mask_add_epi8(lo, k0, lo, h16));
        _mm256_store_si256((__m256i *)(lv + 64 * c + 32), _mm256_mask_add_epi8(hi, k1, hi, h16));
    }
}

static void unpack_q6_k(const void *blk, uint8_t *lv, float *ws, float *wm) {
    const block_q6_k *x = blk; /* levels 0..63; the activations carry -32 sum(a) */
    const __m256i m4 = _mm256_set1_epi8(15), m3 = _mm256_set1_epi8(3);
    for (int h = 0; h < 2; h++) {
        const __m256i l0 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * h));
        const __m256i l1 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * h + 32));
        const __m256i hb = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * h));
        uint8_t *o = lv + 128 * h;
        _mm256_store_si256((__m256i *)o, _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(hb, m3), 4)));
        _mm256_store_si256((__m256i *)(o + 32), _mm256_or_si256(_mm256_and_si256(l1, m4),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), m3), 4)));
        _mm256_store_si256((__m256i *)(o + 64), _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), m3), 4)));
        _mm256_store_si256((__m256i *)(o + 96), _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), m3), 4)));
    }
    const float d = x86_f16(x->d);
    for (int j = 0; j < 16; j++) ws[j] = d * x->scales[j];
    (void)wm;
}

/* Q4_0_R16, as unpack_q4_k_r16: a name only (repack_q4_0_r16, repack_bf16_q4_0_r16). */
static void unpack_q4_0_r16(const void *blk, uint8_t *lv, float *ws, float *wm) {
    (void)blk, (void)lv, (void)ws, (void)wm;
}

/* Q5_K_R16, as unpack_q4_k_r16: a name only (repack_kq_r16, repack_bf16_kq_r16). */
static void unpack_q5_k_r16(const void *blk, uint8_t *lv, float *ws, float *wm) {
    (void)blk, (void)lv, (void)ws, (void)wm;
}

/* Q8_0_R16, as unpack_q4_k_r16: a name only (repack_q8_0_r16, repack_bf16_q8_0_r16). */
static void unpack_q8_0_r16(const void *blk, uint8_t *lv, float *ws, float *wm) {
    (void)blk, (void)lv, (void)ws, (void)wm;
}

/* Q6_K_R16, as unpack_q4_k_r16: a name only (repack_q6_k_r16, repack_bf16_q6_k_r16). */
static void unpack_q6_k_r16(const void *blk, uint8_t *lv, float *ws, float *wm) {
    (void)blk, (void)lv, (void)ws, (void)wm;
}

/* Block u of the Q6_K_R16 group at grp as 16 Q6_K blocks, sizeof(block_q6_k) apart
 * (the tiles' fallback without scratch) */
static const uint8_t *r6_rows(const uint8_t *grp, int64_t u, block_q6_k rows16[16]) {
    qlm_q6_k_r16_to_q6_k(grp + sizeof(block_q6_k_r16) * (size_t)u, rows16, sizeof(block_q6_k), QK_K);
    return (const uint8_t *)rows16;
}

typedef void (*unpack_fn)(const void *blk, uint8_t *lv, float *ws, float *wm);

/* 16 bytes of rows k, k+4, k+8, k+12 (at byte offset off of each) as the four 128-bit
 * lanes of one vector; after avx512_transpose4_dwords of k = 0..3, vector j lane r
 * holds dword j of row r. */
static inline __m512i rows4(const uint8_t *lv, size_t row_bytes, int k, size_t off) {
    __m512i v = _mm512_castsi128_si512(_mm_load_si128((const __m128i *)(lv + row_bytes * k + off)));
    v = _mm512_inserti32x4(v, _mm_load_si128((const __m128i *)(lv + row_bytes * (k + 4) + off)), 1);
    v = _mm512_inserti32x4(v, _mm_load_si128((const __m128i *)(lv + row_bytes * (k + 8) + off)), 2);
    return _mm512_inserti32x4(v, _mm_load_si128((const __m128i *)(lv + row_bytes * (k + 12) + off)), 3);
}

/* Repack up to 16 rows of nb blocks of BLK values (units of `unit` values, unit_bytes
 * in the file) into panel records: J = BLK/4 level vectors, scales, [offsets]. */
/* Q4_0 / Q4_1 / Q5_0 / Q5_1 panels (blocks of 32: d [m] [qh] qs): per block, the 16 rows'
 * 16 qs bytes as 4 rows per vector (rows k, k+4, k+8, k+12 in the 128-bit lanes), split
 * into low nibbles (values 0-15) and high ones (16-31), Q5's bit 4 added where qh has it
 * (byte p of a lane is value p, or 16 + p in the high half), then the 4-byte groups
 * transposed in each lane: all of it commutes with the transposition. Scales (and Q4_1 /
 * Q5_1 offsets m) converted 16 at a time. The generic repack went through a stack copy
 * of every row (against it, 2 threads, pp8 / pp16 / pp32: tl-q5_0 1.12-1.31x /
 * 1.14-1.22x / 1.12-1.22x, tl-q4_1 1.34-1.48x / 1.26-1.29x / 1.13-1.18x). */
static inline __attribute__((always_inline)) void
repack_nib(const uint8_t *w, size_t w_stride, int nrows, int nb, uint8_t *panel, int sub, int pf_rows,
           const size_t bsz, const bool affine, const bool q5) {
    static const block_q5_1 zero_block; /* the largest of the four */
    const size_t qh_off = affine ? offsetof(block_q5_1, qh) : offsetof(block_q5_0, qh);
    const size_t qs_off = q5 ? (affine ? offsetof(block_q5_1, qs) : offsetof(block_q5_0, qs))
                             : (affine ? offsetof(block_q4_1, qs) : offsetof(block_q4_0, qs));
    const size_t rec = REC_BYTES(8, affine);
    const __m512i m4 = _mm512_set1_epi8(15), subv = _mm512_set1_epi8((char)sub), h16 = _mm512_set1_epi8(16);
    /* the loops over rows unrolled, as everywhere the rows' values sit in a register each
     * (as loops, gcc -O2 kept the 16 row pointers and the 8 vectors on the stack: tl-q4_0
     * pp16 / pp32 ran ~0.85x / 0.92x of a -O3 build) */
    for (int b = 0; b < nb; b++) {
        const uint8_t *x[16];
        QLM_UNROLL_FULL for (int r = 0; r < 16; r++)
            x[r] = r < nrows ? w + (size_t)r * w_stride + bsz * (size_t)b : (const uint8_t *)&zero_block;
        if (b % 4 == 0) /* 16 row streams: ask for each row's next cache lines early */
            QLM_UNROLL_FULL for (int r = 0; r < 16; r++)
                if (r < nrows) {
                    _mm_prefetch((const char *)(x[r] + 16 * bsz), _MM_HINT_T0);
                    if (r < pf_rows) prefetch_next_panel(x[r], w_stride, 4 * bsz);
                }
        __m512i lo[4], hi[4];
        QLM_UNROLL_FULL for (int k = 0; k < 4; k++) { /* rows k, k+4, k+8, k+12 in the four lanes */
            __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(x[k] + qs_off)));
            v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(x[k + 4] + qs_off)), 1);
            v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(x[k + 8] + qs_off)), 2);
            v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(x[k + 12] + qs_off)), 3);
            lo[k] = _mm512_and_si512(v, m4);
            hi[k] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
            if (q5) { /* qh bits 0-15 for the low nibbles, 16-31 for the high ones, 16 per lane */
                uint64_t ml = 0, mh = 0;
                QLM_UNROLL_FULL for (int l = 0; l < 4; l++) {
                    uint32_t h;
                    memcpy(&h, x[k + 4 * l] + qh_off, 4);
                    ml |= (uint64_t)(h & 0xFFFF) << (16 * l);
                    mh |= (uint64_t)(h >> 16) << (16 * l);
                }
                lo[k] = _mm512_mask_add_epi8(lo[k], (__mmask64)ml, lo[k], h16);
                hi[k] = _mm512_mask_add_epi8(hi[k], (__mmask64)mh, hi[k], h16);
            }
        }
        avx512_transpose4_dwords(&lo[0], &lo[1], &lo[2], &lo[3]);
        avx512_transpose4_dwords(&hi[0], &hi[1], &hi[2], &hi[3]);
        uint8_t *pr = panel + rec * (size_t)b;
        QLM_UNROLL_FULL for (int k = 0; k < 4; k++) {
            _mm512_store_si512(pr + 64 * k, _mm512_sub_epi8(lo[k], subv));
            _mm512_store_si512(pr + 64 * (4 + k), _mm512_sub_epi8(hi[k], subv));
        }
        /* the 16 scales (and offsets) in one vector each, converted at once */
        uint16_t d[16], m[16];
        QLM_UNROLL_FULL for (int r = 0; r < 16; r++) memcpy(&d[r], x[r], 2);
        _mm512_store_ps(pr + 512, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)d)));
        if (affine) {
            QLM_UNROLL_FULL for (int r = 0; r < 16; r++) memcpy(&m[r], x[r] + 2, 2);
            _mm512_store_ps(pr + 576, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)m)));
        }
    }
}

/* One per type, noinline: out of line, as before repack became always_inline (inlined
 * into gemm_q4_0: tl-q4_0 pp32 0.97x, pp16 and pp64 the same) */
#define DEFINE_REPACK_NIB(name, block_t, affine, q5)                                                            \
    static __attribute__((noinline)) void name(const uint8_t *w, size_t w_stride, int nrows, int nb, uint8_t *panel, \
                                               int sub, int pf_rows) {                                           \
        repack_nib(w, w_stride, nrows, nb, panel, sub, pf_rows, sizeof(block_t), affine, q5);                  \
    }
DEFINE_REPACK_NIB(repack_q4_0, block_q4_0, false, false)
DEFINE_REPACK_NIB(repack_q4_1, block_q4_1, true, false)
DEFINE_REPACK_NIB(repack_q5_0, block_q5_0, false, true)
DEFINE_REPACK_NIB(repack_q5_1, block_q5_1, true, true)
#undef DEFINE_REPACK_NIB

/* Q8_0 panels: per block, the 16 rows' 32 levels transposed into the 8 k-group vectors
 * in registers (avx512_transpose_16x8_dwords), made unsigned (+128) less the tiles' sub,
 * and the 16 scales from one gather. The generic repack went through a stack copy of
 * every row (the VNNI kernel at 16 tokens: see repack). */
static __attribute__((noinline)) void repack_q8_0(const uint8_t *w, size_t w_stride, int nrows, int nb, uint8_t *panel,
                                                  int sub, int pf_rows) {
    static const block_q8_0 zero_block;
    const size_t rec = REC_BYTES(8, false);
    const __m512i flip = _mm512_set1_epi8((char)(0x80 - sub)); /* xor 0x80, then - sub: + (128 - sub) */
    const __mmask16 m = (__mmask16)((1u << nrows) - 1);
    const __m512i rowoff = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                              _mm512_set1_epi32((int)w_stride));
    /* the 16 row addresses as base + index * scale forms of few registers (as 16
     * pointers, gcc kept them in vector registers and moved each out per block) */
    const size_t s1 = w_stride, s3 = 3 * w_stride, s5 = 5 * w_stride, s7 = 7 * w_stride;
    for (int b = 0; b < nb; b++) {
        const uint8_t *rows[16];
        const uint8_t *p0 = w + sizeof(block_q8_0) * (size_t)b + 2, *p8 = p0 + 8 * s1;
        if (nrows == 16) {
            const uint8_t *const q[16] = {p0, p0 + s1, p0 + 2 * s1, p0 + s3, p0 + 4 * s1, p0 + s5, p0 + 2 * s3, p0 + s7,
                                          p8, p8 + s1, p8 + 2 * s1, p8 + s3, p8 + 4 * s1, p8 + s5, p8 + 2 * s3, p8 + s7};
            QLM_UNROLL_FULL for (int r = 0; r < 16; r++) rows[r] = q[r];
        } else
            QLM_UNROLL_FULL for (int r = 0; r < 16; r++)
                rows[r] = (const uint8_t *)(r < nrows ? (const block_q8_0 *)(w + (size_t)r * w_stride) + b : &zero_block)->qs;
        if (b % 2 == 0) /* the next panel's lines, each once (two blocks span 68 bytes) */
            QLM_UNROLL_FULL for (int r = 0; r < 16; r++)
                if (r < nrows && r < pf_rows) prefetch_next_panel(rows[r] - 2, w_stride, 2 * sizeof(block_q8_0));
        __m512i v[8];
        avx512_transpose_16x8_dwords(rows, v);
        uint8_t *pr = panel + rec * (size_t)b;
        QLM_UNROLL_FULL for (int k = 0; k < 8; k++) _mm512_store_si512(pr + 64 * k, _mm512_add_epi8(v[k], flip));
        const __m512i d16 = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, rowoff,
                                                        w + sizeof(block_q8_0) * (size_t)b, 1);
        _mm512_store_ps(pr + 512, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(d16)));
    }
}

/* Q4_K / Q5_K panels: per super-block, the 16 rows' scale vectors (d sc, -dmin mn)
 * transposed into the 8 records' row scales, and each 32-byte qs chunk of the 16 rows
 * (and Q5_K's qh) transposed in registers (avx512_transpose_16x8_dwords) before the
 * nibbles are split, which commutes with it: low nibbles are sub-block 2c, high ones
 * 2c + 1 (+16 where qh's bit 2c / 2c + 1 is set), the order unpack_q4_k / unpack_q5_k
 * give. The generic repack went through a stack copy of every row's 256 levels
 * (tl-q4_k_m pp8 0.82-0.88x of this, pp16 0.92x, with AMX; `bash bench/ab.sh 2 ...`). */
static __attribute__((always_inline)) inline void repack_kq(const uint8_t *w, size_t w_stride, int nrows, int nsb,
                                                            uint8_t *panel, int pf_rows, const bool q5) {
    static const block_q5_k zero_block; /* the larger of the two */
    const size_t bsz = q5 ? sizeof(block_q5_k) : sizeof(block_q4_k);
    const size_t rec = REC_BYTES(8, true);
    const __m512i m4 = _mm512_set1_epi8(15), h16 = _mm512_set1_epi8(16);
    for (int u = 0; u < nsb; u++) {
        const uint8_t *x[16];
        QLM_UNROLL_FULL for (int r = 0; r < 16; r++)
            x[r] = r < nrows ? w + (size_t)r * w_stride + bsz * (size_t)u : (const uint8_t *)&zero_block;
        QLM_UNROLL_FULL for (int r = 0; r < 16; r++)
            if (r < nrows) prefetch_unit(x[r], w_stride, bsz, u, true, r < pf_rows);
        __m512 sv[16];
        QLM_UNROLL_FULL for (int r = 0; r < 16; r++) {
            const block_q4_k *h = (const block_q4_k *)x[r]; /* d, dmin, scales: the same place in both */
            const __m512 f = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(x86_kq_scale_bytes(h->scales)));
            sv[r] = _mm512_mul_ps(f, _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(x86_f16(h->d)),
                                                          _mm512_set1_ps(-x86_f16(h->dmin))));
        }
        avx512_transpose16(sv); /* sv[j]: the rows' ws of sub-block j; sv[8 + j]: their wm */
        uint8_t *pu = panel + rec * (size_t)(8 * u);
        QLM_UNROLL_FULL for (int j = 0; j < 8; j++) {
            _mm512_store_ps(pu + rec * (size_t)j + 512, sv[j]);
            _mm512_store_ps(pu + rec * (size_t)j + 576, sv[8 + j]);
        }
        const uint8_t *rows[16];
        __m512i qh[8];
        if (q5) {
            QLM_UNROLL_FULL for (int r = 0; r < 16; r++) rows[r] = ((const block_q5_k *)x[r])->qh;
            avx512_transpose_16x8_dwords(rows, qh);
        }
        QLM_UNROLL_FULL for (int c = 0; c < 4; c++) {
            QLM_UNROLL_FULL for (int r = 0; r < 16; r++)
                rows[r] = (q5 ? ((const block_q5_k *)x[r])->qs : ((const block_q4_k *)x[r])->qs) + 32 * c;
            __m512i v[8];
            avx512_transpose_16x8_dwords(rows, v);
            QLM_UNROLL_FULL for (int k = 0; k < 8; k++) {
                __m512i lo = _mm512_and_si512(v[k], m4), hi = _mm512_and_si512(_mm512_srli_epi16(v[k], 4), m4);
                if (q5) {
                    lo = _mm512_mask_add_epi8(lo, _mm512_test_epi8_mask(qh[k], _mm512_set1_epi8((char)(1 << (2 * c)))), lo, h16);
                    hi = _mm512_mask_add_epi8(hi, _mm512_test_epi8_mask(qh[k], _mm512_set1_epi8((char)(2 << (2 * c)))), hi, h16);
                }
                _mm512_store_si512(pu + rec * (size_t)(2 * c) + 64 * k, lo);
                _mm512_store_si512(pu + rec * (size_t)(2 * c + 1) + 64 * k, hi);
            }
        }
    }
}
static __attribute__((noinline)) void repack_q4_k(const uint8_t *w, size_t w_stride, int nrows, int nsb, uint8_t *panel,
                                                  int pf_rows) {
    repack_kq(w, w_stride, nrows, nsb, panel, pf_rows, false);
}
static __attribute__((noinline)) void repack_q5_k(const uint8_t *w, size_t w_stride, int nrows, int nsb, uint8_t *panel,
                                                  int pf_rows) {
    repack_kq(w, w_stride, nrows, nsb, panel, pf_rows, true);
}

/* Q6_K panels: per half super-block, the 16 rows' two ql chunks and their qh chunk
 * transposed in registers (avx512_transpose_16x8_dwords), then the 6-bit levels made as
 * unpack_q6_k makes them (the bit operations commute with the transposition); the 16
 * scales d sc[j] of each row transposed into the 16 records' row scales. */
static __attribute__((noinline)) void repack_q6_k(const uint8_t *w, size_t w_stride, int nrows, int nsb,
                                                  uint8_t *panel, int pf_rows) {
    static const block_q6_k zero_block;
    const size_t rec = REC_BYTES(4, false);
    const __m512i m4 = _mm512_set1_epi8(15), m3 = _mm512_set1_epi8(3);
    for (int u = 0; u < nsb; u++) {
        const block_q6_k *x[16];
        QLM_UNROLL_FULL for (int r = 0; r < 16; r++)
            x[r] = r < nrows ? (const block_q6_k *)(w + (size_t)r * w_stride) + u : &zero_block;
        QLM_UNROLL_FULL for (int r = 0; r < 16; r++)
            if (r < nrows) prefetch_unit((const uint8_t *)x[r], w_stride, sizeof(block_q6_k), u, true, r < pf_rows);
        __m512 sv[16];
        QLM_UNROLL_FULL for (int r = 0; r < 16; r++)
            sv[r] = _mm512_mul_ps(_mm512_set1_ps(x86_f16(x[r]->d)),
                                  _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)x[r]->scales))));
        avx512_transpose16(sv); /* sv[j]: the rows' scales of block j */
        uint8_t *pu = panel + rec * (size_t)(16 * u);
        QLM_UNROLL_FULL for (int j = 0; j < 16; j++) _mm512_store_ps(pu + rec * (size_t)j + 256, sv[j]);
        QLM_UNROLL_FULL for (int h = 0; h < 2; h++) {
            const uint8_t *rows[16];
            __m512i l0[8], l1[8], hb[8];
            QLM_UNROLL_FULL for (int r = 0; r < 16; r++) rows[r] = x[r]->ql + 64 * h;
            avx512_transpose_16x8_dwords(rows, l0);
            QLM_UNROLL_FULL for (int r = 0; r < 16; r++) rows[r] = x[r]->ql + 64 * h + 32;
            avx512_transpose_16x8_dwords(rows, l1);
            QLM_UNROLL_FULL for (int r = 0; r < 16; r++) rows[r] = x[r]->qh + 32 * h;
            avx512_transpose_16x8_dwords(rows, hb);
            /* part p (32 levels at 128 h + 32 p): k-group k is block 8 h + 2 p + k / 4, group k % 4 */
            QLM_UNROLL_FULL for (int k = 0; k < 8; k++) {
                const __m512i q[4] = {
                    _mm512_or_si512(_mm512_and_si512(l0[k], m4), _mm512_slli_epi16(_mm512_and_si512(hb[k], m3), 4)),
                    _mm512_or_si512(_mm512_and_si512(l1[k], m4),
                                    _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(hb[k], 2), m3), 4)),
                    _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l0[k], 4), m4),
                                    _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(hb[k], 4), m3), 4)),
                    _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l1[k], 4), m4),
                                    _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(hb[k], 6), m3), 4))};
                QLM_UNROLL_FULL for (int p = 0; p < 4; p++)
                    _mm512_store_si512(pu + rec * (size_t)(8 * h + 2 * p + k / 4) + 64 * (k % 4), q[p]);
            }
        }
    }
}

/* Q4_K_R16 and Q5_K_R16 panels: a group is 16 rows with lane = row already, so each
 * record's level vectors are one qs line's low or high nibbles (and Q5_K's fifth bit),
 * and its scales one vector product. */
static void repack_kq_r16(const uint8_t *w, int nb, uint8_t *panel, bool q5) {
    const size_t rec = REC_BYTES(8, true);
    for (int u = 0; u < nb / 8; u++) {
        const r16_parts b = r16_parts_of(w, u, q5);
        __m512 ws[8], wm[8];
        r16_unit_scales(b.d, b.dmin, b.sl, b.sh, ws, wm);
        for (int c = 0; c < 4; c++) { /* sub-blocks 2c (low nibbles) and 2c + 1 */
            uint8_t *pr = panel + rec * (size_t)(8 * u + 2 * c);
            for (int g = 0; g < 8; g++) {
                __m512i lo, hi;
                r16_levels(&b, c, g, &lo, &hi);
                _mm512_store_si512(pr + 64 * g, lo);
                _mm512_store_si512(pr + rec + 64 * g, hi);
            }
            for (int k = 0; k < 2; k++) {
                _mm512_store_ps(pr + rec * k + 512, ws[2 * c + k]);
                _mm512_store_ps(pr + rec * k + 576, wm[2 * c + k]);
            }
        }
    }
}

/* Q4_0_R16 panels, straight from the group: block j's record takes the low nibbles of
 * its 4 lines as level vectors 0-3 (values 4 g ..) and the high nibbles as 4-7 (16 +
 * 4 g ..), the layout repack_q4_0 builds from 16 Q4_0 rows, and the rows' d as floats. */
static void repack_q4_0_r16(const uint8_t *w, int nb, uint8_t *panel) {
    const size_t rec = REC_BYTES(8, false);
    const __m512i m4 = _mm512_set1_epi8(15);
    for (int u = 0; u < nb / 8; u++) {
        const block_q4_0_r16 *b = (const block_q4_0_r16 *)w + u;
        for (int j = 0; j < 8; j++) {
            uint8_t *pr = panel + rec * (size_t)(8 * u + j);
            for (int g = 0; g < 4; g++) {
                const __m512i q = _mm512_loadu_si512(b->qs[j][g]);
                _mm512_store_si512(pr + 64 * g, _mm512_and_si512(q, m4));
                _mm512_store_si512(pr + 64 * (4 + g), _mm512_and_si512(_mm512_srli_epi16(q, 4), m4));
            }
            _mm512_store_ps(pr + 512, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b->d[j])));
        }
    }
}

/* Q8_0_R16 panels, straight from the group: block j's record is its 8 lines as they are
 * (q + 128, lane = row: what unpack_q8_0 and the transposes make from 16 Q8_0 rows) and
 * the rows' d as floats. */
static void repack_q8_0_r16(const uint8_t *w, int nb, uint8_t *panel) {
    const size_t rec = REC_BYTES(8, false);
    for (int u = 0; u < nb / 8; u++) {
        const block_q8_0_r16 *b = (const block_q8_0_r16 *)w + u;
        for (int j = 0; j < 8; j++) {
            uint8_t *pr = panel + rec * (size_t)(8 * u + j);
            for (int g = 0; g < 8; g++) _mm512_store_si512(pr + 64 * g, _mm512_loadu_si512(b->qs[j][g]));
            _mm512_store_ps(pr + 512, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b->d[j])));
        }
    }
}

/* The 16 sub-block scales of the 16 rows of a Q6_K_R16 block as floats, ws[j] lane r =
 * d[r] * sc[j][r]: the product unpack_q6_k forms for a Q6_K row. */
static inline void r6_unit_scales(const block_q6_k_r16 *b, __m512 ws[16]) {
    const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)q6_k_r16_d(b)));
    const int8_t *sc = q6_k_r16_scales(b);
    for (int j = 0; j < 16; j++)
        ws[j] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(sc + 16 * j)))), d);
}

/* Q6_K_R16 panels, straight from the group: record j (a sub-block of 16) takes its 4
 * level vectors from the 4 chunks that hold it (r6_levels) and its scales from
 * r6_unit_scales; the same records as from the Q6_K rows. */
static void repack_q6_k_r16(const uint8_t *w, int nb, uint8_t *panel) {
    const size_t rec = REC_BYTES(4, false);
    for (int u = 0; u < nb / 16; u++) {
        const block_q6_k_r16 *b = (const block_q6_k_r16 *)w + u;
        const uint8_t *q = q6_k_r16_q(b);
        __m512 ws[16];
        r6_unit_scales(b, ws);
        uint8_t *pu = panel + rec * (size_t)(16 * u);
        for (int j = 0; j < 16; j++) _mm512_store_ps(pu + rec * (size_t)j + 256, ws[j]);
        for (int ci = 0; ci < 16; ci++) {
            __m512i wv[4];
            r6_levels(q, ci, wv);
            const int h = ci / 8, g = ci % 8;
            for (int m = 0; m < 4; m++) _mm512_store_si512(pu + rec * (size_t)(8 * h + 2 * m + g / 4) + 64 * (g % 4), wv[m]);
        }
    }
}

/* always_inline: with each type's constant unpack the call is direct and inlined (out of
 * line, the Q8_0 prompt kernel ran 0.83-0.87x at 16 tokens: qlm bench --kernels -t 1
 * --type Q8_0 --tokens 16 --stream-mib 1) */
static inline __attribute__((always_inline)) void
repack(const uint8_t *w, size_t w_stride, int nrows, int nb, uint8_t *panel, unpack_fn unpack,
                   int blk, int unit, size_t unit_bytes, bool affine, int sub, int pf_rows) {
    if (unpack == unpack_q4_0 || unpack == unpack_q4_1 || unpack == unpack_q5_0 || unpack == unpack_q5_1) {
        (unpack == unpack_q4_0   ? repack_q4_0
         : unpack == unpack_q4_1 ? repack_q4_1
         : unpack == unpack_q5_0 ? repack_q5_0
                                 : repack_q5_1)(w, w_stride, nrows, nb, panel, sub, pf_rows);
        return;
    }
    if (unpack == unpack_q8_0) {
        repack_q8_0(w, w_stride, nrows, nb, panel, sub, pf_rows);
        return;
    }
    if (unpack == unpack_q4_k || unpack == unpack_q5_k) { /* sub is 0: their levels stay unsigned */
        (unpack == unpack_q4_k ? repack_q4_k : repack_q5_k)(w, w_stride, nrows, nb / 8, panel, pf_rows);
        return;
    }
    if (unpack == unpack_q6_k) { /* blocks of 16, 16 per super-block; never the int8 tiles, so sub is 0 */
        repack_q6_k(w, w_stride, nrows, nb / 16, panel, pf_rows);
        return;
    }
    if (unpack == unpack_q4_k_r16 || unpack == unpack_q5_k_r16) { /* nrows is 16: only whole groups are made */
        repack_kq_r16(w, nb, panel, unpack == unpack_q5_k_r16);
        return;
    }
    if (unpack == unpack_q6_k_r16) {
        repack_q6_k_r16(w, nb, panel);
        return;
    }
    if (unpack == unpack_q4_0_r16) {
        repack_q4_0_r16(w, nb, panel);
        return;
    }
    if (unpack == unpack_q8_0_r16) {
        repack_q8_0_r16(w, nb, panel);
        return;
    }
    _Alignas(64) uint8_t lv[16][UNIT_MAX];
    _Alignas(64) float ws[16][16], wm[16][16];
    const int J = blk / 4, bpu = unit / blk;
    const size_t rec = REC_BYTES(J, affine);
    memset(lv, 0, sizeof lv);
    memset(ws, 0, sizeof ws);
    memset(wm, 0, sizeof wm);
    /* the loops unrolled (gcc -O2 left them as loops: tl-q8_0 pp16 0.88-0.91x, tl-q4_k_m
     * 0.91-0.96x) */
    for (int u = 0; u < nb / bpu; u++) {
        QLM_UNROLL_FULL for (int r = 0; r < 16; r++) {
            if (r >= nrows) continue;
            const uint8_t *b = w + (size_t)r * w_stride + unit_bytes * (size_t)u;
            prefetch_unit(b, w_stride, unit_bytes, u, unit >= QK_K, r < pf_rows);
            unpack(b, lv[r], ws[r], wm[r]);
        }
        QLM_UNROLL_FULL for (int bl = 0; bl < bpu; bl++) {
            uint8_t *pr = panel + rec * (size_t)(u * bpu + bl);
            QLM_UNROLL_FULL for (int h = 0; h < J / 4; h++) { /* 16 values = 4 k-groups at a time */
                __m512i a0 = rows4(lv[0], UNIT_MAX, 0, (size_t)(blk * bl + 16 * h));
                __m512i a1 = rows4(lv[0], UNIT_MAX, 1, (size_t)(blk * bl + 16 * h));
                __m512i a2 = rows4(lv[0], UNIT_MAX, 2, (size_t)(blk * bl + 16 * h));
                __m512i a3 = rows4(lv[0], UNIT_MAX, 3, (size_t)(blk * bl + 16 * h));
                avx512_transpose4_dwords(&a0, &a1, &a2, &a3);
                const __m512i subv = _mm512_set1_epi8((char)sub);
                _mm512_store_si512(pr + 64 * (4 * h + 0), _mm512_sub_epi8(a0, subv));
                _mm512_store_si512(pr + 64 * (4 * h + 1), _mm512_sub_epi8(a1, subv));
                _mm512_store_si512(pr + 64 * (4 * h + 2), _mm512_sub_epi8(a2, subv));
                _mm512_store_si512(pr + 64 * (4 * h + 3), _mm512_sub_epi8(a3, subv));
            }
            float *ps = (float *)(pr + 64 * J);
            QLM_UNROLL_FULL for (int r = 0; r < 16; r++) ps[r] = ws[r][bl];
            if (affine) QLM_UNROLL_FULL for (int r = 0; r < 16; r++) ps[16 + r] = wm[r][bl];
        }
    }
}

/* ---- the gemm entry points ------------------------------------------------------- */

/* Tokens from which the repacked matrix-matrix path beats the matrix-vector loop (in
 * passes of 3 tokens), by weight kind, and from which AMX tiles (16 tokens each) beat
 * the VNNI micro-kernels. Quantized: repacking panels for 4-6 tokens cost more than
 * reading the weights again (Q4_0, 1024 x 2048 in cache, G MAC/s: 3 tokens 76, repacked
 * 4: 44, 6: 62, 8: 80; with a 75 MB matrix 1.4-1.6x at 4-6), except for the types whose
 * panels are transposed in registers (repack_nib, repack_q8_0, repack_kq, repack_q6_k):
 * from 4 tokens tl-q4_0 / tl-q4_k_m / tl-q5_k_m / tl-q6_k pp4-pp6 ran 0.97-1.24x /
 * 1.01-1.19x / 1.03-1.28x / 1.14-1.26x, tl-q5_0 / tl-q4_1 / tl-q5_1 1.07-1.23x /
 * 1.01-1.09x / 1.19-1.31x, tl-q8_0 without AMX 1.20-1.34x (2 threads, `bash bench/ab.sh
 * 2 ...`); the types rearranged by --repack (Q4_0_G8, the R16 ones) keep 7 (their
 * matrix-vector loop: tl-q4_k_m -rtr 1 pp4-pp6 0.6-0.8x from 4). Float
 * weights: FGEMM_MIN_TOKENS (gemm_avx512.h). */
#define QGEMM_MIN_TOKENS(qt) ((qt) >= T_Q4_0_G8 ? 7 : 4)
#define AMX_MIN_TOKENS 16
/* Blocks of 16 (Q6_K) do not take the int8 tiles: each block is a tile product, store
 * and float epilogue for only 16 values per row, and the VNNI micro-kernel ran 1.1-1.3x
 * faster (tl-q6_k.gguf pp16-pp32, 2 threads); the bf16 tiles take them from
 * TILES_MIN_TOKENS. */
#define AMX_INT8_BLK 32
/* bf16 tiles dequantize every weight once per call: worth it from this many tokens, and
 * earlier for the types whose int8 kernels are slowest (2 threads, tiles from 32 tokens
 * against the int8 kernels: tl-q4_k_m pp40 1.07x, pp48 1.10x, pp56 1.26x; tl-q5_k_m
 * 1.10-1.20x; tl-q8_0 pp48 0.96-0.99x, pp56 1.05-1.07x; tl-q4_0 pp56 0.90x). Q6_K
 * (never the int8 tiles) against its micro-kernel with the spread prefetches
 * (PF_MICRO_MAX_TOKENS): pp32 0.76-0.82x, pp48 0.91-1.02x, pp56 1.03-1.07x, pp64
 * 1.14-1.17x (before them, pp32 1.02-1.09x) */
#define TILES_MIN_TOKENS 64
#define TILES_MIN_TOKENS_KQ 40
#define TILES_MIN_TOKENS_Q6_K 56
#define TILES_MIN_TOKENS_Q8_0 56
/* Q4_0 and Q5_0 once their int8 tiles asked for the next panel during the products
 * (dc7deae): int8 against bf16 tiles, `bash bench/ab.sh 2`, tl-q4_0 pp64 / pp80 / pp96 /
 * pp112 / pp128 / pp256 1.19-1.21x / 1.08-1.12x / 1.0-1.04x / 0.98-1.01x / 0.96-0.99x /
 * 0.85-0.95x, tl-q5_0 1.13-1.18x / 1.03-1.11x / 1.04-1.06x / 1.04-1.08x / 0.95-0.97x /
 * 0.80-0.82x. Not the affine Q4_1 / Q5_1, whose int8 epilogue is longer: tl-q4_1 pp80
 * 0.90-0.93x, pp112 0.81-0.87x; at 64 level (Q5_1 0.95-0.96x) */
#define TILES_MIN_TOKENS_Q4_0 112
/* ... and F16 / BF16 weights from this many: their micro-kernel converts every weight to
 * a float panel and multiplies in float FMAs, the tiles convert them to bf16 parts and
 * multiply 16 times as fast (tl-f16.gguf, 2 threads, against the micro-kernel: pp16
 * 1.3x, pp32 1.5x, pp63 1.85x; pp4 0.82x, pp6 0.9x; at 8 tokens one pass of the
 * matrix-vector loop ran 1.06-1.08x the tiles) */
#define FTILES_MIN_TOKENS 9

/* From 9 tokens to this many, one panel is made at a time and the micro-kernel calls
 * (or the AMX int8 tile products, qlm_amx_job.pf) ask for the next panel's weights into
 * L2, spread over them (each call a share of the next rows, pf_group bytes per 4
 * blocks), where the panel's repack asked for all of it: the memory waited on during
 * the repack and idle during the products. 2 threads, `bash bench/ab.sh 2`, QLM_AMX=0
 * (bench/RESULTS.md, "Short prompts III"): tl-q4_0 pp16 / pp32 / pp64 1.08-1.12x /
 * 1.04-1.08x / 1.03-1.07x, tl-q4_k_m pp16 1.09-1.13x, tl-q6_k pp16 / pp32 1.15-1.20x /
 * 1.14-1.17x, tl-q8_0 pp16 1.14-1.18x; with the AMX int8 tiles (`ab.sh 3`): tl-q4_0 pp16
 * 1.04-1.12x, pp32 1.0-1.04x, tl-q5_0 pp16 1.0-1.12x; `ab.sh 2` tl-q4_k_m pp16
 * 1.06-1.10x. Not for one call of up to 8 tokens (the same
 * prefetches in one call: tl-q8_0 pp8 0.90x) nor long prompts (pp512 0.92-0.94x without
 * AMX: the products set the pace there). */
#define PF_MICRO_MAX_TOKENS 128
/* At most this many bytes asked for per group of 4 blocks of a call (J vectors per block:
 * the work between them); the repack asks for the rows beyond that, as before. More
 * stalled the products on the fill buffers: tl-q8_0 (136 bytes a row per group) pp16
 * with all 16 rows from the micro-kernel 0.95-0.98x, 8 of them 1.06-1.10x; tl-q6_k pp16
 * 10 of 16 rows 1.05x over 16. */
#define PF_MICRO_GROUP_BYTES(J) ((size_t)72 * (J))

bool qlm_avx512_use_amx;

/* The interleaved types, whose panels come from their own repack functions. */
static inline bool unpack_is_r16(unpack_fn u) {
    return u == unpack_q4_k_r16 || u == unpack_q5_k_r16 || u == unpack_q6_k_r16 || u == unpack_q4_0_r16 ||
           u == unpack_q8_0_r16;
}

/* Q8_0 with AMX: the tiles read the rows in place (qlm_amx_q8_0_gemm), from this many
 * tokens. false: the scratch is too small (then the repacked path). */
#define Q8_0_DIRECT_MIN_TOKENS 4
static bool q8_0_direct(int64_t n, int nr, int nt, const uint8_t *w, size_t w_stride, const uint8_t *a,
                        size_t a_stride, float *y, int64_t ldy, void *work) {
    const int nb = (int)(n / 32), nb4 = (nb + 3) / 4 * 4;
    const size_t nt16 = ((size_t)nt + 15) / 16 * 16;
    const size_t dt_bytes = ((size_t)nb4 * 4 * nt16 + 63) / 64 * 64, bt_bytes = (size_t)32 * (size_t)nb * nt16;
    if (dt_bytes + bt_bytes > QLM_GEMM_WORK_BASE(n, nt) || !qlm_cpu_amx_request()) return false;
    float *dt = work;
    qlm_amx_prepare_scales(a, a_stride, nt, nb4, x86_prep_nq(n), 0, false, dt, NULL);
    qlm_amx_q8_0_gemm(nb, nr, nt, w, w_stride, (const int8_t *)a, a_stride, dt, nb4, (uint8_t *)work + dt_bytes, y, ldy);
    return true;
}

#define GEMM_BODY(UNPACK, BLK, UNIT, UNIT_BYTES)                                                                 \
    const int nb = (int)(n / (BLK));                                                           \
    const int nb4 = (nb + 3) / 4 * 4;                                                          \
    const size_t panel_bytes = (size_t)REC_BYTES(J_, AFF) * (size_t)nb4;                       \
    const bool amx = qlm_avx512_use_amx && (BLK) == AMX_INT8_BLK && nt >= AMX_MIN_TOKENS &&   \
                     qlm_cpu_amx_request();                                                    \
    /* AMX: the tiles take signed levels; the per-row panels are made with the type's    \
     * bias already taken off, which saves the tiles a pass over each panel (tl-q4_0      \
     * pp16 1.17-1.20x, pp32 1.10-1.13x; tl-q8_0 pp16 1.06-1.12x); the interleaved types' \
     * panels keep theirs, which the tiles shift */                                          \
    const int bias_in_repack = amx && !unpack_is_r16(UNPACK) ? AMX_BIAS : 0;                  \
    /* AMX: every token tile's block scales and corrections, transposed once per call */     \
    const size_t nt16 = ((size_t)nt + 15) / 16 * 16;                                         \
    const size_t dt_bytes = amx ? ((size_t)nb4 * 8 * nt16 + 63) / 64 * 64 : 0;                 \
    int panels = work ? (int)((QLM_GEMM_WORK_BASE(n, nt) - dt_bytes) / panel_bytes) : 0;      \
    if (panels > 4) panels = 4;                                                                \
    /* Q8_0_R16 groups hold the VNNI panels' levels: read in place, nothing repacked, and   \
     * the next group asked for by the micro-kernel calls however many they are (`-rtr 1`, \
     * QLM_AMX=0, against its repack: tl-q8_0 pp7 / pp8 / pp12 / pp16 / pp32 1.18-1.30x /  \
     * 1.28-1.31x / 1.09-1.13x / 1.08-1.14x / 1.0-1.06x, with AMX pp7-pp12 alike; in place \
     * without the prefetches pp8 1.05-1.15x but pp16 0.79-0.90x) */                         \
    const bool q8_in_place = (UNPACK) == unpack_q8_0_r16 && !amx;                              \
    const bool pf_micro = (nt > MAX_C || q8_in_place) && nt <= PF_MICRO_MAX_TOKENS;            \
    if (pf_micro && panels > 1) panels = 1;                                                    \
    const int ntg = (nt + (amx ? 15 : MAX_C - 1)) / (amx ? 16 : MAX_C); /* kernel calls per panel */ \
    /* the next panel's rows the repack asks for; the micro-kernel calls ask for the rest */  \
    int pf_rows = 16;                                                                          \
    if (q8_in_place) pf_rows = 0;                                                              \
    else if (pf_micro) {                                                                       \
        const size_t fit = PF_MICRO_GROUP_BYTES(J_) * (size_t)ntg / (w_stride * 4 / (size_t)nb); \
        pf_rows = fit >= 16 ? 0 : 16 - (int)fit;                                               \
    }                                                                                          \
    float *dt_all = work;                       /* then the panels */                         \
    uint8_t *pwork = work ? (uint8_t *)work + dt_bytes : NULL;                                 \
    const uint8_t *W = w;                                                                      \
    const uint8_t *Aq = a;                                                                     \
    if ((UNPACK) == unpack_q8_0 && nt >= Q8_0_DIRECT_MIN_TOKENS && work && qlm_avx512_use_amx &&  \
        q8_0_direct(n, nr, nt, W, w_stride, Aq, a_stride, y, ldy, work))                         \
        return;                                                                                \
    if (nt < QGEMM_MIN_TOKENS(QT) || panels < 1) {                                             \
        for (int t0 = 0; t0 < nt; t0 += 3) {                                                   \
            int c = nt - t0 < 3 ? nt - t0 : 3;                                                 \
            GEMV_CALL(c, n, nr, W, w_stride, Aq + (size_t)t0 * a_stride, a_stride,             \
                      y + (size_t)t0 * ldy, ldy);                                              \
        }                                                                                      \
        return;                                                                                \
    }                                                                                          \
    const size_t nq = x86_prep_nq(n), doff = nq, eoff = nq + 4 * (nq / (BLK));                \
    const int8_t *qt[MAX_C];                                                                   \
    if (amx)                                                                                   \
        qlm_amx_prepare_scales(Aq, a_stride, nt, nb4, doff, eoff, AFF, dt_all, dt_all + (size_t)nb4 * nt16); \
    for (int r0 = 0; r0 < nr; r0 += 16 * panels) {                                             \
        int np = (nr - r0 + 15) / 16;                                                          \
        if (np > panels) np = panels;                                                          \
        /* pf_micro: the next panel's rows past pf_rows, for the kernel calls to ask for */    \
        const int pf_next_rows = pf_micro && r0 + 16 + pf_rows < nr                            \
                                     ? (nr - r0 - 16 - pf_rows < 16 - pf_rows ? nr - r0 - 16 - pf_rows : 16 - pf_rows) \
                                     : 0;                                                      \
        const uint8_t *pf_base = pf_next_rows ? W + (size_t)(r0 + 16 + pf_rows) * w_stride : NULL; \
        const size_t pf_total = (size_t)pf_next_rows * w_stride;                               \
        for (int p = 0; p < np && !q8_in_place; p++) {                                         \
            int rows = nr - r0 - 16 * p < 16 ? nr - r0 - 16 * p : 16;                          \
            uint8_t *pan = pwork + panel_bytes * (size_t)p;                                    \
            repack(W + (size_t)(r0 + 16 * p) * w_stride, w_stride, rows, nb, pan, UNPACK,     \
                   BLK, UNIT, UNIT_BYTES, AFF, bias_in_repack, pf_rows);                       \
            memset(pan + (size_t)REC_BYTES(J_, AFF) * nb, 0, (size_t)REC_BYTES(J_, AFF) * (nb4 - nb)); \
        }                                                                                      \
        if (amx) {                                                                             \
            const qlm_amx_job job = {pwork, panel_bytes, np, nr - r0 < 16 * np ? nr - r0 : 16 * np, \
                                     nb4, J_, AFF, AMX_BIAS - bias_in_repack, Aq, a_stride,    \
                                     AMX_NATURAL ? x86_prep_qn(n) : 0, nt, y + r0, ldy,        \
                                     dt_all, dt_all + (size_t)nb4 * nt16,                      \
                                     pf_base, pf_total};                                       \
            qlm_amx_gemm_chunk(&job);                                                          \
            continue;                                                                          \
        }                                                                                      \
        for (int t0 = 0; t0 < nt; t0 += MAX_C) {                                               \
            int c = nt - t0 < MAX_C ? nt - t0 : MAX_C;                                         \
            for (int t = 0; t < c; t++) qt[t] = (const int8_t *)(Aq + (size_t)(t0 + t) * a_stride); \
            for (int p = 0; p < np; p++) {                                                     \
                int rows = nr - r0 - 16 * p < 16 ? nr - r0 - 16 * p : 16;                      \
                const uint8_t *pan = pwork + panel_bytes * (size_t)p;                          \
                float *yp = y + (size_t)t0 * ldy + r0 + 16 * p;                                \
                /* this call's share of the next panel's rows */                              \
                const size_t share = (pf_total + ntg - 1) / ntg, off = share * (size_t)(t0 / MAX_C); \
                const uint8_t *pf = off < pf_total ? pf_base + off : NULL;                     \
                const size_t pf_len = pf ? (pf_total - off < share ? pf_total - off : share) : 0; \
                const size_t pf_group = (pf_len + nb4 / 4 - 1) / (nb4 / 4);                    \
                MICRO_SWITCH(c, 0, nb4, false, q8_in_place ? W + (size_t)(r0 + 16 * p) * w_stride : pan, qt, doff, eoff, \
                             yp, ldy, rows, pf, pf_len, pf_group, q8_in_place)                 \
            }                                                                                  \
        }                                                                                      \
    }

#define GEMV_CALL(c, ...) qlm_avx512_gemv(QT, __VA_ARGS__, c)

#define DEFINE_GEMM(name, qt, order, j, aff, unpack, blk, unit, unit_bytes, bias, natural)       \
    static void name(int64_t n, int nr, int nt, const void *w, size_t w_stride, const void *a,   \
                     size_t a_stride, float *y, int64_t ldy, void *work) {                       \
        const qtype QT = qt;                                                                      \
        const int AMX_BIAS = bias;                                                               \
        const bool AMX_NATURAL = natural;                                                        \
        GEMM_BODY(unpack, blk, unit, unit_bytes)                                                 \
    }

#define ORDER ORD_NIB4
#define J_ 8
#define AFF false
DEFINE_GEMM(gemm_q4_0, T_Q4_0, ORD_NIB4, 8, false, unpack_q4_0, 32, 32, sizeof(block_q4_0), 8, true)
DEFINE_GEMM(gemm_q4_0_g8, T_Q4_0_G8, ORD_NIB4, 8, false, unpack_q4_0_g8, 32, 256, sizeof(block_q4_0_g8), 8, true)
DEFINE_GEMM(gemm_q4_0_r16, T_Q4_0_R16, ORD_NIB4, 8, false, unpack_q4_0_r16, 32, 256, sizeof(block_q4_0_g8), 8, true)
DEFINE_GEMM(gemm_q5_0, T_Q5_0, ORD_NIB4, 8, false, unpack_q5_0, 32, 32, sizeof(block_q5_0), 16, true)
#undef AFF
#define AFF true
DEFINE_GEMM(gemm_q4_1, T_Q4_1, ORD_NIB4, 8, true, unpack_q4_1, 32, 32, sizeof(block_q4_1), 0, true)
DEFINE_GEMM(gemm_q5_1, T_Q5_1, ORD_NIB4, 8, true, unpack_q5_1, 32, 32, sizeof(block_q5_1), 0, true)
#undef ORDER
#define ORDER ORD_KQ
DEFINE_GEMM(gemm_q4_k, T_Q4_K, ORD_KQ, 8, true, unpack_q4_k, 32, 256, sizeof(block_q4_k), 0, true)
DEFINE_GEMM(gemm_q4_k_r16, T_Q4_K_R16, ORD_KQ, 8, true, unpack_q4_k_r16, 32, 256, sizeof(block_q4_k), 0, true)
DEFINE_GEMM(gemm_q5_k_r16, T_Q5_K_R16, ORD_KQ, 8, true, unpack_q5_k_r16, 32, 256, sizeof(block_q5_k), 0, true)
DEFINE_GEMM(gemm_q5_k, T_Q5_K, ORD_KQ, 8, true, unpack_q5_k, 32, 256, sizeof(block_q5_k), 0, true)
#undef ORDER
#undef AFF
#define ORDER ORD_NAT32
#define AFF false
DEFINE_GEMM(gemm_q8_0, T_Q8_0, ORD_NAT32, 8, false, unpack_q8_0, 32, 32, sizeof(block_q8_0), 128, false)
DEFINE_GEMM(gemm_q8_0_r16, T_Q8_0_R16, ORD_NAT32, 8, false, unpack_q8_0_r16, 32, 256, 8 * sizeof(block_q8_0), 128, false)
#undef ORDER
#undef J_
#define ORDER ORD_NAT16
#define J_ 4
DEFINE_GEMM(gemm_q6_k, T_Q6_K, ORD_NAT16, 4, false, unpack_q6_k, 16, 256, sizeof(block_q6_k), 32, false)
DEFINE_GEMM(gemm_q6_k_r16, T_Q6_K_R16, ORD_NAT16, 4, false, unpack_q6_k_r16, 16, 256, sizeof(block_q6_k), 32, false)
#undef ORDER
#undef J_
#undef AFF
#undef GEMV_CALL

/* ---- bf16 tiles for large batches (AMX-BF16) ----------------------------------------
 *
 * Weights of 16 rows dequantized to floats (level - bias) * scale (+ min) from the
 * same unpack functions as the int8 panels, then packed into bf16 B tiles by the AMX
 * file; activations arrive as bf16 rows (qlm_amx_prep_bf16). A block of up to 128 rows
 * at a time (2n bytes each, in the per-thread scratch) meets every token before the
 * next block is dequantized, so each weight is converted once per call. */
typedef struct {
    unpack_fn unpack;
    int blk, unit;
    size_t unit_bytes;
    int bias;      /* symmetric types: levels are stored + bias */
    bool affine;   /* weight = scale * level + min */
} tiles_type;

/* always_inline, as gemm_tiles: with each type's constant tiles_type the unpack call
 * is direct and inlined (for the 32-value types it is a few instructions per block). */
/* Q4_K_R16 / Q5_K_R16 bf16 panels, straight from the group (lane = row already): per sub-block
 * (1024 bytes), vector p holds levels 2p and 2p+1 of the 16 rows as bf16 (the low word
 * the even one), each level * d * sc - dmin * mn in one FMA, rounded as
 * qlm_amx_bf16_pack_levels rounds them (the same values as from the Q4_K rows). */
static void repack_bf16_kq_r16(const uint8_t *w, int64_t n, uint8_t *panel, bool q5) {
    _Alignas(64) uint8_t lines[2][8][64];
    _Alignas(64) float ws[16], wm[16];
    for (int64_t u = 0; u < n / QK_K; u++) {
        const r16_parts b = r16_parts_of(w, u, q5);
        __m512 s[8], m[8];
        r16_unit_scales(b.d, b.dmin, b.sl, b.sh, s, m);
        for (int c = 0; c < 4; c++) { /* sub-blocks 2c (low nibbles) and 2c + 1 */
            for (int g = 0; g < 8; g++) {
                __m512i lo, hi;
                r16_levels(&b, c, g, &lo, &hi);
                _mm512_store_si512(lines[0][g], lo);
                _mm512_store_si512(lines[1][g], hi);
            }
            for (int k = 0; k < 2; k++) {
                _mm512_store_ps(ws, s[2 * c + k]);
                _mm512_store_ps(wm, m[2 * c + k]);
                qlm_amx_bf16_pack_lanes(lines[k][0], ws, wm, ws, wm, panel + 1024 * (size_t)(8 * u + 2 * c + k));
            }
        }
    }
}

/* Q6_K_R16 bf16 panels, straight from the group: the 32 values of tile 4 h + m are
 * wv[m] of chunks 8 h + 0..7 (sub-blocks 8 h + 2 m and + 1), each value (level - 32) *
 * d * sc in one FMA, as qlm_amx_bf16_pack_levels rounds them from the Q6_K rows. */
static void repack_bf16_q6_k_r16(const uint8_t *w, int64_t n, uint8_t *panel) {
    _Alignas(64) uint8_t lines[4][8][64];
    _Alignas(64) float ws[16][16], wm[16][16];
    for (int64_t u = 0; u < n / QK_K; u++) {
        const block_q6_k_r16 *b = (const block_q6_k_r16 *)w + u;
        const uint8_t *q = q6_k_r16_q(b);
        __m512 s[16];
        r6_unit_scales(b, s);
        for (int j = 0; j < 16; j++) {
            _mm512_store_ps(ws[j], s[j]);
            _mm512_store_ps(wm[j], _mm512_mul_ps(s[j], _mm512_set1_ps(-32.0f))); /* exact */
        }
        for (int h = 0; h < 2; h++) {
            for (int g = 0; g < 8; g++) {
                __m512i wv[4];
                r6_levels(q, 8 * h + g, wv);
                for (int m = 0; m < 4; m++) _mm512_store_si512(lines[m][g], wv[m]);
            }
            for (int m = 0; m < 4; m++) {
                const int j = 8 * h + 2 * m;
                qlm_amx_bf16_pack_lanes(lines[m][0], ws[j], wm[j], ws[j + 1], wm[j + 1],
                                        panel + 1024 * (size_t)(8 * u + 4 * h + m));
            }
        }
    }
}

/* Q4_0_R16 bf16 panels, straight from the group: block j's tile holds its 4 lines' low
 * nibbles (values 0-15) then high nibbles (16-31), each value level * d + (-8 d) in one
 * FMA: -8 d is exact, so this is (level - 8) * d rounded once, as
 * qlm_amx_bf16_pack_levels rounds it from the Q4_0 rows. */
static void repack_bf16_q4_0_r16(const uint8_t *w, int64_t n, uint8_t *panel) {
    const __m512i m4 = _mm512_set1_epi8(15);
    _Alignas(64) uint8_t lines[8][64];
    _Alignas(64) float ws[16], wm[16];
    for (int64_t u = 0; u < n / QK_K; u++) {
        const block_q4_0_r16 *b = (const block_q4_0_r16 *)w + u;
        for (int j = 0; j < 8; j++) {
            const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b->d[j]));
            _mm512_store_ps(ws, d);
            _mm512_store_ps(wm, _mm512_mul_ps(d, _mm512_set1_ps(-8.0f)));
            for (int g = 0; g < 4; g++) {
                const __m512i q = _mm512_loadu_si512(b->qs[j][g]);
                _mm512_store_si512(lines[g], _mm512_and_si512(q, m4));
                _mm512_store_si512(lines[4 + g], _mm512_and_si512(_mm512_srli_epi16(q, 4), m4));
            }
            qlm_amx_bf16_pack_lanes(lines[0], ws, wm, ws, wm, panel + 1024 * (size_t)(8 * u + j));
        }
    }
}

/* Q8_0_R16 bf16 panels, straight from the group: block j's tile from its 8 lines, each
 * value (q + 128) * d + (-128 d) in one FMA (-128 d exact), so q * d rounded once, as
 * qlm_amx_bf16_pack_levels rounds it from the Q8_0 rows. */
static void repack_bf16_q8_0_r16(const uint8_t *w, int64_t n, uint8_t *panel) {
    _Alignas(64) float ws[16], wm[16];
    for (int64_t u = 0; u < n / QK_K; u++) {
        const block_q8_0_r16 *b = (const block_q8_0_r16 *)w + u;
        for (int j = 0; j < 8; j++) {
            const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b->d[j]));
            _mm512_store_ps(ws, d);
            _mm512_store_ps(wm, _mm512_mul_ps(d, _mm512_set1_ps(-128.0f)));
            qlm_amx_bf16_pack_lanes(b->qs[j][0][0], ws, wm, ws, wm, panel + 1024 * (size_t)(8 * u + j));
        }
    }
}

static inline __attribute__((always_inline)) void
repack_bf16(const uint8_t *w, size_t w_stride, int nrows, int64_t n, const tiles_type *tt, uint8_t *panel,
            bool as_rows) {
    if (tt->unpack == unpack_q8_0_r16) { /* nrows is 16: only whole groups are made */
        repack_bf16_q8_0_r16(w, n, panel);
        return;
    }
    if (tt->unpack == unpack_q4_0_r16) { /* nrows is 16: only whole groups are made */
        repack_bf16_q4_0_r16(w, n, panel);
        return;
    }
    if (tt->unpack == unpack_q4_k_r16 || tt->unpack == unpack_q5_k_r16) { /* nrows is 16: whole groups only */
        repack_bf16_kq_r16(w, n, panel, tt->unpack == unpack_q5_k_r16);
        return;
    }
    if (tt->unpack == unpack_q6_k_r16) {
        repack_bf16_q6_k_r16(w, n, panel);
        return;
    }
    _Alignas(64) uint8_t lv[16][256];
    _Alignas(64) float ws[16][16], wm[16][16];
    const int nunits = (int)(n / tt->unit);
    for (int u = 0; u < nunits; u++) {
        for (int r = 0; r < 16; r++) {
            if (r < nrows) {
                const uint8_t *b = w + (size_t)r * w_stride + tt->unit_bytes * (size_t)u;
                prefetch_unit(b, w_stride, tt->unit_bytes, u, true, true);
                tt->unpack(b, lv[r], ws[r], wm[r]);
            } else { /* rows past the matrix: zero weights */
                memset(lv[r], 0, sizeof lv[r]);
                memset(ws[r], 0, sizeof ws[r]);
                memset(wm[r], 0, sizeof wm[r]);
            }
        }
        for (int g = 0; g < tt->unit / 32; g++) {
            const int sub0 = 32 * g / tt->blk, sub1 = (32 * g + 16) / tt->blk;
            uint8_t *out = panel + 1024 * (size_t)(u * (tt->unit / 32) + g);
            if (as_rows)
                qlm_amx_bf16_pack_rows(lv[0] + 32 * g, sizeof lv[0], &ws[0][0], tt->affine ? &wm[0][0] : NULL, sub0,
                                       sub1, tt->bias, out);
            else
                qlm_amx_bf16_pack_levels(lv[0] + 32 * g, sizeof lv[0], &ws[0][0], tt->affine ? &wm[0][0] : NULL, sub0,
                                         sub1, tt->bias, out);
        }
    }
}

/* Only when the scratch is missing (out of memory): dot products in floats, slowly. */
static void tiles_fallback(int64_t n, int nr, int nt, const uint8_t *w, size_t w_stride, const uint8_t *a,
                           size_t a_stride, float *y, int64_t ldy, const tiles_type *tt) {
    _Alignas(64) uint8_t lv[256];
    _Alignas(64) float ws[16], wm[16];
    block_q4_k rows16[16]; /* Q4_K_R16: one block of the group back as its 16 rows */
    block_q6_k rows6[16];  /* Q6_K_R16 */
    block_q4_0 rows0[16 * 8]; /* Q4_0_R16: 16 rows of 8 blocks */
    block_q8_0 rows8[16 * 8]; /* Q8_0_R16 */
    block_q5_k rows5[16];     /* Q5_K_R16 */
    for (int r = 0; r < nr; r++)
        for (int t = 0; t < nt; t++) {
            const uint16_t *at = (const uint16_t *)(a + (size_t)t * a_stride);
            float sum = 0;
            for (int u = 0; u < (int)(n / tt->unit); u++) {
                if (tt->unpack == unpack_q4_k_r16) {
                    const size_t group = sizeof(block_q4_k_r16) * (size_t)(n / QK_K) * (size_t)(r / 16);
                    qlm_q4_k_r16_to_q4_k(w + group + sizeof(block_q4_k_r16) * (size_t)u, rows16, sizeof(block_q4_k), QK_K);
                    unpack_q4_k(&rows16[r % 16], lv, ws, wm);
                } else if (tt->unpack == unpack_q4_0_r16) {
                    const size_t group = sizeof(block_q4_0_r16) * (size_t)(n / QK_K) * (size_t)(r / 16);
                    qlm_q4_0_r16_to_q4_0(w + group + sizeof(block_q4_0_r16) * (size_t)u, rows0, 8 * sizeof(block_q4_0), QK_K);
                    for (int j = 0; j < 8; j++) unpack_q4_0(&rows0[8 * (r % 16) + j], lv + 32 * j, ws + j, wm);
                } else if (tt->unpack == unpack_q5_k_r16) {
                    const size_t group = sizeof(block_q5_k_r16) * (size_t)(n / QK_K) * (size_t)(r / 16);
                    qlm_q5_k_r16_to_q5_k(w + group + sizeof(block_q5_k_r16) * (size_t)u, rows5, sizeof(block_q5_k), QK_K);
                    unpack_q5_k(&rows5[r % 16], lv, ws, wm);
                } else if (tt->unpack == unpack_q8_0_r16) {
                    const size_t group = sizeof(block_q8_0_r16) * (size_t)(n / QK_K) * (size_t)(r / 16);
                    qlm_q8_0_r16_to_q8_0(w + group + sizeof(block_q8_0_r16) * (size_t)u, rows8, 8 * sizeof(block_q8_0), QK_K);
                    for (int j = 0; j < 8; j++) unpack_q8_0(&rows8[8 * (r % 16) + j], lv + 32 * j, ws + j, wm);
                } else if (tt->unpack == unpack_q6_k_r16) {
                    const size_t group = sizeof(block_q6_k_r16) * (size_t)(n / QK_K) * (size_t)(r / 16);
                    unpack_q6_k(r6_rows(w + group, u, rows6) + sizeof(block_q6_k) * (size_t)(r % 16), lv, ws, wm);
                } else {
                    tt->unpack(w + (size_t)r * w_stride + tt->unit_bytes * (size_t)u, lv, ws, wm);
                }
                for (int i = 0; i < tt->unit; i++) {
                    const int sub = i / tt->blk;
                    const float wv = tt->affine ? ws[sub] * lv[i] + wm[sub] : ws[sub] * (float)(lv[i] - tt->bias);
                    uint32_t bits = (uint32_t)at[(size_t)u * tt->unit + i] << 16;
                    float av;
                    memcpy(&av, &bits, sizeof av);
                    sum += wv * av;
                }
            }
            y[(size_t)t * ldy + r] = sum;
        }
}

static inline __attribute__((always_inline)) void
gemm_tiles(int64_t n, int nr, int nt, const void *w, size_t w_stride, const void *a, size_t a_stride, float *y,
           int64_t ldy, void *work, const tiles_type *tt) {
    const int nk = (int)(n / 32);
    const size_t pbytes = 1024 * (size_t)nk;
    if (!work || QLM_GEMM_WORK_BASE(n, nt) < 2 * pbytes) {
        tiles_fallback(n, nr, nt, w, w_stride, a, a_stride, y, ldy, tt);
        return;
    }
    /* Weights as A tiles (no transpose per 1 KB of weights; the activations laid out
     * once per call behind the panels' scratch) up to QLM_GEMM_ACT_TILE_TOKENS, where
     * the weights' conversion outweighs the products (2 threads, `bench/ab.sh`:
     * tl-q4_k_m pp40 / pp48 / pp64 1.03-1.08x / 1.03-1.09x / 1.02-1.09x, tl-q6_k pp56
     * 1.07-1.12x, l3-8b-q4_k_m pp40 1.08-1.20x, pp64 1.0-1.10x; at 128 tokens
     * 0.92-0.99x: a C tile's transpose on its way to y against only nk products). The
     * interleaved layouts are lane-per-row already (B tiles); Q8_0 measured
     * 0.94-1.01x. */
    const bool as_rows = !unpack_is_r16(tt->unpack) && tt->unpack != unpack_q8_0 &&
                         ((size_t)nt + 15) / 16 * 16 <= QLM_GEMM_ACT_TILE_TOKENS;
    uint8_t *xt = (uint8_t *)work + QLM_GEMM_WORK_BASE(n, nt);
    if (as_rows) qlm_amx_bf16_act_tiles(a, a_stride, nt, nk, xt);
    const size_t rb = tiles_block_rows(n, nt, 2 * (size_t)n);
    for (int r0 = 0; r0 < nr; r0 += (int)rb) {
        const int rows = nr - r0 < (int)rb ? nr - r0 : (int)rb, npan = (rows + 15) / 16;
        for (int p = 0; p < npan; p++) {
            const int pr = rows - 16 * p < 16 ? rows - 16 * p : 16;
            repack_bf16((const uint8_t *)w + (size_t)(r0 + 16 * p) * w_stride, w_stride, pr, n, tt,
                        (uint8_t *)work + pbytes * (size_t)p, as_rows);
        }
        if (as_rows) qlm_amx_bf16_gemm_rows(xt, nt, nk, work, pbytes, npan, y + r0, ldy, rows);
        else qlm_amx_bf16_gemm(a, a_stride, nt, work, pbytes, npan, nk, y + r0, ldy, rows, NULL, 0);
    }
}

#define DEFINE_TILES(name, unpack, blk, unit, block_t, bias, affine)                                  \
    static void name(int64_t n, int nr, int nt, const void *w, size_t w_stride, const void *a,      \
                     size_t a_stride, float *y, int64_t ldy, void *work) {                           \
        static const tiles_type tt = {unpack, blk, unit, sizeof(block_t), bias, affine};             \
        gemm_tiles(n, nr, nt, w, w_stride, a, a_stride, y, ldy, work, &tt);                          \
    }
DEFINE_TILES(tiles_q4_0, unpack_q4_0, 32, 32, block_q4_0, 8, false)
DEFINE_TILES(tiles_q4_0_g8, unpack_q4_0_g8, 32, 256, block_q4_0_g8, 8, false)
DEFINE_TILES(tiles_q4_0_r16, unpack_q4_0_r16, 32, 256, block_q4_0_g8, 8, false)
DEFINE_TILES(tiles_q4_1, unpack_q4_1, 32, 32, block_q4_1, 0, true)
DEFINE_TILES(tiles_q5_0, unpack_q5_0, 32, 32, block_q5_0, 16, false)
DEFINE_TILES(tiles_q5_1, unpack_q5_1, 32, 32, block_q5_1, 0, true)
DEFINE_TILES(tiles_q8_0, unpack_q8_0, 32, 32, block_q8_0, 128, false)
DEFINE_TILES(tiles_q8_0_r16, unpack_q8_0_r16, 32, 256, block_q8_0[8], 128, false)
DEFINE_TILES(tiles_q4_k, unpack_q4_k, 32, 256, block_q4_k, 0, true)
DEFINE_TILES(tiles_q4_k_r16, unpack_q4_k_r16, 32, 256, block_q4_k, 0, true)
DEFINE_TILES(tiles_q5_k, unpack_q5_k, 32, 256, block_q5_k, 0, true)
DEFINE_TILES(tiles_q5_k_r16, unpack_q5_k_r16, 32, 256, block_q5_k, 0, true)
DEFINE_TILES(tiles_q6_k, unpack_q6_k, 16, 256, block_q6_k, 32, false)
DEFINE_TILES(tiles_q6_k_r16, unpack_q6_k_r16, 16, 256, block_q6_k, 32, false)
#undef DEFINE_TILES


void qlm_avx512_fill_gemm(qlm_kernels *k) {
    /* QLM_AMX=0 keeps the VNNI kernels on an AMX machine (for comparisons) */
    const char *amx_env = getenv("QLM_AMX");
    qlm_avx512_use_amx = qlm_cpu_get()->amx_int8 && !(amx_env && !strcmp(amx_env, "0"));
    for (int t = 0; t < QLM_TYPE_COUNT; t++) k->gemm_min_tokens[t] = 1; /* the matrix-vector loop beats vec_dot */
    k->gemm_prep[QLM_TYPE_Q4_0] = qlm_x86_prep_q4_0;
    k->gemm[QLM_TYPE_Q4_0] = gemm_q4_0;
    k->gemm_prep[QLM_TYPE_Q4_0_G8] = qlm_x86_prep_q4_0; /* the same activations */
    k->gemm[QLM_TYPE_Q4_0_G8] = gemm_q4_0_g8;
    k->gemm_prep[QLM_TYPE_Q4_0_R16] = qlm_x86_prep_q4_0;
    k->gemm[QLM_TYPE_Q4_0_R16] = gemm_q4_0_r16;
    k->gemm_prep[QLM_TYPE_Q4_1] = qlm_x86_prep_q4_1;
    k->gemm[QLM_TYPE_Q4_1] = gemm_q4_1;
    k->gemm_prep[QLM_TYPE_Q5_0] = qlm_x86_prep_q5_0;
    k->gemm[QLM_TYPE_Q5_0] = gemm_q5_0;
    k->gemm_prep[QLM_TYPE_Q5_1] = qlm_x86_prep_q5_1;
    k->gemm[QLM_TYPE_Q5_1] = gemm_q5_1;
    k->gemm_prep[QLM_TYPE_Q8_0] = qlm_x86_prep_q8_0;
    k->gemm[QLM_TYPE_Q8_0] = gemm_q8_0;
    k->gemm_prep[QLM_TYPE_Q8_0_R16] = qlm_x86_prep_q8_0;
    k->gemm[QLM_TYPE_Q8_0_R16] = gemm_q8_0_r16;
    k->gemm_prep[QLM_TYPE_Q4_K] = qlm_x86_prep_q4_k;
    k->gemm[QLM_TYPE_Q4_K] = gemm_q4_k;
    k->gemm_prep[QLM_TYPE_Q4_K_R16] = qlm_x86_prep_q4_k; /* Q4_K's activations */
    k->gemm[QLM_TYPE_Q4_K_R16] = gemm_q4_k_r16;
    k->gemm_prep[QLM_TYPE_Q5_K] = qlm_x86_prep_q4_k;
    k->gemm[QLM_TYPE_Q5_K] = gemm_q5_k;
    k->gemm_prep[QLM_TYPE_Q5_K_R16] = qlm_x86_prep_q4_k; /* Q5_K's (= Q4_K's) activations */
    k->gemm[QLM_TYPE_Q5_K_R16] = gemm_q5_k_r16;
    k->gemm_prep[QLM_TYPE_Q6_K] = qlm_x86_prep_q6_k;
    k->gemm[QLM_TYPE_Q6_K] = gemm_q6_k;
    k->gemm_prep[QLM_TYPE_Q6_K_R16] = qlm_x86_prep_q6_k; /* Q6_K's activations */
    k->gemm[QLM_TYPE_Q6_K_R16] = gemm_q6_k_r16;
    k->gemm_prep[QLM_TYPE_F32] = qlm_x86_prep_f32;
    k->gemm[QLM_TYPE_F32] = qlm_avx512_gemm_f32;
    k->gemm_prep[QLM_TYPE_F16] = qlm_x86_prep_f16;
    k->gemm[QLM_TYPE_F16] = qlm_avx512_gemm_f16;
    k->gemm_prep[QLM_TYPE_BF16] = qlm_x86_prep_f32;
    k->gemm[QLM_TYPE_BF16] = qlm_avx512_gemm_bf16;
    /* bf16 tiles for large batches: QLM_AMX=0 or QLM_AMX=int8 keep the int8 kernels. The
     * tile state is requested here, once, since these run whenever a prompt is long. */
    const qlm_cpu_features *cpu = qlm_cpu_get();
    if (cpu->amx_bf16 && cpu->avx512bf16 && !(amx_env && (!strcmp(amx_env, "0") || !strcmp(amx_env, "int8"))) &&
        qlm_cpu_amx_request()) {
        k->gemm_tiles[QLM_TYPE_Q4_0] = tiles_q4_0;
        k->gemm_tiles[QLM_TYPE_Q4_0_G8] = tiles_q4_0_g8;
        k->gemm_tiles[QLM_TYPE_Q4_0_R16] = tiles_q4_0_r16;
        k->gemm_tiles[QLM_TYPE_Q4_1] = tiles_q4_1;
        k->gemm_tiles[QLM_TYPE_Q5_0] = tiles_q5_0;
        k->gemm_tiles[QLM_TYPE_Q5_1] = tiles_q5_1;
        k->gemm_tiles[QLM_TYPE_Q8_0] = tiles_q8_0;
        k->gemm_tiles[QLM_TYPE_Q8_0_R16] = tiles_q8_0_r16;
        k->gemm_tiles[QLM_TYPE_Q4_K] = tiles_q4_k;
        k->gemm_tiles[QLM_TYPE_Q4_K_R16] = tiles_q4_k_r16;
        k->gemm_tiles[QLM_TYPE_Q5_K] = tiles_q5_k;
        k->gemm_tiles[QLM_TYPE_Q5_K_R16] = tiles_q5_k_r16;
        k->gemm_tiles[QLM_TYPE_Q6_K] = tiles_q6_k;
        k->gemm_tiles[QLM_TYPE_Q6_K_R16] = tiles_q6_k_r16;
        for (int t = 0; t < QLM_TYPE_COUNT; t++)
            if (k->gemm_tiles[t]) {
                k->prep_tiles[t] = qlm_amx_prep_bf16;
                k->tiles_min_tokens[t] = TILES_MIN_TOKENS;
            }
        /* the int8 kernels of K-quants and Q8_0 give way earlier, Q4_0's and Q5_0's later
         * (see TILES_MIN_TOKENS) */
        k->tiles_min_tokens[QLM_TYPE_Q4_0] = k->tiles_min_tokens[QLM_TYPE_Q5_0] = TILES_MIN_TOKENS_Q4_0;
        /* --repack's layouts take their type's thresholds, so that their batches give its
         * bits (-rtr 1 pp48 / pp60: tl-q6_k 1.08-1.22x, tl-q4_k_m 0.88-1.09x) */
        k->tiles_min_tokens[QLM_TYPE_Q4_0_G8] = k->tiles_min_tokens[QLM_TYPE_Q4_0_R16] = TILES_MIN_TOKENS_Q4_0;
        k->tiles_min_tokens[QLM_TYPE_Q4_K] = k->tiles_min_tokens[QLM_TYPE_Q5_K] = TILES_MIN_TOKENS_KQ;
        k->tiles_min_tokens[QLM_TYPE_Q4_K_R16] = k->tiles_min_tokens[QLM_TYPE_Q5_K_R16] = TILES_MIN_TOKENS_KQ;
        k->tiles_min_tokens[QLM_TYPE_Q6_K] = k->tiles_min_tokens[QLM_TYPE_Q6_K_R16] = TILES_MIN_TOKENS_Q6_K;
        /* (not Q8_0_R16: its int8 panels ran 1.15-1.2x the tiles at 60 tokens; below 56
         * Q8_0 reads its rows in place, a path of its own, not checked against them) */
        k->tiles_min_tokens[QLM_TYPE_Q8_0] = TILES_MIN_TOKENS_Q8_0;
        qlm_avx512_attn_tiles = true;
        k->attn_tokens = 32; /* 256 (token, head) pairs per tile gemm with 8-head groups */
        k->gemm_tiles[QLM_TYPE_F16] = qlm_avx512_tiles_f16;
        k->gemm_tiles[QLM_TYPE_BF16] = qlm_avx512_tiles_bf16;
        const qlm_type ft[2] = {QLM_TYPE_F16, QLM_TYPE_BF16};
        for (int i = 0; i < 2; i++) {
            k->prep_tiles[ft[i]] = qlm_amx_prep_bf16_split;
            k->tiles_split[ft[i]] = true;
            k->tiles_min_tokens[ft[i]] = FTILES_MIN_TOKENS;
        }
        k->detail = "AMX bf16 tiles for batches of 64+ tokens (Q4_K/Q5_K 40+, Q6_K/Q8_0 56+, Q4_0/Q5_0 112+, "
                    "F16/BF16 9+); "
                    "F16/BF16 weights and attention as hi/lo parts";
    } else if (qlm_avx512_use_amx) {
        k->detail = "AMX int8 tiles for batches of 16+ tokens";
    }
}
#endif
