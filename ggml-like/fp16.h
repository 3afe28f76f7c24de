/* Half-precision (IEEE binary16) and bfloat16 conversions, portable C.
 *
 * f32 -> f16 rounds to nearest even (matches F16C's vcvtps2ph with rounding mode 0 and
 * llama.cpp's files byte for byte); f32 -> bf16 rounds to nearest even and keeps NaNs
 * quiet, the rule shared/DATA.md checked against llama.cpp's BF16 files.
 */
#ifndef QLM_FP16_H
#define QLM_FP16_H

#include <stdint.h>
#include <string.h>

typedef uint16_t qlm_f16;
typedef uint16_t qlm_bf16;

static inline uint32_t qlm_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float qlm_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static inline float qlm_f16_to_f32(qlm_f16 h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    if (exp == 0x1f) return qlm_bits_f32(sign | 0x7f800000u | (man << 13)); /* inf/nan */
    if (exp == 0) {
        if (man == 0) return qlm_bits_f32(sign);
        /* subnormal: value = man * 2^-24 */
        float v = (float)man * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    return qlm_bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

static inline qlm_f16 qlm_f32_to_f16(float f) {
    uint32_t x = qlm_f32_bits(f);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* inf or nan */
        return (qlm_f16)(sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 | ((ax >> 13) & 0x3ff) : 0));
    if (ax >= 0x477ff000u) return (qlm_f16)(sign | 0x7c00); /* rounds to >= 65520: inf */
    if (ax < 0x38800000u) {
        /* result is subnormal or zero: scale so the f16 subnormal ulp (2^-24) is 1.0,
         * then let the FPU round to nearest even. */
        float a = qlm_bits_f32(ax) * 16777216.0f; /* exact: power of two */
        /* a < 1024; adding 2^23 forces rounding at integer precision */
        float r = (a + 8388608.0f) - 8388608.0f;
        return (qlm_f16)(sign | (uint32_t)r);
    }
    /* normal: drop 13 mantissa bits with round-to-nearest-even */
    uint32_t mant_odd = (ax >> 13) & 1;
    ax += 0xfff + mant_odd;
    return (qlm_f16)(sign | ((ax - 0x38000000u) >> 13));
}

static inline float qlm_bf16_to_f32(qlm_bf16 h) { return qlm_bits_f32((uint32_t)h << 16); }

static inline qlm_bf16 qlm_f32_to_bf16(float f) {
    uint32_t u = qlm_f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (qlm_bf16)((u >> 16) | 64); /* quiet nan */
    return (qlm_bf16)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

#endif
