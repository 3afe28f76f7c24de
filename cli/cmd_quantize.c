/* qlm quantize: convert a GGUF model's weights to another type (qlm_quantize_file). */
#include "args.h"
#include "commands.h"
#include "qlm.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *QUANTIZE_USAGE =
    "usage: qlm quantize IN.gguf OUT.gguf TYPE [options]\n"
    "\n"
    "Write OUT with the weight matrices of IN converted to TYPE, choosing each tensor's\n"
    "type as llama.cpp's llama-quantize does (norms and biases stay F32; output.weight\n"
    "and some attn_v/ffn_down layers get more bits in the K mixes). IN is never modified;\n"
    "OUT appears only when complete.\n"
    "\n"
    "TYPE: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q6_K,\n"
    "      Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M (Q4_K and Q5_K mean Q4_K_M and Q5_K_M)\n"
    "\n"
    "  -t, --threads N         threads (default: physical cores)\n"
    "      --pure              every weight matrix gets TYPE itself, no per-tensor mix\n"
    "      --output-type T     tensor type of output.weight (e.g. Q8_0, F16)\n"
    "      --embd-type T       tensor type of token_embd.weight\n"
    "      --allow-requantize  also convert tensors that are already quantized\n"
    "  -h, --help              this text\n";

typedef struct {
    bool tty;
    int last_permille;
    int64_t last_tensor;
    qlm_quantize_progress last;
} bar_state;

static void on_progress(const qlm_quantize_progress *p, void *user) {
    bar_state *b = user;
    b->last = *p;
    if (!b->tty) return;
    int permille = p->bytes_in_total ? (int)(p->bytes_in_done * 1000 / p->bytes_in_total) : 1000;
    if (permille == b->last_permille && p->tensor == b->last_tensor) return;
    b->last_permille = permille;
    b->last_tensor = p->tensor;
    enum { WIDTH = 30 };
    char bar[WIDTH + 1];
    int fill = permille * WIDTH / 1000;
    for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = 0;
    fprintf(stderr, "\r\033[K[%s] %5.1f%%  %lld/%lld %.32s %s -> %s", bar, permille / 10.0,
            (long long)p->tensor + 1, (long long)p->n_tensors, p->name, p->type_in, p->type_out);
    fflush(stderr);
}

static void human(uint64_t b, char *buf, size_t cap) {
    if (b >= (1ull << 30)) snprintf(buf, cap, "%.2f GiB", b / 1073741824.0);
    else snprintf(buf, cap, "%.2f MiB", b / 1048576.0);
}

int cmd_quantize(int argc, char **argv) {
    const char *cmd = "quantize", *pos[3] = {0};
    int n_pos = 0;
    long long threads = 0;
    qlm_quantize_params p = qlm_quantize_default_params();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
#define VAL() do { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(QUANTIZE_USAGE, stdout); return 0; }
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) { VAL(); if (!flag_int(cmd, a, v, 1, 512, &threads)) return 2; }
        else if (!strcmp(a, "--pure")) p.pure = true;
        else if (!strcmp(a, "--allow-requantize")) p.allow_requantize = true;
        else if (!strcmp(a, "--output-type")) { VAL(); p.output_type = v; }
        else if (!strcmp(a, "--embd-type")) { VAL(); p.embd_type = v; }
        else if (a[0] == '-' && a[1]) { cli_error(cmd, "unknown option '%s' (see qlm quantize --help)", a); return 2; }
        else if (n_pos == 3) { cli_error(cmd, "unexpected argument '%s' (usage: qlm quantize IN OUT TYPE)", a); return 2; }
        else pos[n_pos++] = a;
#undef VAL
    }
    if (n_pos < 3) {
        cli_error(cmd, "IN, OUT and TYPE are required (see qlm quantize --help)");
        return 2;
    }
    p.type = pos[2];
    p.n_threads = (int)threads;
    bar_state bar = {.tty = isatty(2) == 1, .last_permille = -1, .last_tensor = -1};
    p.progress = on_progress;
    p.progress_user = &bar;

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    qlm_error err = {0};
    qlm_status rc = qlm_quantize_file(pos[0], pos[1], &p, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (bar.tty && bar.last_tensor >= 0) fputs("\r\033[K", stderr);
    if (rc != QLM_OK) {
        cli_error(cmd, "%s", err.message);
        return rc == QLM_ERR_INVALID_ARG ? 2 : 1;
    }
    char in_b[32], out_b[32];
    human(bar.last.bytes_in_total, in_b, sizeof in_b);
    human(bar.last.bytes_out_done, out_b, sizeof out_b);
    printf("%s -> %s: %s, %lld tensors, %s -> %s, %.2f s\n", pos[0], pos[1], p.type,
           (long long)bar.last.n_tensors, in_b, out_b,
           (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
