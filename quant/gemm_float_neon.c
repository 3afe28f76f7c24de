/* NEON matrix-matrix products for float weights (F32, F16, BF16; qlm_gemm_fn,
 * ggml-like/kernels.h), plain ARMv8-A (no dotprod needed). Without them a prompt runs
 * one vec_dot per weight row and token, reading every weight once per token; the x86
 * kernels of the same shape made F16 prompts 3x faster there (bench/RESULTS.md). Not
 * timed on ARM hardware: this machine has none, and qemu checks only the results.
 *
 * Prepared rows (qlm_gemm_act_size bytes): the n activations as floats, rounded to f16
 * values for F16 weights (as the vec_dot path's F16 activations are), zero-padded to a
 * multiple of 4. Weights: 8 rows at a time are transposed into a panel (per value k, the
 * 8 rows' weights as two float32x4), GEMM_KC values at a time on the stack; the
 * micro-kernel computes 8 rows x 6 tokens: per 4 values, one load of 4 activations per
 * token and 8 lane-broadcast FMAs per token. Partial sums wait in y between chunks.
 * Each output's arithmetic is the same wherever its row and token fall, so results do
 * not depend on how the caller splits the work. */
#include "../ggml-like/kernels.h"
#include "../ggml-like/fp16.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <stddef.h>
#include <string.h>

#define GEMM_KC 256 /* values per panel chunk: 8 KiB */
#define GEMM_TOK 6  /* tokens per micro-kernel call: 12 accumulators */

static size_t n4(int64_t n) { return ((size_t)n + 3) / 4 * 4; }

void qlm_neon_gemm_prep_f32(const float *x, void *dst, int64_t n) {
    float *o = dst;
    memcpy(o, x, (size_t)n * sizeof(float));
    for (size_t i = (size_t)n; i < n4(n); i++) o[i] = 0.0f;
}

void qlm_neon_gemm_prep_f16(const float *x, void *dst, int64_t n) {
    float *o = dst;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(o + i, vcvt_f32_f16(vcvt_f16_f32(vld1q_f32(x + i))));
    for (; i < n; i++) {
        float32x4_t v = vcvt_f32_f16(vcvt_f16_f32(vdupq_n_f32(x[i])));
        o[i] = vgetq_lane_f32(v, 0);
    }
    for (size_t j = (size_t)n; j < n4(n); j++) o[j] = 0.0f;
}

/* weight i of a row as a float */
static inline float w1(const void *p, int64_t i, qlm_type t) {
    if (t == QLM_TYPE_F16) return qlm_f16_to_f32(((const qlm_f16 *)p)[i]);
    if (t == QLM_TYPE_BF16) return qlm_bf16_to_f32(((const qlm_bf16 *)p)[i]);
    return ((const float *)p)[i];
}

/* 4 weights of a row from index i */
static inline float32x4_t w4(const void *p, int64_t i, qlm_type t) {
    if (t == QLM_TYPE_F16) return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *)p + i)));
    if (t == QLM_TYPE_BF16) return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16((const uint16_t *)p + i), 16));
    return vld1q_f32((const float *)p + i);
}

/* panel[k][8]: values [k0, k1) of up to 8 rows, zero past nrows and past k1 up to a
 * multiple of 4 */
static void repack(qlm_type wt, const uint8_t *w, size_t w_stride, int nrows, int64_t k0, int64_t k1, float *panel) {
    const int64_t k4 = k0 + (k1 - k0) / 4 * 4;
    for (int h = 0; h < 2; h++) {
        for (int64_t k = k0; k < k4; k += 4) {
            float32x4_t v[4];
            for (int i = 0; i < 4; i++) {
                const int r = 4 * h + i;
                v[i] = r < nrows ? w4(w + (size_t)r * w_stride, k, wt) : vdupq_n_f32(0.0f);
            }
            /* 4x4 transpose: v[i][j] -> value k + j of row 4h + i */
            const float32x4x2_t a = vtrnq_f32(v[0], v[1]), b = vtrnq_f32(v[2], v[3]);
            const float32x4_t c0 = vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0]));
            const float32x4_t c1 = vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1]));
            const float32x4_t c2 = vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0]));
            const float32x4_t c3 = vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1]));
            float *o = panel + 8 * (size_t)(k - k0) + 4 * h;
            vst1q_f32(o, c0);
            vst1q_f32(o + 8, c1);
            vst1q_f32(o + 16, c2);
            vst1q_f32(o + 24, c3);
        }
        for (int64_t k = k4; k < k0 + (int64_t)n4(k1 - k0); k++)
            for (int i = 0; i < 4; i++) {
                const int r = 4 * h + i;
                panel[8 * (size_t)(k - k0) + 4 * h + i] = r < nrows && k < k1 ? w1(w + (size_t)r * w_stride, k, wt) : 0.0f;
            }
    }
}

/* 8 rows x C tokens over kc values (a multiple of 4; x[t] points at the chunk) */
static inline __attribute__((always_inline)) void
micro(const float *panel, int64_t kc, const float *const *x, float *y, int64_t ldy, int nrows, bool acc_y,
      const int C) {
    float32x4_t c0[GEMM_TOK], c1[GEMM_TOK];
    for (int t = 0; t < C; t++) {
        if (acc_y) {
            float buf[8] = {0};
            memcpy(buf, y + (size_t)t * ldy, (size_t)nrows * sizeof(float));
            c0[t] = vld1q_f32(buf);
            c1[t] = vld1q_f32(buf + 4);
        } else {
            c0[t] = c1[t] = vdupq_n_f32(0.0f);
        }
    }
    for (int64_t k = 0; k < kc; k += 4) {
        float32x4_t a[GEMM_TOK];
        for (int t = 0; t < C; t++) a[t] = vld1q_f32(x[t] + k);
        const float *p = panel + 8 * (size_t)k;
#define LANE(j)                                                     \
    {                                                               \
        const float32x4_t w0 = vld1q_f32(p + 8 * (j)), w1 = vld1q_f32(p + 8 * (j) + 4); \
        for (int t = 0; t < C; t++) {                               \
            c0[t] = vfmaq_laneq_f32(c0[t], w0, a[t], j);            \
            c1[t] = vfmaq_laneq_f32(c1[t], w1, a[t], j);            \
        }                                                           \
    }
        LANE(0)
        LANE(1)
        LANE(2)
        LANE(3)
#undef LANE
    }
    for (int t = 0; t < C; t++) {
        float buf[8];
        vst1q_f32(buf, c0[t]);
        vst1q_f32(buf + 4, c1[t]);
        memcpy(y + (size_t)t * ldy, buf, (size_t)nrows * sizeof(float));
    }
}

static void gemm_float(qlm_type wt, int64_t n, int nr, int nt, const void *w, size_t w_stride, const void *a,
                       size_t a_stride, float *y, int64_t ldy) {
    _Alignas(16) float panel[GEMM_KC * 8];
    const float *xt[GEMM_TOK];
    for (int r0 = 0; r0 < nr; r0 += 8) {
        const int rows = nr - r0 < 8 ? nr - r0 : 8;
        for (int64_t k0 = 0; k0 < n; k0 += GEMM_KC) {
            const int64_t k1 = n - k0 < GEMM_KC ? n : k0 + GEMM_KC;
            const int64_t kc = (int64_t)n4(k1 - k0); /* zero weights and activations past n */
            repack(wt, (const uint8_t *)w + (size_t)r0 * w_stride, w_stride, rows, k0, k1, panel);
            for (int t0 = 0; t0 < nt; t0 += GEMM_TOK) {
                const int c = nt - t0 < GEMM_TOK ? nt - t0 : GEMM_TOK;
                for (int t = 0; t < c; t++) xt[t] = (const float *)((const uint8_t *)a + (size_t)(t0 + t) * a_stride) + k0;
                float *yp = y + (size_t)t0 * ldy + r0;
                const bool acc = k0 > 0;
                switch (c) {
                case 1: micro(panel, kc, xt, yp, ldy, rows, acc, 1); break;
                case 2: micro(panel, kc, xt, yp, ldy, rows, acc, 2); break;
                case 3: micro(panel, kc, xt, yp, ldy, rows, acc, 3); break;
                case 4: micro(panel, kc, xt, yp, ldy, rows, acc, 4); break;
                case 5: micro(panel, kc, xt, yp, ldy, rows, acc, 5); break;
                default: micro(panel, kc, xt, yp, ldy, rows, acc, 6); break;
                }
            }
        }
    }
}

void qlm_neon_gemm_f32(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                       int64_t ldy, void *work) {
    (void)work;
    gemm_float(QLM_TYPE_F32, n, nr, nt, w, ws, a, as, y, ldy);
}

void qlm_neon_gemm_f16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                       int64_t ldy, void *work) {
    (void)work;
    gemm_float(QLM_TYPE_F16, n, nr, nt, w, ws, a, as, y, ldy);
}

void qlm_neon_gemm_bf16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                        int64_t ldy, void *work) {
    (void)work;
    gemm_float(QLM_TYPE_BF16, n, nr, nt, w, ws, a, as, y, ldy);
}
#endif
