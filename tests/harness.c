#include "harness.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_name[256];
static bool g_open, g_failed, g_skipped;
static char g_msg[1024];
static int g_n_fail;

static void end_case(void) {
    if (!g_open) return;
    if (g_failed) { printf("FAIL %s: %s\n", g_name, g_msg); g_n_fail++; }
    else if (g_skipped) printf("SKIP %s: %s\n", g_name, g_msg);
    else printf("PASS %s\n", g_name);
    fflush(stdout);
    g_open = false;
}

void t_case(const char *fmt, ...) {
    end_case();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_name, sizeof g_name, fmt, ap);
    va_end(ap);
    g_open = true; g_failed = false; g_skipped = false; g_msg[0] = 0;
    /* QLM_TEST_TRACE: name each case as it starts, so a run that hangs (CI kills it)
     * shows where */
    if (getenv("QLM_TEST_TRACE")) { fprintf(stderr, "START %s\n", g_name); fflush(stderr); }
}

void t_fail(const char *file, int line, const char *fmt, ...) {
    if (!g_open) t_case("(unnamed)");
    if (g_failed) return; /* keep the first failure */
    g_failed = true;
    int k = snprintf(g_msg, sizeof g_msg, "%s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_msg + k, sizeof g_msg - (size_t)k, fmt, ap);
    va_end(ap);
}

void t_skip(const char *fmt, ...) {
    if (!g_open) t_case("(unnamed)");
    g_skipped = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_msg, sizeof g_msg, fmt, ap);
    va_end(ap);
}

int t_done(void) {
    end_case();
    return g_n_fail ? 1 : 0;
}

/* Paths handed out by t_shared stay reachable from this list until exit, so
 * LeakSanitizer does not count them, and callers need not free them. */
static char **g_paths;
static size_t g_n_paths, g_cap_paths;

static void free_paths(void) {
    for (size_t i = 0; i < g_n_paths; i++) free(g_paths[i]);
    free(g_paths);
}

const char *t_shared(const char *rel) {
    const char *root = getenv("QLM_SHARED");
    if (!root || !*root) root = "../shared";
    size_t n = strlen(root) + strlen(rel) + 2;
    char *p = malloc(n);
    if (!p) return NULL;
    snprintf(p, n, "%s/%s", root, rel);
    struct stat st;
    if (stat(p, &st) != 0) { free(p); return NULL; }
    if (g_n_paths == g_cap_paths) {
        size_t cap = g_cap_paths ? g_cap_paths * 2 : 64;
        char **np = realloc(g_paths, cap * sizeof *np);
        if (!np) { free(p); return NULL; }
        if (!g_paths) atexit(free_paths);
        g_paths = np;
        g_cap_paths = cap;
    }
    g_paths[g_n_paths++] = p;
    return p;
}

void *t_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return NULL; }
    long n = ftell(f);
    if (n < 0) { fclose(f); return NULL; }
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    if (buf) { buf[n] = 0; if (size) *size = (size_t)n; }
    return buf;
}

extern char *program_invocation_short_name;

const char *t_tmpdir(void) {
    static char dir[512];
    if (!dir[0]) {
        const char *prog = "test";
#if defined(__GLIBC__)
        prog = program_invocation_short_name;
#endif
        mkdir("tests/out", 0755);
        snprintf(dir, sizeof dir, "tests/out/%s", prog);
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) return "/tmp";
    }
    return dir;
}

const char *t_qlm(void) {
    const char *q = getenv("QLM");
    return (q && *q) ? q : "./qlm";
}

int t_json_ints(const char *json, const char *key, int32_t *out, int cap) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(json, pat);
    if (!p || !(p = strchr(p + strlen(pat), '['))) return -1;
    int n = 0;
    for (p++; *p && *p != ']' && n < cap;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) { p++; continue; }
        out[n++] = (int32_t)v;
        p = end;
    }
    return n;
}

int t_argmax(const float *x, int n) {
    int b = 0;
    for (int i = 1; i < n; i++) if (x[i] > x[b]) b = i;
    return b;
}
