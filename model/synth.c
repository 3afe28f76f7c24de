/* qlm synth: random-weight GGUF files with the shape of real models (qlm.h, qlm_synth).
 *
 * Generation never holds the model, or even one tensor, in F32. For each weight matrix
 * a pool of POOL_ROWS random rows is drawn and quantized (in parallel, with the
 * reference quantizers of the type-traits table); the tensor's rows are then written
 * from that pool in turn, through the streaming GGUF writer. A TinyLlama-sized file
 * takes seconds and the memory of a few rows.
 *
 * Why repeated rows do not change what a benchmark measures: the matmul and dot kernels
 * do the same work for any values (no data-dependent branches, no sparsity shortcuts),
 * and every row still lives at its own address, so each token reads every byte of every
 * tensor from memory exactly as with trained weights - caches key on addresses, not
 * contents. Only the numbers computed differ, and nobody reads those. */
#include "qlm.h"
#include "synth.h"
#include "../ggml-like/threadpool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_ROWS 64              /* distinct random rows per tensor */
#define CHUNK_BYTES ((size_t)8 << 20)
#define WEIGHT_SCALE 0.02f        /* standard deviation of the random weights */

typedef enum { FILL_ONES, FILL_RANDOM } fill_kind;

typedef struct {
    qlm_synth_tensor t;
    fill_kind fill;
} plan_item;

/* ---- parameters and plan ---------------------------------------------------------- */

static qlm_status check_params(const qlm_synth_params *p, const synth_mix **mx, qlm_error *err) {
    if (!p) return qlm_set_error(err, QLM_ERR_INVALID_ARG, "qlm_synth: no parameters");
    if (!p->arch || (strcmp(p->arch, "llama") && strcmp(p->arch, "qwen2")))
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "synth: architecture '%s' (supported: llama, qwen2)", p->arch ? p->arch : "(none)");
#define RANGE(v, lo, hi, what) \
    if ((v) < (lo) || (v) > (hi)) \
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "synth: %s = %d is out of range (%d to %d)", what, (int)(v), (int)(lo), (int)(hi));
    RANGE(p->n_embd, 2, 65536, "dim")
    RANGE(p->n_layer, 1, 1024, "layers")
    RANGE(p->n_head, 1, 1024, "heads")
    RANGE(p->n_head_kv, 1, p->n_head, "kv-heads")
    RANGE(p->n_ff, 1, 1 << 20, "ffn")
    RANGE(p->n_vocab, SYNTH_MIN_VOCAB, 1 << 24, "vocab")
    RANGE(p->n_ctx, 1, 1 << 24, "ctx")
    RANGE(p->n_threads, 0, 1024, "threads")
#undef RANGE
    if (p->n_embd % p->n_head || (p->n_embd / p->n_head) % 2)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "synth: dim %d must split into %d heads of even size", p->n_embd, p->n_head);
    if (p->n_head % p->n_head_kv)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "synth: kv-heads %d must divide heads %d", p->n_head_kv, p->n_head);
    if (!(p->rope_theta > 0.0f) || !(p->norm_eps >= 0.0f && p->norm_eps < 1.0f))
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "synth: rope base must be positive and norm epsilon in [0, 1)");
    *mx = synth_mix_find(p->type);
    if (!*mx)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "synth: unknown type '%s' (known: %s)", p->type ? p->type : "(none)", synth_mix_names());
    return QLM_OK;
}

typedef struct {
    plan_item *items;
    int n, cap;
} plan_list;

static void add(plan_list *l, const char *name, fill_kind fill, uint32_t type, int64_t ne0, int64_t ne1) {
    if (l->n < l->cap) {
        plan_item *it = &l->items[l->n];
        memset(it, 0, sizeof *it);
        snprintf(it->t.name, sizeof it->t.name, "%s", name);
        it->t.type = type;
        it->t.n_dims = ne1 ? 2 : 1;
        it->t.ne[0] = ne0;
        it->t.ne[1] = ne1 ? ne1 : 1;
        it->t.nbytes = (uint64_t)qlm_row_size((qlm_type)type, ne0) * (uint64_t)it->t.ne[1];
        it->fill = fill;
    }
    l->n++;
}

/* The tensors in the order llama.cpp's converter writes them, with llama.cpp's names
 * and shapes (ne0 = input features). Returns the count even when it exceeds cap. */
static int make_plan(const qlm_synth_params *p, const synth_mix *mx, plan_item *items, int cap) {
    plan_list l = {items, 0, cap};
    int64_t d = p->n_embd, hd = p->n_embd / p->n_head, kv = hd * p->n_head_kv, ff = p->n_ff;
    int nl = p->n_layer;
    bool pure = p->pure;
    char name[64];
    add(&l, "token_embd.weight", FILL_RANDOM,
        synth_pick_type(mx, pure, p->tied_embd ? SK_HEAD : SK_EMBD, 0, nl, d), d, p->n_vocab);
    for (int il = 0; il < nl; il++) {
#define T(suffix, fill, kind, ne0, ne1) \
        (snprintf(name, sizeof name, "blk.%d.%s", il, suffix), \
         add(&l, name, fill, (ne1) ? synth_pick_type(mx, pure, kind, il, nl, ne0) : QLM_TYPE_F32, ne0, ne1))
        T("attn_norm.weight", FILL_ONES, SK_OTHER, d, 0);
        T("attn_q.weight", FILL_RANDOM, SK_OTHER, d, d);
        if (p->qkv_bias) T("attn_q.bias", FILL_RANDOM, SK_OTHER, d, 0);
        T("attn_k.weight", FILL_RANDOM, SK_OTHER, d, kv);
        if (p->qkv_bias) T("attn_k.bias", FILL_RANDOM, SK_OTHER, kv, 0);
        T("attn_v.weight", FILL_RANDOM, SK_ATTN_V, d, kv);
        if (p->qkv_bias) T("attn_v.bias", FILL_RANDOM, SK_OTHER, kv, 0);
        T("attn_output.weight", FILL_RANDOM, SK_OTHER, d, d);
        T("ffn_norm.weight", FILL_ONES, SK_OTHER, d, 0);
        T("ffn_gate.weight", FILL_RANDOM, SK_OTHER, d, ff);
        T("ffn_up.weight", FILL_RANDOM, SK_OTHER, d, ff);
        T("ffn_down.weight", FILL_RANDOM, SK_FFN_DOWN, ff, d);
#undef T
    }
    add(&l, "output_norm.weight", FILL_ONES, QLM_TYPE_F32, d, 0);
    if (!p->tied_embd)
        add(&l, "output.weight", FILL_RANDOM, synth_pick_type(mx, pure, SK_HEAD, 0, nl, d), d, p->n_vocab);
    return l.n;
}

int qlm_synth_plan(const qlm_synth_params *p, qlm_synth_tensor *out, int cap, qlm_error *err) {
    const synth_mix *mx;
    if (check_params(p, &mx, err)) return -1;
    int n = make_plan(p, mx, NULL, 0);
    plan_item *items = calloc((size_t)n, sizeof *items);
    if (!items) { qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); return -1; }
    make_plan(p, mx, items, n);
    for (int i = 0; out && i < n && i < cap; i++) out[i] = items[i].t;
    free(items);
    return n;
}

/* ---- random rows ------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* N(0, scale^2) values by Box-Muller; each row has its own stream (seed, tensor, row),
 * so the file does not depend on the thread count. */
static void gaussian_row(float *out, int64_t n, uint64_t seed, int tensor, int64_t row, float scale) {
    uint64_t s = seed ^ ((uint64_t)(tensor + 1) * 0xD1B54A32D192ED03ull) ^ ((uint64_t)row * 0x8CB92BA72F3D8DD7ull);
    for (int64_t i = 0; i < n; i += 2) {
        double u1 = ((double)(splitmix64(&s) >> 11) + 1.0) / 9007199254740993.0; /* (0, 1] */
        double u2 = (double)(splitmix64(&s) >> 11) / 9007199254740992.0;
        double r = sqrt(-2.0 * log(u1)), th = 2.0 * M_PI * u2;
        out[i] = (float)(r * cos(th)) * scale;
        if (i + 1 < n) out[i + 1] = (float)(r * sin(th)) * scale;
    }
}

typedef struct {
    const plan_item *it;
    int tensor;
    uint64_t seed;
    int64_t rows;          /* pool rows to make */
    float *f32;            /* [rows][ne0] scratch */
    unsigned char *q;      /* [rows][row_size] */
    size_t row_size;
    qlm_from_float_fn quant;
} pool_job;

static void pool_task(void *arg, int ith, int nth) {
    pool_job *j = arg;
    int64_t ne0 = j->it->t.ne[0];
    long lo, hi;
    qlm_split((long)j->rows, ith, nth, &lo, &hi);
    for (long r = lo; r < hi; r++) {
        float *f = j->f32 + (size_t)r * (size_t)ne0;
        gaussian_row(f, ne0, j->seed, j->tensor, r, WEIGHT_SCALE);
        j->quant(f, j->q + (size_t)r * j->row_size, ne0);
    }
}

/* ---- the file ---------------------------------------------------------------------- */

static void write_metadata(qlm_gguf_writer *w, const qlm_synth_params *p, const synth_mix *mx) {
    const char *a = p->arch;
    char key[128], desc[256];
#define K(suffix) (snprintf(key, sizeof key, "%s.%s", a, suffix), key)
    const char *name = p->name ? p->name : "synth";
    qlm_gguf_w_str(w, "general.architecture", a, strlen(a));
    qlm_gguf_w_str(w, "general.name", name, strlen(name));
    snprintf(desc, sizeof desc, "random weights (N(0, 0.02^2), seed %llu) made by qlm synth for benchmarks",
             (unsigned long long)p->seed);
    qlm_gguf_w_str(w, "general.description", desc, strlen(desc));
    qlm_gguf_w_u32(w, "general.file_type", mx->ftype);
    if (qlm_type_get(mx->base)->is_quantized) qlm_gguf_w_u32(w, "general.quantization_version", 2);
    uint32_t hd = (uint32_t)(p->n_embd / p->n_head);
    qlm_gguf_w_u32(w, K("context_length"), (uint32_t)p->n_ctx);
    qlm_gguf_w_u32(w, K("embedding_length"), (uint32_t)p->n_embd);
    qlm_gguf_w_u32(w, K("block_count"), (uint32_t)p->n_layer);
    qlm_gguf_w_u32(w, K("feed_forward_length"), (uint32_t)p->n_ff);
    qlm_gguf_w_u32(w, K("attention.head_count"), (uint32_t)p->n_head);
    qlm_gguf_w_u32(w, K("attention.head_count_kv"), (uint32_t)p->n_head_kv);
    qlm_gguf_w_f32(w, K("attention.layer_norm_rms_epsilon"), p->norm_eps);
    qlm_gguf_w_f32(w, K("rope.freq_base"), p->rope_theta);
    qlm_gguf_w_u32(w, K("rope.dimension_count"), hd);
    qlm_gguf_w_u32(w, K("vocab_size"), (uint32_t)p->n_vocab);
#undef K
}

static qlm_status write_vector(qlm_gguf_writer *w, const plan_item *it, int idx, uint64_t seed, float *buf,
                               qlm_error *err) {
    int64_t n = it->t.ne[0];
    if (it->fill == FILL_ONES)
        for (int64_t i = 0; i < n; i++) buf[i] = 1.0f;
    else
        gaussian_row(buf, n, seed, idx, 0, WEIGHT_SCALE); /* biases */
    return qlm_gguf_w_write(w, buf, (size_t)n * sizeof *buf, err);
}

qlm_status qlm_synth(const qlm_synth_params *p, const char *path, qlm_error *err) {
    const synth_mix *mx;
    qlm_status rc = check_params(p, &mx, err);
    if (rc) return rc;
    if (!path || !*path) return qlm_set_error(err, QLM_ERR_INVALID_ARG, "synth: no output path");

    int n = make_plan(p, mx, NULL, 0);
    plan_item *items = calloc((size_t)n, sizeof *items);
    qlm_gguf_writer *w = qlm_gguf_writer_new(0);
    qlm_pool *pool = NULL;
    float *f32 = NULL;
    unsigned char *qpool = NULL, *chunk = NULL;
    if (!items || !w) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); goto done; }
    make_plan(p, mx, items, n);

    write_metadata(w, p, mx);
    if ((rc = synth_write_vocab(w, p->n_vocab, err))) goto done;
    int64_t max_ne0 = 0;
    size_t max_row = 0;
    for (int i = 0; i < n; i++) {
        const qlm_synth_tensor *t = &items[i].t;
        if (qlm_gguf_w_add_tensor(w, t->name, t->type, t->n_dims, t->ne) < 0) {
            rc = qlm_set_error(err, QLM_ERR_INTERNAL, "synth: tensor '%s' cannot be written as %s", t->name, qlm_type_name(t->type));
            goto done;
        }
        if (t->ne[0] > max_ne0) max_ne0 = t->ne[0];
        size_t rs = qlm_row_size((qlm_type)t->type, t->ne[0]);
        if (rs > max_row) max_row = rs;
    }
    size_t chunk_cap = max_row > CHUNK_BYTES ? max_row : CHUNK_BYTES;
    f32 = malloc((size_t)POOL_ROWS * (size_t)max_ne0 * sizeof *f32);
    qpool = malloc((size_t)POOL_ROWS * max_row);
    chunk = malloc(chunk_cap);
    pool = qlm_pool_new(p->n_threads > 0 ? p->n_threads : qlm_physical_cores());
    if (!f32 || !qpool || !chunk || !pool) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); goto done; }
    if ((rc = qlm_gguf_w_begin(w, path, err))) goto done;

    for (int i = 0; i < n; i++) {
        const plan_item *it = &items[i];
        if (it->t.n_dims == 1) {
            if ((rc = write_vector(w, it, i, p->seed, f32, err))) goto done;
        } else {
            int64_t rows = it->t.ne[1];
            pool_job j = {
                .it = it, .tensor = i, .seed = p->seed,
                .rows = rows < POOL_ROWS ? rows : POOL_ROWS,
                .f32 = f32, .q = qpool,
                .row_size = qlm_row_size((qlm_type)it->t.type, it->t.ne[0]),
                .quant = qlm_type_get(it->t.type)->from_float,
            };
            qlm_pool_run(pool, pool_task, &j);
            size_t used = 0;
            for (int64_t r = 0; r < rows; r++) {
                if (used + j.row_size > chunk_cap) {
                    if ((rc = qlm_gguf_w_write(w, chunk, used, err))) goto done;
                    used = 0;
                }
                memcpy(chunk + used, qpool + (size_t)(r % j.rows) * j.row_size, j.row_size);
                used += j.row_size;
            }
            if (used && (rc = qlm_gguf_w_write(w, chunk, used, err))) goto done;
        }
        if (p->progress) p->progress(p->progress_data, i + 1, n, it->t.name);
    }
    rc = qlm_gguf_w_finish(w, err);
done:
    qlm_pool_free(pool);
    free(chunk);
    free(qpool);
    free(f32);
    free(items);
    qlm_gguf_writer_free(w);
    return rc;
}
