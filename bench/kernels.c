/* Kernel microbenchmark (see bench_kernels.h). */
#include "bench_kernels.h"

#include "../ggml-like/kernels.h"
#include "../ggml-like/matmul.h"
#include "../ggml-like/threadpool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const qlm_type TYPES[] = {QLM_TYPE_Q4_0, QLM_TYPE_Q4_1, QLM_TYPE_Q5_0, QLM_TYPE_Q5_1,
                                 QLM_TYPE_Q8_0, QLM_TYPE_Q4_K, QLM_TYPE_Q5_K, QLM_TYPE_Q6_K,
                                 QLM_TYPE_F16, QLM_TYPE_BF16, QLM_TYPE_F32};
static const char *const ISAS[] = {"scalar", "avx2", "avx512", "neon"};

/* A matrix of rows made by the reference quantizer from random data: 64 distinct rows,
 * repeated (the values do not change the speed; quantizing hundreds of MiB with the
 * K-quant search would take minutes). */
static void *make_matrix(qlm_type t, int64_t n_in, int64_t rows, size_t *row_size) {
    const qlm_type_traits *tt = qlm_type_get(t);
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
    *row_size = rs;
    return m;
}

static int bench_one(FILE *out, const qlm_kernels *k, qlm_type t, const qlm_bench_kernels_params *p,
                     qlm_pool *pool) {
    const qlm_type_traits *tt = qlm_type_get(t);
    int64_t n_in = p->n_in, n_out = p->n_out;
    if (n_in % tt->blck_size) {
        fprintf(out, "%-7s %-5s skipped: %lld values per row is not a multiple of %lld\n", k->name, tt->name,
                (long long)n_in, (long long)tt->blck_size);
        return 0;
    }
    size_t rs;
    /* matrix-vector: enough copies of the matrix to stream stream_mib per pass */
    int64_t stream_rows = (int64_t)((size_t)p->stream_mib * 1048576 / qlm_row_size(t, n_in));
    if (stream_rows < n_out) stream_rows = n_out;
    void *big = make_matrix(t, n_in, stream_rows, &rs);
    int nt = p->tokens;
    float *x = malloc((size_t)n_in * nt * sizeof(float));
    float *y = malloc((size_t)(stream_rows > n_out ? stream_rows : n_out) * nt * sizeof(float));
    void *scratch = malloc(qlm_matmul_scratch_size(n_in, nt));
    if (!big || !x || !y || !scratch) {
        free(big); free(x); free(y); free(scratch);
        fprintf(out, "out of memory\n");
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
    fprintf(out, "%-7s %-5s matvec %7.2f GB/s (%7.3f ms per %lld MiB)   matmul %8.1f GFLOP/s (%8.2f ms, %lldx%lld x %d tok)\n",
            k->name, tt->name, gbs, mv_s * 1e3, (long long)(rs * (size_t)stream_rows >> 20), gflops, mm_s * 1e3,
            (long long)n_out, (long long)n_in, nt);
    fflush(out);
    free(big); free(x); free(y); free(scratch);
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
        p.tokens > 65536 || p.stream_mib < 1 || p.stream_mib > (1 << 20)) {
        fprintf(out, "bench: invalid parameters\n");
        return -1;
    }
    qlm_pool *pool = qlm_pool_new(p.n_threads);
    if (!pool) { fprintf(out, "bench: cannot start %d threads\n", p.n_threads); return -1; }
    int rc = 0, ran = 0;
    for (size_t i = 0; i < sizeof ISAS / sizeof ISAS[0] && rc == 0; i++) {
        if (p.isa && strcmp(p.isa, ISAS[i])) continue;
        const qlm_kernels *k = qlm_kernels_for(ISAS[i]);
        if (!k) continue;
        for (size_t j = 0; j < sizeof TYPES / sizeof TYPES[0] && rc == 0; j++) {
            if (p.type && strcasecmp(p.type, qlm_type_name(TYPES[j]))) continue;
            rc = bench_one(out, k, TYPES[j], &p, pool);
            ran++;
        }
    }
    if (rc == 0 && !ran) {
        fprintf(out, "bench: nothing to run (isa %s, type %s)\n", p.isa ? p.isa : "any", p.type ? p.type : "any");
        rc = -1;
    }
    qlm_pool_free(pool);
    return rc;
}
