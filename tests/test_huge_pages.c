/* model/huge_pages.c: the smaps reader behind qlm_model_huge_page_bytes (qlm run -v,
 * qlm bench), on a fixed smaps text with known sums, and the public call on a real
 * model in both load modes. */
#include "harness.h"
#include "../model/huge_pages.h"
#include "../model/synth.h"
#include "qlm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Three mappings as the kernel prints them: a mapped file with 2 MiB pages at
 * 0x7f0000000000-0x7f0000600000, anonymous memory with huge pages right after it, and
 * an unrelated one further on. Fields of other names (Rss, ShmemPmdMapped) must not
 * count; "AnonHugePages" starts with hex letters, so must not read as a header. */
static const char SMAPS[] =
    "7f0000000000-7f0000600000 r--s 00000000 fe:01 1234                       /m/model.gguf\n"
    "Size:               6144 kB\n"
    "Rss:                6144 kB\n"
    "AnonHugePages:         0 kB\n"
    "ShmemPmdMapped:     2048 kB\n"
    "FilePmdMapped:      4096 kB\n"
    "VmFlags: rd sh mr mw me ms hg\n"
    "7f0000600000-7f0000a00000 rw-p 00000000 00:00 0\n"
    "Size:               4096 kB\n"
    "AnonHugePages:      2048 kB\n"
    "FilePmdMapped:         0 kB\n"
    "VmFlags: rd wr mr mw me ac hg\n"
    "7f1000000000-7f1000200000 rw-p 00000000 00:00 0 \n"
    "AnonHugePages:      2048 kB\n"
    "VmFlags: rd wr mr mw me ac\n";

static int64_t huge_of(uintptr_t lo, uintptr_t hi) {
    char path[512];
    snprintf(path, sizeof path, "%s/smaps.txt", t_tmpdir());
    FILE *f = fopen(path, "w");
    if (!f) return -2;
    fputs(SMAPS, f);
    fclose(f);
    f = fopen(path, "r");
    if (!f) return -2;
    const int64_t r = qlm_smaps_huge_bytes(f, lo, hi);
    fclose(f);
    return r;
}

static void test_reader(void) {
    t_case("huge pages: smaps reader sums FilePmdMapped + AnonHugePages of the overlapping mappings");
    const int64_t K = 1024;
    int64_t r;
    r = huge_of(0x7f0000000000u, 0x7f0000600000u);
    T_CHECK(r == 4096 * K, "file mapping alone: %lld", (long long)r);
    r = huge_of(0x7f0000100000u, 0x7f0000700000u); /* overlaps both, not the third */
    T_CHECK(r == 6144 * K, "both overlapping: %lld", (long long)r);
    r = huge_of(0x7f0000a00000u, 0x7f0000b00000u); /* the gap after the second */
    T_CHECK(r == -1, "no mapping: %lld", (long long)r);
    r = huge_of(0x7f1000000000u, 0x7f1000000001u);
    T_CHECK(r == 2048 * K, "the third, one byte: %lld", (long long)r);
}

static void test_model(void) {
    t_case("huge pages: qlm_model_huge_page_bytes within [0, file size] on Linux, -1 elsewhere");
    char path[1024];
    snprintf(path, sizeof path, "%s/hp.gguf", t_tmpdir());
    qlm_synth_params sp = {.arch = "llama", .n_embd = 256, .n_layer = 1, .n_head = 4, .n_head_kv = 2,
                           .n_ff = 512, .n_vocab = 300, .n_ctx = 64, .rope_theta = 10000.0f, .norm_eps = 1e-5f,
                           .type = "Q4_0", .pure = true, .seed = 3, .n_threads = 1};
    qlm_error err = {0};
    if (qlm_synth(&sp, path, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); return; }
    FILE *probe = fopen("/proc/self/smaps", "r");
    const bool linux_smaps = probe != NULL;
    if (probe) fclose(probe);
    for (int mode = 0; mode < 2; mode++) {
        const qlm_model_params mp = {.no_mmap = mode == 1};
        qlm_model *m = NULL;
        if (qlm_model_load(path, &mp, &m, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); break; }
        qlm_context *c = NULL;
        qlm_context_params cp = qlm_context_default_params();
        cp.n_threads = 1;
        const int32_t tok[2] = {1, 7};
        T_CHECK(qlm_context_new(m, &cp, &c, &err) == QLM_OK && qlm_eval(c, tok, 2, false, &err) == QLM_OK, "%s",
                err.message);
        qlm_model_desc d;
        qlm_model_describe(m, &d);
        const int64_t h = qlm_model_huge_page_bytes(m);
        if (linux_smaps)
            T_CHECK(h >= 0 && (uint64_t)h <= d.file_size, "%s: %lld of %llu bytes", mode ? "read" : "mapped",
                    (long long)h, (unsigned long long)d.file_size);
        else
            T_CHECK(h == -1, "no smaps, yet %lld", (long long)h);
        qlm_context_free(c);
        qlm_model_free(m);
    }
    T_CHECK(qlm_model_huge_page_bytes(NULL) == -1, "NULL model");
    remove(path);
}

int main(void) {
    test_reader();
    test_model();
    return t_done();
}
