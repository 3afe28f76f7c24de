/* Activation preparation for the NEON gemm kernels (quant/gemm_neon.c and
 * gemm_base_neon.c; the layouts are in gemm_neon.c's header): Q8_0, Q8_1 and Q8_K
 * levels with the rounding of kernels_neon.c's quantizers, so that the gemm's integer
 * sums equal the vec_dot path's. Plain ARMv8-A: both kernel variants use them. */
#include "../ggml-like/kernels.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

#include "blocks.h"

/* The Makefile's -march for *_neon.c includes dotprod; these run on CPUs without it
 * too, so GCC must not vectorize anything here into sdot (see kernels_neon.c). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("arch=armv8-a")
#endif

static inline float f16_round(float f) {
    return vgetq_lane_f32(vcvt_f32_f16(vcvt_f16_f32(vdupq_n_f32(f))), 0);
}

/* One block of 32 as kernels_neon.c's q8_block: *d = amax/127 (not yet rounded to f16),
 * levels nearest-even(x * 127/amax), saturated; returns the sum of the levels (taken
 * before saturation, as there). */
static inline int q8_block(const float *x, int8_t *qs, float *d) {
    float32x4_t v[8], amax = vdupq_n_f32(0);
    for (int k = 0; k < 8; k++) {
        v[k] = vld1q_f32(x + 4 * k);
        amax = vmaxq_f32(amax, vabsq_f32(v[k]));
    }
    const float m = vmaxvq_f32(amax);
    *d = m / 127.f;
    const float id = m != 0.0f ? 127.f / m : 0.0f;
    int32x4_t sum = vdupq_n_s32(0);
    for (int k = 0; k < 8; k += 2) {
        const int32x4_t i0 = vcvtnq_s32_f32(vmulq_n_f32(v[k], id));
        const int32x4_t i1 = vcvtnq_s32_f32(vmulq_n_f32(v[k + 1], id));
        sum = vaddq_s32(sum, vaddq_s32(i0, i1));
        vst1_s8(qs + 4 * k, vqmovn_s16(vcombine_s16(vqmovn_s32(i0), vqmovn_s32(i1))));
    }
    return vaddvq_s32(sum);
}

/* Q8_0 layout: levels | d[n/32] (f16-rounded, as block_q8_0 stores it) */
void qlm_neon_gemm_prep_q8_0(const float *x, void *dst, int64_t n) {
    int8_t *qs = dst;
    float *d = (float *)(void *)(qs + n);
    for (int64_t i = 0; i < n / 32; i++) {
        float di;
        q8_block(x + 32 * i, qs + 32 * i, &di);
        d[i] = f16_round(di);
    }
}

/* Q8_1 layout: levels | d[n/32] | s[n/32], as quant_q8_1: s = f16(d * sum) with the
 * unrounded d, so the min term m*s equals the vec_dot path's. */
void qlm_neon_gemm_prep_q8_1(const float *x, void *dst, int64_t n) {
    int8_t *qs = dst;
    float *d = (float *)(void *)(qs + n), *s = d + n / 32;
    for (int64_t i = 0; i < n / 32; i++) {
        float di;
        const int sum = q8_block(x + 32 * i, qs + 32 * i, &di);
        d[i] = f16_round(di);
        s[i] = f16_round(di * (float)sum);
    }
}

/* Q8_K as quant_q8_k in kernels_neon.c (and the scalar reference): m = first value of
 * largest magnitude (NaN ignored), d = m/-127, levels nearest-even(x * -127/m) capped to
 * [-128, 127]; an all-zero (or all-NaN) block is all zeros. */
void qlm_neon_gemm_prep_q8_k(const float *x, void *dst, int64_t n) {
    const int64_t nsb = n / QK_K;
    int8_t *qs = dst;
    float *d = (float *)(void *)(qs + n);
    int16_t *s = (int16_t *)(void *)(d + nsb);
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

#endif
