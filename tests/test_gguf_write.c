/* GGUF writer: a copy of llama.cpp's stories260K.gguf made key by key and tensor by
 * tensor is byte-identical to the original; every type round-trips through the reader;
 * a writer abandoned half way leaves nothing at the destination. */
#include "harness.h"
#include "../model/gguf_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_copy_identical(void) {
    t_case("gguf write: copy of stories260K.gguf is byte-identical");
    const char *src = t_shared("models/stories260K/stories260K.gguf");
    if (!src) { t_skip("../shared/models/stories260K/stories260K.gguf is absent"); return; }
    qlm_gguf *g = NULL;
    qlm_error err = {0};
    if (qlm_gguf_open(src, &g, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); return; }
    qlm_gguf_writer *w = qlm_gguf_writer_new(0);
    for (uint64_t i = 0; i < g->n_kv; i++) qlm_gguf_w_copy_kv(w, &g->kv[i]);
    for (uint64_t i = 0; i < g->n_tensors; i++)
        T_CHECK(qlm_gguf_w_add_tensor(w, g->tensors[i].name, g->tensors[i].type, (int)g->tensors[i].n_dims,
                                      g->tensors[i].ne) == (int)i, "add %llu", (unsigned long long)i);
    char out[512];
    snprintf(out, sizeof out, "%s/copy.gguf", t_tmpdir());
    remove(out);
    T_CHECK(qlm_gguf_w_begin(w, out, &err) == QLM_OK, "%s", err.message);
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        /* in two pieces, to exercise partial writes */
        size_t half = g->tensors[i].nbytes / 2;
        T_CHECK(qlm_gguf_w_write(w, g->tensors[i].data, half, &err) == QLM_OK, "%s", err.message);
        T_CHECK(qlm_gguf_w_write(w, (const char *)g->tensors[i].data + half, g->tensors[i].nbytes - half, &err) == QLM_OK, "%s", err.message);
    }
    T_CHECK(qlm_gguf_w_finish(w, &err) == QLM_OK, "%s", err.message);
    qlm_gguf_writer_free(w);
    size_t a_len, b_len;
    char *a = t_read_file(src, &a_len), *b = t_read_file(out, &b_len);
    T_CHECK(a && b && a_len == b_len && !memcmp(a, b, a_len), "sizes %zu vs %zu or contents differ", a_len, b_len);
    free(a);
    free(b);
    qlm_gguf_close(g);
}

static void test_roundtrip(void) {
    t_case("gguf write: every value type and a quantized tensor read back");
    qlm_gguf_writer *w = qlm_gguf_writer_new(64);
    qlm_gguf_w_u32(w, "a.u32", 7);
    qlm_gguf_w_u32(w, "a.u32", 8); /* replaced */
    qlm_gguf_w_i32(w, "a.i32", -3);
    qlm_gguf_w_u64(w, "a.u64", 1ull << 50);
    qlm_gguf_w_f32(w, "a.f32", 0.25f);
    qlm_gguf_w_bool(w, "a.bool", true);
    qlm_gguf_w_str(w, "a.str", "h\0llo", 5);
    float fa[3] = {1, 2, 3};
    qlm_gguf_w_arr(w, "a.arr", GGUF_TYPE_F32, fa, 3);
    const char *ss[2] = {"x", "yz"};
    qlm_gguf_w_arr_str(w, "a.strs", ss, NULL, 2);
    int64_t ne[2] = {64, 3};
    T_CHECK(qlm_gguf_w_add_tensor(w, "q", 8 /* Q8_0 */, 2, ne) == 0, "add");
    int64_t bad[1] = {33};
    T_CHECK(qlm_gguf_w_add_tensor(w, "bad", 8, 1, bad) == -1, "row not a block multiple must be refused");
    T_CHECK(qlm_gguf_w_tensor_nbytes(w, 0) == 6 * 34, "nbytes");
    char out[512];
    snprintf(out, sizeof out, "%s/rt.gguf", t_tmpdir());
    qlm_error err = {0};
    T_CHECK(qlm_gguf_w_begin(w, out, &err) == QLM_OK, "%s", err.message);
    uint8_t data[6 * 34];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)i;
    T_CHECK(qlm_gguf_w_write(w, data, sizeof data + 1, &err) != QLM_OK, "too much data must be refused");
    T_CHECK(qlm_gguf_w_write(w, data, sizeof data, &err) == QLM_OK, "%s", err.message);
    T_CHECK(qlm_gguf_w_finish(w, &err) == QLM_OK, "%s", err.message);
    qlm_gguf_writer_free(w);
    qlm_gguf *g = NULL;
    T_CHECK(qlm_gguf_open(out, &g, &err) == QLM_OK, "%s", err.message);
    if (!g) return;
    uint32_t u;
    int64_t i64;
    float f;
    bool b;
    qlm_str s;
    T_CHECK(qlm_gguf_get_u32(g, "a.u32", &u) && u == 8, "u32");
    T_CHECK(qlm_gguf_get_i64(g, "a.i32", &i64) && i64 == -3, "i32");
    T_CHECK(qlm_gguf_get_i64(g, "a.u64", &i64) && i64 == (1ll << 50), "u64");
    T_CHECK(qlm_gguf_get_f32(g, "a.f32", &f) && f == 0.25f, "f32");
    T_CHECK(qlm_gguf_get_bool(g, "a.bool", &b) && b, "bool");
    T_CHECK(qlm_gguf_get_str(g, "a.str", &s) && s.len == 5 && !memcmp(s.ptr, "h\0llo", 5), "str");
    const qlm_gguf_kv *kv;
    T_CHECK(qlm_gguf_get_arr(g, "a.arr", NULL, NULL, &kv) && qlm_gguf_arr_f32(kv, 2) == 3.0f, "arr");
    T_CHECK(qlm_gguf_get_arr(g, "a.strs", NULL, NULL, &kv) && kv->arr_strs[1].len == 2, "strs");
    T_CHECK(g->alignment == 64 && g->data_offset % 64 == 0, "alignment");
    const qlm_gguf_tinfo *t = qlm_gguf_find_tensor(g, "q");
    T_CHECK(t && t->nbytes == sizeof data && !memcmp(t->data, data, sizeof data), "tensor data");
    qlm_gguf_close(g);
}

static void test_abandoned(void) {
    t_case("gguf write: an unfinished write leaves no file at the destination");
    char out[512];
    snprintf(out, sizeof out, "%s/abandoned.gguf", t_tmpdir());
    remove(out);
    qlm_gguf_writer *w = qlm_gguf_writer_new(0);
    int64_t ne[1] = {32};
    qlm_gguf_w_add_tensor(w, "t", 0, 1, ne);
    qlm_error err = {0};
    T_CHECK(qlm_gguf_w_begin(w, out, &err) == QLM_OK, "%s", err.message);
    float x[8] = {0};
    qlm_gguf_w_write(w, x, sizeof x, &err);
    T_CHECK(qlm_gguf_w_finish(w, &err) != QLM_OK, "finish with missing data must fail");
    qlm_gguf_writer_free(w);
    T_CHECK(access(out, F_OK) != 0, "destination exists");
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", out, (int)getpid());
    T_CHECK(access(tmp, F_OK) != 0, "temp file left behind");
}

int main(void) {
    test_copy_identical();
    test_roundtrip();
    test_abandoned();
    return t_done();
}
