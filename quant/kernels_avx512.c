/* AVX-512 (F/BW/VL/DQ + VNNI) kernels; installed only after run-time detection. The
 * table starts as a copy of the AVX2 one (ggml-like/kernels.c), so the activation
 * quantizers and conversions are the AVX2 ones and both x86 paths quantize alike. This
 * file replaces the dot products with vpdpbusd versions (unsigned levels x signed
 * activations, 4 products summed per 32-bit lane) and adds the gemm kernels
 * (quant/gemm_avx512.c). */
#include "../ggml-like/kernels.h"
#include "../ggml-like/ops_simd.h"

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VNNI__)
#include "kernels_x86.h"
#include "quants.h"
#include "simd_x86.h"

/* 32 nibbles in weight order: low nibbles (weights 0..15), then high (16..31) */
static inline __m256i nibbles32(const uint8_t *qs) {
    __m128i q = _mm_loadu_si128((const __m128i *)qs);
    __m256i w = _mm256_inserti128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1);
    return _mm256_and_si256(w, _mm256_set1_epi8(15));
}

/* bit 4 of the 32 levels of a Q5_0/Q5_1 block, added to w where set */
static inline __m256i add_q5_high(__m256i w, const uint8_t qh[4]) {
    uint32_t h;
    memcpy(&h, qh, 4);
    return _mm256_mask_add_epi8(w, (__mmask32)h, w, _mm256_set1_epi8(16));
}

static inline __m256i dpb(__m256i u, __m256i s) { return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s); }

/* sum (u - off) * y for unsigned levels u: the offset through a second product */
static inline __m256i dpb_off(__m256i u, __m256i y, int off) {
    return _mm256_sub_epi32(dpb(u, y), dpb(_mm256_set1_epi8((char)off), y));
}

static void dot_q4_0(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q4_0 *x = vx;
    const block_q8_0 *y = vy;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK4_0; i++) {
        __m256i p = dpb_off(nibbles32(x[i].qs), _mm256_loadu_si256((const __m256i *)y[i].qs), 8);
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
        __m256i p = dpb(nibbles32(x[i].qs), _mm256_loadu_si256((const __m256i *)y[i].qs));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(x86_f16(x[i].d) * x86_f16(y[i].d)), acc);
        summ += x86_f16(x[i].m) * x86_f16(y[i].s);
    }
    *s = hsum8_ps(acc) + summ;
}

static void dot_q5_0(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q5_0 *x = vx;
    const block_q8_0 *y = vy;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK5_0; i++) {
        __m256i w = add_q5_high(nibbles32(x[i].qs), x[i].qh);
        __m256i p = dpb_off(w, _mm256_loadu_si256((const __m256i *)y[i].qs), 16);
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
        __m256i w = add_q5_high(nibbles32(x[i].qs), x[i].qh);
        __m256i p = dpb(w, _mm256_loadu_si256((const __m256i *)y[i].qs));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(x86_f16(x[i].d) * x86_f16(y[i].d)), acc);
        summ += x86_f16(x[i].m) * x86_f16(y[i].s);
    }
    *s = hsum8_ps(acc) + summ;
}

/* Q8_0: weights made unsigned by flipping the sign bit (q + 128), then the offset. */
static void dot_q8_0(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q8_0 *x = vx;
    const block_q8_0 *y = vy;
    __m256 acc = _mm256_setzero_ps();
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    for (int64_t i = 0; i < n / QK8_0; i++) {
        __m256i w = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)x[i].qs), flip);
        __m256i p = dpb_off(w, _mm256_loadu_si256((const __m256i *)y[i].qs), 128);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(x86_f16(x[i].d) * x86_f16(y[i].d)), acc);
    }
    *s = hsum8_ps(acc);
}

/* K-quants: per sub-block an int32 vector of partial sums, times the 6-bit scale,
 * summed in int32 over the super-block; one float step per 256 values. */
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
            __m256i p0 = dpb(_mm256_and_si256(q, m4), _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * c)));
            __m256i p1 = dpb(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4),
                             _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * c + 32)));
            isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(p0, _mm256_set1_epi32(sc[2 * c])));
            isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(p1, _mm256_set1_epi32(sc[2 * c + 1])));
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
        for (int c = 0; c < 4; c++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * c));
            __mmask32 k0 = _mm256_test_epi8_mask(qh, _mm256_set1_epi8((char)(1 << (2 * c))));
            __mmask32 k1 = _mm256_test_epi8_mask(qh, _mm256_set1_epi8((char)(2 << (2 * c))));
            __m256i w0 = _mm256_mask_add_epi8(_mm256_and_si256(q, m4), k0, _mm256_and_si256(q, m4), h16);
            __m256i q1 = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            __m256i w1 = _mm256_mask_add_epi8(q1, k1, q1, h16);
            __m256i p0 = dpb(w0, _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * c)));
            __m256i p1 = dpb(w1, _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * c + 32)));
            isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(p0, _mm256_set1_epi32(sc[2 * c])));
            isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(p1, _mm256_set1_epi32(sc[2 * c + 1])));
        }
        const float dy = y[i].d;
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(x86_f16(x[i].d) * dy), acc);
        summ += x86_f16(x[i].dmin) * dy * (float)smin;
    }
    *s = hsum8_ps(acc) - summ;
}

/* Q6_K: unsigned levels 0..63, the -32 offset through the bsums; the 16 sub-block sums
 * of 16 land in 2 lanes each of 8 dpbusd results, so one multiply by the scales
 * (spread to those lanes) per 64 values. */
static void dot_q6_k(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q6_k *x = vx;
    const block_q8_k *y = vy;
    __m256 acc = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(15), m3 = _mm256_set1_epi8(3);
    for (int64_t i = 0; i < n / QK_K; i++) {
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x[i].scales));
        const __m256i bs = _mm256_loadu_si256((const __m256i *)y[i].bsums);
        __m256i isum = _mm256_mullo_epi32(_mm256_madd_epi16(sc16, bs), _mm256_set1_epi32(-32));
        for (int h = 0; h < 2; h++) {
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
            for (int k = 0; k < 4; k++) {
                __m256i p = dpb(w[k], _mm256_loadu_si256((const __m256i *)(a + 32 * k)));
                /* lanes 0-3: sub-block 8h+2k, lanes 4-7: 8h+2k+1 */
                const int j = 8 * h + 2 * k;
                __m256i scv = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi32(x[i].scales[j])),
                                                      _mm_set1_epi32(x[i].scales[j + 1]), 1);
                isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(p, scv));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(x86_f16(x[i].d) * y[i].d), acc);
    }
    *s = hsum8_ps(acc);
}

static void dot_f32(int64_t n, float *s, const void *vx, const void *vy) {
    const float *x = vx, *y = vy;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), a1);
    }
    if (i < n) { /* masked tail: up to 31 values */
        __mmask16 m0 = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
        __mmask16 m1 = (__mmask16)(n - i > 16 ? (1u << (n - i - 16)) - 1 : 0);
        a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, x + i), _mm512_maskz_loadu_ps(m0, y + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, x + i + 16), _mm512_maskz_loadu_ps(m1, y + i + 16), a1);
    }
    *s = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
}

static void dot_f16(int64_t n, float *s, const void *vx, const void *vy) {
    const qlm_f16 *x = vx, *y = vy;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + i))),
                             _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(y + i))), a0);
        a1 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + i + 16))),
                             _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(y + i + 16))), a1);
    }
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
    for (; i < n; i++) sum += x86_f16(x[i]) * x86_f16(y[i]);
    *s = sum;
}

static void dot_bf16(int64_t n, float *s, const void *vx, const void *vy) {
    const qlm_bf16 *x = vx;
    const float *y = vy;
    __m512 a0 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i w = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(x + i))), 16);
        a0 = _mm512_fmadd_ps(_mm512_castsi512_ps(w), _mm512_loadu_ps(y + i), a0);
    }
    float sum = _mm512_reduce_add_ps(a0);
    for (; i < n; i++) sum += qlm_bf16_to_f32(x[i]) * y[i];
    *s = sum;
}

bool qlm_kernels_fill_avx512(qlm_kernels *k) {
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
    k->attn = qlm_avx512_attn;
    k->silu_mul = qlm_avx512_silu_mul;
    k->rmsnorm = qlm_avx512_rmsnorm;
    qlm_avx512_fill_gemm(k);
    return true;
}
#else
bool qlm_kernels_fill_avx512(qlm_kernels *k) { (void)k; return false; }
#endif
