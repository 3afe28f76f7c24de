/* GGUF reader: every metadata type read back, the real stories260K file, and malformed
 * images (truncated at every byte, huge counts and lengths, bad type ids, offsets past
 * the end, misalignment, duplicates, random corruption) all rejected without a crash. */
#include "harness.h"
#include "gguf_builder.h"
#include "../model/gguf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Field positions inside the valid image, for targeted corruption. */
typedef struct {
    size_t n_tensors_at, n_kv_at;
    size_t first_key_len_at;      /* u64 length of the first key */
    size_t u32_type_at;           /* value type of "test.u32" */
    size_t arr_type_at, arr_n_at; /* element type and count of "test.arr_i16" */
    size_t str_arr_n_at;          /* count of "test.arr_str" */
    size_t t0_name_len_at, t0_ndims_at, t0_ne0_at, t0_type_at, t0_offset_at;
    size_t t1_offset_at;
    size_t data_at;
} layout;

/* A small valid GGUF v3: every scalar type, numeric and string arrays, two tensors
 * (F32 [8 x 2] and Q8_0 [32 x 1]) with 32-byte aligned data. */
static void make_valid(gbuf *b, layout *L) {
    memset(L, 0, sizeof *L);
    gb_bytes(b, "GGUF", 4);
    gb_u32(b, 3);
    L->n_tensors_at = b->len; gb_u64(b, 2);
    L->n_kv_at = b->len; gb_u64(b, 18);
    L->first_key_len_at = b->len;
    gb_kv_str(b, "general.architecture", "llama");
    gb_str(b, "test.u8"); gb_u32(b, 0); gb_u8(b, 200);
    gb_str(b, "test.i8"); gb_u32(b, 1); gb_u8(b, 0x80);
    gb_str(b, "test.u16"); gb_u32(b, 2); gb_bytes(b, "\x34\x12", 2);
    gb_str(b, "test.i16"); gb_u32(b, 3); gb_bytes(b, "\xfe\xff", 2);
    gb_str(b, "test.u32"); L->u32_type_at = b->len; gb_u32(b, 4); gb_u32(b, 4000000000u);
    gb_str(b, "test.i32"); gb_u32(b, 5); gb_u32(b, (uint32_t)-7);
    gb_kv_f32(b, "test.f32", 1.5f);
    gb_str(b, "test.bool"); gb_u32(b, 7); gb_u8(b, 1);
    gb_str(b, "test.u64"); gb_u32(b, 10); gb_u64(b, 1ull << 40);
    gb_str(b, "test.i64"); gb_u32(b, 11); gb_u64(b, (uint64_t)-5);
    gb_str(b, "test.f64"); gb_u32(b, 12); { double d = -2.25; uint64_t u; memcpy(&u, &d, 8); gb_u64(b, u); }
    gb_str(b, "test.arr_i16"); gb_u32(b, 9);
    L->arr_type_at = b->len; gb_u32(b, 3);
    L->arr_n_at = b->len; gb_u64(b, 3);
    gb_bytes(b, "\x01\x00\xff\xff\x10\x00", 6);
    gb_str(b, "test.arr_str"); gb_u32(b, 9); gb_u32(b, 8);
    L->str_arr_n_at = b->len; gb_u64(b, 2);
    gb_str(b, "hello"); gb_str(b, "");
    gb_str(b, "test.arr_f32"); gb_u32(b, 9); gb_u32(b, 6); gb_u64(b, 2); gb_f32(b, 0.5f); gb_f32(b, -1.0f);
    gb_kv_u32(b, "general.alignment", 32);
    gb_kv_str(b, "test.empty", "");
    gb_kv_u32(b, "test.last", 99);
    /* tensors */
    L->t0_name_len_at = b->len;
    int64_t ne1[1] = {32};
    gb_str(b, "w.f32");
    L->t0_ndims_at = b->len; gb_u32(b, 2);
    L->t0_ne0_at = b->len; gb_u64(b, 8); gb_u64(b, 2);
    L->t0_type_at = b->len; gb_u32(b, 0);
    L->t0_offset_at = b->len; gb_u64(b, 0);
    size_t t1 = b->len;
    gb_tensor_info(b, "w.q8", 1, ne1, 8, 64);
    L->t1_offset_at = t1 + 8 + 4 + 4 + 8 + 4;
    gb_pad(b, 32);
    L->data_at = b->len;
    for (int i = 0; i < 16; i++) gb_f32(b, (float)i);
    gb_pad(b, 32);
    /* Q8_0 block: f16 d = 1.0 (0x3c00), qs = 0..31 */
    gb_bytes(b, "\x00\x3c", 2);
    for (int i = 0; i < 32; i++) gb_u8(b, (uint8_t)i);
}

static void put_u64(gbuf *b, size_t at, uint64_t v) { for (int i = 0; i < 8; i++) b->data[at + i] = (uint8_t)(v >> (8 * i)); }
static void put_u32(gbuf *b, size_t at, uint32_t v) { for (int i = 0; i < 4; i++) b->data[at + i] = (uint8_t)(v >> (8 * i)); }

static gbuf copy_of(const gbuf *b) {
    gbuf c = {0};
    gb_bytes(&c, b->data, b->len);
    return c;
}

/* Open an image; returns the status and keeps the message. The copy is sized exactly,
 * so AddressSanitizer catches any read past the end. */
static qlm_status try_open(const void *data, size_t len, qlm_error *err) {
    void *exact = malloc(len ? len : 1);
    memcpy(exact, data, len);
    qlm_gguf *g = NULL;
    qlm_status rc = qlm_gguf_open_memory(exact, len, &g, err);
    if (rc == QLM_OK) {
        /* touch every tensor's data to prove the ranges are real */
        volatile uint8_t sink = 0;
        for (uint64_t i = 0; i < g->n_tensors; i++)
            for (uint64_t k = 0; k < g->tensors[i].nbytes; k++) sink ^= ((const uint8_t *)g->tensors[i].data)[k];
        (void)sink;
        qlm_gguf_close(g);
    }
    free(exact);
    return rc;
}

static void expect_error(const char *what, gbuf *b, const char *needle) {
    t_case("gguf rejects: %s", what);
    qlm_error err = {0};
    qlm_status rc = try_open(b->data, b->len, &err);
    T_CHECK(rc != QLM_OK, "opened although %s", what);
    T_CHECK(strlen(err.message) > 0 && !strchr(err.message, '\n'), "message must be one non-empty line: '%s'", err.message);
    if (needle) T_CHECK(strstr(err.message, needle) != NULL, "message '%s' lacks '%s'", err.message, needle);
}

static void test_valid(const gbuf *b) {
    t_case("gguf: every metadata type reads back");
    qlm_error err = {0};
    qlm_gguf *g = NULL;
    qlm_status rc = qlm_gguf_open_memory(b->data, b->len, &g, &err);
    T_CHECK(rc == QLM_OK, "%s", err.message);
    if (rc != QLM_OK) return;
    T_CHECK(g->version == 3 && g->n_kv == 18 && g->n_tensors == 2, "counts");
    const qlm_gguf_kv *kv;
    T_CHECK((kv = qlm_gguf_get(g, "test.u8")) && kv->v.u == 200, "u8");
    T_CHECK((kv = qlm_gguf_get(g, "test.i8")) && kv->v.i == -128, "i8");
    T_CHECK((kv = qlm_gguf_get(g, "test.u16")) && kv->v.u == 0x1234, "u16");
    T_CHECK((kv = qlm_gguf_get(g, "test.i16")) && kv->v.i == -2, "i16");
    uint32_t u32 = 0;
    T_CHECK(qlm_gguf_get_u32(g, "test.u32", &u32) && u32 == 4000000000u, "u32");
    int64_t i64 = 0;
    T_CHECK(qlm_gguf_get_i64(g, "test.i32", &i64) && i64 == -7, "i32");
    T_CHECK(!qlm_gguf_get_u32(g, "test.i32", &u32), "negative i32 must not read as u32");
    float f = 0;
    T_CHECK(qlm_gguf_get_f32(g, "test.f32", &f) && f == 1.5f, "f32");
    T_CHECK(qlm_gguf_get_f32(g, "test.f64", &f) && f == -2.25f, "f64");
    bool bl = false;
    T_CHECK(qlm_gguf_get_bool(g, "test.bool", &bl) && bl, "bool");
    T_CHECK(qlm_gguf_get_i64(g, "test.u64", &i64) && i64 == (1ll << 40), "u64");
    T_CHECK(qlm_gguf_get_i64(g, "test.i64", &i64) && i64 == -5, "i64");
    qlm_str s;
    T_CHECK(qlm_gguf_get_str(g, "general.architecture", &s) && s.len == 5 && !memcmp(s.ptr, "llama", 5), "string");
    T_CHECK(qlm_gguf_get_str(g, "test.empty", &s) && s.len == 0, "empty string");
    T_CHECK(!qlm_gguf_get_str(g, "test.u8", &s), "type mismatch must fail");
    uint32_t at;
    uint64_t an;
    T_CHECK(qlm_gguf_get_arr(g, "test.arr_i16", &at, &an, &kv) && at == GGUF_TYPE_I16 && an == 3, "i16 array");
    T_CHECK(qlm_gguf_arr_i64(kv, 0) == 1 && qlm_gguf_arr_i64(kv, 1) == -1 && qlm_gguf_arr_i64(kv, 2) == 16, "i16 values");
    T_CHECK(qlm_gguf_get_arr(g, "test.arr_f32", &at, &an, &kv) && qlm_gguf_arr_f32(kv, 1) == -1.0f, "f32 array");
    T_CHECK(qlm_gguf_get_arr(g, "test.arr_str", &at, &an, &kv) && at == GGUF_TYPE_STRING && an == 2 &&
            kv->arr_strs[0].len == 5 && !memcmp(kv->arr_strs[0].ptr, "hello", 5) && kv->arr_strs[1].len == 0, "string array");
    const qlm_gguf_tinfo *t = qlm_gguf_find_tensor(g, "w.f32");
    T_CHECK(t && t->ne[0] == 8 && t->ne[1] == 2 && t->nbytes == 64 && ((const float *)t->data)[15] == 15.0f, "f32 tensor");
    t = qlm_gguf_find_tensor(g, "w.q8");
    T_CHECK(t && t->type == 8 && t->nbytes == 34 && ((const int8_t *)t->data)[2 + 31] == 31, "q8_0 tensor");
    T_CHECK(qlm_gguf_find_tensor(g, "nope") == NULL, "absent tensor");
    char buf[128];
    int64_t idx = qlm_gguf_find_key(g, "test.arr_str");
    qlm_gguf_value_str(g, idx, buf, sizeof buf);
    T_CHECK(strstr(buf, "hello") != NULL, "value_str: %s", buf);
    qlm_gguf_value_str(g, idx, buf, 4); /* tiny buffer: cut, still terminated */
    T_CHECK(strlen(buf) < 4, "value_str must respect cap");
    qlm_gguf_close(g);
}

static void test_truncation(const gbuf *b) {
    t_case("gguf: truncated at each of %zu byte positions -> error", b->len);
    for (size_t n = 0; n < b->len; n++) {
        qlm_error err = {0};
        qlm_status rc = try_open(b->data, n, &err);
        T_CHECK(rc != QLM_OK, "truncated at %zu opened", n);
        if (rc == QLM_OK) break;
    }
}

static void test_mutations(const gbuf *b) {
    t_case("gguf: 20000 random corruptions never crash");
    uint64_t st = 0x9e3779b97f4a7c15ull;
    int opened = 0;
    for (int it = 0; it < 20000; it++) {
        gbuf c = copy_of(b);
        int flips = 1 + it % 4;
        for (int k = 0; k < flips; k++) {
            st ^= st << 13; st ^= st >> 7; st ^= st << 17;
            size_t pos = (size_t)(st % c.len);
            uint8_t vals[] = {0x00, 0xff, 0x7f, 0x80, (uint8_t)(st >> 32)};
            c.data[pos] = vals[(st >> 40) % 5];
        }
        qlm_error err = {0};
        if (try_open(c.data, c.len, &err) == QLM_OK) opened++;
        gb_free(&c);
    }
    /* some corruptions hit tensor data or values and stay valid; none may crash */
    T_CHECK(opened < 20000, "every corruption was accepted, suspicious");
}

static void test_targeted(const gbuf *v, const layout *L) {
    gbuf c;
#define MUTATE(what, needle, stmt) do { c = copy_of(v); stmt; expect_error(what, &c, needle); gb_free(&c); } while (0)
    MUTATE("bad magic", "magic", c.data[0] = 'X');
    MUTATE("version 0", "version", put_u32(&c, 4, 0));
    MUTATE("version 4", "version", put_u32(&c, 4, 4));
    MUTATE("huge tensor count", "tensor count", put_u64(&c, L->n_tensors_at, UINT64_MAX));
    MUTATE("huge metadata count", "metadata count", put_u64(&c, L->n_kv_at, 1ull << 62));
    MUTATE("metadata count one too many", NULL, put_u64(&c, L->n_kv_at, 19));
    MUTATE("huge key length", NULL, put_u64(&c, L->first_key_len_at, UINT64_MAX));
    MUTATE("zero key length", NULL, put_u64(&c, L->first_key_len_at, 0));
    MUTATE("bad value type id", "invalid value type", put_u32(&c, L->u32_type_at, 13));
    MUTATE("huge value type id", "invalid value type", put_u32(&c, L->u32_type_at, 0xffffffffu));
    MUTATE("array of arrays", "array", put_u32(&c, L->arr_type_at, 9));
    MUTATE("bad array element type", NULL, put_u32(&c, L->arr_type_at, 77));
    MUTATE("huge array count", "past the end", put_u64(&c, L->arr_n_at, 1ull << 61));
    MUTATE("huge string array count", "past the end", put_u64(&c, L->str_arr_n_at, UINT64_MAX / 2));
    MUTATE("tensor name too long", "name", put_u64(&c, L->t0_name_len_at, 65));
    MUTATE("zero dimensions", "dimensions", put_u32(&c, L->t0_ndims_at, 0));
    MUTATE("five dimensions", "dimensions", put_u32(&c, L->t0_ndims_at, 5));
    MUTATE("huge dimension", NULL, put_u64(&c, L->t0_ne0_at, UINT64_MAX));
    MUTATE("dimension overflowing the byte size", "past the end", put_u64(&c, L->t0_ne0_at, 1ull << 62));
    MUTATE("invalid tensor type 77", "invalid type", put_u32(&c, L->t0_type_at, 77));
    MUTATE("removed tensor type 31", "invalid type", put_u32(&c, L->t0_type_at, 31));
    /* qlm's in-memory layout (Q4_0_G8): never valid in a file */
    MUTATE("internal tensor type 40", "invalid type", put_u32(&c, L->t0_type_at, 40));
    MUTATE("row not a multiple of the block", "block size", put_u32(&c, L->t0_type_at, 8 /* Q8_0 with ne0=8 */));
    MUTATE("offset past the end", "past the end", put_u64(&c, L->t1_offset_at, 1ull << 40));
    MUTATE("offset huge", NULL, put_u64(&c, L->t1_offset_at, UINT64_MAX - 31));
    MUTATE("misaligned offset", "alignment", put_u64(&c, L->t1_offset_at, 65));
    MUTATE("overlapping tensors", "overlap", put_u64(&c, L->t1_offset_at, 32));
    MUTATE("data cut short", "past the end", c.len -= 1);
#undef MUTATE
    /* duplicate key: a file with the same key twice */
    gbuf d = {0};
    gb_bytes(&d, "GGUF", 4); gb_u32(&d, 3); gb_u64(&d, 0); gb_u64(&d, 2);
    gb_kv_u32(&d, "a.b", 1); gb_kv_u32(&d, "a.b", 2);
    expect_error("duplicate metadata key", &d, "duplicate");
    gb_free(&d);
    /* duplicate tensor names */
    gb_bytes(&d, "GGUF", 4); gb_u32(&d, 3); gb_u64(&d, 2); gb_u64(&d, 0);
    int64_t ne[1] = {8};
    gb_tensor_info(&d, "x", 1, ne, 0, 0);
    gb_tensor_info(&d, "x", 1, ne, 0, 32);
    gb_pad(&d, 32);
    for (int i = 0; i < 64; i++) gb_u8(&d, 0);
    expect_error("duplicate tensor name", &d, "duplicate");
    gb_free(&d);
    /* alignment must be a power of two u32 */
    uint32_t bad_align[] = {0, 3, 48};
    for (int i = 0; i < 3; i++) {
        gb_bytes(&d, "GGUF", 4); gb_u32(&d, 3); gb_u64(&d, 0); gb_u64(&d, 1);
        gb_kv_u32(&d, "general.alignment", bad_align[i]);
        char what[64];
        snprintf(what, sizeof what, "alignment %u", bad_align[i]);
        expect_error(what, &d, "alignment");
        gb_free(&d);
    }
    gb_bytes(&d, "GGUF", 4); gb_u32(&d, 3); gb_u64(&d, 0); gb_u64(&d, 1);
    gb_kv_f32(&d, "general.alignment", 32.0f);
    expect_error("alignment of type f32", &d, "alignment");
    gb_free(&d);
}

static void test_v2_and_empty(void) {
    t_case("gguf: v2 file and a header-only file open");
    gbuf d = {0};
    gb_bytes(&d, "GGUF", 4); gb_u32(&d, 2); gb_u64(&d, 0); gb_u64(&d, 1);
    gb_kv_str(&d, "general.name", "x");
    qlm_error err = {0};
    T_CHECK(try_open(d.data, d.len, &err) == QLM_OK, "v2: %s", err.message);
    gb_free(&d);
    gb_bytes(&d, "GGUF", 4); gb_u32(&d, 3); gb_u64(&d, 0); gb_u64(&d, 0);
    T_CHECK(try_open(d.data, d.len, &err) == QLM_OK, "empty: %s", err.message);
    gb_free(&d);
}

static void test_files(void) {
    t_case("gguf: missing file, directory and empty file are I/O or format errors");
    qlm_gguf *g = NULL;
    qlm_error err = {0};
    T_CHECK(qlm_gguf_open("/nonexistent/x.gguf", &g, &err) == QLM_ERR_IO && strstr(err.message, "/nonexistent/x.gguf"), "%s", err.message);
    T_CHECK(qlm_gguf_open("/", &g, &err) == QLM_ERR_IO, "directory: %s", err.message);
    char path[512];
    snprintf(path, sizeof path, "%s/empty.gguf", t_tmpdir());
    FILE *f = fopen(path, "wb");
    if (f) fclose(f);
    T_CHECK(qlm_gguf_open(path, &g, &err) == QLM_ERR_FORMAT, "empty: %s", err.message);

    t_case("gguf: stories260K.gguf (no general.alignment: default 32)");
    const char *p = t_shared("models/stories260K/stories260K.gguf");
    if (!p) { t_skip("../shared/models/stories260K/stories260K.gguf is absent"); return; }
    qlm_status rc = qlm_gguf_open(p, &g, &err);
    T_CHECK(rc == QLM_OK, "%s", err.message);
    if (rc) return;
    T_CHECK(g->alignment == 32 && g->n_tensors == 48 && g->n_kv == 19, "alignment %llu tensors %llu kv %llu",
            (unsigned long long)g->alignment, (unsigned long long)g->n_tensors, (unsigned long long)g->n_kv);
    uint32_t at;
    uint64_t an;
    const qlm_gguf_kv *kv;
    T_CHECK(qlm_gguf_get_arr(g, "tokenizer.ggml.tokens", &at, &an, &kv) && an == 512 &&
            kv->arr_strs[1].len == 3 && !memcmp(kv->arr_strs[1].ptr, "<s>", 3), "tokens array");
    const qlm_gguf_tinfo *t = qlm_gguf_find_tensor(g, "blk.0.ffn_down.weight");
    T_CHECK(t && t->ne[0] == 172 && t->ne[1] == 64 && t->type == 0, "ffn_down shape");
    qlm_gguf_close(g);
}

/* Linux: the mapped file is marked for huge pages (model/gguf.c: with the page cache
 * in 2 MiB folios the weight stream takes no TLB miss per 4 KiB). The mapping's entry in
 * /proc/self/smaps (the one whose range holds the map's address) lists "hg" in its
 * VmFlags when marked. */
static void test_map_hugepage_hint(const gbuf *v) {
    t_case("gguf: the file mapping is marked MADV_HUGEPAGE (smaps VmFlags hg)");
    FILE *probe = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    FILE *smaps = probe ? fopen("/proc/self/smaps", "r") : NULL;
    if (probe) fclose(probe);
    if (!smaps) { t_skip("no transparent huge pages or no /proc/self/smaps here"); return; }
    fclose(smaps);
    char path[512];
    snprintf(path, sizeof path, "%s/hint.gguf", t_tmpdir());
    FILE *f = fopen(path, "wb");
    T_CHECK(f && fwrite(v->data, 1, v->len, f) == v->len, "cannot write %s", path);
    if (f) fclose(f);
    qlm_gguf *g = NULL;
    qlm_error err = {0};
    T_CHECK(qlm_gguf_open(path, &g, &err) == QLM_OK, "%s", err.message);
    if (!g) return;
    const uintptr_t at = (uintptr_t)g->map;
    smaps = fopen("/proc/self/smaps", "r");
    char line[8192];
    int in_map = 0, found = 0, marked = 0;
    while (smaps && fgets(line, sizeof line, smaps)) {
        unsigned long lo, hi;
        char dash;
        /* a mapping's first line: "lo-hi perms ..." in hex; its fields follow */
        if (sscanf(line, "%lx%c%lx ", &lo, &dash, &hi) == 3 && dash == '-')
            in_map = lo <= at && at < hi;
        else if (in_map && !strncmp(line, "VmFlags:", 8)) {
            found = 1;
            marked = strstr(line, " hg") != NULL;
        }
    }
    if (smaps) fclose(smaps);
    T_CHECK(found, "no mapping at %#lx in /proc/self/smaps", (unsigned long)at);
    T_CHECK(marked, "the mapping of %s has no hg flag", path);
    qlm_gguf_close(g);
    remove(path);
}

/* A file read into memory (qlm_gguf_open_read) lands with its data section on a 64-byte
 * line whatever the header's length (alignment 32 leaves it at 32 mod 64 in half the
 * files): tensors at offsets that are multiples of 64 are then 64-byte aligned, and
 * their bytes are the file's. */
static void test_read_aligned(void) {
    t_case("gguf: open_read puts the data section on a 64-byte line (headers of 8 lengths)");
    int saw32 = 0;
    for (int k = 0; k < 64; k += 8) {
        gbuf b = {0};
        gb_bytes(&b, "GGUF", 4);
        gb_u32(&b, 3);
        gb_u64(&b, 2);
        gb_u64(&b, 2);
        gb_kv_u32(&b, "general.alignment", 32);
        char pad[72];
        memset(pad, 'p', (size_t)k);
        pad[k] = 0;
        gb_kv_str(&b, "test.pad", pad);
        const int64_t ne[1] = {32};
        gb_tensor_info(&b, "a", 1, ne, 0, 0);
        gb_tensor_info(&b, "b", 1, ne, 0, 128);
        gb_pad(&b, 32);
        const size_t data_at = b.len;
        saw32 += data_at % 64 == 32;
        for (int i = 0; i < 64; i++) gb_f32(&b, (float)(i * 3 + k));
        char path[512];
        snprintf(path, sizeof path, "%s/aligned%d.gguf", t_tmpdir(), k);
        FILE *f = fopen(path, "wb");
        T_CHECK(f && fwrite(b.data, 1, b.len, f) == b.len, "cannot write %s", path);
        if (f) fclose(f);
        qlm_gguf *g = NULL;
        qlm_error err = {0};
        T_CHECK(qlm_gguf_open_read(path, NULL, NULL, &g, &err) == QLM_OK, "%s", err.message);
        if (g) {
            T_CHECK(g->data_offset == data_at, "data offset %llu, file %zu", (unsigned long long)g->data_offset, data_at);
            for (int t = 0; t < 2; t++) {
                T_CHECK((uintptr_t)g->tensors[t].data % 64 == 0, "header %d: tensor %d at %p (data section at %zu mod 64)",
                        k, t, g->tensors[t].data, data_at % 64);
                T_CHECK(!memcmp(g->tensors[t].data, b.data + data_at + 128 * (size_t)t, 128), "tensor %d bytes", t);
            }
            qlm_gguf_close(g);
        }
        remove(path);
        gb_free(&b);
    }
    T_CHECK(saw32 > 0 && saw32 < 8, "header lengths gave %d of 8 data sections at 32 mod 64", saw32);
}

int main(void) {
    gbuf v = {0};
    layout L;
    make_valid(&v, &L);
    test_valid(&v);
    test_truncation(&v);
    test_targeted(&v, &L);
    test_mutations(&v);
    test_v2_and_empty();
    test_files();
    test_map_hugepage_hint(&v);
    test_read_aligned();
    gb_free(&v);
    return t_done();
}
