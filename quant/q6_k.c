/* Q6_K: super-blocks of 256 weights in 16 sub-blocks of 16,
 * x = d * scales[j] * (q - 32), q in 0..63, scales signed 8-bit (layout in blocks.h).
 *
 * Reference quantizer (llama.cpp's quantize_row_q6_K_ref):
 *  1. each sub-block gets a signed float scale from qlm_kq_fit_scale_sym (x^2-weighted
 *     least squares over 19 candidate grids);
 *  2. the 16 scales are quantized to int8 against the one of largest magnitude, which
 *     maps to -128: d = that scale / -128;
 *  3. the weights are re-rounded with the stored scales.
 * Dot product against Q8_K. */
#include "quants.h"
#include "quant_util.h"

/* Level (0..63) of weight 128h + 32k + l, k = 0..3 (see blocks.h): the nibble comes
 * from ql[64h + l] (k even) or ql[64h + 32 + l] (k odd), low nibble for k < 2; the two
 * high bits are bits 2k, 2k+1 of qh[32h + l]. */
static inline int q6k_level(const block_q6_k *b, int h, int k, int l) {
    const int lo = (b->ql[64 * h + 32 * (k & 1) + l] >> (4 * (k >> 1))) & 15;
    const int hi = (b->qh[32 * h + l] >> (2 * k)) & 3;
    return lo | (hi << 4);
}

void qlm_dequant_q6_k(const void *src, float *dst, int64_t n) {
    const block_q6_k *x = src;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float d = qlm_f16_to_f32(x[i].d);
        float *y = dst + i * QK_K;
        for (int h = 0; h < 2; h++)
            for (int k = 0; k < 4; k++)
                for (int l = 0; l < 32; l++) {
                    const int e = 128 * h + 32 * k + l;  /* weight index in the block */
                    y[e] = d * x[i].scales[e / 16] * (q6k_level(&x[i], h, k, l) - 32);
                }
    }
}

void qlm_quant_q6_k_ref(const float *src, void *dst, int64_t n) {
    block_q6_k *y = dst;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float *x = src + i * QK_K;
        int8_t L[QK_K];
        float scales[QK_K / 16];
        float max_scale = 0, max_abs = 0;
        qlm_kq_fit_scale_sym8(16, 32, x, L, scales);
        qlm_kq_fit_scale_sym8(16, 32, x + 128, L + 128, scales + 8);
        for (int j = 0; j < QK_K / 16; j++) {
            if (fabsf(scales[j]) > max_abs) { max_abs = fabsf(scales[j]); max_scale = scales[j]; }
        }
        if (max_abs < 1e-15f) { /* all (near) zero */
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }

        const float iscale = -128.f / max_scale;
        y[i].d = qlm_f32_to_f16(1 / iscale);
        for (int j = 0; j < QK_K / 16; j++) {
            /* |iscale*scale| <= 128; a scale of the other sign may reach +128: cap */
            int v = qlm_nearest_int(iscale * scales[j]);
            y[i].scales[j] = (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
        }

        /* Re-round with the stored scales; a sub-block whose scale rounded to 0 keeps
         * the levels of the search. */
        for (int j = 0; j < QK_K / 16; j++) {
            const float d = qlm_f16_to_f32(y[i].d) * y[i].scales[j];
            if (!d) continue;
            for (int l = 0; l < 16; l++) {
                int q = qlm_nearest_int(x[16 * j + l] / d);
                L[16 * j + l] = (int8_t)((q < -32 ? -32 : q > 31 ? 31 : q) + 32);
            }
        }

        for (int h = 0; h < 2; h++) {
            const int8_t *Lh = L + 128 * h;
            for (int l = 0; l < 32; l++) {
                const int q0 = Lh[l], q1 = Lh[l + 32], q2 = Lh[l + 64], q3 = Lh[l + 96];
                y[i].ql[64 * h + l] = (uint8_t)((q0 & 15) | ((q2 & 15) << 4));
                y[i].ql[64 * h + 32 + l] = (uint8_t)((q1 & 15) | ((q3 & 15) << 4));
                y[i].qh[32 * h + l] = (uint8_t)((q0 >> 4) | ((q1 >> 4) << 2) |
                                                ((q2 >> 4) << 4) | ((q3 >> 4) << 6));
            }
        }
    }
}

/* ggml's generic kernel structure (see qlm_dot_q4_k_q8_k): 8 lane accumulators; the
 * -32 offset is applied to the levels before the integer products. */
void qlm_dot_q6_k_q8_k(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q6_k *x = vx;
    const block_q8_k *y = vy;
    float lanes[8] = {0};
    for (int64_t i = 0; i < n / QK_K; i++) {
        int32_t acc[8] = {0};
        for (int h = 0; h < 2; h++)
            for (int k = 0; k < 4; k++)
                for (int l = 0; l < 32; l++) {
                    const int e = 128 * h + 32 * k + l;
                    acc[l & 7] += x[i].scales[e / 16] *
                                  ((q6k_level(&x[i], h, k, l) - 32) * y[i].qs[e]);
                }
        const float d = qlm_f16_to_f32(x[i].d) * y[i].d;
        for (int l = 0; l < 8; l++) lanes[l] += d * acc[l];
    }
    float sum = 0;
    for (int l = 0; l < 8; l++) sum += lanes[l];
    *s = sum;
}
