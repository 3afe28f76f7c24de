/* Functions shared between the x86 kernel files (internal). Those named qlm_avx2_* need
 * AVX2+FMA+F16C+BMI2, qlm_avx512_* also AVX-512 F/BW/VL/DQ+VNNI: call them only from
 * tables installed after the matching run-time check (ggml-like/kernels.c). */
#ifndef QLM_KERNELS_X86_H
#define QLM_KERNELS_X86_H

#include "../ggml-like/kernels.h"

#include <stddef.h>
#include <stdint.h>

/* One Q8_0/Q8_1 block of 32 (llama.cpp's x86 rounding): levels to qs, d = amax/127
 * (not yet rounded to f16); returns the sum of the levels. */
int qlm_avx2_q8_block(const float *x, int8_t *qs, float *d);
void qlm_avx2_quant_q8_0(const float *x, void *y, int64_t n);
void qlm_avx2_quant_q8_1(const float *x, void *y, int64_t n);
void qlm_avx2_quant_q8_k(const float *x, void *y, int64_t n);
void qlm_avx2_quant_f16(const float *x, void *y, int64_t n);
void qlm_avx2_dequant_f16(const void *x, float *y, int64_t n);
void qlm_avx2_dequant_bf16(const void *x, float *y, int64_t n);

/* ---- prepared activation rows (qlm_gemm_prep_fn) for the x86 gemm kernels ----------
 *
 * For a quantized weight type, a row of n values is three arrays:
 *   int8  q[nq]      levels, nq = n rounded up to 512 (the kernels read 512 at a time)
 *   float d[nq / B]  the activation scale of each block of B values (B = 32; 16 for Q6_K)
 *   e[nq / B]        a per-block correction, int32 or float by type (below)
 * Everything past n is zero. q's order within each 128 values matches how the weight
 * bytes unpack, so that one load of weights meets one load of activations:
 *   Q4_0 Q4_1 Q5_0 Q5_1  per 4 blocks: values 0..15 of each, then 16..31 of each
 *                        (the low and the high nibbles of their 4 x 16 qs bytes)
 *   Q4_K Q5_K            per 128 values: sub-blocks 2c, 2c+2, 2c+1, 2c+3 (the low and
 *                        high nibbles of 64 qs bytes)
 *   Q8_0 Q6_K            natural order
 * e: int32 -bias * sum(q) for weights kept as unsigned levels (Q4_0: bias 8, Q5_0: 16,
 * Q8_0: 128 (q_w ^ 0x80), Q6_K: 32 per 16); float s of Q8_1 for Q4_1/Q5_1; float
 * d * sum(q) of the sub-block for Q4_K/Q5_K (their min term).
 * Q4_K, Q5_K and Q6_K rows are quantized as Q8_K: d is the same for all blocks of a
 * super-block of 256, which the AVX-512 matrix-vector loop for Q4_K/Q5_K relies on.
 * The reordered types then repeat the levels in natural order (int8 qn[nq]), which the
 * AMX kernels load as tiles of 32 consecutive bytes per token. 
 * Float weight types: n floats (rounded to f16 values for F16), zero-padded to nq. */
static inline size_t x86_prep_nq(int64_t n) { return ((size_t)n + 511) / 512 * 512; }
/* byte offset of the natural-order levels in a prepared row (reordered types only) */
static inline size_t x86_prep_qn(int64_t n) { size_t nq = x86_prep_nq(n); return nq + nq / 4; }

/* A prepared row's three arrays (B: values per block of d and e). */
typedef struct {
    const int8_t *q;
    const float *d;
    const void *e;
} x86_prow;

static inline x86_prow x86_prow_of(const void *row, int64_t n, int B) {
    const size_t nq = x86_prep_nq(n);
    x86_prow p = {(const int8_t *)row, (const float *)((const char *)row + nq), NULL};
    p.e = p.d + nq / (size_t)B;
    return p;
}

void qlm_x86_prep_q4_0(const float *x, void *dst, int64_t n);
void qlm_x86_prep_q4_1(const float *x, void *dst, int64_t n);
void qlm_x86_prep_q5_0(const float *x, void *dst, int64_t n);
void qlm_x86_prep_q5_1(const float *x, void *dst, int64_t n);
void qlm_x86_prep_q8_0(const float *x, void *dst, int64_t n);
void qlm_x86_prep_q4_k(const float *x, void *dst, int64_t n); /* also Q5_K */
void qlm_x86_prep_q6_k(const float *x, void *dst, int64_t n);
void qlm_x86_prep_f32(const float *x, void *dst, int64_t n);  /* also BF16 */
void qlm_x86_prep_f16(const float *x, void *dst, int64_t n);

void qlm_avx2_attn(const float *q, float *out, size_t q_stride, int n_tok, int n_q, const void *k,
                   const void *v, size_t kv_stride, int n_pos, int hd, float scale, bool f16, float *scores);

/* AMX tiles for one chunk of up to 4 panels of 16 weight rows (quant/gemm_amx_avx512.c):
 * all nt tokens, written to y; leaves the tile state released. The panels (VNNI
 * layout) are modified in place (levels made signed by subtracting bias). */
typedef struct {
    uint8_t *panels;       /* np panels, panel_bytes apart */
    size_t panel_bytes;
    int np, nr;            /* panels and rows (nr <= 16 * np) */
    int nb, J;             /* blocks per panel (even), k-groups per block (8 or 4) */
    bool affine;
    int bias;              /* subtracted from the stored levels (0: affine types) */
    const uint8_t *a;      /* prepared activation rows, a_stride apart */
    size_t a_stride, qoff; /* byte offset of the natural-order levels in a row */
    int nt;
    float *y;
    int64_t ldy;
    const float *dt, *et;  /* from qlm_amx_prepare_scales */
    /* with np 1, NULL or pf_bytes to ask for into L2 from pf while the panel is
     * multiplied, spread over its token tiles and blocks (quant/gemm_avx512.c,
     * PF_MICRO_MAX_TOKENS) */
    const uint8_t *pf;
    size_t pf_bytes;
} qlm_amx_job;
void qlm_amx_gemm_chunk(const qlm_amx_job *j);
/* AMX tiles for Q8_0 rows read in place (quant/gemm_amx_avx512.c): y[t][r] for nr rows
 * (w, w_stride) of nb blocks and nt tokens of prepared activations (natural-order levels
 * at offset 0, a_stride apart); dt from qlm_amx_prepare_scales with dt_nb blocks per
 * tile; bt: scratch of 512 nb bytes per 16 tokens, 64-byte aligned. Leaves the tile
 * state released. */
void qlm_amx_q8_0_gemm(int nb, int nr, int nt, const uint8_t *w, size_t w_stride, const int8_t *a, size_t a_stride,
                       const float *dt, int dt_nb, uint8_t *bt, float *y, int64_t ldy);
/* Per tile of 16 tokens, the nb blocks' activation scales (doff) and, for affine types,
 * corrections (eoff) as [tile][block][16 tokens] floats (0 past nt), for the tile
 * kernels' broadcasts. */
void qlm_amx_prepare_scales(const uint8_t *a, size_t a_stride, int nt, int nb, size_t doff, size_t eoff,
                            bool affine, float *dt, float *et);
/* bf16 tiles (quant/gemm_amx_avx512.c; CPUs with AMX-BF16 and AVX512_BF16):
 * prep_tiles: n floats -> n bf16 (qlm_tiles_act_size bytes, zero padded);
 * pack_levels: one 1 KB B tile (row p: the 16 rows' values 2p, 2p+1) from 16 rows of 32
 * unsigned levels (row i at lv + i lv_stride, 16-byte aligned), value = level *
 * ws[16 i + sub] + wm[16 i + sub] (affine, wm != NULL) or (level - bias) * ws[16 i +
 * sub] (bias a power of two), sub = sub0 for the first 16 values, sub1 for the last; gemm: y[t][r] = A[t] . W[r] for nt tokens and
 * nrows <= 16 npan rows given as npan panels of nk B tiles, panel_bytes apart. */
void qlm_amx_prep_bf16(const float *x, void *dst, int64_t n);
/* pack_lanes: the same tile from levels already one row per lane: lines (8 x 64 bytes,
 * aligned), line g's 32-bit lane r holding levels 4g..4g+3 of row r; value = level *
 * ws0[r] + wm0[r] for lines 0-3 (the first 16 values), ws1, wm1 for lines 4-7 (all 64-
 * byte aligned). */
void qlm_amx_bf16_pack_lanes(const uint8_t *lines, const float *ws0, const float *wm0, const float *ws1,
                             const float *wm1, uint8_t *out);
void qlm_amx_bf16_pack_levels(const uint8_t *lv, size_t lv_stride, const float *ws, const float *wm, int sub0,
                              int sub1, int bias, uint8_t *out);
/* Weights as the A tiles (rows in order, no transpose): pack_rows: the values of
 * pack_levels, one 1 KB A tile (row i: row i's 32 values); act_tiles: nt activation rows
 * (bf16, a_stride apart) -> B tiles, 1 KB per 16 tokens and 32 values (row p: the 16
 * tokens' values 2p, 2p+1; zeros past nt), [token group][k]; gemm_rows: y[t][r] for nt
 * tokens and nrows <= 16 npan rows from those. */
void qlm_amx_bf16_pack_rows(const uint8_t *lv, size_t lv_stride, const float *ws, const float *wm, int sub0,
                            int sub1, int bias, uint8_t *out);
void qlm_amx_bf16_act_tiles(const uint8_t *a, size_t a_stride, int nt, int nk, uint8_t *xt);
void qlm_amx_bf16_gemm_rows(const uint8_t *xt, int nt, int nk, const uint8_t *panels, size_t panel_bytes, int npan,
                            float *y, int64_t ldy, int nrows);
/* One pass of the gemm's k loop: activation tiles a_off bytes into each row, B tiles
 * p_off bytes into each panel. The passes add into the same sums (float weights:
 * hi/lo parts of the weights and the activations, see gemm_float_avx512.c). */
typedef struct {
    size_t a_off, p_off;
} qlm_amx_pass;
void qlm_amx_bf16_gemm(const uint8_t *a, size_t a_stride, int nt, const uint8_t *panels, size_t panel_bytes,
                       int npan, int nk, float *y, int64_t ldy, int nrows, const qlm_amx_pass *pass, int npass);
/* Float weights and activations as bf16 hi/lo parts: prep_split writes a row of n
 * floats (n a multiple of 32) as [n bf16 hi | n bf16 lo] (qlm_tiles_act_size(2 n)
 * bytes, zero padded);
 * pack_float makes one hi B tile (and with split one lo tile) from 16 rows x 32 floats
 * (row-major, 64-byte aligned). */
void qlm_amx_prep_bf16_split(const float *x, void *dst, int64_t n);
void qlm_amx_bf16_pack_float(const float *v, bool split, uint8_t *hi, uint8_t *lo);
/* Attention with bf16 tiles (quant/attn_avx512.c). prob_split: probabilities e[t] *
 * inv for t < n (0 up to ld, a multiple of 32), rounded to f16, as one prep_split row
 * of ld values. pack_pairs: the hi and lo B tiles of a PV product from an f16 V cache
 * (rows stride elements apart, npos of them): tile row p holds positions pos0 + 2p and
 * pos0 + 2p + 1 (zero past npos) for elements e0..e0+15. */
void qlm_amx_prob_split(const float *e, float inv, int n, int ld, void *dst);
void qlm_amx_bf16_pack_pairs(const uint16_t *v, size_t stride, int npos, int pos0, int e0, uint8_t *hi, uint8_t *lo);

/* Whether the AVX-512 attention uses bf16 tiles for blocks of 16+ (token, head) pairs
 * with an f16 cache (set with the bf16 tile gemm; tests switch it to cover both). */
extern bool qlm_avx512_attn_tiles;
/* Whether the AVX-512 gemm kernels use AMX (set by qlm_kernels_fill_avx512 from the CPU
 * features; tests switch it to cover both). */
extern bool qlm_avx512_use_amx;

void qlm_avx512_attn(const float *q, float *out, size_t q_stride, int n_tok, int n_q, const void *k,
                     const void *v, size_t kv_stride, int n_pos, int hd, float scale, bool f16, float *scores);

void qlm_avx2_fill_gemm(qlm_kernels *k);
/* the same kernels built with AVX-VNNI (quant/gemm_avxvnni.c) */
void qlm_avxvnni_fill_gemm(qlm_kernels *k);
void qlm_avx512_fill_gemm(qlm_kernels *k);

#endif
