/* Tensor element types and the type-traits table.
 *
 * Type ids are the ggml ids stored in GGUF files (see shared/docs/formats.md), so a
 * tensor's type field indexes this table directly. Every type has a scalar reference
 * (to_float, from_float, vec_dot) here; faster per-ISA kernels live in quant/ and are
 * looked up through qlm_kernels (ggml-like/kernels.h), falling back to these.
 */
#ifndef QLM_QTYPES_H
#define QLM_QTYPES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

typedef enum {
    QLM_TYPE_F32 = 0,
    QLM_TYPE_F16 = 1,
    QLM_TYPE_Q4_0 = 2,
    QLM_TYPE_Q4_1 = 3,
    QLM_TYPE_Q5_0 = 6,
    QLM_TYPE_Q5_1 = 7,
    QLM_TYPE_Q8_0 = 8,
    QLM_TYPE_Q8_1 = 9,
    QLM_TYPE_Q2_K = 10,
    QLM_TYPE_Q3_K = 11,
    QLM_TYPE_Q4_K = 12,
    QLM_TYPE_Q5_K = 13,
    QLM_TYPE_Q6_K = 14,
    QLM_TYPE_Q8_K = 15,
    QLM_TYPE_IQ4_NL = 20,
    QLM_TYPE_I8 = 24,
    QLM_TYPE_I16 = 25,
    QLM_TYPE_I32 = 26,
    QLM_TYPE_I64 = 27,
    QLM_TYPE_F64 = 28,
    QLM_TYPE_BF16 = 30,
    QLM_TYPE_TQ1_0 = 34,
    QLM_TYPE_TQ2_0 = 35,
    QLM_TYPE_MXFP4 = 39,
    /* qlm's in-memory layouts (qlm_type_traits.internal): never read from or written to
     * a file */
    QLM_TYPE_Q4_0_G8 = 40,
    QLM_TYPE_Q4_K_R16 = 41,
    QLM_TYPE_Q6_K_R16 = 42,
    QLM_TYPE_Q4_0_R16 = 43,
    QLM_TYPE_Q8_0_R16 = 44,
    QLM_TYPE_Q5_K_R16 = 45,
    QLM_TYPE_COUNT = 46 /* table size: ids below this may have a name */
} qlm_type;

/* Convert n values (n a multiple of blck_size) between a block format and f32. */
typedef void (*qlm_to_float_fn)(const void *src, float *dst, int64_t n);
typedef void (*qlm_from_float_fn)(const float *src, void *dst, int64_t n);
/* Dot product of n values: x is a row of the weight type, y a row of its vec_dot_type. */
typedef void (*qlm_vec_dot_fn)(int64_t n, float *out, const void *x, const void *y);

typedef struct {
    const char *name;       /* as llama.cpp prints it: "Q4_0", "F16", ... */
    int64_t blck_size;      /* elements per block (1 for plain types) */
    size_t type_size;       /* bytes per block */
    bool is_quantized;
    bool supported;         /* qlm can compute with it (reference path exists) */
    bool internal;          /* a layout built at load time: a file holding it is invalid */
    qlm_to_float_fn to_float;
    qlm_from_float_fn from_float;   /* reference quantizer (round-to-nearest style) */
    qlm_type vec_dot_type;          /* what activations are converted to for vec_dot */
    qlm_vec_dot_fn vec_dot;         /* scalar reference dot */
} qlm_type_traits;

/* NULL for an id nobody defined; a traits entry with supported=false for a known
 * type qlm cannot compute with (its name is still valid for error messages). */
const qlm_type_traits *qlm_type_get(uint32_t type);
const char *qlm_type_name(uint32_t type); /* "type 77" style text for unknown ids */

/* Bytes of a row of ne0 elements; 0 if ne0 is not a multiple of the block size. */
size_t qlm_row_size(qlm_type type, int64_t ne0);

/* Look up a type by name (case-insensitive); returns -1 if unknown. */
int qlm_type_from_name(const char *name);

#endif
