/* Helpers shared by the AVX-512 kernel files (internal; include only from files
 * compiled with the AVX-512 flags). */
#ifndef QLM_SIMD_AVX512_H
#define QLM_SIMD_AVX512_H

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>
#include <stdint.h>

#include "simd_x86.h" /* QLM_UNROLL_FULL */

/* Transpose the 16x16 floats held in r[0..15] (r[i] lane j -> r[j] lane i). */
/* Always inlined: as a call, r[] goes through memory on both sides. */
static inline __attribute__((always_inline)) void avx512_transpose16(__m512 *r) {
    __m512 t[16];
    QLM_UNROLL_FULL for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    QLM_UNROLL_FULL for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    }
    /* each 128-bit lane now holds a 4x4 block in place: regroup the lanes */
    QLM_UNROLL_FULL for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
        t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);
        t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
        t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
    }
    QLM_UNROLL_FULL for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
        r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
        r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);
    }
}


/* In-lane 4x4 transpose of 32-bit elements across four vectors. */
static inline __attribute__((always_inline)) void avx512_transpose4_dwords(__m512i *a0, __m512i *a1, __m512i *a2,
                                                                             __m512i *a3) {
    const __m512i t0 = _mm512_unpacklo_epi32(*a0, *a1), t1 = _mm512_unpackhi_epi32(*a0, *a1);
    const __m512i t2 = _mm512_unpacklo_epi32(*a2, *a3), t3 = _mm512_unpackhi_epi32(*a2, *a3);
    *a0 = _mm512_unpacklo_epi64(t0, t2);
    *a1 = _mm512_unpackhi_epi64(t0, t2);
    *a2 = _mm512_unpacklo_epi64(t1, t3);
    *a3 = _mm512_unpackhi_epi64(t1, t3);
}

/* 16 rows of 32 bytes (row i at rows[i]) as 8 vectors of 4-byte groups: out[k] lane i =
 * bytes 4k..4k+3 of row i (the AMX B-tile and VNNI panel layout). Rows i and i+8 share a
 * vector (one per 256-bit half), avx512_transpose4_dwords transposes 4 x 4 groups in
 * each 128-bit lane, and a two-source permute gathers each output's four lanes. */
static inline __attribute__((always_inline)) void avx512_transpose_16x8_dwords(const uint8_t *const *rows,
                                                                                 __m512i *out) {
    const __m512i half0 = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    const __m512i half1 = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    __m512i v[8];
    QLM_UNROLL_FULL for (int t = 0; t < 8; t++)
        v[t] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)rows[t])),
                                  _mm256_loadu_si256((const __m256i *)rows[t + 8]), 1);
    /* v[4 h + k]: per lane, group k (of the lane's four) of rows 4h..4h+3 (+8) */
    avx512_transpose4_dwords(&v[0], &v[1], &v[2], &v[3]);
    avx512_transpose4_dwords(&v[4], &v[5], &v[6], &v[7]);
    QLM_UNROLL_FULL for (int k = 0; k < 4; k++) {
        out[k] = _mm512_permutex2var_epi64(v[k], half0, v[4 + k]);
        out[k + 4] = _mm512_permutex2var_epi64(v[k], half1, v[4 + k]);
    }
}

/* Lane i of the result = the sum of the 16 lanes of v[i]: 15 shuffles and 15 adds for
 * 16 horizontal sums, where one _mm512_reduce_add_ps per vector costs 8 dependent
 * instructions. Each step halves the vectors: the two halves of a pair are summed
 * with their lanes interleaved so the partial sums of both vectors survive. */
static inline __attribute__((always_inline)) __m512 avx512_sum16(const __m512 *v) {
    __m512 a[8], b[4], c[2];
    for (int i = 0; i < 8; i++) /* lanes 0-7: v[2i], 8-15: v[2i+1] */
        a[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0x44),
                             _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0xEE));
    for (int i = 0; i < 4; i++) /* 128-bit lane q: v[4i+q] */
        b[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0x88),
                             _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0xDD));
    for (int i = 0; i < 2; i++) /* lane q: two sums of v[8i+q], two of v[8i+4+q] */
        c[i] = _mm512_add_ps(_mm512_shuffle_ps(b[2 * i], b[2 * i + 1], 0x44),
                             _mm512_shuffle_ps(b[2 * i], b[2 * i + 1], 0xEE));
    /* lane 4q+e: v[q+4e] */
    const __m512 d = _mm512_add_ps(_mm512_shuffle_ps(c[0], c[1], 0x88), _mm512_shuffle_ps(c[0], c[1], 0xDD));
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), d);
}

#endif
#endif
