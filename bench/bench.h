/* qlm bench helpers: run llama-bench's pp / tg tests through the public API (qlm.h only)
 * and print the results in llama-bench's md / json / csv layouts.
 *
 * llama-bench's definitions (tools/llama-bench/llama-bench.cpp), which these follow:
 *   pp N  one prompt of N tokens (random ids; BOS first when the model adds one) decoded
 *         into an empty context in calls of at most n_batch tokens; timed as a whole.
 *   tg N  N tokens decoded one at a time into an empty context (BOS first, then random
 *         ids); timed as a whole. Sampling and tokenization are not timed.
 *   Each test runs once untimed first (the whole prompt for pp, one token for tg), then
 *   `reps` timed runs, each from an empty KV cache. t/s of a run = tokens * 1e9 / ns;
 *   the table gives the mean and the sample standard deviation of those t/s. */
#ifndef QLM_BENCH_H
#define QLM_BENCH_H

#include "qlm.h"

#include <stdio.h>

#define BENCH_MAX_REPS 1000

typedef struct {
    /* the test */
    const char *model_path;
    int n_prompt, n_gen;      /* one of them is 0 */
    int n_threads;
    int n_batch;              /* tokens per qlm_eval call (llama-bench's n_batch) */
    int n_ubatch;             /* the context's n_batch: tokens per forward chunk */
    qlm_kv_type kv;
    bool no_mmap;             /* the model was read into memory (load_mode "none") */
    int repack;               /* 1: its Q4_0 weights regrouped (qlm_model_params.repack); 2: and Q4_K interleaved */
    int reps;
    bool warmup;
    /* results */
    uint64_t samples_ns[BENCH_MAX_REPS];
    int n_samples;
    char test_time[32];       /* RFC 3339, UTC */
    /* tg roofline: read bandwidth (GB/s, 0 when not measured) and weight bytes per token */
    double bw_gbps;
    uint64_t bytes_per_token;
} bench_test;

/* What the tables say about a model, as llama-bench's fields define it. */
typedef struct {
    char model_type[160];     /* llama_model_desc style: "llama 1B Q4_0" */
    uint64_t model_size;      /* bytes of tensor data */
    uint64_t n_params;
    uint64_t bytes_per_token; /* qlm_model_weight_bytes_per_token */
} bench_model_info;

qlm_status bench_model_info_get(const char *path, const qlm_model *m, bench_model_info *out, qlm_error *err);
/* CPU model name from /proc/cpuinfo ("CPU" when unknown). */
void bench_cpu_info(char *buf, size_t cap);

/* Called before the warm-up (rep = 0) and each timed run (rep = 1..reps). */
typedef void (*bench_progress_fn)(void *data, const bench_test *t, int rep);

/* Create a context for t, run the warm-up and the timed runs, fill t's results. */
qlm_status bench_run(qlm_model *m, bench_test *t, bench_progress_fn progress, void *data, qlm_error *err);

/* Statistics over t's samples, as llama-bench computes them. */
uint64_t bench_avg_ns(const bench_test *t);
uint64_t bench_stddev_ns(const bench_test *t);
double bench_sample_ts(const bench_test *t, int i);
double bench_avg_ts(const bench_test *t);
double bench_stddev_ts(const bench_test *t);
/* tg roofline in t/s (0 when there is none: pp tests, unmeasured bandwidth). */
double bench_roofline_ts(const bench_test *t);

typedef enum { BENCH_MD, BENCH_JSON, BENCH_CSV } bench_format;

typedef struct {
    bench_format fmt;
    FILE *f;
    bool show_kv_type;        /* md: type_k / type_v columns (llama-bench: when not f16) */
    bool show_batch;          /* md: n_batch column (when not 2048) */
    bool show_ubatch;         /* md: n_ubatch column (when not 512) */
    bool show_repack;         /* md: rtr column (as ik_llama.cpp's llama-bench, when on) */
    bool first;
    char cpu_info[256];
} bench_printer;

void bench_print_header(bench_printer *p);
void bench_print_test(bench_printer *p, const bench_model_info *mi, const bench_test *t);
void bench_print_footer(bench_printer *p);

#endif
