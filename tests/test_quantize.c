/* qlm_quantize_file against llama.cpp's quantizer and against the unquantized models.
 *
 *  - stories260K: qlm's F16, BF16, Q8_0, Q4_0, Q5_0 and Q5_1 files hold the same bytes
 *    as llama.cpp's files in ../shared/models/stories260K/quant/, tensor by tensor
 *    wherever both chose the same type; the Q4_K_M, Q5_K_S and Q6_K mixes (which fall
 *    back to Q5_0 / Q5_1 / Q8_0 there because rows are 64 wide) are whole-file
 *    identical, metadata and tensor order included.
 *  - The seven llama.cpp-layout fixtures (BF16 matrices, rows multiple of 256): per-tensor
 *    relative reconstruction error of pure Q4_K / Q5_K / Q6_K, pinned at the measured
 *    values; top-1 agreement of Q4_K_M, Q6_K and Q8_0 logits with the BF16 model's.
 *  - Threads do not change the output; progress reports add up; errors leave no file;
 *    a quantize killed with SIGKILL leaves nothing at the output path.
 */
#include "harness.h"
#include "qlm.h"
#include "../model/gguf_write.h"
#include "../ggml-like/qtypes.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *tmp_path(const char *name) {
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 512, "%s/%s", t_tmpdir(), name);
    return p;
}

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static qlm_status quantize(const char *in, const char *out, const char *type, bool pure, int threads,
                           qlm_error *err) {
    qlm_quantize_params p = qlm_quantize_default_params();
    p.type = type;
    p.pure = pure;
    p.n_threads = threads;
    return qlm_quantize_file(in, out, &p, err);
}

/* ---- stories260K against llama.cpp's files ----------------------------------------- */

static const char *QDIR = "models/stories260K/quant/";

/* Compare every tensor that has the same type in both files; return how many of them
 * have type `want` (and count mismatches in *bad). */
static int compare_same_type(const qlm_gguf *mine, const qlm_gguf *ref, uint32_t want, int *bad,
                             int *n_same) {
    int n_want = 0;
    *bad = 0;
    *n_same = 0;
    for (uint64_t i = 0; i < mine->n_tensors; i++) {
        const qlm_gguf_tinfo *a = &mine->tensors[i], *b = qlm_gguf_find_tensor(ref, a->name);
        if (!b || a->type != b->type) continue;
        (*n_same)++;
        if (a->nbytes != b->nbytes || memcmp(a->data, b->data, a->nbytes)) {
            if (*bad == 0) fprintf(stderr, "  first differing tensor: %s (%s)\n", a->name, qlm_type_name(a->type));
            (*bad)++;
        }
        if (a->type == want) n_want++;
    }
    return n_want;
}

static void test_stories_tensors(const char *src) {
    /* type, llama.cpp file holding that type, tensors of that type both files share */
    static const struct { const char *type, *ref; int n_want, n_same; } CASES[] = {
        {"F16", "stories260K.llamaquant-F16.gguf", 37, 48},
        {"BF16", "stories260K.llamaquant-BF16.gguf", 37, 48},
        {"Q8_0", "stories260K.llamaquant-Q6_K.mix-Q8_0.gguf", 32, 48},      /* output stays Q8_0 */
        {"Q4_0", "stories260K.llamaquant-TQ2_0.mix-Q4_0.gguf", 30, 47},     /* token_embd Q5_0 there */
        {"Q5_0", "stories260K.llamaquant-Q4_K_M.mix-Q5_0.gguf", 29, 46},    /* 2 attn_v Q8_0 there */
        {"Q5_1", "stories260K.llamaquant-Q5_K_S.mix-Q5_1.gguf", 31, 48},
    };
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        t_case("stories260K %s: tensors byte-identical to llama.cpp's (%d of type %s, %d in all)",
               CASES[c].type, CASES[c].n_want, CASES[c].type, CASES[c].n_same);
        char rel[256];
        snprintf(rel, sizeof rel, "%s%s", QDIR, CASES[c].ref);
        const char *ref_path = t_shared(rel);
        if (!ref_path) { t_skip("%s is absent", rel); continue; }
        char name[64];
        snprintf(name, sizeof name, "stories-%s.gguf", CASES[c].type);
        const char *out = tmp_path(name);
        qlm_error err = {0};
        if (quantize(src, out, CASES[c].type, false, 2, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); continue; }
        qlm_gguf *a = NULL, *b = NULL;
        if (qlm_gguf_open(out, &a, &err) == QLM_OK && qlm_gguf_open(ref_path, &b, &err) == QLM_OK) {
            int bad, n_same;
            int n_want = compare_same_type(a, b, (uint32_t)qlm_type_from_name(CASES[c].type), &bad, &n_same);
            T_CHECK(bad == 0, "%d tensors differ", bad);
            T_CHECK(n_want == CASES[c].n_want, "%d tensors of type %s compared", n_want, CASES[c].type);
            T_CHECK(n_same == CASES[c].n_same, "%d tensors with the same type", n_same);
        } else {
            T_CHECK(0, "%s", err.message);
        }
        qlm_gguf_close(a);
        qlm_gguf_close(b);
    }
}

static void test_stories_mixes(const char *src) {
    /* where every 64-wide row forces the K types' fallbacks, the whole file matches */
    static const struct { const char *type, *ref; } CASES[] = {
        {"Q4_K_M", "stories260K.llamaquant-Q4_K_M.mix-Q5_0.gguf"},
        {"Q5_K_S", "stories260K.llamaquant-Q5_K_S.mix-Q5_1.gguf"},
        {"Q6_K", "stories260K.llamaquant-Q6_K.mix-Q8_0.gguf"},
        {"F16", "stories260K.llamaquant-F16.gguf"},
        {"BF16", "stories260K.llamaquant-BF16.gguf"},
    };
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        t_case("stories260K %s: per-tensor types and the whole file equal llama.cpp's", CASES[c].type);
        char rel[256];
        snprintf(rel, sizeof rel, "%s%s", QDIR, CASES[c].ref);
        const char *ref_path = t_shared(rel);
        if (!ref_path) { t_skip("%s is absent", rel); continue; }
        char name[64];
        snprintf(name, sizeof name, "stories-mix-%s.gguf", CASES[c].type);
        const char *out = tmp_path(name);
        qlm_error err = {0};
        if (quantize(src, out, CASES[c].type, false, 3, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); continue; }
        qlm_gguf *a = NULL, *b = NULL;
        if (qlm_gguf_open(out, &a, &err) == QLM_OK && qlm_gguf_open(ref_path, &b, &err) == QLM_OK) {
            T_CHECK(a->n_tensors == b->n_tensors, "%llu vs %llu tensors", (unsigned long long)a->n_tensors,
                    (unsigned long long)b->n_tensors);
            for (uint64_t i = 0; i < a->n_tensors && i < b->n_tensors; i++)
                T_CHECK(!strcmp(a->tensors[i].name, b->tensors[i].name) && a->tensors[i].type == b->tensors[i].type,
                        "tensor %llu: %s %s vs %s %s", (unsigned long long)i, a->tensors[i].name,
                        qlm_type_name(a->tensors[i].type), b->tensors[i].name, qlm_type_name(b->tensors[i].type));
            T_CHECK(a->size == b->size && !memcmp(a->base, b->base, a->size), "file bytes differ");
        } else {
            T_CHECK(0, "%s", err.message);
        }
        qlm_gguf_close(a);
        qlm_gguf_close(b);
    }
}

/* ---- fixtures: reconstruction error and logits ------------------------------------- */

static const char *ARCHS[] = {"llama", "llama3", "mistral", "qwen2", "qwen3", "phi3", "gpt2"};
enum { N_ARCH = 7 };

/* Relative RMS error of the converted matrices of `q` (those of type `type`) against
 * the same tensors of `orig`: sqrt(sum (q-x)^2 / sum x^2). Max and mean over tensors. */
static int rel_rmse(const qlm_gguf *orig, const qlm_gguf *q, uint32_t type, double *max, double *sum) {
    int n = 0;
    for (uint64_t i = 0; i < q->n_tensors; i++) {
        const qlm_gguf_tinfo *tq = &q->tensors[i], *to = qlm_gguf_find_tensor(orig, tq->name);
        if (tq->type != type || !to) continue;
        int64_t ne0 = tq->ne[0], rows = tq->ne[1] * tq->ne[2] * tq->ne[3];
        float *x = malloc((size_t)ne0 * sizeof *x), *y = malloc((size_t)ne0 * sizeof *y);
        double se = 0, ss = 0;
        for (int64_t r = 0; r < rows; r++) {
            qlm_type_get(to->type)->to_float((const uint8_t *)to->data + r * qlm_row_size((qlm_type)to->type, ne0), x, ne0);
            qlm_type_get(type)->to_float((const uint8_t *)tq->data + r * qlm_row_size((qlm_type)type, ne0), y, ne0);
            for (int64_t k = 0; k < ne0; k++) {
                se += ((double)y[k] - x[k]) * ((double)y[k] - x[k]);
                ss += (double)x[k] * x[k];
            }
        }
        free(x);
        free(y);
        double e = ss > 0 ? sqrt(se / ss) : 0;
        if (e > *max) *max = e;
        *sum += e;
        n++;
    }
    return n;
}

static void test_fixture_rmse(void) {
    /* Measured (all 7 fixtures, every weight matrix: 97 tensors per type), relative
     * RMSE = sqrt(sum (q - x)^2 / sum x^2) per tensor:
     *   Q4_K mean 0.0713 max 0.0719;  Q5_K mean 0.0361 max 0.0364;  Q6_K mean 0.0177 max 0.0179
     * pinned to within 2%: the quantizers are deterministic, so any change in these
     * numbers means a change in the blocks written. */
    static const struct { const char *type; double mean, max; } PIN[] = {
        {"Q4_K", 0.0713, 0.0719},
        {"Q5_K", 0.0361, 0.0364},
        {"Q6_K", 0.0177, 0.0179},
    };
    for (int k = 0; k < 3; k++) {
        t_case("fixtures: pure %s relative RMSE per tensor mean %.4f max %.4f (+-2%%)", PIN[k].type, PIN[k].mean, PIN[k].max);
        double max = 0, sum = 0;
        int n = 0, missing = 0;
        for (int a = 0; a < N_ARCH; a++) {
            char rel[256];
            snprintf(rel, sizeof rel, "fixtures/llamacpp-gguf/%s.gguf", ARCHS[a]);
            const char *src = t_shared(rel);
            if (!src) { missing++; continue; }
            char name[64];
            snprintf(name, sizeof name, "%s-pure-%s.gguf", ARCHS[a], PIN[k].type);
            const char *out = tmp_path(name);
            qlm_error err = {0};
            qlm_gguf *o = NULL, *q = NULL;
            if (quantize(src, out, PIN[k].type, true, 2, &err) == QLM_OK && qlm_gguf_open(src, &o, &err) == QLM_OK &&
                qlm_gguf_open(out, &q, &err) == QLM_OK)
                n += rel_rmse(o, q, (uint32_t)qlm_type_from_name(PIN[k].type), &max, &sum);
            else
                T_CHECK(0, "%s: %s", ARCHS[a], err.message);
            qlm_gguf_close(o);
            qlm_gguf_close(q);
        }
        if (missing == N_ARCH) { t_skip("fixtures absent in ../shared/fixtures/llamacpp-gguf"); continue; }
        double mean = n ? sum / n : 0;
        fprintf(stderr, "  %s: %d tensors, relative RMSE mean %.5f max %.5f\n", PIN[k].type, n, mean, max);
        T_CHECK(n == 97, "%d tensors of type %s", n, PIN[k].type);
        T_CHECK(fabs(mean - PIN[k].mean) <= 0.02 * PIN[k].mean, "mean %.5f, pinned %.4f", mean, PIN[k].mean);
        T_CHECK(fabs(max - PIN[k].max) <= 0.02 * PIN[k].max, "max %.5f, pinned %.4f", max, PIN[k].max);
    }
}



/* All-position logits of ids[0..n) in a fresh context; NULL on failure. */
static float *eval_logits(const char *path, const int32_t *ids, int n, int *n_vocab, qlm_error *err) {
    qlm_model *m = NULL;
    qlm_context *c = NULL;
    float *out = NULL;
    if (qlm_model_load(path, NULL, &m, err) != QLM_OK) return NULL;
    qlm_model_desc d;
    qlm_model_describe(m, &d);
    *n_vocab = d.n_vocab;
    qlm_context_params cp = qlm_context_default_params();
    cp.kv_type = QLM_KV_F32;
    cp.n_threads = 2;
    if (qlm_context_new(m, &cp, &c, err) == QLM_OK && qlm_eval(c, ids, n, true, err) == QLM_OK) {
        out = malloc((size_t)n * d.n_vocab * sizeof *out);
        for (int i = 0; out && i < n; i++) memcpy(out + (size_t)i * d.n_vocab, qlm_logits(c, i), d.n_vocab * sizeof *out);
    }
    qlm_context_free(c);
    qlm_model_free(m);
    return out;
}

/* Compare quantized logits with the base model's over n positions. */
typedef struct {
    int top1, n;            /* argmax agreement over all positions */
    int top1_dec, n_dec;    /* ... over positions where the base margin > DECISIVE */
    double rms_ratio;       /* rms(dlogit) / rms(base logit - its row mean) */
} logit_cmp;

#define DECISIVE 0.2

static logit_cmp compare_logits(const float *base, const float *q, int n, int nv) {
    logit_cmp c = {0};
    double se = 0, ss = 0;
    for (int i = 0; i < n; i++) {
        const float *x = base + (size_t)i * nv, *y = q + (size_t)i * nv;
        int b = t_argmax(x, nv), a = t_argmax(y, nv);
        double second = -INFINITY, mean = 0;
        for (int v = 0; v < nv; v++) {
            if (v != b && x[v] > second) second = x[v];
            mean += x[v];
        }
        mean /= nv;
        for (int v = 0; v < nv; v++) {
            se += ((double)y[v] - x[v]) * ((double)y[v] - x[v]);
            ss += (x[v] - mean) * (x[v] - mean);
        }
        c.n++;
        c.top1 += a == b;
        if (x[b] - second > DECISIVE) {
            c.n_dec++;
            c.top1_dec += a == b;
        }
    }
    c.rms_ratio = ss > 0 ? sqrt(se / ss) : 0;
    return c;
}

static void test_stories_logits(const char *src) {
    /* A trained model, whose predictions are decisive: the bounds apply as
     * they are. Measured top-1: 64/64 for all three (rms ratio Q4_K_M 0.056, Q6_K and
     * Q8_0 0.011). Its 64-wide rows make the K types fall back (Q4_K_M is mostly Q5_0,
     * Q6_K mostly Q8_0); the fixtures below cover the K blocks themselves. */
    static const struct { const char *type; int min_top1; } Q[] = {{"Q4_K_M", 58}, {"Q6_K", 63}, {"Q8_0", 63}};
    t_case("stories260K: top-1 vs F32 over 64 tokens: Q4_K_M >= 58, Q6_K and Q8_0 >= 63");
    const char *toks = t_shared("models/stories260K/ref/llamacpp_f32_kvf32.tokens.txt");
    if (!toks) { t_skip("stories260K reference tokens are absent"); return; }
    char *text = t_read_file(toks, NULL);
    const char *line = text ? strchr(text, '\n') : NULL; /* ids are on line 2 */
    int32_t ids[64];
    int n = 0;
    for (const char *p = line; p && *p && *p != '#' && n < 64;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) { p++; continue; }
        ids[n++] = (int32_t)v;
        p = end;
    }
    free(text);
    if (n != 64) { T_CHECK(0, "read %d token ids", n); return; }
    qlm_error err = {0};
    int nv = 0, nvq = 0;
    float *base = eval_logits(src, ids, n, &nv, &err);
    if (!base) { T_CHECK(0, "%s", err.message); return; }
    for (int k = 0; k < 3; k++) {
        char name[64];
        snprintf(name, sizeof name, "stories-logits-%s.gguf", Q[k].type);
        const char *out = tmp_path(name);
        float *q = NULL;
        if (quantize(src, out, Q[k].type, false, 2, &err) != QLM_OK || !(q = eval_logits(out, ids, n, &nvq, &err))) {
            T_CHECK(0, "%s: %s", Q[k].type, err.message);
            continue;
        }
        logit_cmp c = compare_logits(base, q, n, nv);
        fprintf(stderr, "  stories260K %-7s top-1 %2d/64  rms ratio %.4f\n", Q[k].type, c.top1, c.rms_ratio);
        T_CHECK(c.top1 >= Q[k].min_top1, "%s: top-1 %d/64 < %d", Q[k].type, c.top1, Q[k].min_top1);
        free(q);
    }
    free(base);
}

static void test_fixture_logits(void) {
    /* The fixtures have random weights: their logits are nearly flat (std 0.8 over 512
     * tokens; top-1/top-2 margin median 0.2, a tenth of the positions below 0.03), so
     * any weight error flips some argmaxes - qlm's own BF16 run and transformers agree
     * on only 62/64. Measured here, per architecture
     *                 top-1 (all 64)   top-1 (margin > 0.2)   rms(dlogit)/std(logit)
     *   Q4_K_M        39..50           20/22 .. 31/34 (72-91%)  0.141 .. 0.286
     *   Q6_K          52..60           all                      0.047 .. 0.087
     *   Q8_0          58..62           all                      0.017 .. 0.033
     * (the error follows from the weights': Q4_K loses 7% of each matrix's RMS, and 16
     * matmuls add up.) So the bounds apply where the BF16 prediction is
     * decisive (margin > 0.2 logits, a quarter of the logit std): >= 98% for Q6_K and
     * Q8_0; Q4_K_M is held at 70% there, and every type at 1.1x its measured error. */
    static const struct { const char *type; double min_dec, max_ratio; } Q[] = {
        {"Q4_K_M", 0.70, 0.315}, {"Q6_K", 0.98, 0.096}, {"Q8_0", 0.98, 0.037}};
    for (int a = 0; a < N_ARCH; a++) {
        char rel[256];
        snprintf(rel, sizeof rel, "fixtures/llamacpp-gguf/%s.gguf", ARCHS[a]);
        const char *src = t_shared(rel);
        snprintf(rel, sizeof rel, "fixtures/hf/%s/reference.json", ARCHS[a]);
        const char *refj = t_shared(rel);
        t_case("fixture %s: Q4_K_M, Q6_K, Q8_0 logits vs BF16 (decisive top-1 70/98/98%%, error bounds)", ARCHS[a]);
        if (!src || !refj) { t_skip("fixtures absent in ../shared/fixtures"); continue; }
        char *json = t_read_file(refj, NULL);
        int32_t ids[256];
        int n = json ? t_json_ints(json, "input_ids", ids, 256) : -1;
        free(json);
        if (n != 64) { T_CHECK(0, "%d input_ids", n); continue; }
        qlm_error err = {0};
        int nv = 0, nvq = 0;
        float *base = eval_logits(src, ids, n, &nv, &err);
        if (!base) { T_CHECK(0, "%s", err.message); continue; }
        double prev = 1e9;
        for (int k = 0; k < 3; k++) {
            char name[64];
            snprintf(name, sizeof name, "%s-%s.gguf", ARCHS[a], Q[k].type);
            const char *out = tmp_path(name);
            float *q = NULL;
            if (quantize(src, out, Q[k].type, false, 2, &err) != QLM_OK ||
                !(q = eval_logits(out, ids, n, &nvq, &err))) {
                T_CHECK(0, "%s %s: %s", ARCHS[a], Q[k].type, err.message);
                continue;
            }
            T_CHECK(nvq == nv, "vocab %d vs %d", nvq, nv);
            logit_cmp c = compare_logits(base, q, n, nv);
            fprintf(stderr, "  %-8s %-7s top-1 %2d/64, margin > %.1f: %2d/%2d, rms ratio %.4f\n", ARCHS[a],
                    Q[k].type, c.top1, DECISIVE, c.top1_dec, c.n_dec, c.rms_ratio);
            T_CHECK(c.top1_dec >= Q[k].min_dec * c.n_dec, "%s: top-1 %d/%d where decisive", Q[k].type, c.top1_dec, c.n_dec);
            T_CHECK(c.rms_ratio <= Q[k].max_ratio, "%s: rms ratio %.4f > %.3f", Q[k].type, c.rms_ratio, Q[k].max_ratio);
            T_CHECK(c.rms_ratio < prev, "%s: not more accurate than the type before", Q[k].type);
            prev = c.rms_ratio;
            free(q);
        }
        free(base);
    }
}

/* ---- behaviour ----------------------------------------------------------------------- */

typedef struct {
    int calls, done;
    int64_t last_tensor;
    uint64_t in_done, in_total, out_done;
    bool ordered;
} progress_log;

static void log_progress(const qlm_quantize_progress *p, void *user) {
    progress_log *l = user;
    if (p->tensor < l->last_tensor) l->ordered = false;
    l->last_tensor = p->tensor;
    l->calls++;
    l->done += p->tensor_done;
    l->in_done = p->bytes_in_done;
    l->in_total = p->bytes_in_total;
    l->out_done = p->bytes_out_done;
}

static void test_threads_and_progress(void) {
    t_case("threads: -t 1 and -t 3 write identical files; progress covers every tensor");
    const char *src = t_shared("fixtures/llamacpp-gguf/llama.gguf");
    if (!src) { t_skip("fixtures absent"); return; }
    const char *o1 = tmp_path("t1.gguf"), *o3 = tmp_path("t3.gguf");
    qlm_error err = {0};
    qlm_quantize_params p = qlm_quantize_default_params();
    p.n_threads = 1;
    T_CHECK(qlm_quantize_file(src, o1, &p, &err) == QLM_OK, "%s", err.message);
    progress_log l = {.ordered = true};
    p.n_threads = 3;
    p.progress = log_progress;
    p.progress_user = &l;
    T_CHECK(qlm_quantize_file(src, o3, &p, &err) == QLM_OK, "%s", err.message);
    size_t n1, n3;
    char *a = t_read_file(o1, &n1), *b = t_read_file(o3, &n3);
    T_CHECK(a && b && n1 == n3 && !memcmp(a, b, n1), "outputs differ");
    free(a);
    free(b);
    qlm_gguf *g = NULL;
    if (qlm_gguf_open(o3, &g, &err) == QLM_OK) {
        uint64_t out_bytes = 0;
        for (uint64_t i = 0; i < g->n_tensors; i++) out_bytes += g->tensors[i].nbytes;
        T_CHECK(l.done == (int)g->n_tensors && l.ordered, "%d tensors reported done of %llu", l.done,
                (unsigned long long)g->n_tensors);
        T_CHECK(l.in_done == l.in_total && l.in_total > 0, "input %llu of %llu bytes",
                (unsigned long long)l.in_done, (unsigned long long)l.in_total);
        T_CHECK(l.out_done == out_bytes, "output %llu bytes reported, %llu in the file",
                (unsigned long long)l.out_done, (unsigned long long)out_bytes);
        uint32_t ft = 0, qv = 0;
        T_CHECK(qlm_gguf_get_u32(g, "general.file_type", &ft) && ft == 15, "file_type %u", ft);
        T_CHECK(qlm_gguf_get_u32(g, "general.quantization_version", &qv) && qv == 2, "quantization_version %u", qv);
        qlm_gguf_close(g);
    }
}

/* A small GGUF with one 2-D tensor of the given type and raw data. */
static bool write_one(const char *path, const char *tname, uint32_t type, int64_t ne0, int64_t ne1, const void *data) {
    qlm_gguf_writer *w = qlm_gguf_writer_new(0);
    qlm_error err = {0};
    qlm_gguf_w_str(w, "general.architecture", "llama", 5);
    qlm_gguf_w_u32(w, "llama.block_count", 1);
    int64_t ne[2] = {ne0, ne1};
    bool ok = qlm_gguf_w_add_tensor(w, tname, type, 2, ne) == 0 && qlm_gguf_w_begin(w, path, &err) == QLM_OK &&
              qlm_gguf_w_write(w, data, qlm_gguf_w_tensor_nbytes(w, 0), &err) == QLM_OK &&
              qlm_gguf_w_finish(w, &err) == QLM_OK;
    qlm_gguf_writer_free(w);
    return ok;
}

static void expect_error(const char *what, qlm_status got, qlm_status want, const qlm_error *err,
                         const char *needle, const char *out) {
    T_CHECK(got == want, "%s: status %s, want %s (%s)", what, qlm_status_name(got), qlm_status_name(want), err->message);
    T_CHECK(strstr(err->message, needle) != NULL, "%s: message '%s' lacks '%s'", what, err->message, needle);
    T_CHECK(!strchr(err->message, '\n'), "%s: message has a newline", what);
    T_CHECK(!out || !exists(out), "%s: %s was created", what, out);
}

static void test_errors(void) {
    t_case("errors: bad names, missing input, same path, requantize, unconvertible type, NaN");
    qlm_error err = {0};
    const char *out = tmp_path("err-out.gguf");
    remove(out);
    const char *src = t_shared("models/stories260K/stories260K.gguf");
    qlm_quantize_params p = qlm_quantize_default_params();

    p.type = "Q9_X";
    expect_error("bad type", qlm_quantize_file(src ? src : "x.gguf", out, &p, &err), QLM_ERR_INVALID_ARG, &err, "Q9_X", out);
    p.type = "Q8_1"; /* a block format, but not a file type */
    expect_error("activation type", qlm_quantize_file(src ? src : "x.gguf", out, &p, &err), QLM_ERR_INVALID_ARG, &err, "Q8_1", out);
    p.type = "Q4_0";
    p.output_type = "Q7";
    expect_error("bad output type", qlm_quantize_file(src ? src : "x.gguf", out, &p, &err), QLM_ERR_INVALID_ARG, &err, "Q7", out);
    p.output_type = NULL;
    p.embd_type = "Q8_K";
    expect_error("bad embd type", qlm_quantize_file(src ? src : "x.gguf", out, &p, &err), QLM_ERR_INVALID_ARG, &err, "Q8_K", out);
    p.embd_type = NULL;
    expect_error("missing input", qlm_quantize_file("/nonexistent/in.gguf", out, &p, &err), QLM_ERR_IO, &err, "/nonexistent/in.gguf", out);

    if (src) {
        expect_error("same path", qlm_quantize_file(src, src, &p, &err), QLM_ERR_INVALID_ARG, &err, "input", NULL);
        /* an explicit type that does not fit the rows is refused, not silently changed */
        p.output_type = "Q6_K";
        expect_error("override does not fit", qlm_quantize_file(src, out, &p, &err), QLM_ERR_INVALID_ARG, &err, "output.weight", out);
        p.output_type = NULL;

        const char *q8 = tmp_path("err-q8.gguf");
        p.type = "Q8_0";
        T_CHECK(qlm_quantize_file(src, q8, &p, &err) == QLM_OK, "%s", err.message);
        p.type = "Q4_0";
        expect_error("requantize", qlm_quantize_file(q8, out, &p, &err), QLM_ERR_UNSUPPORTED, &err, "--allow-requantize", out);
        /* same type: nothing to requantize, tensors are copied */
        p.type = "Q8_0";
        T_CHECK(qlm_quantize_file(q8, out, &p, &err) == QLM_OK, "Q8_0 -> Q8_0: %s", err.message);
        p.type = "Q4_0";
        p.allow_requantize = true;
        T_CHECK(qlm_quantize_file(q8, out, &p, &err) == QLM_OK, "with allow_requantize: %s", err.message);
        qlm_gguf *g = NULL;
        if (qlm_gguf_open(out, &g, &err) == QLM_OK) {
            const qlm_gguf_tinfo *t = qlm_gguf_find_tensor(g, "blk.0.attn_q.weight");
            T_CHECK(t && t->type == QLM_TYPE_Q4_0, "attn_q is %s", t ? qlm_type_name(t->type) : "absent");
            qlm_gguf_close(g);
        }
        p.allow_requantize = false;
        remove(out);
    }

    /* a Q2_K matrix: qlm has no dequantizer for it */
    static uint8_t q2k[84 * 2];
    const char *q2 = tmp_path("err-q2k.gguf");
    T_CHECK(write_one(q2, "blk.0.attn_q.weight", QLM_TYPE_Q2_K, 256, 2, q2k), "cannot write %s", q2);
    p.allow_requantize = true;
    expect_error("unconvertible", qlm_quantize_file(q2, out, &p, &err), QLM_ERR_UNSUPPORTED, &err, "Q2_K", out);
    p.allow_requantize = false;

    /* a NaN in an F32 matrix */
    static float nanm[64 * 4];
    nanm[3 * 64 + 5] = NAN;
    const char *nf = tmp_path("err-nan.gguf");
    T_CHECK(write_one(nf, "blk.0.attn_q.weight", QLM_TYPE_F32, 64, 4, nanm), "cannot write %s", nf);
    expect_error("nan", qlm_quantize_file(nf, out, &p, &err), QLM_ERR_FORMAT, &err, "row 3", out);
}

/* ---- SIGKILL mid-way ------------------------------------------------------------------ */

/* ~200 MB of F32 matrices (12 x 4096 x 1024) with a simple deterministic pattern. */
static bool write_big(const char *path) {
    enum { NT = 12, NE0 = 4096, NE1 = 1024 };
    qlm_gguf_writer *w = qlm_gguf_writer_new(0);
    qlm_error err = {0};
    qlm_gguf_w_str(w, "general.architecture", "llama", 5);
    qlm_gguf_w_u32(w, "llama.block_count", NT);
    int64_t ne[2] = {NE0, NE1};
    for (int i = 0; i < NT; i++) {
        char name[64];
        snprintf(name, sizeof name, "blk.%d.ffn_up.weight", i);
        qlm_gguf_w_add_tensor(w, name, QLM_TYPE_F32, 2, ne);
    }
    bool ok = qlm_gguf_w_begin(w, path, &err) == QLM_OK;
    float *row = malloc(NE0 * sizeof *row);
    uint32_t s = 12345;
    for (int64_t r = 0; ok && row && r < (int64_t)NT * NE1; r++) {
        for (int k = 0; k < NE0; k++) {
            s = s * 1664525u + 1013904223u;
            row[k] = (float)((int32_t)s >> 8) / 8388608.0f;
        }
        ok = qlm_gguf_w_write(w, row, NE0 * sizeof *row, &err) == QLM_OK;
    }
    free(row);
    ok = ok && row && qlm_gguf_w_finish(w, &err) == QLM_OK;
    qlm_gguf_writer_free(w);
    return ok;
}

static void test_sigkill(void) {
    t_case("SIGKILL during qlm quantize leaves no file at the output path");
    const char *qlm = t_qlm();
    if (access(qlm, X_OK) != 0) { t_skip("%s is not built", qlm); return; }
    const char *big = tmp_path("big-f32.gguf"), *out = tmp_path("big-q4k.gguf");
    remove(out);
    if (!write_big(big)) { T_CHECK(0, "cannot write %s", big); remove(big); return; }
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) { dup2(devnull, 1); dup2(devnull, 2); }
        execl(qlm, qlm, "quantize", big, out, "Q4_K_M", "-t", "1", (char *)NULL);
        _exit(127);
    }
    T_CHECK(pid > 0, "fork failed");
    if (pid <= 0) { remove(big); return; }
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", out, (int)pid);
    /* wait until the temporary file holds some tensor data, then kill */
    bool started = false, exited = false;
    int status = 0;
    for (int i = 0; i < 3000 && !started && !exited; i++) {
        struct stat st;
        if (stat(tmp, &st) == 0 && st.st_size > (1 << 20)) started = true;
        else if (waitpid(pid, &status, WNOHANG) == pid) exited = true;
        else { struct timespec ts = {0, 10 * 1000 * 1000}; nanosleep(&ts, NULL); }
    }
    if (!exited) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    T_CHECK(started && !exited, "the quantize %s before it could be killed mid-way",
            exited ? "ended" : "never started writing");
    T_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);
    T_CHECK(!exists(out), "%s exists after SIGKILL", out);
    remove(tmp);
    remove(out);
    remove(big);
}

int main(void) {
    const char *src = t_shared("models/stories260K/stories260K.gguf");
    if (src) {
        test_stories_tensors(src);
        test_stories_mixes(src);
        test_stories_logits(src);
    } else {
        t_case("stories260K quantized files equal llama.cpp's");
        t_skip("../shared/models/stories260K/stories260K.gguf is absent");
    }
    test_fixture_rmse();
    test_fixture_logits();
    test_threads_and_progress();
    test_errors();
    test_sigkill();
    return t_done();
}
