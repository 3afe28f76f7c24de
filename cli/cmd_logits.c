/* qlm logits: raw float32 logits of a token sequence, for comparing with references.
 * Row i of the output holds the logits after feeding token i at position i. */
#include "args.h"
#include "commands.h"
#include "model_load.h"
#include "qlm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *LOGITS_USAGE =
    "usage: qlm logits -m FILE --tokens ID,ID,... -o OUT.f32 [options]\n"
    "\n"
    "Run the causal forward pass over the given token ids as one batch and write the\n"
    "logits, little-endian float32 [n_tokens][n_vocab], to OUT (written to a temporary\n"
    "file and renamed when complete).\n"
    "\n"
    "  -m, --model FILE     GGUF model file\n"
    "      --tokens LIST    comma- or space-separated token ids\n"
    "  -o, --output FILE    where to write the logits\n"
    "      --kv f16|f32     KV cache element type (default f16)\n"
    "  -t, --threads N      threads (default: physical cores)\n"
    "  -b, --batch N        tokens per forward batch (default 512)\n"
    "      --no-mmap        read the model into memory instead of mapping it\n"
    "      --repack         as --no-mmap, and weights rearranged (qlm run --help)\n"
    "  -h, --help           this text\n";

/* Parse "1,403,407" (commas or spaces); returns count or -1 on a bad id. */
static int parse_tokens(const char *s, int32_t **out) {
    size_t cap = 64, n = 0;
    int32_t *t = malloc(cap * sizeof *t);
    if (!t) return -1;
    const char *p = s;
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT32_MAX || (*end && *end != ',' && *end != ' ' && *end != '\t' && *end != '\n')) {
            free(t);
            return -1;
        }
        if (n == cap) {
            int32_t *nt = realloc(t, (cap *= 2) * sizeof *t);
            if (!nt) { free(t); return -1; }
            t = nt;
        }
        t[n++] = (int32_t)v;
        p = end;
    }
    *out = t;
    return (int)n;
}

int cmd_logits(int argc, char **argv) {
    const char *cmd = "logits", *model_path = NULL, *tokens_arg = NULL, *out_path = NULL;
    long long threads = 0, batch = 0;
    qlm_kv_type kv = QLM_KV_F16;
    bool no_mmap = false;
    bool repack = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
#define VAL() do { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(LOGITS_USAGE, stdout); return 0; }
        else if (!strcmp(a, "-m") || !strcmp(a, "--model")) { VAL(); model_path = v; }
        else if (!strcmp(a, "--tokens")) { VAL(); tokens_arg = v; }
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) { VAL(); out_path = v; }
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) { VAL(); if (!flag_int(cmd, a, v, 1, 1024, &threads)) return 2; }
        else if (!strcmp(a, "--no-mmap")) no_mmap = true;
        else if (!strcmp(a, "--repack")) repack = true;
        else if (!strcmp(a, "-b") || !strcmp(a, "--batch")) { VAL(); if (!flag_int(cmd, a, v, 1, 65536, &batch)) return 2; }
        else if (!strcmp(a, "--kv")) {
            VAL();
            if (!strcmp(v, "f16")) kv = QLM_KV_F16;
            else if (!strcmp(v, "f32")) kv = QLM_KV_F32;
            else { cli_error(cmd, "bad value for --kv: '%s' (expected f16 or f32)", v); return 2; }
        }
        else { cli_error(cmd, "unknown option '%s' (see qlm logits --help)", a); return 2; }
#undef VAL
    }
    if (!model_path || !tokens_arg || !out_path) {
        cli_error(cmd, "-m, --tokens and -o are required (see qlm logits --help)");
        return 2;
    }
    int32_t *toks = NULL;
    int n = parse_tokens(tokens_arg, &toks);
    if (n <= 0) {
        cli_error(cmd, "bad --tokens: expected a comma-separated list of non-negative ids");
        free(toks);
        return 2;
    }
    qlm_error err = {0};
    qlm_model *m = NULL;
    qlm_context *c = NULL;
    int status = 1;
    char tmp[4096] = "";
    FILE *f = NULL;
    if (cli_model_load(model_path, no_mmap, repack, &m, &err) != QLM_OK) goto fail;
    qlm_context_params cp = qlm_context_default_params();
    cp.kv_type = kv;
    cp.n_threads = (int)threads;
    cp.n_batch = (int)batch;
    qlm_model_desc md;
    qlm_model_describe(m, &md);
    cp.n_ctx = n; /* exactly what the sequence needs */
    if (qlm_context_new(m, &cp, &c, &err) != QLM_OK) goto fail;
    if (qlm_eval(c, toks, n, true, &err) != QLM_OK) goto fail;
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", out_path, (int)getpid());
    f = fopen(tmp, "wb");
    if (!f) { cli_error(cmd, "cannot write '%s': %s", tmp, strerror(errno)); goto cleanup; }
    for (int i = 0; i < n; i++) {
        /* the host is little-endian on every platform qlm targets; fwrite as is */
        if (fwrite(qlm_logits(c, i), sizeof(float), (size_t)md.n_vocab, f) != (size_t)md.n_vocab) {
            cli_error(cmd, "write error on '%s': %s", tmp, strerror(errno));
            goto cleanup;
        }
    }
    if (fclose(f) != 0) { f = NULL; cli_error(cmd, "write error on '%s'", tmp); goto cleanup; }
    f = NULL;
    if (rename(tmp, out_path) != 0) { cli_error(cmd, "cannot rename to '%s': %s", out_path, strerror(errno)); goto cleanup; }
    tmp[0] = 0;
    status = 0;
    goto cleanup;
fail:
    cli_error(cmd, "%s", err.message);
cleanup:
    if (f) fclose(f);
    if (status != 0 && tmp[0]) remove(tmp);
    qlm_context_free(c);
    qlm_model_free(m);
    free(toks);
    return status;
}
