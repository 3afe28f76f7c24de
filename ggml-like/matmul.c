#include "matmul.h"

#include <string.h>

/* Q8_K rows are the largest per element (292 bytes per 256 values); f32 is 4 per value:
 * reserve the larger of the two for any type. */
size_t qlm_matmul_scratch_size(int64_t n_in, int n_tok) {
    size_t per_row = (size_t)n_in * 4 + 512;
    return per_row * (size_t)n_tok + 64;
}

typedef struct {
    const qlm_kernels *k;
    const qlm_tensor *W;
    const float *x;
    float *y;
    int64_t ldy;
    int n_tok;
    qlm_type act_type;
    void *act;          /* quantized activations [n_tok][act_row] */
    size_t act_row;
} matmul_job;

static void quantize_task(void *arg, int ith, int nth) {
    matmul_job *j = arg;
    long lo, hi;
    qlm_split(j->n_tok, ith, nth, &lo, &hi);
    int64_t n_in = j->W->ne[0];
    for (long t = lo; t < hi; t++)
        j->k->from_float[j->act_type](j->x + t * n_in, (char *)j->act + t * j->act_row, n_in);
}

/* Rows per tile: weights of a tile stay in L1/L2 while every token uses them. */
#define ROW_TILE 16

static void dot_task(void *arg, int ith, int nth) {
    matmul_job *j = arg;
    const qlm_tensor *W = j->W;
    qlm_vec_dot_fn dot = j->k->vec_dot[W->type];
    int64_t n_in = W->ne[0];
    long n_tiles = (long)((W->ne[1] + ROW_TILE - 1) / ROW_TILE);
    long lo, hi;
    qlm_split(n_tiles, ith, nth, &lo, &hi);
    for (long tile = lo; tile < hi; tile++) {
        int64_t r0 = tile * ROW_TILE, r1 = r0 + ROW_TILE;
        if (r1 > W->ne[1]) r1 = W->ne[1];
        for (int t = 0; t < j->n_tok; t++) {
            const void *a = (const char *)j->act + (size_t)t * j->act_row;
            float *yt = j->y + (size_t)t * j->ldy;
            for (int64_t r = r0; r < r1; r++) dot(n_in, &yt[r], qlm_tensor_row(W, r), a);
        }
    }
}

void qlm_matmul(qlm_pool *pool, const qlm_kernels *k, const qlm_tensor *W, const float *x,
                float *y, int64_t ldy, int n_tok, void *scratch) {
    const qlm_type_traits *tt = qlm_type_get(W->type);
    matmul_job j = {k, W, x, y, ldy, n_tok, tt->vec_dot_type, scratch, 0};
    if (j.act_type == QLM_TYPE_F32) {
        j.act = (void *)x; /* already in the dot's format */
        j.act_row = (size_t)W->ne[0] * sizeof(float);
    } else {
        j.act_row = qlm_row_size(j.act_type, W->ne[0]);
        qlm_pool_run(pool, quantize_task, &j);
    }
    qlm_pool_run(pool, dot_task, &j);
}
