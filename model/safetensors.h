/* safetensors reader: one file or a sharded set (model.safetensors.index.json), each
 * memory-mapped read-only. Layout: u64 header length, a JSON header mapping tensor
 * names to {dtype, shape, data_offsets}, then the data. Every offset, shape and size in
 * the header is checked against the file before use. */
#ifndef QLM_SAFETENSORS_H
#define QLM_SAFETENSORS_H

#include "qlm.h"
#include <stddef.h>
#include <stdint.h>

typedef enum { QLM_ST_F32 = 0, QLM_ST_F16 = 1, QLM_ST_BF16 = 2 } qlm_st_dtype;

#define QLM_ST_MAX_DIMS 4

typedef struct {
    char *name;
    qlm_st_dtype dtype;
    int n_dims;
    int64_t shape[QLM_ST_MAX_DIMS];   /* outermost first, as PyTorch writes it */
    int64_t n_elements;
    const void *data;                 /* inside a map */
    uint64_t nbytes;
} qlm_st_tensor;

typedef struct qlm_st qlm_st;

/* Open DIR/model.safetensors, or the shards named by DIR/model.safetensors.index.json. */
qlm_status qlm_st_open_dir(const char *dir, qlm_st **out, qlm_error *err);
/* Open one .safetensors file. */
qlm_status qlm_st_open_file(const char *path, qlm_st **out, qlm_error *err);
/* Parse a safetensors image held in memory (not copied; must outlive the handle). */
qlm_status qlm_st_open_memory(const void *data, size_t size, qlm_st **out, qlm_error *err);
void qlm_st_close(qlm_st *st);

int qlm_st_count(const qlm_st *st);
const qlm_st_tensor *qlm_st_at(const qlm_st *st, int i);
const qlm_st_tensor *qlm_st_find(const qlm_st *st, const char *name);

/* Convert n elements starting at element `first` of t to f32. */
void qlm_st_to_f32(const qlm_st_tensor *t, int64_t first, int64_t n, float *out);

#endif
