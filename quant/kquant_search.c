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

#include <stdbool.h>

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

/* qlm_kq_fit_scale_min for the 8 sub-blocks of a super-block at once, lane = sub-block.
 * The scalar search is a chain of dependent float additions (each waits for the
 * previous one's latency); qlm quantize to Q4_K_M spent 84% of its time there.
 * The same with 4-lane vectors (SSE2 is part of x86-64, NEON of AArch64: no run-time
 * dispatch needed), two vectors for the 8 lanes. Same operations, same order, same
 * results: IEEE single-precision add, mul, div and compare give the same bits in a
 * vector lane as in a scalar register. */
#if defined(__SSE2__) || defined(__aarch64__)
#if defined(__SSE2__)
#include <emmintrin.h>
typedef __m128 vf;
typedef __m128i vi;
#define vf_set1 _mm_set1_ps
#define vf_load _mm_loadu_ps
#define vf_add _mm_add_ps
#define vf_sub _mm_sub_ps
#define vf_mul _mm_mul_ps
#define vf_div _mm_div_ps
#define vf_lt(a, b) _mm_castps_si128(_mm_cmplt_ps(a, b))
#define vf_gt(a, b) _mm_castps_si128(_mm_cmpgt_ps(a, b))
#define vf_eq(a, b) _mm_castps_si128(_mm_cmpeq_ps(a, b))
#define vi_and _mm_and_si128
#define vi_not(a) _mm_xor_si128(a, _mm_set1_epi32(-1))
/* m ? b : a (m all-ones or zero per lane) */
static inline vf vf_sel(vi m, vf a, vf b) {
    return _mm_or_ps(_mm_andnot_ps(_mm_castsi128_ps(m), a), _mm_and_ps(_mm_castsi128_ps(m), b));
}
static inline vi vi_sel(vi m, vi a, vi b) { return _mm_or_si128(_mm_andnot_si128(m, a), _mm_and_si128(m, b)); }
/* clamp(qlm_nearest_int(v), lo, hi): NaN -> 0 as there, then the float clamped to
 * [lo - 1, hi + 1] so the conversion cannot overflow, rounded to nearest even (the
 * MXCSR default), and the integer clamped */
static inline vi level_in(vf v, int lo, int hi) {
    v = _mm_and_ps(v, _mm_cmpord_ps(v, v));
    v = _mm_min_ps(_mm_max_ps(v, _mm_set1_ps((float)lo - 1)), _mm_set1_ps((float)hi + 1));
    vi l = _mm_cvtps_epi32(v);
    l = vi_sel(_mm_cmplt_epi32(l, _mm_set1_epi32(lo)), l, _mm_set1_epi32(lo));
    return vi_sel(_mm_cmpgt_epi32(l, _mm_set1_epi32(hi)), l, _mm_set1_epi32(hi));
}
#define vi_to_f _mm_cvtepi32_ps
static inline bool vi_any(vi m) { return _mm_movemask_epi8(m) != 0; }
#else
#include <arm_neon.h>
typedef float32x4_t vf;
typedef uint32x4_t vi;
#define vf_set1 vdupq_n_f32
#define vf_load vld1q_f32
#define vf_add vaddq_f32
#define vf_sub vsubq_f32
#define vf_mul vmulq_f32
#define vf_div vdivq_f32
#define vf_lt vcltq_f32
#define vf_gt vcgtq_f32
#define vf_eq vceqq_f32
#define vi_and vandq_u32
#define vi_not vmvnq_u32
static inline vf vf_sel(vi m, vf a, vf b) { return vbslq_f32(m, b, a); }
/* clamp(qlm_nearest_int(v), lo, hi): vcvtnq rounds to nearest even, saturates, and
 * gives 0 for NaN, as qlm_nearest_int; then the integer clamp */
static inline vi level_in(vf v, int lo, int hi) {
    int32x4_t l = vminq_s32(vmaxq_s32(vcvtnq_s32_f32(v), vdupq_n_s32(lo)), vdupq_n_s32(hi));
    return vreinterpretq_u32_s32(l);
}
static inline vf vi_to_f(vi l) { return vcvtq_f32_s32(vreinterpretq_s32_u32(l)); }
static inline bool vi_any(vi m) { return vmaxvq_u32(m) != 0; }
#endif

/* Lanes of half h where take is set: lbest[i] = lcand[i] for the n values. */
static inline void take_levels(float (*lbest)[8], float (*lcand)[8], int h, int n, vi take) {
    for (int i = 0; i < n; i++) {
        const vf b = vf_sel(take, vf_load(&lbest[i][4 * h]), vf_load(&lcand[i][4 * h]));
        memcpy(&lbest[i][4 * h], &b, sizeof b);
    }
}

/* One grid of the symmetric search for half h: levels of iscale * x into lout, and the
 * sums sum(w x l), sum(w l^2) with weights w = x^2, in qlm_kq_fit_scale_sym's order. */
static inline void sym_pass(float (*xt)[8], int h, int n, int nmax, vf iscale, float (*lout)[8], vf *slx,
                            vf *sl2) {
    vf a = vf_set1(0.f), b = a;
    for (int i = 0; i < n; i++) {
        const vf xi = vf_load(&xt[i][4 * h]);
        const vf l = vi_to_f(level_in(vf_mul(iscale, xi), -nmax, nmax - 1));
        memcpy(&lout[i][4 * h], &l, sizeof l);
        const vf w = vf_mul(xi, xi);
        a = vf_add(a, vf_mul(vf_mul(w, xi), l));
        b = vf_add(b, vf_mul(vf_mul(w, l), l));
    }
    *slx = a;
    *sl2 = b;
}

void qlm_kq_fit_scale_min8(int n, int nmax, const float *x, const float *w, uint8_t *L, float *scale_out,
                           float *min_out, float rmin, float rdelta, int nstep) {
    enum { S = 8, H = 2, NMAX_N = 32 }; /* n <= 32; H vectors of 4 lanes */
    _Alignas(16) float xt[NMAX_N][S], wt[NMAX_N][S];
    _Alignas(16) float lbest[NMAX_N][S], lcand[NMAX_N][S]; /* levels as floats */
    for (int s = 0; s < S; s++)
        for (int i = 0; i < n; i++) {
            xt[i][s] = x[s * n + i];
            wt[i][s] = w[s * n + i];
        }
    vf lo[H], hi[H], sum_w[H], sum_x[H], scale[H], off[H], best[H];
    vi flat[H];
    const vf fnmax = vf_set1((float)nmax), zero = vf_set1(0.f);
    for (int h = 0; h < H; h++) {
        lo[h] = hi[h] = vf_load(&xt[0][4 * h]);
        sum_w[h] = vf_load(&wt[0][4 * h]);
        sum_x[h] = vf_mul(sum_w[h], lo[h]);
        for (int i = 1; i < n; i++) {
            const vf xi = vf_load(&xt[i][4 * h]), wi = vf_load(&wt[i][4 * h]);
            lo[h] = vf_sel(vf_lt(xi, lo[h]), lo[h], xi);
            hi[h] = vf_sel(vf_gt(xi, hi[h]), hi[h], xi);
            sum_w[h] = vf_add(sum_w[h], wi);
            sum_x[h] = vf_add(sum_x[h], vf_mul(wi, xi));
        }
        lo[h] = vf_sel(vf_gt(lo[h], zero), lo[h], zero);
        flat[h] = vf_eq(hi[h], lo[h]);
        const vf iscale = vf_div(fnmax, vf_sel(flat[h], vf_sub(hi[h], lo[h]), vf_set1(1.f)));
        scale[h] = vf_div(vf_set1(1.f), iscale);
        off[h] = lo[h];
        best[h] = zero;
        for (int i = 0; i < n; i++) {
            const vf xi = vf_load(&xt[i][4 * h]), wi = vf_load(&wt[i][4 * h]);
            const vf l = vi_to_f(level_in(vf_mul(iscale, vf_sub(xi, lo[h])), 0, nmax));
            memcpy(&lbest[i][4 * h], &l, sizeof l);
            const vf diff = vf_sub(vf_add(vf_mul(scale[h], l), lo[h]), xi);
            best[h] = vf_add(best[h], vf_mul(wi, vf_mul(diff, diff)));
        }
    }
    /* the two halves' chains interleaved in every loop: twice the independent adds */
    const vf one = vf_set1(1.f);
    for (int k = 0; k <= nstep; k++) {
        const vf num = vf_set1(rmin + rdelta * k + nmax);
        vf iscale[H], sum_l[H], sum_l2[H], sum_xl[H], c_scale[H], c_off[H], err[H];
        vi ok[H];
        for (int h = 0; h < H; h++) {
            iscale[h] = vf_div(num, vf_sub(hi[h], off[h]));
            sum_l[h] = sum_l2[h] = sum_xl[h] = zero;
        }
        for (int i = 0; i < n; i++)
            for (int h = 0; h < H; h++) {
                const vf xi = vf_load(&xt[i][4 * h]), wi = vf_load(&wt[i][4 * h]);
                const vf l = vi_to_f(level_in(vf_mul(iscale[h], vf_sub(xi, off[h])), 0, nmax));
                memcpy(&lcand[i][4 * h], &l, sizeof l);
                const vf wl = vf_mul(wi, l);
                sum_l[h] = vf_add(sum_l[h], wl);
                sum_l2[h] = vf_add(sum_l2[h], vf_mul(wl, l));
                sum_xl[h] = vf_add(sum_xl[h], vf_mul(wl, xi));
            }
        bool any = false;
        for (int h = 0; h < H; h++) {
            vf det = vf_sub(vf_mul(sum_w[h], sum_l2[h]), vf_mul(sum_l[h], sum_l[h]));
            ok[h] = vi_and(vf_gt(det, zero), vi_not(flat[h]));
            any |= vi_any(ok[h]);
            det = vf_sel(ok[h], one, det); /* lanes not used this round */
            c_scale[h] = vf_div(vf_sub(vf_mul(sum_w[h], sum_xl[h]), vf_mul(sum_x[h], sum_l[h])), det);
            c_off[h] = vf_div(vf_sub(vf_mul(sum_l2[h], sum_x[h]), vf_mul(sum_l[h], sum_xl[h])), det);
            const vi pos = vf_gt(c_off[h], zero);
            c_scale[h] = vf_sel(pos, c_scale[h], vf_div(sum_xl[h], vf_sel(ok[h], one, sum_l2[h])));
            c_off[h] = vf_sel(pos, c_off[h], zero);
            err[h] = zero;
        }
        if (!any) continue;
        for (int i = 0; i < n; i++)
            for (int h = 0; h < H; h++) {
                const vf xi = vf_load(&xt[i][4 * h]), wi = vf_load(&wt[i][4 * h]);
                const vf diff = vf_sub(vf_add(vf_mul(c_scale[h], vf_load(&lcand[i][4 * h])), c_off[h]), xi);
                err[h] = vf_add(err[h], vf_mul(wi, vf_mul(diff, diff)));
            }
        for (int h = 0; h < H; h++) {
            const vi take = vi_and(ok[h], vf_lt(err[h], best[h]));
            if (!vi_any(take)) continue;
            take_levels(lbest, lcand, h, n, take);
            best[h] = vf_sel(take, best[h], err[h]);
            scale[h] = vf_sel(take, scale[h], c_scale[h]);
            off[h] = vf_sel(take, off[h], c_off[h]);
        }
    }
    _Alignas(16) float sc[S], of[S], lw[S];
    _Alignas(16) uint32_t fl[S];
    for (int h = 0; h < H; h++) {
        memcpy(&sc[4 * h], &scale[h], sizeof(vf));
        memcpy(&of[4 * h], &off[h], sizeof(vf));
        memcpy(&lw[4 * h], &lo[h], sizeof(vf));
        memcpy(&fl[4 * h], &flat[h], sizeof(vi));
    }
    for (int s = 0; s < S; s++) {
        if (fl[s]) { /* constant block, as the scalar function */
            memset(L + s * n, 0, (size_t)n);
            min_out[s] = -lw[s];
            scale_out[s] = 0.f;
            continue;
        }
        for (int i = 0; i < n; i++) L[s * n + i] = (uint8_t)lbest[i][s];
        min_out[s] = -of[s];
        scale_out[s] = sc[s];
    }
}

void qlm_kq_fit_scale_sym8(int n, int nmax, const float *x, int8_t *L, float *scale_out) {
    enum { S = 8, H = 2, NMAX_N = 32 }; /* n <= 32; H vectors of 4 lanes */
    _Alignas(16) float xt[NMAX_N][S], lbest[NMAX_N][S], lcand[NMAX_N][S];
    for (int s = 0; s < S; s++)
        for (int i = 0; i < n; i++) xt[i][s] = x[s * n + i];
    const vf zero = vf_set1(0.f);
    vf vmax[H], scale[H];
    vi flat[H];
    for (int h = 0; h < H; h++) {
        /* the value of largest magnitude, with its sign (the first one on ties) */
        vf amax = zero, vm = zero;
        for (int i = 0; i < n; i++) {
            const vf xi = vf_load(&xt[i][4 * h]);
            const vf a = vf_sel(vf_lt(xi, zero), xi, vf_sub(zero, xi)); /* fabsf, but -0 -> +0: compared only */
            const vi gt = vf_gt(a, amax);
            amax = vf_sel(gt, amax, a);
            vm = vf_sel(gt, vm, xi);
        }
        flat[h] = vf_lt(amax, vf_set1(1e-15f));
        vmax[h] = vf_sel(flat[h], vm, vf_set1(1.f)); /* flat lanes: results unused */
        vf sumlx, suml2;
        sym_pass(xt, h, n, nmax, vf_div(vf_set1((float)-nmax), vmax[h]), lbest, &sumlx, &suml2);
        const vi nz = vi_not(vf_eq(suml2, zero));
        scale[h] = vf_sel(nz, zero, vf_div(sumlx, vf_sel(nz, vf_set1(1.f), suml2)));
        vf best = vf_mul(scale[h], sumlx);
        for (int k = -9; k <= 9; k++) {
            if (k == 0) continue;
            vf slx, sl2;
            sym_pass(xt, h, n, nmax, vf_div(vf_set1(-(nmax + 0.1f * k)), vmax[h]), lcand, &slx,
                     &sl2);
            const vi take = vi_and(vf_gt(sl2, zero), vf_gt(vf_mul(slx, slx), vf_mul(best, sl2)));
            if (!vi_any(take)) continue;
            take_levels(lbest, lcand, h, n, take);
            scale[h] = vf_sel(take, scale[h], vf_div(slx, vf_sel(take, vf_set1(1.f), sl2)));
            best = vf_sel(take, best, vf_mul(scale[h], slx));
        }
    }
    _Alignas(16) float sc[S];
    _Alignas(16) uint32_t fl[S];
    for (int h = 0; h < H; h++) {
        memcpy(&sc[4 * h], &scale[h], sizeof(vf));
        memcpy(&fl[4 * h], &flat[h], sizeof(vi));
    }
    for (int s = 0; s < S; s++) {
        if (fl[s]) { /* all (near) zero, as the scalar function */
            memset(L + s * n, 0, (size_t)n);
            scale_out[s] = 0.f;
            continue;
        }
        for (int i = 0; i < n; i++) L[s * n + i] = (int8_t)((int)lbest[i][s] + nmax);
        scale_out[s] = sc[s];
    }
}
#else
void qlm_kq_fit_scale_min8(int n, int nmax, const float *x, const float *w, uint8_t *L, float *scale_out,
                           float *min_out, float rmin, float rdelta, int nstep) {
    uint8_t laux[32];
    for (int s = 0; s < 8; s++)
        scale_out[s] = qlm_kq_fit_scale_min(n, nmax, x + s * n, w + s * n, L + s * n, &min_out[s], laux, rmin,
                                            rdelta, nstep);
}
void qlm_kq_fit_scale_sym8(int n, int nmax, const float *x, int8_t *L, float *scale_out) {
    for (int s = 0; s < 8; s++) scale_out[s] = qlm_kq_fit_scale_sym(n, nmax, x + s * n, L + s * n);
}
#endif
