/* Kernel microbenchmark (see bench_kernels.h). */
#include "bench_kernels.h"

#include "../ggml-like/cpu_features.h"
#include "../ggml-like/kernels.h"
#include "../ggml-like/matmul.h"
#include "../ggml-like/peak.h"
#include "../ggml-like/threadpool.h"
#include "../quant/quants.h"
#include "qlm.h"

#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* CPU affinity (Linux, glibc's _GNU_SOURCE interface, which the Makefile enables) */
#if defined(__linux__) && defined(CPU_SETSIZE)
#define PEAK_PIN 1
#else
#define PEAK_PIN 0
#endif

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Q4_0_G8 and the R16 types: the in-memory layouts of --repack
 * (never in a file), beside Q4_0, Q4_K and Q6_K to compare */
static const qlm_type TYPES[] = {QLM_TYPE_Q4_0, QLM_TYPE_Q4_0_G8, QLM_TYPE_Q4_0_R16, QLM_TYPE_Q4_1, QLM_TYPE_Q5_0, QLM_TYPE_Q5_1,
                                 QLM_TYPE_Q8_0, QLM_TYPE_Q8_0_R16, QLM_TYPE_Q4_K, QLM_TYPE_Q4_K_R16, QLM_TYPE_Q5_K, QLM_TYPE_Q5_K_R16, QLM_TYPE_Q6_K,
                                 QLM_TYPE_Q6_K_R16,                                  QLM_TYPE_F16, QLM_TYPE_BF16, QLM_TYPE_F32};
static const char *const ISAS[] = {"scalar", "avx2", "avxvnni", "avx512", "neon"};

/* Types whose matrix products run on int8 activations (the quantized ones), for which
 * the int8 peak is the compute ceiling; F16/BF16/F32 multiply floats. */
static bool int8_type(qlm_type t) {
    return t != QLM_TYPE_F16 && t != QLM_TYPE_BF16 && t != QLM_TYPE_F32;
}

/* ---- int8 multiply-add peak ---------------------------------------------------------- */

/* The peak probe of a kernel path (its table exists, so the CPU has the path's features)
 * and the instructions it times; NULL for scalar and for NEON without dotprod. */
static qlm_peak_fn peak_kernel(const char *isa, const char **insn) {
    const qlm_cpu_features *f = qlm_cpu_get();
    *insn = "";
    if (!strcmp(isa, "avx2")) { *insn = "vpmaddubsw+vpmaddwd ymm"; return qlm_peak_kernel_avx2(); }
    if (!strcmp(isa, "avxvnni") && f->avxvnni) { *insn = "vpdpbusd ymm"; return qlm_peak_kernel_avxvnni(); }
    if (!strcmp(isa, "avx512") && f->avx512vnni) { *insn = "vpdpbusd zmm"; return qlm_peak_kernel_avx512(); }
    if (!strcmp(isa, "neon") && f->dotprod) { *insn = "sdot"; return qlm_peak_kernel_neon(); }
    return NULL;
}

typedef struct {
    qlm_peak_fn fn;
    uint64_t rounds;
    atomic_int arrived;  /* threads at the starting line */
    atomic_bool go;
    double t_start, t_end[1024];
    uint64_t macs[1024]; /* per thread */
    int32_t sink[1024];
#if PEAK_PIN
    bool pinned[1024];
    cpu_set_t old_mask[1024];
#endif
} peak_job;

/* Each probe thread is pinned to a CPU of its own while it runs (the ith CPU of those
 * the process may use). Left to itself, a busy machine's scheduler may queue a woken
 * worker behind the caller on the same core and not move it for milliseconds (on a busy
 * 2-core machine every 2-thread run took as long as two 1-thread runs). The kernels' threads
 * stay unpinned; a % of peak far below what one thread gets shows that effect. */
static void pin_task(void *arg, int ith, int nth) {
#if PEAK_PIN
    peak_job *j = arg;
    cpu_set_t allowed, one;
    if (sched_getaffinity(0, sizeof allowed, &allowed) || CPU_COUNT(&allowed) < nth) return;
    CPU_ZERO(&one);
    for (int cpu = 0, k = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &allowed) && k++ == ith) { CPU_SET(cpu, &one); break; }
    j->old_mask[ith] = allowed;
    j->pinned[ith] = sched_setaffinity(0, sizeof one, &one) == 0;
#else
    (void)arg, (void)ith, (void)nth;
#endif
}

static void unpin_task(void *arg, int ith, int nth) {
#if PEAK_PIN
    peak_job *j = arg;
    (void)nth;
    if (j->pinned[ith]) sched_setaffinity(0, sizeof j->old_mask[ith], &j->old_mask[ith]);
    j->pinned[ith] = false;
#else
    (void)arg, (void)ith, (void)nth;
#endif
}

/* The clock starts only once every thread has reached the start line (a worker woken
 * late does not count as slow multiply-adds); the ones waiting yield their core. */
static void peak_task(void *arg, int ith, int nth) {
    peak_job *j = arg;
    if (atomic_fetch_add(&j->arrived, 1) == nth - 1) {
        j->t_start = now_s();
        atomic_store(&j->go, true);
    } else {
        while (!atomic_load(&j->go)) sched_yield();
    }
    j->macs[ith] = j->fn(j->rounds, &j->sink[ith]);
    j->t_end[ith] = now_s();
}

/* Seconds from the start line to the last thread's finish. */
static double peak_run(qlm_pool *pool, peak_job *j, int nth) {
    atomic_store(&j->arrived, 0);
    atomic_store(&j->go, false);
    qlm_pool_run(pool, peak_task, j);
    double end = j->t_end[0];
    for (int i = 1; i < nth; i++) end = j->t_end[i] > end ? j->t_end[i] : end;
    return end - j->t_start;
}

/* G int8 multiply-adds per second of every pool thread at once (-1: out of memory). The
 * round count is doubled until one run takes RUN_S, then runs repeat for `seconds` and
 * the best counts: on a shared machine other work only ever slows a run down, and short
 * runs are more likely to get through unpreempted. The calibration runs also bring the
 * core to the clock it keeps under these instructions (AVX-512 may run slower). */
#define RUN_S 0.002
static double peak_gmacs(qlm_pool *pool, qlm_peak_fn fn, double seconds) {
    peak_job *j = calloc(1, sizeof *j);
    if (!j) return -1;
    int nth = qlm_pool_size(pool);
    j->fn = fn;
    j->rounds = 256;
    qlm_pool_run(pool, pin_task, j);
    while (peak_run(pool, j, nth) < RUN_S && j->rounds < ((uint64_t)1 << 40)) j->rounds *= 2;
    double best = 0, t_end = now_s() + seconds;
    int runs = 0;
    do {
        double dt = peak_run(pool, j, nth);
        uint64_t macs = 0;
        for (int i = 0; i < nth; i++) macs += j->macs[i];
        if (dt > 0 && (double)macs / dt / 1e9 > best) best = (double)macs / dt / 1e9;
        runs++;
    } while (runs < 3 || now_s() < t_end);
    qlm_pool_run(pool, unpin_task, j);
    free(j);
    return best;
}

/* "  87%", or "    -" when there is no ceiling */
static const char *pct(char buf[16], double v, double ceiling) {
    if (ceiling > 0) snprintf(buf, 16, "%4.0f%%", 100.0 * v / ceiling);
    else snprintf(buf, 16, "%5s", "-");
    return buf;
}

/* ---- matrix products ------------------------------------------------------------------ */

/* A matrix of rows made by the reference quantizer from random data: 64 distinct rows,
 * repeated (the values do not change the speed; quantizing hundreds of MiB with the
 * K-quant search would take minutes). */
static bool is_r16(qlm_type t) {
    return t == QLM_TYPE_Q4_K_R16 || t == QLM_TYPE_Q6_K_R16 || t == QLM_TYPE_Q4_0_R16 || t == QLM_TYPE_Q8_0_R16 ||
           t == QLM_TYPE_Q5_K_R16;
}

static void *make_matrix(qlm_type t, int64_t n_in, int64_t rows, size_t *row_size) {
    /* Q4_K_R16, Q6_K_R16: Q4_K or Q6_K rows, interleaved 16 at a time below (rows is a
     * multiple of 16) */
    const bool r16 = is_r16(t);
    const qlm_type_traits *tt = qlm_type_get(t == QLM_TYPE_Q4_K_R16   ? QLM_TYPE_Q4_K
                                             : t == QLM_TYPE_Q6_K_R16 ? QLM_TYPE_Q6_K
                                             : t == QLM_TYPE_Q4_0_R16 ? QLM_TYPE_Q4_0
                                             : t == QLM_TYPE_Q8_0_R16 ? QLM_TYPE_Q8_0
                                             : t == QLM_TYPE_Q5_K_R16 ? QLM_TYPE_Q5_K
                                                                      : t);
    size_t rs = qlm_row_size(t, n_in);
    uint8_t *m = aligned_alloc(64, (rs * (size_t)rows + 63) / 64 * 64);
    float *x = malloc((size_t)n_in * sizeof(float));
    if (!m || !x) { free(m); free(x); return NULL; }
    uint64_t s = 0x9E3779B97F4A7C15ULL;
    int64_t distinct = rows < 64 ? rows : 64;
    for (int64_t r = 0; r < distinct; r++) {
        for (int64_t i = 0; i < n_in; i++) {
            s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
            x[i] = (float)((int64_t)((s * 0x2545F4914F6CDD1DULL) >> 40) - (1 << 23)) / (float)(1 << 23) * 0.05f;
        }
        tt->from_float(x, m + rs * (size_t)r, n_in);
    }
    for (int64_t r = distinct; r < rows; r++) memcpy(m + rs * (size_t)r, m + rs * (size_t)(r % distinct), rs);
    free(x);
    if (r16) {
        uint8_t *g = malloc(16 * rs);
        if (!g) { free(m); return NULL; }
        for (int64_t r = 0; r < rows; r += 16) {
            memcpy(g, m + rs * (size_t)r, 16 * rs);
            if (t == QLM_TYPE_Q4_K_R16) qlm_q4_k_r16_from_q4_k(g, rs, m + rs * (size_t)r, n_in);
            else if (t == QLM_TYPE_Q4_0_R16) qlm_q4_0_r16_from_q4_0(g, rs, m + rs * (size_t)r, n_in);
            else if (t == QLM_TYPE_Q8_0_R16) qlm_q8_0_r16_from_q8_0(g, rs, m + rs * (size_t)r, n_in);
            else if (t == QLM_TYPE_Q5_K_R16) qlm_q5_k_r16_from_q5_k(g, rs, m + rs * (size_t)r, n_in);
            else qlm_q6_k_r16_from_q6_k(g, rs, m + rs * (size_t)r, n_in);
        }
        free(g);
    }
    *row_size = rs;
    return m;
}

/* matrix-vector: rows of enough copies of the matrix to stream stream_mib per pass, at
 * least one whole matrix (n_in a multiple of t's block) */
static int64_t stream_rows_for(qlm_type t, const qlm_bench_kernels_params *p) {
    int64_t rows = (int64_t)((size_t)p->stream_mib * 1048576 / qlm_row_size(t, p->n_in));
    if (is_r16(t)) rows = (rows + p->n_out - 1) / p->n_out * p->n_out; /* whole groups */
    return rows < p->n_out ? p->n_out : rows;
}

/* ceilings of one kernel path: read bandwidth (GB/s), int8 peak (G MAC/s); 0: none */
typedef struct {
    double bw_gbps, peak_gmacs;
} ceilings;

static int bench_one(FILE *out, const qlm_kernels *k, qlm_type t, const qlm_bench_kernels_params *p,
                     qlm_pool *pool, const ceilings *c) {
    const qlm_type_traits *tt = qlm_type_get(t);
    int64_t n_in = p->n_in, n_out = p->n_out;
    if (n_in % tt->blck_size) {
        fprintf(out, "%-7s %-5s skipped: %lld values per row is not a multiple of %lld\n", k->name, tt->name,
                (long long)n_in, (long long)tt->blck_size);
        return 0;
    }
    if (is_r16(t) && (!k->gemm[t] || n_out % 16)) { /* no per-row fallback */
        fprintf(out, "%-7s %-5s skipped: %s\n", k->name, tt->name,
                !k->gemm[t] ? "no kernel for it on this path" : "rows are interleaved 16 at a time (--rows)");
        return 0;
    }
    size_t rs;
    int64_t stream_rows = stream_rows_for(t, p);
    void *big = make_matrix(t, n_in, stream_rows, &rs);
    int nt = p->tokens;
    float *x = malloc((size_t)n_in * nt * sizeof(float));
    float *y = malloc((size_t)(stream_rows > n_out ? stream_rows : n_out) * nt * sizeof(float));
    void *scratch = malloc(qlm_matmul_scratch_size(n_in, nt));
    if (!big || !x || !y || !scratch) {
        free(big); free(x); free(y); free(scratch);
        fprintf(stderr, "qlm bench: out of memory\n");
        return -1;
    }
    for (int64_t i = 0; i < n_in * nt; i++) x[i] = (float)sin(0.37 * (double)i);
    /* matrix-vector over the whole stream, split in n_out-row matrices as a forward
     * pass would issue them */
    double t0 = now_s(), t1;
    int passes = 0;
    do {
        for (int64_t r0 = 0; r0 < stream_rows; r0 += n_out) {
            int64_t rows = stream_rows - r0 < n_out ? stream_rows - r0 : n_out;
            qlm_tensor W = {.data = (char *)big + rs * (size_t)r0, .type = t, .ne = {n_in, rows}, .row_size = rs};
            qlm_matmul(pool, k, &W, x, y, rows, 1, scratch);
        }
        passes++;
        t1 = now_s();
    } while (t1 - t0 < p->seconds);
    double mv_s = (t1 - t0) / passes;
    double gbs = (double)rs * (double)stream_rows / mv_s / 1e9;
    /* matrix-matrix on one n_out x n_in matrix (cache-resident: compute bound) */
    qlm_tensor W = {.data = big, .type = t, .ne = {n_in, n_out}, .row_size = rs};
    qlm_matmul(pool, k, &W, x, y, n_out, nt, scratch); /* warm up */
    t0 = now_s();
    passes = 0;
    do {
        qlm_matmul(pool, k, &W, x, y, n_out, nt, scratch);
        passes++;
        t1 = now_s();
    } while (t1 - t0 < p->seconds);
    double mm_s = (t1 - t0) / passes;
    double gflops = 2.0 * (double)n_in * (double)n_out * nt / mm_s / 1e9;
    char pb[16], pp[16];
    fprintf(out, "%-7s %-5s matvec %7.2f GB/s %s of bw (%7.3f ms per %lld MiB)   "
            "matmul %8.1f GFLOP/s %s of int8 (%8.2f ms, %lldx%lld x %d tok)\n",
            k->name, tt->name, gbs, pct(pb, gbs, c->bw_gbps), mv_s * 1e3, (long long)(rs * (size_t)stream_rows >> 20),
            gflops, pct(pp, gflops, int8_type(t) ? 2.0 * c->peak_gmacs : 0), mm_s * 1e3, (long long)n_out,
            (long long)n_in, nt);
    fflush(out);
    free(big); free(x); free(y); free(scratch);
    return 0;
}

/* The header line of a kernel path: its ceilings, measured with the benchmark's threads. */
static int print_path_header(FILE *out, const qlm_kernels *k, const qlm_bench_kernels_params *p, qlm_pool *pool,
                             const qlm_bandwidth *bw, ceilings *c) {
    const char *insn;
    qlm_peak_fn fn = peak_kernel(k->name, &insn);
    c->bw_gbps = bw->best_gbps;
    c->peak_gmacs = fn ? peak_gmacs(pool, fn, p->seconds) : 0;
    if (c->peak_gmacs < 0) { fprintf(stderr, "qlm bench: out of memory\n"); return -1; }
    fprintf(out, "%-7s %d thread%s: int8 peak ", k->name, p->n_threads, p->n_threads == 1 ? "" : "s");
    if (fn) fprintf(out, "%.1f G MAC/s = %.1f GOP/s (%s)", c->peak_gmacs, 2 * c->peak_gmacs, insn);
    else fprintf(out, "- (%s)", strcmp(k->name, "neon") ? "no SIMD int8 path" : "no dotprod");
    if (bw->best_gbps > 0) fprintf(out, "; read bandwidth %.2f GB/s (%zu MiB, %s)\n", bw->best_gbps, bw->bytes >> 20, bw->kernel);
    else fprintf(out, "; read bandwidth -\n");
    /* quant/gemm_avx512.c: bf16 tiles from tiles_min_tokens[type] tokens (the table has
     * them when the CPU has AMX-BF16), else int8 tiles from 16 tokens on a CPU with
     * AMX-INT8, unless QLM_AMX=0 (VNNI) or QLM_AMX=int8 */
    const char *amx = getenv("QLM_AMX");
    char tiled[256] = "";
    for (size_t j = 0; j < sizeof TYPES / sizeof TYPES[0]; j++) {
        const qlm_type t = TYPES[j];
        if ((p->type && strcasecmp(p->type, qlm_type_name(t))) || !k->gemm_tiles[t] || p->tokens < k->tiles_min_tokens[t])
            continue;
        const size_t used = strlen(tiled);
        snprintf(tiled + used, sizeof tiled - used, " %s", qlm_type_name(t));
    }
    if (tiled[0])
        fprintf(out, "        (matmul uses bf16 AMX tiles here for%s: weights dequantized per call, F16/BF16 as hi/lo "
                     "bf16 parts, not bound by this int8 peak; QLM_AMX=int8: int8 tiles, QLM_AMX=0: VNNI)\n", tiled);
    else if (fn && !strcmp(k->name, "avx512") && qlm_cpu_get()->amx_int8 && !(amx && !strcmp(amx, "0")) && p->tokens >= 16)
        fprintf(out, "        (quantized matmul uses AMX tiles here, which can pass this peak; QLM_AMX=0: VNNI kernels)\n");
    fflush(out);
    return 0;
}

int qlm_bench_kernels(FILE *out, const qlm_bench_kernels_params *pin) {
    qlm_bench_kernels_params p = pin ? *pin : (qlm_bench_kernels_params){0};
    if (!p.n_threads) p.n_threads = 1;
    if (!p.n_in) p.n_in = 2048;
    if (!p.n_out) p.n_out = 5632;
    if (!p.tokens) p.tokens = 512;
    if (!p.stream_mib) p.stream_mib = 512;
    if (p.seconds <= 0) p.seconds = 0.5;
    if (p.n_threads < 1 || p.n_threads > 1024 || p.n_in < 1 || p.n_out < 1 || p.tokens < 1 ||
        p.tokens > 65536 || p.stream_mib < 1 || p.stream_mib > (1 << 20) || !(p.seconds <= 3600)) {
        fprintf(stderr, "qlm bench: invalid parameters\n");
        return -1;
    }
    if (p.isa && !qlm_kernels_for(p.isa)) {
        fprintf(stderr, "qlm bench: kernel path '%s' is not available on this CPU/build (known: scalar, avx2, avxvnni, avx512, neon)\n", p.isa);
        return -1;
    }
    if (p.type) {
        size_t j = 0;
        while (j < sizeof TYPES / sizeof TYPES[0] && strcasecmp(p.type, qlm_type_name(TYPES[j]))) j++;
        if (j == sizeof TYPES / sizeof TYPES[0]) {
            fprintf(stderr, "qlm bench: no kernel benchmark for type '%s' (weight types: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q4_K Q5_K Q6_K F16 BF16 F32)\n", p.type);
            return -1;
        }
    }
    /* the bandwidth ceiling: a read of as many bytes as a matvec pass streams (the most
     * of the selected types: a small stream_mib still streams one whole matrix), by as
     * many threads, measured before the pool exists so its idle workers do not compete */
    size_t probe_bytes = (size_t)p.stream_mib << 20;
    for (size_t j = 0; j < sizeof TYPES / sizeof TYPES[0]; j++) {
        if ((p.type && strcasecmp(p.type, qlm_type_name(TYPES[j]))) || p.n_in % qlm_type_get(TYPES[j])->blck_size) continue;
        size_t b = qlm_row_size(TYPES[j], p.n_in) * (size_t)stream_rows_for(TYPES[j], &p);
        if (b > probe_bytes) probe_bytes = b;
    }
    qlm_bandwidth bw = {0};
    qlm_error err = {0};
    if (qlm_measure_read_bandwidth(p.n_threads, probe_bytes, 5, &bw, &err)) {
        fprintf(stderr, "qlm bench: read bandwidth not measured: %s\n", err.message);
        bw.best_gbps = 0;
    }
    qlm_pool *pool = qlm_pool_new(p.n_threads);
    if (!pool) { fprintf(stderr, "qlm bench: cannot start %d threads\n", p.n_threads); return -1; }
    if (!p.no_legend)
        fprintf(out, "matvec: GB/s of weights read, %% of the read bandwidth; matmul: GFLOP/s = 2 x multiply-adds/s,\n"
                     "%% of the int8 peak (quantized types: int8 activations; F16/BF16/F32 multiply floats: -)\n");
    int rc = 0;
    for (size_t i = 0; i < sizeof ISAS / sizeof ISAS[0] && rc == 0; i++) {
        if (p.isa && strcmp(p.isa, ISAS[i])) continue;
        const qlm_kernels *k = qlm_kernels_for(ISAS[i]);
        if (!k) continue;
        ceilings c;
        rc = print_path_header(out, k, &p, pool, &bw, &c);
        for (size_t j = 0; j < sizeof TYPES / sizeof TYPES[0] && rc == 0; j++) {
            if (p.type && strcasecmp(p.type, qlm_type_name(TYPES[j]))) continue;
            rc = bench_one(out, k, TYPES[j], &p, pool, &c);
        }
    }
    qlm_pool_free(pool);
    return rc;
}
