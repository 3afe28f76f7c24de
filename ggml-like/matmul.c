#include "matmul.h"
#include "scratch.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Per token: the larger of a prepared gemm row (f32 at most: 4 bytes per value plus
 * padding) and a vec_dot row (Q8_K, the largest activation format, is 1.14 bytes per
 * value); +64 to align the start to a cache line. */
size_t qlm_matmul_scratch_size(int64_t n_in, int n_tok) {
    return qlm_gemm_act_size(QLM_TYPE_F32, n_in) * (size_t)(n_tok > 0 ? n_tok : 1) + 64;
}

typedef struct {
    const qlm_kernels *k;
    const qlm_tensor *W;
    const float *x;
    float *y;
    int64_t ldy;
    int n_tok;
    qlm_type act_type;  /* vec_dot path: the activation format */
    void *act;          /* converted activations [n_tok][act_row] */
    size_t act_row;
} matmul_job;

/* ---- vec_dot path (tables or types without a gemm kernel) ------------------------- */

static void quantize_task(void *arg, int ith, int nth) {
    matmul_job *j = arg;
    long lo, hi;
    qlm_split(j->n_tok, ith, nth, &lo, &hi);
    int64_t n_in = j->W->ne[0];
    for (long t = lo; t < hi; t++)
        j->k->from_float[j->act_type](j->x + t * n_in, (char *)j->act + t * j->act_row, n_in);
}

/* Rows per tile: weights of a tile stay in L1/L2 while every token uses them. */
#define ROW_TILE 16
/* Software prefetch in the weight stream: distance (bytes) and locality. On x86, 8 KiB
 * ahead into L2 (prefetcht1) beat 4 KiB into L1 by 10-15% (AVX2 Q6_K tg, 1 thread,
 * alternating runs), as in the AVX-512 loops; elsewhere unmeasured, so unchanged. */
#if defined(__x86_64__)
#define PREFETCH_AHEAD 8192
#define PREFETCH_LOCALITY 2
#else
#define PREFETCH_AHEAD 4096
#define PREFETCH_LOCALITY 3
#endif

static void dot_task(void *arg, int ith, int nth) {
    matmul_job *j = arg;
    const qlm_tensor *W = j->W;
    qlm_vec_dot_fn dot = j->k->vec_dot[W->type];
    int64_t n_in = W->ne[0];
    long n_tiles = (long)((W->ne[1] + ROW_TILE - 1) / ROW_TILE);
    long lo, hi;
    qlm_split(n_tiles, ith, nth, &lo, &hi);
    for (long tile = lo; tile < hi; tile++) {
        int64_t r0 = tile * ROW_TILE, r1 = r0 + ROW_TILE;
        if (r1 > W->ne[1]) r1 = W->ne[1];
        for (int t = 0; t < j->n_tok; t++) {
            const void *a = (const char *)j->act + (size_t)t * j->act_row;
            float *yt = j->y + (size_t)t * j->ldy;
            for (int64_t r = r0; r < r1; r++) {
                if (t == 0) {
                    /* weights stream from memory once: ask for the bytes ahead (the
                     * hardware prefetcher alone leaves the dots waiting on misses) */
                    const char *pf = (const char *)qlm_tensor_row(W, r) + PREFETCH_AHEAD;
                    for (size_t o = 0; o < W->row_size; o += 64) __builtin_prefetch(pf + o, 0, PREFETCH_LOCALITY);
                }
                dot(n_in, &yt[r], qlm_tensor_row(W, r), a);
            }
        }
    }
}

/* ---- gemm path ------------------------------------------------------------------ */

/* Batches whose prepared rows fit this (token generation: one row of up to ~12k
 * values) are prepared by each thread on its own stack. */
#define LOCAL_PREP_BYTES (32 * 1024)

/* Rows are split across threads in whole 16-row panels, so each weight row is read by
 * one thread only. A matrix too small to give every thread a few panels is split by
 * tokens instead (every thread then reads all of it, which is cheap when it is small). */
#define PANEL 16
#define MIN_PANELS_PER_THREAD 8
#define MAX_FUSED 4
/* Work units per thread when rows are split: enough that a slow thread's share is
 * taken over by the others, few enough that claiming them costs nothing. */
#define UNITS_PER_THREAD 8

/* Several matrices that multiply the same activations (q, k, v; gate, up) in one
 * parallel step: the activations are prepared once, and the threads split the panels of
 * all of them as one sequence. */
typedef struct {
    const qlm_kernels *k;
    int nw;
    const qlm_tensor *W[MAX_FUSED];
    float *y[MAX_FUSED];
    int64_t ldy[MAX_FUSED];
    long panels[MAX_FUSED];
    long total_panels;
    const float *x;
    int n_tok;
    void *act;
    size_t act_row;
    bool local_prep;
    bool tiles;         /* gemm_tiles / prep_tiles instead of gemm / gemm_prep */
    qlm_gemm_prep_fn prep;
    long unit;          /* panels per work unit (split by panels) */
    atomic_long next;   /* the next unclaimed unit */
} gemm_job;

static void gemm_prep_task(void *arg, int ith, int nth) {
    gemm_job *j = arg;
    long lo, hi;
    qlm_split(j->n_tok, ith, nth, &lo, &hi);
    int64_t n_in = j->W[0]->ne[0];
    for (long t = lo; t < hi; t++) j->prep(j->x + t * n_in, (char *)j->act + t * j->act_row, n_in);
}

/* Panels [p_lo, p_hi) of the concatenated matrices, tokens [t_lo, t_hi). */
static void gemm_range(gemm_job *j, long p_lo, long p_hi, long t_lo, long t_hi, const char *act, void *work) {
    int64_t n_in = j->W[0]->ne[0];
    long base = 0;
    for (int m = 0; m < j->nw; base += j->panels[m], m++) {
        long a = p_lo > base ? p_lo - base : 0, b = p_hi - base < j->panels[m] ? p_hi - base : j->panels[m];
        if (b <= a) continue;
        const qlm_tensor *W = j->W[m];
        int64_t row0 = a * PANEL, row1 = b * PANEL < W->ne[1] ? b * PANEL : W->ne[1];
        qlm_gemm_fn fn = j->tiles ? j->k->gemm_tiles[W->type] : j->k->gemm[W->type];
        fn(n_in, (int)(row1 - row0), (int)(t_hi - t_lo), qlm_tensor_row(W, row0), W->row_size, act, j->act_row,
           j->y[m] + (size_t)t_lo * j->ldy[m] + row0, j->ldy[m], work);
    }
}

static bool split_by_panels(const gemm_job *j, int nth) {
    return j->total_panels >= (long)MIN_PANELS_PER_THREAD * nth || j->n_tok < 2 * nth * 8;
}

static void gemm_task(void *arg, int ith, int nth) {
    gemm_job *j = arg;
    int64_t n_in = j->W[0]->ne[0];
    long t_lo = 0, t_hi = j->n_tok;
    const bool by_panels = split_by_panels(j, nth);
    if (!by_panels) {
        /* token ranges in multiples of 8 (the micro-kernels' column count) */
        qlm_split((j->n_tok + 7) / 8, ith, nth, &t_lo, &t_hi);
        t_lo *= 8;
        t_hi = t_hi * 8 < j->n_tok ? t_hi * 8 : j->n_tok;
        if (t_hi <= t_lo) return;
    }
    const char *act = (const char *)j->act + (size_t)t_lo * j->act_row;
    _Alignas(64) char own[LOCAL_PREP_BYTES];
    if (j->local_prep) {
        /* a small batch: this thread prepares the activations itself (all threads do
         * the same few microseconds of work) instead of waiting at a barrier */
        for (long t = t_lo; t < t_hi; t++)
            j->prep(j->x + t * n_in, own + (size_t)(t - t_lo) * j->act_row, n_in);
        act = own;
    }
    void *work = qlm_thread_scratch(QLM_SCRATCH_GEMM, QLM_GEMM_WORK_SIZE(n_in, t_hi - t_lo)); /* NULL: kernels cope */
    if (!by_panels) {
        gemm_range(j, 0, j->total_panels, t_lo, t_hi, act, work);
        return;
    }
    /* Units of panels claimed from a shared counter: a thread whose core is slower
     * (a busy sibling hyperthread, a vCPU descheduled by the host) takes fewer, where
     * an even static split would make every step wait for it. */
    for (;;) {
        long u = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        long p_lo = u * j->unit;
        if (p_lo >= j->total_panels) break;
        long p_hi = p_lo + j->unit < j->total_panels ? p_lo + j->unit : j->total_panels;
        gemm_range(j, p_lo, p_hi, t_lo, t_hi, act, work);
    }
}

/* The vec_dot path, one matrix. */
static void matmul_vec_dot(qlm_pool *pool, const qlm_kernels *k, const qlm_tensor *W, const float *x,
                           float *y, int64_t ldy, int n_tok, void *act) {
    const qlm_type_traits *tt = qlm_type_get(W->type);
    matmul_job j = {k, W, x, y, ldy, n_tok, tt->vec_dot_type, act, 0};
    if (j.act_type == QLM_TYPE_F32) {
        j.act = (void *)x; /* already in the dot's format */
        j.act_row = (size_t)W->ne[0] * sizeof(float);
    } else {
        j.act_row = qlm_row_size(j.act_type, W->ne[0]);
        qlm_pool_run(pool, quantize_task, &j);
    }
    qlm_pool_run(pool, dot_task, &j);
}

static bool uses_tiles(const qlm_kernels *k, const qlm_tensor *W, int n_tok) {
    return k->gemm_tiles[W->type] && n_tok >= k->tiles_min_tokens[W->type] && W->ne[0] % 32 == 0;
}

static bool uses_gemm(const qlm_kernels *k, const qlm_tensor *W, int n_tok) {
    return uses_tiles(k, W, n_tok) || (k->gemm[W->type] && n_tok >= k->gemm_min_tokens[W->type]);
}

/* How a matrix's activations are prepared: function and row size; true for tiles. */
static bool prep_of(const qlm_kernels *k, const qlm_tensor *W, int n_tok, qlm_gemm_prep_fn *prep, size_t *row) {
    if (uses_tiles(k, W, n_tok)) {
        *prep = k->prep_tiles[W->type];
        *row = qlm_tiles_act_row(k, W->type, W->ne[0]);
        return true;
    }
    *prep = k->gemm_prep[W->type];
    *row = qlm_gemm_act_size(W->type, W->ne[0]);
    return false;
}

void qlm_matmul_fused(qlm_pool *pool, const qlm_kernels *k, int nw, const qlm_tensor *const *W, const float *x,
                      float *const *y, const int64_t *ldy, int n_tok, void *scratch) {
    /* the kernels want cache-line-aligned activation rows */
    void *act = (void *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    for (int i = 0; i < nw;) {
        if (!uses_gemm(k, W[i], n_tok)) {
            matmul_vec_dot(pool, k, W[i], x, y[i], ldy[i], n_tok, act);
            i++;
            continue;
        }
        /* a run of matrices whose activations are prepared alike */
        gemm_job j = {.k = k, .x = x, .n_tok = n_tok, .act = act};
        j.tiles = prep_of(k, W[i], n_tok, &j.prep, &j.act_row);
        for (; i < nw && j.nw < MAX_FUSED && uses_gemm(k, W[i], n_tok) && W[i]->ne[0] == W[0]->ne[0]; i++) {
            qlm_gemm_prep_fn p;
            size_t row;
            if (prep_of(k, W[i], n_tok, &p, &row) != j.tiles || p != j.prep || row != j.act_row) break;
            j.W[j.nw] = W[i];
            j.y[j.nw] = y[i];
            j.ldy[j.nw] = ldy[i];
            j.panels[j.nw] = (long)((W[i]->ne[1] + PANEL - 1) / PANEL);
            j.total_panels += j.panels[j.nw];
            j.nw++;
        }
        const int nth = qlm_pool_size(pool);
        j.local_prep = nth > 1 && j.act_row * (size_t)n_tok <= LOCAL_PREP_BYTES;
        /* about UNITS_PER_THREAD units per thread, at least one panel each */
        j.unit = j.total_panels / ((long)nth * UNITS_PER_THREAD);
        if (j.unit < 1) j.unit = 1;
        atomic_init(&j.next, 0);
        if (!j.local_prep) qlm_pool_run(pool, gemm_prep_task, &j);
        qlm_pool_run(pool, gemm_task, &j);
    }
}

void qlm_matmul(qlm_pool *pool, const qlm_kernels *k, const qlm_tensor *W, const float *x,
                float *y, int64_t ldy, int n_tok, void *scratch) {
    qlm_matmul_fused(pool, k, 1, &W, x, &y, &ldy, n_tok, scratch);
}
