/* The md / json / csv printers of qlm bench, in llama-bench's layouts so that scripts
 * written for llama-bench read qlm's output: the same field names and order, the same
 * value formats (integers plain, t/s with %f, booleans true/false in json, every csv
 * value quoted), the same markdown column widths. qlm appends its own fields (qlm_*):
 * the kernel path and the tg roofline. Fields about GPUs, NUMA or flash attention hold
 * the values llama-bench prints for a plain CPU run. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The build: `make CFLAGS+=-DQLM_BUILD_COMMIT='"abc123"'` can stamp the git commit. */
#ifndef QLM_BUILD_COMMIT
#define QLM_BUILD_COMMIT "qlm-" QLM_VERSION
#endif
#ifndef QLM_BUILD_NUMBER
#define QLM_BUILD_NUMBER 0
#endif

typedef enum { F_STR, F_INT, F_BOOL, F_FLOAT } field_type;

/* llama-bench's test::get_fields() and get_field_type(), then qlm's fields. */
static const struct { const char *name; field_type type; } FIELDS[] = {
    {"build_commit", F_STR}, {"build_number", F_INT}, {"cpu_info", F_STR}, {"gpu_info", F_STR},
    {"backends", F_STR}, {"model_filename", F_STR}, {"model_type", F_STR}, {"model_size", F_INT},
    {"model_n_params", F_INT}, {"n_batch", F_INT}, {"n_ubatch", F_INT}, {"n_threads", F_INT},
    {"cpu_mask", F_STR}, {"cpu_strict", F_BOOL}, {"poll", F_INT}, {"type_k", F_STR},
    {"type_v", F_STR}, {"n_gpu_layers", F_INT}, {"n_cpu_moe", F_INT}, {"split_mode", F_STR},
    {"main_gpu", F_INT}, {"no_kv_offload", F_BOOL}, {"flash_attn", F_INT}, {"devices", F_STR},
    {"tensor_split", F_STR}, {"tensor_buft_overrides", F_STR}, {"load_mode", F_STR},
    {"embeddings", F_BOOL}, {"no_op_offload", F_INT}, {"no_host", F_BOOL}, {"fit_target", F_INT},
    {"fit_min_ctx", F_INT}, {"n_prompt", F_INT}, {"n_gen", F_INT}, {"n_depth", F_INT},
    {"test_time", F_STR}, {"avg_ns", F_INT}, {"stddev_ns", F_INT}, {"avg_ts", F_FLOAT},
    {"stddev_ts", F_FLOAT},
    /* qlm's own */
    {"qlm_isa", F_STR}, {"qlm_mem_bw_gbps", F_FLOAT}, {"qlm_weight_bytes_per_token", F_INT},
    {"qlm_roofline_ts", F_FLOAT}, {"qlm_roofline_pct", F_FLOAT}, {"qlm_repack", F_INT},
};
#define N_FIELDS ((int)(sizeof FIELDS / sizeof FIELDS[0]))

typedef char value_buf[512];

static const char *kv_name(qlm_kv_type t) { return t == QLM_KV_F32 ? "f32" : "f16"; }

static double roof_pct(const bench_test *t) {
    double roof = bench_roofline_ts(t);
    return roof > 0 ? 100.0 * bench_avg_ts(t) / roof : 0;
}

/* Every field's value as text, in FIELDS order (llama-bench's test::get_values()). */
static void get_values(const bench_printer *p, const bench_model_info *mi, const bench_test *t, value_buf *v) {
#define S(i, ...) snprintf(v[i], sizeof v[i], __VA_ARGS__)
    S(0, "%s", QLM_BUILD_COMMIT);
    S(1, "%d", QLM_BUILD_NUMBER);
    S(2, "%s", p->cpu_info);
    S(3, "%s", "");
    S(4, "%s", "CPU");
    S(5, "%s", t->model_path);
    S(6, "%s", mi->model_type);
    S(7, "%llu", (unsigned long long)mi->model_size);
    S(8, "%llu", (unsigned long long)mi->n_params);
    S(9, "%d", t->n_batch);
    S(10, "%d", t->n_ubatch);
    S(11, "%d", t->n_threads);
    S(12, "0x0");
    S(13, "0");
    S(14, "0");   /* qlm's pool spins briefly, then sleeps: no polling level to set */
    S(15, "%s", kv_name(t->kv));
    S(16, "%s", kv_name(t->kv));
    S(17, "0");
    S(18, "0");
    S(19, "layer");
    S(20, "0");
    S(21, "0");
    S(22, "0");   /* flash attention: off (LLAMA_FLASH_ATTN_TYPE_DISABLED) */
    S(23, "auto");
    S(24, "0.00");
    S(25, "none");
    S(26, "%s", t->no_mmap ? "none" : "mmap");
    S(27, "0");
    S(28, "0");
    S(29, "0");
    S(30, "0");
    S(31, "0");
    S(32, "%d", t->n_prompt);
    S(33, "%d", t->n_gen);
    S(34, "0");
    S(35, "%s", t->test_time);
    S(36, "%llu", (unsigned long long)bench_avg_ns(t));
    S(37, "%llu", (unsigned long long)bench_stddev_ns(t));
    S(38, "%f", bench_avg_ts(t));
    S(39, "%f", bench_stddev_ts(t));
    S(40, "%s", qlm_isa_name());
    S(41, "%f", bench_roofline_ts(t) > 0 ? t->bw_gbps : 0.0);
    S(42, "%llu", (unsigned long long)mi->bytes_per_token);
    S(43, "%f", bench_roofline_ts(t));
    S(44, "%f", roof_pct(t));
    S(45, "%d", t->repack);
#undef S
}

/* ---- csv -------------------------------------------------------------------------------- */

static void csv_quoted(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* ---- json ------------------------------------------------------------------------------- */

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"') fputs("\\\"", f);
        else if (*c == '\\') fputs("\\\\", f);
        else if (*c < 0x20) fprintf(f, "\\u%04x", *c);
        else fputc(*c, f);
    }
    fputc('"', f);
}

static void json_value(FILE *f, field_type type, const char *v) {
    if (type == F_STR) json_string(f, v);
    else if (type == F_BOOL) fputs(strcmp(v, "0") ? "true" : "false", f);
    else fputs(v, f);
}

/* ---- markdown ---------------------------------------------------------------------------- */

typedef enum {
    C_MODEL, C_SIZE, C_PARAMS, C_BACKEND, C_THREADS, C_N_BATCH, C_N_UBATCH, C_TYPE_K, C_TYPE_V,
    C_RTR, C_TEST, C_TS, C_ISA, C_BW, C_ROOF, C_PCT, C_COUNT
} md_col;

/* llama-bench's columns in its order, with its get_field_width (negative: left-aligned)
 * and display names; the last four are qlm's. Optional ones appear, as in llama-bench,
 * only when their value is not the default. */
static const struct { const char *title; int width; } MD[C_COUNT] = {
    [C_MODEL] = {"model", -30}, [C_SIZE] = {"size", 10}, [C_PARAMS] = {"params", 10},
    [C_BACKEND] = {"backend", -10}, [C_THREADS] = {"threads", 7}, [C_TYPE_K] = {"type_k", 6},
    [C_TYPE_V] = {"type_v", 6}, [C_N_BATCH] = {"n_batch", 7}, [C_N_UBATCH] = {"n_ubatch", 8},
    [C_RTR] = {"rtr", 3}, [C_TEST] = {"test", 15}, [C_TS] = {"t/s", 20}, [C_ISA] = {"isa", -7},
    [C_BW] = {"read GB/s", 9}, [C_ROOF] = {"roofline t/s", 12}, [C_PCT] = {"% roof", 6},
};

static bool md_shown(const bench_printer *p, md_col c) {
    if (c == C_TYPE_K || c == C_TYPE_V) return p->show_kv_type;
    if (c == C_N_BATCH) return p->show_batch;
    if (c == C_N_UBATCH) return p->show_ubatch;
    if (c == C_RTR) return p->show_repack;
    return true;
}

static void md_header(bench_printer *p) {
    fputc('|', p->f);
    for (int c = 0; c < C_COUNT; c++)
        if (md_shown(p, (md_col)c)) fprintf(p->f, " %*s |", MD[c].width, MD[c].title);
    fputs("\n|", p->f);
    for (int c = 0; c < C_COUNT; c++) {
        if (!md_shown(p, (md_col)c)) continue;
        int w = abs(MD[c].width);
        fputc(' ', p->f);
        for (int i = 0; i < w - 1; i++) fputc('-', p->f);
        fprintf(p->f, "%s |", MD[c].width > 0 ? ":" : "-");
    }
    fputc('\n', p->f);
}

static void md_row(bench_printer *p, const bench_model_info *mi, const bench_test *t) {
    fputc('|', p->f);
    double roof = bench_roofline_ts(t);
    for (int c = 0; c < C_COUNT; c++) {
        if (!md_shown(p, (md_col)c)) continue;
        char v[256];
        int w = MD[c].width;
        switch ((md_col)c) {
        case C_MODEL: snprintf(v, sizeof v, "%s", mi->model_type); break;
        case C_SIZE:
            if (mi->model_size < (1ull << 30)) snprintf(v, sizeof v, "%.2f MiB", mi->model_size / 1024.0 / 1024.0);
            else snprintf(v, sizeof v, "%.2f GiB", mi->model_size / 1024.0 / 1024.0 / 1024.0);
            break;
        case C_PARAMS:
            if (mi->n_params < 1000000000ull) snprintf(v, sizeof v, "%.2f M", mi->n_params / 1e6);
            else snprintf(v, sizeof v, "%.2f B", mi->n_params / 1e9);
            break;
        case C_BACKEND: snprintf(v, sizeof v, "CPU"); break;
        case C_THREADS: snprintf(v, sizeof v, "%d", t->n_threads); break;
        case C_TYPE_K: case C_TYPE_V: snprintf(v, sizeof v, "%s", kv_name(t->kv)); break;
        case C_N_BATCH: snprintf(v, sizeof v, "%d", t->n_batch); break;
        case C_N_UBATCH: snprintf(v, sizeof v, "%d", t->n_ubatch); break;
        case C_RTR: snprintf(v, sizeof v, "%d", t->repack); break;
        case C_TEST:
            if (t->n_prompt > 0) snprintf(v, sizeof v, "pp%d", t->n_prompt);
            else snprintf(v, sizeof v, "tg%d", t->n_gen);
            break;
        case C_TS:
            snprintf(v, sizeof v, "%.2f \xc2\xb1 %.2f", bench_avg_ts(t), bench_stddev_ts(t));
            w += 1; /* "±" is two bytes in UTF-8 (llama-bench pads the same way) */
            break;
        case C_ISA: snprintf(v, sizeof v, "%s", qlm_isa_name()); break;
        case C_BW:
            if (roof > 0) snprintf(v, sizeof v, "%.1f", t->bw_gbps); else snprintf(v, sizeof v, "-");
            break;
        case C_ROOF:
            if (roof > 0) snprintf(v, sizeof v, "%.2f", roof); else snprintf(v, sizeof v, "-");
            break;
        case C_PCT:
            if (roof > 0) snprintf(v, sizeof v, "%.0f%%", roof_pct(t)); else snprintf(v, sizeof v, "-");
            break;
        case C_COUNT: break;
        }
        fprintf(p->f, " %*s |", w, v);
    }
    fputc('\n', p->f);
}

/* ---- the printer ------------------------------------------------------------------------- */

void bench_print_header(bench_printer *p) {
    p->first = true;
    bench_cpu_info(p->cpu_info, sizeof p->cpu_info);
    if (p->fmt == BENCH_MD) md_header(p);
    else if (p->fmt == BENCH_JSON) fputs("[\n", p->f);
    else {
        for (int i = 0; i < N_FIELDS; i++) fprintf(p->f, "%s%s", i ? "," : "", FIELDS[i].name);
        fputc('\n', p->f);
    }
    fflush(p->f);
}

void bench_print_test(bench_printer *p, const bench_model_info *mi, const bench_test *t) {
    static value_buf v[N_FIELDS];
    get_values(p, mi, t, v);
    if (p->fmt == BENCH_MD) {
        md_row(p, mi, t);
    } else if (p->fmt == BENCH_CSV) {
        for (int i = 0; i < N_FIELDS; i++) {
            if (i) fputc(',', p->f);
            csv_quoted(p->f, v[i]);
        }
        fputc('\n', p->f);
    } else {
        if (!p->first) fputs(",\n", p->f);
        fputs("  {\n", p->f);
        for (int i = 0; i < N_FIELDS; i++) {
            fprintf(p->f, "    \"%s\": ", FIELDS[i].name);
            json_value(p->f, FIELDS[i].type, v[i]);
            fputs(",\n", p->f);
        }
        fputs("    \"samples_ns\": [ ", p->f);
        for (int i = 0; i < t->n_samples; i++)
            fprintf(p->f, "%s%llu", i ? ", " : "", (unsigned long long)t->samples_ns[i]);
        fputs(" ],\n    \"samples_ts\": [ ", p->f);
        /* llama-bench streams doubles with the default 6 significant digits */
        for (int i = 0; i < t->n_samples; i++) fprintf(p->f, "%s%g", i ? ", " : "", bench_sample_ts(t, i));
        fputs(" ]\n  }", p->f);
    }
    p->first = false;
    fflush(p->f);
}

void bench_print_footer(bench_printer *p) {
    if (p->fmt == BENCH_MD) fprintf(p->f, "\nbuild: %s (%d)\n", QLM_BUILD_COMMIT, QLM_BUILD_NUMBER);
    else if (p->fmt == BENCH_JSON) fputs("\n]\n", p->f);
    fflush(p->f);
}
