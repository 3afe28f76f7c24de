/* Per-ISA kernel tables and run-time dispatch.
 *
 * Each ISA file (quant/kernels_avx2.c, quant/kernels_avx512.c, quant/kernels_neon.c)
 * defines a function that fills a qlm_kernels table with the kernels it has; entries it
 * leaves NULL fall back to the scalar reference of the type-traits table. The active
 * table is picked once from the CPU's features (cpu_features.h) or QLM_ISA.
 *
 * Two ways to multiply a weight matrix by activations:
 *
 *  - vec_dot[T]: one weight row (block format T) against one activation row already
 *    converted by from_float[vec_dot_type(T)]. The contract of the type-traits table;
 *    every table has it for every supported type.
 *
 *  - gemm[T] (optional, NULL in the scalar table): a block of weight rows against a
 *    batch of activation rows prepared by gemm_prep[T] in a layout of the ISA's choosing
 *    (quantized with the same rounding as from_float, plus per-block scales and sums in
 *    float/int32 arrays, reordered to suit the kernel). Preparing costs O(n) per token;
 *    it pays for itself because every weight row of the matrix reuses it. The kernel
 *    handles any number of rows and tokens: a matrix-vector loop for one or a few
 *    tokens, register-tiled micro-kernels over repacked weight panels for more.
 */
#ifndef QLM_KERNELS_H
#define QLM_KERNELS_H

#include "qtypes.h"
#include "qlm.h"

/* Prepare one activation row of n floats for gemm[T]; writes qlm_gemm_act_size(T, n)
 * bytes (dst 64-byte aligned). */
typedef void (*qlm_gemm_prep_fn)(const float *x, void *dst, int64_t n);

/* y[t * ldy + r] = dot(weight row r, activation row t) for r < nr, t < nt.
 *   w: nr weight rows of n values in their file format, w_stride bytes apart;
 *   a: nt rows made by the matching gemm_prep, a_stride bytes apart (64-byte aligned);
 *   work: per-thread scratch of QLM_GEMM_WORK_SIZE(n, nt) bytes, 64-byte aligned, or
 *   NULL (then the kernel falls back to its matrix-vector loop). */
typedef void (*qlm_gemm_fn)(int64_t n, int nr, int nt, const void *w, size_t w_stride,
                            const void *a, size_t a_stride, float *y, int64_t ldy, void *work);

/* Attention of n_tok consecutive query tokens for the n_q query heads that share one
 * KV head (GQA): for token i and head h, scores[t] = scale * dot(q_ih, K[t]) for
 * t < n_pos + i (causal: each token sees one more position than the one before),
 * softmax, out_ih = sum_t p[t] V[t]. q and out: per token n_q rows of hd floats (hd
 * apart), tokens q_stride floats apart. K and V: rows of hd values, kv_stride elements
 * apart, f16 (when f16) or f32. With an f16 cache the query and the probabilities are
 * rounded to f16 first, as llama.cpp's f16 matrix products do. scores: n_pos + n_tok - 1
 * floats of scratch. Taking a block of tokens and heads at once lets a kernel convert
 * each K/V row once for all of them. */
typedef void (*qlm_attn_fn)(const float *q, float *out, size_t q_stride, int n_tok, int n_q,
                            const void *k, const void *v, size_t kv_stride, int n_pos, int hd,
                            float scale, bool f16, float *scores);

typedef struct {
    const char *name;                            /* "scalar", "avx2", "avx512", "neon" */
    const char *detail;                          /* NULL, or e.g. the tile units used */
    qlm_vec_dot_fn vec_dot[QLM_TYPE_COUNT];      /* indexed by weight type */
    qlm_from_float_fn from_float[QLM_TYPE_COUNT];/* activation quantizers, by target type */
    qlm_to_float_fn to_float[QLM_TYPE_COUNT];
    qlm_gemm_prep_fn gemm_prep[QLM_TYPE_COUNT];  /* by weight type; NULL: no gemm */
    qlm_gemm_fn gemm[QLM_TYPE_COUNT];            /* by weight type; set with gemm_prep */
    int gemm_min_tokens[QLM_TYPE_COUNT];         /* by weight type: smaller batches use vec_dot */
    /* Optional (NULL unless the CPU has tile units): large batches of float activations
     * converted by prep_tiles (qlm_tiles_act_row bytes per row), weights dequantized
     * per call; used for tiles_min_tokens[type] tokens or more, rows a multiple of 32. All by
     * weight type; tiles_split: activations as two bf16 parts (2n values per row). */
    qlm_gemm_fn gemm_tiles[QLM_TYPE_COUNT];
    qlm_gemm_prep_fn prep_tiles[QLM_TYPE_COUNT];
    bool tiles_split[QLM_TYPE_COUNT];
    int tiles_min_tokens[QLM_TYPE_COUNT];
    qlm_attn_fn attn;                            /* never NULL */
    int attn_tokens;                             /* tokens per attn call it prefers; 0: 16 */
    void (*silu_mul)(float *g, const float *u, int n); /* never NULL: g = silu(g) * u */
    /* never NULL: qlm_rmsnorm (ggml-like/ops.h), sums of squares in double */
    void (*rmsnorm)(float *out, const float *x, const float *w, int n, float eps);
} qlm_kernels;

/* Bytes of one prepared activation row (a multiple of 64): large enough for every
 * ISA's layout of weight type t (n values: int8 levels in up to two orders, two 4-byte
 * values per 16 of them, padding to whole 512-value groups; or as many floats for
 * F32/F16/BF16). */
size_t qlm_gemm_act_size(qlm_type t, int64_t n);
/* Bytes of one prep_tiles row: n bf16 values, rounded up to 64 bytes, plus 64 when
 * that is a multiple of 4096 (rows loaded as tiles would otherwise share cache sets). */
static inline size_t qlm_tiles_act_size(int64_t n) {
    size_t b = ((size_t)n * 2 + 63) / 64 * 64;
    return b % 4096 ? b : b + 64;
}
/* Bytes of one prep_tiles row of table k for weight type t and n values. */
static inline size_t qlm_tiles_act_row(const qlm_kernels *k, qlm_type t, int64_t n) {
    return qlm_tiles_act_size(k->tiles_split[t] ? 2 * n : n);
}
/* Bytes of per-thread scratch a gemm kernel may use for n values and nt tokens: a
 * 32-row panel of n values unpacked to floats, per-token scales of every block (8 bytes
 * per 16 values per token, tokens rounded up to 16), plus slack (QLM_GEMM_WORK_BASE);
 * then, up to 64 tokens, the batch's activations as bf16 B tiles (2 bytes per value
 * and token: quant/gemm_avx512.c, gemm_tiles). */
#define QLM_GEMM_WORK_BASE(n, nt) \
    ((size_t)(n) * 128 + ((size_t)(n) / 2 + 64) * (((size_t)(nt) + 15) / 16 * 16) + 8192)
#define QLM_GEMM_ACT_TILE_TOKENS 64
#define QLM_GEMM_WORK_SIZE(n, nt)                                                                     \
    (QLM_GEMM_WORK_BASE(n, nt) +                                                                      \
     (((size_t)(nt) + 15) / 16 * 16 <= QLM_GEMM_ACT_TILE_TOKENS ? (size_t)(n) * 2 * (((size_t)(nt) + 15) / 16 * 16) : 0))

/* The table in use; never NULL. Every entry is non-NULL for supported types (the
 * scalar reference fills the gaps). */
const qlm_kernels *qlm_kernels_active(void);
/* The scalar reference table (for tests comparing paths). */
const qlm_kernels *qlm_kernels_scalar(void);
/* Table for a named ISA if this CPU and build support it, else NULL. */
const qlm_kernels *qlm_kernels_for(const char *isa);
/* What QLM_ISA asked for and could not get ("" when nothing was refused): a forced
 * path this CPU or build lacks falls back to the best available one. */
const char *qlm_kernels_refused(void);

/* ISA fill functions: return false when compiled for another architecture or when they
 * provide no kernels. */
bool qlm_kernels_fill_avx2(qlm_kernels *k);
bool qlm_kernels_fill_avxvnni(qlm_kernels *k); /* fills over a copy of the AVX2 table */
bool qlm_kernels_fill_avx512(qlm_kernels *k);
bool qlm_kernels_fill_neon(qlm_kernels *k);

/* The scalar attention (reference for the SIMD ones): each token and head on its own. */
void qlm_attn_ref(const float *q, float *out, size_t q_stride, int n_tok, int n_q, const void *k,
                  const void *v, size_t kv_stride, int n_pos, int hd, float scale, bool f16,
                  float *scores);

#endif
