/* AVX2 matrix-matrix products (qlm_gemm_fn, ggml-like/kernels.h) over the x86 prepared
 * activations (quant/kernels_x86.h), for any number of tokens: every weight type here has a
 * matrix-vector loop for 1-3 tokens (used in passes of 3 below GEMV_BELOW tokens), so
 * the AVX2 table sends no batch to vec_dot.
 *
 * Weights are repacked, 8 rows at a time, into panels with lane = row (each 32-bit lane
 * holds 4 consecutive levels of one row) and per-block float scales. The micro-kernel
 * computes 8 rows x 4 tokens: per k-group of 4 values, one vpmaddubsw per token (the
 * levels are unsigned, the activation bytes signed, broadcast from memory) leaves pairs
 * of products summed in int16 lanes; several k-groups are added in int16 (as many as
 * the type's largest level allows without saturating: 8 for 4-bit levels, 4 for 5-bit,
 * 2 for 6-bit), then vpmaddwd with ones widens to int32, and per block one conversion,
 * scale product and FMA accumulate in float. Q4_K and Q5_K, whose activations have one
 * scale per super-block, widen with vpmaddwd by the sub-block's integer scale instead
 * and convert once per super-block. Q8_0 levels are signed: their sign moves
 * onto the activations (vpsignb) and each product is widened at once.
 *
 * Panels are built for chunks of 64 blocks on the stack, so no scratch is needed and a
 * chunk of weights stays in L1 while every token passes over it.
 *
 * quant/gemm_avxvnni.c compiles this file a second time with QLM_AVXVNNI, for CPUs with
 * AVX-VNNI: there vpdpbusd (4 products into int32) replaces vpmaddubsw, the int16 sums
 * and vpmaddwd in the micro-kernel (two accumulator chains per token for its latency;
 * one for Q6_K, whose blocks of 16 give 4 k-groups)
 * and in the Q4_0 and Q8_0 matrix-vector loops, and Q8_0 panels hold unsigned levels
 * (no vpsignb); the Q4_K/Q5_K loop keeps vpmaddubsw, whose word sums it weights by the
 * sub-block scales and adds in one vpdpwssd.
 *
 * Float weights (F32, F16, BF16), the same for both tables: quant/gemm_float_avx2.c. */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include "kernels_x86.h"
#include "simd_x86.h"
#include "blocks.h"
#include "quants.h"
#include "gemm_avx2.h"

#define ROWS 8      /* rows per panel (one ymm lane each) */
#define TOK 4       /* tokens per micro-kernel call */
#define KCH 64      /* blocks per panel chunk */
/* Up to this many tokens the micro-kernel calls ask for the next panel's weights, at
 * most PF_MICRO_GROUP_BYTES(J) bytes per group of 4 blocks (pf_spread), for the types
 * of blocks of 32 (2 threads, `bash bench/ab.sh 3`, QLM_ISA=avx2: tl-q8_0 pp16 / pp32 /
 * pp64 1.14-1.15x / 1.04-1.13x / 1.03-1.09x, tl-q4_0 pp16 / pp32 1.01-1.05x /
 * 1.03-1.09x, tl-q5_0 and tl-q4_1 pp16 1.11-1.13x; avxvnni tl-q8_0 1.01-1.10x). Not
 * the K-quants: tl-q4_k_m 0.94-1.09x, with avxvnni tl-q6_k 0.93-0.98x (not
 * understood). 36 or 144 bytes per J measured alike. A first version found each
 * group's place by a division and lost up to 12% (tl-q4_k_m pp32): hence the cursor. */
#define PF_MICRO_MAX_TOKENS 128
#define PF_MICRO_GROUP_BYTES(J) ((size_t)72 * (J))
/* k-groups of 4 weights summed before the Q4_K_R16 loop applies a sub-block's scale */
#ifdef QLM_AVXVNNI
#define GH 4        /* in int32 by vpdpbusd: 16 weights keep |x| < 2^15 for vpdpwssd */
#endif

/* ---- per-type unpacking: a unit (block, or super-block for K-quants) of one row into
 * levels in natural order, with each block's scale and (affine types) offset ---------- */

static inline __m256i nib32(const uint8_t *qs) {
    const __m128i q = _mm_loadu_si128((const __m128i *)qs);
    const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1);
    return _mm256_and_si256(v, _mm256_set1_epi8(15));
}

/* bit 4 of the 32 levels of a Q5_0/Q5_1 block, as 0x10 bytes */
static inline __m256i q5_bits(const uint8_t qh[4]) {
    uint32_t h;
    memcpy(&h, qh, 4);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)h),
                                    _mm256_setr_epi64x(0, 0x0101010101010101LL, 0x0202020202020202LL, 0x0303030303030303LL));
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
    v = _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x10));
}

static void up_q4_0(const void *b, uint8_t *lv, float *ws, float *wm) {
    const block_q4_0 *x = b;
    _mm256_store_si256((__m256i *)lv, nib32(x->qs));
    ws[0] = x86_f16(x->d);
    (void)wm;
}

static void up_q4_0_g8(const void *b, uint8_t *lv, float *ws, float *wm) {
    const block_q4_0_g8 *x = b;
    for (int j = 0; j < 8; j++) {
        _mm256_store_si256((__m256i *)(lv + 32 * j), nib32(x->qs[j]));
        ws[j] = x86_f16(x->d[j]);
    }
    (void)wm;
}

static void up_q4_1(const void *b, uint8_t *lv, float *ws, float *wm) {
    const block_q4_1 *x = b;
    _mm256_store_si256((__m256i *)lv, nib32(x->qs));
    ws[0] = x86_f16(x->d);
    wm[0] = x86_f16(x->m);
}

static void up_q5_0(const void *b, uint8_t *lv, float *ws, float *wm) {
    const block_q5_0 *x = b;
    _mm256_store_si256((__m256i *)lv, _mm256_or_si256(nib32(x->qs), q5_bits(x->qh)));
    ws[0] = x86_f16(x->d);
    (void)wm;
}

static void up_q5_1(const void *b, uint8_t *lv, float *ws, float *wm) {
    const block_q5_1 *x = b;
    _mm256_store_si256((__m256i *)lv, _mm256_or_si256(nib32(x->qs), q5_bits(x->qh)));
    ws[0] = x86_f16(x->d);
    wm[0] = x86_f16(x->m);
}

#ifdef QLM_AVXVNNI
/* vpdpbusd sums in int32, so Q8_0 levels can be unsigned (q + 128, the sign bit
 * flipped) with the prepared e = -128 * sum(a) as the correction, as for Q4_0; without
 * VNNI vpmaddubsw's int16 pair sums would saturate (2 * 255 * 127) and the sign moves
 * onto the activations instead (vpsignb, one more instruction per product) */
#define Q8_0_SIGNED false
static void up_q8_0(const void *b, uint8_t *lv, float *ws, float *wm) {
    const block_q8_0 *x = b;
    _mm256_store_si256((__m256i *)lv, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)x->qs), _mm256_set1_epi8(-128)));
    ws[0] = x86_f16(x->d);
    (void)wm;
}
#else
#define Q8_0_SIGNED true
static void up_q8_0(const void *b, uint8_t *lv, float *ws, float *wm) {
    const block_q8_0 *x = b; /* signed levels, kept as they are */
    _mm256_store_si256((__m256i *)lv, _mm256_loadu_si256((const __m256i *)x->qs));
    ws[0] = x86_f16(x->d);
    (void)wm;
}
#endif

static void up_kq(const void *b, uint8_t *lv, float *ws, float *wm, bool q5) {
    const uint8_t *p = b;
    qlm_f16 d, dmin;
    memcpy(&d, p, 2);
    memcpy(&dmin, p + 2, 2);
    uint8_t sc[8], mn[8];
    x86_kq_scales(p + 4, sc, mn);
    const uint8_t *qs = p + (q5 ? 48 : 16);
    const __m256i m4 = _mm256_set1_epi8(15), h16 = _mm256_set1_epi8(16);
    const __m256i qh = q5 ? _mm256_loadu_si256((const __m256i *)(p + 16)) : _mm256_setzero_si256();
    QLM_UNROLL_FULL for (int c = 0; c < 4; c++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
        __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        if (q5) { /* bit 4 of sub-block s is bit s of qh[l] */
            lo = _mm256_or_si256(lo, _mm256_and_si256(x86_bit_to_4(qh, 2 * c), h16));
            hi = _mm256_or_si256(hi, _mm256_and_si256(x86_bit_to_4(qh, 2 * c + 1), h16));
        }
        _mm256_store_si256((__m256i *)(lv + 64 * c), lo);
        _mm256_store_si256((__m256i *)(lv + 64 * c + 32), hi);
    }
    /* the 6-bit scales as they are (exact in a float) and d after them: the panels
     * apply the scales in integer (micro, iscale) */
    const float fd = x86_f16(d), fm = x86_f16(dmin);
    for (int j = 0; j < 8; j++) { ws[j] = sc[j]; wm[j] = -fm * mn[j]; }
    ws[8] = fd;
}

static void up_q4_k(const void *b, uint8_t *lv, float *ws, float *wm) { up_kq(b, lv, ws, wm, false); }
static void up_q5_k(const void *b, uint8_t *lv, float *ws, float *wm) { up_kq(b, lv, ws, wm, true); }

static void up_q6_k(const void *b, uint8_t *lv, float *ws, float *wm) {
    const block_q6_k *x = b;
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

typedef void (*unpack_fn)(const void *b, uint8_t *lv, float *ws, float *wm);

/* ---- type descriptions ------------------------------------------------------------ */

typedef enum { ORD_NIB4, ORD_KQ, ORD_NAT32, ORD_NAT16 } act_order;

typedef struct {
    unpack_fn unpack;
    int blk, unit;         /* values per block and per unpacked unit */
    size_t unit_bytes;
    act_order order;
    int group;             /* k-groups summed in int16 before widening */
    bool affine, sign;     /* sign: signed levels (Q8_0) */
    bool r16;              /* Q4_K_R16: rows interleaved in groups of 16 (panels: repack_q4_k_r16) */
    bool iscale;           /* K-quants: integer sub-block scales (unpack: ws[j] the scale, ws[8] d) */
} gtype;

/* Activation offset of k-group j of block bb (0..3) within its group of 4 blocks. */
static inline __attribute__((always_inline)) int aoff(act_order o, int bb, int j) {
    switch (o) {
    case ORD_NIB4: return 16 * bb + (j < 4 ? 4 * j : 64 + 4 * (j - 4));
    case ORD_KQ: return (bb == 0 ? 0 : bb == 1 ? 64 : bb == 2 ? 32 : 96) + 4 * j;
    case ORD_NAT32: return 32 * bb + 4 * j;
    default: return 16 * bb + 4 * j;
    }
}

/* ---- panels --------------------------------------------------------------------- */

/* record per block: J vectors of levels (lane r = 4 levels of row r), 8 scales,
 * [8 offsets]; with integer scales (Q4_K, Q5_K) the scales are the sub-block's 6-bit
 * integers, as words, and the 8 rows' d (f32) follow the offsets */
#define REC(J, aff) (32 * (J) + 32 + ((aff) ? 32 : 0))
#define REC_IS(J, aff, is) (REC(J, aff) + ((is) ? 32 : 0))

static inline void transpose4x4(__m256i *a0, __m256i *a1, __m256i *a2, __m256i *a3) {
    const __m256i t0 = _mm256_unpacklo_epi32(*a0, *a1), t1 = _mm256_unpackhi_epi32(*a0, *a1);
    const __m256i t2 = _mm256_unpacklo_epi32(*a2, *a3), t3 = _mm256_unpackhi_epi32(*a2, *a3);
    *a0 = _mm256_unpacklo_epi64(t0, t2);
    *a1 = _mm256_unpackhi_epi64(t0, t2);
    *a2 = _mm256_unpacklo_epi64(t1, t3);
    *a3 = _mm256_unpackhi_epi64(t1, t3);
}

/* rows r and r+4, 16 bytes at off: the two 128-bit lanes */
static inline __m256i rows2(const uint8_t (*lv)[256], int r, size_t off) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_load_si128((const __m128i *)(lv[r] + off))),
                                   _mm_load_si128((const __m128i *)(lv[r + 4] + off)), 1);
}

#ifdef QLM_AVXVNNI
static void repack_q4_k_r16(const uint8_t *w, size_t w_stride, int b0, int b1, uint8_t *panel, int row0);
#endif

/* Panels are made from 8 row streams, which the hardware prefetcher follows poorly
 * (the AVX-512 panels' 16 streams left their loads waiting on memory: quant/
 * gemm_avx512.c, prefetch_next_panel): while a panel's blocks are unpacked, the same
 * bytes of the 8 rows below (the next panel; for rows longer than a chunk, the one
 * after this row band's last chunk) are asked for into L2, each line once. */
static inline void prefetch_next_panel(const uint8_t *p, size_t w_stride, size_t bytes) {
    x86_prefetch_lines(p + ROWS * w_stride, bytes, false);
}

/* ... or, from 9 to PF_MICRO_MAX_TOKENS tokens, only its first pf_rows rows, and the
 * micro-kernel calls ask for the rest (quant/gemm_avx512.c, PF_MICRO_MAX_TOKENS): the
 * rows' chunk bytes (span each, row stride `stride`) as one sequence of which each
 * call takes its share, `step` bytes per group of 4 blocks from the cursor at row r,
 * byte c, `left` bytes in all. */
typedef struct {
    const uint8_t *base;
    size_t stride, span, step, left, r, c;
} pf_spread;

static inline void pf_spread_group(pf_spread *f) {
    size_t n = f->step < f->left ? f->step : f->left;
    f->left -= n;
    while (n) {
        const size_t take = n < f->span - f->c ? n : f->span - f->c;
        x86_prefetch_lines(f->base + f->r * f->stride + f->c, take, false);
        n -= take;
        f->c += take;
        if (f->c == f->span) {
            f->r++;
            f->c = 0;
        }
    }
}

/* 8 rows of 32 bytes as 8 vectors of 4-byte groups: out[k] lane i = bytes 4k..4k+3 of
 * row i (the panels' layout). transpose4x4 transposes 4 x 4 groups in each 128-bit lane,
 * and a lane permute pairs rows 0-3 with rows 4-7. */
static inline __attribute__((always_inline)) void transpose_8x8_dwords(const uint8_t *const *rows, __m256i *out) {
    __m256i v[8];
    QLM_UNROLL_FULL for (int t = 0; t < 8; t++) v[t] = _mm256_loadu_si256((const __m256i *)rows[t]);
    /* v[4 h + k]: rows 4h..4h+3, group k in the low lane and k + 4 in the high one */
    transpose4x4(&v[0], &v[1], &v[2], &v[3]);
    transpose4x4(&v[4], &v[5], &v[6], &v[7]);
    QLM_UNROLL_FULL for (int k = 0; k < 4; k++) {
        out[k] = _mm256_permute2x128_si256(v[k], v[4 + k], 0x20);
        out[k + 4] = _mm256_permute2x128_si256(v[k], v[4 + k], 0x31);
    }
}

/* Q4_K / Q5_K panels: each 32-byte qs chunk of the 8 rows (and Q5_K's qh) transposed in
 * registers before the nibbles are split (which commutes with it): low nibbles are
 * sub-block 2c, high ones 2c + 1 (+16 where qh's bit 2c / 2c + 1 is set), as up_kq
 * orders them; the scale slots filled as repack fills them from up_kq's. The generic
 * repack went through a stack copy of every row's 256 levels. */
static inline __attribute__((always_inline)) void repack_kq(const uint8_t *w, size_t w_stride, int nrows, int b0,
                                                            int b1, uint8_t *panel, const gtype *g, int pf_rows) {
    static const block_q5_k zero_block; /* the larger of the two */
    const bool q5 = g->unpack == up_q5_k;
    const size_t bsz = g->unit_bytes, rec = REC_IS(8, true, g->iscale);
    const __m256i m4 = _mm256_set1_epi8(15), h16 = _mm256_set1_epi8(16);
    for (int u = b0 / 8; u < b1 / 8; u++) {
        const uint8_t *x[ROWS];
        QLM_UNROLL_FULL for (int r = 0; r < ROWS; r++) {
            x[r] = r < nrows ? w + (size_t)r * w_stride + bsz * (size_t)u : (const uint8_t *)&zero_block;
            if (r < nrows && r < pf_rows) prefetch_next_panel(x[r], w_stride, bsz);
        }
        uint8_t *pu = panel + rec * (size_t)(8 * u - b0);
        /* the scale slots, per row as repack writes them from up_kq's ws / wm */
        QLM_UNROLL_FULL for (int r = 0; r < ROWS; r++) {
            qlm_f16 d, dmin;
            memcpy(&d, x[r], 2);
            memcpy(&dmin, x[r] + 2, 2);
            uint8_t sc[8], mn[8];
            x86_kq_scales(x[r] + 4, sc, mn);
            const float fd = x86_f16(d), fm = x86_f16(dmin);
            QLM_UNROLL_FULL for (int j = 0; j < 8; j++) {
                float *ps = (float *)(pu + rec * (size_t)j + 32 * 8);
                if (g->iscale) {
                    const int32_t s32 = sc[j];
#ifdef QLM_AVXVNNI
                    ((int32_t *)ps)[r] = s32;
#else
                    ((int32_t *)ps)[r] = s32 | s32 << 16;
#endif
                    ps[2 * ROWS + r] = fd;
                } else {
                    ps[r] = (float)sc[j] * fd;
                }
                ps[ROWS + r] = -fm * mn[j];
            }
        }
        const uint8_t *rows[ROWS];
        __m256i qh[8];
        if (q5) {
            QLM_UNROLL_FULL for (int r = 0; r < ROWS; r++) rows[r] = x[r] + 16;
            transpose_8x8_dwords(rows, qh);
        }
        QLM_UNROLL_FULL for (int c = 0; c < 4; c++) {
            QLM_UNROLL_FULL for (int r = 0; r < ROWS; r++) rows[r] = x[r] + (q5 ? 48 : 16) + 32 * c;
            __m256i v[8];
            transpose_8x8_dwords(rows, v);
            QLM_UNROLL_FULL for (int k = 0; k < 8; k++) {
                __m256i lo = _mm256_and_si256(v[k], m4), hi = _mm256_and_si256(_mm256_srli_epi16(v[k], 4), m4);
                if (q5) {
                    lo = _mm256_or_si256(lo, _mm256_and_si256(x86_bit_to_4(qh[k], 2 * c), h16));
                    hi = _mm256_or_si256(hi, _mm256_and_si256(x86_bit_to_4(qh[k], 2 * c + 1), h16));
                }
                _mm256_store_si256((__m256i *)(pu + rec * (size_t)(2 * c) + 32 * k), lo);
                _mm256_store_si256((__m256i *)(pu + rec * (size_t)(2 * c + 1) + 32 * k), hi);
            }
        }
    }
}

/* Blocks [b0, b1) (whole units) of up to 8 rows, the first row0 of the matrix, into
 * panel records (Q4_K_R16: repack_q4_k_r16). */
/* always_inline, the loops unrolled: with each type's constant gtype the unpack call is
 * direct and inlined (gcc -O2 made one out-of-line copy, an indirect call per row and
 * unit, loops left as loops: AVX2 tl-q4_k_m pp16 0.84-0.88x, tl-q8_0 0.82-0.92x of a
 * -O3 build) */
static inline __attribute__((always_inline)) void
repack(const uint8_t *w, size_t w_stride, int nrows, int b0, int b1, uint8_t *panel, const gtype *g, int row0,
       int pf_rows) {
    _Alignas(32) uint8_t lv[ROWS][256];
    _Alignas(32) float ws[ROWS][16], wm[ROWS][16];
#ifdef QLM_AVXVNNI
    if (g->r16) {
        repack_q4_k_r16(w, w_stride, b0, b1, panel, row0);
        return;
    }
#endif
    if (g->unpack == up_q4_k || g->unpack == up_q5_k) {
        repack_kq(w, w_stride, nrows, b0, b1, panel, g, pf_rows);
        return;
    }
    const int J = g->blk / 4, bpu = g->unit / g->blk;
    const size_t rec = REC_IS(J, g->affine, g->iscale);
    memset(lv, 0, sizeof lv);
    memset(ws, 0, sizeof ws);
    memset(wm, 0, sizeof wm);
    for (int u = b0 / bpu; u < b1 / bpu; u++) {
        QLM_UNROLL_FULL for (int r = 0; r < ROWS; r++) {
            if (r >= nrows) continue;
            const uint8_t *b = w + (size_t)r * w_stride + g->unit_bytes * (size_t)u;
            if (r < pf_rows) prefetch_next_panel(b, w_stride, g->unit_bytes);
            g->unpack(b, lv[r], ws[r], wm[r]);
        }
        QLM_UNROLL_FULL for (int bl = 0; bl < bpu; bl++) {
            uint8_t *pr = panel + rec * (size_t)(u * bpu + bl - b0);
            QLM_UNROLL_FULL for (int h = 0; h < J / 4; h++) {
                const size_t off = (size_t)(g->blk * bl + 16 * h);
                __m256i a0 = rows2(lv, 0, off), a1 = rows2(lv, 1, off), a2 = rows2(lv, 2, off), a3 = rows2(lv, 3, off);
                transpose4x4(&a0, &a1, &a2, &a3);
                _mm256_store_si256((__m256i *)(pr + 32 * (4 * h + 0)), a0);
                _mm256_store_si256((__m256i *)(pr + 32 * (4 * h + 1)), a1);
                _mm256_store_si256((__m256i *)(pr + 32 * (4 * h + 2)), a2);
                _mm256_store_si256((__m256i *)(pr + 32 * (4 * h + 3)), a3);
            }
            float *ps = (float *)(pr + 32 * J);
            if (g->iscale) {
                /* vpmaddwd pairs of int16 sums: the scale in both words; vpdpwssd one int32
                 * sum (< 2^15, its high word the sign): the scale in the low word only */
                int32_t *pi = (int32_t *)ps;
                QLM_UNROLL_FULL for (int r = 0; r < ROWS; r++) {
                    const int32_t sc = (int32_t)ws[r][bl];
#ifdef QLM_AVXVNNI
                    pi[r] = sc;
#else
                    pi[r] = sc | sc << 16;
#endif
                    ps[2 * ROWS + r] = ws[r][8];
                }
            } else { /* K-quants' scales times d, as floats */
                QLM_UNROLL_FULL for (int r = 0; r < ROWS; r++) ps[r] = g->order == ORD_KQ ? ws[r][bl] * ws[r][8] : ws[r][bl];
            }
            if (g->affine) QLM_UNROLL_FULL for (int r = 0; r < ROWS; r++) ps[ROWS + r] = wm[r][bl];
        }
    }
}

/* ---- micro-kernel --------------------------------------------------------------- */

static inline int32_t ld32(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline float ldf(const int8_t *p) {
    float v;
    memcpy(&v, p, 4);
    return v;
}

/* 8 rows x C tokens over blocks [b0, b1) (multiples of 4); adds to y when acc_y. */
static inline __attribute__((always_inline)) void
micro(int b0, int b1, bool acc_y, const uint8_t *panel, const int8_t *const *qt, size_t doff, size_t eoff,
      float *y, int64_t ldy, int nrows, pf_spread *pf, const int C, const act_order o, const int J,
      const int G, const bool affine, const bool sign, const bool is) {
    __m256 facc[TOK];
    const int8_t *q[TOK];
    const __m256i rmask = _mm256_cmpgt_epi32(_mm256_set1_epi32(nrows), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256i ones = _mm256_set1_epi16(1);
    (void)ones; /* not with AVX-VNNI */
    QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
        facc[t] = acc_y ? _mm256_maskload_ps(y + (size_t)t * ldy, rmask) : _mm256_setzero_ps();
        q[t] = qt[t];
    }
    const size_t rec = REC_IS(J, affine, is);
    const int gsz = J * 16;
    /* Q6_K: one activation scale per super-block of 16 blocks (Q8_K), so the blocks'
     * products with the row scales are summed in ftmp and multiplied by it once per
     * super-block, as the AVX-512 micro-kernel does (one multiply fewer per block and
     * token). Chunks start on a super-block (KCH is a multiple of 16). */
    const bool per_sb = o == ORD_NAT16;
    __m256 ftmp[TOK];
    QLM_UNROLL_FULL for (int t = 0; t < C; t++) ftmp[t] = _mm256_setzero_ps();
    /* Q4_K / Q5_K (is): the activations have one scale per super-block (Q8_K), so the
     * blocks' integer sums are weighted by their 6-bit scales in integer and summed over
     * the super-block in isum (|x| < 8 * 63 * 32 * 31 * 127 < 2^31): one vpmaddwd by the
     * scale words where vpmaddwd by ones was (AVX2), or one vpdpwssd per 16 (Q5_K: 8)
     * weights summed by vpdpbusd (AVX-VNNI: |x| < 2^15, a valid word), and per
     * super-block one conversion and multiply-add in float instead of three float
     * instructions per block. */
    __m256i isum[TOK];
    QLM_UNROLL_FULL for (int t = 0; t < C; t++) isum[t] = _mm256_setzero_si256();
    for (int b = b0; b < b1; b += 4) {
        if (pf) pf_spread_group(pf);
        const size_t gq = (size_t)gsz * (size_t)(b / 4);
        QLM_UNROLL_FULL for (int bb = 0; bb < 4; bb++) {
            const uint8_t *pr = panel + rec * (size_t)(b - b0 + bb);
            const size_t bi = 4 * (size_t)(b + bb);
#ifdef QLM_AVXVNNI
            __m256i acc[TOK], acc_odd[TOK]; /* vpdpbusd chains of the even and odd k-groups */
#else
            __m256i acc[TOK], s16[TOK];     /* int32 sums; int16 sums of up to G k-groups */
#endif
            /* the int32 sums start from the block's correction term (zero for affine and
             * signed types); without VNNI only once the first G k-groups are summed, so
             * the 16 ymm registers need not hold them through those groups (gcc spilled
             * the accumulators to the stack when they did) */
            QLM_UNROLL_FULL for (int t = 0; t < C; t++)
                acc[t] = (affine || sign) ? _mm256_setzero_si256() : _mm256_set1_epi32(ld32(q[t] + eoff + bi));
            QLM_UNROLL_FULL for (int j = 0; j < J; j++) {
                const __m256i w = _mm256_load_si256((const __m256i *)(pr + 32 * j));
                const __m256i wa = sign ? _mm256_sign_epi8(w, w) : w;
                QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
                    __m256i a = _mm256_set1_epi32(ld32(q[t] + gq + aoff(o, bb, j)));
                    if (sign) a = _mm256_sign_epi8(a, w);
#ifdef QLM_AVXVNNI
                    if (is) { /* G / 2 k-groups per chain, from zero, then weighted by the scale */
                        const __m256i scw = _mm256_load_si256((const __m256i *)(pr + 32 * J));
                        acc[t] = _mm256_dpbusd_avx_epi32(j % (G / 2) == 0 ? _mm256_setzero_si256() : acc[t], wa, a);
                        if (j % (G / 2) == G / 2 - 1) isum[t] = _mm256_dpwssd_avx_epi32(isum[t], acc[t], scw);
                        continue;
                    }
                    /* 4 products into int32 at once; odd k-groups into a second chain
                     * (vpdpbusd's latency would otherwise set the pace) */
                    if (per_sb || j % 2 == 0) acc[t] = _mm256_dpbusd_avx_epi32(acc[t], wa, a);
                    else acc_odd[t] = _mm256_dpbusd_avx_epi32(j == 1 ? _mm256_setzero_si256() : acc_odd[t], wa, a);
                    if (!per_sb && J > 1 && j == J - 1) acc[t] = _mm256_add_epi32(acc[t], acc_odd[t]);
#else
                    const __m256i p = _mm256_maddubs_epi16(wa, a);
                    s16[t] = j % G == 0 ? p : _mm256_add_epi16(s16[t], p);
                    /* an empty asm ties the running sum to a register: gcc otherwise adds
                     * the products as a tree, every product live at once, and spills */
                    __asm__("" : "+x"(s16[t]));
                    if (is && j % G == G - 1) {
                        isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(s16[t], _mm256_load_si256((const __m256i *)(pr + 32 * J))));
                        __asm__("" : "+x"(isum[t]));
                    } else if (j % G == G - 1) {
                        const __m256i s32 = _mm256_madd_epi16(s16[t], ones);
                        acc[t] = j == G - 1 ? ((affine || sign) ? s32 : _mm256_add_epi32(s32, _mm256_set1_epi32(ld32(q[t] + eoff + bi))))
                                            : _mm256_add_epi32(acc[t], s32);
                        __asm__("" : "+x"(acc[t])); /* the same for the int32 sums (Q8_0: G = 1) */
                    }
#endif
                }
            }
            const __m256 ws = _mm256_load_ps((const float *)(pr + 32 * J));
            QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
                if (is) {
                    facc[t] = _mm256_fmadd_ps(_mm256_load_ps((const float *)(pr + 32 * J + 32)),
                                              _mm256_set1_ps(ldf(q[t] + eoff + bi)), facc[t]);
                    continue;
                }
                if (per_sb) {
                    ftmp[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[t]), ws, ftmp[t]);
                    continue;
                }
                const __m256 sc = _mm256_mul_ps(ws, _mm256_set1_ps(ldf(q[t] + doff + bi)));
                facc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[t]), sc, facc[t]);
                if (affine)
                    facc[t] = _mm256_fmadd_ps(_mm256_load_ps((const float *)(pr + 32 * J + 32)),
                                              _mm256_set1_ps(ldf(q[t] + eoff + bi)), facc[t]);
            }
        }
        if (is && ((b + 4) % 8 == 0 || b + 4 >= b1)) { /* a super-block's last group: its scales */
            const __m256 dr = _mm256_load_ps((const float *)(panel + rec * (size_t)(b - b0) + 32 * J + 64));
            QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
                facc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]),
                                          _mm256_mul_ps(dr, _mm256_set1_ps(ldf(q[t] + doff + 4 * (size_t)b))), facc[t]);
                isum[t] = _mm256_setzero_si256();
            }
        }
        if (per_sb && ((b + 4) % 16 == 0 || b + 4 >= b1)) /* a super-block's last group: its scale, once */
            QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
                facc[t] = _mm256_fmadd_ps(ftmp[t], _mm256_set1_ps(ldf(q[t] + doff + 4 * (size_t)b)), facc[t]);
                ftmp[t] = _mm256_setzero_ps();
            }
    }
    QLM_UNROLL_FULL for (int t = 0; t < C; t++) _mm256_maskstore_ps(y + (size_t)t * ldy, rmask, facc[t]);
}

#define MICRO_CASES(o, J, G, aff, sg, is)                                                          \
    switch (c) {                                                                                   \
    case 1: micro(k0, k1, k0 > 0, panel, qt, doff, eoff, yp, ldy, rows, pfp, 1, o, J, G, aff, sg, is); break; \
    case 2: micro(k0, k1, k0 > 0, panel, qt, doff, eoff, yp, ldy, rows, pfp, 2, o, J, G, aff, sg, is); break; \
    case 3: micro(k0, k1, k0 > 0, panel, qt, doff, eoff, yp, ldy, rows, pfp, 3, o, J, G, aff, sg, is); break; \
    default: micro(k0, k1, k0 > 0, panel, qt, doff, eoff, yp, ldy, rows, pfp, 4, o, J, G, aff, sg, is); break; \
    }

/* ---- matrix-vector (1..3 tokens per pass) for every quantized type --------------------
 *
 * vec_dot (one row against Q8 blocks) pays a scalar f16 conversion and a broadcast per
 * block, and for Q4_K a scalar scale unpacking and min sum per super-block: the row
 * loop was compute-bound at ~7 GB/s per core (Q4_1, Q5_0, Q5_1: 5-6), like llama.cpp's
 * AVX2 path. These loops read the prepared activations instead: the nibble formats take
 * two blocks per vector (lanes 0-3 and 4-7), sum each block's lanes by vphaddd (3 per 8
 * blocks), add the -bias * sum(a) term from the prepared e in int32 (or m * s as floats),
 * and scale the 8 blocks with one conversion and one FMA; Q8_0 scales one block per
 * vector lane-wise; Q4_K/Q5_K/Q6_K weight each sub-block by its integer scale in
 * vpmaddwd (Q8_K activations: one scale per super-block), Q4_K/Q5_K adding the min term
 * as 8 lanes. Float weights have their own loop (gemm_float_avx2.c, gemv_float). */

/* (prefetch_line, PF_DIST, PF_L1: gemm_avx2.h) */

/* The f16 scales that open 8 consecutive blocks of bsz bytes, as floats. Assembled in
 * two general-purpose registers: a vpgatherdd of the same words was the loop's
 * bottleneck here (gathers are slow where the Gather Data Sampling mitigation is on,
 * as on this VM; a 1-thread Q4_0 loop ran at ~10 GB/s with it). */
static inline __m256 d8_of(const uint8_t *blk, int bsz) {
    uint64_t lo = 0, hi = 0;
    QLM_UNROLL_FULL for (int i = 0; i < 4; i++) {
        uint16_t a, b;
        memcpy(&a, blk + (size_t)bsz * (size_t)i, 2);
        memcpy(&b, blk + (size_t)bsz * (size_t)(i + 4), 2);
        lo |= (uint64_t)a << (16 * i);
        hi |= (uint64_t)b << (16 * i);
    }
    return _mm256_cvtph_ps(_mm_set_epi64x((long long)hi, (long long)lo));
}

/* The f16 words at byte `off` of 8 consecutive blocks of bsz bytes (18 to 24: the nibble
 * formats' d, and m of Q4_1/Q5_1) as floats, in the order blocks 0, 2, 4, 6, 1, 3, 5, 7:
 * the order the pairwise sums of gemv_nib leave the blocks in. A 32-byte load at pair k
 * holds block 2k's word at bytes off, off + 1 (low lane) and block 2k + 1's at bsz + off
 * (byte bsz + off - 16 of the high lane); in-lane byte shuffles put pair k's in word k of
 * each lane, ORs merge the pairs, and a qword permute sets the low lane's four words
 * beside the high lane's. Reads the first 6 bsz + 32 bytes of the 8 blocks. (Eight scalar
 * loads, shifts and ORs, as d8_of does, took a third of the Q4_0 loop's time.) */
static inline __attribute__((always_inline)) __m256 f16_pairs(const uint8_t *blk, const int bsz, const int off) {
    const short lo = (short)(off | (off + 1) << 8), hi = (short)((bsz + off - 16) | (bsz + off - 15) << 8);
    const short z = (short)0x8080; /* vpshufb: zero bytes */
    __m256i m = _mm256_setzero_si256();
    QLM_UNROLL_FULL for (int k = 0; k < 4; k++) {
        const __m256i ctl = _mm256_setr_epi16(k == 0 ? lo : z, k == 1 ? lo : z, k == 2 ? lo : z, k == 3 ? lo : z, z, z, z, z,
                                              k == 0 ? hi : z, k == 1 ? hi : z, k == 2 ? hi : z, k == 3 ? hi : z, z, z, z, z);
        m = _mm256_or_si256(m, _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(blk + 2 * bsz * k)), ctl));
    }
    return _mm256_cvtph_ps(_mm256_castsi256_si128(_mm256_permute4x64_epi64(m, 0x08)));
}

/* Bit 4 of the levels of two Q5_0/Q5_1 blocks (their 32-bit qh at q0, q1: bit i is
 * value i's), as 16 in the bytes of *lo (values 0-15 of block 0 in the low lane, of
 * block 1 in the high lane) and *hi (values 16-31): each byte picks the qh byte holding
 * its bit, and a compare against the bit's mask makes the byte all ones. */
static inline __attribute__((always_inline)) void q5_pair_bits(const uint8_t *q0, const uint8_t *q1, __m256i *lo, __m256i *hi) {
    int32_t h0, h1;
    memcpy(&h0, q0, 4);
    memcpy(&h1, q1, 4);
    const __m256i qh = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi32(h0)), _mm_set1_epi32(h1), 1);
    const __m256i bits = _mm256_set1_epi64x(0x8040201008040201LL), h16 = _mm256_set1_epi8(16);
    const __m256i sel_lo = _mm256_setr_epi64x(0, 0x0101010101010101LL, 0, 0x0101010101010101LL);
    const __m256i sel_hi = _mm256_setr_epi64x(0x0202020202020202LL, 0x0303030303030303LL, 0x0202020202020202LL,
                                              0x0303030303030303LL);
    const __m256i bl = _mm256_and_si256(_mm256_shuffle_epi8(qh, sel_lo), bits);
    const __m256i bh = _mm256_and_si256(_mm256_shuffle_epi8(qh, sel_hi), bits);
    *lo = _mm256_or_si256(*lo, _mm256_and_si256(_mm256_cmpeq_epi8(bl, bits), h16));
    *hi = _mm256_or_si256(*hi, _mm256_and_si256(_mm256_cmpeq_epi8(bh, bits), h16));
}

/* Q4_0, Q4_1, Q5_0, Q5_1 (blocks of 32 values in bsz bytes: f16 d at 0, f16 m at 2 when
 * affine, 32-bit qh at qhoff when qhoff > 0, 16 qs bytes at qoff). Two blocks per vector
 * (lanes 0-3 and 4-7), each block's lanes summed by vphaddd (3 per 8 blocks); symmetric
 * types add the prepared -bias * sum(a) in int32, so each block's sum is exact before its
 * one rounding, as in vec_dot (a separate float sum of the large -8 * sum(a) terms lost
 * ~1e-5 of sum|w*a| to cancellation); affine ones add m * s (s: the prepared
 * d_a * sum(a)) by one more FMA per 8 blocks.
 *
 * g8: Q4_0_G8 rows (quant/blocks.h, Q4_0 regrouped at load by --repack; whole
 * super-blocks of 8 blocks, so no tail): two blocks' levels are one 32-byte load instead
 * of two loads and an insert, and the 8 scales one load and conversion (permuted to the
 * lanes' block order) instead of f16_pairs; the sums and their rounding are Q4_0's, so
 * --repack's results are bit-identical. One thread (`qlm bench --kernels --isa ISA -t 1
 * --type Q4_0[_G8]`): AVX2 12.4 -> 13.6 GB/s streamed, 24.2 -> 28.5 on 256 rows in
 * cache; AVX-VNNI 13.1 -> 14.7 streamed. */
static inline __attribute__((always_inline)) void
gemv_nib(int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a, size_t a_stride, float *y,
         int64_t ldy, const int NT, const int bsz, const int qoff, const int qhoff, const bool affine, const bool g8) {
    const int nb = (int)(n / 32), nb8 = nb / 8 * 8;
    x86_prow A[3];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) A[t] = x86_prow_of(a + (size_t)t * a_stride, n, 32);
    const __m256i m4 = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
    (void)ones; /* not with AVX-VNNI */
    for (int r = 0; r < nr; r++) {
        const uint8_t *row = w + (size_t)r * w_stride;
        __m256 acc[3];
        float tail[3] = {0, 0, 0};
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) acc[t] = _mm256_setzero_ps();
        for (int b = 0; b < nb8; b += 8) {
            const uint8_t *blk = row + (size_t)bsz * (size_t)b; /* g8: 8 blocks of bsz bytes too */
            QLM_UNROLL_FULL for (int o = 0; o < 8 * bsz; o += 64) prefetch_line(blk + o);
            const __m256i pairs = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
            const __m256 dw = g8 ? _mm256_permutevar8x32_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)blk)), pairs)
                                 : f16_pairs(blk, bsz, 0); /* blocks 0 2 4 6 1 3 5 7 */
            const __m256 mw = affine ? f16_pairs(blk, bsz, 2) : _mm256_setzero_ps();
            const uint8_t *qs = x86_opaque(blk + qoff); /* block b's levels */
            __m256i h01[3], h23[3], sp[3];
            QLM_UNROLL_FULL for (int j = 0; j < 4; j++) { /* blocks b + 2j (lanes 0-3), b + 2j + 1 */
                const uint8_t *p = qs + (g8 ? 32 : 2 * bsz) * j;
                const __m256i q = g8 ? _mm256_loadu_si256((const __m256i *)p)
                                     : _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p)),
                                                               _mm_loadu_si128((const __m128i *)(p + bsz)), 1);
                __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
                if (qhoff) q5_pair_bits(p - qoff + qhoff, p - qoff + qhoff + bsz, &lo, &hi);
                QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                    /* NIB4 order: low halves of the group's blocks, then high halves */
                    const int8_t *aq = A[t].q + 32 * (size_t)b + 128 * (j / 2) + 32 * (j % 2);
#ifdef QLM_AVXVNNI
                    const __m256i s = _mm256_dpbusd_avx_epi32(_mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), lo, _mm256_loadu_si256((const __m256i *)aq)),
                                                              hi, _mm256_loadu_si256((const __m256i *)(aq + 64)));
#else
                    /* int16: 4 products of at most 31 x 128 */
                    const __m256i s16 = _mm256_add_epi16(_mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)aq)),
                                                         _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(aq + 64))));
                    const __m256i s = _mm256_madd_epi16(s16, ones);
#endif
                    /* four partial sums per block, added pairwise as they come: after
                     * the last pair, lane k of the low half is block 2k, of the high
                     * half block 2k + 1 */
                    if (j % 2 == 0) sp[t] = s;
                    else if (j == 1) h01[t] = _mm256_hadd_epi32(sp[t], s);
                    else h23[t] = _mm256_hadd_epi32(sp[t], s);
                }
            }
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                /* the blocks in the order 0 2 4 6 1 3 5 7 (pairs), as the sums and dw have them */
                __m256i h = _mm256_hadd_epi32(h01[t], h23[t]);
                const __m256i e8 = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)((const int32_t *)A[t].e + b)), pairs);
                if (!affine) h = _mm256_add_epi32(h, e8);
                const __m256 s8 = _mm256_mul_ps(dw, _mm256_permutevar8x32_ps(_mm256_loadu_ps(A[t].d + b), pairs));
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(h), s8, acc[t]);
                if (affine) acc[t] = _mm256_fmadd_ps(mw, _mm256_castsi256_ps(e8), acc[t]); /* e: float s */
            }
        }
        for (int b = nb8; b < nb; b++) { /* the last blocks of a row of fewer than 8 */
            const uint8_t *blk = row + (size_t)bsz * (size_t)b;
            qlm_f16 dh, mh = 0;
            memcpy(&dh, blk, 2);
            if (affine) memcpy(&mh, blk + 2, 2);
            uint32_t qh = 0;
            if (qhoff) memcpy(&qh, blk + qhoff, 4);
            _Alignas(16) uint8_t lv[32];
            for (int i = 0; i < 16; i++) {
                lv[i] = (uint8_t)((blk[qoff + i] & 15) | ((qh >> i) & 1) << 4);
                lv[16 + i] = (uint8_t)((blk[qoff + i] >> 4) | ((qh >> (16 + i)) & 1) << 4);
            }
            const __m128i lo = _mm_load_si128((const __m128i *)lv), hi = _mm_load_si128((const __m128i *)(lv + 16));
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                const int8_t *aq = A[t].q + 128 * (size_t)(b / 4) + 16 * (b % 4);
                const __m128i s16 = _mm_add_epi16(_mm_maddubs_epi16(lo, _mm_loadu_si128((const __m128i *)aq)),
                                                  _mm_maddubs_epi16(hi, _mm_loadu_si128((const __m128i *)(aq + 64))));
                __m128i s = _mm_madd_epi16(s16, _mm_set1_epi16(1));
                s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
                s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
                if (affine) {
                    tail[t] += x86_f16(dh) * A[t].d[b] * (float)_mm_cvtsi128_si32(s) + x86_f16(mh) * ((const float *)A[t].e)[b];
                } else {
                    const int32_t sum = _mm_cvtsi128_si32(s) + ((const int32_t *)A[t].e)[b];
                    tail[t] += x86_f16(dh) * A[t].d[b] * (float)sum;
                }
            }
        }
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) y[(size_t)t * ldy + r] = hsum8_ps(acc[t]) + tail[t];
    }
}

#define GEMV_NIB(name, bsz, qoff, qhoff, affine, g8)                                                      \
    static inline __attribute__((always_inline)) void name(int64_t n, int nr, const uint8_t *w, size_t ws, \
                                                           const uint8_t *a, size_t as, float *y,         \
                                                           int64_t ldy, const int NT) {                   \
        gemv_nib(n, nr, w, ws, a, as, y, ldy, NT, bsz, qoff, qhoff, affine, g8);                          \
    }
GEMV_NIB(gemv_q4_0, 18, 2, 0, false, false)
GEMV_NIB(gemv_q4_1, 20, 4, 0, true, false)
GEMV_NIB(gemv_q5_0, 22, 6, 2, false, false)
GEMV_NIB(gemv_q5_1, 24, 8, 4, true, false)
/* Q4_0_G8: 8 blocks of 18 bytes, the 8 scales (16 bytes) in front of the levels */
GEMV_NIB(gemv_q4_0_g8, 18, 16, 0, false, true)

/* Q8_0: signed levels, so the sign moves onto the activations (maddubs takes unsigned
 * times signed; |w| <= 127 keeps its pair sums within int16); one block per vector,
 * its scale from the 8 blocks' scale vector. */
static inline __attribute__((always_inline)) void
gemv_q8_0(int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a, size_t a_stride, float *y,
          int64_t ldy, const int NT) {
    const int nb = (int)(n / 32), nb8 = nb / 8 * 8;
    x86_prow A[3];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) A[t] = x86_prow_of(a + (size_t)t * a_stride, n, 32);
    const __m256i ones = _mm256_set1_epi16(1);
    for (int r = 0; r < nr; r++) {
        const uint8_t *row = w + (size_t)r * w_stride;
        /* 1-2 tokens: two accumulators per token, even and odd blocks (with one, the
         * chain of multiply-adds, 4 cycles each, bounded a 1-token row at a block per 4
         * cycles); 3 tokens are enough chains, and short of registers */
        const int NA = NT <= 2 ? 2 : 1;
        __m256 acc[3][2];
        float tail[3] = {0, 0, 0};
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) acc[t][0] = acc[t][1] = _mm256_setzero_ps();
        for (int b = 0; b < nb8; b += 8) {
            QLM_UNROLL_FULL for (int o = 0; o < 8 * 34; o += 64) prefetch_line(row + 34 * (size_t)b + o);
            const __m256 dw = d8_of(row + 34 * (size_t)b, 34);
            const uint8_t *qs = x86_opaque(row + 34 * (size_t)b + 2); /* block b's levels */
            __m256 s8[3];
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) s8[t] = _mm256_mul_ps(dw, _mm256_loadu_ps(A[t].d + b));
            QLM_UNROLL_FULL for (int j = 0; j < 8; j++) {
                const __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 34 * j));
                const __m256i qa = _mm256_sign_epi8(q, q);
                const __m256i idx = _mm256_set1_epi32(j);
                QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                    const __m256i av = _mm256_loadu_si256((const __m256i *)(A[t].q + 32 * (size_t)(b + j)));
#ifdef QLM_AVXVNNI
                    const __m256i p = _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), qa, _mm256_sign_epi8(av, q));
#else
                    const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(qa, _mm256_sign_epi8(av, q)), ones);
#endif
                    acc[t][j % NA] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_permutevar8x32_ps(s8[t], idx), acc[t][j % NA]);
                }
            }
        }
        for (int b = nb8; b < nb; b++) { /* the last blocks of a row of fewer than 8 */
            const uint8_t *p = row + 34 * (size_t)b;
            qlm_f16 dh;
            memcpy(&dh, p, 2);
            const __m256i q = _mm256_loadu_si256((const __m256i *)(p + 2));
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                const __m256i av = _mm256_loadu_si256((const __m256i *)(A[t].q + 32 * (size_t)b));
                const __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(av, q)), ones);
                tail[t] += x86_f16(dh) * A[t].d[b] * (float)hsum8_epi32(s);
            }
        }
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) y[(size_t)t * ldy + r] = hsum8_ps(_mm256_add_ps(acc[t][0], acc[t][1])) + tail[t];
    }
}

/* Word shuffle putting byte i of each 128-bit lane in every word (high bytes zero). */
static inline __m256i word_of_byte(int i) { return _mm256_set1_epi16((short)(0x8000 | i)); }

/* Q4_K, and Q5_K (q5: bit 4 of each level from qh; levels <= 31 keep maddubs's pair
 * sums within int16: 2 * 31 * 128). */
static inline __attribute__((always_inline)) void
gemv_kq(int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a, size_t a_stride, float *y,
        int64_t ldy, const int NT, const bool q5) {
    const int nsb = (int)(n / QK_K);
    const size_t bsz = q5 ? sizeof(block_q5_k) : sizeof(block_q4_k);
    const int qoff = q5 ? 48 : 16;
    x86_prow A[3];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) A[t] = x86_prow_of(a + (size_t)t * a_stride, n, 32);
    const __m256i m4 = _mm256_set1_epi8(15), h16 = _mm256_set1_epi8(16);
    for (int r = 0; r < nr; r++) {
        const uint8_t *row = w + (size_t)r * w_stride;
        __m256 acc[3]; /* the scaled sums and the min terms in one accumulator: two
                        * per token left 3 tokens short of registers */
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) acc[t] = _mm256_setzero_ps();
        for (int i = 0; i < nsb; i++) {
            const uint8_t *x = row + bsz * (size_t)i;
            QLM_UNROLL_FULL for (int o = 0; o < (int)bsz; o += 64) prefetch_line(x + o);
            const __m256i qh = q5 ? _mm256_loadu_si256((const __m256i *)(x + 16)) : _mm256_setzero_si256();
            const __m128i sm = x86_kq_scale_bytes(x + 4);
            const __m256i scb = _mm256_broadcastsi128_si256(sm);
            __m256i isum[3];
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) isum[t] = _mm256_setzero_si256();
            QLM_UNROLL_FULL for (int j = 0; j < 4; j++) { /* sub-blocks 2j (low nibbles), 2j + 1 */
                const __m256i q = _mm256_loadu_si256((const __m256i *)(x + qoff + 32 * j));
                __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
                if (q5) { /* bit 4 of sub-block s's level l is bit s of qh[l]: shifted to bit 4 */
                    lo = _mm256_or_si256(lo, _mm256_and_si256(x86_bit_to_4(qh, 2 * j), h16));
                    hi = _mm256_or_si256(hi, _mm256_and_si256(x86_bit_to_4(qh, 2 * j + 1), h16));
                }
                const __m256i slo = _mm256_shuffle_epi8(scb, word_of_byte(2 * j));
                const __m256i shi = _mm256_shuffle_epi8(scb, word_of_byte(2 * j + 1));
                QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                    /* KQ order: per 128 values, sub-blocks 4k, 4k+2, 4k+1, 4k+3 */
                    const int8_t *aq = A[t].q + QK_K * (size_t)i + 128 * (j / 2) + 32 * (j % 2);
                    const __m256i plo = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)aq));
                    const __m256i phi = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(aq + 64)));
#ifdef QLM_AVXVNNI
                    /* vpdpwssd: the scale products and their sum in one instruction */
                    isum[t] = _mm256_dpwssd_avx_epi32(_mm256_dpwssd_avx_epi32(isum[t], plo, slo), phi, shi);
#else
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(_mm256_madd_epi16(plo, slo), _mm256_madd_epi16(phi, shi)));
#endif
                    /* an empty asm ties the running sum to a register: for 2-3 tokens gcc
                     * otherwise kept every product of the super-block live to add them
                     * as a tree, and spilled (54 stack accesses per super-block) */
                    __asm__("" : "+x"(isum[t]));
                }
            }
            /* d and dmin by one conversion: lanes 0 and 1 */
            int32_t ddw;
            memcpy(&ddw, x, 4);
            const __m128 dd = _mm_cvtph_ps(_mm_cvtsi32_si128(ddw));
            /* min term: -dmin * mn_s * e_s, e_s = d_a * sum of the sub-block's levels */
            const __m256 wm = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8))),
                                            _mm256_broadcastss_ps(_mm_movehdup_ps(dd)));
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                const __m256 s = _mm256_broadcastss_ps(_mm_mul_ss(dd, _mm_load_ss(A[t].d + 8 * (size_t)i)));
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), s, acc[t]);
                acc[t] = _mm256_fnmadd_ps(wm, _mm256_loadu_ps((const float *)A[t].e + 8 * (size_t)i), acc[t]);
            }
        }
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) y[(size_t)t * ldy + r] = hsum8_ps(acc[t]);
    }
}

static inline __attribute__((always_inline)) void
gemv_q4_k(int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a, size_t a_stride, float *y,
          int64_t ldy, const int NT) {
    gemv_kq(n, nr, w, w_stride, a, a_stride, y, ldy, NT, false);
}

static inline __attribute__((always_inline)) void
gemv_q5_k(int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a, size_t a_stride, float *y,
          int64_t ldy, const int NT) {
    gemv_kq(n, nr, w, w_stride, a, a_stride, y, ldy, NT, true);
}

/* Q6_K: per half super-block, 64 ql bytes and 32 qh bytes give four vectors of 32
 * levels in natural order (sub-blocks 2k and 2k + 1 of 16 values in the low and high
 * lanes); vpmaddwd weights each word pair by its sub-block's int8 scale, so a
 * super-block sums in int32 (|sum| < 2^29), and the -32 bias joins as sum_s sc_s e_s
 * (e_s = -32 * the sub-block's activation sum, prepared). */
static inline __attribute__((always_inline)) void
gemv_q6_k(int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a, size_t a_stride, float *y,
          int64_t ldy, const int NT) {
    const int nsb = (int)(n / QK_K);
    x86_prow A[3];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) A[t] = x86_prow_of(a + (size_t)t * a_stride, n, 16);
    const __m256i m4 = _mm256_set1_epi8(15), m30 = _mm256_set1_epi8(0x30), ones = _mm256_set1_epi16(1);
    (void)ones; /* not with AVX-VNNI */
    for (int r = 0; r < nr; r++) {
        const uint8_t *row = w + (size_t)r * w_stride;
        __m256 acc[3];
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) acc[t] = _mm256_setzero_ps();
        for (int i = 0; i < nsb; i++) {
            const uint8_t *x = row + sizeof(block_q6_k) * (size_t)i;
            QLM_UNROLL_FULL for (int o = 0; o < (int)sizeof(block_q6_k); o += 64)
                prefetch_line(x + o);
            const __m128i sc8 = _mm_loadu_si128((const __m128i *)(x + 192));
            const __m256i sw = _mm256_cvtepi8_epi16(sc8); /* words: the 16 scales */
            const __m256i sc32a = _mm256_cvtepi8_epi32(sc8), sc32b = _mm256_cvtepi8_epi32(_mm_srli_si128(sc8, 8));
            __m256i isum[3];
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) { /* the bias term: sum_s sc_s e_s */
                const int32_t *e = (const int32_t *)A[t].e + 16 * (size_t)i;
                isum[t] = _mm256_add_epi32(_mm256_mullo_epi32(sc32a, _mm256_loadu_si256((const __m256i *)e)),
                                           _mm256_mullo_epi32(sc32b, _mm256_loadu_si256((const __m256i *)(e + 8))));
            }
            QLM_UNROLL_FULL for (int h = 0; h < 2; h++) {
                const __m256i l0 = _mm256_loadu_si256((const __m256i *)(x + 64 * h));
                const __m256i l1 = _mm256_loadu_si256((const __m256i *)(x + 64 * h + 32));
                const __m256i hb = _mm256_loadu_si256((const __m256i *)(x + 128 + 32 * h));
                /* the two high bits of each level moved to bits 4-5 (16-bit shifts: the
                 * bits crossing from the neighbouring byte fall outside 0x30) */
                __m256i v[4];
                v[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 4), m30));
                v[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 2), m30));
                v[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(hb, m30));
                v[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_and_si256(_mm256_srli_epi16(hb, 2), m30));
                /* scales 8h..8h+7 in both lanes (two literal immediates: clang wants one) */
                const __m256i swh = h ? _mm256_permute4x64_epi64(sw, 0xEE) : _mm256_permute4x64_epi64(sw, 0x44);
                QLM_UNROLL_FULL for (int k = 0; k < 4; k++) {
                    /* word 2k of the low lane, 2k + 1 of the high lane, in every word */
                    const __m256i ctl = _mm256_setr_epi8(4 * k, 4 * k + 1, 4 * k, 4 * k + 1, 4 * k, 4 * k + 1, 4 * k, 4 * k + 1,
                                                         4 * k, 4 * k + 1, 4 * k, 4 * k + 1, 4 * k, 4 * k + 1, 4 * k, 4 * k + 1,
                                                         4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3,
                                                         4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3);
                    const __m256i sck = _mm256_shuffle_epi8(swh, ctl);
                    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                        const int8_t *aq = A[t].q + QK_K * (size_t)i + 128 * h + 32 * k;
                        /* int16 pair sums: at most 2 * 63 * 127 */
                        const __m256i p = _mm256_maddubs_epi16(v[k], _mm256_loadu_si256((const __m256i *)aq));
#ifdef QLM_AVXVNNI
                        isum[t] = _mm256_dpwssd_avx_epi32(isum[t], p, sck);
#else
                        isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(p, sck));
#endif
                        __asm__("" : "+x"(isum[t])); /* a running sum, not a tree (see gemv_kq) */
                    }
                }
            }
            qlm_f16 dh;
            memcpy(&dh, x + 208, 2);
            const float d = x86_f16(dh);
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++)
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_set1_ps(d * A[t].d[16 * (size_t)i]), acc[t]);
        }
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) y[(size_t)t * ldy + r] = hsum8_ps(acc[t]);
    }
}

/* ---- Q4_K_R16: 16 Q4_K rows interleaved (quant/blocks.h, --repack), AVX-VNNI only ---
 *
 * One row per 32-bit lane, 8 rows per register: each 64-byte line of a block's qs holds
 * 4 weights of sub-blocks 2c (low nibbles) and 2c+1 (high) of the 16 rows, rows 0-7 in
 * its first 32 bytes and 8-15 in the second. The rows' results come out in lanes: no
 * horizontal sums and no scale shuffles (gemv_kq spends a third of its instructions on
 * those). vpdpbusd sums 16 weights of a sub-block into int32 (|x| < 2^15, a valid word)
 * and vpdpwssd applies the integer scale (zero in the high word); one float multiply-add
 * per super-block, and the min term as in gemv_kq. The two halves of the rows go one
 * after the other over the block, which stays in L1 (one token: r16_one, one pass).
 * Cache-resident (256 x 2048, one thread) 1.4x gemv_kq, 3 tokens 1.17x; streamed from
 * memory 0.95-1.03x, generation (Q4_K_M, 1-2 threads) 0.95-1.04x. Without VNNI
 * (vpmaddubsw pairs summed in int16 over 32 weights, one vpmaddwd by the scale) it was
 * 1.07x in cache and 0.85x for 3 tokens, so plain AVX2 keeps Q4_K rows. */
#ifdef QLM_AVXVNNI

/* The block's 6-bit scales (bytes 0..127) and mins (128..255) ordered [j][r], decoded
 * from sl/sh into v. */
static inline __attribute__((always_inline)) void r16_scale_bytes(const block_q4_k_r16 *b, uint8_t *v) {
    const __m256i m4 = _mm256_set1_epi8(15), m3 = _mm256_set1_epi8(3);
    QLM_UNROLL_FULL for (int k = 0; k < 4; k++) {
        const __m256i l = _mm256_loadu_si256((const __m256i *)(b->sl + 32 * k));
        const __m256i h = _mm256_loadu_si256((const __m256i *)(b->sh + 32 * (k % 2)));
        /* sh bits 2 (b / 64) .. + 1 hold the high bits of byte b; the mins are b + 128 */
        const __m256i hs = _mm256_srli_epi16(h, 2 * (k / 2)), hm = _mm256_srli_epi16(h, 2 * (k / 2) + 4);
        _mm256_store_si256((__m256i *)(v + 32 * k),
                           _mm256_or_si256(_mm256_and_si256(l, m4), _mm256_slli_epi16(_mm256_and_si256(hs, m3), 4)));
        _mm256_store_si256((__m256i *)(v + 128 + 32 * k),
                           _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l, 4), m4),
                                           _mm256_slli_epi16(_mm256_and_si256(hm, m3), 4)));
    }
}

/* Where sub-block j of a super-block sits in a Q4_K prepared row (per 128 values:
 * sub-blocks 4i, 4i+2, 4i+1, 4i+3). */
static inline int kq_sub_off(int j) { return 128 * (j / 4) + 32 * ((j % 4) / 2) + 64 * (j % 2); }

/* Block s of a group, rows 8 rh .. 8 rh + 7, x NT tokens, added to facc. */
static inline __attribute__((always_inline)) void
r16_half(const block_q4_k_r16 *b, int64_t s, const uint8_t *v, int rh, const x86_prow *A, __m256 *facc, const int NT) {
    const __m256i m4 = _mm256_set1_epi8(15);
    __m256i iacc[3];
    /* the tokens' rows behind an empty asm: gcc otherwise shares the broadcast
     * activations of the two halves' calls and keeps them on the stack (1,176 spill
     * loads and stores in the 2-3 token loop) */
    const int8_t *aqs[3];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) aqs[t] = (const int8_t *)x86_opaque((const uint8_t *)(A[t].q + QK_K * (size_t)s));
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) iacc[t] = _mm256_setzero_si256();
    QLM_UNROLL_FULL for (int c = 0; c < 4; c++) {
        if (rh == 0) { /* the block's next 576 bytes, ahead, once */
            QLM_UNROLL_FULL for (int o = 0; o < 576; o += 64) prefetch_line((const uint8_t *)b + 576 * c + o);
        }
        /* scales of sub-blocks 2c, 2c+1 for these rows, one per 32-bit lane */
        const __m256i sc0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(v + 16 * (2 * c) + 8 * rh)));
        const __m256i sc1 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(v + 16 * (2 * c + 1) + 8 * rh)));
        QLM_UNROLL_FULL for (int gh = 0; gh < 8; gh += GH) {
            __m256i p0[3], p1[3];
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) p0[t] = p1[t] = _mm256_setzero_si256();
            QLM_UNROLL_FULL for (int g = gh; g < gh + GH; g++) {
                const __m256i q = _mm256_loadu_si256((const __m256i *)(b->qs + 64 * (8 * c + g) + 32 * rh));
                const __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
                QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                    const int8_t *aq = aqs[t] + kq_sub_off(2 * c) + 4 * g;
                    const __m256i a0 = _mm256_set1_epi32(ld32(aq)), a1 = _mm256_set1_epi32(ld32(aq + 64));
                    p0[t] = _mm256_dpbusd_avx_epi32(p0[t], lo, a0);
                    p1[t] = _mm256_dpbusd_avx_epi32(p1[t], hi, a1);
                }
            }
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                iacc[t] = _mm256_dpwssd_avx_epi32(_mm256_dpwssd_avx_epi32(iacc[t], p0[t], sc0), p1[t], sc1);
                __asm__("" : "+x"(iacc[t])); /* a running sum, not a tree (see gemv_kq) */
            }
        }
    }
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b->d + 8 * rh)));
    const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b->dmin + 8 * rh)));
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
        /* min term: -dmin * sum_j mn_j e_j (e_j = d_a * the sub-block's level sum) */
        const float *e = (const float *)A[t].e + 8 * (size_t)s;
        __m256 wm = _mm256_setzero_ps();
        QLM_UNROLL_FULL for (int j = 0; j < 8; j++) {
            const __m256 mn = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(v + 128 + 16 * j + 8 * rh))));
            wm = _mm256_fmadd_ps(mn, _mm256_set1_ps(e[j]), wm);
        }
        const __m256 dd = _mm256_mul_ps(d, _mm256_set1_ps(A[t].d[8 * (size_t)s]));
        facc[t] = _mm256_fnmadd_ps(dmin, wm, _mm256_fmadd_ps(_mm256_cvtepi32_ps(iacc[t]), dd, facc[t]));
    }
}

/* One token: both halves of the rows in one pass over the block (each line's two
 * 32-byte halves in turn): in cache 1.1x the two passes of r16_half, streamed 1.05x. */
static inline __attribute__((always_inline)) void
r16_one(const block_q4_k_r16 *b, int64_t s, const uint8_t *v, const x86_prow *A, __m256 facc[2]) {
    const __m256i m4 = _mm256_set1_epi8(15);
    __m256i iacc[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    QLM_UNROLL_FULL for (int c = 0; c < 4; c++) {
        QLM_UNROLL_FULL for (int o = 0; o < 576; o += 64) prefetch_line((const uint8_t *)b + 576 * c + o);
        QLM_UNROLL_FULL for (int gh = 0; gh < 8; gh += GH) {
            __m256i p0[2], p1[2];
            QLM_UNROLL_FULL for (int rh = 0; rh < 2; rh++) p0[rh] = p1[rh] = _mm256_setzero_si256();
            QLM_UNROLL_FULL for (int g = gh; g < gh + GH; g++) {
                const int8_t *aq = A[0].q + QK_K * (size_t)s + kq_sub_off(2 * c) + 4 * g;
                const __m256i a0 = _mm256_set1_epi32(ld32(aq)), a1 = _mm256_set1_epi32(ld32(aq + 64));
                QLM_UNROLL_FULL for (int rh = 0; rh < 2; rh++) {
                    const __m256i q = _mm256_loadu_si256((const __m256i *)(b->qs + 64 * (8 * c + g) + 32 * rh));
                    p0[rh] = _mm256_dpbusd_avx_epi32(p0[rh], _mm256_and_si256(q, m4), a0);
                    p1[rh] = _mm256_dpbusd_avx_epi32(p1[rh], _mm256_and_si256(_mm256_srli_epi16(q, 4), m4), a1);
                }
            }
            QLM_UNROLL_FULL for (int rh = 0; rh < 2; rh++) {
                const __m256i sc0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(v + 16 * (2 * c) + 8 * rh)));
                const __m256i sc1 = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(v + 16 * (2 * c + 1) + 8 * rh)));
                iacc[rh] = _mm256_dpwssd_avx_epi32(_mm256_dpwssd_avx_epi32(iacc[rh], p0[rh], sc0), p1[rh], sc1);
            }
        }
    }
    const float *e = (const float *)A[0].e + 8 * (size_t)s;
    QLM_UNROLL_FULL for (int rh = 0; rh < 2; rh++) {
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b->d + 8 * rh)));
        const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b->dmin + 8 * rh)));
        __m256 wm = _mm256_setzero_ps();
        QLM_UNROLL_FULL for (int j = 0; j < 8; j++) {
            const __m256 mn = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(v + 128 + 16 * j + 8 * rh))));
            wm = _mm256_fmadd_ps(mn, _mm256_set1_ps(e[j]), wm);
        }
        const __m256 dd = _mm256_mul_ps(d, _mm256_set1_ps(A[0].d[8 * (size_t)s]));
        facc[rh] = _mm256_fnmadd_ps(dmin, wm, _mm256_fmadd_ps(_mm256_cvtepi32_ps(iacc[rh]), dd, facc[rh]));
    }
}

/* Panel records straight from the interleaved blocks (the rows' group is whole: 8 of
 * its 16 rows, half rh): a qs line's 32 bytes for these rows are already one k-group of
 * sub-blocks 2c and 2c+1 with a row per lane, so a record vector is one load and a
 * mask (or shift and mask); the scales come from r16_scale_bytes. The records hold
 * what repack makes from the Q4_K rows, bit for bit (tests/test_kernels.c). */
static void repack_q4_k_r16(const uint8_t *w, size_t w_stride, int b0, int b1, uint8_t *panel, int row0) {
    const block_q4_k_r16 *grp = (const block_q4_k_r16 *)(w - (size_t)(row0 % 16) * w_stride);
    const int rh = (row0 % 16) / 8;
    const size_t rec = REC_IS(8, true, true);
    const __m256i m4 = _mm256_set1_epi8(15);
    _Alignas(32) uint8_t v[256];
    for (int u = b0 / 8; u < b1 / 8; u++) {
        const block_q4_k_r16 *b = grp + u;
        r16_scale_bytes(b, v);
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b->d + 8 * rh)));
        const __m256 ndmin = _mm256_sub_ps(_mm256_setzero_ps(), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b->dmin + 8 * rh))));
        QLM_UNROLL_FULL for (int sb = 0; sb < 8; sb++) { /* sub-block: chunk sb / 2, nibble sb % 2 */
            uint8_t *pr = panel + rec * (size_t)(8 * u + sb - b0);
            /* J = 8 level vectors, then the scale words, offsets and d (REC_IS) */
            QLM_UNROLL_FULL for (int k = 0; k < 8; k++) {
                const __m256i q = _mm256_loadu_si256((const __m256i *)(b->qs + 64 * (8 * (sb / 2) + k) + 32 * rh));
                _mm256_store_si256((__m256i *)(pr + 32 * k), _mm256_and_si256(sb % 2 ? _mm256_srli_epi16(q, 4) : q, m4));
            }
            _mm256_store_si256((__m256i *)(pr + 32 * 8), _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(v + 16 * sb + 8 * rh))));
            const __m256 mn = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(v + 128 + 16 * sb + 8 * rh))));
            _mm256_store_ps((float *)(pr + 32 * 8 + 32), _mm256_mul_ps(ndmin, mn));
            _mm256_store_ps((float *)(pr + 32 * 8 + 64), d);
        }
    }
}

/* nr rows (whole groups of 16) x NT tokens */
static inline __attribute__((always_inline)) void
gemv_q4_k_r16(int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a, size_t a_stride, float *y,
              int64_t ldy, const int NT) {
    (void)w_stride;
    const int nsb = (int)(n / QK_K);
    x86_prow A[3];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) A[t] = x86_prow_of(a + (size_t)t * a_stride, n, 32);
    _Alignas(32) uint8_t v[256];
    for (int r = 0; r < nr; r += 16) {
        const block_q4_k_r16 *grp = (const block_q4_k_r16 *)(w + sizeof(block_q4_k_r16) * (size_t)nsb * (size_t)(r / 16));
        __m256 facc[2][3];
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) facc[0][t] = facc[1][t] = _mm256_setzero_ps();
        for (int i = 0; i < nsb; i++) {
            r16_scale_bytes(grp + i, v);
            if (NT == 1) {
                __m256 f[2] = {facc[0][0], facc[1][0]};
                r16_one(grp + i, i, v, A, f);
                facc[0][0] = f[0];
                facc[1][0] = f[1];
                continue;
            }
            r16_half(grp + i, i, v, 0, A, facc[0], NT);
            r16_half(grp + i, i, v, 1, A, facc[1], NT);
        }
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
            _mm256_storeu_ps(y + (size_t)t * ldy + r, facc[0][t]);
            _mm256_storeu_ps(y + (size_t)t * ldy + r + 8, facc[1][t]);
        }
    }
}
#endif /* QLM_AVXVNNI */

/* 1..3 tokens at a time: the types above. */
typedef void (*gemv_fn)(int64_t n, int nr, int nt, const uint8_t *w, size_t w_stride, const uint8_t *a,
                        size_t a_stride, float *y, int64_t ldy);
#define DEFINE_GEMV(name, body)                                                                      \
    static void name(int64_t n, int nr, int nt, const uint8_t *w, size_t w_stride, const uint8_t *a,  \
                     size_t a_stride, float *y, int64_t ldy) {                                        \
        for (int t0 = 0; t0 < nt; t0 += 3) {                                                          \
            const int c = nt - t0 < 3 ? nt - t0 : 3;                                                  \
            const uint8_t *at = a + (size_t)t0 * a_stride;                                            \
            float *yt = y + (size_t)t0 * ldy;                                                         \
            if (c == 1) body(n, nr, w, w_stride, at, a_stride, yt, ldy, 1);                           \
            else if (c == 2) body(n, nr, w, w_stride, at, a_stride, yt, ldy, 2);                      \
            else body(n, nr, w, w_stride, at, a_stride, yt, ldy, 3);                                  \
        }                                                                                             \
    }
DEFINE_GEMV(gemv_q4_0_any, gemv_q4_0)
DEFINE_GEMV(gemv_q4_0_g8_any, gemv_q4_0_g8)
DEFINE_GEMV(gemv_q4_1_any, gemv_q4_1)
DEFINE_GEMV(gemv_q5_0_any, gemv_q5_0)
DEFINE_GEMV(gemv_q5_1_any, gemv_q5_1)
DEFINE_GEMV(gemv_q8_0_any, gemv_q8_0)
DEFINE_GEMV(gemv_q4_k_any, gemv_q4_k)
DEFINE_GEMV(gemv_q5_k_any, gemv_q5_k)
DEFINE_GEMV(gemv_q6_k_any, gemv_q6_k)
#ifdef QLM_AVXVNNI
DEFINE_GEMV(gemv_q4_k_r16_any, gemv_q4_k_r16)
#endif

/* One entry point per type: constants into the micro-kernel so each is compiled for
 * its type. */
#define DEFINE_GEMM(name, gt, o, J, G, aff, sg, is, gemv)                                          \
    static void name(int64_t n, int nr, int nt, const void *w, size_t w_stride, const void *a,     \
                     size_t a_stride, float *y, int64_t ldy, void *work) {                         \
        (void)work;                                                                                \
        const gemv_fn gv = gemv;                                                                   \
        if (gv && nt < GEMV_BELOW) {                                                               \
            gv(n, nr, nt, w, w_stride, a, a_stride, y, ldy);                                       \
            return;                                                                                \
        }                                                                                          \
        const gtype *g = &gt;                                                                      \
        const int nb = (int)(n / g->blk), nb4 = (nb + 3) / 4 * 4;                                  \
        const size_t nq = x86_prep_nq(n), doff = nq, eoff = nq + 4 * (nq / (size_t)g->blk);       \
        _Alignas(32) uint8_t panel[(size_t)KCH * REC_IS(8, true, true)];                           \
        const int8_t *qt[TOK];                                                                     \
        const int tb = x86_token_block(nt, a_stride, TOK, 16 * TOK);                               \
        const int ntg = (tb + TOK - 1) / TOK; /* micro-kernel calls per panel chunk (at most) */  \
        /* the next panel's rows the repack asks for (see pf_spread) */                          \
        int pf_rows = ROWS;                                                                        \
        if (nt <= PF_MICRO_MAX_TOKENS && !g->r16 && (o == ORD_NIB4 || o == ORD_NAT32)) {        \
            const size_t fit = PF_MICRO_GROUP_BYTES(J) * (size_t)ntg / (w_stride * 4 / (size_t)nb); \
            pf_rows = fit >= ROWS ? 0 : ROWS - (int)fit;                                           \
        }                                                                                          \
        for (int tb0 = 0; tb0 < nt; tb0 += tb) {                                                   \
            const int tb1 = nt - tb0 < tb ? nt : tb0 + tb;                                         \
            for (int r0 = 0; r0 < nr; r0 += ROWS) {                                                \
                const int rows = nr - r0 < ROWS ? nr - r0 : ROWS;                                  \
                for (int k0 = 0; k0 < nb4; k0 += KCH) {                                            \
                    const int k1 = nb4 - k0 < KCH ? nb4 : k0 + KCH;                                \
                    const int kr = k1 < nb ? k1 : nb; /* real blocks in this chunk */             \
                    /* the next panel's rows past pf_rows, this chunk's bytes: the calls' share */ \
                    pf_spread f = {0};                                                              \
                    if (pf_rows < ROWS && r0 + ROWS + pf_rows < nr) {                              \
                        const int nxt = nr - r0 - ROWS - pf_rows < ROWS - pf_rows ? nr - r0 - ROWS - pf_rows : ROWS - pf_rows; \
                        const size_t k0_bytes = (size_t)k0 * g->blk / g->unit * g->unit_bytes;     \
                        f.base = (const uint8_t *)w + (size_t)(r0 + ROWS + pf_rows) * w_stride + k0_bytes; \
                        f.stride = w_stride;                                                       \
                        f.span = (size_t)(kr - k0) * g->blk / g->unit * g->unit_bytes;             \
                        f.left = f.span * (size_t)nxt;                                             \
                    }                                                                              \
                    const size_t total = f.left, share = (total + ntg - 1) / ntg;                  \
                    f.step = (share + (size_t)(k1 - k0) / 4 - 1) / ((size_t)(k1 - k0) / 4);        \
                    repack((const uint8_t *)w + (size_t)r0 * w_stride, w_stride, rows, k0, kr, panel, g, r0, pf_rows); \
                    memset(panel + (size_t)REC_IS(J, aff, is) * (size_t)(kr - k0), 0, (size_t)REC_IS(J, aff, is) * (size_t)(k1 - kr)); \
                    for (int t0 = tb0; t0 < tb1; t0 += TOK) {                                      \
                        const int c = tb1 - t0 < TOK ? tb1 - t0 : TOK;                             \
                        pf_spread fc = f;                                                          \
                        const size_t off = share * (size_t)((t0 - tb0) / TOK);                     \
                        if (total) {                                                               \
                            fc.r = off / f.span;                                                   \
                            fc.c = off % f.span;                                                   \
                            fc.left = off < total ? (total - off < share ? total - off : share) : 0; \
                        }                                                                          \
                        pf_spread *pfp = total ? &fc : NULL;                                       \
                        for (int t = 0; t < c; t++) qt[t] = (const int8_t *)a + (size_t)(t0 + t) * a_stride; \
                        float *yp = y + (size_t)t0 * ldy + r0;                                     \
                        MICRO_CASES(o, J, G, aff, sg, is)                                          \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

/* Chunks hold whole units: 64 blocks of 32 = 8 super-blocks; 64 sub-blocks of 16 = 4. */
static const gtype G_Q4_0 = {up_q4_0, 32, 32, sizeof(block_q4_0), ORD_NIB4, 8, false, false, false, false};
static const gtype G_Q4_0_G8 = {up_q4_0_g8, 32, 256, sizeof(block_q4_0_g8), ORD_NIB4, 8, false, false, false, false};
static const gtype G_Q4_1 = {up_q4_1, 32, 32, sizeof(block_q4_1), ORD_NIB4, 8, true, false, false, false};
static const gtype G_Q5_0 = {up_q5_0, 32, 32, sizeof(block_q5_0), ORD_NIB4, 4, false, false, false, false};
static const gtype G_Q5_1 = {up_q5_1, 32, 32, sizeof(block_q5_1), ORD_NIB4, 4, true, false, false, false};
static const gtype G_Q8_0 = {up_q8_0, 32, 32, sizeof(block_q8_0), ORD_NAT32, 1, false, Q8_0_SIGNED, false, false};
static const gtype G_Q4_K = {up_q4_k, 32, 256, sizeof(block_q4_k), ORD_KQ, 8, true, false, false, true};
/* AVX-VNNI Q5_K keeps float scales: 16 of its 5-bit levels' products can overflow a
 * word, and the 4 vpdpwssd per block and token this would take (one per 8 weights)
 * chain longer than the block's vpdpbusd take (0.96x) */
#ifdef QLM_AVXVNNI
#define Q5_K_ISCALE false
#else
#define Q5_K_ISCALE true
#endif
static const gtype G_Q5_K = {up_q5_k, 32, 256, sizeof(block_q5_k), ORD_KQ, 4, true, false, false, Q5_K_ISCALE};
static const gtype G_Q6_K = {up_q6_k, 16, 256, sizeof(block_q6_k), ORD_NAT16, 2, false, false, false, false};

DEFINE_GEMM(gemm_q4_0, G_Q4_0, ORD_NIB4, 8, 8, false, false, false, gemv_q4_0_any)
DEFINE_GEMM(gemm_q4_0_g8, G_Q4_0_G8, ORD_NIB4, 8, 8, false, false, false, gemv_q4_0_g8_any)
DEFINE_GEMM(gemm_q4_1, G_Q4_1, ORD_NIB4, 8, 8, true, false, false, gemv_q4_1_any)
DEFINE_GEMM(gemm_q5_0, G_Q5_0, ORD_NIB4, 8, 4, false, false, false, gemv_q5_0_any)
DEFINE_GEMM(gemm_q5_1, G_Q5_1, ORD_NIB4, 8, 4, true, false, false, gemv_q5_1_any)
DEFINE_GEMM(gemm_q8_0, G_Q8_0, ORD_NAT32, 8, 1, false, Q8_0_SIGNED, false, gemv_q8_0_any)
DEFINE_GEMM(gemm_q4_k, G_Q4_K, ORD_KQ, 8, 8, true, false, true, gemv_q4_k_any)
#ifdef QLM_AVXVNNI
static const gtype G_Q4_K_R16 = {up_q4_k, 32, 256, sizeof(block_q4_k), ORD_KQ, 8, true, false, true, true};
DEFINE_GEMM(gemm_q4_k_r16, G_Q4_K_R16, ORD_KQ, 8, 8, true, false, true, gemv_q4_k_r16_any)
#endif
DEFINE_GEMM(gemm_q5_k, G_Q5_K, ORD_KQ, 8, 4, true, false, Q5_K_ISCALE, gemv_q5_k_any)
DEFINE_GEMM(gemm_q6_k, G_Q6_K, ORD_NAT16, 4, 2, false, false, false, gemv_q6_k_any)


#ifdef QLM_AVXVNNI
void qlm_avxvnni_fill_gemm(qlm_kernels *k) {
#else
void qlm_avx2_fill_gemm(qlm_kernels *k) {
#endif
    /* every type here has a matrix-vector loop, which beats vec_dot from one token
     * (Q6_K's by 1.05-1.1x, 1.5-1.75x for 2-3 tokens, which vec_dot unpacks once per
     * token; F16 1.7x: vec_dot converts the activations too) */
    for (int t = 0; t < QLM_TYPE_COUNT; t++) k->gemm_min_tokens[t] = 1;
    k->gemm_prep[QLM_TYPE_Q4_0] = qlm_x86_prep_q4_0;
    k->gemm[QLM_TYPE_Q4_0] = gemm_q4_0;
    k->gemm_prep[QLM_TYPE_Q4_0_G8] = qlm_x86_prep_q4_0; /* the same activations */
    k->gemm[QLM_TYPE_Q4_0_G8] = gemm_q4_0_g8;
    k->gemm_prep[QLM_TYPE_Q4_1] = qlm_x86_prep_q4_1;
    k->gemm[QLM_TYPE_Q4_1] = gemm_q4_1;
    k->gemm_prep[QLM_TYPE_Q5_0] = qlm_x86_prep_q5_0;
    k->gemm[QLM_TYPE_Q5_0] = gemm_q5_0;
    k->gemm_prep[QLM_TYPE_Q5_1] = qlm_x86_prep_q5_1;
    k->gemm[QLM_TYPE_Q5_1] = gemm_q5_1;
    k->gemm_prep[QLM_TYPE_Q8_0] = qlm_x86_prep_q8_0;
    k->gemm[QLM_TYPE_Q8_0] = gemm_q8_0;
    k->gemm_prep[QLM_TYPE_Q4_K] = qlm_x86_prep_q4_k;
    k->gemm[QLM_TYPE_Q4_K] = gemm_q4_k;
#ifdef QLM_AVXVNNI
    k->gemm_prep[QLM_TYPE_Q4_K_R16] = qlm_x86_prep_q4_k; /* Q4_K's activations */
    k->gemm[QLM_TYPE_Q4_K_R16] = gemm_q4_k_r16;
#endif
    k->gemm_prep[QLM_TYPE_Q5_K] = qlm_x86_prep_q4_k;
    k->gemm[QLM_TYPE_Q5_K] = gemm_q5_k;
    k->gemm_prep[QLM_TYPE_Q6_K] = qlm_x86_prep_q6_k;
    k->gemm[QLM_TYPE_Q6_K] = gemm_q6_k;
    k->gemm_prep[QLM_TYPE_F32] = qlm_x86_prep_f32;
    k->gemm[QLM_TYPE_F32] = qlm_avx2_gemm_f32;
    k->gemm_prep[QLM_TYPE_F16] = qlm_x86_prep_f16;
    k->gemm[QLM_TYPE_F16] = qlm_avx2_gemm_f16;
    k->gemm_prep[QLM_TYPE_BF16] = qlm_x86_prep_f32;
    k->gemm[QLM_TYPE_BF16] = qlm_avx2_gemm_bf16;
}
#endif
