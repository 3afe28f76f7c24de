/* qlm serve: the OpenAI-compatible local server (server/). */
#include "args.h"
#include "commands.h"
#include "../server/server.h"

#include <stdio.h>
#include <string.h>

static const char *SERVE_USAGE =
    "usage: qlm serve -m FILE [options]\n"
    "\n"
    "An OpenAI-compatible HTTP server: POST /v1/chat/completions, POST /v1/completions\n"
    "(\"stream\": true for server-sent events), GET /v1/models, GET /health.\n"
    "\n"
    "  -m, --model FILE      GGUF model file (required)\n"
    "      --host ADDR       address to bind (default 127.0.0.1: this machine only)\n"
    "      --port N          TCP port (default 8080; 0 picks a free one)\n"
    "  -np, --parallel N     requests generated at once; others wait in order (default 1)\n"
    "  -c, --ctx N           total context, split evenly over the slots\n"
    "                        (default: the model's, at most 4096 per slot)\n"
    "  -t, --threads N       compute threads in all (default: physical cores)\n"
    "      --api-key KEY     require 'Authorization: Bearer KEY' on every request\n"
    "      --max-body BYTES  largest request body accepted (default 1048576)\n"
    "      --port-file PATH  write the bound port to PATH once listening\n"
    "      --no-mmap         read the model into memory (huge pages) instead of mapping it:\n"
    "                        faster generation, slower load\n"
    "      --repack          as --no-mmap, and weights rearranged for faster generation\n"
    "                        (qlm run --help)\n";

int cmd_serve(int argc, char **argv) {
    const char *cmd = "serve";
    server_config cfg = {.host = "127.0.0.1", .port = 8080, .parallel = 1};
    long long v64;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
#define VAL() do { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(SERVE_USAGE, stdout); return 0; }
        else if (!strcmp(a, "-m") || !strcmp(a, "--model")) { VAL(); cfg.model_path = v; }
        else if (!strcmp(a, "--host")) { VAL(); cfg.host = v; }
        else if (!strcmp(a, "--port")) { VAL(); if (!flag_int(cmd, a, v, 0, 65535, &v64)) return 2; cfg.port = (int)v64; }
        else if (!strcmp(a, "-np") || !strcmp(a, "--parallel")) { VAL(); if (!flag_int(cmd, a, v, 1, 256, &v64)) return 2; cfg.parallel = (int)v64; }
        else if (!strcmp(a, "-c") || !strcmp(a, "--ctx") || !strcmp(a, "--ctx-size")) { VAL(); if (!flag_int(cmd, a, v, 8, 1 << 24, &v64)) return 2; cfg.n_ctx = (int)v64; }
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) { VAL(); if (!flag_int(cmd, a, v, 1, 1024, &v64)) return 2; cfg.n_threads = (int)v64; }
        else if (!strcmp(a, "--api-key")) { VAL(); if (!*v || strlen(v) > 512) { cli_error(cmd, "--api-key must be 1 to 512 characters"); return 2; } cfg.api_key = v; }
        else if (!strcmp(a, "--max-body")) { VAL(); if (!flag_int(cmd, a, v, 1024, 1LL << 30, &v64)) return 2; cfg.max_body = (size_t)v64; }
        else if (!strcmp(a, "--port-file")) { VAL(); cfg.port_file = v; }
        else if (!strcmp(a, "--no-mmap")) cfg.no_mmap = true;
        else if (!strcmp(a, "--repack")) cfg.repack = true;
        else { cli_error(cmd, "unknown option '%s' (see qlm serve --help)", a); return 2; }
#undef VAL
    }
    if (!cfg.model_path) { cli_error(cmd, "no model given (use -m FILE)"); return 2; }
    return server_run(&cfg);
}
