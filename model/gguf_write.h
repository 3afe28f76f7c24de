/* GGUF v3 writer. Metadata and tensor infos are collected first; then begin() writes
 * the header to a temporary file next to the destination, tensor data is streamed in
 * the order the tensors were added, and finish() renames the file into place. An
 * interrupted or failed write never leaves a file at the destination path. */
#ifndef QLM_GGUF_WRITE_H
#define QLM_GGUF_WRITE_H

#include "gguf.h"

typedef struct qlm_gguf_writer qlm_gguf_writer;

qlm_gguf_writer *qlm_gguf_writer_new(uint32_t alignment); /* 0: 32 */
void qlm_gguf_writer_free(qlm_gguf_writer *w); /* removes the temp file if not finished */

/* Metadata (a key set twice keeps the last value). */
void qlm_gguf_w_u32(qlm_gguf_writer *w, const char *key, uint32_t v);
void qlm_gguf_w_i32(qlm_gguf_writer *w, const char *key, int32_t v);
void qlm_gguf_w_u64(qlm_gguf_writer *w, const char *key, uint64_t v);
void qlm_gguf_w_f32(qlm_gguf_writer *w, const char *key, float v);
void qlm_gguf_w_bool(qlm_gguf_writer *w, const char *key, bool v);
void qlm_gguf_w_str(qlm_gguf_writer *w, const char *key, const char *s, size_t len);
void qlm_gguf_w_arr(qlm_gguf_writer *w, const char *key, uint32_t elem_type, const void *data, uint64_t n);
void qlm_gguf_w_arr_str(qlm_gguf_writer *w, const char *key, const char *const *strs,
                        const size_t *lens, uint64_t n);
/* Copy one key/value of a reader verbatim (any type). */
void qlm_gguf_w_copy_kv(qlm_gguf_writer *w, const qlm_gguf_kv *kv);
bool qlm_gguf_w_has_key(const qlm_gguf_writer *w, const char *key);

/* Declare a tensor; returns its index, or -1 for a bad shape/type/name. */
int qlm_gguf_w_add_tensor(qlm_gguf_writer *w, const char *name, uint32_t type, int n_dims,
                          const int64_t *ne);
uint64_t qlm_gguf_w_tensor_nbytes(const qlm_gguf_writer *w, int idx);

qlm_status qlm_gguf_w_begin(qlm_gguf_writer *w, const char *path, qlm_error *err);
/* Data of the next tensor, in declaration order; may be given in several pieces. */
qlm_status qlm_gguf_w_write(qlm_gguf_writer *w, const void *data, size_t n, qlm_error *err);
qlm_status qlm_gguf_w_finish(qlm_gguf_writer *w, qlm_error *err);

#endif
