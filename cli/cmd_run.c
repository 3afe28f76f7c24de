/* qlm run: one-shot generation. The prompt, then the generated text, go to stdout as
 * they are decoded; timings go to stderr. */
#include "args.h"
#include "commands.h"
#include "model_load.h"
#include "qlm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *RUN_USAGE =
    "usage: qlm run -m FILE [options]\n"
    "\n"
    "Generate text with a GGUF model. The prompt and the generated text are printed to\n"
    "stdout token by token; load time and speeds to stderr.\n"
    "\n"
    "  -m, --model FILE        GGUF model file (required)\n"
    "  -p, --prompt TEXT       prompt (default: none, generation starts from BOS)\n"
    "  -f, --file FILE         read the prompt from a file\n"
    "  -n, --n-predict N       new tokens to generate at most (default 256)\n"
    "      --temp T            temperature; 0 = greedy (default 0.8)\n"
    "      --top-k K           keep the K most likely tokens; 0 = off (default 40)\n"
    "      --top-p P           nucleus sampling; 1 = off (default 0.95)\n"
    "      --min-p P           drop tokens below P x the top probability; 0 = off (default 0.05)\n"
    "      --repeat-penalty R  penalise recent tokens; 1 = off (default 1.0)\n"
    "      --repeat-last-n N   how many recent tokens the penalty looks at (default 64)\n"
    "  -s, --seed S            random seed (default: from the clock); same seed, same text\n"
    "  -t, --threads N         threads (default: physical cores)\n"
    "  -c, --ctx-size N        context window (default: the model's, at most 4096)\n"
    "      --kv f16|f32        KV cache element type (default f16)\n"
    "      --no-bos            do not add BOS in front of the prompt\n"
    "      --ignore-eos        keep generating past the end-of-sequence token\n"
    "      --no-mmap           read the model into memory (huge pages) instead of mapping it:\n"
    "                          faster generation, slower load, no sharing between processes\n"
    "      --repack            as --no-mmap, and weights rearranged for faster generation\n"
    "                          (same results, slower load): Q4_0, Q8_0, Q4_K, Q5_K and\n"
    "                          Q6_K interleaved 16 rows at a time (AVX-512; Q4_K also\n"
    "                          AVX-VNNI), Q4_0 regrouped 8 blocks at a time elsewhere\n"
    "                          (AVX2, AVX-VNNI, and shapes the 16-row layout cannot take)\n"
    "  -v, --verbose           print model and kernel details to stderr\n"
    "  -h, --help              this text\n";

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct {
    const char *model, *prompt, *prompt_file;
    long long n_predict, top_k, threads, ctx, repeat_last_n;
    double temp, top_p, min_p, repeat_penalty;
    uint64_t seed;
    bool seed_set, no_bos, ignore_eos, verbose, no_mmap;
    bool repack;
    qlm_kv_type kv;
} run_opts;

static int parse_args(int argc, char **argv, run_opts *o) {
    const char *cmd = "run";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
#define VAL() do { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(RUN_USAGE, stdout); return -1; }
        else if (!strcmp(a, "-m") || !strcmp(a, "--model")) { VAL(); o->model = v; }
        else if (!strcmp(a, "-p") || !strcmp(a, "--prompt")) { VAL(); o->prompt = v; }
        else if (!strcmp(a, "-f") || !strcmp(a, "--file")) { VAL(); o->prompt_file = v; }
        else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) { VAL(); if (!flag_int(cmd, a, v, 0, 1 << 24, &o->n_predict)) return 2; }
        else if (!strcmp(a, "--temp")) { VAL(); if (!flag_float(cmd, a, v, 0, 100, &o->temp)) return 2; }
        else if (!strcmp(a, "--top-k")) { VAL(); if (!flag_int(cmd, a, v, 0, 1 << 24, &o->top_k)) return 2; }
        else if (!strcmp(a, "--top-p")) { VAL(); if (!flag_float(cmd, a, v, 0, 1, &o->top_p)) return 2; }
        else if (!strcmp(a, "--min-p")) { VAL(); if (!flag_float(cmd, a, v, 0, 1, &o->min_p)) return 2; }
        else if (!strcmp(a, "--repeat-penalty")) { VAL(); if (!flag_float(cmd, a, v, 0.01, 100, &o->repeat_penalty)) return 2; }
        else if (!strcmp(a, "--repeat-last-n")) { VAL(); if (!flag_int(cmd, a, v, 0, 1 << 20, &o->repeat_last_n)) return 2; }
        else if (!strcmp(a, "-s") || !strcmp(a, "--seed")) {
            VAL();
            if (!parse_u64(v, &o->seed)) { cli_error(cmd, "bad value for %s: '%s' (expected a non-negative integer)", a, v); return 2; }
            o->seed_set = true;
        }
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) { VAL(); if (!flag_int(cmd, a, v, 1, 1024, &o->threads)) return 2; }
        else if (!strcmp(a, "-c") || !strcmp(a, "--ctx-size")) { VAL(); if (!flag_int(cmd, a, v, 1, 1 << 24, &o->ctx)) return 2; }
        else if (!strcmp(a, "--kv")) {
            VAL();
            if (!strcmp(v, "f16")) o->kv = QLM_KV_F16;
            else if (!strcmp(v, "f32")) o->kv = QLM_KV_F32;
            else { cli_error(cmd, "bad value for --kv: '%s' (expected f16 or f32)", v); return 2; }
        }
        else if (!strcmp(a, "--no-bos")) o->no_bos = true;
        else if (!strcmp(a, "--ignore-eos")) o->ignore_eos = true;
        else if (!strcmp(a, "--no-mmap")) o->no_mmap = true;
        else if (!strcmp(a, "--repack")) o->repack = true;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) o->verbose = true;
        else { cli_error(cmd, "unknown option '%s' (see qlm run --help)", a); return 2; }
#undef VAL
    }
    if (!o->model) { cli_error(cmd, "no model given (use -m FILE; see qlm run --help)"); return 2; }
    if (o->prompt && o->prompt_file) { cli_error(cmd, "give either -p or -f, not both"); return 2; }
    return 0;
}

int cmd_run(int argc, char **argv) {
    run_opts o = {.n_predict = 256, .top_k = 40, .repeat_last_n = 64, .temp = 0.8, .top_p = 0.95,
                  .min_p = 0.05, .repeat_penalty = 1.0, .kv = QLM_KV_F16};
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;

    char *prompt_buf = NULL;
    size_t prompt_len = o.prompt ? strlen(o.prompt) : 0;
    if (o.prompt_file && !(prompt_buf = read_whole_file(o.prompt_file, &prompt_len))) {
        cli_error("run", "cannot read prompt file '%s'", o.prompt_file);
        return 1;
    }
    const char *prompt = prompt_buf ? prompt_buf : o.prompt;

    qlm_error err = {0};
    double t0 = now_s();
    qlm_model *model = NULL;
    qlm_context *ctx = NULL;
    qlm_sampler *smp = NULL;
    qlm_detok *dt = NULL;
    int32_t *toks = NULL;
    int status = 1;
    if (cli_model_load(o.model, o.no_mmap, o.repack, &model, &err) != QLM_OK) goto fail;
    qlm_context_params cp = qlm_context_default_params();
    cp.n_ctx = (int)o.ctx;
    cp.n_threads = (int)o.threads;
    cp.kv_type = o.kv;
    if (qlm_context_new(model, &cp, &ctx, &err) != QLM_OK) goto fail;
    double t_load = now_s() - t0;

    qlm_model_desc md;
    qlm_model_describe(model, &md);
    if (o.verbose)
        fprintf(stderr, "qlm: %s (%s, %s, %.2f M params), context %d, %s KV cache, kernels %s%s%s%s\n",
                o.model, md.arch, md.file_type, md.n_params / 1e6, qlm_context_n_ctx(ctx),
                o.kv == QLM_KV_F16 ? "f16" : "f32", qlm_isa_name(), *qlm_isa_detail() ? " (" : "",
                qlm_isa_detail(), *qlm_isa_detail() ? ")" : "");
    if (o.verbose && o.repack)
        fprintf(stderr, "qlm: %d weight matrices rearranged (Q4_K, Q5_K, Q6_K, Q4_0, Q8_0 to their R16 layouts, or Q4_0 "
                "to Q4_0_G8, where the kernels have loops for them)\n", md.n_repacked);

    /* tokens: [BOS] + prompt */
    int n_ctx = qlm_context_n_ctx(ctx);
    int cap = n_ctx;
    toks = malloc((size_t)cap * sizeof *toks);
    if (!toks) goto oom;
    int n_prompt = 0;
    if (prompt && prompt_len) {
        unsigned flags = o.no_bos ? 0 : QLM_TOK_ADD_BOS;
        n_prompt = qlm_tokenize(model, prompt, prompt_len, flags, toks, cap, &err);
        if (n_prompt < 0) goto fail;
        if (n_prompt > cap) {
            fprintf(stderr, "qlm run: the prompt is %d tokens, longer than the context (%d)\n", n_prompt, n_ctx);
            goto cleanup;
        }
    } else if (md.bos >= 0) {
        toks[n_prompt++] = md.bos;
    }
    if (n_prompt == 0) {
        fprintf(stderr, "qlm run: nothing to start from: empty prompt and the model has no BOS token\n");
        goto cleanup;
    }

    qlm_sampler_params sp = qlm_sampler_default_params();
    sp.temperature = (float)o.temp;
    sp.top_k = (int)o.top_k;
    sp.top_p = (float)o.top_p;
    sp.min_p = (float)o.min_p;
    sp.repeat_penalty = (float)o.repeat_penalty;
    sp.repeat_last_n = (int)o.repeat_last_n;
    sp.seed = o.seed_set ? o.seed : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    smp = qlm_sampler_new(&sp);
    dt = qlm_detok_new(model);
    if (!smp || !dt) goto oom;

    for (int i = 0; i < n_prompt; i++) {
        qlm_sampler_accept(smp, toks[i]);
        fputs(qlm_detok_push(dt, toks[i]), stdout);
    }
    fflush(stdout);

    double t1 = now_s();
    if (qlm_eval(ctx, toks, n_prompt, false, &err) != QLM_OK) goto fail;
    double t_prompt = now_s() - t1;

    double t2 = now_s();
    int n_gen = 0;
    while (n_gen < o.n_predict) {
        int32_t next = qlm_sampler_sample(smp, qlm_logits(ctx, 0), md.n_vocab);
        if (next < 0) goto oom;
        n_gen++;
        if (!o.ignore_eos && qlm_token_is_eog(model, next)) break;
        qlm_sampler_accept(smp, next);
        fputs(qlm_detok_push(dt, next), stdout);
        fflush(stdout);
        if (n_gen == o.n_predict || qlm_context_pos(ctx) >= n_ctx) break;
        if (qlm_eval(ctx, &next, 1, false, &err) != QLM_OK) goto fail;
    }
    fputs(qlm_detok_flush(dt), stdout);
    if (isatty(STDOUT_FILENO)) fputc('\n', stdout);
    fflush(stdout);
    double t_gen = now_s() - t2;
    fprintf(stderr, "\nqlm: load %.0f ms | prompt %d tokens, %.2f tok/s | generation %d tokens, %.2f tok/s | %d threads, %s\n",
            t_load * 1e3, n_prompt, t_prompt > 0 ? n_prompt / t_prompt : 0.0, n_gen,
            t_gen > 0 ? n_gen / t_gen : 0.0, cp.n_threads ? cp.n_threads : qlm_physical_cores(), qlm_isa_name());
    if (o.verbose) { /* the weight stream's page size: 4 KiB pages cost generation speed */
        const int64_t huge = qlm_model_huge_page_bytes(model);
        const bool mapped = !o.no_mmap && !o.repack;
        if (huge >= 0)
            fprintf(stderr, "qlm: weights in 2 MiB pages: %.0f of %.0f MiB (%s)%s\n", huge / 1048576.0,
                    md.file_size / 1048576.0, mapped ? "mapped file" : "read into memory",
                    /* the page cache held the file in small folios before qlm mapped it
                     * (a small model's few pages do not matter) */
                    mapped && md.file_size >= (64u << 20) && (uint64_t)huge < md.file_size / 2
                        ? "; --no-mmap would read it into 2 MiB pages" : "");
    }
    status = 0;
    goto cleanup;
oom:
    fprintf(stderr, "qlm run: out of memory\n");
    goto cleanup;
fail:
    fprintf(stderr, "qlm run: %s\n", err.message);
cleanup:
    qlm_detok_free(dt);
    qlm_sampler_free(smp);
    free(toks);
    qlm_context_free(ctx);
    qlm_model_free(model);
    free(prompt_buf);
    return status;
}
