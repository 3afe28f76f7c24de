/* NEON 8-bit activation quantizers shared by kernels_neon.c (block_q8_* rows for
 * vec_dot) and gemm_prep_neon.c (the gemm's prepared rows), so both round alike and the
 * gemm's integer sums equal the vec_dot path's. Plain ARMv8-A code: include it only
 * from files compiled for aarch64. */
#ifndef QLM_NEON_Q8_H
#define QLM_NEON_Q8_H

#include <arm_neon.h>
#include <stdbool.h>
#include <stdint.h>

/* One block of 32: *d = amax/127 (not yet rounded to f16), levels nearest-even(x *
 * 127/amax), saturated; returns the sum of the levels. */
static inline int neon_q8_block(const float *x, int8_t *qs, float *d) {
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

/* Q8_K's scale, as the reference: *iscale = -127/m for the first value m of largest
 * magnitude among n (NaN ignored: maxnm); false for an all-zero (or all-NaN) block. */
static inline bool neon_q8k_iscale(const float *xb, int n, float *iscale) {
    float32x4_t amax = vdupq_n_f32(0);
    for (int k = 0; k < n / 4; k++) amax = vmaxnmq_f32(amax, vabsq_f32(vld1q_f32(xb + 4 * k)));
    const float am = vmaxnmvq_f32(amax);
    if (!(am > 0.0f)) return false;
    float m = 0;
    for (int j = 0; j < n; j++)
        if ((xb[j] < 0 ? -xb[j] : xb[j]) == am) { m = xb[j]; break; }
    *iscale = -127.f / m;
    return true;
}

/* 16 Q8_K levels nearest-even(x * iscale) capped to [-128, 127] (FCVTNS: NaN -> 0,
 * saturating), stored at qs; returns their sum. */
static inline int neon_q8k_16(const float *x, float iscale, int8_t *qs) {
    int32x4_t q[4];
    for (int k = 0; k < 4; k++) q[k] = vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(x + 4 * k), iscale));
    const int16x8_t h0 = vcombine_s16(vqmovn_s32(q[0]), vqmovn_s32(q[1]));
    const int16x8_t h1 = vcombine_s16(vqmovn_s32(q[2]), vqmovn_s32(q[3]));
    const int8x16_t b = vcombine_s8(vqmovn_s16(h0), vqmovn_s16(h1));
    vst1q_s8(qs, b);
    return vaddlvq_s8(b);
}

#endif
