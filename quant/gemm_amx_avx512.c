/* AMX (tile) matrix products for prompt batches, used by the AVX-512 gemm kernels
 * (quant/gemm_avx512.c) on CPUs with AMX-INT8 whose OS grants the tile state (see
 * ggml-like/cpu_features.c). Only this file is compiled with AMX enabled.
 *
 * The weight panels are the ones the VNNI micro-kernels use: per block of 32 (16 for
 * Q6_K) values, 16 rows x 4 bytes per k-group, which is exactly AMX's layout for the
 * second operand (B: K/4 rows of 16 columns x 4 bytes). The levels are first shifted
 * down by the type's bias so that they are signed (TDPBSSD multiplies signed bytes) and
 * no activation-sum correction is needed. The first operand (A) is 16 tokens x one
 * block of activations in natural order, loaded straight from the prepared rows with
 * their stride. One TDPBSSD per block gives a 16 x 16 tile of int32 sums; the tile is
 * stored and AVX-512 scales it into 16 float accumulators (one per token, 16 rows
 * wide): convert, multiply the row scales by the token's block scale, FMA.
 *
 * A tile product covers only one block (32 values) because every block has its own
 * scales; that uses half of what one TDPBSSD could do (64 values), and the float
 * epilogue, not the tile unit, sets the pace: about 3 vector instructions per 16
 * outputs per block, against 8 vpdpbusd plus those 3 on the VNNI path. */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VNNI__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("amx-tile,amx-int8,amx-bf16,avx512bf16"))), apply_to = function)
#else
#pragma GCC target("amx-tile,amx-int8,amx-bf16,avx512bf16")
#endif
#include <immintrin.h>
#include <string.h>

#include "kernels_x86.h"
#include "simd_avx512.h"

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

/* ldtilecfg of the whole 64 bytes. gcc 12's _tile_loadconfig tells the compiler it
 * reads only a pointer's worth of the config ("m" (*(const void **)p)), so it may drop
 * the stores of the rows and column widths as dead: an out-of-line configure_bf16 then
 * loaded a config of zero rows and the next tile instruction raised SIGILL (seen
 * with a second call site; the inlined calls kept their stores by luck). */
static inline __attribute__((always_inline)) void load_tile_config(const tile_config *c) {
    __asm__ volatile("ldtilecfg %0" ::"m"(*c));
}

/* Tiles 0-3: C (tokens x 16 rows of int32); 4, 6: A (tokens x K bytes); 5, 7: B
 * (K/4 rows of 64 bytes). */
static void configure(int tokens, int kbytes) {
    tile_config c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    for (int i = 0; i < 4; i++) {
        c.rows[i] = (uint8_t)tokens;
        c.colsb[i] = 64;
    }
    c.rows[4] = c.rows[6] = (uint8_t)tokens;
    c.colsb[4] = c.colsb[6] = (uint16_t)kbytes;
    c.rows[5] = c.rows[7] = (uint8_t)(kbytes / 4);
    c.colsb[5] = c.colsb[7] = 64;
    load_tile_config(&c);
}

/* The 16 token accumulators are named variables, not an array: the tile intrinsics
 * count as memory accesses for the compiler, and an array would be kept in memory. */
#define FACC_LIST(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#define FACC_DECL(t) __m512 f##t = _mm512_setzero_ps();
/* f_t += (C[t] as float) * ws * d[t] (+ wm * e[t] for affine types) */
#define FACC_STEP(t)                                                                              \
    f##t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(cb + 16 * t)),                    \
                           _mm512_mul_ps(ws, _mm512_set1_ps(dt[t])), f##t);                        \
    if (affine) f##t = _mm512_fmadd_ps(wm, _mm512_set1_ps(et[t]), f##t);
#define EPILOGUE(cbuf_, rec_, dt_, et_)                                                           \
    do {                                                                                          \
        const int32_t *cb = (cbuf_);                                                              \
        const float *dt = (dt_), *et = (et_);                                                     \
        const __m512 ws = _mm512_load_ps((rec_) + 64 * J);                                        \
        const __m512 wm = affine ? _mm512_load_ps((rec_) + 64 * J + 64) : _mm512_setzero_ps();    \
        FACC_LIST(FACC_STEP)                                                                      \
    } while (0)
#define FACC_STORE(t) if (t < ntok) _mm512_mask_storeu_ps(y + (size_t)t * ldy, m, f##t);

/* One panel (16 rows) x one tile of up to 16 tokens over nb blocks (even). a: token 0's
 * natural-order levels; dt/et: per block, the 16 tokens' scales and corrections.
 * Software pipeline over the blocks, two C tiles alternating: step k issues block k+1's
 * product, stores block k's sums (whose product had a whole epilogue's time to finish)
 * and scales block k-1's (stored one step earlier). A tile store cannot complete before
 * its product, and the stored sums cannot be loaded before the store completes: issued
 * back to back (product, store, epilogue of the same block) the core waited on both
 * (more than half of this function's samples sat on the instruction after the store). */
#define PRODUCT(TC, TA, TB, blk)                                                                  \
    do {                                                                                          \
        _tile_zero(TC);                                                                           \
        _tile_loadd(TA, a + (size_t)kbytes * (size_t)(blk), (long)a_stride);                      \
        _tile_loadd(TB, panel + rec * (size_t)(blk), 64);                                         \
        _tile_dpbssd(TC, TA, TB);                                                                 \
    } while (0)
static inline __attribute__((always_inline)) void
panel_tile(int nb, const uint8_t *panel, const int J, const bool affine, const int8_t *a, size_t a_stride,
           int kbytes, const float *dt0, const float *et0, int ntok, float *y, int64_t ldy, int nrows,
           const uint8_t *pf, size_t pf_len, size_t pf_step) {
    _Alignas(64) int32_t cbuf[2][256];
    FACC_LIST(FACC_DECL)
    const size_t rec = 64 * (size_t)J + 64 + (affine ? 64 : 0);
    PRODUCT(0, 4, 5, 0);
    PRODUCT(1, 6, 7, 1);
    _tile_stored(0, cbuf[0], 64);
    for (int b = 1; b < nb; b += 2) {
        if (pf) x86_prefetch_piece(pf, pf_len, pf_step, (size_t)(b / 2));
        /* step b: product b+1 (tile 0), store b (tile 1), scale b-1 */
        if (b + 1 < nb) PRODUCT(0, 4, 5, b + 1);
        _tile_stored(1, cbuf[1], 64);
        EPILOGUE(cbuf[0], panel + rec * (size_t)(b - 1), dt0 + 16 * (b - 1), et0 + 16 * (b - 1));
        /* step b+1: product b+2 (tile 1), store b+1 (tile 0), scale b */
        if (b + 1 < nb) {
            if (b + 2 < nb) PRODUCT(1, 6, 7, b + 2);
            _tile_stored(0, cbuf[0], 64);
        }
        EPILOGUE(cbuf[1], panel + rec * (size_t)b, dt0 + 16 * b, et0 + 16 * b);
    }
    const __mmask16 m = (__mmask16)((1u << nrows) - 1);
    FACC_LIST(FACC_STORE)
}
#undef PRODUCT


/* dst[16 b + t] = float at src + t * stride + 4 b, for t < ntok (0 beyond), b < nb */
static void transpose_cols(const uint8_t *src, size_t stride, int ntok, int nb, float *dst) {
    for (int b0 = 0; b0 < nb; b0 += 16) {
        const int w = nb - b0 < 16 ? nb - b0 : 16;
        const __mmask16 m = (__mmask16)((1u << w) - 1);
        __m512 r[16];
        for (int t = 0; t < 16; t++)
            r[t] = t < ntok ? _mm512_maskz_loadu_ps(m, src + (size_t)t * stride + 4 * (size_t)b0) : _mm512_setzero_ps();
        avx512_transpose16(r);
        for (int k = 0; k < w; k++) _mm512_store_ps(dst + 16 * (size_t)(b0 + k), r[k]);
    }
}

void qlm_amx_prepare_scales(const uint8_t *a, size_t a_stride, int nt, int nb, size_t doff, size_t eoff,
                            bool affine, float *dt, float *et) {
    for (int t0 = 0; t0 < nt; t0 += 16) {
        const int ntok = nt - t0 < 16 ? nt - t0 : 16;
        const uint8_t *row = a + (size_t)t0 * a_stride;
        transpose_cols(row + doff, a_stride, ntok, nb, dt + (size_t)nb * (size_t)t0);
        if (affine) transpose_cols(row + eoff, a_stride, ntok, nb, et + (size_t)nb * (size_t)t0);
    }
}

void qlm_amx_gemm_chunk(const qlm_amx_job *j) {
    const size_t rec = 64 * (size_t)j->J + 64 + (j->affine ? 64 : 0);
    /* signed levels: shift the stored unsigned ones down by the type's bias */
    if (j->bias) {
        const __m512i bias = _mm512_set1_epi8((char)j->bias);
        for (int p = 0; p < j->np; p++)
            for (int b = 0; b < j->nb; b++) {
                uint8_t *r = j->panels + j->panel_bytes * (size_t)p + rec * (size_t)b;
                for (int k = 0; k < j->J; k++)
                    _mm512_store_si512(r + 64 * k, _mm512_sub_epi8(_mm512_load_si512(r + 64 * k), bias));
            }
    }
    const int kbytes = 4 * j->J;
    int configured = -1;
    const int ntiles = (j->nt + 15) / 16;
    const size_t pf_share = (j->pf_bytes + ntiles - 1) / ntiles;
    for (int t0 = 0; t0 < j->nt; t0 += 16) {
        const int ntok = j->nt - t0 < 16 ? j->nt - t0 : 16;
        /* this token tile's share of the next panel */
        const size_t pf_off = pf_share * (size_t)(t0 / 16);
        const uint8_t *pf = j->pf && j->np == 1 && pf_off < j->pf_bytes ? j->pf + pf_off : NULL;
        const size_t pf_len = pf ? (j->pf_bytes - pf_off < pf_share ? j->pf_bytes - pf_off : pf_share) : 0;
        const size_t pf_step = (pf_len + j->nb / 2 - 1) / (j->nb / 2);
        if (ntok != configured) { configure(ntok, kbytes); configured = ntok; }
        const float *dt = j->dt + (size_t)j->nb * (size_t)t0, *et = j->et + (size_t)j->nb * (size_t)t0;
        const int8_t *a = (const int8_t *)j->a + (size_t)t0 * j->a_stride + j->qoff;
        for (int p = 0; p < j->np; p++) {
            const int rows = j->nr - 16 * p < 16 ? j->nr - 16 * p : 16;
            float *yp = j->y + (size_t)t0 * j->ldy + 16 * p;
            const uint8_t *pan = j->panels + j->panel_bytes * (size_t)p;
            if (j->affine)
                panel_tile(j->nb, pan, j->J, true, a, j->a_stride, kbytes, dt, et, ntok, yp, j->ldy, rows, pf, pf_len, pf_step);
            else
                panel_tile(j->nb, pan, j->J, false, a, j->a_stride, kbytes, dt, et, ntok, yp, j->ldy, rows, pf, pf_len, pf_step);
        }
    }
    _tile_release(); /* back to the init state: cheap context switches */
}

/* ---- Q8_0 weights as the first operand, straight from the file -------------------
 * Q8_0's levels need no unpacking: a row's block is 32 signed bytes after its f16
 * scale, so one A tile (16 rows x 32 bytes) loads from the weights with the row stride
 * and nothing is repacked (the repack was two thirds of the Q8_0 kernel's time at 16
 * tokens: perf of tl-q8_0 pp16). The activations take the second operand's layout
 * instead (per block, 8 rows of 16 tokens x 4 bytes), made once per call; C is then
 * weight rows x tokens, accumulated per row in floats and transposed once at the end. */

/* Tiles 0-3: C (rows x 16 tokens of int32); 4, 5: A (rows x 32 bytes); 6, 7: B. */
static void configure_q8_0(int rows) {
    tile_config c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    for (int i = 0; i < 6; i++) {
        c.rows[i] = (uint8_t)rows; /* fewer than 16 in a matrix's last panel: no read past it */
        c.colsb[i] = i < 4 ? 64 : 32;
    }
    c.rows[6] = c.rows[7] = 8;
    c.colsb[6] = c.colsb[7] = 64;
    load_tile_config(&c);
}

/* out (nb x 512 bytes): block b's B tile for tokens a[0..ntok) (zeros past ntok): row
 * k holds each token's levels 4k..4k+3 (avx512_transpose_16x8_dwords). */
static void make_b_tiles(const int8_t *a, size_t a_stride, int ntok, int nb, uint8_t *out, const uint8_t *pf,
                         size_t pf_stride, int pf_rows) {
    static const uint8_t zeros[32];
    for (int b = 0; b < nb; b++) {
        for (int r = 0; r < pf_rows; r++) {
            const uint8_t *p = pf + (size_t)r * pf_stride + 34 * (size_t)b;
            _mm_prefetch((const char *)p, _MM_HINT_T1);
        }
        const uint8_t *rows[16];
        QLM_UNROLL_FULL for (int t = 0; t < 16; t++)
            rows[t] = t < ntok ? (const uint8_t *)a + (size_t)t * a_stride + 32 * (size_t)b : zeros;
        __m512i v[8];
        avx512_transpose_16x8_dwords(rows, v);
        QLM_UNROLL_FULL for (int k = 0; k < 8; k++) _mm512_store_si512(out + 512 * (size_t)b + 64 * k, v[k]);
    }
}

/* f_r += (C[r] as float) * (token scales * row r's scale) */
#define RACC_STEP(r) f##r = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(cb + 16 * r)), \
                                            _mm512_mul_ps(dv, _mm512_set1_ps(wsb[r])), f##r);
#define R_EPILOGUE(cbuf_, blk)                                                                    \
    do {                                                                                          \
        const int32_t *cb = (cbuf_);                                                              \
        const __m512 dv = _mm512_load_ps(dt + 16 * (size_t)(blk));                                \
        _Alignas(64) float wsb[16];                                                               \
        const __m512i d16 = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, rowoff,        \
                                                        w + 34 * (size_t)(blk), 1);               \
        _mm512_store_ps(wsb, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(d16)));                        \
        FACC_LIST(RACC_STEP)                                                                      \
    } while (0)
#define PRODUCT_Q8(TC, TA, TB, blk)                                                               \
    do {                                                                                          \
        _tile_zero(TC);                                                                           \
        _tile_loadd(TA, w + 34 * (size_t)(blk) + 2, (long)w_stride);                              \
        _tile_loadd(TB, bt + 512 * (size_t)(blk), 64);                                            \
        _tile_dpbssd(TC, TA, TB);                                                                 \
    } while (0)

/* One panel (rows <= 16 Q8_0 rows) x one tile of up to 16 tokens over nb blocks. A
 * deeper software pipeline than panel_tile's: four C tiles, each block's sums stored
 * two steps after its product and scaled two steps after that (with two tiles and one
 * step each, the kernel on cached weights ran 0.88-0.9x: qlm bench --kernels -t 1 --type
 * Q8_0 --rows 512 --stream-mib 1 --tokens 16, 32). */
static void q8_0_panel(int nb, const uint8_t *w, size_t w_stride, const uint8_t *bt, const float *dt, int rows,
                       int ntok, float *y, int64_t ldy, bool pf_next) {
    _Alignas(64) int32_t cbuf[4][256];
    FACC_LIST(FACC_DECL)
    const __mmask16 m = (__mmask16)((1u << rows) - 1);
    const __m512i rowoff = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                              _mm512_set1_epi32((int)w_stride));
    if (rows < 16) memset(cbuf, 0, sizeof cbuf); /* rows past the panel: scaled, never stored */
    /* Step s: product of block s (C tile s % 4), store of block s - 2, epilogue of block
     * s - 4 (steps unrolled by 4: the tile numbers are constants). */
#define Q8_STEP(k, TA, TB, TS)                                                                    \
    do {                                                                                          \
        const int s_ = s0 + (k);                                                                  \
        if (s_ < nb) PRODUCT_Q8(k, TA, TB, s_);                                                   \
        if (s_ >= 2 && s_ - 2 < nb) _tile_stored(TS, cbuf[TS], 64);                               \
        if (s_ >= 4 && s_ - 4 < nb) R_EPILOGUE(cbuf[k], s_ - 4);                                  \
    } while (0)
    for (int s0 = 0; s0 < nb + 4; s0 += 4) {
        /* the next panel's rows, the bytes these steps' blocks take from these rows, into L2 */
        if (pf_next && s0 < nb)
            QLM_UNROLL_FULL for (int r = 0; r < 16; r++) {
                const uint8_t *p = w + (size_t)(16 + r) * w_stride + 34 * (size_t)s0;
                QLM_UNROLL_FULL for (int l = 0; l < 3; l++) _mm_prefetch((const char *)p + 64 * l, _MM_HINT_T1);
            }
        Q8_STEP(0, 4, 6, 2); /* the tile numbers as literals: the intrinsics paste them into asm */
        Q8_STEP(1, 5, 7, 3);
        Q8_STEP(2, 4, 6, 0);
        Q8_STEP(3, 5, 7, 1);
    }
#undef Q8_STEP
    __m512 f[16] = {f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15};
    avx512_transpose16(f);
    for (int t = 0; t < ntok; t++) _mm512_mask_storeu_ps(y + (size_t)t * (size_t)ldy, m, f[t]);
}
#undef PRODUCT_Q8
#undef R_EPILOGUE
#undef RACC_STEP

void qlm_amx_q8_0_gemm(int nb, int nr, int nt, const uint8_t *w, size_t w_stride, const int8_t *a, size_t a_stride,
                       const float *dt, int dt_nb, uint8_t *bt, float *y, int64_t ldy) {
    const int ntiles = (nt + 15) / 16;
    for (int i = 0; i < ntiles; i++) {
        const int ntok = nt - 16 * i < 16 ? nt - 16 * i : 16;
        make_b_tiles(a + (size_t)(16 * i) * a_stride, a_stride, ntok, nb, bt + (size_t)512 * (size_t)nb * (size_t)i, w,
                     w_stride, i == 0 ? (nr < 16 ? nr : 16) : 0);
    }
    int configured = -1;
    for (int r0 = 0; r0 < nr; r0 += 16) {
        const int rows = nr - r0 < 16 ? nr - r0 : 16;
        if (rows != configured) { configure_q8_0(rows); configured = rows; }
        for (int i = 0; i < ntiles; i++) {
            const int ntok = nt - 16 * i < 16 ? nt - 16 * i : 16;
            q8_0_panel(nb, w + (size_t)r0 * w_stride, w_stride, bt + (size_t)512 * (size_t)nb * (size_t)i,
                       dt + (size_t)dt_nb * (size_t)(16 * i), rows, ntok, y + (size_t)(16 * i) * (size_t)ldy + r0, ldy,
                       i == 0 && r0 + 16 < nr);
        }
    }
    _tile_release();
}

/* ---- bf16 tiles for large batches ------------------------------------------------
 *
 * The int8 tiles above need one tile store and one float epilogue per block of 32
 * values, because every block has its own scales; a throwaway harness (not in the
 * repository) timed a 1 KB tile store at about twice a product. With the weights
 * dequantized to bf16 once per call, the products accumulate in float tiles over the
 * whole row and each output tile is stored once: a 2 x 2 block of tiles (32 tokens x 32
 * rows) per step of 32 values, two A and two B tile loads for four products. The tile
 * loads (from L2) then set the pace. Weights and activations are rounded to bf16 (8
 * significant bits: relative error at most 2^-8 per value), small beside the
 * quantization error of the weights themselves; tests/test_kernels.c bounds the result
 * by 2^-7 sum|w*a|. */

void qlm_amx_prep_bf16(const float *x, void *dst, int64_t n) {
    uint8_t *o = dst;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32)
        _mm512_store_si512(o + 2 * i, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i)));
    for (; i < n; i++) { /* not reached for the block types (n is a multiple of 32) */
        const __m128bh h = _mm_cvtneps_pbh(_mm_set_ss(x[i]));
        memcpy(o + 2 * i, &h, 2);
    }
    memset(o + 2 * n, 0, qlm_tiles_act_size(n) - 2 * (size_t)n);
}

/* bf16 of 16 floats back to floats (exact) */
static inline __m512 bf16_to_ps(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* x = hi + lo: hi = bf16(x), lo = bf16(x - hi); lo is exact unless x has more than 16
 * significant bits, so hi + lo carries x to 2^-17 (one bf16 carries 2^-9). */
static inline __m512i split_hi(__m512 v0, __m512 v1, __m512i *lo) {
    const __m512i h = (__m512i)_mm512_cvtne2ps_pbh(v1, v0);
    const __m512 r0 = _mm512_sub_ps(v0, bf16_to_ps(_mm512_castsi512_si256(h)));
    const __m512 r1 = _mm512_sub_ps(v1, bf16_to_ps(_mm512_extracti64x4_epi64(h, 1)));
    *lo = (__m512i)_mm512_cvtne2ps_pbh(r1, r0);
    return h;
}

void qlm_amx_prep_bf16_split(const float *x, void *dst, int64_t n) {
    uint8_t *o = dst;
    for (int64_t i = 0; i < n; i += 32) { /* n is a multiple of 32 (uses_tiles, attn_tiles) */
        __m512i lo;
        _mm512_store_si512(o + 2 * i, split_hi(_mm512_loadu_ps(x + i), _mm512_loadu_ps(x + i + 16), &lo));
        _mm512_store_si512(o + 2 * n + 2 * i, lo);
    }
    memset(o + 4 * n, 0, qlm_tiles_act_size(2 * n) - 4 * (size_t)n);
}

void qlm_amx_bf16_pack_float(const float *v, bool split, uint8_t *hi, uint8_t *lo) {
    __m512 h[16], l[16];
    for (int i = 0; i < 16; i++) {
        __m512i li;
        h[i] = _mm512_castsi512_ps(split_hi(_mm512_load_ps(v + 32 * i), _mm512_load_ps(v + 32 * i + 16), &li));
        l[i] = _mm512_castsi512_ps(li);
    }
    avx512_transpose16(h);
    for (int p = 0; p < 16; p++) _mm512_store_ps((float *)(hi + 64 * p), h[p]);
    if (!split) return;
    avx512_transpose16(l);
    for (int p = 0; p < 16; p++) _mm512_store_ps((float *)(lo + 64 * p), l[p]);
}

void qlm_amx_prob_split(const float *e, float inv, int n, int ld, void *dst) {
    uint8_t *o = dst;
    const __m512 vi = _mm512_set1_ps(inv);
    for (int t = 0; t < ld; t += 32) {
        __m512 v[2];
        for (int j = 0; j < 2; j++) {
            const int left = n - t - 16 * j;
            const __mmask16 m = (__mmask16)(left >= 16 ? 0xFFFF : left <= 0 ? 0 : (1u << left) - 1);
            /* rounded to f16 as the reference does with an f16 cache */
            v[j] = _mm512_cvtph_ps(_mm512_cvtps_ph(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, e + t + 16 * j), vi),
                                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        }
        __m512i lo;
        _mm512_store_si512(o + 2 * t, split_hi(v[0], v[1], &lo));
        _mm512_store_si512(o + 2 * (size_t)ld + 2 * t, lo);
    }
    memset(o + 4 * (size_t)ld, 0, qlm_tiles_act_size(2 * (int64_t)ld) - 4 * (size_t)ld);
}

void qlm_amx_bf16_pack_pairs(const uint16_t *v, size_t stride, int npos, int pos0, int e0, uint8_t *hi, uint8_t *lo) {
    for (int p = 0; p < 16; p++) {
        const int t = pos0 + 2 * p;
        const __m512 a = t < npos ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(v + (size_t)t * stride + e0)))
                                  : _mm512_setzero_ps();
        const __m512 b = t + 1 < npos ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(v + (size_t)(t + 1) * stride + e0)))
                                      : _mm512_setzero_ps();
        /* hi/lo of the 32 values [a | b], then words interleaved: (a_j, b_j) in dword j */
        __m512i l;
        const __m512i h = split_hi(a, b, &l);
        const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22,
                                             6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
        _mm512_store_si512(hi + 64 * p, _mm512_permutexvar_epi16(idx, h));
        _mm512_store_si512(lo + 64 * p, _mm512_permutexvar_epi16(idx, l));
    }
}

void qlm_amx_bf16_pack_lanes(const uint8_t *lines, const float *ws0, const float *wm0, const float *ws1,
                             const float *wm1, uint8_t *out) {
    const __m512 s0 = _mm512_load_ps(ws0), m0 = _mm512_load_ps(wm0);
    const __m512 s1 = _mm512_load_ps(ws1), m1 = _mm512_load_ps(wm1);
    const __m512i mb = _mm512_set1_epi32(0xFF);
    /* words of cvtne2ps_pbh(odd, even) -> (even, odd) per 32-bit lane */
    const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22,
                                         6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (int g = 0; g < 8; g++) {
        const __m512i l = _mm512_load_si512(lines + 64 * g);
        const __m512 s = g < 4 ? s0 : s1, m = g < 4 ? m0 : m1;
        __m512 f[4];
        for (int k = 0; k < 4; k++) { /* byte k of each lane: level 4g + k */
            const __m512i b = k == 3 ? _mm512_srli_epi32(l, 24) : _mm512_and_si512(_mm512_srli_epi32(l, 8 * k), mb);
            f[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(b), s, m); /* as pack_levels: one rounding */
        }
        for (int p = 0; p < 2; p++)
            _mm512_store_si512(out + 64 * (2 * g + p),
                               _mm512_permutexvar_epi16(idx, (__m512i)_mm512_cvtne2ps_pbh(f[2 * p + 1], f[2 * p])));
    }
}

/* Row i's 32 values (levels at lv + i lv_stride) as bf16, in order: level * ws[16 i +
 * sub] + wm[...] (affine) or level * s - bias * s, sub = sub0 for the first 16 values,
 * sub1 for the last. */
static inline __attribute__((always_inline)) __m512i
bf16_level_row(const uint8_t *lv, size_t lv_stride, const float *ws, const float *wm, int sub0, int sub1,
               __m512 nb, int i) {
    const uint8_t *l = lv + (size_t)i * lv_stride;
    const __m512 l0 = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)l)));
    const __m512 l1 = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_load_si128((const __m128i *)(l + 16))));
    const __m512 s0 = _mm512_set1_ps(ws[16 * i + sub0]), s1 = _mm512_set1_ps(ws[16 * i + sub1]);
    /* level * s - bias * s: bias is a power of two, so -bias * s is exact and the FMA
     * rounds once, as (level - bias) * s does in the reference */
    const __m512 a0 = wm ? _mm512_set1_ps(wm[16 * i + sub0]) : _mm512_mul_ps(nb, s0);
    const __m512 a1 = wm ? _mm512_set1_ps(wm[16 * i + sub1]) : _mm512_mul_ps(nb, s1);
    return (__m512i)_mm512_cvtne2ps_pbh(_mm512_fmadd_ps(l1, s1, a1), _mm512_fmadd_ps(l0, s0, a0));
}

void qlm_amx_bf16_pack_levels(const uint8_t *lv, size_t lv_stride, const float *ws, const float *wm, int sub0,
                              int sub1, int bias, uint8_t *out) {
    /* the loops unrolled, r[] stays in registers: as loops at -O2 it went through the
     * stack (29 vector stack accesses; unrolled 5), and pp64 / pp128 of tl-q4_0.gguf ran
     * 0.83-0.87x / 0.87-0.93x */
    __m512 r[16];
    const __m512 nb = _mm512_set1_ps(-(float)bias);
    QLM_UNROLL_FULL for (int i = 0; i < 16; i++)
        r[i] = _mm512_castsi512_ps(bf16_level_row(lv, lv_stride, ws, wm, sub0, sub1, nb, i));
    avx512_transpose16(r); /* row p: the 16 rows' pair p (values 2p, 2p+1) */
    QLM_UNROLL_FULL for (int p = 0; p < 16; p++) _mm512_store_ps((float *)(out + 64 * p), r[p]);
}

static void configure_bf16(int m0, int m1) {
    tile_config c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    c.rows[0] = c.rows[1] = c.rows[4] = (uint8_t)m0;
    c.colsb[0] = c.colsb[1] = c.colsb[4] = 64;
    if (m1 > 0) {
        c.rows[2] = c.rows[3] = c.rows[5] = (uint8_t)m1;
        c.colsb[2] = c.colsb[3] = c.colsb[5] = 64;
    }
    c.rows[6] = c.rows[7] = 16;
    c.colsb[6] = c.colsb[7] = 64;
    load_tile_config(&c);
}

/* ---- weights as the A tiles (qlm_amx_bf16_gemm_rows) ------------------------------
 * A B tile holds its 16 columns one per lane, so weights as B tiles (above) are made
 * with a 16 x 16 transpose per 1 KB; as A tiles a weight row is a tile row, its 32
 * values in order, straight from the levels. The activations become the B tiles
 * instead (16 tokens x 16 value pairs, transposed once per call), and each 16 x 16 C
 * tile (weight rows x tokens) is transposed on its way to y. Each output sums the same
 * products in the same k order as with the operands the other way round. */

void qlm_amx_bf16_pack_rows(const uint8_t *lv, size_t lv_stride, const float *ws, const float *wm, int sub0,
                            int sub1, int bias, uint8_t *out) {
    const __m512 nb = _mm512_set1_ps(-(float)bias);
    QLM_UNROLL_FULL for (int i = 0; i < 16; i++)
        _mm512_store_si512(out + 64 * i, bf16_level_row(lv, lv_stride, ws, wm, sub0, sub1, nb, i));
}

void qlm_amx_bf16_act_tiles(const uint8_t *a, size_t a_stride, int nt, int nk, uint8_t *xt) {
    for (int t0 = 0; t0 < nt; t0 += 16) {
        const int m = nt - t0 < 16 ? nt - t0 : 16;
        for (int k = 0; k < nk; k++) {
            __m512 v[16];
            QLM_UNROLL_FULL for (int t = 0; t < 16; t++)
                v[t] = t < m ? _mm512_loadu_ps((const float *)(a + (size_t)(t0 + t) * a_stride + 64 * (size_t)k))
                             : _mm512_setzero_ps();
            avx512_transpose16(v); /* v[p]: value pair p of the 16 tokens */
            uint8_t *o = xt + ((size_t)(t0 / 16) * (size_t)nk + (size_t)k) * 1024;
            QLM_UNROLL_FULL for (int p = 0; p < 16; p++) _mm512_store_ps((float *)(o + 64 * p), v[p]);
        }
    }
}

/* C 0, 1: panels 0, 1 x tokens 0-15 (m0 of them); C 2, 3: x tokens 16-31 (m1); A 4, 5:
 * the two panels' weight rows; B 6, 7: the two token groups' value pairs. */
static void configure_rows(int m0, int m1) {
    tile_config c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    c.rows[0] = c.rows[1] = 16;
    c.colsb[0] = c.colsb[1] = (uint16_t)(4 * m0);
    c.rows[4] = c.rows[5] = 16;
    c.colsb[4] = c.colsb[5] = 64;
    c.rows[6] = 16;
    c.colsb[6] = (uint16_t)(4 * m0);
    if (m1 > 0) {
        c.rows[2] = c.rows[3] = 16;
        c.colsb[2] = c.colsb[3] = (uint16_t)(4 * m1);
        c.rows[7] = 16;
        c.colsb[7] = (uint16_t)(4 * m1);
    }
    load_tile_config(&c);
}

/* C 0, 1 (panels 0, 1 x tokens 0-15) and 2, 3 (x tokens 16-31) over nk steps, the
 * weights as A tiles 4, 5 and the tokens' B tiles 6, 7 (b0, b1: 1 KB per step). */
static inline __attribute__((always_inline)) void
rows_tiles(const uint8_t *b0, const uint8_t *b1, const uint8_t *p0, const uint8_t *p1, int nk, const bool two_pan,
           const bool two_tok) {
    _tile_zero(0);
    if (two_pan) _tile_zero(1);
    if (two_tok) _tile_zero(2);
    if (two_pan && two_tok) _tile_zero(3);
    for (int k = 0; k < nk; k++) {
        _tile_loadd(4, p0 + 1024 * (size_t)k, 64);
        _tile_loadd(6, b0 + 1024 * (size_t)k, 64);
        _tile_dpbf16ps(0, 4, 6);
        if (two_pan) {
            _tile_loadd(5, p1 + 1024 * (size_t)k, 64);
            _tile_dpbf16ps(1, 5, 6);
        }
        if (two_tok) {
            _tile_loadd(7, b1 + 1024 * (size_t)k, 64);
            _tile_dpbf16ps(2, 4, 7);
            if (two_pan) _tile_dpbf16ps(3, 5, 7);
        }
    }
}


/* C tiles 0, 1 (tokens 0-15 x panels 0, 1) and 2, 3 (tokens 16-31) over nk steps. */
static inline __attribute__((always_inline)) void
bf16_tiles(const uint8_t *a0_, const uint8_t *a1_, size_t a_stride, const uint8_t *p0_, const uint8_t *p1_, int nk,
           const qlm_amx_pass *pass, int npass, const bool two_pan, const bool two_tok) {
    _tile_zero(0);
    if (two_pan) _tile_zero(1);
    if (two_tok) _tile_zero(2);
    if (two_pan && two_tok) _tile_zero(3);
    for (int ps = 0; ps < npass; ps++) {
        const uint8_t *a0 = a0_ + pass[ps].a_off, *a1 = a1_ + pass[ps].a_off;
        const uint8_t *p0 = p0_ + pass[ps].p_off, *p1 = p1_ + pass[ps].p_off;
        for (int k = 0; k < nk; k++) {
            _tile_loadd(4, a0 + 64 * (size_t)k, (long)a_stride);
            _tile_loadd(6, p0 + 1024 * (size_t)k, 64);
            _tile_dpbf16ps(0, 4, 6);
            if (two_pan) {
                _tile_loadd(7, p1 + 1024 * (size_t)k, 64);
                _tile_dpbf16ps(1, 4, 7);
            }
            if (two_tok) {
                _tile_loadd(5, a1 + 64 * (size_t)k, (long)a_stride);
                _tile_dpbf16ps(2, 5, 6);
                if (two_pan) _tile_dpbf16ps(3, 5, 7);
            }
        }
    }
}

/* C tile c to y (ldy floats apart), m tokens x `cols` rows of y: the tile is tokens x
 * rows (weights as B tiles), or rows x tokens (as A tiles: transposed on the way). */
#define STORE_C(c, yp, m, cols)                                                                   \
    do {                                                                                          \
        if (ROWS) {                                                                               \
            _tile_stored(c, buf, 64);                                                             \
            __m512 v_[16];                                                                        \
            QLM_UNROLL_FULL for (int i_ = 0; i_ < 16; i_++) v_[i_] = _mm512_load_ps(buf + 16 * i_); \
            avx512_transpose16(v_);                                                               \
            for (int t_ = 0; t_ < (m); t_++)                                                      \
                _mm512_mask_storeu_ps((yp) + (size_t)t_ * ldy, (__mmask16)((1u << (cols)) - 1), v_[t_]); \
        } else if ((cols) == 16) {                                                                \
            _tile_stored(c, yp, (long)ldy * 4);                                                   \
        } else {                                                                                  \
            _tile_stored(c, buf, 64);                                                             \
            for (int t_ = 0; t_ < (m); t_++)                                                      \
                _mm512_mask_storeu_ps((yp) + (size_t)t_ * ldy, (__mmask16)((1u << (cols)) - 1),   \
                                      _mm512_load_ps(buf + 16 * t_));                             \
        }                                                                                         \
    } while (0)

/* Both orientations: ROWS, a is act_tiles' B tiles (a_stride unused), panels hold A
 * tiles; else a holds bf16 activation rows, panels B tiles. */
static inline __attribute__((always_inline)) void
bf16_gemm(const bool ROWS, const uint8_t *a, size_t a_stride, int nt, const uint8_t *panels, size_t panel_bytes,
          int npan, int nk, float *y, int64_t ldy, int nrows, const qlm_amx_pass *pass, int npass) {
    _Alignas(64) float buf[256];
    int cfg0 = -1, cfg1 = -1;
    /* token tiles outside, panel pairs inside: a tile of 32 activation rows stays in L2
     * while it meets every panel of the block (the caller sizes the block to fit) */
    for (int t0 = 0; t0 < nt; t0 += 32) {
        const int m0 = nt - t0 < 16 ? nt - t0 : 16;
        int m1 = nt - t0 - 16;
        m1 = m1 < 0 ? 0 : m1 > 16 ? 16 : m1;
        if (m0 != cfg0 || m1 != cfg1) {
            if (ROWS) configure_rows(m0, m1);
            else configure_bf16(m0, m1);
            cfg0 = m0;
            cfg1 = m1;
        }
        const uint8_t *a0 = ROWS ? a + (size_t)(t0 / 16) * (size_t)nk * 1024 : a + (size_t)t0 * a_stride;
        const uint8_t *a1 = ROWS ? a0 + (size_t)nk * 1024 : a0 + 16 * a_stride;
        for (int p = 0; p < npan; p += 2) {
            const int rows = nrows - 16 * p < 32 ? nrows - 16 * p : 32;
            const int c0 = rows < 16 ? rows : 16, c1 = rows - 16;
            const bool two = p + 1 < npan;
            const uint8_t *p0 = panels + panel_bytes * (size_t)p, *p1 = p0 + panel_bytes;
            float *y0 = y + (size_t)t0 * ldy + 16 * p, *y1 = y0 + 16 * ldy;
            if (ROWS) {
                if (two && m1) rows_tiles(a0, a1, p0, p1, nk, true, true);
                else if (two) rows_tiles(a0, a1, p0, p1, nk, true, false);
                else if (m1) rows_tiles(a0, a1, p0, p1, nk, false, true);
                else rows_tiles(a0, a1, p0, p1, nk, false, false);
            } else {
                if (two && m1) bf16_tiles(a0, a1, a_stride, p0, p1, nk, pass, npass, true, true);
                else if (two) bf16_tiles(a0, a1, a_stride, p0, p1, nk, pass, npass, true, false);
                else if (m1) bf16_tiles(a0, a1, a_stride, p0, p1, nk, pass, npass, false, true);
                else bf16_tiles(a0, a1, a_stride, p0, p1, nk, pass, npass, false, false);
            }
            STORE_C(0, y0, m0, c0);
            if (two) STORE_C(1, y0 + 16, m0, c1);
            if (m1) {
                STORE_C(2, y1, m1, c0);
                if (two) STORE_C(3, y1 + 16, m1, c1);
            }
        }
    }
    _tile_release();
}
#undef STORE_C

void qlm_amx_bf16_gemm(const uint8_t *a, size_t a_stride, int nt, const uint8_t *panels, size_t panel_bytes,
                       int npan, int nk, float *y, int64_t ldy, int nrows, const qlm_amx_pass *pass, int npass) {
    static const qlm_amx_pass one = {0, 0};
    if (!pass) {
        pass = &one;
        npass = 1;
    }
    bf16_gemm(false, a, a_stride, nt, panels, panel_bytes, npan, nk, y, ldy, nrows, pass, npass);
}

void qlm_amx_bf16_gemm_rows(const uint8_t *xt, int nt, int nk, const uint8_t *panels, size_t panel_bytes, int npan,
                            float *y, int64_t ldy, int nrows) {
    bf16_gemm(true, xt, 0, nt, panels, panel_bytes, npan, nk, y, ldy, nrows, NULL, 0);
}

#if defined(__clang__)
#pragma clang attribute pop
#endif
#endif
