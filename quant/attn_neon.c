/* Attention with NEON (qlm_attn_fn, ggml-like/kernels.h); plain ARMv8-A (the file's
 * dotprod flag is dropped as in kernels_neon.c). Same steps and roundings as the scalar
 * qlm_attn_ref; sums in vector lanes, exp by polynomial.
 *
 * As on AVX-512 (attn_avx512.c): K is converted once per call to f32 and transposed
 * (kt[e][t]), so the scores of 16 positions are hd broadcast-FMAs (lane = position);
 * V is converted once in rows and the weighted sum runs with lane = element. */
#include "../ggml-like/kernels.h"

#if defined(__aarch64__)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("arch=armv8-a")
#endif
#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include "../ggml-like/fp16.h"
#include "../ggml-like/scratch.h"

/* e^x for x <= 0: x = n ln2 + r, degree-6 Taylor polynomial of e^r, times 2^n */
static inline float32x4_t exp4(float32x4_t x) {
    x = vmaxq_f32(vminq_f32(x, vdupq_n_f32(88.0f)), vdupq_n_f32(-87.3f));
    const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
    float32x4_t r = vfmsq_n_f32(x, n, 0.693359375f);
    r = vfmsq_n_f32(r, n, -2.12194440e-4f);
    float32x4_t p = vdupq_n_f32(1.0f / 720);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 120), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 24), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 6), p, r);
    p = vfmaq_f32(vdupq_n_f32(0.5f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
    return vmulq_f32(p, vreinterpretq_f32_s32(e));
}

static inline float ld1(const void *base, size_t i, bool f16) {
    if (!f16) return ((const float *)base)[i];
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(((const qlm_f16 *)base)[i]))), 0);
}

static inline float f16_round(float f) {
    return vgetq_lane_f32(vcvt_f32_f16(vcvt_f16_f32(vdupq_n_f32(f))), 0);
}

/* 4 consecutive values of a row from element e (e + 4 <= hd) */
static inline float32x4_t ld4(const void *base, size_t i, bool f16) {
    if (f16) return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const qlm_f16 *)base + i)));
    return vld1q_f32((const float *)base + i);
}

/* softmax over n scores (already scaled), then (f16 cache) rounded to f16 as the
 * reference does */
static void softmax_row(float *sc, int n, bool f16) {
    float mx = -INFINITY;
    for (int t = 0; t < n; t++) if (sc[t] > mx) mx = sc[t];
    float32x4_t vs = vdupq_n_f32(0);
    int t = 0;
    for (; t + 4 <= n; t += 4) {
        const float32x4_t p = exp4(vsubq_f32(vld1q_f32(sc + t), vdupq_n_f32(mx)));
        vst1q_f32(sc + t, p);
        vs = vaddq_f32(vs, p);
    }
    float sum = vaddvq_f32(vs);
    for (; t < n; t++) {
        sc[t] = vgetq_lane_f32(exp4(vdupq_n_f32(sc[t] - mx)), 0);
        sum += sc[t];
    }
    const float inv = 1.0f / sum;
    for (t = 0; t < n; t++) sc[t] = f16 ? f16_round(sc[t] * inv) : sc[t] * inv;
}

static void head(const float *qh, float *o, const float *kt, int ld, const float *vf, int hd4, int n_pos,
                 int hd, float scale, bool f16, float *sc) {
    /* scores, lane = position, 16 positions per step (zero-padded columns of kt) */
    for (int t0 = 0; t0 < n_pos; t0 += 16) {
        float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;
        const float *kr = kt + t0;
        for (int e = 0; e < hd; e++, kr += ld) {
            const float qe = qh[e];
            a0 = vfmaq_n_f32(a0, vld1q_f32(kr), qe);
            a1 = vfmaq_n_f32(a1, vld1q_f32(kr + 4), qe);
            a2 = vfmaq_n_f32(a2, vld1q_f32(kr + 8), qe);
            a3 = vfmaq_n_f32(a3, vld1q_f32(kr + 12), qe);
        }
        float tmp[16];
        vst1q_f32(tmp, vmulq_n_f32(a0, scale));
        vst1q_f32(tmp + 4, vmulq_n_f32(a1, scale));
        vst1q_f32(tmp + 8, vmulq_n_f32(a2, scale));
        vst1q_f32(tmp + 12, vmulq_n_f32(a3, scale));
        const int w = n_pos - t0 < 16 ? n_pos - t0 : 16;
        memcpy(sc + t0, tmp, (size_t)w * sizeof(float));
    }
    softmax_row(sc, n_pos, f16);
    /* out = sum p[t] V[t], lane = element */
    for (int e0 = 0; e0 < hd4; e0 += 16) {
        const int w = hd4 - e0 < 16 ? (hd4 - e0) / 4 : 4;
        float32x4_t a[4] = {vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0)};
        for (int t = 0; t < n_pos; t++) {
            const float *vr = vf + (size_t)t * hd4 + e0;
            for (int c = 0; c < w; c++) a[c] = vfmaq_n_f32(a[c], vld1q_f32(vr + 4 * c), sc[t]);
        }
        float tmp[16];
        for (int c = 0; c < w; c++) vst1q_f32(tmp + 4 * c, a[c]);
        const int n = hd - e0 < 4 * w ? hd - e0 : 4 * w;
        memcpy(o + e0, tmp, (size_t)n * sizeof(float));
    }
}

/* ---- one token (generation) --------------------------------------------------------
 *
 * The path above converts every visible K row (element by element, transposed) and V row
 * into context-sized buffers on each call: shared work for a block of tokens, most of
 * the time for one. As in quant/attn_avx512.c, one token instead converts 8 positions of
 * K at a time into a buffer that stays in L1 (at most 8 KB), takes their 8 scores per
 * head as 8 dot products (pairwise adds reduce them), and P V reads the cache rows
 * directly, 16 elements at a time for up to 4 heads. hd a multiple of 8 up to 256, f16
 * or f32 cache; same roundings as the reference. */
#define DECODE_MAX_HD 256

/* the 4 lane sums of a, b, c, d as one vector */
static inline float32x4_t sum4x4(float32x4_t a, float32x4_t b, float32x4_t c, float32x4_t d) {
    return vpaddq_f32(vpaddq_f32(a, b), vpaddq_f32(c, d));
}

static void decode(const float *q, float *out, int n_q, const void *k, const void *v, size_t kv_stride, int n_pos,
                   int hd, float scale, bool f16, float *qh, float *sc, int ldp) {
    const int C = hd / 4; /* hd % 8 == 0, hd <= DECODE_MAX_HD (the caller checks) */
    for (int h = 0; h < n_q; h++)
        for (int e = 0; e < hd; e += 4) {
            float32x4_t x = vld1q_f32(q + (size_t)h * hd + e);
            if (f16) x = vcvt_f32_f16(vcvt_f16_f32(x)); /* through f16 like the reference */
            vst1q_f32(qh + (size_t)h * hd + e, x);
        }
    float kb[8][DECODE_MAX_HD];
    for (int t0 = 0; t0 < n_pos; t0 += 8) {
        const int nb = n_pos - t0 < 8 ? n_pos - t0 : 8;
        for (int i = 0; i < 8; i++)
            for (int c = 0; c < C; c++)
                vst1q_f32(kb[i] + 4 * c, i < nb ? ld4(k, (size_t)(t0 + i) * kv_stride + 4 * (size_t)c, f16) : vdupq_n_f32(0));
        for (int h = 0; h < n_q; h++) {
            const float *qr = qh + (size_t)h * hd;
            float32x4_t a[8];
            for (int i = 0; i < 8; i++) a[i] = vdupq_n_f32(0);
            for (int c = 0; c < C; c++) {
                const float32x4_t qc = vld1q_f32(qr + 4 * c);
                for (int i = 0; i < 8; i++) a[i] = vfmaq_f32(a[i], qc, vld1q_f32(kb[i] + 4 * c));
            }
            float tmp[8];
            vst1q_f32(tmp, vmulq_n_f32(sum4x4(a[0], a[1], a[2], a[3]), scale));
            vst1q_f32(tmp + 4, vmulq_n_f32(sum4x4(a[4], a[5], a[6], a[7]), scale));
            memcpy(sc + (size_t)h * ldp + t0, tmp, (size_t)nb * sizeof(float));
        }
    }
    for (int h = 0; h < n_q; h++) softmax_row(sc + (size_t)h * ldp, n_pos, f16);
    for (int h0 = 0; h0 < n_q; h0 += 4) {
        const int nh = n_q - h0 < 4 ? n_q - h0 : 4;
        for (int e0 = 0; e0 < hd; e0 += 16) {
            const int w = hd - e0 < 16 ? (hd - e0) / 4 : 4; /* vectors of 4 in this segment */
            float32x4_t a[4][4];
            for (int j = 0; j < 4; j++)
                for (int c = 0; c < 4; c++) a[j][c] = vdupq_n_f32(0);
            for (int t = 0; t < n_pos; t++) {
                float32x4_t vv[4];
                for (int c = 0; c < w; c++) vv[c] = ld4(v, (size_t)t * kv_stride + (size_t)(e0 + 4 * c), f16);
                for (int j = 0; j < nh; j++) {
                    const float p = sc[(size_t)(h0 + j) * ldp + t];
                    for (int c = 0; c < w; c++) a[j][c] = vfmaq_n_f32(a[j][c], vv[c], p);
                }
            }
            for (int j = 0; j < nh; j++)
                for (int c = 0; c < w; c++) vst1q_f32(out + (size_t)(h0 + j) * hd + e0 + 4 * c, a[j][c]);
        }
    }
}

void qlm_neon_attn(const float *q, float *out, size_t q_stride, int n_tok, int n_q, const void *k,
                   const void *v, size_t kv_stride, int n_pos, int hd, float scale, bool f16, float *scores) {
    const int n_all = n_pos + n_tok - 1;
    if (n_tok == 1 && hd % 8 == 0 && hd <= DECODE_MAX_HD) {
        const int ldp = (n_pos + 7) / 8 * 8;
        float *qh = qlm_thread_scratch(QLM_SCRATCH_ATTN, ((size_t)n_q * hd + (size_t)n_q * ldp) * sizeof(float));
        if (qh) {
            decode(q, out, n_q, k, v, kv_stride, n_pos, hd, scale, f16, qh, qh + (size_t)n_q * hd, ldp);
            return;
        }
    }
    const int ld = (n_all + 15) / 16 * 16, hd4 = (hd + 3) / 4 * 4;
    float *kt = qlm_thread_scratch(QLM_SCRATCH_ATTN, ((size_t)hd * ld + (size_t)n_all * hd4 + (size_t)hd) * sizeof(float));
    if (!kt) {
        qlm_attn_ref(q, out, q_stride, n_tok, n_q, k, v, kv_stride, n_pos, hd, scale, f16, scores);
        return;
    }
    float *vf = kt + (size_t)hd * ld, *qh = vf + (size_t)n_all * hd4;
    /* kt[e][t], zero past n_all; V rows of hd4 floats, zero-padded */
    for (int e = 0; e < hd; e++) {
        float *row = kt + (size_t)e * ld;
        for (int t = 0; t < n_all; t++) row[t] = ld1(k, (size_t)t * kv_stride + e, f16);
        memset(row + n_all, 0, (size_t)(ld - n_all) * sizeof(float));
    }
    for (int t = 0; t < n_all; t++) {
        float *row = vf + (size_t)t * hd4;
        int e = 0;
        for (; e + 4 <= hd; e += 4) vst1q_f32(row + e, ld4(v, (size_t)t * kv_stride + e, f16));
        for (; e < hd4; e++) row[e] = e < hd ? ld1(v, (size_t)t * kv_stride + e, f16) : 0.0f;
    }
    for (int i = 0; i < n_tok; i++)
        for (int h = 0; h < n_q; h++) {
            const float *qr = q + i * q_stride + (size_t)h * hd;
            for (int e = 0; e < hd; e++) qh[e] = f16 ? f16_round(qr[e]) : qr[e];
            head(qh, out + i * q_stride + (size_t)h * hd, kt, ld, vf, hd4, n_pos + i, hd, scale, f16, scores);
        }
}
#endif
