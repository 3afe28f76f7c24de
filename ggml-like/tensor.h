/* A read-only view of a 2-D weight matrix (or a 1-D vector) in a block format.
 * Rows are ne[0] elements long and stored contiguously, row_size bytes apart. */
#ifndef QLM_TENSOR_H
#define QLM_TENSOR_H

#include "qtypes.h"

typedef struct {
    const void *data;   /* NULL when absent */
    qlm_type type;
    int64_t ne[2];      /* ne[0] = row length (input features), ne[1] = rows (outputs) */
    size_t row_size;    /* bytes per row */
} qlm_tensor;

static inline const void *qlm_tensor_row(const qlm_tensor *t, int64_t r) {
    return (const char *)t->data + (size_t)r * t->row_size;
}

#endif
