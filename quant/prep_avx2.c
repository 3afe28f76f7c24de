/* Prepared activation rows for the x86 gemm kernels (layout in quant/kernels_x86.h).
 * Built from the same block quantizers as the vec_dot path (kernels_avx2.c), so both
 * paths see identical int8 levels and scales. Compiled with the AVX2 flags; shared by the
 * AVX2 and AVX-512 tables. */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include "kernels_x86.h"
#include "simd_x86.h"

/* The three arrays of a row, zeroed from the first partly used 512-value group on (the
 * kernels read whole groups; padding must contribute nothing). */
static inline void layout(void *dst, int64_t n, int B, int8_t **q, float **d, void **e) {
    size_t nq = x86_prep_nq(n), nb = nq / (size_t)B;
    *q = dst;
    *d = (float *)((char *)dst + nq);
    *e = *d + nb;
    size_t z = (size_t)n / 512 * 512;
    memset(*q + z, 0, nq - z);
    if (B == 32) memset((char *)dst + x86_prep_qn(n) + z, 0, nq - z); /* natural copy */
    memset(*d + z / (size_t)B, 0, (nb - z / (size_t)B) * 4);
    memset((float *)*e + z / (size_t)B, 0, (nb - z / (size_t)B) * 4);
}

/* Q8_0-quantized blocks of 32 for Q4_0/Q5_0/Q8_0 weights; e = -bias * sum(q), the
 * correction for weights stored as unsigned levels q_w + bias. nib4: the Q4_0/Q5_0
 * order (per 4 blocks: their first 16 values, then their last 16). */
static void prep_q8_0_blocks(const float *x, void *dst, int64_t n, int bias, bool nib4) {
    int8_t *q;
    float *d;
    void *ev;
    layout(dst, n, 32, &q, &d, &ev);
    int32_t *e = ev;
    for (int64_t b = 0; b < n / 32; b++) {
        int8_t qs[32];
        float df;
        int sum = qlm_avx2_q8_block(x + 32 * b, qs, &df);
        d[b] = x86_f16(x86_to_f16(df));
        e[b] = -bias * sum;
        if (nib4) {
            int8_t *g = q + 128 * (b / 4) + 16 * (b % 4);
            memcpy(g, qs, 16);
            memcpy(g + 64, qs + 16, 16);
            memcpy((int8_t *)dst + x86_prep_qn(n) + 32 * b, qs, 32);
        } else {
            memcpy(q + 32 * b, qs, 32);
        }
    }
}

void qlm_x86_prep_q4_0(const float *x, void *dst, int64_t n) { prep_q8_0_blocks(x, dst, n, 8, true); }
void qlm_x86_prep_q5_0(const float *x, void *dst, int64_t n) { prep_q8_0_blocks(x, dst, n, 16, true); }
void qlm_x86_prep_q8_0(const float *x, void *dst, int64_t n) { prep_q8_0_blocks(x, dst, n, 128, false); }

/* Q8_1-quantized blocks for Q4_1/Q5_1: e = s (= d * sum(q) rounded to f16) as float. */
static void prep_q8_1_blocks(const float *x, void *dst, int64_t n) {
    int8_t *q;
    float *d;
    void *ev;
    layout(dst, n, 32, &q, &d, &ev);
    float *e = ev;
    for (int64_t b = 0; b < n / 32; b++) {
        int8_t qs[32];
        float df;
        int sum = qlm_avx2_q8_block(x + 32 * b, qs, &df);
        d[b] = x86_f16(x86_to_f16(df));
        e[b] = x86_f16(x86_to_f16(df * (float)sum));
        int8_t *g = q + 128 * (b / 4) + 16 * (b % 4);
        memcpy(g, qs, 16);
        memcpy(g + 64, qs + 16, 16);
        memcpy((int8_t *)dst + x86_prep_qn(n) + 32 * b, qs, 32);
    }
}

void qlm_x86_prep_q4_1(const float *x, void *dst, int64_t n) { prep_q8_1_blocks(x, dst, n); }
void qlm_x86_prep_q5_1(const float *x, void *dst, int64_t n) { prep_q8_1_blocks(x, dst, n); }

/* Q8_K for Q4_K/Q5_K: per sub-block of 32, d = the super-block's d and e = d * (sum of
 * its levels); order per 128 values [s0 s2 s1 s3] (then s4 s6 s5 s7), matching the low
 * and high nibbles of 64 bytes of qs. */
void qlm_x86_prep_q4_k(const float *x, void *dst, int64_t n) {
    int8_t *q;
    float *d;
    void *ev;
    layout(dst, n, 32, &q, &d, &ev);
    float *e = ev;
    static const int pos[8] = {0, 64, 32, 96, 128, 192, 160, 224};
    for (int64_t i = 0; i < n / QK_K; i++) {
        block_q8_k y;
        qlm_avx2_quant_q8_k(x + QK_K * i, &y, QK_K);
        memcpy((int8_t *)dst + x86_prep_qn(n) + QK_K * i, y.qs, QK_K);
        for (int s = 0; s < 8; s++) {
            memcpy(q + QK_K * i + pos[s], y.qs + 32 * s, 32);
            d[8 * i + s] = y.d;
            e[8 * i + s] = y.d * (float)(y.bsums[2 * s] + y.bsums[2 * s + 1]);
        }
    }
}

/* Q8_K for Q6_K: natural order, per sub-block of 16: d and e = -32 * (sum of levels). */
void qlm_x86_prep_q6_k(const float *x, void *dst, int64_t n) {
    int8_t *q;
    float *d;
    void *ev;
    layout(dst, n, 16, &q, &d, &ev);
    int32_t *e = ev;
    for (int64_t i = 0; i < n / QK_K; i++) {
        block_q8_k y;
        qlm_avx2_quant_q8_k(x + QK_K * i, &y, QK_K);
        memcpy(q + QK_K * i, y.qs, QK_K);
        for (int s = 0; s < 16; s++) {
            d[16 * i + s] = y.d;
            e[16 * i + s] = -32 * y.bsums[s];
        }
    }
}

/* Float weights: f32 activations (F16: rounded to f16 first, as the vec_dot path's F16
 * activations are), zero-padded. */
void qlm_x86_prep_f32(const float *x, void *dst, int64_t n) {
    memcpy(dst, x, (size_t)n * 4);
    memset((float *)dst + n, 0, (x86_prep_nq(n) - (size_t)n) * 4);
}

void qlm_x86_prep_f16(const float *x, void *dst, int64_t n) {
    float *y = dst;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm256_storeu_ps(y + i, _mm256_cvtph_ps(h));
    }
    for (; i < n; i++) y[i] = x86_f16(x86_to_f16(x[i]));
    memset(y + n, 0, (x86_prep_nq(n) - (size_t)n) * 4);
}
#endif
