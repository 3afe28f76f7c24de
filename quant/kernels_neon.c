/* NEON kernels for ARM64: activation quantizers, conversions and dot products.
 *
 * The Makefile compiles this file with -march=armv8.2-a+dotprod+fp16, but dotprod is
 * optional in ARMv8.2 (Cortex-A55/A75 and later have it; A53/A72 do not). So with GCC
 * the whole file is first brought back to plain ARMv8-A, and only the functions of the
 * dotprod variant (neon_dots.inc included with ATTR = its target attribute) may use
 * sdot; qlm_kernels_fill_neon installs them only when HWCAP says the CPU has it. Clang
 * cannot lower a file's -march by pragma: a clang build assumes the flags' CPU.
 *
 * Quantizers follow llama.cpp's NEON ones (id = 127/amax, round to nearest even), which
 * equal the x86 ones; Q8_K and F16 match the scalar reference bit for bit. */
#include "../ggml-like/kernels.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

#include "../ggml-like/cpu_features.h"
#include "blocks.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("arch=armv8-a")
#define DOTPROD_ATTR __attribute__((target("arch=armv8.2-a+dotprod")))
#else
#define DOTPROD_ATTR __attribute__((target("dotprod")))
#endif
#include "neon_q8.h" /* after the pragma: its functions are plain ARMv8-A too */

static inline float neon_f16(qlm_f16 h) {
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

static inline qlm_f16 neon_to_f16(float f) {
    return vget_lane_u16(vreinterpret_u16_f16(vcvt_f16_f32(vdupq_n_f32(f))), 0);
}

/* Q4_K/Q5_K 6-bit scales and mins (layout in blocks.h) */
static inline void neon_kq_scales(const uint8_t s[12], uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = s[j] & 63;
        mn[j] = s[j + 4] & 63;
        sc[j + 4] = (uint8_t)((s[j + 8] & 15) | ((s[j] >> 6) << 4));
        mn[j + 4] = (uint8_t)((s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4));
    }
}

/* Q5_0/Q5_1 levels: nibbles plus bit 4 from the qh word (bit j for value j) */
static inline void q5_bytes(const uint8_t *qs, const uint8_t qh[4], uint8x16_t m4, uint8x16_t *lo, uint8x16_t *hi) {
    static const uint8_t bits[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t bv = vld1q_u8(bits), h16 = vdupq_n_u8(16);
    const uint8x16_t q = vld1q_u8(qs);
    const uint8x16_t b01 = vcombine_u8(vdup_n_u8(qh[0]), vdup_n_u8(qh[1]));
    const uint8x16_t b23 = vcombine_u8(vdup_n_u8(qh[2]), vdup_n_u8(qh[3]));
    *lo = vorrq_u8(vandq_u8(q, m4), vandq_u8(vtstq_u8(b01, bv), h16));
    *hi = vorrq_u8(vshrq_n_u8(q, 4), vandq_u8(vtstq_u8(b23, bv), h16));
}

/* ---- dot products: two variants of neon_dots.inc -------------------------------- */

/* widening multiplies, pairwise added: any ARMv8 */
static inline int32x4_t dot_base(int32x4_t acc, int8x16_t a, int8x16_t b) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
}

#define SFX(name) name##_base
#define ATTR
#define DOT(acc, a, b) dot_base(acc, a, b)
#include "neon_dots.inc"
#undef SFX
#undef ATTR
#undef DOT

#define SFX(name) name##_dp
#define ATTR DOTPROD_ATTR
#define DOT(acc, a, b) vdotq_s32(acc, a, b)
#include "neon_dots.inc"
#undef SFX
#undef ATTR
#undef DOT

static void dot_f32(int64_t n, float *s, const void *vx, const void *vy) {
    const float *x = vx, *y = vy;
    float32x4_t a0 = vdupq_n_f32(0), a1 = vdupq_n_f32(0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        a0 = vfmaq_f32(a0, vld1q_f32(x + i), vld1q_f32(y + i));
        a1 = vfmaq_f32(a1, vld1q_f32(x + i + 4), vld1q_f32(y + i + 4));
    }
    float sum = vaddvq_f32(vaddq_f32(a0, a1));
    for (; i < n; i++) sum += x[i] * y[i];
    *s = sum;
}

static inline float32x4_t f16x4(const qlm_f16 *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }

static void dot_f16(int64_t n, float *s, const void *vx, const void *vy) {
    const qlm_f16 *x = vx, *y = vy;
    float32x4_t a0 = vdupq_n_f32(0), a1 = vdupq_n_f32(0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        a0 = vfmaq_f32(a0, f16x4(x + i), f16x4(y + i));
        a1 = vfmaq_f32(a1, f16x4(x + i + 4), f16x4(y + i + 4));
    }
    float sum = vaddvq_f32(vaddq_f32(a0, a1));
    for (; i < n; i++) sum += neon_f16(x[i]) * neon_f16(y[i]);
    *s = sum;
}

static inline float32x4_t bf16x4(const qlm_bf16 *p) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16));
}

static void dot_bf16(int64_t n, float *s, const void *vx, const void *vy) {
    const qlm_bf16 *x = vx;
    const float *y = vy;
    float32x4_t a0 = vdupq_n_f32(0), a1 = vdupq_n_f32(0);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        a0 = vfmaq_f32(a0, bf16x4(x + i), vld1q_f32(y + i));
        a1 = vfmaq_f32(a1, bf16x4(x + i + 4), vld1q_f32(y + i + 4));
    }
    float sum = vaddvq_f32(vaddq_f32(a0, a1));
    for (; i < n; i++) sum += qlm_bf16_to_f32(x[i]) * y[i];
    *s = sum;
}

/* ---- activation quantizers and conversions -------------------------------------- */

static void quant_q8_0(const float *x, void *vy, int64_t n) {
    block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / QK8_0; i++) {
        float d;
        neon_q8_block(x + i * QK8_0, y[i].qs, &d);
        y[i].d = neon_to_f16(d);
    }
}

static void quant_q8_1(const float *x, void *vy, int64_t n) {
    block_q8_1 *y = vy;
    for (int64_t i = 0; i < n / QK8_1; i++) {
        float d;
        int sum = neon_q8_block(x + i * QK8_1, y[i].qs, &d);
        y[i].d = neon_to_f16(d);
        y[i].s = neon_to_f16(d * (float)sum);
    }
}

/* Q8_K, as the reference: d = m/-127 for the first value m of largest magnitude (NaN
 * ignored: maxnm), levels nearest(x * -127/m) capped to [-128, 127], NaN -> 0. */
static void quant_q8_k(const float *x, void *vy, int64_t n) {
    block_q8_k *y = vy;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float *xb = x + i * QK_K;
        float iscale;
        if (!neon_q8k_iscale(xb, QK_K, &iscale)) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        for (int g = 0; g < QK_K / 16; g++) y[i].bsums[g] = (int16_t)neon_q8k_16(xb + 16 * g, iscale, y[i].qs + 16 * g);
        y[i].d = 1 / iscale;
    }
}

static void quant_f16(const float *x, void *vy, int64_t n) {
    qlm_f16 *y = vy;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1_u16(y + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
    for (; i < n; i++) y[i] = neon_to_f16(x[i]);
}

static void dequant_f16(const void *vx, float *y, int64_t n) {
    const qlm_f16 *x = vx;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, f16x4(x + i));
    for (; i < n; i++) y[i] = neon_f16(x[i]);
}

static void dequant_bf16(const void *vx, float *y, int64_t n) {
    const qlm_bf16 *x = vx;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, bf16x4(x + i));
    for (; i < n; i++) y[i] = qlm_bf16_to_f32(x[i]);
}

/* quant/attn_neon.c */
void qlm_neon_attn(const float *q, float *out, size_t q_stride, int n_tok, int n_q, const void *k,
                   const void *v, size_t kv_stride, int n_pos, int hd, float scale, bool f16, float *scores);

/* quant/gemm_prep_neon.c (plain ARMv8-A) and the two builds of quant/gemm_neon.inc:
 * gemm_neon.c (sdot: install only on CPUs with dotprod, QLM_NEON_GEMM(t)) and
 * gemm_base_neon.c (widening multiplies, any ARMv8-A: QLM_NEON_GEMM(t##_base)). */
void qlm_neon_gemm_prep_q8_0(const float *x, void *dst, int64_t n);
void qlm_neon_gemm_prep_q8_1(const float *x, void *dst, int64_t n);
void qlm_neon_gemm_prep_q8_k(const float *x, void *dst, int64_t n);
#define QLM_NEON_GEMM(t)                                                                          \
    void qlm_neon_gemm_##t(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, \
                           float *y, int64_t ldy, void *work)
QLM_NEON_GEMM(q4_0); QLM_NEON_GEMM(q4_1); QLM_NEON_GEMM(q5_0); QLM_NEON_GEMM(q5_1);
QLM_NEON_GEMM(q8_0); QLM_NEON_GEMM(q4_k); QLM_NEON_GEMM(q5_k); QLM_NEON_GEMM(q6_k);
QLM_NEON_GEMM(q4_0_base); QLM_NEON_GEMM(q4_1_base); QLM_NEON_GEMM(q5_0_base); QLM_NEON_GEMM(q5_1_base);
QLM_NEON_GEMM(q8_0_base); QLM_NEON_GEMM(q4_k_base); QLM_NEON_GEMM(q5_k_base); QLM_NEON_GEMM(q6_k_base);
#undef QLM_NEON_GEMM

/* quant/gemm_float_neon.c (plain ARMv8-A: installed on every NEON CPU) */
void qlm_neon_gemm_prep_f32(const float *x, void *dst, int64_t n);
void qlm_neon_gemm_prep_f16(const float *x, void *dst, int64_t n);
void qlm_neon_gemm_f32(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as,
                       float *y, int64_t ldy, void *work);
void qlm_neon_gemm_f16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as,
                       float *y, int64_t ldy, void *work);
void qlm_neon_gemm_bf16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as,
                        float *y, int64_t ldy, void *work);

bool qlm_kernels_fill_neon(qlm_kernels *k) {
    const bool dp = qlm_cpu_get()->dotprod;
    k->attn = qlm_neon_attn;
    k->from_float[QLM_TYPE_Q8_0] = quant_q8_0;
    k->from_float[QLM_TYPE_Q8_1] = quant_q8_1;
    k->from_float[QLM_TYPE_Q8_K] = quant_q8_k;
    k->from_float[QLM_TYPE_F16] = quant_f16;
    k->to_float[QLM_TYPE_F16] = dequant_f16;
    k->to_float[QLM_TYPE_BF16] = dequant_bf16;
    k->vec_dot[QLM_TYPE_Q4_0] = dp ? dot_q4_0_dp : dot_q4_0_base;
    k->vec_dot[QLM_TYPE_Q4_1] = dp ? dot_q4_1_dp : dot_q4_1_base;
    k->vec_dot[QLM_TYPE_Q5_0] = dp ? dot_q5_0_dp : dot_q5_0_base;
    k->vec_dot[QLM_TYPE_Q5_1] = dp ? dot_q5_1_dp : dot_q5_1_base;
    k->vec_dot[QLM_TYPE_Q8_0] = dp ? dot_q8_0_dp : dot_q8_0_base;
    k->vec_dot[QLM_TYPE_Q4_K] = dp ? dot_q4_k_dp : dot_q4_k_base;
    k->vec_dot[QLM_TYPE_Q5_K] = dp ? dot_q5_k_dp : dot_q5_k_base;
    k->vec_dot[QLM_TYPE_Q6_K] = dp ? dot_q6_k_dp : dot_q6_k_base;
    k->vec_dot[QLM_TYPE_F32] = dot_f32;
    k->vec_dot[QLM_TYPE_F16] = dot_f16;
    k->vec_dot[QLM_TYPE_BF16] = dot_bf16;
    /* Quantized weights, batches of 2+ tokens: the gemm unpacks each weight block once
     * for up to 4 tokens and reads no scratch, so it already beats one vec_dot per token
     * at 2; for 1 token vec_dot does the same work with fewer reductions. Without
     * dotprod the same holds (the widening gemm's products per token cost no more than
     * dot_base's: one sadalp per 32 products instead of per 8, Q8_0 per 8 in both), so
     * both share the threshold. Not timed on ARM hardware. */
    static const struct { qlm_type t; qlm_gemm_prep_fn prep; qlm_gemm_fn dp, base; } gq[] = {
        {QLM_TYPE_Q4_0, qlm_neon_gemm_prep_q8_0, qlm_neon_gemm_q4_0, qlm_neon_gemm_q4_0_base},
        {QLM_TYPE_Q4_1, qlm_neon_gemm_prep_q8_1, qlm_neon_gemm_q4_1, qlm_neon_gemm_q4_1_base},
        {QLM_TYPE_Q5_0, qlm_neon_gemm_prep_q8_0, qlm_neon_gemm_q5_0, qlm_neon_gemm_q5_0_base},
        {QLM_TYPE_Q5_1, qlm_neon_gemm_prep_q8_1, qlm_neon_gemm_q5_1, qlm_neon_gemm_q5_1_base},
        {QLM_TYPE_Q8_0, qlm_neon_gemm_prep_q8_0, qlm_neon_gemm_q8_0, qlm_neon_gemm_q8_0_base},
        {QLM_TYPE_Q4_K, qlm_neon_gemm_prep_q8_k, qlm_neon_gemm_q4_k, qlm_neon_gemm_q4_k_base},
        {QLM_TYPE_Q5_K, qlm_neon_gemm_prep_q8_k, qlm_neon_gemm_q5_k, qlm_neon_gemm_q5_k_base},
        {QLM_TYPE_Q6_K, qlm_neon_gemm_prep_q8_k, qlm_neon_gemm_q6_k, qlm_neon_gemm_q6_k_base},
    };
    for (size_t i = 0; i < sizeof gq / sizeof gq[0]; i++) {
        k->gemm_prep[gq[i].t] = gq[i].prep;
        k->gemm[gq[i].t] = dp ? gq[i].dp : gq[i].base;
        k->gemm_min_tokens[gq[i].t] = 2;
    }
    /* float weights: batches of 4+ tokens reuse each transposed weight panel */
    k->gemm_prep[QLM_TYPE_F32] = qlm_neon_gemm_prep_f32;
    k->gemm[QLM_TYPE_F32] = qlm_neon_gemm_f32;
    k->gemm_prep[QLM_TYPE_F16] = qlm_neon_gemm_prep_f16;
    k->gemm[QLM_TYPE_F16] = qlm_neon_gemm_f16;
    k->gemm_prep[QLM_TYPE_BF16] = qlm_neon_gemm_prep_f32;
    k->gemm[QLM_TYPE_BF16] = qlm_neon_gemm_bf16;
    k->gemm_min_tokens[QLM_TYPE_F32] = k->gemm_min_tokens[QLM_TYPE_F16] = k->gemm_min_tokens[QLM_TYPE_BF16] = 4;
    return true;
}
#else
bool qlm_kernels_fill_neon(qlm_kernels *k) { (void)k; return false; }
#endif
