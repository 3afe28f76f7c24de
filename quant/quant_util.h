/* Helpers shared by the block-format files in quant/ (internal, not part of the API).
 *
 * The rounding helpers reproduce the exact conversions ggml's reference quantizers
 * use, so that qlm's output matches llama.cpp's files byte for byte, while staying
 * defined for every input: a C cast of a float that does not fit the integer type
 * (or of a NaN) is undefined behaviour, so each helper clamps before converting.
 */
#ifndef QLM_QUANT_UTIL_H
#define QLM_QUANT_UTIL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "blocks.h"

/* Round to nearest, ties to even, as ggml's nearest_int: adding 1.5*2^23 leaves the
 * rounded integer in the low mantissa bits. Exact for |v| <= 2^22 - 1; beyond that
 * (where ggml's version returns garbage) we saturate, and NaN gives 0. */
static inline int qlm_nearest_int(float v) {
    if (!(fabsf(v) <= 4194303.f)) return v != v ? 0 : (v > 0 ? 4194304 : -4194304);
    float t = v + 12582912.f;
    int32_t i;
    memcpy(&i, &t, sizeof i);
    return (i & 0x007fffff) - 0x00400000;
}

/* (int)v, i.e. truncation toward zero, clamped to [lo, hi]; NaN gives lo. With lo = 0
 * (all callers) it equals ggml's MIN(hi, (int8_t)v) wherever that is defined
 * (-1 < v < 128): values in (-1, 0) truncate to 0 there too. */
static inline int qlm_trunc_clamp(float v, int lo, int hi) {
    if (!(v >= (float)lo)) return lo;
    if (v >= (float)hi) return hi;
    return (int)v;
}

/* roundf (ties away from zero) clamped to [-127, 127]; NaN gives 0. For the values
 * Q8_0/Q8_1 produce (|v| <= 127 up to rounding error) this is plain roundf. */
static inline int8_t qlm_round_q8(float v) {
    if (v != v) return 0;
    float r = roundf(v);
    if (r > 127.f) return 127;
    if (r < -127.f) return -127;
    return (int8_t)r;
}

/* Sub-block j (0..7) of a Q4_K/Q5_K scales[12] array: its 6-bit scale and min.
 * Layout in blocks.h. */
static inline void qlm_kq_get_scale_min(int j, const uint8_t *s, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (uint8_t)((s[j + 4] & 15) | ((s[j - 4] >> 6) << 4));
        *m = (uint8_t)((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
}

/* Pack eight 6-bit scales and mins (each 0..63) into scales[12]. */
static inline void qlm_kq_put_scales_mins(uint8_t *s, const uint8_t *sc, const uint8_t *m) {
    for (int j = 0; j < 4; j++) {
        /* bits 0-5: sub-block j's own value; bits 6-7: high bits of sub-block j+4 */
        s[j] = (uint8_t)(sc[j] | ((sc[j + 4] >> 4) << 6));
        s[j + 4] = (uint8_t)(m[j] | ((m[j + 4] >> 4) << 6));
        s[j + 8] = (uint8_t)((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
    }
}

/* Weighted least-squares fit of x[i] ~ scale*L[i] - min with L[i] in 0..nmax and
 * min >= 0 (ggml's make_qkx2_quants, used by the Q4_K/Q5_K reference quantizers).
 * Returns scale, stores min in *min_out and the levels in L; laux is n bytes of
 * scratch. The search tries nstep+1 level grids of nmax + rmin + rdelta*k steps
 * (k = 0..nstep) starting at the best offset found so far. */
float qlm_kq_fit_scale_min(int n, int nmax, const float *x, const float *w, uint8_t *L,
                           float *min_out, uint8_t *laux, float rmin, float rdelta,
                           int nstep);

/* The same fit for 8 sub-blocks of n <= 32 values (sub-block s at x + s*n, w + s*n,
 * L + s*n), with the same results bit for bit, several times faster (the 8 searches'
 * dependent additions interleave). scale_out, min_out: 8 each. */
void qlm_kq_fit_scale_min8(int n, int nmax, const float *x, const float *w, uint8_t *L, float *scale_out,
                           float *min_out, float rmin, float rdelta, int nstep);

/* Symmetric fit x[i] ~ scale*(L[i] - nmax), L[i] in 0..2*nmax-1, weighting each value
 * by x[i]^2 (ggml's make_qx_quants with rmse_type 1, used by Q6_K). Returns scale,
 * whose sign follows the value of largest magnitude (which maps to level 0). */
float qlm_kq_fit_scale_sym(int n, int nmax, const float *x, int8_t *L);

/* The same for 8 sub-blocks of n <= 32 values (x + s*n, L + s*n), bit for bit. */
void qlm_kq_fit_scale_sym8(int n, int nmax, const float *x, int8_t *L, float *scale_out);

#endif
