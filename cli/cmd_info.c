/* qlm info: a GGUF file's architecture, hyperparameters, tokenizer summary, metadata
 * and tensor table. Works on any valid GGUF, also one qlm cannot run. */
#include "args.h"
#include "commands.h"
#include "qlm.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *INFO_USAGE =
    "usage: qlm info FILE [--no-tensors]\n"
    "\n"
    "Print a GGUF file's architecture, hyperparameters, tokenizer summary, all metadata\n"
    "and the tensor table (name, type, shape, bytes) with totals.\n";

static void human_bytes(uint64_t b, char *buf, size_t cap) {
    if (b >= (1ull << 30)) snprintf(buf, cap, "%.2f GiB", b / 1073741824.0);
    else if (b >= (1ull << 20)) snprintf(buf, cap, "%.2f MiB", b / 1048576.0);
    else if (b >= 1024) snprintf(buf, cap, "%.2f KiB", b / 1024.0);
    else snprintf(buf, cap, "%" PRIu64 " B", b);
}

int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    bool tensors = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) { fputs(INFO_USAGE, stdout); return 0; }
        else if (!strcmp(argv[i], "--no-tensors")) tensors = false;
        else if (argv[i][0] == '-' && argv[i][1]) { cli_error("info", "unknown option '%s'", argv[i]); return 2; }
        else if (path) { cli_error("info", "one file at a time"); return 2; }
        else path = argv[i];
    }
    if (!path) { fputs(INFO_USAGE, stderr); return 2; }
    qlm_error err = {0};
    qlm_gguf *g = NULL;
    if (qlm_gguf_open(path, &g, &err) != QLM_OK) {
        fprintf(stderr, "qlm info: %s\n", err.message);
        return 1;
    }
    char hb[64], val[512];
    human_bytes(qlm_gguf_file_size(g), hb, sizeof hb);
    printf("file:        %s (GGUF v%u, %s)\n", path, qlm_gguf_version(g), hb);

    /* a model summary when qlm can load it; a reason when it cannot */
    qlm_model *m = NULL;
    qlm_model_params mp = {0};
    if (qlm_model_load(path, &mp, &m, &err) == QLM_OK) {
        qlm_model_desc d;
        qlm_model_describe(m, &d);
        printf("model:       %s%s%s%s\n", d.arch, d.name[0] ? " \"" : "", d.name, d.name[0] ? "\"" : "");
        printf("params:      %.2f M (%s weights mostly)\n", d.n_params / 1e6, d.file_type);
        printf("shape:       n_embd %d, n_layer %d, n_head %d, n_head_kv %d, head_dim %d, n_ff %d, n_vocab %d\n",
               d.n_embd, d.n_layer, d.n_head, d.n_head_kv, d.head_dim, d.n_ff, d.n_vocab);
        printf("context:     %d (training), rope theta %g, norm eps %g\n", d.n_ctx_train, d.rope_theta, d.norm_eps);
        printf("tokenizer:   %s, BOS %d, EOS %d, add BOS %s\n", d.tokenizer, d.bos, d.eos, d.add_bos ? "yes" : "no");
        qlm_model_free(m);
    } else {
        printf("model:       not runnable by qlm: %s\n", err.message);
    }

    int64_t n_kv = qlm_gguf_n_kv(g);
    printf("\nmetadata (%" PRId64 " keys):\n", n_kv);
    for (int64_t i = 0; i < n_kv; i++)
        printf("  %-44s %s\n", qlm_gguf_key(g, i), qlm_gguf_value_str(g, i, val, sizeof val));

    int64_t n_t = qlm_gguf_n_tensors(g);
    uint64_t total_bytes = 0, total_elems = 0;
    if (tensors) printf("\ntensors (%" PRId64 "):\n  %-36s %-7s %-28s %12s\n", n_t, "name", "type", "shape", "bytes");
    for (int64_t i = 0; i < n_t; i++) {
        qlm_tensor_desc t;
        qlm_gguf_tensor(g, i, &t);
        uint64_t elems = 1;
        char shape[96];
        size_t k = 0;
        shape[0] = 0;
        for (int d = 0; d < t.n_dims; d++) {
            elems *= (uint64_t)t.ne[d];
            k += (size_t)snprintf(shape + k, sizeof shape - k, d ? " x %" PRId64 : "%" PRId64, t.ne[d]);
            if (k >= sizeof shape) k = sizeof shape - 1;
        }
        total_bytes += t.nbytes;
        total_elems += elems;
        if (tensors) printf("  %-36s %-7s %-28s %12" PRIu64 "\n", t.name, t.type_name, shape, t.nbytes);
    }
    human_bytes(total_bytes, hb, sizeof hb);
    printf("\ntotal: %" PRId64 " tensors, %" PRIu64 " elements, %" PRIu64 " bytes (%s)\n", n_t, total_elems, total_bytes, hb);
    qlm_gguf_close(g);
    return 0;
}
