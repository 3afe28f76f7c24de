/* AVX-512 matrix products with float weights (F32, F16, BF16; qlm_gemm_fn,
 * ggml-like/kernels.h): the matrix-vector loop for 1-8 tokens, 16-row panels in
 * registers for the FMA micro-kernels beyond, and (AMX-BF16) the weights and activations
 * as bf16 hi/lo parts on the tiles. Entry points in gemm_avx512.h; the quantized
 * weights' kernels are in gemm_avx512.c. */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VNNI__)
#include "kernels_x86.h"
#include "simd_x86.h"
#include "simd_avx512.h"
#include "gemm_avx512.h"

/* 16 values of row p (F32/F16/BF16) from index i as floats; masked to `left` values. */
static inline __m512 ld_w16(const void *p, int64_t i, qlm_type t, int64_t left) {
    const __mmask16 m = (__mmask16)(left >= 16 ? 0xFFFF : (1u << left) - 1);
    switch (t) {
    case QLM_TYPE_F16: return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const qlm_f16 *)p + i));
    case QLM_TYPE_BF16:
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, (const qlm_bf16 *)p + i)), 16));
    default: return _mm512_maskz_loadu_ps(m, (const float *)p + i);
    }
}

/* ---- float weights on bf16 tiles -------------------------------------------------
 *
 * One bf16 pass would round weights and activations to 8 significant bits: too coarse
 * for float weights (the transformers fixtures' 1e-3 logit bound failed, 0.013-0.024,
 * with BF16 weights that way). So both are split into bf16 parts, w = wh + wl and x =
 * xh + xl (wl = 0 for BF16; exact for F16's 11 significant bits), and the tiles sum wh xh + wh xl + wl xh in three passes of the k loop (two for
 * BF16). What is left out (wl xl, the parts' last roundings) stays below about 2^-16
 * |w x|; tests/test_kernels.c bounds it. A panel holds the nk hi tiles, then the lo
 * ones. F32 weights keep their float kernels: two parts hold 16 of their 24 bits, and
 * the stories260K F32 logits then missed llama.cpp's by 2.5e-4 (bound 1e-4). */
static void float_repack(const uint8_t *w, size_t w_stride, int nrows, int nk, qlm_type wt, bool split,
                         uint8_t *panel) {
    _Alignas(64) float v[16][32];
    for (int k = 0; k < nk; k++) {
        for (int r = 0; r < 16; r++) {
            if (r < nrows) {
                const uint8_t *row = w + (size_t)r * w_stride;
                _mm_prefetch((const char *)row + 64 * (size_t)k + TILES_PF_AHEAD, _MM_HINT_T0); /* 2-byte values */
                _mm512_store_ps(v[r], ld_w16(row, 32 * (int64_t)k, wt, 16));
                _mm512_store_ps(v[r] + 16, ld_w16(row, 32 * (int64_t)k + 16, wt, 16));
            } else {
                _mm512_store_ps(v[r], _mm512_setzero_ps());
                _mm512_store_ps(v[r] + 16, _mm512_setzero_ps());
            }
        }
        qlm_amx_bf16_pack_float(&v[0][0], split, panel + 1024 * (size_t)k, panel + 1024 * (size_t)(nk + k));
    }
}

/* Only when the scratch is missing (out of memory): x from its two parts, slowly. */
static void float_tiles_fallback(qlm_type wt, int64_t n, int nr, int nt, const uint8_t *w, size_t w_stride,
                                 const uint8_t *a, size_t a_stride, float *y, int64_t ldy) {
    for (int r = 0; r < nr; r++)
        for (int t = 0; t < nt; t++) {
            const uint16_t *xh = (const uint16_t *)(a + (size_t)t * a_stride), *xl = xh + n;
            float sum = 0;
            for (int64_t i = 0; i < n; i++) {
                const uint32_t bh = (uint32_t)xh[i] << 16, bl = (uint32_t)xl[i] << 16;
                float h, l, wv;
                memcpy(&h, &bh, 4);
                memcpy(&l, &bl, 4);
                const uint8_t *row = w + (size_t)r * w_stride;
                _mm_store_ss(&wv, _mm512_castps512_ps128(ld_w16(row, i, wt, 1)));
                sum += wv * (h + l);
            }
            y[(size_t)t * ldy + r] = sum;
        }
}

/* wt: F16 or BF16 (F32 keeps its float kernels, above) */
static inline __attribute__((always_inline)) void
float_tiles(qlm_type wt, int64_t n, int nr, int nt, const void *w, size_t w_stride, const void *a, size_t a_stride,
            float *y, int64_t ldy, void *work) {
    const bool split = wt != QLM_TYPE_BF16;
    const int nk = (int)(n / 32);
    const size_t tiles = 1024 * (size_t)nk, pbytes = split ? 2 * tiles : tiles;
    if (!work || QLM_GEMM_WORK_BASE(n, nt) < 2 * pbytes) {
        float_tiles_fallback(wt, n, nr, nt, w, w_stride, a, a_stride, y, ldy);
        return;
    }
    /* xh wh, xl wh, xh wl */
    const qlm_amx_pass pass[3] = {{0, 0}, {2 * (size_t)n, 0}, {0, tiles}};
    const size_t rb = tiles_block_rows(n, nt, pbytes / 16);
    for (int r0 = 0; r0 < nr; r0 += (int)rb) {
        const int rows = nr - r0 < (int)rb ? nr - r0 : (int)rb, npan = (rows + 15) / 16;
        for (int p = 0; p < npan; p++) {
            const int pr = rows - 16 * p < 16 ? rows - 16 * p : 16;
            float_repack((const uint8_t *)w + (size_t)(r0 + 16 * p) * w_stride, w_stride, pr, nk, wt, split,
                         (uint8_t *)work + pbytes * (size_t)p);
        }
        qlm_amx_bf16_gemm(a, a_stride, nt, work, pbytes, npan, nk, y + r0, ldy, rows, pass, split ? 3 : 2);
    }
}

#define DEFINE_FLOAT_TILES(name, wt)                                                                  \
    void name(int64_t n, int nr, int nt, const void *w, size_t w_stride, const void *a,      \
                     size_t a_stride, float *y, int64_t ldy, void *work) {                           \
        float_tiles(wt, n, nr, nt, w, w_stride, a, a_stride, y, ldy, work);                          \
    }
DEFINE_FLOAT_TILES(qlm_avx512_tiles_f16, QLM_TYPE_F16)
DEFINE_FLOAT_TILES(qlm_avx512_tiles_bf16, QLM_TYPE_BF16)
#undef DEFINE_FLOAT_TILES

/* ---- float weights (F32, F16, BF16) ------------------------------------------------ */

/* matrix-vector: R rows at a time (1 or 2), ACC independent accumulators per row and
 * token over 16 ACC values per step, all NT tokens sharing each weight load and the R
 * rows each activation load: R = 1, ACC = 4 for up to 5 tokens; R = 2, ACC = 1 for 6-8
 * (16 accumulators; with one row and 2 each, pp8 ran 0.8x: 9 loads per 16 weights
 * held it back). Passes of 3 tokens read tl-f16's 2.2 GB twice for 4-6 tokens and three
 * times for 7-8: one pass is pp4 1.25x, pp6-pp7 1.3x (`bash bench/ab.sh 2 ... -p
 * 4,5,6,7,8`). */
static inline __attribute__((always_inline)) void
gemv_float_rows(qlm_type wt, int64_t n, const uint8_t *w, size_t w_stride, const float *const *x, float *y,
                int64_t ldy, const int NT, const int R, const int ACC) {
    const int esz = wt == QLM_TYPE_F32 ? 4 : 2;
    __m512 acc[2][8][4];
    QLM_UNROLL_FULL for (int q = 0; q < R; q++) QLM_UNROLL_FULL for (int t = 0; t < NT; t++)
        QLM_UNROLL_FULL for (int k = 0; k < ACC; k++) acc[q][t][k] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 * ACC <= n; i += 16 * ACC) {
        /* see gemv(); the float loop had its own prefetch into L1 only, PF_DIST ahead:
         * L2 there and L1 PF_L1 ahead, in-process A/B (1 thread, 600 MB streamed):
         * F16 1.09-1.17x, BF16 1.09x, F32 1.04x */
        QLM_UNROLL_FULL for (int q = 0; q < R; q++) {
            const char *pf = (const char *)w + (size_t)q * w_stride + (size_t)i * (size_t)esz + PF_DIST;
            QLM_UNROLL_FULL for (int o = 0; o < 16 * ACC * esz; o += 64) {
                _mm_prefetch(pf + o, PF_HINT);
                _mm_prefetch(pf - PF_DIST + PF_L1 + o, _MM_HINT_T0);
            }
        }
        QLM_UNROLL_FULL for (int k = 0; k < ACC; k++) {
            __m512 wv[2];
            QLM_UNROLL_FULL for (int q = 0; q < R; q++) wv[q] = ld_w16(w + (size_t)q * w_stride, i + 16 * k, wt, 16);
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
                const __m512 xv = _mm512_load_ps(x[t] + i + 16 * k);
                QLM_UNROLL_FULL for (int q = 0; q < R; q++) acc[q][t][k] = _mm512_fmadd_ps(wv[q], xv, acc[q][t][k]);
            }
        }
    }
    for (; i < n; i += 16) { /* activations are zero-padded */
        QLM_UNROLL_FULL for (int q = 0; q < R; q++) {
            const __m512 wv = ld_w16(w + (size_t)q * w_stride, i, wt, n - i);
            QLM_UNROLL_FULL for (int t = 0; t < NT; t++) acc[q][t][0] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x[t] + i), acc[q][t][0]);
        }
    }
    QLM_UNROLL_FULL for (int q = 0; q < R; q++) QLM_UNROLL_FULL for (int t = 0; t < NT; t++) {
        __m512 s = acc[q][t][0];
        if (ACC == 4) s = _mm512_add_ps(_mm512_add_ps(acc[q][t][0], acc[q][t][1]), _mm512_add_ps(acc[q][t][2], acc[q][t][3]));
        y[(size_t)t * ldy + q] = _mm512_reduce_add_ps(s);
    }
}

static inline __attribute__((always_inline)) void
gemv_float_nt(qlm_type wt, int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a, size_t a_stride,
              float *y, int64_t ldy, const int NT) {
    const float *x[8];
    QLM_UNROLL_FULL for (int t = 0; t < NT; t++) x[t] = (const float *)(a + (size_t)t * a_stride);
    int r = 0;
    if (NT >= 6)
        for (; r + 2 <= nr; r += 2) gemv_float_rows(wt, n, w + (size_t)r * w_stride, w_stride, x, y + r, ldy, NT, 2, 1);
    for (; r < nr; r++) gemv_float_rows(wt, n, w + (size_t)r * w_stride, w_stride, x, y + r, ldy, NT, 1, NT >= 6 ? 1 : 4);
}

static inline __attribute__((always_inline)) void
gemv_float(qlm_type wt, int64_t n, int nr, const uint8_t *w, size_t w_stride, const uint8_t *a, size_t a_stride,
           float *y, int64_t ldy, int nt) {
    for (int t0 = 0, c; t0 < nt; t0 += c) {
        c = nt - t0 < 8 ? nt - t0 : 8;
        const uint8_t *at = a + (size_t)t0 * a_stride;
        float *yt = y + (size_t)t0 * ldy;
        switch (c) {
        case 1: gemv_float_nt(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 1); break;
        case 2: gemv_float_nt(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 2); break;
        case 3: gemv_float_nt(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 3); break;
        case 4: gemv_float_nt(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 4); break;
        case 5: gemv_float_nt(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 5); break;
        case 6: gemv_float_nt(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 6); break;
        case 7: gemv_float_nt(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 7); break;
        default: gemv_float_nt(wt, n, nr, w, w_stride, at, a_stride, yt, ldy, 8); break;
        }
    }
}

/* Panel: for each value k, the 16 rows' weights as floats (lane = row). Built with
 * 16x16 transposes. */
static inline __attribute__((always_inline)) void
repack_float(qlm_type wt, const uint8_t *w, size_t w_stride, int nrows, int64_t n, float *panel) {
    int64_t k0 = 0;
    if (nrows == 16) /* unrolled, unmasked: the general loop below spilled its rows to the stack */
        for (; k0 + 16 <= n; k0 += 16) {
            __m512 v[16];
            QLM_UNROLL_FULL for (int r = 0; r < 16; r++) v[r] = ld_w16(w + (size_t)r * w_stride, k0, wt, 16);
            avx512_transpose16(v);
            QLM_UNROLL_FULL for (int k = 0; k < 16; k++) _mm512_store_ps(panel + (k0 + k) * 16, v[k]);
        }
    for (; k0 < n; k0 += 16) {
        __m512 v[16];
        for (int r = 0; r < 16; r++)
            v[r] = r < nrows ? ld_w16(w + (size_t)r * w_stride, k0, wt, n - k0) : _mm512_setzero_ps();
        /* transpose 16x16: v[r][k] -> panel[k0 + k][r] */
        avx512_transpose16(v);
        for (int k = 0; k < 16 && k0 + k < n; k++) _mm512_store_ps(panel + (k0 + k) * 16, v[k]);
    }
}

/* 16 rows x C tokens: one FMA per 16 multiply-adds, the activation broadcast from memory. */
static inline __attribute__((always_inline)) void
micro_float(int64_t n, const float *panel, const float *const *xt, float *y, int64_t ldy, int nrows, const int C) {
    __m512 facc[MAX_C];
    const float *x[MAX_C];
    QLM_UNROLL_FULL for (int t = 0; t < C; t++) { facc[t] = _mm512_setzero_ps(); x[t] = xt[t]; }
    for (int64_t k = 0; k < n; k++) {
        const __m512 wv = _mm512_load_ps(panel + 16 * k);
        QLM_UNROLL_FULL for (int t = 0; t < C; t++) facc[t] = _mm512_fmadd_ps(wv, _mm512_set1_ps(x[t][k]), facc[t]);
    }
    const __mmask16 m = (__mmask16)((1u << nrows) - 1);
    QLM_UNROLL_FULL for (int t = 0; t < C; t++) _mm512_mask_storeu_ps(y + (size_t)t * ldy, m, facc[t]);
}

/* 32 rows (two panels) x C tokens: per value two loads, C broadcasts and 2C FMAs, so the
 * FMAs set the pace; the 16-row kernel above needs a load per FMA (its broadcasts come
 * from memory) and ran an F16 prompt no faster than the AVX2 path. */
static inline __attribute__((always_inline)) void
micro_float2(int64_t n, const float *p0, const float *p1, const float *const *xt, float *y, int64_t ldy, int rows,
             const int C) {
    __m512 f0[MAX_C], f1[MAX_C];
    const float *x[MAX_C];
    QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
        f0[t] = f1[t] = _mm512_setzero_ps();
        x[t] = xt[t];
    }
    for (int64_t k = 0; k < n; k++) {
        const __m512 w0 = _mm512_load_ps(p0 + 16 * k), w1 = _mm512_load_ps(p1 + 16 * k);
        QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
            const __m512 b = _mm512_set1_ps(x[t][k]);
            f0[t] = _mm512_fmadd_ps(w0, b, f0[t]);
            f1[t] = _mm512_fmadd_ps(w1, b, f1[t]);
        }
    }
    const __mmask16 m1 = (__mmask16)((1u << (rows - 16)) - 1);
    QLM_UNROLL_FULL for (int t = 0; t < C; t++) {
        _mm512_storeu_ps(y + (size_t)t * ldy, f0[t]);
        _mm512_mask_storeu_ps(y + (size_t)t * ldy + 16, m1, f1[t]);
    }
}

static inline __attribute__((always_inline)) void
gemm_float(qlm_type wt, int64_t n, int nr, int nt, const void *w, size_t w_stride, const void *a,
           size_t a_stride, float *y, int64_t ldy, void *work) {
    const size_t panel_bytes = (size_t)n * 64 + 64;
    int panels = work ? (int)(QLM_GEMM_WORK_BASE(n, nt) / panel_bytes) : 0;
    if (panels > 4) panels = 4;
    if (nt < FGEMM_MIN_TOKENS(wt) || panels < 1) {
        gemv_float(wt, n, nr, w, w_stride, a, a_stride, y, ldy, nt);
        return;
    }
    const float *xt[MAX_C];
    for (int r0 = 0; r0 < nr; r0 += 16 * panels) {
        int np = (nr - r0 + 15) / 16;
        if (np > panels) np = panels;
        for (int p = 0; p < np; p++) {
            int rows = nr - r0 - 16 * p < 16 ? nr - r0 - 16 * p : 16;
            repack_float(wt, (const uint8_t *)w + (size_t)(r0 + 16 * p) * w_stride, w_stride, rows, n,
                         (float *)((uint8_t *)work + panel_bytes * (size_t)p));
        }
        for (int t0 = 0; t0 < nt; t0 += MAX_C) {
            int c = nt - t0 < MAX_C ? nt - t0 : MAX_C;
            for (int t = 0; t < c; t++) xt[t] = (const float *)((const uint8_t *)a + (size_t)(t0 + t) * a_stride);
            int p = 0;
            for (; p + 2 <= np; p += 2) { /* rows r0 + 16p .. + 32 (the second panel may be short) */
                const int rows = nr - r0 - 16 * p < 32 ? nr - r0 - 16 * p : 32;
                const float *pa = (const float *)((const uint8_t *)work + panel_bytes * (size_t)p);
                const float *pb = (const float *)((const uint8_t *)work + panel_bytes * (size_t)(p + 1));
                float *yp = y + (size_t)t0 * ldy + r0 + 16 * p;
                switch (c) {
                case 1: micro_float2(n, pa, pb, xt, yp, ldy, rows, 1); break;
                case 2: micro_float2(n, pa, pb, xt, yp, ldy, rows, 2); break;
                case 3: micro_float2(n, pa, pb, xt, yp, ldy, rows, 3); break;
                case 4: micro_float2(n, pa, pb, xt, yp, ldy, rows, 4); break;
                case 5: micro_float2(n, pa, pb, xt, yp, ldy, rows, 5); break;
                case 6: micro_float2(n, pa, pb, xt, yp, ldy, rows, 6); break;
                case 7: micro_float2(n, pa, pb, xt, yp, ldy, rows, 7); break;
                default: micro_float2(n, pa, pb, xt, yp, ldy, rows, 8); break;
                }
            }
            for (; p < np; p++) {
                int rows = nr - r0 - 16 * p < 16 ? nr - r0 - 16 * p : 16;
                const float *pan = (const float *)((const uint8_t *)work + panel_bytes * (size_t)p);
                float *yp = y + (size_t)t0 * ldy + r0 + 16 * p;
                switch (c) {
                case 1: micro_float(n, pan, xt, yp, ldy, rows, 1); break;
                case 2: micro_float(n, pan, xt, yp, ldy, rows, 2); break;
                case 3: micro_float(n, pan, xt, yp, ldy, rows, 3); break;
                case 4: micro_float(n, pan, xt, yp, ldy, rows, 4); break;
                case 5: micro_float(n, pan, xt, yp, ldy, rows, 5); break;
                case 6: micro_float(n, pan, xt, yp, ldy, rows, 6); break;
                case 7: micro_float(n, pan, xt, yp, ldy, rows, 7); break;
                default: micro_float(n, pan, xt, yp, ldy, rows, 8); break;
                }
            }
        }
    }
}

void qlm_avx512_gemm_f32(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                     int64_t ldy, void *work) {
    gemm_float(QLM_TYPE_F32, n, nr, nt, w, ws, a, as, y, ldy, work);
}
void qlm_avx512_gemm_f16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                     int64_t ldy, void *work) {
    gemm_float(QLM_TYPE_F16, n, nr, nt, w, ws, a, as, y, ldy, work);
}
void qlm_avx512_gemm_bf16(int64_t n, int nr, int nt, const void *w, size_t ws, const void *a, size_t as, float *y,
                      int64_t ldy, void *work) {
    gemm_float(QLM_TYPE_BF16, n, nr, nt, w, ws, a, as, y, ldy, work);
}
#endif
