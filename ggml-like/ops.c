#include "ops.h"

#include <math.h>

void qlm_rmsnorm(float *out, const float *x, const float *w, int n, float eps) {
    double ss = 0.0; /* double: a 4096-wide f32 sum loses digits the references keep */
    for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
    float scale = 1.0f / sqrtf((float)(ss / n) + eps);
    for (int i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
}

void qlm_rope(float *x, int n_rot, int pos, float base, int neox) {
    int half = n_rot / 2;
    for (int i = 0; i < half; i++) {
        /* theta for pair i; computed directly (not by repeated multiplication) so the
         * angle carries one rounding, not n_rot/2 of them */
        float freq = powf(base, -2.0f * (float)i / (float)n_rot);
        float theta = (float)pos * freq;
        float c = cosf(theta), s = sinf(theta);
        int a = neox ? i : 2 * i;
        int b = neox ? i + half : 2 * i + 1;
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

void qlm_add(float *y, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += x[i];
}

int qlm_argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
    return best;
}
