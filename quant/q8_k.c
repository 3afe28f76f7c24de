/* Q8_K: 256 activations per block, x = d*q, with f32 d and per-16 sums of q (bsums)
 * that the K-quant dots use for their min / offset terms. Never stored in files.
 *
 * Quantizer as ggml's: m = the value of largest magnitude with its sign, d = m/-127
 * (so m maps to level -127), q = nearest_int(x/d) (ties to even), capped at 127. */
#include "quants.h"
#include "quant_util.h"

void qlm_dequant_q8_k(const void *src, float *dst, int64_t n) {
    const block_q8_k *x = src;
    for (int64_t i = 0; i < n / QK_K; i++) {
        for (int j = 0; j < QK_K; j++) dst[i * QK_K + j] = x[i].d * x[i].qs[j];
    }
}

void qlm_quant_q8_k_ref(const float *src, void *dst, int64_t n) {
    block_q8_k *y = dst;
    for (int64_t i = 0; i < n / QK_K; i++) {
        const float *x = src + i * QK_K;
        float amax = 0, m = 0;
        for (int j = 0; j < QK_K; j++) {
            if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); m = x[j]; }
        }
        if (amax == 0) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -127.f / m;
        for (int j = 0; j < QK_K; j++) {
            int v = qlm_nearest_int(iscale * x[j]);
            /* |iscale*x| <= 127 up to rounding; the caps only matter for NaN/garbage */
            y[i].qs[j] = (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
        }
        for (int k = 0; k < QK_K / 16; k++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += y[i].qs[16 * k + j];
            y[i].bsums[k] = (int16_t)sum;
        }
        y[i].d = 1 / iscale;
    }
}
