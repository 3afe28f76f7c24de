/* NEON matrix-matrix products (qlm_gemm_fn, ggml-like/kernels.h) for prompt batches,
 * built on sdot (ARMv8.2 dotprod): Q4_0, Q5_0 and Q8_0 weights against activations
 * prepared as Q8_0; Q4_K, Q5_K and Q6_K against activations prepared as Q8_K. (Q4_1 and
 * Q5_1, whose Q8_1 activations carry a per-block sum, keep the vec_dot path.)
 * kernels_neon.c installs them only when HWCAP reports dotprod; without it the vec_dot
 * path stays.
 *
 * Prepared rows (qlm_gemm_act_size bytes each, 64-byte aligned), levels in natural
 * order with the rounding of kernels_neon.c's quantizers (so the integer sums equal
 * those of the vec_dot path and only float rounding differs):
 *   Q8_0 layout: int8 qs[n] | float d[n/32]        (d rounded through f16, as stored)
 *   Q8_K layout: int8 qs[n] | float d[n/256] | int16 s[n/32]  (s: sums of 32 levels,
 *                for the Q4_K/Q5_K min term; Q6_K ignores them)
 * That is at most 1.19 n + 4 bytes, well inside 2.5 n + 64.
 *
 * The kernels read the weights in their file layout (no repacking, so no scratch). A
 * micro-tile is 4 weight rows x 4 tokens with one float lane per token: each weight
 * block is loaded and unpacked once and its sdots are done for all 4 tokens; the
 * per-token int32 vectors are reduced with a tree of 3 pairwise adds into one vector
 * over the tokens, converted once and accumulated with one FMA per block scale
 * (32-value blocks: 8 activation + 4 float accumulator registers live across the 4
 * rows, about 10 per row; K-quants: a row's super-block at a time, its sub-block
 * scales applied in int32 per token, one reduction per super-block). Rows go in groups
 * of 16 so that their weights stay in cache while every token passes.
 *
 * Every output is computed by the same sequence of lane operations wherever its row
 * and token fall in a tile (a missing token is a zero lane, a missing row repeats the
 * last row and is not stored), so results do not depend on how the caller splits the
 * rows or tokens between threads (qlm_matmul_fused relies on that). */
#include "../ggml-like/kernels.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

#include "blocks.h"

/* Unlike kernels_neon.c, which mixes dotprod and plain ARMv8-A variants, everything in
 * this file needs sdot and runs only on CPUs that have it, so it keeps the file's
 * -march (+dotprod) throughout; DP states it on each function all the same, for a build
 * that compiles the file without it. (GCC 12 refuses to inline always_inline DP helpers
 * into DP callers under a file-wide "#pragma GCC target arch=armv8-a".) */
#if defined(__GNUC__) && !defined(__clang__)
#define DP __attribute__((target("arch=armv8.2-a+dotprod")))
#else
#define DP __attribute__((target("dotprod")))
#endif
#define INLINE static inline __attribute__((always_inline))

#define MR 4  /* weight rows per micro-tile */
#define NR 4  /* tokens per micro-tile: one float lane each */
#define RB 16 /* rows whose weights stay in cache while all token groups pass */

INLINE DP float f16_at(const uint8_t *p) {
    qlm_f16 h;
    memcpy(&h, p, 2);
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

INLINE DP float f16_round(float f) {
    return vgetq_lane_f32(vcvt_f32_f16(vcvt_f16_f32(vdupq_n_f32(f))), 0);
}

/* lane t = sum of the 4 lanes of p[t] */
INLINE DP int32x4_t hsum4(const int32x4_t p[NR]) {
    return vpaddq_s32(vpaddq_s32(p[0], p[1]), vpaddq_s32(p[2], p[3]));
}

/* ---- activation preparation ------------------------------------------------------ */

/* Q8_0 as quant_q8_0 in kernels_neon.c: d = amax/127 (stored as f16), levels
 * nearest-even(x * 127/amax), saturated. */
DP void qlm_neon_gemm_prep_q8_0(const float *x, void *dst, int64_t n) {
    int8_t *qs = dst;
    float *d = (float *)(qs + n);
    for (int64_t i = 0; i < n / 32; i++) {
        const float *xb = x + 32 * i;
        float32x4_t v[8], amax = vdupq_n_f32(0);
        for (int k = 0; k < 8; k++) {
            v[k] = vld1q_f32(xb + 4 * k);
            amax = vmaxq_f32(amax, vabsq_f32(v[k]));
        }
        const float m = vmaxvq_f32(amax);
        d[i] = f16_round(m / 127.f);
        const float id = m != 0.0f ? 127.f / m : 0.0f;
        for (int k = 0; k < 8; k += 2) {
            const int32x4_t i0 = vcvtnq_s32_f32(vmulq_n_f32(v[k], id));
            const int32x4_t i1 = vcvtnq_s32_f32(vmulq_n_f32(v[k + 1], id));
            vst1_s8(qs + 32 * i + 4 * k, vqmovn_s16(vcombine_s16(vqmovn_s32(i0), vqmovn_s32(i1))));
        }
    }
}

/* Q8_K as quant_q8_k in kernels_neon.c (and the scalar reference): m = first value of
 * largest magnitude (NaN ignored), d = m/-127, levels nearest-even(x * -127/m) capped to
 * [-128, 127]; an all-zero (or all-NaN) block is all zeros. */
DP void qlm_neon_gemm_prep_q8_k(const float *x, void *dst, int64_t n) {
    const int64_t nsb = n / QK_K;
    int8_t *qs = dst;
    float *d = (float *)(qs + n);
    int16_t *s = (int16_t *)(d + nsb);
    for (int64_t i = 0; i < nsb; i++) {
        const float *xb = x + QK_K * i;
        float32x4_t amax = vdupq_n_f32(0);
        for (int k = 0; k < QK_K / 4; k++) amax = vmaxnmq_f32(amax, vabsq_f32(vld1q_f32(xb + 4 * k)));
        const float am = vmaxnmvq_f32(amax);
        if (!(am > 0.0f)) {
            memset(qs + QK_K * i, 0, QK_K);
            d[i] = 0;
            memset(s + 8 * i, 0, 8 * sizeof *s);
            continue;
        }
        float m = 0;
        for (int j = 0; j < QK_K; j++)
            if ((xb[j] < 0 ? -xb[j] : xb[j]) == am) { m = xb[j]; break; }
        const float iscale = -127.f / m;
        for (int g = 0; g < QK_K / 32; g++) {
            int sum = 0;
            for (int h = 0; h < 2; h++) {
                const float *xg = xb + 32 * g + 16 * h;
                int32x4_t q[4];
                for (int k = 0; k < 4; k++) /* FCVTNS: nearest even, NaN -> 0, saturating */
                    q[k] = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(xg + 4 * k), iscale));
                const int16x8_t h0 = vcombine_s16(vqmovn_s32(q[0]), vqmovn_s32(q[1]));
                const int16x8_t h1 = vcombine_s16(vqmovn_s32(q[2]), vqmovn_s32(q[3]));
                const int8x16_t b = vcombine_s8(vqmovn_s16(h0), vqmovn_s16(h1));
                vst1q_s8(qs + QK_K * i + 32 * g + 16 * h, b);
                sum += vaddlvq_s8(b);
            }
            s[8 * i + g] = (int16_t)sum;
        }
        d[i] = 1 / iscale;
    }
}

/* ---- Q4_0 / Q8_0: blocks of 32 -------------------------------------------------- */

typedef enum { W_Q4_0, W_Q5_0, W_Q8_0 } kind32;

/* one block of 32 weights as two vectors of signed levels, and its scale */
INLINE DP void block32(kind32 k, const uint8_t *b, int8x16_t *w0, int8x16_t *w1, float *d) {
    *d = f16_at(b);
    if (k == W_Q4_0) { /* byte j: level j in the low nibble, level j+16 in the high one */
        const uint8x16_t q = vld1q_u8(b + 2);
        *w0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(15))), vdupq_n_s8(8));
        *w1 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), vdupq_n_s8(8));
    } else if (k == W_Q5_0) { /* nibbles as Q4_0; bit 4 of level j is bit j of qh */
        static const uint8_t bits[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
        const uint8x16_t bv = vld1q_u8(bits), h16 = vdupq_n_u8(16);
        const uint8x16_t q = vld1q_u8(b + 6);
        const uint8x16_t b01 = vcombine_u8(vdup_n_u8(b[2]), vdup_n_u8(b[3]));
        const uint8x16_t b23 = vcombine_u8(vdup_n_u8(b[4]), vdup_n_u8(b[5]));
        const uint8x16_t lo = vorrq_u8(vandq_u8(q, vdupq_n_u8(15)), vandq_u8(vtstq_u8(b01, bv), h16));
        const uint8x16_t hi = vorrq_u8(vshrq_n_u8(q, 4), vandq_u8(vtstq_u8(b23, bv), h16));
        *w0 = vsubq_s8(vreinterpretq_s8_u8(lo), vdupq_n_s8(16));
        *w1 = vsubq_s8(vreinterpretq_s8_u8(hi), vdupq_n_s8(16));
    } else {
        *w0 = vld1q_s8((const int8_t *)b + 2);
        *w1 = vld1q_s8((const int8_t *)b + 18);
    }
}

/* MR rows x nt (<= NR, a constant after inlining) tokens over all nb blocks. */
INLINE DP void tile32(kind32 k, int nt, int64_t nb, const uint8_t *const w[MR], const int8_t *const a[NR],
                      const float *const ad[NR], float32x4_t acc[MR]) {
    const size_t bsz = k == W_Q4_0 ? sizeof(block_q4_0) : k == W_Q5_0 ? sizeof(block_q5_0) : sizeof(block_q8_0);
    for (int64_t b = 0; b < nb; b++) {
        int8x16_t a0[NR], a1[NR];
        float32x4_t da = vdupq_n_f32(0);
#pragma GCC unroll 4
        for (int t = 0; t < NR; t++) {
            if (t >= nt) continue;
            a0[t] = vld1q_s8(a[t] + 32 * b);
            a1[t] = vld1q_s8(a[t] + 32 * b + 16);
            da = vsetq_lane_f32(ad[t][b], da, t);
        }
#pragma GCC unroll 4
        for (int r = 0; r < MR; r++) {
            int8x16_t w0, w1;
            float dw;
            block32(k, w[r] + bsz * b, &w0, &w1, &dw);
            int32x4_t p[NR];
#pragma GCC unroll 4
            for (int t = 0; t < NR; t++)
                p[t] = t < nt ? vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, a0[t]), w1, a1[t]) : vdupq_n_s32(0);
            acc[r] = vfmaq_f32(acc[r], vcvtq_f32_s32(hsum4(p)), vmulq_n_f32(da, dw));
        }
    }
}

/* ---- Q4_K / Q6_K: super-blocks of 256 ------------------------------------------- */

typedef enum { W_Q4_K, W_Q5_K, W_Q6_K } kindk;

/* Q4_K 6-bit scales and mins (layout in blocks.h) */
INLINE DP void q4k_scales(const uint8_t s[12], uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = s[j] & 63;
        mn[j] = s[j + 4] & 63;
        sc[j + 4] = (uint8_t)((s[j + 8] & 15) | ((s[j] >> 6) << 4));
        mn[j + 4] = (uint8_t)((s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4));
    }
}

INLINE DP int32x4_t pair_s32(int x, int y) { return vcombine_s32(vdup_n_s32(x), vdup_n_s32(y)); }

/* One Q4_K (q5: Q5_K) super-block of one row against nt tokens (a[t]: their 256 levels, s[t]: their
 * 8 sums of 32): the scaled integer sum and the min sum, one lane per token. Per token
 * the 8 sub-block sums stay in 4 lanes (pairs of sub-blocks share a lane pair) until
 * the end, so the reduction over lanes happens once per super-block. */
INLINE DP void kq_sums(bool q5, int nt, const uint8_t *x, const int8_t *const a[NR], const int16_t *const s[NR],
                        int32x4_t *sumi, int32x4_t *smin) {
    const uint8_t *qs = x + (q5 ? offsetof(block_q5_k, qs) : offsetof(block_q4_k, qs));
    const uint8_t *qh = x + offsetof(block_q5_k, qh);
    uint8_t sc[8], mn[8];
    q4k_scales(x + offsetof(block_q4_k, scales), sc, mn); /* same place in Q5_K */
    const uint8x16_t m4 = vdupq_n_u8(15);
    int32x4_t it[NR];
#pragma GCC unroll 4
    for (int t = 0; t < NR; t++) it[t] = vdupq_n_s32(0);
    for (int c = 0; c < 4; c++) { /* chunk c: sub-blocks 2c (low nibbles), 2c+1 (high) */
        const uint8x16_t q0 = vld1q_u8(qs + 32 * c), q1 = vld1q_u8(qs + 32 * c + 16);
        uint8x16_t u0 = vandq_u8(q0, m4), u1 = vandq_u8(q1, m4), v0 = vshrq_n_u8(q0, 4), v1 = vshrq_n_u8(q1, 4);
        if (q5) { /* bit 4 of sub-block 2c (2c+1) is bit 2c (2c+1) of qh[l] */
            const uint8x16_t hb0 = vld1q_u8(qh), hb1 = vld1q_u8(qh + 16), h16 = vdupq_n_u8(16);
            const uint8x16_t bl = vdupq_n_u8((uint8_t)(1 << (2 * c))), bh = vdupq_n_u8((uint8_t)(2 << (2 * c)));
            u0 = vorrq_u8(u0, vandq_u8(vtstq_u8(hb0, bl), h16));
            u1 = vorrq_u8(u1, vandq_u8(vtstq_u8(hb1, bl), h16));
            v0 = vorrq_u8(v0, vandq_u8(vtstq_u8(hb0, bh), h16));
            v1 = vorrq_u8(v1, vandq_u8(vtstq_u8(hb1, bh), h16));
        }
        const int8x16_t l0 = vreinterpretq_s8_u8(u0), l1 = vreinterpretq_s8_u8(u1);
        const int8x16_t h0 = vreinterpretq_s8_u8(v0), h1 = vreinterpretq_s8_u8(v1);
        const int32x4_t scv = pair_s32(sc[2 * c], sc[2 * c + 1]);
#pragma GCC unroll 4
        for (int t = 0; t < NR; t++) {
            if (t >= nt) continue;
            const int8_t *ac = a[t] + 64 * c;
            const int32x4_t pe = vdotq_s32(vdotq_s32(vdupq_n_s32(0), l0, vld1q_s8(ac)), l1, vld1q_s8(ac + 16));
            const int32x4_t po = vdotq_s32(vdotq_s32(vdupq_n_s32(0), h0, vld1q_s8(ac + 32)), h1, vld1q_s8(ac + 48));
            it[t] = vmlaq_s32(it[t], vpaddq_s32(pe, po), scv);
        }
    }
    *sumi = hsum4(it);
    const int16x8_t mnv = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(mn)));
    int32x4_t mt[NR];
#pragma GCC unroll 4
    for (int t = 0; t < NR; t++) {
        if (t >= nt) { mt[t] = vdupq_n_s32(0); continue; }
        const int16x8_t sv = vld1q_s16(s[t]);
        mt[t] = vmlal_high_s16(vmull_s16(vget_low_s16(mnv), vget_low_s16(sv)), mnv, sv);
    }
    *smin = hsum4(mt);
}

/* One Q6_K super-block of one row against nt tokens: the scaled integer sum per token. */
INLINE DP int32x4_t q6k_sums(int nt, const uint8_t *x, const int8_t *const a[NR]) {
    const uint8x16_t m4 = vdupq_n_u8(15), m3 = vdupq_n_u8(3);
    const int8x16_t off = vdupq_n_s8(32);
    int32x4_t it[NR];
#pragma GCC unroll 4
    for (int t = 0; t < NR; t++) it[t] = vdupq_n_s32(0);
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = x + offsetof(block_q6_k, ql) + 64 * h, *qh = x + offsetof(block_q6_k, qh) + 32 * h;
        const int8_t *sc = (const int8_t *)x + offsetof(block_q6_k, scales) + 8 * h;
        for (int l = 0; l < 2; l++) { /* bytes 16l..16l+15 of each 32 */
            const uint8x16_t q0 = vld1q_u8(ql + 16 * l), q1 = vld1q_u8(ql + 32 + 16 * l);
            const uint8x16_t hb = vld1q_u8(qh + 16 * l);
            /* w[k]: values 128h + 32k + 16l .. +15, sub-block 8h + 2k + l */
            int8x16_t w[4];
            w[0] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q0, m4), vshlq_n_u8(vandq_u8(hb, m3), 4)));
            w[1] = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q1, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 2), m3), 4)));
            w[2] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q0, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(hb, 4), m3), 4)));
            w[3] = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q1, 4), vshlq_n_u8(vshrq_n_u8(hb, 6), 4)));
            for (int k = 0; k < 4; k++) w[k] = vsubq_s8(w[k], off);
            const int32x4_t s01 = pair_s32(sc[l], sc[2 + l]), s23 = pair_s32(sc[4 + l], sc[6 + l]);
#pragma GCC unroll 4
            for (int t = 0; t < NR; t++) {
                if (t >= nt) continue;
                const int8_t *ac = a[t] + 128 * h + 16 * l;
                const int32x4_t p0 = vdotq_s32(vdupq_n_s32(0), w[0], vld1q_s8(ac));
                const int32x4_t p1 = vdotq_s32(vdupq_n_s32(0), w[1], vld1q_s8(ac + 32));
                const int32x4_t p2 = vdotq_s32(vdupq_n_s32(0), w[2], vld1q_s8(ac + 64));
                const int32x4_t p3 = vdotq_s32(vdupq_n_s32(0), w[3], vld1q_s8(ac + 96));
                it[t] = vmlaq_s32(it[t], vpaddq_s32(p0, p1), s01);
                it[t] = vmlaq_s32(it[t], vpaddq_s32(p2, p3), s23);
            }
        }
    }
    return hsum4(it);
}

/* MR rows x nt tokens over all nsb super-blocks; the rows of a tile go one after the
 * other within each super-block (a row's 256 levels against 4 tokens need more
 * registers than a second row would leave). */
INLINE DP void tilek(kindk k, int nt, int64_t n, const uint8_t *const w[MR], const int8_t *const a[NR],
                     float32x4_t acc[MR]) {
    const int64_t nsb = n / QK_K;
    const size_t bsz = k == W_Q4_K ? sizeof(block_q4_k) : k == W_Q5_K ? sizeof(block_q5_k) : sizeof(block_q6_k);
    const float *ad[NR];
    const int16_t *as[NR];
#pragma GCC unroll 4
    for (int t = 0; t < NR; t++) {
        ad[t] = (const float *)(const void *)(a[t] + n);
        as[t] = (const int16_t *)(const void *)(ad[t] + nsb);
    }
    for (int64_t i = 0; i < nsb; i++) {
        float32x4_t da = vdupq_n_f32(0);
        const int8_t *ai[NR];
        const int16_t *si[NR];
#pragma GCC unroll 4
        for (int t = 0; t < NR; t++) {
            ai[t] = a[t] + QK_K * i;
            si[t] = as[t] + 8 * i;
            if (t < nt) da = vsetq_lane_f32(ad[t][i], da, t);
        }
        for (int r = 0; r < MR; r++) {
            const uint8_t *x = w[r] + bsz * i;
            if (k != W_Q6_K) { /* d and dmin: same place in Q4_K and Q5_K */
                int32x4_t sumi, smin;
                kq_sums(k == W_Q5_K, nt, x, ai, si, &sumi, &smin);
                acc[r] = vfmaq_f32(acc[r], vcvtq_f32_s32(sumi), vmulq_n_f32(da, f16_at(x + offsetof(block_q4_k, d))));
                acc[r] = vfmsq_f32(acc[r], vcvtq_f32_s32(smin), vmulq_n_f32(da, f16_at(x + offsetof(block_q4_k, dmin))));
            } else {
                const int32x4_t sumi = q6k_sums(nt, x, ai);
                acc[r] = vfmaq_f32(acc[r], vcvtq_f32_s32(sumi), vmulq_n_f32(da, f16_at(x + offsetof(block_q6_k, d))));
            }
        }
    }
}

/* ---- the driver shared by all types --------------------------------------------- */

typedef enum { G_Q4_0, G_Q5_0, G_Q8_0, G_Q4_K, G_Q5_K, G_Q6_K } gkind;

INLINE DP void tile(gkind g, int nt, int64_t n, const uint8_t *const w[MR], const int8_t *const a[NR],
                    float32x4_t acc[MR]) {
    if (g == G_Q4_0 || g == G_Q5_0 || g == G_Q8_0) {
        const float *ad[NR];
        for (int t = 0; t < NR; t++) ad[t] = (const float *)(const void *)(a[t] + n);
        tile32(g == G_Q4_0 ? W_Q4_0 : g == G_Q5_0 ? W_Q5_0 : W_Q8_0, nt, n / 32, w, a, ad, acc);
    } else {
        tilek(g == G_Q4_K ? W_Q4_K : g == G_Q5_K ? W_Q5_K : W_Q6_K, nt, n, w, a, acc);
    }
}

INLINE DP void gemm_any(gkind g, int64_t n, int nr, int nt, const void *w, size_t w_stride, const void *a,
                        size_t a_stride, float *y, int64_t ldy) {
    for (int r0 = 0; r0 < nr; r0 += RB) {
        const int r1 = r0 + RB < nr ? r0 + RB : nr;
        for (int t0 = 0; t0 < nt; t0 += NR) {
            const int ntt = nt - t0 < NR ? nt - t0 : NR;
            const int8_t *ap[NR];
            for (int t = 0; t < NR; t++) /* missing tokens: never read (zero lanes) */
                ap[t] = (const int8_t *)a + (size_t)(t0 + (t < ntt ? t : 0)) * a_stride;
            for (int r = r0; r < r1; r += MR) {
                const uint8_t *wp[MR];
                for (int i = 0; i < MR; i++) /* missing rows repeat the last one */
                    wp[i] = (const uint8_t *)w + (size_t)(r + i < r1 ? r + i : r1 - 1) * w_stride;
                float32x4_t acc[MR];
                for (int i = 0; i < MR; i++) acc[i] = vdupq_n_f32(0);
                switch (ntt) { /* the token count as a constant: no work for absent lanes */
                case 1: tile(g, 1, n, wp, ap, acc); break;
                case 2: tile(g, 2, n, wp, ap, acc); break;
                case 3: tile(g, 3, n, wp, ap, acc); break;
                default: tile(g, 4, n, wp, ap, acc); break;
                }
                for (int i = 0; i < MR && r + i < r1; i++) {
                    float v[NR];
                    vst1q_f32(v, acc[i]);
                    for (int t = 0; t < ntt; t++) y[(size_t)(t0 + t) * ldy + r + i] = v[t];
                }
            }
        }
    }
}

/* work is unused: the weights are read in place */
#define DEFINE_NEON_GEMM(name, g)                                                                     \
    DP void name(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y, \
                 int64_t ldy, void *work) {                                                         \
        (void)work;                                                                                 \
        gemm_any(g, n, nr, nt, w, ws, a, as, y, ldy);                                               \
    }
DEFINE_NEON_GEMM(qlm_neon_gemm_q4_0, G_Q4_0)
DEFINE_NEON_GEMM(qlm_neon_gemm_q5_0, G_Q5_0)
DEFINE_NEON_GEMM(qlm_neon_gemm_q8_0, G_Q8_0)
DEFINE_NEON_GEMM(qlm_neon_gemm_q4_k, G_Q4_K)
DEFINE_NEON_GEMM(qlm_neon_gemm_q5_k, G_Q5_K)
DEFINE_NEON_GEMM(qlm_neon_gemm_q6_k, G_Q6_K)

#endif
