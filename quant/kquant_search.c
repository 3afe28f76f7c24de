/* Scale (and min) searches of the K-quant reference quantizers.
 *
 * Rounding each value with a scale taken straight from the block's range is not the
 * best choice: a slightly larger or smaller scale often puts the rounding errors where
 * they hurt less. llama.cpp tries a small set of candidate scales, refits the scale
 * (and min) to the levels each candidate produces by weighted least squares, and keeps
 * the candidate with the smallest weighted squared error. We do the same search with
 * the same candidates, weights and float operation order, so that the resulting
 * blocks are the ones llama.cpp's quantizer writes.
 */
#include "quant_util.h"

float qlm_kq_fit_scale_min(int n, int nmax, const float *x, const float *w, uint8_t *L,
                           float *min_out, uint8_t *laux, float rmin, float rdelta,
                           int nstep) {
    /* Range and the weighted sums that do not depend on the levels. */
    float lo = x[0], hi = x[0];
    float sum_w = w[0], sum_x = w[0] * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    /* The model is scale*L - min with min >= 0, so the offset can only pull values
     * down: a block of positive values still starts its levels at 0. */
    if (lo > 0) lo = 0;
    if (hi == lo) { /* constant block (all <= 0): the min alone reproduces it */
        memset(L, 0, (size_t)n);
        *min_out = -lo;
        return 0.f;
    }

    /* Starting point: levels spread evenly over [lo, hi]. */
    float iscale = nmax / (hi - lo);
    float scale = 1 / iscale;
    float off = lo;   /* the fitted offset, <= 0 (min = -off) */
    float best = 0;
    for (int i = 0; i < n; i++) {
        int l = qlm_nearest_int(iscale * (x[i] - lo));
        L[i] = (uint8_t)(l < 0 ? 0 : l > nmax ? nmax : l);
        float diff = scale * L[i] + lo - x[i];
        best += w[i] * (diff * diff);
    }

    for (int k = 0; k <= nstep; k++) {
        /* Candidate: stretch the level grid so nmax + rmin + rdelta*k levels span
         * [off, hi], round, then solve the 2x2 normal equations for (scale, offset).
         * The grid starts at the best offset found so far, not at the block minimum:
         * an accepted candidate moves the origin of the later ones (as in llama.cpp;
         * this is what makes the search iterative rather than a fixed sweep). */
        iscale = (rmin + rdelta * k + nmax) / (hi - off);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; i++) {
            int l = qlm_nearest_int(iscale * (x[i] - off));
            l = l < 0 ? 0 : l > nmax ? nmax : l;
            laux[i] = (uint8_t)l;
            float wl = w[i] * l;
            sum_l += wl;
            sum_l2 += wl * l;
            sum_xl += wl * x[i];
        }
        float det = sum_w * sum_l2 - sum_l * sum_l;
        if (!(det > 0)) continue;  /* all levels equal: no fit */
        float c_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
        float c_off = (sum_l2 * sum_x - sum_l * sum_xl) / det;
        if (c_off > 0) {
            /* the best offset would be positive (min < 0), which the format cannot
             * store: fit the scale alone with offset 0 */
            c_off = 0;
            c_scale = sum_xl / sum_l2;
        }
        float err = 0;
        for (int i = 0; i < n; i++) {
            float diff = c_scale * laux[i] + c_off - x[i];
            err += w[i] * (diff * diff);
        }
        if (err < best) {
            memcpy(L, laux, (size_t)n);
            best = err;
            scale = c_scale;
            off = c_off;
        }
    }
    *min_out = -off;
    return scale;
}

/* Levels for one inverse scale, clamped to -nmax..nmax-1 (before the +nmax bias). */
static inline int sym_level(float iscale, float v, int nmax) {
    int l = qlm_nearest_int(iscale * v);
    return l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l;
}

float qlm_kq_fit_scale_sym(int n, int nmax, const float *x, int8_t *L) {
    /* The value of largest magnitude, with its sign: it is given level -nmax (the
     * one extra negative level), so its sign decides the sign of the scale. */
    float amax = 0, vmax = 0;
    for (int i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        if (a > amax) { amax = a; vmax = x[i]; }
    }
    if (amax < 1e-15f) { /* all (near) zero */
        memset(L, 0, (size_t)n);
        return 0.f;
    }

    /* Least-squares scale for the levels of the plain inverse scale -nmax/vmax, with
     * weights x^2. The quality of a fit is sumlx^2/suml2 (the weighted squared error
     * is sum(w x^2) minus that), so a larger value is better. */
    float iscale = -nmax / vmax;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; i++) {
        int l = sym_level(iscale, x[i], nmax);
        L[i] = (int8_t)(l + nmax);
        float w = x[i] * x[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    float scale = suml2 ? sumlx / suml2 : 0.f;
    float best = scale * sumlx;

    /* Try 18 nearby grids: -(nmax + 0.1*k)/vmax for k = -9..9, k != 0. */
    for (int k = -9; k <= 9; k++) {
        if (k == 0) continue;
        iscale = -(nmax + 0.1f * k) / vmax;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = sym_level(iscale, x[i], nmax);
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; i++) L[i] = (int8_t)(sym_level(iscale, x[i], nmax) + nmax);
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}
