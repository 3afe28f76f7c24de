/* qlm: the command-line front end. Dispatches to one subcommand per file in cli/. */
#include "commands.h"
#include "qlm.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} command;

static const command COMMANDS[] = {
    {"run", cmd_run, "generate text from a prompt"},
    {"template", cmd_template, "render a chat template into a prompt (as transformers does)"},
    {"info", cmd_info, "print a GGUF file's metadata and tensor table"},
    {"logits", cmd_logits, "write the raw logits of a token sequence"},
    {"tokenize", cmd_tokenize, "print the token ids of a text"},
    {"convert", cmd_convert, "convert a Hugging Face checkpoint to GGUF"},
    {"chat", cmd_chat, "talk to a model in the terminal"},
    {"serve", cmd_serve, "OpenAI-compatible local HTTP server"},
    {"quantize", cmd_quantize, "convert a GGUF model's weights to another type"},
    {"synth", cmd_synth, "write a random-weight GGUF of a real model's shape"},
    {"bench", cmd_bench, "measure prompt and generation speed as llama-bench does"},
};

static void usage(FILE *f) {
    fprintf(f, "qlm %s: quantized LLM inference on the CPU\n\n"
               "usage: qlm COMMAND [options]   (qlm COMMAND --help for its options)\n\ncommands:\n",
            QLM_VERSION);
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(stderr); return 2; }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) { printf("qlm %s\n", QLM_VERSION); return 0; }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "qlm: unknown command '%s' (run 'qlm --help' for the list)\n", argv[1]);
    return 2;
}
