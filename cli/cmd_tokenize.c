/* qlm tokenize: the token ids of a text, as the model's tokenizer produces them. */
#include "args.h"
#include "commands.h"
#include "qlm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *TOKENIZE_USAGE =
    "usage: qlm tokenize -m FILE (-p TEXT | -f FILE) [options]\n"
    "\n"
    "Print the token ids of a text on one line, separated by spaces. The text is taken\n"
    "literally (no escapes). Only the tokenizer is loaded, so a vocabulary-only GGUF works.\n"
    "\n"
    "  -m, --model FILE   GGUF file with tokenizer metadata (required)\n"
    "  -p, --prompt TEXT  the text\n"
    "  -f, --file FILE    read the text from a file (byte for byte)\n"
    "      --no-bos       do not add BOS (by default it is added when the vocabulary says so)\n"
    "      --special      text like <|im_start|> or <s> becomes its special token\n"
    "      --pieces       one token per line: its id and its text\n"
    "  -h, --help         this text\n";


/* A piece in single quotes: printable UTF-8 as is, control bytes and bytes that are not
 * part of a valid UTF-8 sequence escaped, so the line is unambiguous. */
static void print_piece(const unsigned char *s, int n) {
    putchar('\'');
    for (int i = 0; i < n;) {
        unsigned char c = s[i];
        int len = c < 0x80 ? 1 : c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
        bool ok = len > 0 && i + len <= n && !(c >= 0xF8);
        for (int j = 1; ok && j < len; j++) ok = (s[i + j] & 0xC0) == 0x80;
        if (!ok) { printf("\\x%02x", c); i++; continue; }
        if (len > 1) { fwrite(s + i, 1, (size_t)len, stdout); i += len; continue; }
        if (c == '\n') fputs("\\n", stdout);
        else if (c == '\t') fputs("\\t", stdout);
        else if (c == '\r') fputs("\\r", stdout);
        else if (c == '\\' || c == '\'') printf("\\%c", c);
        else if (c < 0x20 || c == 0x7F) printf("\\x%02x", c);
        else putchar(c);
        i++;
    }
    putchar('\'');
}

int cmd_tokenize(int argc, char **argv) {
    const char *cmd = "tokenize";
    const char *model = NULL, *prompt = NULL, *file = NULL;
    bool no_bos = false, special = false, pieces = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(TOKENIZE_USAGE, stdout); return 0; }
        else if (!strcmp(a, "-m") || !strcmp(a, "--model")) { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; model = v; }
        else if (!strcmp(a, "-p") || !strcmp(a, "--prompt")) { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; prompt = v; }
        else if (!strcmp(a, "-f") || !strcmp(a, "--file")) { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; file = v; }
        else if (!strcmp(a, "--no-bos")) no_bos = true;
        else if (!strcmp(a, "--special")) special = true;
        else if (!strcmp(a, "--pieces")) pieces = true;
        else { cli_error(cmd, "unknown option '%s' (see qlm tokenize --help)", a); return 2; }
    }
    if (!model) { cli_error(cmd, "no model given (use -m FILE; see qlm tokenize --help)"); return 2; }
    if (prompt && file) { cli_error(cmd, "give either -p or -f, not both"); return 2; }
    if (!prompt && !file) { cli_error(cmd, "no text given (use -p TEXT or -f FILE)"); return 2; }

    size_t len = prompt ? strlen(prompt) : 0;
    char *buf = NULL;
    if (file && !(buf = read_whole_file(file, &len))) {
        cli_error(cmd, "cannot read '%s'", file);
        return 1;
    }
    const char *text = buf ? buf : prompt;

    qlm_error err = {0};
    qlm_model *m = NULL;
    qlm_model_params mp = {.vocab_only = true};
    if (qlm_model_load(model, &mp, &m, &err) != QLM_OK) {
        cli_error(cmd, "%s", err.message);
        free(buf);
        return 1;
    }
    unsigned flags = (no_bos ? 0 : QLM_TOK_ADD_BOS) | (special ? QLM_TOK_PARSE_SPECIAL : 0);
    int rc = 1;
    int32_t *ids = NULL;
    int n = qlm_tokenize(m, text, len, flags, NULL, 0, &err);
    if (n < 0) { cli_error(cmd, "%s", err.message); goto done; }
    ids = malloc(((size_t)n + 1) * sizeof *ids);
    if (!ids) { cli_error(cmd, "out of memory for %d tokens", n); goto done; }
    if (qlm_tokenize(m, text, len, flags, ids, n, &err) != n) { cli_error(cmd, "%s", err.message); goto done; }
    if (pieces) {
        char small[256];
        for (int i = 0; i < n; i++) {
            int k = qlm_token_bytes(m, ids[i], true, small, sizeof small);
            char *p = small;
            if (k > (int)sizeof small && (p = malloc((size_t)k))) qlm_token_bytes(m, ids[i], true, p, k);
            printf("%d\t", ids[i]);
            print_piece((const unsigned char *)(p ? p : ""), p ? k : 0);
            putchar('\n');
            if (p != small) free(p);
        }
    } else {
        for (int i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
        putchar('\n');
    }
    rc = fflush(stdout) ? 1 : 0;
done:
    free(ids);
    free(buf);
    qlm_model_free(m);
    return rc;
}
