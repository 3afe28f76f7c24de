/* Model and machine descriptions for the bench tables, in llama-bench's terms. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

/* llama.cpp's llama_model_ftype_name for the general.file_type values (LLAMA_FTYPE_*). */
static const char *ftype_name(long ft) {
    switch (ft) {
    case 0: return "all F32";
    case 1: return "F16";
    case 2: return "Q4_0";
    case 3: return "Q4_1";
    case 7: return "Q8_0";
    case 8: return "Q5_0";
    case 9: return "Q5_1";
    case 10: return "Q2_K - Medium";
    case 11: return "Q3_K - Small";
    case 12: return "Q3_K - Medium";
    case 13: return "Q3_K - Large";
    case 14: return "Q4_K - Small";
    case 15: return "Q4_K - Medium";
    case 16: return "Q5_K - Small";
    case 17: return "Q5_K - Medium";
    case 18: return "Q6_K";
    case 21: return "Q2_K - Small";
    case 25: return "IQ4_NL - 4.5 bpw";
    case 32: return "BF16";
    case 36: return "TQ1_0 - 1.69 bpw ternary";
    case 37: return "TQ2_0 - 2.06 bpw ternary";
    default: return NULL;
    }
}

/* llama.cpp names a model's size class per architecture and layer count ("1B", "7B");
 * qlm approximates it from the parameter count: "1B" for 1.10e9, "0.5B" for 4.9e8. */
static void size_label(uint64_t n_params, char *buf, size_t cap) {
    double p = (double)n_params;
    if (p >= 1e9) snprintf(buf, cap, "%.0fB", p / 1e9);
    else if (p >= 1e8) snprintf(buf, cap, "%.1fB", p / 1e9);
    else if (p >= 1e6) snprintf(buf, cap, "%.0fM", p / 1e6);
    else snprintf(buf, cap, "?B");
}

/* general.file_type through the public inspection API; -1 when absent. */
static long file_type_of(const char *path) {
    qlm_gguf *g = NULL;
    if (qlm_gguf_open(path, &g, NULL) != QLM_OK) return -1;
    long ft = -1;
    for (int64_t i = 0; i < qlm_gguf_n_kv(g); i++) {
        if (strcmp(qlm_gguf_key(g, i), "general.file_type")) continue;
        char buf[64], *end;
        qlm_gguf_value_str(g, i, buf, sizeof buf);
        long v = strtol(buf, &end, 10);
        if (end != buf && *end == 0 && v >= 0) ft = v;
    }
    qlm_gguf_close(g);
    return ft;
}

qlm_status bench_model_info_get(const char *path, const qlm_model *m, bench_model_info *out, qlm_error *err) {
    (void)err;
    memset(out, 0, sizeof *out);
    qlm_model_desc d;
    qlm_model_describe(m, &d);
    out->model_size = d.weights_bytes;
    out->n_params = (uint64_t)d.n_params;
    out->bytes_per_token = qlm_model_weight_bytes_per_token(m);
    char size[32];
    size_label(out->n_params, size, sizeof size);
    const char *ft = ftype_name(file_type_of(path));
    if (ft) {
        snprintf(out->model_type, sizeof out->model_type, "%s %s %s", d.arch, size, ft);
    } else {
        /* as llama.cpp does without general.file_type: the dominant type, "guessed" */
        const char *dom = strcmp(d.file_type, "F32") ? d.file_type : "all F32";
        snprintf(out->model_type, sizeof out->model_type, "%s %s %s (guessed)", d.arch, size, dom);
    }
    return QLM_OK;
}

void bench_cpu_info(char *buf, size_t cap) {
    snprintf(buf, cap, "CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10)) continue;
        char *v = strchr(line, ':');
        if (!v) continue;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        size_t n = strcspn(v, "\r\n");
        if (n) snprintf(buf, cap, "%.*s", (int)n, v);
        break;
    }
    fclose(f);
}
