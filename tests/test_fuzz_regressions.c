/* Replays every input the fuzzers found a problem with (tests/fuzz/regressions/NAME/)
 * through the same entry point the fuzzer NAME runs (tests/fuzz/fuzz_NAME.c), so a fixed
 * crash, hang, leak or broken property stays fixed. One case per file. A target that
 * still crashes takes this program down, which run_all.sh counts as a failure. */
#include "harness.h"
#include "fuzz/fuzz.h"

#include <dirent.h>
#include <string.h>

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

static const struct {
    const char *name;
    fuzz_fn fn;
} TARGETS[] = {
    {"gguf", fuzz_gguf},           {"json", fuzz_json}, {"safetensors", fuzz_safetensors},
    {"config", fuzz_config},       {"http", fuzz_http}, {"tokenizer", fuzz_tokenizer},
    {"template", fuzz_template},     {"hf_tokenizer", fuzz_hf_tokenizer},
};

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Replay one directory; returns the number of inputs. */
static int replay(const char *name, fuzz_fn fn) {
    char dir[256];
    snprintf(dir, sizeof dir, "tests/fuzz/regressions/%s", name);
    DIR *d = opendir(dir);
    if (!d) return 0;
    char **files = NULL;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char **nf = realloc(files, (size_t)(n + 1) * sizeof *nf);
        if (!nf) break;
        files = nf;
        files[n] = strdup(e->d_name);
        if (files[n]) n++;
    }
    closedir(d);
    qsort(files, (size_t)n, sizeof *files, cmp_str);
    for (int i = 0; i < n; i++) {
        t_case("fuzz regression %s/%s", name, files[i]);
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        size_t size = 0;
        uint8_t *data = t_read_file(path, &size);
        T_CHECK(data != NULL, "cannot read %s", path);
        if (data) {
            /* an exact-size copy, so that reads past the end are caught under SAN=1 as
             * they are under the fuzzer */
            uint8_t *exact = malloc(size ? size : 1);
            memcpy(exact, data, size);
            T_CHECK(fn(exact, size) == 0, "target returned nonzero");
            free(exact);
        }
        free(data);
        free(files[i]);
    }
    free(files);
    return n;
}

int main(void) {
    int total = 0;
    for (size_t i = 0; i < sizeof TARGETS / sizeof TARGETS[0]; i++) total += replay(TARGETS[i].name, TARGETS[i].fn);
    t_case("fuzz regressions present");
    if (total == 0) t_skip("no inputs under tests/fuzz/regressions (run from the project root)");
    return t_done();
}
