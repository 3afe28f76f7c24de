/* Fuzz targets: one entry point per parser, each taking arbitrary bytes.
 *
 * The same functions serve two builds:
 *   make fuzz   clang + libFuzzer + ASan/UBSan (-DQLM_LIBFUZZER): each tests/fuzz/fuzz_NAME.c
 *               becomes build-fuzz/fuzz_NAME, whose LLVMFuzzerTestOneInput calls fuzz_NAME.
 *   make test   tests/test_fuzz_regressions.c replays every saved input under
 *               tests/fuzz/regressions/NAME/ through fuzz_NAME with the normal compiler.
 *
 * A target returns 0. Beyond "no crash, no leak, no undefined behaviour" it checks
 * properties that must hold for every input (a parsed DOM re-parses, a token count does
 * not depend on the buffer size, ...); a broken property prints what broke and aborts, so
 * libFuzzer saves the input like a crash. */
#ifndef QLM_FUZZ_H
#define QLM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fuzz_gguf(const uint8_t *data, size_t size);
int fuzz_json(const uint8_t *data, size_t size);
int fuzz_safetensors(const uint8_t *data, size_t size);
int fuzz_config(const uint8_t *data, size_t size);
int fuzz_tokenizer(const uint8_t *data, size_t size);
int fuzz_http(const uint8_t *data, size_t size);
int fuzz_template(const uint8_t *data, size_t size);
int fuzz_hf_tokenizer(const uint8_t *data, size_t size);

#ifdef QLM_LIBFUZZER
#define FUZZ_MAIN(fn) \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fn(data, size); }
#else
#define FUZZ_MAIN(fn)
#endif

#define FUZZ_CHECK(cond, ...)                                                          \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: property '%s' broken: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                              \
            fputc('\n', stderr);                                                       \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* Path of a file under $QLM_SHARED (or ../shared), malloc'd; NULL when absent. */
static inline char *fuzz_shared_path(const char *rel) {
    const char *root = getenv("QLM_SHARED");
    if (!root || !*root) root = "../shared";
    size_t n = strlen(root) + strlen(rel) + 2;
    char *p = malloc(n);
    if (!p) return NULL;
    snprintf(p, n, "%s/%s", root, rel);
    FILE *f = fopen(p, "rb");
    if (!f) { free(p); return NULL; }
    fclose(f);
    return p;
}

#endif
