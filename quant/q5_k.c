/* Q5_K: super-blocks of 256 weights in 8 sub-blocks of 32,
 * x = d*sc[j]*q - dmin*m[j], q in 0..31 (layout in blocks.h: Q4_K's nibbles plus a
 * fifth bit in qh: weight 64c+l uses bit 2c of qh[l], weight 64c+32+l bit 2c+1).
 *
 * Reference quantizer (llama.cpp's quantize_row_q5_K_ref): as Q4_K with 31 levels and
 * the search grid nmax - 0.5 + 0.1k, k = 0..15. Dot product against Q8_K. */
#include "quants.h"
#include "quant_util.h"

/* Level of weight 64c + 32h + l (h = 0: low nibble, 1: high nibble). */
static inline int q5k_level(const block_q5_k *b, int c, int h, int l) {
    return ((b->qs[32 * c + l] >> (4 * h)) & 15) | (((b->qh[l] >> (2 * c + h)) & 1) << 4);
}

void qlm_dequant_q5_k(const void *src, float *dst, int64_t n) {
    const block_q5_k *x = src;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float d = qlm_f16_to_f32(x[i].d);
        const float dmin = qlm_f16_to_f32(x[i].dmin);
        float *y = dst + i * QK_K;
        for (int c = 0; c < QK_K / 64; c++) {
            for (int h = 0; h < 2; h++) {  /* sub-block 2c + h */
                uint8_t sc, m;
                qlm_kq_get_scale_min(2 * c + h, x[i].scales, &sc, &m);
                const float d1 = d * sc, m1 = dmin * m;
                for (int l = 0; l < 32; l++) y[l] = d1 * q5k_level(&x[i], c, h, l) - m1;
                y += 32;
            }
        }
    }
}

void qlm_quant_q5_k_ref(const float *src, void *dst, int64_t n) {
    block_q5_k *y = dst;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float *x = src + i * QK_K;
        uint8_t L[QK_K];
        float w[QK_K], scales[8], mins[8];
        float max_scale = 0, max_min = 0;

        /* weights favour large values but keep small ones in play: rms + |x| */
        for (int j = 0; j < 8; j++) {
            const float *xs = x + 32 * j;
            float sum_x2 = 0;
            for (int l = 0; l < 32; l++) sum_x2 += xs[l] * xs[l];
            const float av_x = sqrtf(sum_x2 / 32);
            for (int l = 0; l < 32; l++) w[32 * j + l] = av_x + fabsf(xs[l]);
        }
        qlm_kq_fit_scale_min8(32, 31, x, w, L, scales, mins, -0.5f, 0.1f, 15);
        for (int j = 0; j < 8; j++) {
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }

        /* 6-bit sub-block scales and mins, as in Q4_K */
        const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
        const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
        uint8_t ls[8], lm[8];
        for (int j = 0; j < 8; j++) {
            ls[j] = (uint8_t)qlm_nearest_int(inv_scale * scales[j]);
            lm[j] = (uint8_t)qlm_nearest_int(inv_min * mins[j]);
            if (ls[j] > 63) ls[j] = 63;
            if (lm[j] > 63) lm[j] = 63;
        }
        qlm_kq_put_scales_mins(y[i].scales, ls, lm);
        y[i].d = qlm_f32_to_f16(max_scale / 63.f);
        y[i].dmin = qlm_f32_to_f16(max_min / 63.f);

        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            qlm_kq_get_scale_min(j, y[i].scales, &sc, &m);
            const float d = qlm_f16_to_f32(y[i].d) * sc;
            if (!d) continue;
            const float dm = qlm_f16_to_f32(y[i].dmin) * m;
            for (int l = 0; l < 32; l++) {
                int q = qlm_nearest_int((x[32 * j + l] + dm) / d);
                L[32 * j + l] = (uint8_t)(q < 0 ? 0 : q > 31 ? 31 : q);
            }
        }

        memset(y[i].qh, 0, sizeof y[i].qh);
        for (int c = 0; c < QK_K / 64; c++) {
            for (int l = 0; l < 32; l++) {
                const int lo = L[64 * c + l], hi = L[64 * c + 32 + l];
                y[i].qs[32 * c + l] = (uint8_t)((lo & 15) | ((hi & 15) << 4));
                y[i].qh[l] |= (uint8_t)(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
            }
        }
    }
}

/* Same structure as qlm_dot_q4_k_q8_k (8 lane accumulators, min term from bsums). */
void qlm_dot_q5_k_q8_k(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q5_k *x = vx;
    const block_q8_k *y = vy;
    float lanes[8] = {0};
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int32_t acc[8] = {0};
        int summin = 0;
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            qlm_kq_get_scale_min(j, x[i].scales, &sc, &m);
            summin += (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]) * m;
            const int8_t *q8 = y[i].qs + 32 * j;
            for (int l = 0; l < 32; l++)
                acc[l & 7] += sc * (q5k_level(&x[i], j / 2, j & 1, l) * q8[l]);
        }
        const float d = qlm_f16_to_f32(x[i].d) * y[i].d;
        for (int l = 0; l < 8; l++) lanes[l] += d * acc[l];
        sum -= qlm_f16_to_f32(x[i].dmin) * y[i].d * summin;
    }
    for (int l = 0; l < 8; l++) sum += lanes[l];
    *s = sum;
}
