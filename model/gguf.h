/* GGUF reader (v2 and v3) over a read-only memory map. Internal API; qlm.h exposes the
 * inspection subset.
 *
 * Every count, length, size and offset in the file is checked against the mapped size
 * before it is used; qlm_gguf_open either returns a fully validated file or an error
 * that names the problem. After a successful open, all pointers below point inside the
 * map and all tensor data ranges lie inside the file.
 */
#ifndef QLM_GGUF_H
#define QLM_GGUF_H

#include "qlm.h"
#include "../ggml-like/error.h"
#include <stdint.h>
#include <stddef.h>

enum {
    GGUF_TYPE_U8 = 0, GGUF_TYPE_I8 = 1, GGUF_TYPE_U16 = 2, GGUF_TYPE_I16 = 3,
    GGUF_TYPE_U32 = 4, GGUF_TYPE_I32 = 5, GGUF_TYPE_F32 = 6, GGUF_TYPE_BOOL = 7,
    GGUF_TYPE_STRING = 8, GGUF_TYPE_ARRAY = 9, GGUF_TYPE_U64 = 10, GGUF_TYPE_I64 = 11,
    GGUF_TYPE_F64 = 12, GGUF_TYPE_COUNT = 13
};

#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_DIMS 4
#define GGUF_MAX_NAME 64   /* tensor names longer than this are rejected, as in ggml */

typedef struct {
    const char *ptr;  /* inside the map, not NUL-terminated */
    uint64_t len;
} qlm_str;

typedef struct {
    char *key;            /* NUL-terminated heap copy */
    uint32_t type;        /* GGUF_TYPE_* */
    /* scalars: decoded value (integers widened, bool as 0/1) */
    union { uint64_t u; int64_t i; double f; } v;
    qlm_str str;          /* GGUF_TYPE_STRING */
    /* GGUF_TYPE_ARRAY */
    uint32_t arr_type;
    uint64_t arr_n;
    const uint8_t *arr_data;  /* first element (for numeric arrays: packed LE values) */
    qlm_str *arr_strs;        /* heap index of the strings, for string arrays */
} qlm_gguf_kv;

typedef struct {
    char name[GGUF_MAX_NAME + 1];
    uint32_t n_dims;
    int64_t ne[GGUF_MAX_DIMS];   /* unused dims are 1 */
    uint32_t type;               /* ggml type id (known to qlm_type_get) */
    uint64_t offset;             /* relative to the data section */
    uint64_t nbytes;
    const void *data;            /* inside the map */
} qlm_gguf_tinfo;

struct qlm_gguf {
    const uint8_t *base;   /* mapped file */
    uint64_t size;
    void *map;             /* munmapped on close: the file's map, or the memory it was read
                            * into (NULL for qlm_gguf_open_memory) */
    size_t map_len;
    bool in_memory;        /* map is anonymous memory the file was read into */
    uint32_t version;
    uint64_t n_kv;
    qlm_gguf_kv *kv;
    uint64_t n_tensors;
    qlm_gguf_tinfo *tensors;
    uint64_t alignment;
    uint64_t data_offset;  /* start of the data section in the file */
};

/* qlm_gguf_open, but the file is read into anonymous memory instead of mapped (2 MiB
 * aligned, with transparent huge pages asked for where the OS has them): the weights
 * then stream through far fewer TLB entries (see qlm_model_params.no_mmap). progress
 * (may be NULL) gets MiB read of MiB total. */
qlm_status qlm_gguf_open_read(const char *path, qlm_progress_fn progress, void *progress_data, qlm_gguf **out,
                              qlm_error *err);

/* The weights of a handle from qlm_gguf_open_read made writable (true) or read-only
 * again (false), for layouts rewritten in place at load; QLM_ERR_INVALID_ARG for a
 * mapped file or a parsed image. */
qlm_status qlm_gguf_set_writable(qlm_gguf *g, bool writable, qlm_error *err);

/* Parse a GGUF image held in memory (not copied; must outlive the handle). */
qlm_status qlm_gguf_open_memory(const void *data, size_t size, qlm_gguf **out,
                                qlm_error *err);

/* -1 when absent. */
int64_t qlm_gguf_find_key(const qlm_gguf *g, const char *key);
const qlm_gguf_kv *qlm_gguf_get(const qlm_gguf *g, const char *key);
const qlm_gguf_tinfo *qlm_gguf_find_tensor(const qlm_gguf *g, const char *name);

/* Typed getters: return true and set *out when the key exists with a compatible type
 * (any integer type that fits for the integer getters; F32/F64 for float). */
bool qlm_gguf_get_u32(const qlm_gguf *g, const char *key, uint32_t *out);
bool qlm_gguf_get_i64(const qlm_gguf *g, const char *key, int64_t *out);
bool qlm_gguf_get_f32(const qlm_gguf *g, const char *key, float *out);
bool qlm_gguf_get_bool(const qlm_gguf *g, const char *key, bool *out);
bool qlm_gguf_get_str(const qlm_gguf *g, const char *key, qlm_str *out);
/* Numeric or string array; *type is the element type. */
bool qlm_gguf_get_arr(const qlm_gguf *g, const char *key, uint32_t *type, uint64_t *n,
                      const qlm_gguf_kv **kv);
/* Element i of a numeric array as float / int64 (caller checked i < arr_n). */
float qlm_gguf_arr_f32(const qlm_gguf_kv *kv, uint64_t i);
int64_t qlm_gguf_arr_i64(const qlm_gguf_kv *kv, uint64_t i);

/* Size in bytes of one element of a scalar GGUF type, 0 for string/array/unknown. */
size_t qlm_gguf_type_size(uint32_t type);
const char *qlm_gguf_type_name(uint32_t type);

#endif
