/* Q4_K: super-blocks of 256 weights in 8 sub-blocks of 32,
 * x = d*sc[j]*q - dmin*m[j], q in 0..15, sc/m 6-bit (layout in blocks.h).
 *
 * Reference quantizer (llama.cpp's quantize_row_q4_K_ref, same search and rounding):
 *  1. each sub-block gets a float scale and min from a weighted least-squares search
 *     (qlm_kq_fit_scale_min: 21 candidate grids, weights av|x| + |x|);
 *  2. the 8 scales and the 8 mins are quantized to 6 bits against the largest of each:
 *     d = max_scale/63, dmin = max_min/63 (stored as f16);
 *  3. the weights are re-rounded with the scale and min actually stored.
 * Dot product against Q8_K, the min term through Q8_K's bsums. */
#include "quants.h"
#include "quant_util.h"

void qlm_dequant_q4_k(const void *src, float *dst, int64_t n) {
    const block_q4_k *x = src;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float d = qlm_f16_to_f32(x[i].d);
        const float dmin = qlm_f16_to_f32(x[i].dmin);
        const uint8_t *q = x[i].qs;
        float *y = dst + i * QK_K;
        for (int c = 0; c < QK_K / 64; c++) {  /* 64-weight chunk = sub-blocks 2c, 2c+1 */
            uint8_t sc, m;
            qlm_kq_get_scale_min(2 * c, x[i].scales, &sc, &m);
            const float d1 = d * sc, m1 = dmin * m;
            qlm_kq_get_scale_min(2 * c + 1, x[i].scales, &sc, &m);
            const float d2 = d * sc, m2 = dmin * m;
            for (int l = 0; l < 32; l++) y[l] = d1 * (q[l] & 15) - m1;
            for (int l = 0; l < 32; l++) y[l + 32] = d2 * (q[l] >> 4) - m2;
            y += 64;
            q += 32;
        }
    }
}

void qlm_quant_q4_k_ref(const float *src, void *dst, int64_t n) {
    block_q4_k *y = dst;
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
        qlm_kq_fit_scale_min8(32, 15, x, w, L, scales, mins, -1.0f, 0.1f, 20);
        for (int j = 0; j < 8; j++) {
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }

        /* 6-bit sub-block scales and mins. The int -> uint8_t conversion before the cap
         * is llama.cpp's (it only matters for a negative fitted scale, where it turns
         * into a large level and is capped to 63). */
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

        /* Re-round with the stored (quantized) scale and min. A sub-block whose scale
         * rounded to 0 keeps the levels of the search (they multiply 0 anyway). */
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            qlm_kq_get_scale_min(j, y[i].scales, &sc, &m);
            const float d = qlm_f16_to_f32(y[i].d) * sc;
            if (!d) continue;
            const float dm = qlm_f16_to_f32(y[i].dmin) * m;
            for (int l = 0; l < 32; l++) {
                int q = qlm_nearest_int((x[32 * j + l] + dm) / d);
                L[32 * j + l] = (uint8_t)(q < 0 ? 0 : q > 15 ? 15 : q);
            }
        }

        for (int c = 0; c < QK_K / 64; c++) {
            for (int l = 0; l < 32; l++)
                y[i].qs[32 * c + l] = (uint8_t)(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
        }
    }
}

/* Follows ggml's generic kernel: integer products summed per lane (element index mod
 * 8) across the block, each lane scaled once per block into its own float
 * accumulator, the 8 lanes added at the end; the min term is subtracted per block. We
 * keep that structure so the float result matches llama.cpp's scalar path exactly. */
void qlm_dot_q4_k_q8_k(int64_t n, float *s, const void *vx, const void *vy) {
    const block_q4_k *x = vx;
    const block_q8_k *y = vy;
    float lanes[8] = {0};
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int32_t acc[8] = {0};
        int summin = 0;
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            qlm_kq_get_scale_min(j, x[i].scales, &sc, &m);
            /* sum(q8) over sub-block j = the two 16-wide bsums it covers */
            summin += (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]) * m;
            /* sub-block j: low nibbles (j even) or high nibbles (j odd) of chunk j/2 */
            const uint8_t *q = x[i].qs + 32 * (j / 2);
            const int shift = 4 * (j & 1);
            const int8_t *q8 = y[i].qs + 32 * j;
            for (int l = 0; l < 32; l++) acc[l & 7] += sc * (((q[l] >> shift) & 15) * q8[l]);
        }
        const float d = qlm_f16_to_f32(x[i].d) * y[i].d;
        for (int l = 0; l < 8; l++) lanes[l] += d * acc[l];
        sum -= qlm_f16_to_f32(x[i].dmin) * y[i].d * summin;
    }
    for (int l = 0; l < 8; l++) sum += lanes[l];
    *s = sum;
}
