/* Every case in ../shared/chat-templates/NAME.cases.json rendered with NAME.jinja must
 * equal the `expected` text byte for byte (Python Jinja2 3.1 with transformers'
 * settings made them), or fail with the `error` text ("TemplateError: message").
 * strftime_now is fixed at 2026-11-26 09:30, as when the cases were made. */
#include "harness.h"
#include "../model/jinja.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Show where got and want first differ. */
static void diff(const char *got, size_t gn, const char *want, size_t wn, char *out, size_t cap) {
    size_t i = 0;
    while (i < gn && i < wn && got[i] == want[i]) i++;
    size_t from = i > 30 ? i - 30 : 0;
    char g[80], w[80];
    size_t k = 0;
    for (size_t j = from; j < gn && j < i + 30 && k + 4 < sizeof g; j++) {
        unsigned char c = (unsigned char)got[j];
        if (c == '\n') { g[k++] = '\\'; g[k++] = 'n'; }
        else if (c >= 0x20) g[k++] = (char)c;
        else g[k++] = '?';
    }
    g[k] = 0;
    k = 0;
    for (size_t j = from; j < wn && j < i + 30 && k + 4 < sizeof w; j++) {
        unsigned char c = (unsigned char)want[j];
        if (c == '\n') { w[k++] = '\\'; w[k++] = 'n'; }
        else if (c >= 0x20) w[k++] = (char)c;
        else w[k++] = '?';
    }
    w[k] = 0;
    snprintf(out, cap, "differs at byte %zu (got %zu bytes, want %zu): got \"%s\" want \"%s\"", i, gn, wn, g, w);
}

static void run_file(const char *dir, const char *cases_name, int *n_pass, int *n_total) {
    char base[256];
    snprintf(base, sizeof base, "%.*s", (int)(strlen(cases_name) - strlen(".cases.json")), cases_name);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.jinja", dir, base);
    size_t tlen = 0;
    char *tsrc = t_read_file(path, &tlen);
    snprintf(path, sizeof path, "%s/%s", dir, cases_name);
    qlm_json_doc *doc = NULL;
    qlm_error err;
    qlm_status s = qlm_json_parse_file(path, NULL, &doc, &err);
    if (!tsrc || s != QLM_OK) {
        t_case("chat template %s", base);
        T_CHECK(tsrc != NULL, "cannot read %s.jinja", base);
        T_CHECK(s == QLM_OK, "%s", err.message);
        free(tsrc);
        qlm_json_free(doc);
        return;
    }
    qlm_tmpl *t = NULL;
    qlm_tmpl_diag diag;
    qlm_status cs = qlm_tmpl_compile(tsrc, tlen, &t, &err, &diag);
    const qlm_json *cases = qlm_json_root(doc);
    struct tm now = {.tm_year = 2026 - 1900, .tm_mon = 10, .tm_mday = 26, .tm_hour = 9, .tm_min = 30,
                     .tm_wday = 4, .tm_yday = 329, .tm_isdst = 0};
    qlm_tmpl_opts opts = {.now = &now};
    for (size_t i = 0; i < qlm_json_len(cases); i++) {
        const qlm_json *c = qlm_json_at(cases, i);
        const char *conv = qlm_json_str(qlm_json_get(c, "conversation"));
        bool agp = false;
        qlm_json_bool(qlm_json_get(c, "add_generation_prompt"), &agp);
        t_case("chat template %s [%zu: %s, add_generation_prompt=%s]", base, i, conv ? conv : "?",
               agp ? "true" : "false");
        (*n_total)++;
        if (cs != QLM_OK) {
            T_CHECK(cs == QLM_OK, "compile error at line %d: %s", diag.line, err.message);
            continue;
        }
        qlm_tmpl_var vars[4] = {
            {.name = "messages", .json = qlm_json_get(c, "messages")},
            {.name = "add_generation_prompt", .boolean = agp},
            {.name = "bos_token", .str = qlm_json_str(qlm_json_get(c, "bos_token"))},
            {.name = "eos_token", .str = qlm_json_str(qlm_json_get(c, "eos_token"))},
        };
        char *out = NULL;
        size_t n = 0;
        qlm_status rs = qlm_tmpl_render(t, NULL, vars, 4, &opts, &out, &n, &err, &diag);
        const qlm_json *expected = qlm_json_get(c, "expected");
        const qlm_json *error = qlm_json_get(c, "error");
        bool ok = false;
        if (expected && expected->type == QLM_JSON_STRING) {
            T_CHECK(rs == QLM_OK, "render failed (line %d): %s: %s", diag.line, diag.type, err.message);
            if (rs == QLM_OK) {
                ok = n == expected->len && memcmp(out, expected->str, n) == 0;
                char d[400];
                if (!ok) diff(out, n, expected->str, expected->len, d, sizeof d);
                T_CHECK(ok, "%s", d);
            }
        } else if (error && error->type == QLM_JSON_STRING) {
            T_CHECK(rs != QLM_OK, "rendered although the template raises '%s'", error->str);
            if (rs != QLM_OK) {
                char full[700];
                snprintf(full, sizeof full, "%s: %s", diag.type, err.message);
                ok = strcmp(full, error->str) == 0 || strstr(error->str, err.message) != NULL;
                T_CHECK(ok, "error '%s', want '%s'", full, error->str);
            }
        } else {
            T_CHECK(false, "case has neither expected nor error");
        }
        if (ok) (*n_pass)++;
        free(out);
    }
    qlm_tmpl_free(t);
    qlm_json_free(doc);
    free(tsrc);
}

int main(void) {
    const char *dir = t_shared("chat-templates");
    if (!dir) {
        t_case("chat templates");
        t_skip("../shared/chat-templates not found");
        return t_done();
    }
    DIR *d = opendir(dir);
    char *names[256];
    int nn = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && nn < 256) {
        size_t l = strlen(e->d_name);
        if (l > 11 && !strcmp(e->d_name + l - 11, ".cases.json")) names[nn++] = strdup(e->d_name);
    }
    if (d) closedir(d);
    qsort(names, (size_t)nn, sizeof names[0], cmp_str);
    int pass = 0, total = 0;
    for (int i = 0; i < nn; i++) {
        run_file(dir, names[i], &pass, &total);
        free(names[i]);
    }
    t_case("chat templates: all %d cases of %d templates", total, nn);
    if (nn == 0) t_skip("no *.cases.json files in %s", dir);
    T_CHECK(pass == total, "%d of %d cases pass", pass, total);
    fprintf(stderr, "chat templates: %d/%d cases pass\n", pass, total);
    return t_done();
}
