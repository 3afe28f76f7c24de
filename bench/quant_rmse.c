/* Per-tensor reconstruction error of quantized GGUF files against their unquantized
 * source: for each tensor of ORIG, the relative RMS error
 *     sqrt(sum (q - x)^2 / sum x^2)
 * of the same-named tensor of each QUANT file (dequantized with qlm's scalar reference),
 * and whether the tensors' bytes are identical across the QUANT files.
 *
 *   build/bench/quant_rmse ORIG.gguf QUANT.gguf [QUANT2.gguf ...]
 *   make bench-rmse        (builds it)
 *
 * Used to compare qlm's quantizer with llama-quantize's on the same tensors (the table
 * in bench/RESULTS.md). Prints one tab-separated line per tensor that is quantized in
 * every QUANT file, then per file the mean and max of the per-tensor errors. Reads
 * tensor internals (model/gguf.h, ggml-like/type_traits.h), so it is not built into
 * ./qlm (see the Makefile). */
#include "../ggml-like/qtypes.h"
#include "../model/gguf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 8

/* Relative RMS error of tensor q (any type) against x (same shape). */
static double rel_rmse(const qlm_gguf_tinfo *x, const qlm_gguf_tinfo *q, float *bx, float *bq) {
    int64_t ne0 = x->ne[0], rows = x->ne[1] * x->ne[2] * x->ne[3];
    size_t rx = qlm_row_size((qlm_type)x->type, ne0), rq = qlm_row_size((qlm_type)q->type, ne0);
    double se = 0, ss = 0;
    for (int64_t r = 0; r < rows; r++) {
        qlm_type_get((qlm_type)x->type)->to_float((const uint8_t *)x->data + r * rx, bx, ne0);
        qlm_type_get((qlm_type)q->type)->to_float((const uint8_t *)q->data + r * rq, bq, ne0);
        for (int64_t k = 0; k < ne0; k++) {
            double d = (double)bq[k] - bx[k];
            se += d * d;
            ss += (double)bx[k] * bx[k];
        }
    }
    return ss > 0 ? sqrt(se / ss) : 0;
}

static bool same_shape(const qlm_gguf_tinfo *a, const qlm_gguf_tinfo *b) {
    for (int d = 0; d < 4; d++)
        if (a->ne[d] != b->ne[d]) return false;
    return true;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc - 2 > MAX_FILES) {
        fprintf(stderr, "usage: %s ORIG.gguf QUANT.gguf [QUANT2.gguf ...] (at most %d)\n", argv[0], MAX_FILES);
        return 2;
    }
    qlm_error err = {0};
    qlm_gguf *orig = NULL, *q[MAX_FILES] = {0};
    int nq = argc - 2;
    if (qlm_gguf_open(argv[1], &orig, &err) != QLM_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], err.message);
        return 1;
    }
    for (int f = 0; f < nq; f++)
        if (qlm_gguf_open(argv[2 + f], &q[f], &err) != QLM_OK) {
            fprintf(stderr, "%s: %s\n", argv[2 + f], err.message);
            return 1;
        }
    int64_t widest = 0;
    for (uint64_t i = 0; i < orig->n_tensors; i++)
        if (orig->tensors[i].ne[0] > widest) widest = orig->tensors[i].ne[0];
    float *bx = malloc((size_t)widest * sizeof *bx), *bq = malloc((size_t)widest * sizeof *bq);
    if (!bx || !bq) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    double sum[MAX_FILES] = {0}, max[MAX_FILES] = {0};
    int n = 0, identical = 0;
    printf("tensor\ttype");
    for (int f = 0; f < nq; f++) printf("\trmse[%d]", f);
    printf("\tbytes\n");
    for (uint64_t i = 0; i < orig->n_tensors; i++) {
        const qlm_gguf_tinfo *x = &orig->tensors[i];
        const qlm_gguf_tinfo *t[MAX_FILES];
        bool use = true;
        for (int f = 0; f < nq && use; f++) {
            t[f] = qlm_gguf_find_tensor(q[f], x->name);
            /* only tensors quantized (changed type) in every file, of one type */
            use = t[f] && same_shape(x, t[f]) && t[f]->type != x->type && t[f]->type == t[0]->type;
        }
        if (!use) continue;
        printf("%s\t%s", x->name, qlm_type_get((qlm_type)t[0]->type)->name);
        for (int f = 0; f < nq; f++) {
            double e = rel_rmse(x, t[f], bx, bq);
            printf("\t%.6f", e);
            sum[f] += e;
            if (e > max[f]) max[f] = e;
        }
        bool same = true;
        for (int f = 1; f < nq; f++) same = same && t[f]->nbytes == t[0]->nbytes && !memcmp(t[f]->data, t[0]->data, t[0]->nbytes);
        identical += same;
        printf("\t%s\n", nq < 2 ? "-" : same ? "identical" : "differ");
        n++;
    }
    for (int f = 0; f < nq; f++)
        printf("# %s: %d tensors, relative RMSE mean %.6f max %.6f\n", argv[2 + f], n, n ? sum[f] / n : 0, max[f]);
    if (nq > 1) printf("# %d of %d tensors byte-identical across the files\n", identical, n);
    free(bx);
    free(bq);
    for (int f = 0; f < nq; f++) qlm_gguf_close(q[f]);
    qlm_gguf_close(orig);
    return 0;
}
