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
#include "neon_q8.h" /* after the pragma: its functions are plain ARMv8-A too */

static inline float f16_round(float f) {
    return vgetq_lane_f32(vcvt_f32_f16(vcvt_f16_f32(vdupq_n_f32(f))), 0);
}

/* Q8_0 layout: levels | d[n/32] (f16-rounded, as block_q8_0 stores it) */
void qlm_neon_gemm_prep_q8_0(const float *x, void *dst, int64_t n) {
    int8_t *qs = dst;
    float *d = (float *)(void *)(qs + n);
    for (int64_t i = 0; i < n / 32; i++) {
        float di;
        neon_q8_block(x + 32 * i, qs + 32 * i, &di);
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
        const int sum = neon_q8_block(x + 32 * i, qs + 32 * i, &di);
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
        float iscale;
        if (!neon_q8k_iscale(xb, QK_K, &iscale)) {
            memset(qs + QK_K * i, 0, QK_K);
            d[i] = 0;
            memset(s + 8 * i, 0, 8 * sizeof *s);
            continue;
        }
        for (int g = 0; g < QK_K / 32; g++)
            s[8 * i + g] = (int16_t)(neon_q8k_16(xb + 32 * g, iscale, qs + QK_K * i + 32 * g) +
                                     neon_q8k_16(xb + 32 * g + 16, iscale, qs + QK_K * i + 32 * g + 16));
        d[i] = 1 / iscale;
    }
}

#endif
