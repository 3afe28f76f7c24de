/* AVX-512 VNNI matrix-vector products (1..3 tokens: token generation, and the last
 * tokens of a batch) for the quantized weight types, over activations prepared as
 * described in quant/kernels_x86.h; called through qlm_avx512_gemv by the matrix
 * products of gemm_avx512.c.
 *
 * Each weight row is read once and unpacked in registers with lane = position in the
 * row; vpdpbusd sums 4 products per 32-bit lane, so after a group of 4 blocks each
 * block's dot product sits in 4 lanes. Four groups are reduced together (reduce4) into
 * one vector of 16 block sums, which the per-block scales multiply in one go. Q4_K and
 * Q5_K skip that reduction: their activations have one scale per super-block, so the
 * sub-block sums are weighted by integer scales in the lanes (chunk_kq_int). Up to 3
 * tokens share the unpacking. The cost per block is what matters here (the loop must
 * keep up with memory bandwidth), so the activation layout is arranged for this loop.
 *
 * The interleaved layouts of --repack (Q4_K_R16, Q5_K_R16, Q6_K_R16, Q4_0_R16,
 * Q8_0_R16) have a loop of their own that holds one row per 32-bit lane (gemv_r16). */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VNNI__)
#include "gemm_avx512.h"

static inline __mmask64 bytes_mask(int64_t bytes) {
    return bytes >= 64 ? ~(__mmask64)0 : bytes <= 0 ? 0 : (((__mmask64)1 << bytes) - 1);
}

/* Four vectors holding 4 partial sums per block (lanes 4b..4b+3 of vector g belong to
 * block 4g+b) -> one vector of the 16 block sums. */
static inline __m512i reduce4(__m512i a0, __m512i a1, __m512i a2, __m512i a3) {
    const __m512i ia = _mm512_setr_epi32(0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29);
    const __m512i ib = _mm512_setr_epi32(2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
    const __m512i ic = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i id = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    __m512i t01 = _mm512_add_epi32(_mm512_permutex2var_epi32(a0, ia, a1), _mm512_permutex2var_epi32(a0, ib, a1));
    __m512i t23 = _mm512_add_epi32(_mm512_permutex2var_epi32(a2, ia, a3), _mm512_permutex2var_epi32(a2, ib, a3));
    return _mm512_add_epi32(_mm512_permutex2var_epi32(t01, ic, t23), _mm512_permutex2var_epi32(t01, id, t23));
}

static inline __m512i dp(__m512i acc, __m512i w, const int8_t *a) {
    return _mm512_dpbusd_epi32(acc, w, _mm512_load_si512((const void *)a));
}

/* ---- matrix-vector ------------------------------------------------------------------
 *
 * A chunk is 16 blocks (16 sub-blocks for K-quants). Each type's chunk function leaves
 * per token four "group" vectors, lanes 4b..4b+3 of vector g holding partial sums of
 * block 4g+b, and the 16 blocks' weight scales (and offsets) as floats; the shared code
 * reduces, applies the activation scales and corrections, and accumulates. `full`:
 * all 16 blocks exist (the row's last chunk may be short; loads there are masked so
 * nothing past the row is read, and the missing blocks count as zero). */
typedef struct {
    __m512i acc[3][4];
    __m512 ws, wm;
} chunk_out;

/* A zeroed register by the zero idiom (vpxord r, r, r: handled at register renaming,
 * no execution port) for each use: compilers otherwise keep one zero register and copy
 * it into every accumulator that vpdpbusd overwrites, and those copies take ports. */
static inline __m512i zero(void) {
    __m512i z;
    __asm__ volatile("vpxord %0, %0, %0" : "=v"(z));
    return z;
}

/* The f16 words at word w0 + k*stride (k = 0..3) of the group loads l0, l1 (l1 starting
 * off2 bytes in), into lanes 4g..4g+3 of the 16-word vector acc. */
static inline __attribute__((always_inline)) __m512i
gather4_f16(__m512i acc, __m512i l0, __m512i l1, int g, int w0, int stride, int off2) {
    _Alignas(64) int16_t ix[32] = {0};
    for (int k = 0; k < 4; k++) {
        const int src = w0 + k * stride;
        ix[4 * g + k] = (int16_t)(src < 32 ? src : 32 + src - off2 / 2);
    }
    const __mmask32 m = (__mmask32)(0xFu << (4 * g));
    if (w0 + 3 * stride < 32) /* all in the first load (Q4_0, Q4_1): one merging permute */
        return _mm512_mask_permutexvar_epi16(acc, m, _mm512_load_si512(ix), l0);
    return _mm512_mask_mov_epi16(acc, m, _mm512_permutex2var_epi16(l0, _mm512_load_si512(ix), l1));
}

/* 4 blocks of the nibble formats: from two loads of the group (the second `off2` bytes
 * in), the 64 qs bytes in block order (word index table idxq), then low and high
 * nibbles. */
static inline void nib_group(__m512i l0, __m512i l1, __m512i idxq, __m512i *lo, __m512i *hi) {
    const __m512i m4 = _mm512_set1_epi8(15);
    const __m512i q = _mm512_permutex2var_epi16(l0, idxq, l1);
    *lo = _mm512_and_si512(q, m4);
    *hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
}

/* Word indices of the 4 x 16 qs bytes of a group of 4 blocks of `bsz` bytes with qs at
 * byte qoff, given a second load `off2` bytes in. */
static inline __m512i qs_index(int bsz, int qoff, int off2) {
    _Alignas(64) int16_t ix[32];
    for (int i = 0; i < 32; i++) {
        int src = (bsz * (i / 8) + qoff) / 2 + i % 8;
        ix[i] = (int16_t)(src < 32 ? src : 32 + src - off2 / 2);
    }
    return _mm512_load_si512(ix);
}

/* Loads of group g of a chunk: `full` or the number of blocks left decide masking. */
static inline __attribute__((always_inline)) bool
group_loads(const uint8_t *row, int c, int g, int nb, int bsz, int off2, bool full, __m512i *l0, __m512i *l1) {
    const int left = full ? 4 : nb - c - 4 * g;
    if (left <= 0) return false;
    const uint8_t *p = row + (size_t)bsz * (size_t)(c + 4 * g);
    if (left >= 4) {
        *l0 = _mm512_loadu_si512(p);
        *l1 = _mm512_loadu_si512(p + off2);
    } else {
        *l0 = _mm512_maskz_loadu_epi8(bytes_mask(bsz * left), p);
        *l1 = _mm512_maskz_loadu_epi8(bytes_mask(bsz * left - off2), p + off2);
    }
    return true;
}

/* bit 4 of the levels of Q5_0/Q5_1: per 16-byte lane b of lo (hi), bits 0..15
 * (16..31) of block b's qh word, gathered into words 8b, 8b+1 of qhw. */
static inline void q5_high(__m512i qhw, __m512i *lo, __m512i *hi) {
    const __m512i sel_lo = _mm512_set4_epi32(0x01010101, 0x01010101, 0, 0);
    const __m512i sel_hi = _mm512_set4_epi32(0x03030303, 0x03030303, 0x02020202, 0x02020202);
    const __m512i bits = _mm512_set1_epi64(0x8040201008040201LL);
    const __m512i h16 = _mm512_set1_epi8(16);
    __mmask64 klo = _mm512_test_epi8_mask(_mm512_shuffle_epi8(qhw, sel_lo), bits);
    __mmask64 khi = _mm512_test_epi8_mask(_mm512_shuffle_epi8(qhw, sel_hi), bits);
    *lo = _mm512_mask_add_epi8(*lo, klo, *lo, h16);
    *hi = _mm512_mask_add_epi8(*hi, khi, *hi, h16);
}

/* Word index table putting block b's qh words (at byte qhoff of a bsz-byte block) at
 * words 8b, 8b+1. */
static inline __m512i qh_index(int bsz, int qhoff, int off2) {
    _Alignas(64) int16_t ix[32];
    for (int i = 0; i < 32; i++) {
        int src = (bsz * (i / 8) + qhoff) / 2 + (i % 8 == 1);
        ix[i] = (int16_t)(src < 32 ? src : 32 + src - off2 / 2);
    }
    return _mm512_load_si512(ix);
}

/* Q4_0, Q4_1, Q5_0, Q5_1: groups of 4 blocks, activations in NIB4 order. */
static inline __attribute__((always_inline)) void
chunk_nib(const uint8_t *row, int c, int nb, const prow *A, chunk_out *o, const int NT, const bool full,
          const int bsz, const int qoff, const int qhoff, const bool affine) {
    const int off2 = bsz * 4 - 64; /* the second load ends where the group does */
    const __m512i idxq = qs_index(bsz, qoff, off2);
    const __m512i idxh = qhoff ? qh_index(bsz, qhoff, off2) : zero();
    __m512i dwh = zero(), dmh = zero();
    QLM_UNROLL_FULL for (int g = 0; g < 4; g++) {
        __m512i l0, l1, lo, hi;
        if (!group_loads(row, c, g, nb, bsz, off2, full, &l0, &l1)) {
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) o->acc[t][g] = zero();
            continue;
        }
        if (full) {
            /* the 4 blocks' 16 qs bytes by 128-bit loads merged into one vector: inserts
             * from memory are not shuffles, so port 5 stays free for the reductions */
            const uint8_t *p = x86_opaque(row + (size_t)bsz * (size_t)(c + 4 * g) + qoff);
            __m512i q = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)p));
            q = _mm512_inserti32x4(q, _mm_loadu_si128((const __m128i *)(p + bsz)), 1);
            q = _mm512_inserti32x4(q, _mm_loadu_si128((const __m128i *)(p + 2 * bsz)), 2);
            q = _mm512_inserti32x4(q, _mm_loadu_si128((const __m128i *)(p + 3 * bsz)), 3);
            lo = _mm512_and_si512(q, _mm512_set1_epi8(15));
            hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), _mm512_set1_epi8(15));
        } else {
            nib_group(l0, l1, idxq, &lo, &hi);
        }
        if (qhoff) q5_high(_mm512_permutex2var_epi16(l0, idxh, l1), &lo, &hi);
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
            const int8_t *aq = A[t].q + 32 * (size_t)c + 128 * g;
            o->acc[t][g] = dp(dp(zero(), lo, aq), hi, aq + 64);
        }
        dwh = gather4_f16(dwh, l0, l1, g, 0, bsz / 2, off2);
        if (affine) dmh = gather4_f16(dmh, l0, l1, g, 1, bsz / 2, off2);
    }
    o->ws = _mm512_cvtph_ps(_mm512_castsi512_si256(dwh));
    if (affine) o->wm = _mm512_cvtph_ps(_mm512_castsi512_si256(dmh));
}

/* Q4_0_G8 (quant/blocks.h): the qs of 4 blocks are 64 contiguous bytes and a chunk's 16
 * scales two 16-byte runs, so a group is one load, where Q4_0 needs a load and three
 * inserts, and the scales one conversion, where Q4_0 gathers them by four permutes
 * (1.4x Q4_0's loop on cache-resident weights, one thread). Activations as Q4_0's.
 * Rows hold whole super-blocks (8 blocks): a short last chunk has exactly one. */
static inline __attribute__((always_inline)) void
chunk_q4_0_g8(const uint8_t *row, int c, const prow *A, chunk_out *o, const int NT, const bool full) {
    const uint8_t *sb = row + sizeof(block_q4_0_g8) * (size_t)(c / 8);
    const __m512i m4 = _mm512_set1_epi8(15);
    QLM_UNROLL_FULL for (int g = 0; g < 4; g++) {
        if (g >= 2 && !full) { /* the row's last super-block, alone */
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) o->acc[t][g] = zero();
            continue;
        }
        const __m512i q = _mm512_loadu_si512(sb + sizeof(block_q4_0_g8) * (size_t)(g / 2) + 16 + 64 * (g % 2));
        const __m512i lo = _mm512_and_si512(q, m4), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
            const int8_t *aq = A[t].q + 32 * (size_t)c + 128 * g;
            o->acc[t][g] = dp(dp(zero(), lo, aq), hi, aq + 64);
        }
    }
    const __m128i d0 = _mm_loadu_si128((const __m128i *)sb);
    const __m128i d1 = full ? _mm_loadu_si128((const __m128i *)(sb + sizeof(block_q4_0_g8))) : _mm_setzero_si128();
    o->ws = _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(d0), d1, 1));
}

/* Q8_0: pairs of blocks (68 bytes) give 8 lanes per block; two pairs fold into a group
 * vector of 4 lanes per block. */
static inline __attribute__((always_inline)) void
chunk_q8_0(const uint8_t *row, int c, int nb, const prow *A, chunk_out *o, const int NT, const bool full) {
    _Alignas(64) static const int16_t ixq[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                                 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 + 30, 32 + 31};
    const __m512i idxq = _mm512_load_si512(ixq);
    const __m512i fa = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
    const __m512i fb = _mm512_setr_epi32(4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i dwh = zero();
    QLM_UNROLL_FULL for (int g = 0; g < 4; g++) {
        __m512i pacc[3][2];
        QLM_UNROLL_FULL for (int h = 0; h < 2; h++) {
            const int b = c + 4 * g + 2 * h, left = full ? 2 : nb - b;
            if (left <= 0) {
                QLM_UNROLL_FULL for (int t = 0; t < NT; t++) pacc[t][h] = zero();
                continue;
            }
            const uint8_t *p = row + 34 * (size_t)b;
            __m512i l0, w;
            if (left >= 2) {
                /* the two blocks' qs by two 32-byte loads (cheaper than a two-source
                 * word permute, which competes with the reductions for port 5) */
                const uint8_t *qs = x86_opaque(p + 2); /* l0 holds these bytes too */
                l0 = _mm512_loadu_si512(p);
                w = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)qs)),
                                       _mm256_loadu_si256((const __m256i *)(qs + 34)), 1);
            } else {
                l0 = _mm512_maskz_loadu_epi8(bytes_mask(34), p);
                __m512i l1 = _mm512_maskz_loadu_epi8(bytes_mask(30), p + 4);
                w = _mm512_permutex2var_epi16(l0, idxq, l1);
            }
            w = _mm512_xor_si512(w, flip);
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++)
                pacc[t][h] = dp(zero(), w, A[t].q + 32 * (size_t)b);
            /* scales of blocks b, b+1 at words 0 and 17, into lanes 4g+2h.. */
            const __m512i ix = _mm512_set_epi16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                17, 0, 17, 0, 17, 0, 17, 0, 17, 0, 17, 0, 17, 0, 17, 0);
            dwh = _mm512_mask_permutexvar_epi16(dwh, (__mmask32)(0x3u << (4 * g + 2 * h)), ix, l0);
        }
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++)
            o->acc[t][g] = _mm512_add_epi32(_mm512_permutex2var_epi32(pacc[t][0], fa, pacc[t][1]),
                                            _mm512_permutex2var_epi32(pacc[t][0], fb, pacc[t][1]));
    }
    o->ws = _mm512_cvtph_ps(_mm512_castsi512_si256(dwh));
}

/* x86_kq_scale_bytes (quant/simd_x86.h) for two super-blocks at once, one per 128-bit
 * lane: the 6-bit scales and mins of two Q4_K/Q5_K super-blocks (12 bytes each at s0, s1;
 * layout in quant/blocks.h; the second zero when absent) as bytes, one super-block per
 * 128-bit lane: [sc 0-3 | sc 4-7 | mn 0-3 | mn 4-7]. Computed in vector registers (a
 * general-purpose-register round trip cost four inserts per vector). Reads 16 bytes at
 * each: the 12 scale bytes and 4 of the qs that follow. */
static inline __m256i kq_scale_vec2(const uint8_t *s0, const uint8_t *s1, bool two) {
    const __m128i v1 = two ? _mm_loadu_si128((const __m128i *)s1) : _mm_setzero_si128();
    const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)s0)), v1, 1);
    const __m256i m6 = _mm256_set1_epi8(0x3f), m4 = _mm256_set1_epi8(0x0f), m2 = _mm256_set1_epi8(0x03);
    const __m256i a = _mm256_and_si256(v, m6);
    const __m256i u2 = _mm256_shuffle_epi32(v, 0xAA);
    const __m256i lo = _mm256_and_si256(_mm256_srlv_epi32(u2, _mm256_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4)), m4);
    const __m256i hi = _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(v, 6), m2), 4);
    return _mm256_unpacklo_epi32(a, _mm256_or_si256(lo, hi));
}

/* Word indices, into [sc 0-7 | mn 0-7] of super-block h (words 16h..), of the scale of
 * each word of packs(low-nibble products, high-nibble products) of 64 qs bytes k: per
 * 128-bit lane, words 0-3 come from the low nibbles' lanes, 4-7 from the high nibbles';
 * lanes 0-1 of the products are sub-blocks 4k / 4k+1, lanes 2-3 are 4k+2 / 4k+3. */
static inline __m512i kq_word_index(int h, int k) {
    _Alignas(64) int16_t ix[32];
    for (int j = 0; j < 32; j++) ix[j] = (int16_t)(16 * h + 4 * k + (j / 8 >= 2 ? 2 : 0) + (j % 8 >= 4 ? 1 : 0));
    return _mm512_load_si512(ix);
}

/* Q4_K / Q5_K matrix-vector. Their activations are Q8_K: one scale per super-block
 * (quant/prep_avx2.c), so a super-block's 8 sub-block sums can be weighted by their
 * integer scales and added in int32, leaving one float multiply-add per two super-blocks
 * and one cross-lane reduction per row (the per-block path below needs 7 permutes per
 * super-block to separate the sums). vpdpbusd leaves sums of 4 products in 32-bit lanes
 * (|x| <= 4 * 31 * 128 < 2^15); vpackssdw packs the low- and high-nibble lanes into
 * words without loss, and vpdpwssd multiplies each word by its sub-block's scale and
 * adds word pairs, which always belong to the same sub-block. The min term stays per
 * sub-block: -dmin * mn * (d * sum of the levels), the prepared e. */
static inline __attribute__((always_inline)) void
chunk_kq_int(const uint8_t *row, int c, int nb, const prow *A, __m512 *facc, const int NT, const bool q5) {
    const int bsz = q5 ? 176 : 144, qoff = q5 ? 48 : 16;
    const __m512i m4 = _mm512_set1_epi8(15), h16 = _mm512_set1_epi8(16);
    const uint8_t *sb0 = row + (size_t)bsz * (size_t)(c / 8);
    const bool two = c / 8 + 1 < nb / 8;
    /* words: [sc 0-7 | mn 0-7] of super-block 0, then of super-block 1 */
    const __m512i sw = _mm512_cvtepu8_epi16(kq_scale_vec2(sb0 + 4, sb0 + bsz + 4, two));
    /* d | dmin << 16 of each super-block in dwords 0 and 1 (masked loads: no lane moves) */
    const __m128i dd = _mm_or_si128(_mm_maskz_loadu_epi32(1, sb0), _mm_maskz_loadu_epi32(two ? 2 : 0, sb0 + bsz - 4));
    const __m512 dv = _mm512_cvtph_ps(_mm256_castsi128_si256(dd));
    __m512i iacc[2][3];
    QLM_UNROLL_FULL for (int h = 0; h < 2; h++) {
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) iacc[h][t] = zero();
        if (h == 1 && !two) break;
        const uint8_t *sb = sb0 + (size_t)bsz * (size_t)h;
        __m512i qh2 = zero();
        if (q5) qh2 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(sb + 16)));
        QLM_UNROLL_FULL for (int k = 0; k < 2; k++) {
            const __m512i q = _mm512_loadu_si512(sb + qoff + 64 * k);
            __m512i lo = _mm512_and_si512(q, m4), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), m4);
            if (q5) { /* bit 4 of sub-block s is bit s of qh[l]: lo takes bits 4k (low half)
                       * and 4k + 2 (high half), hi the next ones; each moved to bit 4 by a
                       * 64-bit shift per half (bits crossing into a neighbouring byte land
                       * below bit 4 on the left shifts, above it on the right ones), then
                       * OR-ed in under a mask of bit 4 by one ternary-logic instruction */
                const __m512i qlo = k == 0 ? _mm512_sllv_epi64(qh2, _mm512_setr_epi64(4, 4, 4, 4, 2, 2, 2, 2))
                                           : _mm512_srlv_epi64(qh2, _mm512_setr_epi64(0, 0, 0, 0, 2, 2, 2, 2));
                const __m512i qhi = k == 0 ? _mm512_sllv_epi64(qh2, _mm512_setr_epi64(3, 3, 3, 3, 1, 1, 1, 1))
                                           : _mm512_srlv_epi64(qh2, _mm512_setr_epi64(1, 1, 1, 1, 3, 3, 3, 3));
                lo = _mm512_ternarylogic_epi32(lo, qlo, h16, 0xF8); /* lo | (qlo & h16) */
                hi = _mm512_ternarylogic_epi32(hi, qhi, h16, 0xF8);
            }
            const __m512i scw = _mm512_permutexvar_epi16(kq_word_index(h, k), sw);
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                const int8_t *aq = A[t].q + 32 * (size_t)c + 256 * h + 128 * k;
                const __m512i p = _mm512_packs_epi32(dp(zero(), lo, aq), dp(zero(), hi, aq + 64));
                iacc[h][t] = _mm512_dpwssd_epi32(iacc[h][t], p, scw);
            }
        }
    }
    /* one conversion for both super-blocks: lanes 0-7 sum the first one's halves, 8-15
     * the second's, times d and the activation scale (A.d of sub-blocks c..c+15: the
     * first super-block's 8 values, then the second's) */
    const __m512 d8 = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2), dv);
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
        const __m512i s = _mm512_add_epi32(_mm512_shuffle_i64x2(iacc[0][t], iacc[1][t], 0x44),
                                           _mm512_shuffle_i64x2(iacc[0][t], iacc[1][t], 0xEE));
        facc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(d8, _mm512_load_ps(A[t].d + c)), facc[t]);
    }
    /* min term: lanes 0-7 the first super-block's sub-blocks, 8-15 the second's */
    _Alignas(64) static const int16_t mix[32] = {8,  0, 9,  0, 10, 0, 11, 0, 12, 0, 13, 0, 14, 0, 15, 0,
                                                 24, 0, 25, 0, 26, 0, 27, 0, 28, 0, 29, 0, 30, 0, 31, 0};
    const __m512i mn = _mm512_maskz_permutexvar_epi16(0x55555555u, _mm512_load_si512(mix), sw);
    const __m512 dmin = _mm512_permutexvar_ps(_mm512_setr_epi32(1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3), dv);
    const __m512 wm = _mm512_mul_ps(_mm512_cvtepi32_ps(mn), dmin);
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) /* facc -= dmin * mn * e */
        facc[t] = _mm512_fnmadd_ps(wm, _mm512_load_ps((const float *)A[t].e + c), facc[t]);
}

/* Q6_K: a chunk is one super-block (16 sub-blocks of 16). Each 64 bytes of ql with
 * their 2-bit highs give 64 levels in natural order: 4 lanes per sub-block already. */
static inline __attribute__((always_inline)) void
chunk_q6_k(const uint8_t *row, int c, const prow *A, chunk_out *o, const int NT) {
    const uint8_t *sb = row + 210 * (size_t)(c / 16);
    const __m512i m4 = _mm512_set1_epi8(15), m30 = _mm512_set1_epi8(0x30);
    const __m512i shl = _mm512_setr_epi64(4, 4, 4, 4, 2, 2, 2, 2), shr = _mm512_setr_epi64(0, 0, 0, 0, 2, 2, 2, 2);
    QLM_UNROLL_FULL for (int h = 0; h < 2; h++) {
        const __m512i ql = _mm512_loadu_si512(sb + 64 * h);
        const __m512i qh2 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(sb + 128 + 32 * h)));
        /* levels = nibble | 2 high bits << 4: low nibbles take qh bits 0-1 (first 32)
         * and 2-3 (next 32), high nibbles bits 4-5 and 6-7 */
        const __m512i lo = _mm512_ternarylogic_epi64(ql, m4, _mm512_and_si512(_mm512_sllv_epi64(qh2, shl), m30), 0xEA);
        const __m512i hi = _mm512_ternarylogic_epi64(_mm512_srli_epi16(ql, 4), m4,
                                                     _mm512_and_si512(_mm512_srlv_epi64(qh2, shr), m30), 0xEA);
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
            const int8_t *aq = A[t].q + 16 * (size_t)c + 128 * h;
            o->acc[t][2 * h] = dp(zero(), lo, aq);
            o->acc[t][2 * h + 1] = dp(zero(), hi, aq + 64);
        }
    }
    qlm_f16 d;
    memcpy(&d, sb + 208, 2);
    const __m512 sc = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(sb + 192))));
    o->ws = _mm512_mul_ps(sc, _mm512_set1_ps(x86_f16(d)));
}

/* The shared part: reduce, scale, accumulate. e is int32 (-bias*sum) for symmetric
 * types, float (min term) for affine ones. */
static inline __attribute__((always_inline)) void
chunk_finish(const chunk_out *o, const prow *A, int c, __m512 *facc, const int NT, const bool affine) {
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
        __m512i s = reduce4(o->acc[t][0], o->acc[t][1], o->acc[t][2], o->acc[t][3]);
        if (!affine) s = _mm512_add_epi32(s, _mm512_load_si512((const int32_t *)A[t].e + c));
        const __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(s), _mm512_load_ps(A[t].d + c));
        facc[t] = _mm512_fmadd_ps(f, o->ws, facc[t]);
        if (affine) facc[t] = _mm512_fmadd_ps(o->wm, _mm512_load_ps((const float *)A[t].e + c), facc[t]);
    }
}


static inline __attribute__((always_inline)) void
gemv_chunk(qtype qt, const uint8_t *row, int c, int nb, const prow *A, __m512 *facc, const int NT, const bool full) {
    if (qt == T_Q4_K || qt == T_Q5_K) {
        chunk_kq_int(row, c, nb, A, facc, NT, qt == T_Q5_K);
        return;
    }
    chunk_out o;
    switch (qt) {
    case T_Q4_0: chunk_nib(row, c, nb, A, &o, NT, full, 18, 2, 0, false); break;
    case T_Q4_1: chunk_nib(row, c, nb, A, &o, NT, full, 20, 4, 0, true); break;
    case T_Q5_0: chunk_nib(row, c, nb, A, &o, NT, full, 22, 6, 2, false); break;
    case T_Q5_1: chunk_nib(row, c, nb, A, &o, NT, full, 24, 8, 4, true); break;
    case T_Q8_0: chunk_q8_0(row, c, nb, A, &o, NT, full); break;
    case T_Q4_K: case T_Q5_K: break; /* chunk_kq_int, above */
    case T_Q6_K: chunk_q6_k(row, c, A, &o, NT); break;
    case T_Q4_0_G8: chunk_q4_0_g8(row, c, A, &o, NT, full); break;
    case T_Q4_K_R16: case T_Q6_K_R16: case T_Q4_0_R16: case T_Q8_0_R16: case T_Q5_K_R16: break; /* gemv_r16 */
    }
    const bool affine = qt == T_Q4_1 || qt == T_Q5_1 || qt == T_Q4_K || qt == T_Q5_K;
    chunk_finish(&o, A, c, facc, NT, affine);
}


static inline __attribute__((always_inline)) void
gemv_r16(qtype qt, int64_t n, int nr, const uint8_t *w, const uint8_t *a, size_t a_stride, float *y, int64_t ldy,
         const int NT);

/* nr rows x NT tokens; nb blocks of B values per row (sub-blocks for K-quants). */
static inline __attribute__((always_inline)) void
gemv(qtype qt, int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a, size_t a_stride,
     float *y, int64_t ldy, const int NT) {
    if (qt >= T_Q4_K_R16) { /* rows interleaved: a loop of their own */
        gemv_r16(qt, n, nr, w, a, a_stride, y, ldy, NT);
        return;
    }
    const int B = qt == T_Q6_K ? 16 : 32;
    const int nb = (int)(n / B), nfull = nb / 16 * 16;
    /* bytes of weights per chunk of 16 blocks (sub-blocks) */
    static const int chunk_bytes[] = {[T_Q4_0] = 288, [T_Q4_1] = 320, [T_Q5_0] = 352, [T_Q5_1] = 384,
                                      [T_Q8_0] = 544, [T_Q4_K] = 288, [T_Q5_K] = 352, [T_Q6_K] = 210,
                                      [T_Q4_0_G8] = 288, [T_Q4_K_R16] = 288, [T_Q6_K_R16] = 210,
                                      [T_Q4_0_R16] = 288, [T_Q8_0_R16] = 544, [T_Q5_K_R16] = 352};
    const int cb = chunk_bytes[qt];
    prow A[3];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) A[t] = x86_prow_of(a + (size_t)t * a_stride, n, B);
    int r = 0;
    if (NT == 1) {
        /* token generation: two rows at once, two independent streams and reduction
         * chains in flight (four rows measured 5-20% slower: registers spill); the
         * rows' accumulators are summed 16 at a time */
        __m512 fb[16]; /* 16 rows' accumulators, summed together (avx512_sum16) */
        int nf = 0;
        for (; r + 2 <= nr; r += 2) {
            const uint8_t *row0 = w + (size_t)r * w_stride, *row1 = row0 + w_stride;
            __m512 f0 = _mm512_setzero_ps(), f1 = _mm512_setzero_ps();
            for (int c = 0; c < nfull; c += 16) {
                const size_t o = (size_t)cb * (size_t)(c / 16) + PF_DIST;
                QLM_UNROLL_FULL for (int k = 0; k < cb; k += 64) {
                    _mm_prefetch((const char *)row0 + o + k, PF_HINT);
                    _mm_prefetch((const char *)row1 + o + k, PF_HINT);
                    _mm_prefetch((const char *)row0 + o - PF_DIST + PF_L1 + k, _MM_HINT_T0);
                    _mm_prefetch((const char *)row1 + o - PF_DIST + PF_L1 + k, _MM_HINT_T0);
                }
                gemv_chunk(qt, row0, c, nb, A, &f0, 1, true);
                gemv_chunk(qt, row1, c, nb, A, &f1, 1, true);
            }
            if (nfull < nb) {
                gemv_chunk(qt, row0, nfull, nb, A, &f0, 1, false);
                gemv_chunk(qt, row1, nfull, nb, A, &f1, 1, false);
            }
            fb[nf++] = f0;
            fb[nf++] = f1;
            if (nf == 16) {
                _mm512_storeu_ps(y + r + 2 - 16, avx512_sum16(fb));
                nf = 0;
            }
        }
        if (nf) {
            for (int i = nf; i < 16; i++) fb[i] = _mm512_setzero_ps();
            _mm512_mask_storeu_ps(y + r - nf, (__mmask16)((1u << nf) - 1), avx512_sum16(fb));
        }
    }
    for (; r < nr; r++) {
        const uint8_t *row = w + (size_t)r * w_stride;
        __m512 facc[3];
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) facc[t] = _mm512_setzero_ps();
        for (int c = 0; c < nfull; c += 16) {
            /* The weights stream from memory once: the hardware prefetcher alone leaves
             * this loop waiting on misses, so ask for the bytes PF_DIST ahead (the rows
             * of a matrix are contiguous; prefetches past its end are harmless). */
            const uint8_t *pf = row + (size_t)cb * (size_t)(c / 16) + PF_DIST;
            QLM_UNROLL_FULL for (int o = 0; o < cb; o += 64) {
                _mm_prefetch((const char *)pf + o, PF_HINT);
                _mm_prefetch((const char *)pf - PF_DIST + PF_L1 + o, _MM_HINT_T0);
            }
            gemv_chunk(qt, row, c, nb, A, facc, NT, true);
        }
        if (nfull < nb) gemv_chunk(qt, row, nfull, nb, A, facc, NT, false);
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) y[(size_t)t * ldy + r] = _mm512_reduce_add_ps(facc[t]);
    }
}

/* ---- Q4_K_R16 matrix-vector: 16 rows interleaved (quant/blocks.h) -------------------
 *
 * One row per 32-bit lane: each 64-byte load holds 4 weights of sub-blocks 2c (low
 * nibbles) and 2c+1 (high) of the 16 rows, multiplied by 4 activation bytes broadcast
 * from memory, one vpdpbusd per sub-block. The 16 rows' results come out in one vector:
 * no horizontal sums and no scale permutes (chunk_kq_int spends half its instructions
 * on those). After every 16 weights of a sub-block its sums (|x| <= 16 * 15 * 128 <
 * 2^15, a valid word) are weighted by the integer scale with vpdpwssd (the scale
 * zero-extended into the lane, so the other word multiplies 0), leaving one conversion
 * and float multiply-add per super-block; the min term is -dmin * sum_j mn[j] * e[j]
 * (e: d * the sum of the sub-block's activation levels, as for Q4_K). */

/* Where sub-block j of a super-block sits in a Q4_K prepared row (ORD_KQ, per 128
 * values: sub-blocks 4i, 4i+2, 4i+1, 4i+3). */
static inline int kq_sub_off(int j) { return 128 * (j / 4) + 32 * ((j % 4) / 2) + 64 * (j % 2); }

/* The weights stream from memory once: each line R16_DIST (Q4_0_R16: R40_DIST) bytes
 * ahead into L2 and PF_L1 bytes ahead into L1, as the per-row loop asks for them; each
 * step of a block asks for its share of the block's bytes, so the requests are spread
 * over the block as it is consumed. always_inline: gcc 12 drops calls to a function that only prefetches
 * when it does not inline it (no side effects), and did so here.
 * The interleaved loops read one stream; generation with their matrices in 2 MiB pages
 * (--repack) ran faster with their L2 prefetches nearer than PF_DIST: tg64 of
 * tl-q4_k_m.gguf / tl-q6_k.gguf, -rtr 1, 1 and 2 threads, alternating builds, 4 KiB
 * ahead 1.02-1.05x 8 KiB, 3 KiB the same as 4; Q4_0_R16 (tl-q4_0.gguf) 3 KiB 1.02x
 * 4 KiB, 1.07x 8 KiB (6 KiB as 8, 2 KiB as 4; dropping the L1 prefetch 0.93-0.96x);
 * Q8_0_R16 (tl-q8_0.gguf) 4 KiB as 3, 1.01-1.04x 6 KiB. The kernel bench (4 KiB pages,
 * one 29 MiB matrix) could not tell them apart. */
#define R16_DIST 4096
#define R40_DIST 3072
/* Step i of a block's prefetches, for every interleaved layout: the lines from b + i
 * step bytes up to span bytes further, dist bytes ahead into L2 and PF_L1 into L1. */
static inline __attribute__((always_inline)) void r16_prefetch(const void *b, int step, int i, int span, int dist) {
    const char *p = (const char *)b + (size_t)step * (size_t)i;
    QLM_UNROLL_FULL for (int o = 0; o < span; o += 64) {
        _mm_prefetch(p + dist + o, PF_HINT);
        _mm_prefetch(p + PF_L1 + o, _MM_HINT_T0);
    }
}

/* Block s of a group (16 rows x 256 values) x NT tokens, added to facc. Q5_K_R16's
 * 5-bit levels reach 16 * 31 * 128 > 2^15 over the 16 weights Q4_K's sums take before
 * vpdpwssd reads them as words, so its sums are weighted every 8 weights. */
static inline __attribute__((always_inline)) void
r16_block(const uint8_t *grp, int64_t s, const prow *A, __m512 *facc, const int NT, const bool q5) {
    const r16_parts b = r16_parts_of(grp, s, q5);
    const size_t bbytes = q5 ? sizeof(block_q5_k_r16) : sizeof(block_q4_k_r16);
    const int L = q5 ? 2 : 4, H = q5 ? 4 : 2; /* lines per weighting; weightings per 8 lines */
    __m512i v[4];
    r16_scales(b.sl, b.sh, v);
    __m512i iacc[3];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) iacc[t] = zero();
    QLM_UNROLL_FULL for (int c = 0; c < 4; c++) {
        const __m512i sc0 = r16_j32(v, 2 * c), sc1 = r16_j32(v, 2 * c + 1);
        QLM_UNROLL_FULL for (int h = 0; h < H; h++) {
            const int step = (int)bbytes / (32 / L); /* a share of the block per weighting */
            r16_prefetch(b.d, step, H * c + h, step + 64, R16_DIST);
            __m512i p0[3], p1[3];
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) p0[t] = p1[t] = zero();
            QLM_UNROLL_FULL for (int g = L * h; g < L * h + L; g++) {
                __m512i lo, hi;
                r16_levels(&b, c, g, &lo, &hi);
                QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                    const int8_t *aq = A[t].q + QK_K * (size_t)s + kq_sub_off(2 * c) + 4 * g;
                    p0[t] = DPB(p0[t], lo, aq);
                    p1[t] = DPB(p1[t], hi, aq + 64); /* sub-block 2c + 1 */
                }
            }
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++)
                iacc[t] = _mm512_dpwssd_epi32(_mm512_dpwssd_epi32(iacc[t], p0[t], sc0), p1[t], sc1);
        }
    }
    const __m512 dv = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b.d));
    const __m512 dmv = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b.dmin));
    __m512 mn[8];
    QLM_UNROLL_FULL for (int j = 0; j < 8; j++) mn[j] = _mm512_cvtepi32_ps(r16_j32(v, 8 + j));
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
        const float *e = (const float *)A[t].e + 8 * s;
        __m512 wm = _mm512_mul_ps(mn[0], _mm512_set1_ps(e[0]));
        QLM_UNROLL_FULL for (int j = 1; j < 8; j++) wm = _mm512_fmadd_ps(mn[j], _mm512_set1_ps(e[j]), wm);
        const __m512 dd = _mm512_mul_ps(dv, _mm512_set1_ps(A[t].d[8 * s]));
        facc[t] = _mm512_fnmadd_ps(dmv, wm, _mm512_fmadd_ps(_mm512_cvtepi32_ps(iacc[t]), dd, facc[t]));
    }
}

/* ---- Q6_K_R16 matrix-vector: 16 Q6_K rows interleaved (quant/blocks.h) -------------
 *
 * One row per 32-bit lane again. A chunk's three lines (ql, ql, qh) make four weight
 * vectors, 4 consecutive 6-bit levels of one sub-block each (11 logic instructions for
 * 256 weights: the 2 high bits are moved next to their nibble with shifts and a bit
 * select), so four vpdpbusd per token, each against its sub-block's 4 activation bytes
 * broadcast from memory. A sub-block's sum starts at the prepared -32 sum(q) (levels
 * are stored + 32), so it is sum q (level - 32), |x| <= 16 * 128 * 32; times the
 * signed 8-bit scale (vpmulld), 16 of them add up to < 2^28. One conversion and float
 * multiply-add per super-block: d of each row times the token's d. */
static inline __attribute__((always_inline)) void
r6_block(const uint8_t *grp, int64_t s, const prow *A, __m512 *facc, const int NT) {
    const block_q6_k_r16 *b = (const block_q6_k_r16 *)grp + s;
    const uint8_t *q = q6_k_r16_q(b);
    const int8_t *scb = q6_k_r16_scales(b);
    __m512i iacc[3];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) iacc[t] = zero();
    QLM_UNROLL_FULL for (int h = 0; h < 2; h++) {
        QLM_UNROLL_FULL for (int gh = 0; gh < 2; gh++) {
            /* sub-blocks 8h + 2m + gh, m = 0..3: weights 128h + 32m + 16gh .. + 15 */
            __m512i p[3][4];
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                const int32_t *e = (const int32_t *)A[t].e + 16 * s + 8 * h + gh;
                QLM_UNROLL_FULL for (int m = 0; m < 4; m++) p[t][m] = _mm512_set1_epi32(e[2 * m]);
            }
            QLM_UNROLL_FULL for (int g = 4 * gh; g < 4 * gh + 4; g++) {
                r16_prefetch(b, 210, 8 * h + g, 256, R16_DIST); /* chunk's share (1/16) of the block */
                __m512i wv[4];
                r6_levels(q, 8 * h + g, wv);
                QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                    const int8_t *aq = A[t].q + QK_K * (size_t)s + 128 * h + 4 * g;
                    QLM_UNROLL_FULL for (int m = 0; m < 4; m++) p[t][m] = DPB(p[t][m], wv[m], aq + 32 * m);
                }
            }
            QLM_UNROLL_FULL for (int m = 0; m < 4; m++) {
                const int j = 8 * h + 2 * m + gh;
                const __m512i sc = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(scb + 16 * j)));
                QLM_UNROLL_FULL for (int t = 0; t < NT; t++)
                    iacc[t] = _mm512_add_epi32(iacc[t], _mm512_mullo_epi32(p[t][m], sc));
            }
        }
    }
    const __m512 dv = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)q6_k_r16_d(b)));
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++)
        facc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(iacc[t]), _mm512_mul_ps(dv, _mm512_set1_ps(A[t].d[16 * s])), facc[t]);
}

/* ---- Q4_0_R16 matrix-vector: 16 Q4_0 rows interleaved (quant/blocks.h) -------------
 *
 * One row per 32-bit lane, as Q4_K_R16: block j's 4 lines each give 4 weights of the
 * low half (low nibbles) and 4 of the high half of the 16 rows, one vpdpbusd each per
 * token against 4 activation bytes broadcast from memory. The high nibbles are not
 * shifted down: q & 0xF0 is 16 x the level, summed in a second chain (starting at 0;
 * the first starts at the prepared -8 sum(a)) whose total is a multiple of 16, so an
 * arithmetic shift by 4 gives the exact sum: one instruction per block and token in
 * place of one per line. Each block's int32 sum is then converted, scaled by the
 * token's d and by the 16 rows' d with one FMA, as chunk_finish does for a Q4_0 row. */
static inline __attribute__((always_inline)) void
r40_block(const uint8_t *grp, int64_t s, const prow *A, __m512 *facc, const int NT) {
    const __m512i m4 = _mm512_set1_epi8(15), mh = _mm512_set1_epi8((char)0xF0);
    const block_q4_0_r16 *b = (const block_q4_0_r16 *)grp + s;
    QLM_UNROLL_FULL for (int j = 0; j < 8; j++) {
        r16_prefetch(b, sizeof *b / 8, j, sizeof *b / 8, R40_DIST); /* block j's share of the group */
        const size_t blk = 8 * (size_t)s + (size_t)j; /* the block's index in a row */
        __m512i lo_acc[3], hi_acc[3];
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
            lo_acc[t] = _mm512_set1_epi32(((const int32_t *)A[t].e)[blk]);
            hi_acc[t] = zero();
        }
        QLM_UNROLL_FULL for (int g = 0; g < 4; g++) {
            const __m512i q = _mm512_loadu_si512(b->qs[j][g]);
            const __m512i lo = _mm512_and_si512(q, m4), hi = _mm512_and_si512(q, mh);
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                /* NIB4 order: per 4 blocks, values 0-15 of each, then 16-31 of each */
                const int8_t *aq = A[t].q + 128 * (blk / 4) + 16 * (blk % 4) + 4 * g;
                lo_acc[t] = DPB(lo_acc[t], lo, aq);
                hi_acc[t] = DPB(hi_acc[t], hi, aq + 64);
            }
        }
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b->d[j]));
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
            const __m512i sum = _mm512_add_epi32(lo_acc[t], _mm512_srai_epi32(hi_acc[t], 4));
            const __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(A[t].d[blk]));
            facc[t] = _mm512_fmadd_ps(f, dw, facc[t]);
        }
    }
}

/* ---- Q8_0_R16 matrix-vector: 16 Q8_0 rows interleaved (quant/blocks.h) -------------
 *
 * As Q4_0_R16 with levels already unsigned (q + 128, flipped when interleaved): block
 * j's 8 lines are 8 vpdpbusd per token, in two chains (even and odd lines), the first
 * starting at the prepared -128 sum(a); then one conversion, scale product and FMA. */
static inline __attribute__((always_inline)) void
r80_block(const uint8_t *grp, int64_t s, const prow *A, __m512 *facc, const int NT) {
    const block_q8_0_r16 *b = (const block_q8_0_r16 *)grp + s;
    QLM_UNROLL_FULL for (int j = 0; j < 8; j++) {
        r16_prefetch(b, sizeof *b / 8, j, sizeof *b / 8, R16_DIST);
        const size_t blk = 8 * (size_t)s + (size_t)j;
        __m512i a0[3], a1[3];
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
            a0[t] = _mm512_set1_epi32(((const int32_t *)A[t].e)[blk]);
            a1[t] = zero();
        }
        QLM_UNROLL_FULL for (int g = 0; g < 8; g++) {
            const __m512i q = _mm512_loadu_si512(b->qs[j][g]);
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                const int8_t *aq = A[t].q + 32 * blk + 4 * g; /* natural order */
                if (g % 2) a1[t] = DPB(a1[t], q, aq);
                else a0[t] = DPB(a0[t], q, aq);
            }
        }
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)b->d[j]));
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
            const __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(a0[t], a1[t])), _mm512_set1_ps(A[t].d[blk]));
            facc[t] = _mm512_fmadd_ps(f, dw, facc[t]);
        }
    }
}

/* 16 rows (one group: n / 256 blocks from grp) x NT tokens -> y[t * ldy + 0..15].
 * The blocks in order, one stream (with the prefetches in place it streams faster than
 * the per-row loops' two: bench/RESULTS.md). */
static inline __attribute__((always_inline)) void
gemv_r16_group(qtype qt, int64_t n, const uint8_t *grp, const prow *A, float *y, int64_t ldy, const int NT) {
    __m512 facc[3];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) facc[t] = _mm512_setzero_ps();
    for (int64_t s = 0; s < n / QK_K; s++) {
        if (qt == T_Q6_K_R16) r6_block(grp, s, A, facc, NT);
        else if (qt == T_Q4_0_R16) r40_block(grp, s, A, facc, NT);
        else if (qt == T_Q8_0_R16) r80_block(grp, s, A, facc, NT);
        else r16_block(grp, s, A, facc, NT, qt == T_Q5_K_R16);
    }
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) _mm512_storeu_ps(y + (size_t)t * ldy, facc[t]);
}

/* nr rows (a multiple of 16: groups are whole) x NT tokens, an R16 type */
static inline __attribute__((always_inline)) void
gemv_r16(qtype qt, int64_t n, int nr, const uint8_t *w, const uint8_t *a, size_t a_stride, float *y, int64_t ldy,
         const int NT) {
    const bool q6 = qt == T_Q6_K_R16;
    prow A[3];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) A[t] = x86_prow_of(a + (size_t)t * a_stride, n, q6 ? 16 : 32);
    const size_t group_bytes = (q6                 ? sizeof(block_q6_k_r16)
                                : qt == T_Q4_0_R16 ? sizeof(block_q4_0_r16)
                                : qt == T_Q8_0_R16 ? sizeof(block_q8_0_r16)
                                : qt == T_Q5_K_R16 ? sizeof(block_q5_k_r16)
                                                   : sizeof(block_q4_k_r16)) * (size_t)(n / QK_K);
    for (int r = 0; r < nr; r += 16) gemv_r16_group(qt, n, w + group_bytes * (size_t)(r / 16), A, y + r, ldy, NT);
}

void qlm_avx512_gemv(qtype qt, int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a,
                     size_t a_stride, float *y, int64_t ldy, int nt) {
    /* the loops above compiled per type and token count */
#define GEMV_NT(QT)                                                                  \
    do {                                                                             \
        if (nt == 1) gemv(QT, n, nr, w, w_stride, a, a_stride, y, ldy, 1);           \
        else if (nt == 2) gemv(QT, n, nr, w, w_stride, a, a_stride, y, ldy, 2);      \
        else gemv(QT, n, nr, w, w_stride, a, a_stride, y, ldy, 3);                   \
    } while (0)
    switch (qt) {
    case T_Q4_0: GEMV_NT(T_Q4_0); break;
    case T_Q4_1: GEMV_NT(T_Q4_1); break;
    case T_Q5_0: GEMV_NT(T_Q5_0); break;
    case T_Q5_1: GEMV_NT(T_Q5_1); break;
    case T_Q8_0: GEMV_NT(T_Q8_0); break;
    case T_Q4_K: GEMV_NT(T_Q4_K); break;
    case T_Q5_K: GEMV_NT(T_Q5_K); break;
    case T_Q6_K: GEMV_NT(T_Q6_K); break;
    case T_Q4_0_G8: GEMV_NT(T_Q4_0_G8); break;
    case T_Q4_K_R16: GEMV_NT(T_Q4_K_R16); break;
    case T_Q6_K_R16: GEMV_NT(T_Q6_K_R16); break;
    case T_Q4_0_R16: GEMV_NT(T_Q4_0_R16); break;
    case T_Q8_0_R16: GEMV_NT(T_Q8_0_R16); break;
    case T_Q5_K_R16: GEMV_NT(T_Q5_K_R16); break;
    }
#undef GEMV_NT
}
#endif
