/* qlm convert: a Hugging Face checkpoint folder to GGUF. */
#include "args.h"
#include "commands.h"
#include "progress.h"
#include "qlm.h"

#include <stdio.h>
#include <string.h>

static const char *CONVERT_USAGE =
    "usage: qlm convert HF_DIR -o OUT.gguf [--outtype TYPE] [-t N] [--vocab-only]\n"
    "\n"
    "Convert a Hugging Face checkpoint (config.json, model.safetensors or sharded\n"
    "model-0000N-of-0000M.safetensors with model.safetensors.index.json; F32/F16/BF16)\n"
    "to a GGUF file with llama.cpp's names and layout. Architectures: llama, mistral,\n"
    "qwen2, qwen3, gemma3 (text), phi3, gpt2. The folder's tokenizer (tokenizer.json, or\n"
    "tokenizer.model, with tokenizer_config.json) becomes the file's vocabulary and chat\n"
    "template when present.\n"
    "\n"
    "  -o, --output FILE   the GGUF to write (written to a temp file, renamed when done)\n"
    "      --outtype T     f32, f16 (default), bf16, q8_0, q4_0, q4_1, q5_0, q5_1,\n"
    "                      q4_k, q5_k, q6_k (1-D tensors stay f32; matrices whose rows\n"
    "                      do not fit the type's blocks fall back to f16)\n"
    "  -t, --threads N     threads for quantizing (default: physical cores)\n"
    "      --vocab-only    write only the vocabulary (no tensors): needs just the\n"
    "                      tokenizer files; config.json is optional\n";

int cmd_convert(int argc, char **argv) {
    const char *cmd = "convert", *dir = NULL, *out = NULL, *type = "f16";
    long long threads = 0;
    bool vocab_only = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(CONVERT_USAGE, stdout); return 0; }
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; out = v; }
        else if (!strcmp(a, "--vocab-only")) vocab_only = true;
        else if (!strcmp(a, "--outtype")) { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; type = v; }
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
            if (!(v = flag_value(cmd, argc, argv, &i)) || !flag_int(cmd, a, v, 1, 1024, &threads)) return 2;
        }
        else if (a[0] == '-' && a[1]) { cli_error(cmd, "unknown option '%s' (see qlm convert --help)", a); return 2; }
        else if (dir) { cli_error(cmd, "one input folder at a time"); return 2; }
        else dir = a;
    }
    if (!dir || !out) { cli_error(cmd, "need HF_DIR and -o OUT.gguf (see qlm convert --help)"); return 2; }
    cli_progress prog;
    cli_progress_init(&prog, "convert");
    qlm_convert_params p = {.out_type = type, .n_threads = (int)threads, .progress = cli_progress_cb, .progress_data = &prog,
                            .vocab_only = vocab_only};
    qlm_error err = {0};
    qlm_status rc = qlm_convert_hf(dir, out, &p, &err);
    cli_progress_end(&prog);
    if (rc != QLM_OK) {
        cli_error(cmd, "%s", err.message);
        return rc == QLM_ERR_INVALID_ARG ? 2 : 1;
    }
    fprintf(stderr, "qlm convert: wrote %s\n", out);
    return 0;
}
