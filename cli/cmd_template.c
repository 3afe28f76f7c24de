/* qlm template: render a chat template the way transformers' apply_chat_template does
 * and print the prompt exactly (no newline added). The template comes from a GGUF's
 * tokenizer.chat_template (-m) or from a file (--template).
 *
 * This command uses the internal template and GGUF headers (model/jinja.h,
 * model/gguf.h): qlm.h has no template API of its own. */
#include "args.h"
#include "commands.h"
#include "qlm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CMD "template"

static void usage(FILE *f) {
    fprintf(f,
            "usage: qlm template (-m MODEL.gguf | --template FILE.jinja) --messages FILE.json [options]\n"
            "\n"
            "Renders a chat template exactly as Hugging Face transformers' apply_chat_template\n"
            "does (Jinja2 with trim_blocks, lstrip_blocks, loop controls, tojson,\n"
            "raise_exception, strftime_now) and prints the prompt as is, with no newline added.\n"
            "\n"
            "  -m, --model FILE         take tokenizer.chat_template from a GGUF file\n"
            "  --template FILE          take the template from a text file\n"
            "  --messages FILE          a JSON array of messages, or a JSON object whose members\n"
            "                           are the template's variables (messages, tools, documents,\n"
            "                           ...); '-' reads standard input\n"
            "  --add-generation-prompt  set add_generation_prompt to true (default false)\n"
            "  --bos TEXT               bos_token (default: the model's BOS token with -m, else \"\")\n"
            "  --eos TEXT               eos_token (default: the model's EOS token with -m, else \"\")\n"
            "  --now 'YYYY-MM-DD[ HH:MM[:SS]]'  the time strftime_now() sees (default: now)\n"
            "  -h, --help               this help\n"
            "\n"
            "A variable set by a flag overrides the same member of a --messages object.\n"
            "Exit status: 0 rendered; 1 the template raised an error or a file could not be\n"
            "read; 2 bad usage.\n");
}

/* A whole file (or stdin for "-"), NUL-terminated. */
static char *read_all(const char *path, size_t *len, size_t max) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            if (cap > max) { free(buf); buf = NULL; errno = EFBIG; break; }
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) { free(buf); buf = NULL; }
            break;
        }
    }
    if (f != stdin) fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

/* "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "YYYY-MM-DDTHH:MM:SS" */
static bool parse_now(const char *s, struct tm *out) {
    int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3) return false;
    const char *rest = s + used;
    if (*rest == ' ' || *rest == 'T') {
        int u2 = 0;
        if (sscanf(rest + 1, "%2d:%2d%n", &h, &mi, &u2) != 2) return false;
        rest += 1 + u2;
        if (*rest == ':') {
            int u3 = 0;
            if (sscanf(rest + 1, "%2d%n", &sec, &u3) != 1) return false;
            rest += 1 + u3;
        }
    }
    if (*rest || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm); /* fills in the weekday and day of the year */
    if (!gmtime_r(&t, out) || out->tm_mday != d) return false;
    return true;
}

int cmd_template(int argc, char **argv) {
    const char *model = NULL, *tmpl_path = NULL, *msgs_path = NULL, *bos = NULL, *eos = NULL, *now_s = NULL;
    bool agp = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) { if (!(model = flag_value(CMD, argc, argv, &i))) return 2; }
        else if (!strcmp(a, "--template")) { if (!(tmpl_path = flag_value(CMD, argc, argv, &i))) return 2; }
        else if (!strcmp(a, "--messages")) { if (!(msgs_path = flag_value(CMD, argc, argv, &i))) return 2; }
        else if (!strcmp(a, "--bos")) { if (!(bos = flag_value(CMD, argc, argv, &i))) return 2; }
        else if (!strcmp(a, "--eos")) { if (!(eos = flag_value(CMD, argc, argv, &i))) return 2; }
        else if (!strcmp(a, "--now")) { if (!(now_s = flag_value(CMD, argc, argv, &i))) return 2; }
        else if (!strcmp(a, "--add-generation-prompt")) agp = true;
        else if (a[0] == '-' && a[1]) { cli_error(CMD, "unknown option '%s' (see qlm template --help)", a); return 2; }
        else { cli_error(CMD, "unexpected argument '%s' (see qlm template --help)", a); return 2; }
    }
    if (!model == !tmpl_path) {
        cli_error(CMD, "give exactly one of -m MODEL.gguf or --template FILE (see qlm template --help)");
        return 2;
    }
    if (!msgs_path) {
        cli_error(CMD, "--messages FILE.json is required (see qlm template --help)");
        return 2;
    }
    struct tm now;
    if (now_s && !parse_now(now_s, &now)) {
        cli_error(CMD, "bad value for --now: '%s' (expected YYYY-MM-DD or 'YYYY-MM-DD HH:MM[:SS]')", now_s);
        return 2;
    }

    int rc = 1;
    qlm_error err = {0};
    char *tsrc = NULL, *msrc = NULL, *out = NULL;
    size_t tlen = 0, mlen = 0, n = 0;
    if (tmpl_path && !(tsrc = read_all(tmpl_path, &tlen, 64u << 20))) {
        cli_error(CMD, "cannot read %s: %s", tmpl_path, strerror(errno));
        goto done;
    }
    if (!(msrc = read_all(msgs_path, &mlen, (size_t)1 << 30))) {
        cli_error(CMD, "cannot read %s: %s", msgs_path, strerror(errno));
        goto done;
    }
    qlm_template_params tp = {.template_text = tsrc, .template_len = tlen, .gguf_path = model,
                              .vars_json = msrc, .vars_len = mlen, .add_generation_prompt = agp,
                              .bos_token = bos, .eos_token = eos, .now = now_s ? &now : NULL};
    if (qlm_template_render(&tp, &out, &n, &err) != QLM_OK) {
        /* name the file whose text failed: the template, or the messages */
        const char *what = err.code == QLM_ERR_FORMAT && strstr(err.message, "JSON") ? msgs_path
                         : model ? model : tmpl_path;
        if (strncmp(err.message, what, strlen(what)) == 0) cli_error(CMD, "%s", err.message);
        else cli_error(CMD, "%s: %s", what, err.message);
        goto done;
    }
    if (fwrite(out, 1, n, stdout) != n || fflush(stdout) != 0) {
        cli_error(CMD, "cannot write the output: %s", strerror(errno));
        goto done;
    }
    rc = 0;
done:
    free(out);
    free(msrc);
    free(tsrc);
    return rc;
}
