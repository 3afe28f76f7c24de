/* qlm chat: a multi-turn conversation in the terminal with the model's chat template.
 * Answers stream token by token; Ctrl-C stops the current answer (not the program);
 * /reset forgets the conversation, /quit (or Ctrl-D) leaves. When the conversation
 * outgrows the context window the oldest turns are dropped (the system prompt stays). */
#include "args.h"
#include "commands.h"
#include "model_load.h"
#include "qlm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *CHAT_USAGE =
    "usage: qlm chat -m FILE [options]\n"
    "\n"
    "Talk to a model in the terminal. Ctrl-C stops the current answer; /reset starts a\n"
    "new conversation; /quit or Ctrl-D leaves.\n"
    "\n"
    "  -m, --model FILE     GGUF model file (required)\n"
    "      --system TEXT    system prompt\n"
    "  -n, --n-predict N    longest answer in tokens (default 1024)\n"
    "      --temp T         temperature (default 0.8); --top-k, --top-p, --min-p,\n"
    "                       --repeat-penalty, --seed as in qlm run\n"
    "  -c, --ctx-size N     context window (default: the model's, at most 4096)\n"
    "  -t, --threads N      threads (default: physical cores)\n"
    "      --no-mmap        read the model into memory (huge pages) instead of mapping it:\n"
    "                       faster generation, slower load, no sharing between processes\n"
    "      --repack         as --no-mmap, and weights rearranged for faster generation\n"
    "                       (qlm run --help)\n";

static volatile sig_atomic_t g_interrupt;
static void on_sigint(int sig) { (void)sig; g_interrupt = 1; }

typedef struct {
    char *role;
    char *content;
} turn;

typedef struct {
    turn *t;
    int n, cap;
} history;

static bool hist_add(history *h, const char *role, const char *content) {
    if (h->n == h->cap) {
        int cap = h->cap ? h->cap * 2 : 16;
        turn *nt = realloc(h->t, (size_t)cap * sizeof *nt);
        if (!nt) return false;
        h->t = nt;
        h->cap = cap;
    }
    h->t[h->n].role = strdup(role);
    h->t[h->n].content = strdup(content);
    if (!h->t[h->n].role || !h->t[h->n].content) return false;
    h->n++;
    return true;
}

static void hist_drop(history *h, int i) {
    free(h->t[i].role);
    free(h->t[i].content);
    memmove(h->t + i, h->t + i + 1, (size_t)(h->n - i - 1) * sizeof *h->t);
    h->n--;
}

/* A growable string, enough to write the messages JSON. */
typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + n + 1) cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) { b->oom = true; return; }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_puts(strbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* s as a JSON string literal (the chat template sees the exact text). */
static void sb_json_str(strbuf *b, const char *s) {
    sb_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') { esc[0] = '\\'; esc[1] = (char)*p; sb_put(b, esc, 2); }
        else if (*p == '\n') sb_puts(b, "\\n");
        else if (*p < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", *p); sb_puts(b, esc); }
        else sb_put(b, (const char *)p, 1);
    }
    sb_puts(b, "\"");
}

/* The conversation as a JSON array of {"role", "content"} messages. */
static char *hist_json(const history *h, size_t *len) {
    strbuf b = {0};
    sb_puts(&b, "[");
    for (int i = 0; i < h->n; i++) {
        sb_puts(&b, i ? ",{\"role\":" : "{\"role\":");
        sb_json_str(&b, h->t[i].role);
        sb_puts(&b, ",\"content\":");
        sb_json_str(&b, h->t[i].content);
        sb_puts(&b, "}");
    }
    sb_puts(&b, "]");
    if (b.oom) { free(b.p); return NULL; }
    *len = b.len;
    return b.p;
}

static void hist_free(history *h) {
    while (h->n) hist_drop(h, h->n - 1);
    free(h->t);
}

/* Render the history with the chat template and tokenize it (special tokens parsed;
 * BOS added when the model wants one and the template did not write it). */
static int32_t *render(qlm_model *m, const qlm_model_desc *md, const history *h, int *n, qlm_error *err) {
    size_t jl, tl;
    char *js = hist_json(h, &jl), *text = NULL;
    if (!js) { snprintf(err->message, sizeof err->message, "out of memory"); return NULL; }
    qlm_status rc = qlm_chat_format(m, js, jl, true, &text, &tl, err);
    free(js);
    if (rc != QLM_OK) return NULL;
    int cap = (int)tl + 2;
    int32_t *t = malloc((size_t)cap * sizeof *t);
    if (t) *n = qlm_tokenize(m, text, tl, QLM_TOK_PARSE_SPECIAL, t + 1, cap - 1, err);
    free(text);
    if (!t || *n < 0) { free(t); return NULL; }
    if (md->add_bos && md->bos >= 0 && (*n == 0 || t[1] != md->bos)) {
        t[0] = md->bos;
        (*n)++;
    } else {
        memmove(t, t + 1, (size_t)*n * sizeof *t);
    }
    return t;
}

int cmd_chat(int argc, char **argv) {
    const char *cmd = "chat", *model_path = NULL, *system = NULL;
    long long n_predict = 1024, top_k = 40, threads = 0, ctx_size = 0;
    double temp = 0.8, top_p = 0.95, min_p = 0.05, rp = 1.0;
    uint64_t seed = (uint64_t)time(NULL);
    bool no_mmap = false;
    bool repack = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
#define VAL() do { if (!(v = flag_value(cmd, argc, argv, &i))) return 2; } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(CHAT_USAGE, stdout); return 0; }
        else if (!strcmp(a, "-m") || !strcmp(a, "--model")) { VAL(); model_path = v; }
        else if (!strcmp(a, "--system")) { VAL(); system = v; }
        else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) { VAL(); if (!flag_int(cmd, a, v, 1, 1 << 24, &n_predict)) return 2; }
        else if (!strcmp(a, "--temp")) { VAL(); if (!flag_float(cmd, a, v, 0, 100, &temp)) return 2; }
        else if (!strcmp(a, "--top-k")) { VAL(); if (!flag_int(cmd, a, v, 0, 1 << 24, &top_k)) return 2; }
        else if (!strcmp(a, "--top-p")) { VAL(); if (!flag_float(cmd, a, v, 0, 1, &top_p)) return 2; }
        else if (!strcmp(a, "--min-p")) { VAL(); if (!flag_float(cmd, a, v, 0, 1, &min_p)) return 2; }
        else if (!strcmp(a, "--repeat-penalty")) { VAL(); if (!flag_float(cmd, a, v, 0.01, 100, &rp)) return 2; }
        else if (!strcmp(a, "-s") || !strcmp(a, "--seed")) { VAL(); if (!parse_u64(v, &seed)) { cli_error(cmd, "bad value for %s: '%s'", a, v); return 2; } }
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) { VAL(); if (!flag_int(cmd, a, v, 1, 1024, &threads)) return 2; }
        else if (!strcmp(a, "-c") || !strcmp(a, "--ctx-size")) { VAL(); if (!flag_int(cmd, a, v, 16, 1 << 24, &ctx_size)) return 2; }
        else if (!strcmp(a, "--no-mmap")) no_mmap = true;
        else if (!strcmp(a, "--repack")) repack = true;
        else { cli_error(cmd, "unknown option '%s' (see qlm chat --help)", a); return 2; }
#undef VAL
    }
    if (!model_path) { cli_error(cmd, "no model given (use -m FILE)"); return 2; }

    qlm_error err = {0};
    qlm_model *m = NULL;
    qlm_context *c = NULL;
    qlm_sampler *smp = NULL;
    history h = {0};
    int32_t *cached = NULL;   /* the tokens the context holds */
    int n_cached = 0, status = 1;
    char *line = NULL;
    size_t line_cap = 0;
    if (cli_model_load(model_path, no_mmap, repack, &m, &err) != QLM_OK) { cli_error(cmd, "%s", err.message); goto done; }
    qlm_model_desc md;
    qlm_model_describe(m, &md);
    qlm_context_params cp = qlm_context_default_params();
    cp.n_ctx = (int)ctx_size;
    cp.n_threads = (int)threads;
    if (qlm_context_new(m, &cp, &c, &err) != QLM_OK) { cli_error(cmd, "%s", err.message); goto done; }
    int n_ctx = qlm_context_n_ctx(c);
    cached = malloc((size_t)n_ctx * sizeof *cached);
    qlm_sampler_params sp = qlm_sampler_default_params();
    sp.temperature = (float)temp;
    sp.top_k = (int)top_k;
    sp.top_p = (float)top_p;
    sp.min_p = (float)min_p;
    sp.repeat_penalty = (float)rp;
    sp.seed = seed;
    smp = qlm_sampler_new(&sp);
    if (!cached || !smp || (system && !hist_add(&h, "system", system))) { cli_error(cmd, "out of memory"); goto done; }
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint; /* no SA_RESTART: a read at the prompt returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    bool tty = isatty(STDIN_FILENO);
    if (tty) fprintf(stderr, "qlm chat: %s (%s). Ctrl-C stops an answer, /reset starts over, /quit leaves.\n", model_path, md.arch);
    int n_keep = system ? 1 : 0; /* turns never dropped */
    for (;;) {
        if (tty) { fputs("> ", stdout); fflush(stdout); }
        errno = 0;
        ssize_t got = getline(&line, &line_cap, stdin);
        if (got < 0) {
            if (g_interrupt) { g_interrupt = 0; clearerr(stdin); fputc('\n', stdout); continue; }
            break; /* end of input */
        }
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = 0;
        if (got == 0) continue;
        if (!strcmp(line, "/quit") || !strcmp(line, "/exit")) break;
        if (!strcmp(line, "/reset")) {
            while (h.n > n_keep) hist_drop(&h, h.n - 1);
            qlm_context_truncate(c, 0);
            n_cached = 0;
            fputs("(new conversation)\n", stdout);
            continue;
        }
        if (!strcmp(line, "/help")) { fputs("/reset  start a new conversation\n/quit   leave\n", stdout); continue; }
        if (!hist_add(&h, "user", line)) { cli_error(cmd, "out of memory"); goto done; }
        /* render; drop the oldest turns while the prompt and room for an answer do not fit */
        int reserve = (int)(n_predict < n_ctx / 4 ? n_predict : n_ctx / 4), n = 0;
        int32_t *toks;
        for (;;) {
            toks = render(m, &md, &h, &n, &err);
            if (!toks || n + reserve <= n_ctx || h.n - n_keep <= 1) break;
            free(toks);
            hist_drop(&h, n_keep);
            if (h.n - n_keep > 1 && strcmp(h.t[n_keep].role, "assistant") == 0) hist_drop(&h, n_keep);
        }
        if (!toks || n + reserve > n_ctx) {
            cli_error(cmd, "%s", toks ? "the message does not fit in the context window" : err.message);
            free(toks);
            hist_drop(&h, h.n - 1);
            continue;
        }
        int common = 0;
        while (common < n_cached && common < n && cached[common] == toks[common]) common++;
        if (common == n) common--;
        qlm_context_truncate(c, common);
        g_interrupt = 0;
        if (qlm_eval(c, toks + common, n - common, false, &err) != QLM_OK) {
            cli_error(cmd, "%s", err.message);
            free(toks);
            goto done;
        }
        memcpy(cached, toks, (size_t)n * sizeof *toks);
        n_cached = n;
        qlm_detok *dt = qlm_detok_new(m);
        strbuf reply = {0};
        for (int i = 0; i < n && dt; i++) { qlm_sampler_accept(smp, toks[i]); qlm_detok_push(dt, toks[i]); }
        free(toks);
        for (int k = 0; dt && k < n_predict && !g_interrupt && qlm_context_pos(c) < n_ctx; k++) {
            int32_t t = qlm_sampler_sample(smp, qlm_logits(c, 0), md.n_vocab);
            if (t < 0 || qlm_token_is_eog(m, t)) break;
            qlm_sampler_accept(smp, t);
            const char *piece = qlm_detok_push(dt, t);
            fputs(piece, stdout);
            fflush(stdout);
            sb_puts(&reply, piece);
            if (qlm_eval(c, &t, 1, false, &err) != QLM_OK) break;
            cached[n_cached++] = t;
        }
        if (dt) { const char *rest = qlm_detok_flush(dt); fputs(rest, stdout); sb_puts(&reply, rest); }
        qlm_detok_free(dt);
        if (g_interrupt) { fputs(" [stopped]", stdout); g_interrupt = 0; }
        fputc('\n', stdout);
        fflush(stdout);
        bool ok = !reply.oom && hist_add(&h, "assistant", reply.p ? reply.p : "");
        free(reply.p);
        if (!ok) { cli_error(cmd, "out of memory"); goto done; }
    }
    status = 0;
done:
    free(line);
    free(cached);
    hist_free(&h);
    qlm_sampler_free(smp);
    qlm_context_free(c);
    qlm_model_free(m);
    return status;
}
