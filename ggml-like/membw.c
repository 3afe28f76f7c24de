/* Read-bandwidth probe: the denominator-side figure of the tg roofline (qlm.h,
 * qlm_measure_read_bandwidth). Each thread sums its own contiguous slice of one large
 * buffer; the wall time of the slowest thread bounds the rep. The same threads first
 * touch their slices, so on a multi-node machine the pages sit on the reading node. */
#include "qlm.h"
#include "cpu_features.h"
#include "error.h"
#include "membw.h"
#include "threadpool.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLICE_ALIGN 4096   /* slices start on a page: aligned loads, no shared pages */

/* Portable fallback: eight independent accumulators, which compilers vectorize at -O2
 * (and which keep enough loads in flight even when they do not). */
static uint64_t sum_generic(const void *p, size_t bytes) {
    const uint64_t *v = p;
    size_t n = bytes / 8;
    uint64_t a[8] = {0};
    for (size_t i = 0; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) a[k] += v[i + k];
    uint64_t s = 0;
    for (int k = 0; k < 8; k++) s += a[k];
    return s;
}

typedef struct {
    unsigned char *buf;
    size_t slice;            /* bytes per thread */
    qlm_membw_sum_fn sum;
    uint64_t sums[1024];     /* one per thread, so the loads cannot be elided */
} bw_job;

static void touch_task(void *arg, int ith, int nth) {
    bw_job *j = arg;
    (void)nth;
    /* non-zero, varying content: an all-zero page could be backed by the shared zero
     * page on some kernels and never reach DRAM */
    unsigned char *p = j->buf + (size_t)ith * j->slice;
    for (size_t i = 0; i < j->slice; i += 8) {
        uint64_t v = (uint64_t)(i >> 3) * 0x9E3779B97F4A7C15ull;
        memcpy(p + i, &v, 8);
    }
}

static void sum_task(void *arg, int ith, int nth) {
    bw_job *j = arg;
    (void)nth;
    j->sums[ith] = j->sum(j->buf + (size_t)ith * j->slice, j->slice);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

qlm_status qlm_measure_read_bandwidth(int n_threads, size_t bytes, int reps, qlm_bandwidth *out,
                                      qlm_error *err) {
    if (!out) return qlm_set_error(err, QLM_ERR_INVALID_ARG, "qlm_measure_read_bandwidth: out is NULL");
    memset(out, 0, sizeof *out);
    if (n_threads < 1 || n_threads > 1024)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "bandwidth probe: %d threads (1 to 1024)", n_threads);
    if (reps < 1 || reps > 1000)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "bandwidth probe: %d repetitions (1 to 1000)", reps);
    if (bytes < ((size_t)1 << 20) || bytes > ((size_t)1 << 40))
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "bandwidth probe: buffer of %zu bytes (1 MiB to 1 TiB)", bytes);
    size_t slice = bytes / (size_t)n_threads / SLICE_ALIGN * SLICE_ALIGN;
    if (slice == 0)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "bandwidth probe: buffer too small for %d threads", n_threads);

    const qlm_cpu_features *f = qlm_cpu_get();
    bw_job *j = calloc(1, sizeof *j);
    double *times = calloc((size_t)reps, sizeof *times);
    qlm_pool *pool = qlm_pool_new(n_threads);
    void *buf = NULL;
    /* 2 MiB alignment lets the kernel use transparent huge pages when it is set to */
    if (!j || !times || !pool || posix_memalign(&buf, (size_t)2 << 20, slice * (size_t)n_threads)) {
        free(j); free(times); qlm_pool_free(pool);
        return qlm_set_error(err, QLM_ERR_NOMEM, "bandwidth probe: cannot allocate %zu MiB", (slice * (size_t)n_threads) >> 20);
    }
    j->buf = buf;
    j->slice = slice;
    out->kernel = "scalar";
    j->sum = sum_generic;
    if (f->avx512f && qlm_membw_kernel_avx512()) { j->sum = qlm_membw_kernel_avx512(); out->kernel = "avx512"; }
    else if (f->avx2 && qlm_membw_kernel_avx2()) { j->sum = qlm_membw_kernel_avx2(); out->kernel = "avx2"; }

    qlm_pool_run(pool, touch_task, j);
    qlm_pool_run(pool, sum_task, j); /* one unmeasured pass: TLB and page tables warm */
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        qlm_pool_run(pool, sum_task, j);
        times[r] = now_s() - t0;
    }
    qsort(times, (size_t)reps, sizeof *times, cmp_double);
    double total = (double)slice * n_threads;
    out->best_gbps = total / times[0] / 1e9;
    out->median_gbps = total / times[reps / 2] / 1e9;
    out->worst_gbps = total / times[reps - 1] / 1e9;
    out->bytes = slice * (size_t)n_threads;
    out->n_threads = n_threads;
    out->reps = reps;
    /* the sums are data-dependent; reading them once keeps every rep's loads live */
    volatile uint64_t sink = 0;
    for (int i = 0; i < n_threads; i++) sink += j->sums[i];
    (void)sink;

    qlm_pool_free(pool);
    free(buf);
    free(times);
    free(j);
    return QLM_OK;
}
