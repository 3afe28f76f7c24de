/* qlm synth: a random-weight GGUF with the shape of a real model, for benchmarks. */
#include "args.h"
#include "commands.h"
#include "progress.h"
#include "qlm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: qlm synth (--shape NAME | --dims D,L,H,KV,FF,V,CTX) -o OUT.gguf [--type T]\n"
        "                 [--seed S] [--pure] [--name NAME] [-t N]\n"
        "\n"
        "Write a GGUF with random weights and the shape, metadata and (synthetic\n"
        "SentencePiece) tokenizer of a real model, to benchmark without downloads. The\n"
        "file also loads in llama.cpp. Speed figures on it equal those on trained\n"
        "weights of the same shape and type; its output text is noise.\n"
        "\n"
        "  --shape NAME     %s\n"
        "  --dims LIST      a llama-architecture model: dim,layers,heads,kv-heads,ffn,vocab,ctx\n"
        "                   (vocab >= 260), e.g. 2048,22,32,4,5632,32000,2048\n"
        "  -o, --output F   the GGUF to write (temp file, renamed when complete)\n"
        "  --type T         %s (default F16).\n"
        "                   Quantized types put the output head in Q6_K as llama-quantize\n"
        "                   does; the _M mixes also some attn_v/ffn_down layers\n"
        "  --pure           every weight matrix in T (rows T cannot hold still fall back)\n"
        "  --seed S         random seed (default 1); the same seed gives the same file\n"
        "  --name NAME      general.name (default synth-SHAPE)\n"
        "  -t, --threads N  threads for quantizing (default: physical cores)\n",
        qlm_synth_shape_names(), qlm_synth_type_names());
}

/* "a,b,c,..." -> exactly n integers in [1, hi]. */
static bool parse_dims(const char *s, long long *out, int n, long long hi) {
    char buf[256];
    if (strlen(s) >= sizeof buf) return false;
    strcpy(buf, s);
    int k = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (k == n || !parse_int(tok, 1, hi, &out[k])) return false;
        k++;
    }
    /* strtok skips empty fields: reject "1,,2" and trailing commas by counting commas */
    int commas = 0;
    for (const char *c = s; *c; c++) commas += *c == ',';
    return k == n && commas == n - 1;
}

int cmd_synth(int argc, char **argv) {
    const char *cmd = "synth", *shape = NULL, *dims = NULL, *out = NULL, *type = "F16", *name = NULL;
    long long threads = 0;
    uint64_t seed = 1;
    bool pure = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--shape")) { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; shape = v; }
        else if (!strcmp(a, "--dims")) { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; dims = v; }
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; out = v; }
        else if (!strcmp(a, "--type")) { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; type = v; }
        else if (!strcmp(a, "--name")) { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; name = v; }
        else if (!strcmp(a, "--pure")) pure = true;
        else if (!strcmp(a, "--seed")) {
            if (!(v = flag_value(cmd, argc, argv, &i))) return 2;
            if (!parse_u64(v, &seed)) { cli_error(cmd, "bad value for --seed: '%s' (expected an unsigned integer)", v); return 2; }
        }
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
            if (!(v = flag_value(cmd, argc, argv, &i)) || !flag_int(cmd, a, v, 1, 1024, &threads)) return 2;
        }
        else { cli_error(cmd, "unexpected argument '%s' (see qlm synth --help)", a); return 2; }
    }
    if (!shape == !dims) { cli_error(cmd, "give one of --shape NAME or --dims LIST (see qlm synth --help)"); return 2; }
    if (!out) { cli_error(cmd, "need -o OUT.gguf"); return 2; }

    qlm_error err = {0};
    qlm_synth_params p;
    if (shape) {
        if (qlm_synth_shape(shape, &p, &err)) { cli_error(cmd, "%s", err.message); return 2; }
    } else {
        long long d[7];
        if (!parse_dims(dims, d, 7, 1 << 24)) {
            cli_error(cmd, "bad value for --dims: '%s' (expected 7 positive integers: dim,layers,heads,kv-heads,ffn,vocab,ctx)", dims);
            return 2;
        }
        /* llama defaults; only the shape comes from the list */
        qlm_synth_shape("tinyllama-1.1b", &p, NULL);
        p.name = "synth-llama";
        p.n_embd = (int)d[0]; p.n_layer = (int)d[1]; p.n_head = (int)d[2]; p.n_head_kv = (int)d[3];
        p.n_ff = (int)d[4]; p.n_vocab = (int)d[5]; p.n_ctx = (int)d[6];
    }
    p.type = type;
    p.pure = pure;
    p.seed = seed;
    p.n_threads = (int)threads;
    if (name) p.name = name;
    /* check everything before any work: a bad shape or type is a usage error */
    int n = qlm_synth_plan(&p, NULL, 0, &err);
    if (n < 0) { cli_error(cmd, "%s", err.message); return 2; }

    cli_progress prog;
    cli_progress_init(&prog, "synth");
    p.progress = cli_progress_cb;
    p.progress_data = &prog;
    qlm_status rc = qlm_synth(&p, out, &err);
    cli_progress_end(&prog);
    if (rc != QLM_OK) {
        cli_error(cmd, "%s", err.message);
        return rc == QLM_ERR_INVALID_ARG ? 2 : 1;
    }
    fprintf(stderr, "qlm synth: wrote %s (%s, %s, %d tensors)\n", out, p.name, type, n);
    return 0;
}
