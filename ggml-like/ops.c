#include "ops.h"
#include "fp16.h"

#include <math.h>

void qlm_rmsnorm(float *out, const float *x, const float *w, int n, float eps) {
    /* double: a 4096-wide f32 sum loses digits the references keep. Four partial sums:
     * one chain of dependent additions was 3% of a prompt's time; in double the order
     * changes the float result at most in its last bit, and then rarely. */
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += (double)x[i] * x[i];
        s1 += (double)x[i + 1] * x[i + 1];
        s2 += (double)x[i + 2] * x[i + 2];
        s3 += (double)x[i + 3] * x[i + 3];
    }
    for (; i < n; i++) s0 += (double)x[i] * x[i];
    const double ss = (s0 + s1) + (s2 + s3);
    float scale = 1.0f / sqrtf((float)(ss / n) + eps);
    for (i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
}

void qlm_layernorm(float *out, const float *x, const float *w, const float *b, int n, float eps) {
    double sum = 0.0, sq = 0.0;
    for (int i = 0; i < n; i++) sum += x[i];
    float mean = (float)(sum / n);
    for (int i = 0; i < n; i++) { double d = x[i] - mean; sq += d * d; }
    float scale = 1.0f / sqrtf((float)(sq / n) + eps);
    for (int i = 0; i < n; i++) out[i] = (x[i] - mean) * scale * w[i] + (b ? b[i] : 0.0f);
}

void qlm_rope_angles(float *cs, int pos, const qlm_rope_cfg *cfg) {
    int half = cfg->n_rot / 2;
    for (int i = 0; i < half; i++) {
        /* f_i computed directly (not by repeated multiplication) so the angle carries
         * one rounding, not n_rot/2 of them */
        float freq = powf(cfg->base, -2.0f * (float)i / (float)cfg->n_rot);
        if (cfg->div) freq /= cfg->div[i];
        if (cfg->freq_bf16) freq = qlm_bf16_to_f32(qlm_f32_to_bf16(freq));
        float theta = (float)pos * freq;
        cs[2 * i] = cosf(theta);
        cs[2 * i + 1] = sinf(theta);
    }
}

void qlm_rope_apply(float *x, const float *cs, const qlm_rope_cfg *cfg) {
    int half = cfg->n_rot / 2;
    for (int i = 0; i < half; i++) {
        float c = cs[2 * i], s = cs[2 * i + 1];
        int a = cfg->neox ? i : 2 * i;
        int b = cfg->neox ? i + half : 2 * i + 1;
        float x0 = x[a], x1 = x[b];
        x[a] = x0 * c - x1 * s;
        x[b] = x0 * s + x1 * c;
    }
}

void qlm_softmax(float *x, int n) {
    float mx = -INFINITY;
    for (int i = 0; i < n; i++) if (x[i] > mx) mx = x[i];
    double sum = 0.0;
    for (int i = 0; i < n; i++) { x[i] = expf(x[i] - mx); sum += x[i]; }
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++) x[i] *= inv;
}

void qlm_silu_mul(float *g, const float *u, int n) {
    for (int i = 0; i < n; i++) g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

static inline float gelu1(float x) {
    const float k = 0.7978845608028654f; /* sqrt(2/pi) */
    return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
}

void qlm_gelu(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = gelu1(x[i]);
}

void qlm_gelu_mul(float *g, const float *u, int n) {
    for (int i = 0; i < n; i++) g[i] = gelu1(g[i]) * u[i];
}

void qlm_add(float *restrict y, const float *restrict x, int n) {
    /* eight at a time: gcc -O2 vectorizes this body (its cheap loop vectorizer leaves
     * the plain loop scalar: the residual adds were 2% of a prompt's time) */
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        y[i] += x[i];
        y[i + 1] += x[i + 1];
        y[i + 2] += x[i + 2];
        y[i + 3] += x[i + 3];
        y[i + 4] += x[i + 4];
        y[i + 5] += x[i + 5];
        y[i + 6] += x[i + 6];
        y[i + 7] += x[i + 7];
    }
    for (; i < n; i++) y[i] += x[i];
}

int qlm_argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
    return best;
}
