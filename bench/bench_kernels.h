/* Kernel microbenchmark, for `qlm bench --kernels` (the bench command itself lives in
 * cli/). Times the matrix-vector product (token generation: weights streamed from
 * memory once per token) and the matrix-matrix product (prompt processing) of each
 * weight type on each kernel path this CPU supports, and sets them against two
 * ceilings measured with the same threads: the read bandwidth (qlm_measure_read_bandwidth
 * over the bytes a matrix-vector pass streams) and the path's int8
 * multiply-add peak (ggml-like/peak.h; none for scalar). */
#ifndef QLM_BENCH_KERNELS_H
#define QLM_BENCH_KERNELS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *isa;       /* "scalar", "avx2", ...; NULL: every path this CPU has */
    const char *type;      /* "Q4_0", ...; NULL: all weight types */
    int n_threads;         /* 0: 1 */
    int64_t n_in, n_out;   /* matrix shape (0: 2048 x 5632, a TinyLlama FFN matrix) */
    int tokens;            /* matrix-matrix batch (0: 512) */
    int64_t stream_mib;    /* matrix-vector: weights streamed per pass (0: 512 MiB, far
                            * more than the caches, so this is memory bandwidth) */
    double seconds;        /* minimum time per measurement, and the time of the int8
                            * peak probe (0: 0.5) */
    bool no_legend;        /* leave out the two legend lines (for runs after the first) */
} qlm_bench_kernels_params;

/* Print a legend, then per path a header line (int8 peak in G MAC/s and GOP/s, read
 * bandwidth) and one line per type: matvec GB/s of weights, % of the bandwidth and ms
 * per pass, matmul GFLOP/s (2 per multiply-add), % of the int8 peak (quantized types
 * only: "-" for F16/BF16/F32 and paths without a probe) and ms. Returns 0, or -1 with a
 * "qlm bench: ..." line on stderr on bad parameters (an unknown type, a path this CPU
 * or build lacks) or out of memory. */
int qlm_bench_kernels(FILE *out, const qlm_bench_kernels_params *p);

#endif
