/* safetensors: qlm_st_open_memory, then every tensor converted to f32 (whole, and a
 * slice from the middle).
 *
 * Properties: every tensor's bytes lie inside the input and match its dtype and shape;
 * each tensor is found by its name. */
#include "fuzz.h"
#include "../../model/safetensors.h"

#include <math.h>
#include <string.h>

int fuzz_safetensors(const uint8_t *data, size_t size) {
    qlm_st *st = NULL;
    qlm_error err = {0};
    if (qlm_st_open_memory(data, size, &st, &err) != QLM_OK) {
        FUZZ_CHECK(err.code != QLM_OK && err.message[0], "error without a message");
        FUZZ_CHECK(st == NULL, "handle set on failure");
        return 0;
    }
    volatile float sink = 0;
    for (int i = 0; i < qlm_st_count(st); i++) {
        const qlm_st_tensor *t = qlm_st_at(st, i);
        const uint8_t *p = t->data;
        FUZZ_CHECK(p >= data && p <= data + size && t->nbytes <= (uint64_t)(data + size - p),
                   "tensor '%s' lies outside the input", t->name);
        uint64_t elt = t->dtype == QLM_ST_F32 ? 4 : 2;
        FUZZ_CHECK(t->n_elements >= 0 && (uint64_t)t->n_elements * elt == t->nbytes, "tensor '%s' size", t->name);
        FUZZ_CHECK(t->n_dims >= 0 && t->n_dims <= QLM_ST_MAX_DIMS, "tensor '%s' dims", t->name);
        int64_t prod = 1;
        for (int d = 0; d < t->n_dims; d++) prod *= t->shape[d];
        FUZZ_CHECK(prod == t->n_elements, "tensor '%s' shape product", t->name);
        FUZZ_CHECK(qlm_st_find(st, t->name) == t, "tensor '%s' not found by name", t->name);
        float *f = malloc((size_t)t->n_elements * sizeof *f + 1);
        FUZZ_CHECK(f != NULL, "out of memory");
        qlm_st_to_f32(t, 0, t->n_elements, f);
        for (int64_t k = 0; k < t->n_elements; k++) sink += f[k];
        if (t->n_elements > 2) qlm_st_to_f32(t, t->n_elements / 2, t->n_elements - t->n_elements / 2, f);
        free(f);
    }
    FUZZ_CHECK(qlm_st_at(st, -1) == NULL && qlm_st_at(st, qlm_st_count(st)) == NULL, "index past the end");
    (void)sink;
    qlm_st_close(st);
    return 0;
}

FUZZ_MAIN(fuzz_safetensors)
