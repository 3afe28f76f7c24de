/* Builds GGUF images byte by byte for tests, including deliberately malformed ones.
 * Independent of qlm's own writer so the reader is checked against a second source. */
#ifndef QLM_TEST_GGUF_BUILDER_H
#define QLM_TEST_GGUF_BUILDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data;
    size_t len, cap;
} gbuf;

void gb_bytes(gbuf *b, const void *p, size_t n);
void gb_u8(gbuf *b, uint8_t v);
void gb_u32(gbuf *b, uint32_t v);
void gb_u64(gbuf *b, uint64_t v);
void gb_f32(gbuf *b, float v);
void gb_str(gbuf *b, const char *s);         /* u64 length + bytes */
void gb_pad(gbuf *b, size_t align);          /* zero bytes up to a multiple of align */
void gb_free(gbuf *b);

/* Key + type + scalar helpers. */
void gb_kv_u32(gbuf *b, const char *key, uint32_t v);
void gb_kv_f32(gbuf *b, const char *key, float v);
void gb_kv_str(gbuf *b, const char *key, const char *v);

/* Tensor info: name, dims, ggml type, offset. */
void gb_tensor_info(gbuf *b, const char *name, int n_dims, const int64_t *ne, uint32_t type, uint64_t offset);

#endif
