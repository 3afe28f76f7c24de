/* AVX2 kernels (compiled with -mavx2 -mfma -mf16c -mbmi2; installed only after run-time
 * detection of all four). Activation quantizers, conversions and dot products; the
 * batched matrix products are in quant/gemm_avx2.c.
 *
 * The activation quantizers follow llama.cpp's x86 convention, not the scalar
 * reference's: Q8_0/Q8_1 use id = 127/amax and round half to even, where the reference
 * uses 1/d and roundf. The two differ on a few exact ties per million values; using
 * llama.cpp's makes qlm's logits track llama.cpp's (its files' reference logits were
 * made with SIMD activations). Q8_K and F16 match the reference bit for bit. The AVX-512
 * table reuses these quantizers, so both x86 paths quantize identically. */
#include "../ggml-like/kernels.h"
#include "../ggml-like/ops_simd.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include "kernels_x86.h"
#include "quants.h"
#include "simd_x86.h"

#include <math.h>

/* ---- activation quantizers ------------------------------------------------------ */

/* One block of 32: levels rounded half-to-even from x * 127/amax; returns the level
 * sum (for Q8_1) and stores d (before its rounding to f16). */
int qlm_avx2_q8_block(const float *x, int8_t *qs, float *d_out) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int k = 0; k < 4; k++) {
        v[k] = _mm256_loadu_ps(x + 8 * k);
        amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[k]));
    }
    const float m = hmax8_ps(amax);
    *d_out = m / 127.f;
    const __m256 id = _mm256_set1_ps(m != 0.0f ? 127.f / m : 0.0f);
    __m256i i[4];
    for (int k = 0; k < 4; k++)  /* cvtps rounds with MXCSR: nearest even */
        i[k] = _mm256_cvtps_epi32(_mm256_mul_ps(v[k], id));
    /* pack 32 int32 to int8; packs interleaves 128-bit lanes, the permute restores order */
    __m256i a = _mm256_packs_epi32(i[0], i[1]), b = _mm256_packs_epi32(i[2], i[3]);
    __m256i q = _mm256_packs_epi16(a, b);
    q = _mm256_permutevar8x32_epi32(q, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)qs, q);
    return hsum8_epi32(_mm256_add_epi32(_mm256_add_epi32(i[0], i[1]), _mm256_add_epi32(i[2], i[3])));
}

void qlm_avx2_quant_q8_0(const float *x, void *vy, int64_t n) {
    block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        float d;
        qlm_avx2_q8_block(x + i * QK8_0, y[i].qs, &d);
        y[i].d = x86_to_f16(d);
    }
}

void qlm_avx2_quant_q8_1(const float *x, void *vy, int64_t n) {
    block_q8_1 *y = vy;
    for (int64_t i = 0; i < n / QK8_1; i++) {
        float d;
        int sum = qlm_avx2_q8_block(x + i * QK8_1, y[i].qs, &d);
        y[i].d = x86_to_f16(d);
        y[i].s = x86_to_f16(d * (float)sum);
    }
}

/* Q8_K, bit for bit the reference: d = m/-127 for the first value m of largest
 * magnitude; levels nearest_int(x * -127/m) capped to [-128, 127]; NaN gives 0. */
void qlm_avx2_quant_q8_k(const float *x, void *vy, int64_t n) {
    block_q8_k *y = vy;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float *xb = x + i * QK_K;
        __m256 amax = _mm256_setzero_ps();
        for (int k = 0; k < QK_K / 8; k++) {
            __m256 v = _mm256_loadu_ps(xb + 8 * k);
            /* max_ps returns its second operand when either is NaN: NaN lanes keep amax */
            amax = _mm256_max_ps(_mm256_andnot_ps(sign, v), amax);
        }
        const float am = hmax8_ps(amax);
        if (!(am > 0.0f)) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        float m = 0.0f;
        const __m256 vam = _mm256_set1_ps(am);
        for (int k = 0; k < QK_K / 8; k++) {
            __m256 v = _mm256_loadu_ps(xb + 8 * k);
            int mask = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, v), vam, _CMP_EQ_OQ));
            if (mask) { m = xb[8 * k + __builtin_ctz((unsigned)mask)]; break; }
        }
        const float iscale = -127.f / m;
        const __m256 vs = _mm256_set1_ps(iscale);
        const __m256 lo = _mm256_set1_ps(-128.f), hi = _mm256_set1_ps(127.f);
        for (int g = 0; g < QK_K / 16; g++) {
            __m256i q[2];
            for (int h = 0; h < 2; h++) {
                __m256 p = _mm256_mul_ps(_mm256_loadu_ps(xb + 16 * g + 8 * h), vs);
                p = _mm256_and_ps(p, _mm256_cmp_ps(p, p, _CMP_ORD_Q)); /* NaN -> 0 */
                p = _mm256_min_ps(_mm256_max_ps(p, lo), hi);
                q[h] = _mm256_cvtps_epi32(p);
            }
            y[i].bsums[g] = (int16_t)hsum8_epi32(_mm256_add_epi32(q[0], q[1]));
            __m128i a = _mm_packs_epi32(_mm256_castsi256_si128(q[0]), _mm256_extracti128_si256(q[0], 1));
            __m128i b = _mm_packs_epi32(_mm256_castsi256_si128(q[1]), _mm256_extracti128_si256(q[1], 1));
            _mm_storeu_si128((__m128i *)(y[i].qs + 16 * g), _mm_packs_epi16(a, b));
        }
        y[i].d = 1 / iscale;
    }
}

void qlm_avx2_quant_f16(const float *x, void *vy, int64_t n) {
    qlm_f16 *y = vy;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++) y[i] = x86_to_f16(x[i]);
}

void qlm_avx2_dequant_f16(const void *vx, float *y, int64_t n) {
    const qlm_f16 *x = vx;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) y[i] = x86_f16(x[i]);
}

void qlm_avx2_dequant_bf16(const void *vx, float *y, int64_t n) {
    const qlm_bf16 *x = vx;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(x + i)));
        _mm256_storeu_ps(y + i, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
    }
    for (; i < n; i++) y[i] = qlm_bf16_to_f32(x[i]);
}

/* ---- dot products --------------------------------------------------------------- */

/* 32 nibbles in weight order: low nibbles (weights 0..15), then high (16..31) */
static inline __m256i nibbles32(const uint8_t *qs) {
    __m128i q = _mm_loadu_si128((const __m128i *)qs);
    __m256i w = _mm256_inserti128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1);
    return _mm256_and_si256(w, _mm256_set1_epi8(15));
}

/* sum of x*y over 32 signed bytes, as 8 int32 partial sums (sign moved onto y so that
 * maddubs, unsigned x signed, can be used; |x| <= 127 so nothing saturates) */
static inline __m256i dot_i8(__m256i x, __m256i y) {
    __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

/* sum of u*y, u unsigned <= 127 (4- and 5-bit levels) */
static inline __m256i dot_u8(__m256i u, __m256i y) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, y), _mm256_set1_epi16(1));
}

/* Q5_0/Q5_1: bit 4 of the 32 weights from the qh word, as 0x10 bytes */
static inline __m256i q5_high(const uint8_t qh[4]) {
    uint32_t h;
    memcpy(&h, qh, 4);
    /* byte j takes byte j/8 of h, then tests its bit j%8 */
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)h),
                                    _mm256_setr_epi64x(0, 0x0101010101010101LL, 0x0202020202020202LL, 0x0303030303030303LL));
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
    v = _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x10));
}

static void dot_q4_0(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q4_0 *x = vx;
    const block_q8_0 *y = vy;
    __m256 acc = _mm256_setzero_ps();
    const __m256i off = _mm256_set1_epi8(8);
    for (int64_t i = 0; i < n / QK4_0; i++) {
        __m256i w = _mm256_sub_epi8(nibbles32(x[i].qs), off);
        __m256i p = dot_i8(w, _mm256_loadu_si256((const __m256i *)y[i].qs));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(x86_f16(x[i].d) * x86_f16(y[i].d)), acc);
    }
    *s = hsum8_ps(acc);
}

static void dot_q4_1(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q4_1 *x = vx;
    const block_q8_1 *y = vy;
    __m256 acc = _mm256_setzero_ps();
    float summ = 0;
    for (int64_t i = 0; i < n / QK4_1; i++) {
        __m256i p = dot_u8(nibbles32(x[i].qs), _mm256_loadu_si256((const __m256i *)y[i].qs));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(x86_f16(x[i].d) * x86_f16(y[i].d)), acc);
        summ += x86_f16(x[i].m) * x86_f16(y[i].s);
    }
    *s = hsum8_ps(acc) + summ;
}

static void dot_q5_0(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q5_0 *x = vx;
    const block_q8_0 *y = vy;
    __m256 acc = _mm256_setzero_ps();
    const __m256i off = _mm256_set1_epi8(16);
    for (int64_t i = 0; i < n / QK5_0; i++) {
        __m256i w = _mm256_or_si256(nibbles32(x[i].qs), q5_high(x[i].qh));
        __m256i p = dot_i8(_mm256_sub_epi8(w, off), _mm256_loadu_si256((const __m256i *)y[i].qs));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(x86_f16(x[i].d) * x86_f16(y[i].d)), acc);
    }
    *s = hsum8_ps(acc);
}

static void dot_q5_1(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q5_1 *x = vx;
    const block_q8_1 *y = vy;
    __m256 acc = _mm256_setzero_ps();
    float summ = 0;
    for (int64_t i = 0; i < n / QK5_1; i++) {
        __m256i w = _mm256_or_si256(nibbles32(x[i].qs), q5_high(x[i].qh));
        __m256i p = dot_u8(w, _mm256_loadu_si256((const __m256i *)y[i].qs));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(x86_f16(x[i].d) * x86_f16(y[i].d)), acc);
        summ += x86_f16(x[i].m) * x86_f16(y[i].s);
    }
    *s = hsum8_ps(acc) + summ;
}

static void dot_q8_0(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q8_0 *x = vx;
    const block_q8_0 *y = vy;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK8_0; i++) {
        __m256i p = dot_i8(_mm256_loadu_si256((const __m256i *)x[i].qs), _mm256_loadu_si256((const __m256i *)y[i].qs));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(x86_f16(x[i].d) * x86_f16(y[i].d)), acc);
    }
    *s = hsum8_ps(acc);
}

/* K-quants: the sub-block scale multiplies the int16 pair sums of maddubs (levels are at
 * most 63, so 2 * 63 * 127 fits), madd adds the pairs scaled; one float step per 256. */
static void dot_q4_k(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q4_k *x = vx;
    const block_q8_k *y = vy;
    __m256 acc = _mm256_setzero_ps();
    float summ = 0;
    const __m256i m4 = _mm256_set1_epi8(15);
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8], mn[8];
        x86_kq_scales(x[i].scales, sc, mn);
        int smin = 0;
        for (int j = 0; j < 8; j++) smin += mn[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
        __m256i isum = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * c));
            __m256i a0 = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * c));
            __m256i a1 = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * c + 32));
            __m256i p0 = _mm256_maddubs_epi16(_mm256_and_si256(q, m4), a0);
            __m256i p1 = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), a1);
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p0, _mm256_set1_epi16(sc[2 * c])));
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p1, _mm256_set1_epi16(sc[2 * c + 1])));
        }
        const float dy = y[i].d;
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(x86_f16(x[i].d) * dy), acc);
        summ += x86_f16(x[i].dmin) * dy * (float)smin;
    }
    *s = hsum8_ps(acc) - summ;
}

static void dot_q5_k(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q5_k *x = vx;
    const block_q8_k *y = vy;
    __m256 acc = _mm256_setzero_ps();
    float summ = 0;
    const __m256i m4 = _mm256_set1_epi8(15), h16 = _mm256_set1_epi8(16);
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8], mn[8];
        x86_kq_scales(x[i].scales, sc, mn);
        int smin = 0;
        for (int j = 0; j < 8; j++) smin += mn[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
        const __m256i qh = _mm256_loadu_si256((const __m256i *)x[i].qh);
        __m256i isum = _mm256_setzero_si256();
        QLM_UNROLL_FULL for (int c = 0; c < 4; c++) { /* constant shifts in x86_bit_to_4 */
            __m256i q = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * c));
            /* bit 2c of qh[l] is bit 4 of the low-nibble weight, bit 2c+1 of the high one */
            __m256i h0 = _mm256_and_si256(x86_bit_to_4(qh, 2 * c), h16);
            __m256i h1 = _mm256_and_si256(x86_bit_to_4(qh, 2 * c + 1), h16);
            __m256i w0 = _mm256_or_si256(_mm256_and_si256(q, m4), h0);
            __m256i w1 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), h1);
            __m256i p0 = _mm256_maddubs_epi16(w0, _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * c)));
            __m256i p1 = _mm256_maddubs_epi16(w1, _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * c + 32)));
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p0, _mm256_set1_epi16(sc[2 * c])));
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p1, _mm256_set1_epi16(sc[2 * c + 1])));
        }
        const float dy = y[i].d;
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(x86_f16(x[i].d) * dy), acc);
        summ += x86_f16(x[i].dmin) * dy * (float)smin;
    }
    *s = hsum8_ps(acc) - summ;
}

/* Q6_K: levels 0..63 against the activations, the -32 offset through the bsums:
 * sum sc_j * (sum q*a - 32 * bsum_j). */
static void dot_q6_k(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q6_k *x = vx;
    const block_q8_k *y = vy;
    __m256 acc = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(15), m3 = _mm256_set1_epi8(3);
    for (int64_t i = 0; i < n / QK_K; i++) {
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x[i].scales));
        const __m256i bs = _mm256_loadu_si256((const __m256i *)y[i].bsums);
        __m256i isum = _mm256_mullo_epi32(_mm256_madd_epi16(sc16, bs), _mm256_set1_epi32(-32));
        /* the scale words of sub-blocks 0-7 (8-15) in both 128-bit lanes, for one
         * in-lane shuffle per product below instead of two scalar broadcasts */
        const __m256i sw[2] = {_mm256_permute2x128_si256(sc16, sc16, 0x00), _mm256_permute2x128_si256(sc16, sc16, 0x11)};
        _Pragma("GCC unroll 2") for (int h = 0; h < 2; h++) {
            const uint8_t *ql = x[i].ql + 64 * h, *qh = x[i].qh + 32 * h;
            const int8_t *a = y[i].qs + 128 * h;
            __m256i l0 = _mm256_loadu_si256((const __m256i *)ql);
            __m256i l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            __m256i hb = _mm256_loadu_si256((const __m256i *)qh);
            __m256i w[4];
            w[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(hb, m3), 4));
            w[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), m3), 4));
            w[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), m3), 4));
            w[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), m3), 4));
            _Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) {
                __m256i p = _mm256_maddubs_epi16(w[k], _mm256_loadu_si256((const __m256i *)(a + 32 * k)));
                /* 16 pair sums: the first 8 belong to sub-block 8h+2k, the rest to 8h+2k+1 */
                const __m256i scv = _mm256_shuffle_epi8(sw[h], _mm256_setr_epi8(
                    4 * k, 4 * k + 1, 4 * k, 4 * k + 1, 4 * k, 4 * k + 1, 4 * k, 4 * k + 1,
                    4 * k, 4 * k + 1, 4 * k, 4 * k + 1, 4 * k, 4 * k + 1, 4 * k, 4 * k + 1,
                    4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3,
                    4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3, 4 * k + 2, 4 * k + 3));
                isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, scv));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(x86_f16(x[i].d) * y[i].d), acc);
    }
    *s = hsum8_ps(acc);
}

static void dot_f32(int64_t n, float *s, const void *vx, const void *vy) {
    const float *x = vx, *y = vy;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
    }
    float sum = hsum8_ps(_mm256_add_ps(a0, a1));
    for (; i < n; i++) sum += x[i] * y[i];
    *s = sum;
}

static void dot_f16(int64_t n, float *s, const void *vx, const void *vy) {
    const qlm_f16 *x = vx, *y = vy;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))),
                             _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i))), a0);
        a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i + 8))),
                             _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i + 8))), a1);
    }
    float sum = hsum8_ps(_mm256_add_ps(a0, a1));
    for (; i < n; i++) sum += x86_f16(x[i]) * x86_f16(y[i]);
    *s = sum;
}

static inline __m256 bf16x8(const qlm_bf16 *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}

static void dot_bf16(int64_t n, float *s, const void *vx, const void *vy) {
    const qlm_bf16 *x = vx;
    const float *y = vy;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(bf16x8(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(bf16x8(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
    }
    float sum = hsum8_ps(_mm256_add_ps(a0, a1));
    for (; i < n; i++) sum += qlm_bf16_to_f32(x[i]) * y[i];
    *s = sum;
}

bool qlm_kernels_fill_avx2(qlm_kernels *k) {
    k->from_float[QLM_TYPE_Q8_0] = qlm_avx2_quant_q8_0;
    k->from_float[QLM_TYPE_Q8_1] = qlm_avx2_quant_q8_1;
    k->from_float[QLM_TYPE_Q8_K] = qlm_avx2_quant_q8_k;
    k->from_float[QLM_TYPE_F16] = qlm_avx2_quant_f16;
    k->to_float[QLM_TYPE_F16] = qlm_avx2_dequant_f16;
    k->to_float[QLM_TYPE_BF16] = qlm_avx2_dequant_bf16;
    k->vec_dot[QLM_TYPE_Q4_0] = dot_q4_0;
    k->vec_dot[QLM_TYPE_Q4_1] = dot_q4_1;
    k->vec_dot[QLM_TYPE_Q5_0] = dot_q5_0;
    k->vec_dot[QLM_TYPE_Q5_1] = dot_q5_1;
    k->vec_dot[QLM_TYPE_Q8_0] = dot_q8_0;
    k->vec_dot[QLM_TYPE_Q4_K] = dot_q4_k;
    k->vec_dot[QLM_TYPE_Q5_K] = dot_q5_k;
    k->vec_dot[QLM_TYPE_Q6_K] = dot_q6_k;
    k->vec_dot[QLM_TYPE_F32] = dot_f32;
    k->vec_dot[QLM_TYPE_F16] = dot_f16;
    k->vec_dot[QLM_TYPE_BF16] = dot_bf16;
    qlm_avx2_fill_gemm(k);
    k->attn = qlm_avx2_attn;
    k->silu_mul = qlm_avx2_silu_mul;
    return true;
}
#else
bool qlm_kernels_fill_avx2(qlm_kernels *k) { (void)k; return false; }
#endif
