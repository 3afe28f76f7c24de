/* Running one llama-bench test (pp or tg) through qlm.h, and its statistics. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Token ids need only be valid: a fixed xorshift stream keeps runs reproducible. */
typedef struct { uint64_t s; } rng;
static int32_t rand_token(rng *r, int n_vocab) {
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (int32_t)(r->s % (uint64_t)n_vocab);
}

typedef struct {
    qlm_context *c;
    int n_vocab;
    int32_t bos;          /* -1: the model does not add one */
    int32_t *tokens;      /* [n_batch] */
    rng r;
} runner;

static qlm_status run_prompt(runner *R, const bench_test *t, qlm_error *err) {
    for (int done = 0; done < t->n_prompt;) {
        int n = t->n_prompt - done < t->n_batch ? t->n_prompt - done : t->n_batch;
        R->tokens[0] = done == 0 && R->bos >= 0 ? R->bos : rand_token(&R->r, R->n_vocab);
        for (int i = 1; i < n; i++) R->tokens[i] = rand_token(&R->r, R->n_vocab);
        qlm_status rc = qlm_eval(R->c, R->tokens, n, false, err);
        if (rc) return rc;
        done += n;
    }
    return QLM_OK;
}

static qlm_status run_gen(runner *R, int n_gen, qlm_error *err) {
    int32_t tok = R->bos >= 0 ? R->bos : rand_token(&R->r, R->n_vocab);
    for (int i = 0; i < n_gen; i++) {
        qlm_status rc = qlm_eval(R->c, &tok, 1, false, err);
        if (rc) return rc;
        tok = rand_token(&R->r, R->n_vocab);
    }
    return QLM_OK;
}

qlm_status bench_run(qlm_model *m, bench_test *t, bench_progress_fn progress, void *data, qlm_error *err) {
    t->n_samples = 0;
    time_t now = time(NULL);
    struct tm tm;
    strftime(t->test_time, sizeof t->test_time, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));

    qlm_model_desc d;
    qlm_model_describe(m, &d);
    qlm_context_params cp = qlm_context_default_params();
    cp.n_ctx = t->n_prompt + t->n_gen;   /* as llama-bench sizes its context */
    cp.n_threads = t->n_threads;
    cp.n_batch = t->n_ubatch;
    cp.kv_type = t->kv;
    runner R = {.n_vocab = d.n_vocab, .bos = d.add_bos ? d.bos : -1, .r = {0x853c49e6748fea9bull}};
    if (R.bos >= d.n_vocab) R.bos = -1;
    R.tokens = malloc((size_t)(t->n_batch > 0 ? t->n_batch : 1) * sizeof *R.tokens);
    if (!R.tokens) {
        if (err) { err->code = QLM_ERR_NOMEM; snprintf(err->message, sizeof err->message, "out of memory"); }
        return QLM_ERR_NOMEM;
    }
    qlm_status rc = qlm_context_new(m, &cp, &R.c, err);
    if (rc) { free(R.tokens); return rc; }

    if (t->warmup) {
        if (progress) progress(data, t, 0);
        rc = t->n_prompt > 0 ? run_prompt(&R, t, err) : run_gen(&R, 1, err);
    }
    for (int i = 0; i < t->reps && !rc; i++) {
        if (progress) progress(data, t, i + 1);
        qlm_context_truncate(R.c, 0);
        uint64_t t0 = now_ns();
        rc = t->n_prompt > 0 ? run_prompt(&R, t, err) : run_gen(&R, t->n_gen, err);
        uint64_t ns = now_ns() - t0;
        if (!rc) t->samples_ns[t->n_samples++] = ns ? ns : 1;
    }
    qlm_context_free(R.c);
    free(R.tokens);
    return rc;
}

/* ---- statistics: llama-bench's avg() and stdev() (sample standard deviation) ---------- */

uint64_t bench_avg_ns(const bench_test *t) {
    if (t->n_samples == 0) return 0;
    double s = 0;
    for (int i = 0; i < t->n_samples; i++) s += (double)t->samples_ns[i];
    return (uint64_t)(s / t->n_samples);
}

static double stdev(const double *v, int n) {
    if (n <= 1) return 0;
    double mean = 0, sq = 0;
    for (int i = 0; i < n; i++) mean += v[i];
    mean /= n;
    for (int i = 0; i < n; i++) sq += (v[i] - mean) * (v[i] - mean);
    return sqrt(sq / (n - 1));
}

uint64_t bench_stddev_ns(const bench_test *t) {
    double v[BENCH_MAX_REPS];
    for (int i = 0; i < t->n_samples; i++) v[i] = (double)t->samples_ns[i];
    return (uint64_t)stdev(v, t->n_samples);
}

double bench_sample_ts(const bench_test *t, int i) {
    return 1e9 * (double)(t->n_prompt + t->n_gen) / (double)t->samples_ns[i];
}

double bench_avg_ts(const bench_test *t) {
    if (t->n_samples == 0) return 0;
    double s = 0;
    for (int i = 0; i < t->n_samples; i++) s += bench_sample_ts(t, i);
    return s / t->n_samples;
}

double bench_stddev_ts(const bench_test *t) {
    double v[BENCH_MAX_REPS];
    for (int i = 0; i < t->n_samples; i++) v[i] = bench_sample_ts(t, i);
    return stdev(v, t->n_samples);
}

double bench_roofline_ts(const bench_test *t) {
    if (t->n_gen == 0 || t->n_prompt != 0 || t->bw_gbps <= 0 || t->bytes_per_token == 0) return 0;
    return t->bw_gbps * 1e9 / (double)t->bytes_per_token;
}
