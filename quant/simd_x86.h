/* Helpers shared by the x86 kernel files (internal). Include only from files compiled
 * with -mavx2 (and up): everything here is static inline. */
#ifndef QLM_SIMD_X86_H
#define QLM_SIMD_X86_H

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "blocks.h"

/* f16 <-> f32 with the F16C instructions (round to nearest even, like qlm_f32_to_f16). */
static inline float x86_f16(qlm_f16 h) { return _cvtsh_ss(h); }
static inline qlm_f16 x86_to_f16(float f) {
    return (qlm_f16)_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

static inline float hsum8_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline int hsum8_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

static inline float hmax8_ps(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Full unrolling of a micro-kernel's token loops (constant trip counts), which keeps
 * every token's accumulators in registers. clang 14 left such loops rolled under
 * "GCC unroll N" (and plain "unroll"), the accumulators in memory: its AVX-512 VNNI
 * micro-kernel ran at 0.4x of gcc's build, 0.97x with its own full-unroll spelling. */
#if defined(__clang__)
#define QLM_UNROLL_FULL _Pragma("clang loop unroll(full)")
#else
#define QLM_UNROLL_FULL _Pragma("GCC unroll 16")
#endif

/* Prefetch of the cache lines that start in [p, p + bytes), into L1 (t0) or L2 (else).
 * The prompt kernels' repack calls it for each block of each row: blocks in a row, and
 * rows in a matrix, are contiguous, so block after block asks for each line once,
 * however small a block. */
static inline __attribute__((always_inline)) void x86_prefetch_lines(const uint8_t *p, size_t bytes, bool t0) {
    const uintptr_t a = (uintptr_t)p;
    for (uintptr_t l = (a + 63) & ~(uintptr_t)63; l < a + bytes; l += 64) {
        if (t0) _mm_prefetch((const char *)l, _MM_HINT_T0); /* the hint must be a constant */
        else _mm_prefetch((const char *)l, _MM_HINT_T1);
    }
}

/* Piece i (step bytes) of the len bytes at p into L2; nothing past len. */
static inline __attribute__((always_inline)) void x86_prefetch_piece(const uint8_t *p, size_t len, size_t step,
                                                                    size_t i) {
    const size_t o = step * i;
    if (o < len) x86_prefetch_lines(p + o, len - o < step ? len - o : step, false);
}

/* Tokens per block for the AVX2 prompt kernels, which pass every token over each
 * panel of 8 or 16 rows: at most X86_TOKEN_BLOCK_BYTES of activations (act_row bytes
 * per token), so they stay in L2 from one panel to the next (a whole 512-token batch
 * came from L3 again for every panel), but at least min_tokens, whose panels are then
 * remade per block; nt split into equal blocks of whole micro-kernel calls (unit
 * tokens each). */
#define X86_TOKEN_BLOCK_BYTES ((size_t)1 << 20)
static inline int x86_token_block(int nt, size_t act_row, int unit, int min_tokens) {
    int tb = (int)(X86_TOKEN_BLOCK_BYTES / act_row);
    if (tb < min_tokens) tb = min_tokens;
    const int nblk = (nt + tb - 1) / tb;
    return ((nt + nblk - 1) / nblk + unit - 1) / unit * unit;
}

/* The same address, hidden from the compiler's load combining: where a block's levels
 * are read by a vector load that overlaps another vector load of the same bytes (its
 * scale's), clang 14 rebuilt the level vector from the other load with general-register
 * double shifts and inserts (Q4_0/Q8_0 matrix-vector at 0.45-0.65x of the gcc build).
 * No instruction: the pointer only passes through an empty asm. */
static inline const uint8_t *x86_opaque(const uint8_t *p) {
    __asm__("" : "+r"(p));
    return p;
}

/* Bit b (0..7) of each byte moved to bit 4 (other bits garbage; mask with 16) by one
 * 16-bit shift: the bits that cross into the neighbouring byte land below bit 4 (left
 * shifts) or above it (right shifts of at most 3). One instruction where and, compare
 * and a second and took three (Q5_K's fifth bit; 1.3x its matrix-vector loop). b must
 * be a compile-time constant for the shift to be immediate. */
static inline __attribute__((always_inline)) __m256i x86_bit_to_4(__m256i v, int b) {
    return b < 4 ? _mm256_slli_epi16(v, 4 - b) : b > 4 ? _mm256_srli_epi16(v, b - 4) : v;
}

/* Transpose 8 rows of 8 floats in place (r[i][j] -> r[j][i]). */
static inline void x86_transpose8_ps(__m256 *r) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* Q4_K/Q5_K: the 6-bit scales (and, when mins != NULL, mins) of the 8 sub-blocks. */
static inline void x86_kq_scales(const uint8_t s[12], uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = s[j] & 63;
        mn[j] = s[j + 4] & 63;
        sc[j + 4] = (uint8_t)((s[j + 8] & 15) | ((s[j] >> 6) << 4));
        mn[j + 4] = (uint8_t)((s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4));
    }
}

/* The same as bytes in one vector, [sc 0-3 | sc 4-7 | mn 0-3 | mn 4-7], computed in
 * vector registers. Reads 16 bytes at s: the 12 scale bytes and the 4 that follow (in a
 * Q4_K/Q5_K block, qh or qs bytes). */
static inline __m128i x86_kq_scale_bytes(const uint8_t *s) {
    const __m128i v = _mm_loadu_si128((const __m128i *)s);                    /* u0 u1 u2 . */
    const __m128i m6 = _mm_set1_epi8(0x3f), m4 = _mm_set1_epi8(0x0f), m2 = _mm_set1_epi8(0x03);
    const __m128i a = _mm_and_si128(v, m6);                                  /* sc0-3 mn0-3 */
    const __m128i u2 = _mm_shuffle_epi32(v, 0xAA);                           /* u2 u2 u2 u2 */
    const __m128i lo = _mm_and_si128(_mm_srlv_epi32(u2, _mm_setr_epi32(0, 4, 0, 4)), m4);
    const __m128i hi = _mm_slli_epi32(_mm_and_si128(_mm_srli_epi32(v, 6), m2), 4); /* from u0 u1 */
    return _mm_unpacklo_epi32(a, _mm_or_si128(lo, hi));
}

#endif
#endif
