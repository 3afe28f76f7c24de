#include "gguf_builder.h"

#include <stdlib.h>
#include <string.h>

void gb_bytes(gbuf *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) abort(); /* test helper: out of memory is fatal */
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void le(gbuf *b, uint64_t v, int n) {
    uint8_t t[8];
    for (int i = 0; i < n; i++) t[i] = (uint8_t)(v >> (8 * i));
    gb_bytes(b, t, (size_t)n);
}

void gb_u8(gbuf *b, uint8_t v) { gb_bytes(b, &v, 1); }
void gb_u32(gbuf *b, uint32_t v) { le(b, v, 4); }
void gb_u64(gbuf *b, uint64_t v) { le(b, v, 8); }
void gb_f32(gbuf *b, float v) { uint32_t u; memcpy(&u, &v, 4); le(b, u, 4); }
void gb_str(gbuf *b, const char *s) { size_t n = strlen(s); gb_u64(b, n); gb_bytes(b, s, n); }
void gb_pad(gbuf *b, size_t align) { while (b->len % align) gb_u8(b, 0); }
void gb_free(gbuf *b) { free(b->data); b->data = NULL; b->len = b->cap = 0; }

void gb_kv_u32(gbuf *b, const char *key, uint32_t v) { gb_str(b, key); gb_u32(b, 4); gb_u32(b, v); }
void gb_kv_f32(gbuf *b, const char *key, float v) { gb_str(b, key); gb_u32(b, 6); gb_f32(b, v); }
void gb_kv_str(gbuf *b, const char *key, const char *v) { gb_str(b, key); gb_u32(b, 8); gb_str(b, v); }

void gb_tensor_info(gbuf *b, const char *name, int n_dims, const int64_t *ne, uint32_t type, uint64_t offset) {
    gb_str(b, name);
    gb_u32(b, (uint32_t)n_dims);
    for (int i = 0; i < n_dims; i++) gb_u64(b, (uint64_t)ne[i]);
    gb_u32(b, type);
    gb_u64(b, offset);
}
