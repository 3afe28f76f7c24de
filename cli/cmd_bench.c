/* qlm bench: llama-bench's pp / tg measurements (helpers in bench/), the read-bandwidth probe
 * and the tg roofline. Table on stdout, progress on stderr. */
#include "../bench/bench.h"
#include "../bench/bench_kernels.h"
#include "args.h"
#include "commands.h"
#include "model_load.h"
#include "qlm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LIST 64
#define MAX_MODELS 16

static void usage(FILE *f) {
    fprintf(f,
        "usage: qlm bench -m FILE [-m FILE...] [-p N,..] [-n N,..] [-t N,..] [-r N]\n"
        "                 [-b N] [-ub N] [--kv f16|f32] [-o md|json|csv] [--bw GBPS]\n"
        "       qlm bench --membw [-t N,..] [-r N] [--bw-mib MIB] [-o md|json|csv]\n"
        "       qlm bench --kernels [-t N,..] [--isa NAME] [--type T] [--tokens N]\n"
        "                 [--rows N] [--cols N] [--stream-mib MIB] [--seconds S]\n"
        "\n"
        "Measures prompt processing (ppN: one N-token prompt into an empty context) and\n"
        "generation (tgN: N tokens one at a time from an empty context) as llama-bench\n"
        "does: one untimed warm-up run, then -r timed runs; t/s is their mean +- sample\n"
        "standard deviation. Output uses llama-bench's md / json / csv layouts, plus qlm's\n"
        "columns: kernel path (isa) and, for tg, the roofline = read bandwidth / weight\n"
        "bytes read per token (an embedding table counts one row, unless it is also the\n"
        "output head) and the %% of it reached.\n"
        "\n"
        "  -m, --model FILE         GGUF model (repeatable)\n"
        "  -p, --n-prompt N,..      prompt lengths (default 512; 0: no pp test)\n"
        "  -n, --n-gen N,..         generation lengths (default 128; 0: no tg test)\n"
        "  -t, --threads N,..       thread counts (default: physical cores, here %d)\n"
        "  -r, --repetitions N      timed runs per test (default 5)\n"
        "  -b, --batch-size N       tokens per qlm_eval call in pp (default 2048)\n"
        "  -ub, --ubatch-size N     tokens per forward chunk: the context's n_batch (default 512)\n"
        "      --kv f16|f32         KV cache type (default f16)\n"
        "  -mmp, --mmap 0|1         0: read the model into memory (huge pages) instead of\n"
        "                           mapping it, as qlm run --no-mmap (default 1); also\n"
        "                           --no-mmap, --load-mode none|mmap\n"
        "  -rtr, --repack 0|1       1: read into memory and rearrange the weights, as qlm run\n"
        "                           --repack (default 0; ik_llama.cpp's -rtr names its own\n"
        "                           repacking); the md output gets an rtr column\n"
        "  -o, --output FMT         md (default), json or csv\n"
        "      --bw GBPS            read bandwidth for the tg roofline; default: measured\n"
        "                           with each thread count right before its tg tests\n"
        "      --bw-mib MIB         buffer of the bandwidth probe (default 1024; make it\n"
        "                           several times the last-level cache)\n"
        "      --no-warmup          skip the warm-up runs\n"
        "      --membw              only measure read bandwidth, for each -t (default: 1 to\n"
        "                           the physical cores)\n"
        "      --kernels            kernel microbenchmarks, per kernel path and weight type:\n"
        "                           matrix-vector GB/s and %% of the read bandwidth, matrix-\n"
        "                           matrix GFLOP/s and %% of the path's int8 multiply-add peak;\n"
        "                           both ceilings are measured with the same threads (one\n"
        "                           run per -t value)\n"
        "      --isa NAME           --kernels: only this path (scalar, avx2, avxvnni, avx512, neon)\n"
        "      --type T             --kernels: only this weight type (Q4_0 ... Q6_K, F16, BF16, F32)\n"
        "      --tokens N           --kernels: matrix-matrix batch (default 512)\n"
        "      --rows N             --kernels: rows of the matrix (default 5632)\n"
        "      --cols N             --kernels: values per row, a multiple of 256 (default 2048);\n"
        "                           with --stream-mib 1 a small matrix stays in cache, which\n"
        "                           times the kernels' arithmetic rather than the memory\n"
        "      --stream-mib MIB     --kernels: weights streamed per matrix-vector pass (at least\n"
        "                           one matrix), read as much for the bandwidth (default 512;\n"
        "                           make it several times the last-level cache)\n"
        "      --seconds S          --kernels: minimum time per measurement and time of the\n"
        "                           int8 peak probe (default 0.5)\n",
        qlm_physical_cores());
}

/* "a,b,c": append each value (in [lo, hi]) to list; false on a bad entry. */
static bool parse_list(const char *cmd, const char *flag, const char *s, long long lo, long long hi,
                       int *list, int *n) {
    char buf[512];
    if (!*s || strlen(s) >= sizeof buf || s[strlen(s) - 1] == ',') goto bad;
    strcpy(buf, s);
    for (char *tok = buf, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next) *next++ = 0;
        long long v;
        if (!parse_int(tok, lo, hi, &v)) goto bad;
        if (*n == MAX_LIST) { cli_error(cmd, "too many values for %s (at most %d)", flag, MAX_LIST); return false; }
        list[(*n)++] = (int)v;
    }
    return true;
bad:
    cli_error(cmd, "bad value for %s: '%s' (expected integers from %lld to %lld, separated by commas)", flag, s, lo, hi);
    return false;
}

typedef struct {
    bool tty;
    int index, total;
} progress_state;

static void on_progress(void *data, const bench_test *t, int rep) {
    progress_state *ps = data;
    char test[32];
    if (t->n_prompt > 0) snprintf(test, sizeof test, "pp%d", t->n_prompt);
    else snprintf(test, sizeof test, "tg%d", t->n_gen);
    if (ps->tty) {
        if (rep == 0) fprintf(stderr, "\r\033[Kqlm bench: [%d/%d] %s, t=%d: warm-up", ps->index, ps->total, test, t->n_threads);
        else fprintf(stderr, "\r\033[Kqlm bench: [%d/%d] %s, t=%d: run %d/%d", ps->index, ps->total, test, t->n_threads, rep, t->reps);
    } else if (rep <= 1) {
        /* a log gets one line per test */
        if (rep == 0 || !t->warmup)
            fprintf(stderr, "qlm bench: [%d/%d] %s, t=%d, %d runs\n", ps->index, ps->total, test, t->n_threads, t->reps);
    }
    fflush(stderr);
}

static int run_membw(const int *threads, int n_threads, int reps, long long mib, bench_format fmt) {
    if (fmt == BENCH_MD) {
        printf("| threads |     buffer | kernel  |  best GB/s | median GB/s | worst GB/s |\n");
        printf("| ------: | ---------: | ------- | ---------: | ----------: | ---------: |\n");
    } else if (fmt == BENCH_JSON) {
        printf("[\n");
    } else {
        printf("n_threads,bytes,kernel,best_gbps,median_gbps,worst_gbps\n");
    }
    for (int i = 0; i < n_threads; i++) {
        if (isatty(STDERR_FILENO)) fprintf(stderr, "\r\033[Kqlm bench: read bandwidth, %d threads...", threads[i]);
        qlm_bandwidth bw;
        qlm_error err = {0};
        qlm_status rc = qlm_measure_read_bandwidth(threads[i], (size_t)mib << 20, reps, &bw, &err);
        if (isatty(STDERR_FILENO)) fprintf(stderr, "\r\033[K");
        if (rc) { cli_error("bench", "%s", err.message); return 1; }
        if (fmt == BENCH_MD)
            printf("| %7d | %6zu MiB | %-7s | %10.2f | %11.2f | %10.2f |\n", bw.n_threads, bw.bytes >> 20, bw.kernel,
                   bw.best_gbps, bw.median_gbps, bw.worst_gbps);
        else if (fmt == BENCH_JSON)
            printf("%s  {\"n_threads\": %d, \"bytes\": %zu, \"reps\": %d, \"kernel\": \"%s\", \"best_gbps\": %f, "
                   "\"median_gbps\": %f, \"worst_gbps\": %f}", i ? ",\n" : "", bw.n_threads, bw.bytes, bw.reps,
                   bw.kernel, bw.best_gbps, bw.median_gbps, bw.worst_gbps);
        else
            printf("\"%d\",\"%zu\",\"%s\",\"%f\",\"%f\",\"%f\"\n", bw.n_threads, bw.bytes, bw.kernel, bw.best_gbps,
                   bw.median_gbps, bw.worst_gbps);
        fflush(stdout);
    }
    if (fmt == BENCH_JSON) printf("\n]\n");
    return 0;
}

int cmd_bench(int argc, char **argv) {
    const char *cmd = "bench";
    const char *models[MAX_MODELS];
    int n_models = 0;
    int prompts[MAX_LIST], gens[MAX_LIST], threads[MAX_LIST];
    int n_prompts = 0, n_gens = 0, n_threads = 0;
    long long reps = 5, n_batch = 2048, n_ubatch = 512, bw_mib = 1024;
    double bw_given = 0;
    qlm_kv_type kv = QLM_KV_F16;
    bool no_mmap = false;
    int repack = 0;
    bench_format fmt = BENCH_MD;
    bool warmup = true, membw = false, kernels = false;
    qlm_bench_kernels_params kp = {0};
    const char *kernel_flag = NULL; /* a --kernels-only flag seen, for the error */

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
#define IS(s1, s2) (!strcmp(a, s1) || !strcmp(a, s2))
#define VALUE() if (!(v = flag_value(cmd, argc, argv, &i))) return 2
        if (IS("-h", "--help")) { usage(stdout); return 0; }
        else if (IS("-m", "--model")) {
            VALUE();
            if (n_models == MAX_MODELS) { cli_error(cmd, "at most %d models", MAX_MODELS); return 2; }
            models[n_models++] = v;
        }
        else if (IS("-p", "--n-prompt")) { VALUE(); if (!parse_list(cmd, a, v, 0, 1 << 20, prompts, &n_prompts)) return 2; }
        else if (IS("-n", "--n-gen")) { VALUE(); if (!parse_list(cmd, a, v, 0, 1 << 20, gens, &n_gens)) return 2; }
        else if (IS("-t", "--threads")) { VALUE(); if (!parse_list(cmd, a, v, 1, 1024, threads, &n_threads)) return 2; }
        else if (IS("-r", "--repetitions")) { VALUE(); if (!flag_int(cmd, a, v, 1, BENCH_MAX_REPS, &reps)) return 2; }
        else if (IS("-b", "--batch-size")) { VALUE(); if (!flag_int(cmd, a, v, 1, 1 << 20, &n_batch)) return 2; }
        else if (IS("-ub", "--ubatch-size")) { VALUE(); if (!flag_int(cmd, a, v, 1, 1 << 16, &n_ubatch)) return 2; }
        else if (IS("--bw-mib", "--bw-mib")) { VALUE(); if (!flag_int(cmd, a, v, 1, 1 << 20, &bw_mib)) return 2; }
        else if (IS("--bw", "--bw")) { VALUE(); if (!flag_float(cmd, a, v, 1e-3, 1e6, &bw_given)) return 2; }
        else if (IS("--kv", "--kv")) {
            VALUE();
            if (!strcmp(v, "f16")) kv = QLM_KV_F16;
            else if (!strcmp(v, "f32")) kv = QLM_KV_F32;
            else { cli_error(cmd, "bad value for --kv: '%s' (expected f16 or f32)", v); return 2; }
        }
        else if (IS("-o", "--output")) {
            VALUE();
            if (!strcmp(v, "md")) fmt = BENCH_MD;
            else if (!strcmp(v, "json")) fmt = BENCH_JSON;
            else if (!strcmp(v, "csv")) fmt = BENCH_CSV;
            else { cli_error(cmd, "bad value for %s: '%s' (expected md, json or csv)", a, v); return 2; }
        }
        else if (IS("--no-warmup", "--no-warmup")) warmup = false;
        else if (IS("-mmp", "--mmap")) {
            VALUE();
            if (strcmp(v, "0") && strcmp(v, "1")) { cli_error(cmd, "bad value for %s: '%s' (expected 0 or 1)", a, v); return 2; }
            no_mmap = *v == '0';
        }
        else if (IS("--no-mmap", "--no-mmap")) no_mmap = true;
        else if (IS("-rtr", "--repack")) {
            VALUE();
            if (strcmp(v, "0") && strcmp(v, "1")) { cli_error(cmd, "bad value for %s: '%s' (expected 0 or 1)", a, v); return 2; }
            repack = *v == '1';
        }
        else if (IS("--load-mode", "--load-mode")) {
            VALUE();
            if (strcmp(v, "none") && strcmp(v, "mmap")) { cli_error(cmd, "bad value for %s: '%s' (expected none or mmap)", a, v); return 2; }
            no_mmap = !strcmp(v, "none");
        }
        else if (IS("--membw", "--membw")) membw = true;
        else if (IS("--kernels", "--kernels")) kernels = true;
        else if (IS("--isa", "--isa")) { VALUE(); kp.isa = v; kernel_flag = a; }
        else if (IS("--type", "--type")) { VALUE(); kp.type = v; kernel_flag = a; }
        else if (IS("--tokens", "--tokens")) {
            long long n;
            VALUE();
            if (!flag_int(cmd, a, v, 1, 65536, &n)) return 2;
            kp.tokens = (int)n;
            kernel_flag = a;
        }
        else if (IS("--rows", "--rows")) {
            long long n;
            VALUE();
            if (!flag_int(cmd, a, v, 1, 1 << 20, &n)) return 2;
            kp.n_out = n;
            kernel_flag = a;
        }
        else if (IS("--cols", "--cols")) {
            long long n;
            VALUE();
            if (!flag_int(cmd, a, v, 256, 1 << 20, &n)) return 2;
            if (n % 256) {
                fprintf(stderr, "qlm bench: --cols must be a multiple of 256 (K-quant super-blocks)\n");
                return 2;
            }
            kp.n_in = n;
            kernel_flag = a;
        }
        else if (IS("--stream-mib", "--stream-mib")) {
            long long n;
            VALUE();
            if (!flag_int(cmd, a, v, 1, 1 << 20, &n)) return 2;
            kp.stream_mib = n;
            kernel_flag = a;
        }
        else if (IS("--seconds", "--seconds")) { VALUE(); if (!flag_float(cmd, a, v, 1e-3, 3600, &kp.seconds)) return 2; kernel_flag = a; }
        else { cli_error(cmd, "unexpected argument '%s' (see qlm bench --help)", a); return 2; }
#undef IS
#undef VALUE
    }
    if (n_threads == 0 && membw) /* the probe's default: 1, 2, ... up to the physical cores */
        for (int i = 1; i <= qlm_physical_cores() && n_threads < MAX_LIST; i++) threads[n_threads++] = i;
    if (n_threads == 0) threads[n_threads++] = qlm_physical_cores();
    if (kernel_flag && !kernels) { cli_error(cmd, "%s goes with --kernels", kernel_flag); return 2; }
    if (kernels) {
        if (n_models || n_prompts || n_gens || membw) {
            cli_error(cmd, "--kernels takes only -t, --isa, --type, --tokens, --rows, --stream-mib and --seconds");
            return 2;
        }
        /* per type and kernel path: matrix-vector GB/s and matrix-matrix GOP/s, against
         * the bandwidth and int8 peak of the same thread count */
        for (int i = 0; i < n_threads; i++) {
            if (i) putchar('\n');
            kp.n_threads = threads[i];
            kp.no_legend = i > 0;
            if (qlm_bench_kernels(stdout, &kp)) return 1;
        }
        return 0;
    }
    if (membw) {
        if (n_models || n_prompts || n_gens) { cli_error(cmd, "--membw takes only -t, -r, --bw-mib and -o"); return 2; }
        return run_membw(threads, n_threads, (int)reps, bw_mib, fmt);
    }
    if (n_models == 0) { cli_error(cmd, "need -m FILE (see qlm bench --help)"); return 2; }
    if (n_prompts == 0) prompts[n_prompts++] = 512;
    if (n_gens == 0) gens[n_gens++] = 128;
    int per_model = 0;
    for (int i = 0; i < n_prompts; i++) per_model += prompts[i] > 0;
    for (int i = 0; i < n_gens; i++) per_model += gens[i] > 0;
    per_model *= n_threads;
    if (per_model == 0) { cli_error(cmd, "nothing to run: every -p and -n is 0"); return 2; }

    bench_printer pr = {.fmt = fmt, .f = stdout, .show_kv_type = kv != QLM_KV_F16, .show_repack = repack,
                        .show_batch = n_batch != 2048, .show_ubatch = n_ubatch != 512};
    bench_print_header(&pr);
    progress_state ps = {.tty = isatty(STDERR_FILENO), .index = 0, .total = per_model * n_models};
    static bench_test t; /* large (samples): not on the stack */
    int failed = 0;
    for (int mi_ = 0; mi_ < n_models; mi_++) {
        qlm_model *m = NULL;
        qlm_error err = {0};
        if (cli_model_load(models[mi_], no_mmap, repack, &m, &err)) {
            cli_error(cmd, "%s", err.message);
            failed++;
            ps.index += per_model;
            continue;
        }
        bench_model_info info;
        bench_model_info_get(models[mi_], m, &info, &err);
        for (int ti = 0; ti < n_threads; ti++) {
            double bw = bw_given; /* per thread count; measured before its first tg test */
            for (int k = 0; k < n_prompts + n_gens; k++) {
                bool pp = k < n_prompts;
                int len = pp ? prompts[k] : gens[k - n_prompts];
                if (len == 0) continue;
                memset(&t, 0, sizeof t);
                t.model_path = models[mi_];
                t.n_prompt = pp ? len : 0;
                t.n_gen = pp ? 0 : len;
                t.n_threads = threads[ti];
                t.n_batch = (int)n_batch;
                t.n_ubatch = (int)n_ubatch;
                t.kv = kv;
                t.no_mmap = no_mmap || repack;
                t.repack = repack;
                t.reps = (int)reps;
                t.warmup = warmup;
                t.bytes_per_token = info.bytes_per_token;
                ps.index++;
                if (!pp && bw <= 0) {
                    if (ps.tty) fprintf(stderr, "\r\033[Kqlm bench: measuring read bandwidth, %d threads", t.n_threads);
                    qlm_bandwidth b;
                    if (qlm_measure_read_bandwidth(t.n_threads, (size_t)bw_mib << 20, 3, &b, &err)) {
                        if (ps.tty) fputc('\n', stderr);
                        cli_error(cmd, "bandwidth probe: %s (tg roofline left out)", err.message);
                        bw = -1;
                    } else {
                        bw = b.best_gbps;
                    }
                }
                t.bw_gbps = pp ? 0 : bw;
                qlm_status rc = bench_run(m, &t, on_progress, &ps, &err);
                if (ps.tty) fprintf(stderr, "\r\033[K");
                if (rc) {
                    cli_error(cmd, "%s: %s", models[mi_], err.message);
                    failed++;
                    continue;
                }
                bench_print_test(&pr, &info, &t);
            }
        }
        /* on stderr, beside the results: weights in 4 KiB pages cost generation speed
         * (a mapped file's page-cache folios decide; -mmp 0 asks for 2 MiB pages) */
        const int64_t huge = qlm_model_huge_page_bytes(m);
        qlm_model_desc md;
        qlm_model_describe(m, &md);
        if (huge >= 0)
            fprintf(stderr, "qlm bench: %s: weights in 2 MiB pages: %.0f of %.0f MiB\n", models[mi_],
                    huge / 1048576.0, md.file_size / 1048576.0);
        qlm_model_free(m);
    }
    bench_print_footer(&pr);
    return failed ? 1 : 0;
}
