/* Kernel microbenchmark, for `qlm bench --kernels` (the bench command itself lives in
 * cli/). Times the matrix-vector product (token generation: weights streamed from
 * memory once per token) and the matrix-matrix product (prompt processing) of each
 * weight type on each kernel path this CPU supports. Not used by the tests. */
#ifndef QLM_BENCH_KERNELS_H
#define QLM_BENCH_KERNELS_H

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
    double seconds;        /* minimum time per measurement (0: 0.5) */
} qlm_bench_kernels_params;

/* Print one line per (path, type): matvec GB/s of weights and ms per pass, matmul
 * GFLOP/s (2 flops per multiply-add) and ms. Returns 0, or -1 (with a message on out)
 * on bad parameters or out of memory. */
int qlm_bench_kernels(FILE *out, const qlm_bench_kernels_params *p);

#endif
