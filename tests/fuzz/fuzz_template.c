/* Jinja chat templates (model/jinja.h). The first input byte picks the mode:
 *   even: the rest is template text, compiled and rendered with a fixed small context
 *         (a conversation with a system prompt, a tool call and tools, bos/eos tokens);
 *   odd:  byte 1 picks one of the real templates of ../shared/chat-templates (sorted by
 *         name, compiled once at start-up) and the rest is JSON: an object becomes the
 *         whole context (as the shared cases are written: messages,
 *         add_generation_prompt, bos_token, ...), anything else is passed as
 *         `messages`.
 * Renders are bounded (output, memory, steps) so a runaway template ends in an error.
 *
 * Properties: compile and render either succeed or fail with a message; the output is
 * NUL-terminated at its length; rendering the same template twice gives the same text. */
#include "fuzz.h"
#include "../../model/jinja.h"

#include <dirent.h>
#include <string.h>

#define MAX_TEMPLATES 64

static qlm_tmpl *g_tmpl[MAX_TEMPLATES];
static int g_n_tmpl;
static bool g_loaded;
static qlm_json_doc *g_ctx;

static const char CONTEXT[] =
    "{\"messages\": ["
    "{\"role\": \"system\", \"content\": \"You are helpful.\"},"
    "{\"role\": \"user\", \"content\": \"Hi \\u00e9 <|im_end|> {{ x }}\"},"
    "{\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": [{\"type\": \"function\", \"function\": "
    "{\"name\": \"get\", \"arguments\": {\"q\": [1, 2.5, null, true]}}}]},"
    "{\"role\": \"tool\", \"content\": \"42\"},"
    "{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"and?\"}]}],"
    "\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get\", \"description\": \"d\", "
    "\"parameters\": {\"type\": \"object\", \"properties\": {\"q\": {\"type\": \"string\"}}}}}],"
    "\"add_generation_prompt\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"n\": 3}";

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The real templates, in name order (gen_seeds numbers them the same way). */
static void load_templates(void) {
    g_loaded = true;
    qlm_error err = {0};
    if (qlm_json_parse(CONTEXT, sizeof CONTEXT - 1, NULL, &g_ctx, &err) != QLM_OK) {
        fprintf(stderr, "fuzz_template: context: %s\n", err.message);
        abort();
    }
    char *dir = fuzz_shared_path("chat-templates");
    if (!dir) return;
    DIR *d = opendir(dir);
    char *names[MAX_TEMPLATES];
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) && n < MAX_TEMPLATES;) {
        size_t l = strlen(e->d_name);
        if (l > 6 && !strcmp(e->d_name + l - 6, ".jinja")) names[n++] = strdup(e->d_name);
    }
    if (d) closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        char *text = malloc(1 << 20);
        size_t len = f && text ? fread(text, 1, 1 << 20, f) : 0;
        if (f) fclose(f);
        if (qlm_tmpl_compile(text, len, &g_tmpl[g_n_tmpl], &err, NULL) == QLM_OK) g_n_tmpl++;
        else fprintf(stderr, "fuzz_template: %s: %s\n", names[i], err.message);
        free(text);
        free(names[i]);
    }
    free(dir);
}

static void render(const qlm_tmpl *t, const qlm_json *ctx, const qlm_tmpl_var *vars, int n_vars) {
    static const struct tm now = {.tm_year = 126, .tm_mon = 10, .tm_mday = 26, .tm_hour = 9, .tm_min = 30, .tm_wday = 4, .tm_yday = 329};
    qlm_tmpl_opts opts = {.now = &now, .max_output = 1 << 20, .max_memory = 64 << 20, .max_steps = 200000};
    char *out = NULL, *out2 = NULL;
    size_t len = 0, len2 = 0;
    qlm_error err = {0};
    qlm_tmpl_diag diag;
    qlm_status rc = qlm_tmpl_render(t, ctx, vars, n_vars, &opts, &out, &len, &err, &diag);
    if (rc != QLM_OK) {
        FUZZ_CHECK(err.code != QLM_OK && memchr(err.message, 0, sizeof err.message), "render error without a message");
        FUZZ_CHECK(out == NULL, "output left on failure");
        return;
    }
    FUZZ_CHECK(out != NULL && out[len] == 0 && len <= opts.max_output, "render output");
    if (len <= 4096) {
        qlm_status rc2 = qlm_tmpl_render(t, ctx, vars, n_vars, &opts, &out2, &len2, &err, NULL);
        FUZZ_CHECK(rc2 == QLM_OK && len2 == len && !memcmp(out, out2, len), "a second render differs");
        free(out2);
    }
    free(out);
}

int fuzz_template(const uint8_t *data, size_t size) {
    if (!g_loaded) load_templates();
    if (size < 1) return 0;
    qlm_error err = {0};
    if (!(data[0] & 1)) {
        qlm_tmpl *t = NULL;
        qlm_tmpl_diag diag;
        if (qlm_tmpl_compile((const char *)data + 1, size - 1, &t, &err, &diag) != QLM_OK) {
            FUZZ_CHECK(err.code != QLM_OK && err.message[0], "compile error without a message");
            FUZZ_CHECK(t == NULL, "handle set on failure");
            return 0;
        }
        qlm_tmpl_var vars[1] = {{.name = "add_generation_prompt", .boolean = (data[0] & 2) != 0}};
        render(t, qlm_json_root(g_ctx), vars, 1);
        qlm_tmpl_free(t);
        return 0;
    }
    if (size < 2 || g_n_tmpl == 0) return 0;
    const qlm_tmpl *t = g_tmpl[data[1] % g_n_tmpl];
    qlm_json_doc *doc = NULL;
    qlm_json_opts jo = {.flags = QLM_JSON_REPLACE_INVALID};
    if (qlm_json_parse((const char *)data + 2, size - 2, &jo, &doc, &err) != QLM_OK) return 0;
    const qlm_json *root = qlm_json_root(doc);
    if (root->type == QLM_JSON_OBJECT) {
        render(t, root, NULL, 0);
    } else {
        qlm_tmpl_var vars[4] = {
            {.name = "messages", .json = root},
            {.name = "add_generation_prompt", .boolean = (data[0] & 2) != 0},
            {.name = "bos_token", .str = "<s>"},
            {.name = "eos_token", .str = "</s>"},
        };
        render(t, NULL, vars, 4);
    }
    qlm_json_free(doc);
    return 0;
}

FUZZ_MAIN(fuzz_template)
