/* qlm_quantize_file: GGUF in, GGUF with converted weight matrices out.
 *
 * Two passes. The first decides every tensor's output type (model/quantize_rules.c)
 * and checks everything that can be checked before writing: type names, overrides,
 * convertible input types, requantization. Only then is the output started, so a
 * refused request creates no file at all.
 *
 * The second pass streams: the input stays memory-mapped by the reader, and each
 * tensor is converted in slabs of rows (at most SLAB_BYTES of output) that the thread
 * pool splits between threads. A thread turns one row at a time into f32 in its own
 * scratch row and quantizes it straight into the slab, so memory use is one slab plus
 * one row per thread, whatever the model's size. Tensors that keep their type are
 * written from the map without a copy. The writer puts everything in a temporary file
 * and renames it into place at the end (model/gguf_write.h).
 */
#include "quantize.h"
#include "gguf_write.h"
#include "../ggml-like/kernels.h"
#include "../ggml-like/threadpool.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SLAB_BYTES ((size_t)16 << 20)
#define MAX_THREADS 512

qlm_quantize_params qlm_quantize_default_params(void) {
    qlm_quantize_params p;
    memset(&p, 0, sizeof p);
    p.type = "Q4_K_M";
    return p;
}

typedef struct {
    const qlm_gguf_tinfo *t;
    qlm_type out;
    bool convert;   /* false: copied byte for byte */
} plan_item;

/* One slab of rows for the pool. */
typedef struct {
    const uint8_t *src;      /* first row of the slab */
    size_t src_row, dst_row; /* bytes per row */
    int64_t ne0, nrows;
    qlm_to_float_fn to_float;      /* NULL: rows are already aligned f32 */
    qlm_from_float_fn from_float;
    uint8_t *dst;
    float *scratch;          /* one row per thread */
    int64_t *bad_row;        /* per thread: first row with a non-finite value, or -1 */
} slab_job;

/* True when no value is inf or nan (checked on the bits, which the compiler can
 * vectorize, unlike a float comparison chain). */
static bool all_finite(const float *x, int64_t n) {
    uint32_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        bad |= (u & 0x7f800000u) == 0x7f800000u;
    }
    return !bad;
}

static void convert_rows(void *arg, int ith, int nth) {
    slab_job *j = arg;
    long lo, hi;
    qlm_split((long)j->nrows, ith, nth, &lo, &hi);
    float *tmp = j->scratch + (size_t)ith * (size_t)j->ne0;
    for (long r = lo; r < hi; r++) {
        const uint8_t *src = j->src + (size_t)r * j->src_row;
        const float *f = (const float *)(const void *)src;
        if (j->to_float) {
            j->to_float(src, tmp, j->ne0);
            f = tmp;
        }
        if (!all_finite(f, j->ne0)) {
            j->bad_row[ith] = r;
            return;
        }
        j->from_float(f, j->dst + (size_t)r * j->dst_row, j->ne0);
    }
}

/* Refuse to write over the input: same path, or another name for the same file. */
static bool same_file(const char *a, const char *b) {
    if (!strcmp(a, b)) return true;
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* A tensor type name for an override: NULL -> -1; unknown or not a storage format
 * qlm can write -> error. */
static qlm_status parse_override(const char *what, const char *name, int *out, qlm_error *err) {
    *out = -1;
    if (!name) return QLM_OK;
    int t = qlm_type_from_name(name);
    const qlm_type_traits *tt = t >= 0 ? qlm_type_get((uint32_t)t) : NULL;
    /* vec_dot marks a weight format (Q8_1 and Q8_K are for activations only) */
    if (!tt || !tt->supported || !tt->from_float || !tt->vec_dot || tt->internal)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG,
                             "unknown %s type '%s' (expected F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K or Q6_K)",
                             what, name);
    *out = t;
    return QLM_OK;
}

/* Pass 1: every tensor's output type, and the reasons not to start. */
static qlm_status plan_file(const qlm_gguf *g, const qlm_quantize_params *p, const qlm_ftype_info *ft,
                            int out_t, int embd_t, const int64_t *order, plan_item *plan,
                            qlm_error *err) {
    qlm_quant_state s;
    qlm_quant_state_init(&s, g, ft, p->pure, out_t, embd_t);
    for (uint64_t k = 0; k < g->n_tensors; k++) {
        const qlm_gguf_tinfo *t = &g->tensors[order[k]];
        plan_item *it = &plan[k];
        it->t = t;
        it->out = (qlm_type)t->type;
        it->convert = false;
        for (int d = 0; d < GGUF_MAX_DIMS; d++)
            if (t->ne[d] <= 0)
                return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "tensor '%s' has no elements (dimension %d is %lld)",
                                     t->name, d, (long long)t->ne[d]);
        if (!qlm_quant_wants(t)) continue;
        bool fell_back;
        qlm_status rc = qlm_quant_choose(&s, t, &it->out, &fell_back, err);
        if (rc) return rc;
        if (it->out == (qlm_type)t->type) continue; /* already the wanted type: copy */
        const qlm_type_traits *src = qlm_type_get(t->type);
        if (!src->supported || !src->to_float)
            return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "tensor '%s' has type %s, which qlm cannot convert",
                                 t->name, src->name);
        if (src->is_quantized && !p->allow_requantize)
            return qlm_set_error(err, QLM_ERR_UNSUPPORTED,
                                 "tensor '%s' is already quantized (%s); requantizing to %s loses accuracy "
                                 "and needs --allow-requantize",
                                 t->name, src->name, qlm_type_name(it->out));
        it->convert = true;
    }
    return QLM_OK;
}

/* Metadata: everything from the input in its order, except the keys llama.cpp
 * replaces (set last, as gguf_set_val does) or drops (split bookkeeping). */
static void copy_metadata(qlm_gguf_writer *w, const qlm_gguf *g, uint32_t ftype) {
    static const char *const DROP[] = {"general.quantization_version", "general.file_type",
                                       "split.no", "split.count", "split.tensors.count"};
    for (uint64_t i = 0; i < g->n_kv; i++) {
        bool drop = false;
        for (size_t d = 0; d < sizeof DROP / sizeof DROP[0]; d++) drop |= !strcmp(g->kv[i].key, DROP[d]);
        if (!drop) qlm_gguf_w_copy_kv(w, &g->kv[i]);
    }
    qlm_gguf_w_u32(w, "general.quantization_version", QLM_QUANTIZATION_VERSION);
    qlm_gguf_w_u32(w, "general.file_type", ftype);
}

typedef struct {
    const qlm_quantize_params *p;
    qlm_quantize_progress pr;
} progress_state;

static void report(progress_state *ps, bool done) {
    if (!ps->p->progress) return;
    ps->pr.tensor_done = done;
    ps->p->progress(&ps->pr, ps->p->progress_user);
}

static int64_t n_rows(const qlm_gguf_tinfo *t) { return t->ne[1] * t->ne[2] * t->ne[3]; }

/* Rows converted per pool run: up to SLAB_BYTES of output, at least one row. */
static int64_t slab_rows(const plan_item *it) {
    int64_t r = (int64_t)(SLAB_BYTES / qlm_row_size(it->out, it->t->ne[0]));
    if (r < 1) r = 1;
    return r < n_rows(it->t) ? r : n_rows(it->t);
}

/* Pass 2 for one tensor. */
static qlm_status write_tensor(qlm_gguf_writer *w, const plan_item *it, qlm_pool *pool, slab_job *job,
                               uint8_t *slab, progress_state *ps, qlm_error *err) {
    const qlm_gguf_tinfo *t = it->t;
    const uint8_t *data = t->data;
    qlm_status rc;
    if (!it->convert) {
        for (uint64_t off = 0; off < t->nbytes;) {
            size_t n = t->nbytes - off > SLAB_BYTES ? SLAB_BYTES : (size_t)(t->nbytes - off);
            if ((rc = qlm_gguf_w_write(w, data + off, n, err))) return rc;
            off += n;
            ps->pr.bytes_in_done += n;
            ps->pr.bytes_out_done += n;
            if (off < t->nbytes) report(ps, false);
        }
        report(ps, true);
        return QLM_OK;
    }
    const qlm_type_traits *dst = qlm_type_get(it->out);
    const int64_t ne0 = t->ne[0];
    const int64_t nrows = n_rows(t);
    job->ne0 = ne0;
    job->src_row = qlm_row_size((qlm_type)t->type, ne0);
    job->dst_row = qlm_row_size(it->out, ne0);
    /* f32 rows are used in place when aligned (the data section always is, unless a
     * file sets an alignment below 4) */
    /* the kernel table's conversion (F16C / AVX-512 on x86): the same values as the
     * reference's, since f16 and bf16 convert to f32 exactly; the scalar one was a sixth
     * of a Q4_0 quantize */
    job->to_float = (t->type == QLM_TYPE_F32 && ((uintptr_t)data % _Alignof(float)) == 0)
                        ? NULL
                        : qlm_kernels_active()->to_float[t->type];
    job->from_float = dst->from_float;
    int nth = qlm_pool_size(pool);
    const int64_t per_slab = slab_rows(it);
    for (int64_t r0 = 0; r0 < nrows; r0 += per_slab) {
        int64_t n = nrows - r0 < per_slab ? nrows - r0 : per_slab;
        job->src = data + (size_t)r0 * job->src_row;
        job->nrows = n;
        job->dst = slab;
        for (int i = 0; i < nth; i++) job->bad_row[i] = -1;
        qlm_pool_run(pool, convert_rows, job);
        for (int i = 0; i < nth; i++)
            if (job->bad_row[i] >= 0)
                return qlm_set_error(err, QLM_ERR_FORMAT, "tensor '%s' has a non-finite value (inf or nan) in row %lld",
                                     t->name, (long long)(r0 + job->bad_row[i]));
        if ((rc = qlm_gguf_w_write(w, slab, (size_t)n * job->dst_row, err))) return rc;
        ps->pr.bytes_in_done += (uint64_t)n * job->src_row;
        ps->pr.bytes_out_done += (uint64_t)n * job->dst_row;
        if (r0 + n < nrows) report(ps, false);
    }
    report(ps, true);
    return QLM_OK;
}

qlm_status qlm_quantize_file(const char *in, const char *out, const qlm_quantize_params *p,
                             qlm_error *err) {
    if (!in || !out || !p) return qlm_set_error(err, QLM_ERR_INVALID_ARG, "quantize: missing input, output or parameters");
    const qlm_ftype_info *ft = qlm_ftype_find(p->type);
    if (!ft)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "unknown quantization type '%s' (expected one of: %s)",
                             p->type ? p->type : "(null)", qlm_quantize_type_names());
    int out_t, embd_t;
    qlm_status rc;
    if ((rc = parse_override("output", p->output_type, &out_t, err)) ||
        (rc = parse_override("embedding", p->embd_type, &embd_t, err)))
        return rc;
    if (same_file(in, out))
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "output '%s' is the input file; choose another path", out);
    int n_threads = p->n_threads > 0 ? p->n_threads : qlm_physical_cores();
    if (n_threads > MAX_THREADS) n_threads = MAX_THREADS;

    qlm_gguf *g = NULL;
    if ((rc = qlm_gguf_open(in, &g, err))) {
        if (err && strncmp(err->message, in, strlen(in)) != 0) qlm_error_prefix(err, in);
        return rc;
    }
    int64_t *order = qlm_quant_order(g);
    plan_item *plan = calloc(g->n_tensors ? (size_t)g->n_tensors : 1, sizeof *plan);
    qlm_gguf_writer *w = NULL;
    qlm_pool *pool = NULL;
    uint8_t *slab = NULL;
    slab_job job;
    memset(&job, 0, sizeof job);
    if (!order || !plan) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); goto done; }
    if ((rc = plan_file(g, p, ft, out_t, embd_t, order, plan, err))) goto done;

    /* buffers sized for the largest converted tensor: one slab, one row per thread */
    size_t slab_size = 0, max_ne0 = 0;
    uint64_t total_in = 0;
    for (uint64_t k = 0; k < g->n_tensors; k++) {
        total_in += plan[k].t->nbytes;
        if (!plan[k].convert) continue;
        size_t s = (size_t)slab_rows(&plan[k]) * qlm_row_size(plan[k].out, plan[k].t->ne[0]);
        if (s > slab_size) slab_size = s;
        if ((size_t)plan[k].t->ne[0] > max_ne0) max_ne0 = (size_t)plan[k].t->ne[0];
    }
    if (slab_size) {
        slab = malloc(slab_size);
        job.scratch = malloc((size_t)n_threads * max_ne0 * sizeof(float));
        job.bad_row = malloc((size_t)n_threads * sizeof *job.bad_row);
        pool = qlm_pool_new(n_threads);
        if (!slab || !job.scratch || !job.bad_row || !pool) {
            rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for %zu-byte buffers and %d threads", slab_size, n_threads);
            goto done;
        }
    }

    w = qlm_gguf_writer_new((uint32_t)g->alignment);
    if (!w) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); goto done; }
    copy_metadata(w, g, ft->ftype);
    for (uint64_t k = 0; k < g->n_tensors; k++) {
        const qlm_gguf_tinfo *t = plan[k].t;
        if (qlm_gguf_w_add_tensor(w, t->name, plan[k].out, qlm_quant_n_dims(t), t->ne) < 0) {
            rc = qlm_set_error(err, QLM_ERR_NOMEM, "cannot declare tensor '%s' in the output", t->name);
            goto done;
        }
    }
    if ((rc = qlm_gguf_w_begin(w, out, err))) goto done;
    progress_state ps = {.p = p};
    ps.pr.n_tensors = (int64_t)g->n_tensors;
    ps.pr.bytes_in_total = total_in;
    for (uint64_t k = 0; k < g->n_tensors; k++) {
        ps.pr.tensor = (int64_t)k;
        ps.pr.name = plan[k].t->name;
        ps.pr.type_in = qlm_type_name(plan[k].t->type);
        ps.pr.type_out = qlm_type_name(plan[k].out);
        if ((rc = write_tensor(w, &plan[k], pool, &job, slab, &ps, err))) goto done;
    }
    rc = qlm_gguf_w_finish(w, err);
done:
    qlm_gguf_writer_free(w); /* removes the temporary file unless finished */
    qlm_pool_free(pool);
    free(slab);
    free(job.scratch);
    free(job.bad_row);
    free(plan);
    free(order);
    qlm_gguf_close(g);
    return rc;
}
