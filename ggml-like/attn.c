/* The scalar attention: the reference the SIMD versions (quant/kernels_*.c) are
 * tested against, and the fallback on CPUs without them. */
#include "kernels.h"
#include "fp16.h"
#include "ops.h"

#include <string.h>

static void head_ref(const float *q, const void *k, const void *v, size_t kv_stride,
                     int n_pos, int hd, float scale, bool f16, float *scores, float *out) {
    if (f16) {
        float qh[hd];
        for (int e = 0; e < hd; e++) qh[e] = qlm_f16_to_f32(qlm_f32_to_f16(q[e]));
        const qlm_f16 *kc = k;
        for (int t = 0; t < n_pos; t++) {
            const qlm_f16 *kt = kc + (size_t)t * kv_stride;
            float s = 0.0f;
            for (int e = 0; e < hd; e++) s += qh[e] * qlm_f16_to_f32(kt[e]);
            scores[t] = s * scale;
        }
    } else {
        const float *kc = k;
        for (int t = 0; t < n_pos; t++) {
            const float *kt = kc + (size_t)t * kv_stride;
            float s = 0.0f;
            for (int e = 0; e < hd; e++) s += q[e] * kt[e];
            scores[t] = s * scale;
        }
    }
    qlm_softmax(scores, n_pos);
    memset(out, 0, (size_t)hd * sizeof(float));
    if (f16) {
        const qlm_f16 *vc = v;
        for (int t = 0; t < n_pos; t++) {
            float p = qlm_f16_to_f32(qlm_f32_to_f16(scores[t]));
            const qlm_f16 *vt = vc + (size_t)t * kv_stride;
            for (int e = 0; e < hd; e++) out[e] += p * qlm_f16_to_f32(vt[e]);
        }
    } else {
        const float *vc = v;
        for (int t = 0; t < n_pos; t++) {
            float p = scores[t];
            const float *vt = vc + (size_t)t * kv_stride;
            for (int e = 0; e < hd; e++) out[e] += p * vt[e];
        }
    }
}

void qlm_attn_ref(const float *q, float *out, size_t q_stride, int n_tok, int n_q, const void *k,
                  const void *v, size_t kv_stride, int n_pos, int hd, float scale, bool f16,
                  float *scores) {
    for (int i = 0; i < n_tok; i++)
        for (int h = 0; h < n_q; h++)
            head_ref(q + i * q_stride + (size_t)h * hd, k, v, kv_stride, n_pos + i, hd, scale, f16,
                     scores, out + i * q_stride + (size_t)h * hd);
}
