/* AVX2 matrix products with float weights (F32, F16, BF16; qlm_gemm_fn,
 * ggml-like/kernels.h), for the AVX2 and AVX-VNNI kernel tables alike.
 *
 * Prompts with float weights ran one vec_dot per row and token (2.5x slower than
 * llama.cpp's AVX2 build on an F16 pp128). Here 16 rows are transposed into a panel
 * (per value k, the 16 rows' weights as two vectors), FLOAT_KC values at a time on the
 * stack, and the micro-kernel computes 16 rows x 6 tokens: two loads, six broadcasts
 * and twelve FMAs per value, the partial sums kept in y between chunks. */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include "kernels_x86.h"
#include "simd_x86.h"
#include "gemm_avx2.h"

/* the matrix-vector loop of one float type, for 1..GEMV_BELOW-1 tokens */
typedef void (*float_gemv_fn)(int64_t n, int nr, int nt, const uint8_t *w, size_t w_stride, const uint8_t *a,
                              size_t a_stride, float *y, int64_t ldy);

#define FLOAT_KC 256 /* values per panel chunk: 16 KiB, stays in L1 for every token */
#define FLOAT_TOK 6  /* tokens per micro-kernel call (12 accumulators of 16 registers) */

/* 8 values of a row of F16 / BF16 / F32 weights from index i, as floats */
static inline __m256 ld_w8(const void *p, int64_t i, qlm_type t) {
    if (t == QLM_TYPE_F16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const qlm_f16 *)p + i)));
    if (t == QLM_TYPE_BF16)
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)((const qlm_bf16 *)p + i))), 16));
    return _mm256_loadu_ps((const float *)p + i);
}

static inline float ld_w1(const void *p, int64_t i, qlm_type t) {
    if (t == QLM_TYPE_F16) return x86_f16(((const qlm_f16 *)p)[i]);
    if (t == QLM_TYPE_BF16) return qlm_bf16_to_f32(((const qlm_bf16 *)p)[i]);
    return ((const float *)p)[i];
}

/* panel[k][16]: values [k0, k1) of up to 16 rows (rows past nrows are zero) */
static inline __attribute__((always_inline)) void
repack_float(qlm_type wt, const uint8_t *w, size_t w_stride, int nrows, int64_t k0, int64_t k1, float *panel) {
    const int64_t k8 = k0 + (k1 - k0) / 8 * 8;
    if (nrows == 16 && k8 == k1) { /* unrolled, no row test: the general loop below kept its rows in memory */
        for (int h = 0; h < 2; h++)
            for (int64_t k = k0; k < k8; k += 8) {
                __m256 v[8];
                QLM_UNROLL_FULL for (int i = 0; i < 8; i++) v[i] = ld_w8(w + (size_t)(8 * h + i) * w_stride, k, wt);
                x86_transpose8_ps(v);
                QLM_UNROLL_FULL for (int i = 0; i < 8; i++) _mm256_store_ps(panel + 16 * (k - k0 + i) + 8 * h, v[i]);
            }
        return;
    }
    for (int h = 0; h < 2; h++) {
        for (int64_t k = k0; k < k8; k += 8) {
            __m256 v[8];
            for (int i = 0; i < 8; i++) {
                const int r = 8 * h + i;
                v[i] = r < nrows ? ld_w8(w + (size_t)r * w_stride, k, wt) : _mm256_setzero_ps();
            }
            x86_transpose8_ps(v);
            for (int i = 0; i < 8; i++) _mm256_store_ps(panel + 16 * (k - k0 + i) + 8 * h, v[i]);
        }
        for (int64_t k = k8; k < k1; k++)
            for (int i = 0; i < 8; i++) {
                const int r = 8 * h + i;
                panel[16 * (k - k0) + 8 * h + i] = r < nrows ? ld_w1(w + (size_t)r * w_stride, k, wt) : 0.0f;
            }
    }
}

static inline __attribute__((always_inline)) void
micro_float(const float *panel, int64_t kc, const float *const *x, float *y, int64_t ldy, int nrows, bool acc_y,
            const int C) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nrows), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nrows - 8), lane);
    __m256 c0[FLOAT_TOK], c1[FLOAT_TOK];
    QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
        c0[t] = acc_y ? _mm256_maskload_ps(y + (size_t)t * ldy, m0) : _mm256_setzero_ps();
        c1[t] = acc_y ? _mm256_maskload_ps(y + (size_t)t * ldy + 8, m1) : _mm256_setzero_ps();
    }
    for (int64_t k = 0; k < kc; k++) {
        const __m256 w0 = _mm256_load_ps(panel + 16 * k), w1 = _mm256_load_ps(panel + 16 * k + 8);
        QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
            const __m256 b = _mm256_broadcast_ss(x[t] + k);
            c0[t] = _mm256_fmadd_ps(w0, b, c0[t]);
            c1[t] = _mm256_fmadd_ps(w1, b, c1[t]);
        }
    }
    QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
        _mm256_maskstore_ps(y + (size_t)t * ldy, m0, c0[t]);
        _mm256_maskstore_ps(y + (size_t)t * ldy + 8, m1, c1[t]);
    }
}

/* 1-3 tokens: each row read once, converted in registers (vec_dot converted the F16
 * activations too: one vcvtph2ps more per 8 products, ~18 GB/s of F16 weights per core
 * in cache). 32 values per step; four accumulators for one token (the FMA latency),
 * two for more. */
static inline __attribute__((always_inline)) void
gemv_float(qlm_type wt, int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a, size_t a_stride,
           float *y, int64_t ldy, const int NT) {
    const int NA = NT == 1 ? 4 : 2;
    const int esz = wt == QLM_TYPE_F32 ? 4 : 2;
    const int64_t n32 = n / 32 * 32, n8 = n / 8 * 8;
    const float *x[3];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) x[t] = (const float *)(a + (size_t)t * a_stride);
    for (int r = 0; r < nr; r++) {
        const uint8_t *row = w + (size_t)r * w_stride;
        __m256 acc[3][4];
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) QLM_UNROLL_FULL for (int j = 0; j < 4; j++) acc[t][j] = _mm256_setzero_ps();
        for (int64_t k = 0; k < n32; k += 32) {
            QLM_UNROLL_FULL for (int o = 0; o < 32 * esz; o += 64)
                prefetch_line(row + (size_t)k * (size_t)esz + o);
            QLM_UNROLL_FULL for (int j = 0; j < 4; j++) {
                const __m256 wv = ld_w8(row, k + 8 * j, wt);
                QLM_UNROLL_FULL for (int t = 0; t < NT; t++)
                    acc[t][j % NA] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x[t] + k + 8 * j), acc[t][j % NA]);
            }
        }
        for (int64_t k = n32; k < n8; k += 8) {
            const __m256 wv = ld_w8(row, k, wt);
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) acc[t][0] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x[t] + k), acc[t][0]);
        }
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
            __m256 s = acc[t][0];
            QLM_UNROLL_FULL for (int j = 1; j < NA; j++) s = _mm256_add_ps(s, acc[t][j]);
            float sum = hsum8_ps(s);
            for (int64_t k = n8; k < n; k++) sum += ld_w1(row, k, wt) * x[t][k];
            y[(size_t)t * ldy + r] = sum;
        }
    }
}

/* 4-6 tokens: two rows at a time, one accumulator per row and token (12 of the 16
 * registers), so each activation load serves both rows and each weight load all the
 * tokens; passes of 3 read the weights twice for these (tl-f16, `QLM_ISA=avx2 bash
 * bench/ab.sh 2 ...`: pp4 1.33x, pp5 1.38x, pp6 1.29x, pp7-pp8 as 4 + 3, 4 + 4 1.15x). */
static inline __attribute__((always_inline)) void
gemv_float_pair(qlm_type wt, int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a,
                size_t a_stride, float *y, int64_t ldy, const int NT) {
    const int esz = wt == QLM_TYPE_F32 ? 4 : 2;
    const int64_t n8 = n / 8 * 8;
    const float *x[6];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) x[t] = (const float *)(a + (size_t)t * a_stride);
    int r = 0;
    for (; r + 2 <= nr; r += 2) {
        const uint8_t *row0 = w + (size_t)r * w_stride, *row1 = row0 + w_stride;
        __m256 acc0[6], acc1[6];
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) acc0[t] = acc1[t] = _mm256_setzero_ps();
        for (int64_t k = 0; k < n8; k += 8) {
            if (k % 32 == 0)
                QLM_UNROLL_FULL for (int o = 0; o < 32 * esz; o += 64) {
                    prefetch_line(row0 + (size_t)k * (size_t)esz + o);
                    prefetch_line(row1 + (size_t)k * (size_t)esz + o);
                }
            const __m256 w0 = ld_w8(row0, k, wt), w1 = ld_w8(row1, k, wt);
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                const __m256 xv = _mm256_loadu_ps(x[t] + k);
                acc0[t] = _mm256_fmadd_ps(w0, xv, acc0[t]);
                acc1[t] = _mm256_fmadd_ps(w1, xv, acc1[t]);
            }
        }
        QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
            float s0 = hsum8_ps(acc0[t]), s1 = hsum8_ps(acc1[t]);
            for (int64_t k = n8; k < n; k++) {
                s0 += ld_w1(row0, k, wt) * x[t][k];
                s1 += ld_w1(row1, k, wt) * x[t][k];
            }
            y[(size_t)t * ldy + r] = s0;
            y[(size_t)t * ldy + r + 1] = s1;
        }
    }
    if (r < nr) { /* the last odd row: two passes of the one-row loop */
        gemv_float(wt, n, 1, w + (size_t)r * w_stride, w_stride, a, a_stride, y + r, ldy, 3);
        gemv_float(wt, n, 1, w + (size_t)r * w_stride, w_stride, a + 3 * a_stride, a_stride, y + 3 * ldy + r, ldy,
                   NT - 3);
    }
}

/* The float types' matrix-vector loop for any token count below GEMV_BELOW: one pass for
 * up to 6 tokens (3 and fewer: gemv_float; 4-6: gemv_float_pair), 7-8 as 4 + 3, 4 + 4. */
#define DEFINE_GEMV_FLOAT(name, wt)                                                                   \
    static void name(int64_t n, int nr, int nt, const uint8_t *w, size_t w_stride, const uint8_t *a,  \
                     size_t a_stride, float *y, int64_t ldy) {                                        \
        for (int t0 = 0, c; t0 < nt; t0 += c) {                                                       \
            c = nt - t0 <= 6 ? nt - t0 : nt - t0 <= 8 ? 4 : 6;                                       \
            const uint8_t *at = a + (size_t)t0 * a_stride;                                            \
            float *yt = y + (size_t)t0 * ldy;                                                         \
            switch (c) {                                                                              \
            case 1: gemv_float(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 1); break;              \
            case 2: gemv_float(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 2); break;              \
            case 3: gemv_float(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 3); break;              \
            case 4: gemv_float_pair(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 4); break;         \
            case 5: gemv_float_pair(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 5); break;         \
            default: gemv_float_pair(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 6); break;        \
            }                                                                                         \
        }                                                                                             \
    }

DEFINE_GEMV_FLOAT(gemv_f32_any, QLM_TYPE_F32)
DEFINE_GEMV_FLOAT(gemv_f16_any, QLM_TYPE_F16)
DEFINE_GEMV_FLOAT(gemv_bf16_any, QLM_TYPE_BF16)

static inline __attribute__((always_inline)) void
gemm_float(qlm_type wt, float_gemv_fn gv, int64_t n, int nr, int nt, const void *w, size_t w_stride, const void *a,
           size_t a_stride, float *y, int64_t ldy) {
    if (nt < GEMV_BELOW) {
        gv(n, nr, nt, w, w_stride, a, a_stride, y, ldy);
        return;
    }
    _Alignas(32) float panel[FLOAT_KC * 16];
    const float *xt[FLOAT_TOK];
    const int tb = x86_token_block(nt, a_stride, FLOAT_TOK, 4 * FLOAT_TOK);
    for (int tb0 = 0; tb0 < nt; tb0 += tb) {
        const int tb1 = nt - tb0 < tb ? nt : tb0 + tb;
        for (int r0 = 0; r0 < nr; r0 += 16) {
            const int rows = nr - r0 < 16 ? nr - r0 : 16;
            for (int64_t k0 = 0; k0 < n; k0 += FLOAT_KC) {
                const int64_t k1 = n - k0 < FLOAT_KC ? n : k0 + FLOAT_KC;
                repack_float(wt, (const uint8_t *)w + (size_t)r0 * w_stride, w_stride, rows, k0, k1, panel);
                for (int t0 = tb0; t0 < tb1; t0 += FLOAT_TOK) {
                    const int c = tb1 - t0 < FLOAT_TOK ? tb1 - t0 : FLOAT_TOK;
                    for (int t = 0; t < c; t++) xt[t] = (const float *)((const uint8_t *)a + (size_t)(t0 + t) * a_stride) + k0;
                    float *yp = y + (size_t)t0 * ldy + r0;
                    const bool acc = k0 > 0;
                    switch (c) {
                    case 1: micro_float(panel, k1 - k0, xt, yp, ldy, rows, acc, 1); break;
                    case 2: micro_float(panel, k1 - k0, xt, yp, ldy, rows, acc, 2); break;
                    case 3: micro_float(panel, k1 - k0, xt, yp, ldy, rows, acc, 3); break;
                    case 4: micro_float(panel, k1 - k0, xt, yp, ldy, rows, acc, 4); break;
                    case 5: micro_float(panel, k1 - k0, xt, yp, ldy, rows, acc, 5); break;
                    default: micro_float(panel, k1 - k0, xt, yp, ldy, rows, acc, 6); break;
                    }
                }
            }
        }
    }
}

#define DEFINE_GEMM_FLOAT(name, wt, gemv)                                                             \
    void name(int64_t n, int nr, int nt, const void *w, size_t w_stride, const void *a,       \
                     size_t a_stride, float *y, int64_t ldy, void *work) {                           \
        (void)work;                                                                                  \
        gemm_float(wt, gemv, n, nr, nt, w, w_stride, a, a_stride, y, ldy);                           \
    }
DEFINE_GEMM_FLOAT(qlm_avx2_gemm_f32, QLM_TYPE_F32, gemv_f32_any)
DEFINE_GEMM_FLOAT(qlm_avx2_gemm_f16, QLM_TYPE_F16, gemv_f16_any)
DEFINE_GEMM_FLOAT(qlm_avx2_gemm_bf16, QLM_TYPE_BF16, gemv_bf16_any)
#endif
