/* GGUF: the reader (qlm_gguf_open_memory and every accessor), the vocabulary builder on
 * the parsed file, and the model loader on the same bytes through a memfd (it only takes
 * a path); a model that loads and is small gets a two-token evaluation.
 *
 * Properties: an open file's tensor ranges lie inside the input and have the size their
 * type and shape give; value strings stay within their buffer; an error has a message. */
#include "fuzz.h"
#include "../../model/model.h"
#include "../../ggml-like/qtypes.h"

#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void check_error(const qlm_error *err) {
    FUZZ_CHECK(err->code != QLM_OK, "an error status without a code");
    FUZZ_CHECK(memchr(err->message, 0, sizeof err->message) && err->message[0], "empty error message");
}

static void touch_reader(const qlm_gguf *g, const uint8_t *data, size_t size) {
    volatile uint8_t sink = 0;
    for (int64_t i = 0; i < qlm_gguf_n_tensors(g); i++) {
        const qlm_gguf_tinfo *t = &g->tensors[i];
        const uint8_t *p = t->data;
        FUZZ_CHECK(p >= data && p <= data + size && t->nbytes <= (uint64_t)(data + size - p),
                   "tensor '%s' lies outside the input", t->name);
        /* the size the loader relies on: whole rows of whole blocks */
        if (t->ne[0] > 0 && t->ne[1] > 0 && t->ne[2] > 0 && t->ne[3] > 0) {
            /* no overflow: the reader checked that this product fits the file */
            uint64_t rows = (uint64_t)t->ne[1] * (uint64_t)t->ne[2] * (uint64_t)t->ne[3];
            FUZZ_CHECK(qlm_row_size(t->type, t->ne[0]) * rows == t->nbytes,
                       "tensor '%s' size %" PRIu64 " does not match its shape", t->name, t->nbytes);
        } else {
            FUZZ_CHECK(t->nbytes == 0, "empty tensor '%s' has %" PRIu64 " bytes", t->name, t->nbytes);
        }
        uint8_t acc = 0;
        for (uint64_t k = 0; k < t->nbytes; k++) acc ^= p[k];
        sink ^= acc;
        FUZZ_CHECK(qlm_gguf_find_tensor(g, t->name) == t, "tensor '%s' is not found by name", t->name);
        qlm_tensor_desc d;
        qlm_gguf_tensor(g, i, &d);
        FUZZ_CHECK(d.nbytes == t->nbytes && d.type_name && strlen(d.name) <= GGUF_MAX_NAME, "tensor desc");
    }
    char buf[600];
    static const size_t caps[] = {1, 2, 9, 40, sizeof buf};
    for (int64_t i = 0; i < qlm_gguf_n_kv(g); i++) {
        const char *key = qlm_gguf_key(g, i);
        FUZZ_CHECK(qlm_gguf_find_key(g, key) == i, "key %" PRId64 " not found by name", i);
        for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
            memset(buf, 'x', sizeof buf);
            qlm_gguf_value_str(g, i, buf, caps[c]);
            FUZZ_CHECK(memchr(buf, 0, caps[c]) != NULL, "value string of '%s' not terminated within %zu", key, caps[c]);
        }
        qlm_gguf_value_str(g, i, buf, 0);
        uint32_t u32; int64_t i64; float f; bool b; qlm_str s;
        (void)qlm_gguf_get_u32(g, key, &u32);
        (void)qlm_gguf_get_i64(g, key, &i64);
        (void)qlm_gguf_get_f32(g, key, &f);
        (void)qlm_gguf_get_bool(g, key, &b);
        if (qlm_gguf_get_str(g, key, &s) && s.len) sink ^= (uint8_t)s.ptr[s.len - 1];
        uint32_t type;
        uint64_t n;
        const qlm_gguf_kv *kv;
        if (qlm_gguf_get_arr(g, key, &type, &n, &kv) && n) {
            if (type == GGUF_TYPE_STRING) {
                for (uint64_t k = 0; k < n; k++)
                    if (kv->arr_strs[k].len) sink ^= (uint8_t)kv->arr_strs[k].ptr[kv->arr_strs[k].len - 1];
            } else {
                float x = qlm_gguf_arr_f32(kv, n - 1);
                uint32_t bits;
                memcpy(&bits, &x, 4);
                sink ^= (uint8_t)bits;
                sink ^= (uint8_t)qlm_gguf_arr_i64(kv, n - 1);
                sink ^= (uint8_t)qlm_gguf_arr_i64(kv, 0);
            }
        }
    }
    (void)qlm_gguf_key(g, -1);
    (void)qlm_gguf_key(g, qlm_gguf_n_kv(g));
    (void)sink;
}

static void exercise_vocab(const qlm_vocab *v) {
    static const char text[] = "Hello world! <s></s><|endoftext|>[CLS] \xe2\x96\x81\xc3\xa9\xff\x80 12345 \t\n  x";
    int32_t ids[256];
    for (unsigned flags = 0; flags < 4; flags++) {
        int n = qlm_vocab_tokenize(v, text, sizeof text - 1, flags, ids, 256);
        FUZZ_CHECK(n >= 0 && n <= 256, "tokenize returned %d", n);
        for (int i = 0; i < n; i++) FUZZ_CHECK(ids[i] >= 0 && ids[i] < qlm_vocab_size(v), "bad id %d", ids[i]);
    }
    char buf[64];
    int n = qlm_vocab_size(v);
    for (int32_t id = -1; id <= n; id++) {
        if (id > 300 && id < n - 2) id = n - 2;
        int k = qlm_vocab_token_bytes(v, id, true, buf, sizeof buf);
        FUZZ_CHECK((id < 0 || id >= n) ? k == -1 : k >= 0, "token_bytes(%d) = %d", id, k);
    }
    qlm_detok *d = qlm_detok_new_vocab(v);
    if (d) {
        for (int32_t id = 0; id < n && id < 300; id++) (void)qlm_detok_push(d, id);
        (void)qlm_detok_flush(d);
        qlm_detok_free(d);
    }
    (void)qlm_vocab_is_eog(v, 0);
    (void)qlm_vocab_model_name(v);
}

/* The loader takes a path: hand it the bytes as /proc/self/fd/N of a memfd. */
static void exercise_model(const uint8_t *data, size_t size) {
    static int fd = -2;
    if (fd == -2) fd = memfd_create("fuzz_gguf", MFD_CLOEXEC);
    if (fd < 0) return;
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) return;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    for (int vocab_only = 0; vocab_only < 2; vocab_only++) {
        qlm_model_params mp = {.vocab_only = vocab_only};
        qlm_model *m = NULL;
        qlm_error err = {0};
        if (qlm_model_load(path, &mp, &m, &err) != QLM_OK) {
            check_error(&err);
            continue;
        }
        qlm_model_desc desc;
        qlm_model_describe(m, &desc);
        /* the chat glue with a built-in template (a file's own template is Jinja, which
         * fuzz_template covers with tighter step limits than qlm_chat_format's) */
        qlm_str tmpl;
        if (vocab_only && !qlm_gguf_get_str(m->gguf, "tokenizer.chat_template", &tmpl)) {
            static const char msgs[] = "[{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"u\"}]";
            char *text = NULL;
            size_t len = 0;
            if (qlm_chat_format(m, msgs, sizeof msgs - 1, true, &text, &len, &err) == QLM_OK)
                FUZZ_CHECK(text && text[len] == 0, "chat text");
            else
                check_error(&err);
            free(text);
        }
        /* a loaded model can run: two tokens through the forward pass (small models only,
         * so that each input stays fast) */
        if (!vocab_only && desc.weights_bytes <= (1u << 20) && desc.n_layer <= 8) {
            qlm_context_params cp = qlm_context_default_params();
            cp.n_ctx = 4;
            cp.n_threads = 1;
            qlm_context *c = NULL;
            if (qlm_context_new(m, &cp, &c, &err) == QLM_OK) {
                int32_t toks[2] = {0, desc.n_vocab - 1};
                if (qlm_eval(c, toks, 2, true, &err) == QLM_OK)
                    FUZZ_CHECK(qlm_logits(c, 1) != NULL, "no logits after eval");
                qlm_context_free(c);
            }
        }
        qlm_model_free(m);
    }
}

int fuzz_gguf(const uint8_t *data, size_t size) {
    qlm_gguf *g = NULL;
    qlm_error err = {0};
    if (qlm_gguf_open_memory(data, size, &g, &err) != QLM_OK) {
        check_error(&err);
        FUZZ_CHECK(g == NULL, "handle set on failure");
        return 0;
    }
    FUZZ_CHECK(qlm_gguf_file_size(g) == size && qlm_gguf_version(g) >= 1 && qlm_gguf_version(g) <= 3, "header");
    touch_reader(g, data, size);
    qlm_vocab *v = NULL;
    if (qlm_vocab_load(g, &v, &err) == QLM_OK) {
        if (v) exercise_vocab(v);
        qlm_vocab_free(v);
    } else {
        check_error(&err);
    }
    qlm_gguf_close(g);
    if (size) exercise_model(data, size);
    return 0;
}

FUZZ_MAIN(fuzz_gguf)
