/* The SIMD kernel tables against the scalar reference, for every ISA this CPU and build
 * support (the others are skipped): activation quantizers, dot products, the batched
 * matrix products (gemm) on odd shapes, the attention head, the matmul driver, and the
 * logits of the stories260K model and llama.cpp's quantized copies of it.
 *
 * Set QLM_TEST_VERBOSE=1 to print the measured figures. Figures measured 2026-11-26 on
 * an Intel Xeon (Emerald Rapids, gcc 12 -O2) are in the comments beside each bound. */
#include "harness.h"
#include "../ggml-like/ops.h"
#include "qlm.h"

#include "../ggml-like/fp16.h"
#include "../ggml-like/kernels.h"
#include "../ggml-like/matmul.h"
#include "../quant/blocks.h"
#include "../quant/quants.h"
#include "../quant/quant_util.h"
#include "../model/gguf.h"
#if defined(__x86_64__)
#include "../quant/kernels_x86.h" /* qlm_avx512_use_amx */
#endif

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int verbose;
#define NOTE(...) do { if (verbose) fprintf(stderr, __VA_ARGS__); } while (0)

static const char *const ISAS[] = {"avx2", "avxvnni", "avx512", "neon"}; /* x86 paths: least preferred first */
#define N_ISAS 4

/* ---- deterministic random numbers ------------------------------------------------ */

static uint64_t rng_state = 1;
static void rng_seed(uint64_t s) { rng_state = s ? s : 1; }
static uint32_t rng_u32(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12; rng_state ^= rng_state << 25; rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}
static double rng_unif(void) { return (rng_u32() + 0.5) / 4294967296.0; }
static double rng_gauss(void) { return sqrt(-2.0 * log(rng_unif())) * cos(6.283185307179586 * rng_unif()); }

/* Gaussian values, with every 7th block of 32 scaled up 20x and a few spikes, so the
 * per-block scales vary the way real activations do. */
static void fill_data(float *x, int64_t n, double sigma) {
    for (int64_t i = 0; i < n; i++) {
        double v = sigma * rng_gauss();
        if ((i / 32) % 7 == 3) v *= 20;
        if (rng_u32() % 509 == 0) v *= 30;
        x[i] = (float)v;
    }
}

static void *xmalloc(size_t n) {
    void *p = aligned_alloc(64, (n + 63) / 64 * 64);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    memset(p, 0, (n + 63) / 64 * 64);
    return p;
}

/* t_shared keeps its paths until exit itself */
static const char *shared(const char *rel) { return t_shared(rel); }

/* the weight types with a dot product, and the activation formats */
static const qlm_type WTYPES[] = {QLM_TYPE_Q4_0, QLM_TYPE_Q4_1, QLM_TYPE_Q5_0, QLM_TYPE_Q5_1,
                                  QLM_TYPE_Q8_0, QLM_TYPE_Q4_K, QLM_TYPE_Q5_K, QLM_TYPE_Q6_K,
                                  QLM_TYPE_F16, QLM_TYPE_BF16, QLM_TYPE_F32, QLM_TYPE_Q4_0_G8};
#define N_WTYPES (int)(sizeof WTYPES / sizeof WTYPES[0])

/* ---- 1. QLM_ISA: a forced path the CPU lacks falls back and is reported ---------- */

/* Runs in a child process so that the parent's kernel choice is not yet made. */
static int child_forced_isa(const char *isa) {
    setenv("QLM_ISA", isa, 1);
    const qlm_kernels *best = NULL;
    for (int i = N_ISAS - 1; i >= 0 && !best; i--) best = qlm_kernels_for(ISAS[i]);
    if (!best) best = qlm_kernels_scalar();
    const qlm_kernels *k = qlm_kernels_active();
    const qlm_kernels *want = qlm_kernels_for(isa);
    if (want) return k == want && !*qlm_kernels_refused() ? 0 : 1;
    /* refused: the best path stays, and the refusal is on record */
    if (strcmp(qlm_kernels_refused(), isa) != 0) return 2;
    if (strcmp(qlm_isa_name(), "avx512") && strcmp(qlm_isa_name(), "avx2") && strcmp(qlm_isa_name(), "avxvnni") &&
        strcmp(qlm_isa_name(), "neon") && strcmp(qlm_isa_name(), "scalar")) return 3;
    (void)best;
    return 0;
}

static void test_forced_isa(void) {
    const char *names[] = {"scalar", "avx2", "avxvnni", "avx512", "neon", "bogus"};
    for (int i = 0; i < 6; i++) {
        t_case("QLM_ISA=%s: honoured when available, else refused and reported", names[i]);
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) { t_skip("fork failed"); continue; }
        if (pid == 0) {
            /* keep the refusal line out of the test log */
            if (!freopen("/dev/null", "w", stderr)) _exit(9);
            _exit(child_forced_isa(names[i]));
        }
        int st = 0;
        waitpid(pid, &st, 0);
        T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
    }
    t_case("qlm_isa_set: unknown or unsupported names are errors, scalar always works");
    qlm_error err = {0};
    T_CHECK(qlm_isa_set("bogus", &err) == QLM_ERR_UNSUPPORTED, "bogus accepted");
    T_CHECK(strstr(err.message, "bogus") != NULL, "message: %s", err.message);
    const char *before = qlm_isa_name();
    for (int i = 0; i < N_ISAS; i++) {
        qlm_status rc = qlm_isa_set(ISAS[i], &err);
        T_CHECK((rc == QLM_OK) == (qlm_kernels_for(ISAS[i]) != NULL), "%s: rc %d", ISAS[i], rc);
    }
    T_CHECK(qlm_isa_set("scalar", &err) == QLM_OK && !strcmp(qlm_isa_name(), "scalar"), "scalar");
    T_CHECK(qlm_isa_set(before, &err) == QLM_OK, "restore %s", before);
}

/* ---- 2. activation quantizers --------------------------------------------------- */

static void test_quantizers(const qlm_kernels *k, const char *isa) {
    const qlm_kernels *s = qlm_kernels_scalar();
    const qlm_type acts[] = {QLM_TYPE_Q8_0, QLM_TYPE_Q8_1, QLM_TYPE_Q8_K, QLM_TYPE_F16};
    const int64_t n = 8192;
    float *x = xmalloc(n * sizeof(float)), *da = xmalloc(n * sizeof(float)), *db = xmalloc(n * sizeof(float));
    for (int ai = 0; ai < 4; ai++) {
        qlm_type t = acts[ai];
        const qlm_type_traits *tt = qlm_type_get(t);
        t_case("%s: %s activation quantizer vs scalar", isa, tt->name);
        rng_seed(11 + ai);
        fill_data(x, n, 1.0);
        /* edge blocks: all zero, one huge value, negative maximum, ties at half levels */
        for (int i = 0; i < 256; i++) x[i] = 0;
        x[300] = 1e6f;
        x[600] = -50.f;
        for (int i = 0; i < 32; i++) x[1024 + i] = (float)(i - 16) * 0.5f;
        size_t rs = qlm_row_size(t, n);
        void *qa = xmalloc(rs), *qb = xmalloc(rs);
        k->from_float[t](x, qa, n);
        s->from_float[t](x, qb, n);
        tt->to_float(qa, da, n);
        tt->to_float(qb, db, n);
        double se = 0, sx = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!isfinite(da[i]) || !isfinite(db[i])) continue; /* 1e6 is inf in f16 */
            se += (double)(da[i] - db[i]) * (da[i] - db[i]);
            sx += (double)x[i] * x[i];
        }
        double rel = sqrt(se / n) / sqrt(sx / n);
        size_t diff_bytes = 0;
        for (size_t i = 0; i < rs; i++) diff_bytes += ((uint8_t *)qa)[i] != ((uint8_t *)qb)[i];
        NOTE("  %s %s: rmse(diff)/rms(x) %.3g, %zu of %zu bytes differ\n", isa, tt->name, rel, diff_bytes, rs);
        if (t == QLM_TYPE_Q8_K || t == QLM_TYPE_F16)
            T_CHECK(diff_bytes == 0, "%zu bytes differ (must be exact)", diff_bytes);
        else
            T_CHECK(rel <= 0.002, "relative RMSE %g", rel); /* measured ~1e-4 */
        free(qa); free(qb);
    }
    /* specials: the exact converters must agree on NaN and infinities too */
    t_case("%s: Q8_K and F16 quantizers on NaN/inf blocks agree with scalar", isa);
    for (int i = 0; i < 512; i++) x[i] = (float)rng_gauss();
    x[5] = NAN; x[300] = INFINITY; x[301] = -INFINITY; x[400] = -NAN;
    for (int ai = 2; ai < 4; ai++) {
        qlm_type t = acts[ai];
        size_t rs = qlm_row_size(t, 512);
        void *qa = xmalloc(rs), *qb = xmalloc(rs);
        k->from_float[t](x, qa, 512);
        s->from_float[t](x, qb, 512);
        T_CHECK(memcmp(qa, qb, rs) == 0, "%s differs", qlm_type_name(t));
        free(qa); free(qb);
    }
    free(x); free(da); free(db);
}

/* ---- 3. dot products -------------------------------------------------------------- */

/* Weights made by the reference quantizer; both paths get the same activation bytes
 * (the scalar quantizer's), so only the order of float operations differs. The error
 * is measured relative to sum |w_i a_i| (no cancellation can inflate it). */
static void test_dots(const qlm_kernels *k, const char *isa) {
    const qlm_kernels *s = qlm_kernels_scalar();
    const int64_t sizes[] = {256, 512, 1792, 4096};
    for (int wi = 0; wi < N_WTYPES; wi++) {
        qlm_type t = WTYPES[wi];
        const qlm_type_traits *tt = qlm_type_get(t), *at = qlm_type_get(tt->vec_dot_type);
        t_case("%s: vec_dot %s x %s vs scalar (rel <= 1e-5 of sum|w*a|)", isa, tt->name, at->name);
        double worst = 0, worst_e2e = 0;
        for (int si = 0; si < 4; si++) {
            int64_t n = sizes[si];
            float *w = xmalloc(n * 4), *a = xmalloc(n * 4), *wd = xmalloc(n * 4), *ad = xmalloc(n * 4);
            rng_seed(100 + 10 * wi + si);
            fill_data(w, n, 0.05);
            fill_data(a, n, 1.0);
            void *wq = xmalloc(qlm_row_size(t, n)), *aq = xmalloc(qlm_row_size(tt->vec_dot_type, n) + 64);
            void *aq2 = xmalloc(qlm_row_size(tt->vec_dot_type, n) + 64);
            tt->from_float(w, wq, n);
            s->from_float[tt->vec_dot_type](a, aq, n);
            k->from_float[tt->vec_dot_type](a, aq2, n);
            tt->to_float(wq, wd, n);
            at->to_float(aq, ad, n);
            double mag = 0, exact = 0;
            for (int64_t i = 0; i < n; i++) { mag += fabs((double)wd[i] * ad[i]); exact += (double)w[i] * a[i]; }
            float r_s, r_k, r_k2;
            s->vec_dot[t](n, &r_s, wq, aq);
            k->vec_dot[t](n, &r_k, wq, aq);
            k->vec_dot[t](n, &r_k2, wq, aq2);
            double e = fabs((double)r_k - r_s) / mag;
            if (e > worst) worst = e;
            /* end to end: the ISA's own activation quantizer and dot against the scalar
             * quantizer and dot (the rounding conventions may differ, see kernels_avx2.c) */
            double e2 = fabs((double)r_k2 - r_s) / mag;
            (void)exact;
            if (e2 > worst_e2e) worst_e2e = e2;
            free(w); free(a); free(wd); free(ad); free(wq); free(aq); free(aq2);
        }
        NOTE("  %s %-4s: same bytes: |simd - scalar| / sum|w*a| <= %.2g; own quantizers: <= %.2g\n",
             isa, tt->name, worst, worst_e2e);
        T_CHECK(worst <= 1e-5, "relative error %g", worst); /* measured <= 4e-7 */
        T_CHECK(worst_e2e <= 0.02, "end-to-end relative error %g", worst_e2e);
    }
}

/* ---- 4. gemm on odd shapes ------------------------------------------------------- */

/* Whether gemm over the rows and tokens split in two at (r_at, t_at) gives other bits
 * than y (the whole call). Every ISA: rows split at a 16-row panel, as qlm_matmul splits
 * them between threads. any_split (NEON, whose tiles compute each output by the same
 * lane operations wherever its row and token fall): tokens split at 8 (qlm_matmul's
 * split of a small matrix by tokens) and an odd split that cuts through the tiles. (The
 * x86 kernels' bits depend on the call's token count: they pass only the first.) */
static int gemm_split_differs(qlm_gemm_fn gemm, bool any_split, int64_t n, int rows, int ntok, const uint8_t *wq,
                              size_t rs, const uint8_t *act, size_t as, const float *y, int64_t ldy, void *work) {
    const int splits[3][2] = {{16, ntok}, {16, 8}, {5, 3}};
    float *y3 = xmalloc(sizeof(float) * ldy * ntok);
    int differs = 0;
    for (int s = 0; s < (any_split ? 3 : 1); s++) {
        const int r_at = splits[s][0] < rows ? splits[s][0] : rows;
        const int t_at = splits[s][1] < ntok ? splits[s][1] : ntok;
        for (int64_t i = 0; i < ldy * ntok; i++) y3[i] = -12345.f;
        for (int part = 0; part < 4; part++) {
            const int r0 = part & 1 ? r_at : 0, r1 = part & 1 ? rows : r_at;
            const int t0 = part & 2 ? t_at : 0, t1 = part & 2 ? ntok : t_at;
            if (r1 > r0 && t1 > t0)
                gemm(n, r1 - r0, t1 - t0, wq + rs * r0, rs, act + as * t0, as, y3 + (size_t)t0 * ldy + r0, ldy, work);
        }
        differs |= memcmp(y, y3, sizeof(float) * ldy * ntok) != 0;
    }
    free(y3);
    return differs;
}

/* The largest |y - ref| / sum|w * a| over nt tokens and the rows, ref the scalar
 * vec_dot of the weights and of the activations the ISA's own quantizer makes from x
 * (the integer sums are then the same; only float rounding differs). */
static double gemm_error_vs_scalar(const qlm_kernels *k, qlm_type t, int64_t n, int rows, int ntok, const float *x,
                                   const uint8_t *wq, size_t rs, const float *y, int64_t ldy) {
    const qlm_kernels *s = qlm_kernels_scalar();
    const qlm_type_traits *tt = qlm_type_get(t);
    const qlm_type vt = tt->vec_dot_type; /* the scalar dot's activations (F16's: F16) */
    void *aq = xmalloc(qlm_row_size(vt, n));
    float *wd = xmalloc((size_t)n * 4), *ad = xmalloc((size_t)n * 4);
    double worst = 0;
    for (int i = 0; i < ntok; i++) {
        if (vt == QLM_TYPE_F32) memcpy(aq, x + (size_t)i * n, (size_t)n * 4);
        else k->from_float[vt](x + (size_t)i * n, aq, n);
        qlm_type_get(vt)->to_float(aq, ad, n);
        for (int r = 0; r < rows; r++) {
            float ref;
            s->vec_dot[t](n, &ref, wq + rs * r, aq);
            tt->to_float(wq + rs * r, wd, n);
            double mag = 1e-30;
            for (int64_t e = 0; e < n; e++) mag += fabs((double)wd[e] * ad[e]);
            const double e1 = fabs((double)y[(size_t)i * ldy + r] - ref) / mag;
            if (!(e1 <= worst)) worst = e1;
        }
    }
    free(aq); free(wd); free(ad);
    return worst;
}

/* Long rows and many tokens: the AVX2 kernels take the tokens in blocks whose
 * activations fit L2 (x86_token_block; 8192 values and 130 tokens: at least 5 float
 * blocks, 2 quantized), each block remaking the panels. Every token against the scalar
 * dot of the ISA's own activations; the pieces split at 24 give the same bits. */
static void test_gemm_float_blocks(const qlm_kernels *k, const char *isa) {
    const qlm_type types[] = {QLM_TYPE_F16, QLM_TYPE_BF16, QLM_TYPE_F32, QLM_TYPE_Q4_0, QLM_TYPE_Q8_0, QLM_TYPE_Q4_K,
                              QLM_TYPE_Q6_K};
    const int64_t n = 8192;
    const int rows = 20, ntok = 130;
    for (int ti = 0; ti < (int)(sizeof types / sizeof types[0]); ti++) {
        const qlm_type t = types[ti];
        const qlm_type_traits *tt = qlm_type_get(t);
        t_case("%s: gemm %s, %d values x %d rows x %d tokens (token blocks) vs scalar vec_dot", isa, tt->name,
               (int)n, rows, ntok);
        const size_t rs = qlm_row_size(t, n), as = qlm_gemm_act_size(t, n);
        float *w = xmalloc((size_t)n * 4), *x = xmalloc((size_t)n * ntok * 4);
        uint8_t *wq = xmalloc(rs * rows), *act = xmalloc(as * ntok);
        rng_seed(77 + ti);
        for (int r = 0; r < rows; r++) { fill_data(w, n, 0.05); tt->from_float(w, wq + rs * r, n); }
        fill_data(x, n * ntok, 1.0);
        for (int i = 0; i < ntok; i++) k->gemm_prep[t](x + (size_t)i * n, act + as * i, n);
        float *y = xmalloc(sizeof(float) * rows * ntok), *y2 = xmalloc(sizeof(float) * rows * ntok);
        for (int i = 0; i < rows * ntok; i++) y[i] = y2[i] = -12345.f;
        void *work = xmalloc(QLM_GEMM_WORK_SIZE(n, ntok));
        k->gemm[t](n, rows, ntok, wq, rs, act, as, y, rows, work);
        k->gemm[t](n, rows, 24, wq, rs, act, as, y2, rows, work);
        k->gemm[t](n, rows, ntok - 24, wq, rs, act + as * 24, as, y2 + 24 * rows, rows, work);
        const double worst = gemm_error_vs_scalar(k, t, n, rows, ntok, x, wq, rs, y, rows);
        NOTE("  %s gemm %s token blocks: max |gemm - scalar| / sum|w*a| = %.2g\n", isa, tt->name, worst);
        T_CHECK(worst <= 1e-5, "relative error %g", worst); /* measured <= 2e-6 */
        T_CHECK(!memcmp(y, y2, sizeof(float) * rows * ntok), "tokens 0-23 and 24-%d apart give other bits", ntok - 1);
        free(w); free(x); free(wq); free(act); free(y); free(y2); free(work);
    }
}

/* y from gemm (prepared activations) against the scalar vec_dot of the same weights and
 * of the activations the ISA's own quantizer makes (the integer sums are then the same;
 * only float rounding differs). */
static void test_gemm(const qlm_kernels *k, const char *isa, const char *variant) {
    for (int wi = 0; wi < N_WTYPES; wi++) {
        qlm_type t = WTYPES[wi];
        const qlm_type_traits *tt = qlm_type_get(t);
        t_case("%s%s: gemm %s on odd shapes vs scalar vec_dot (rel <= 1e-5)", isa, variant, tt->name);
        if (!k->gemm[t]) { t_skip("no gemm kernel for %s on %s", tt->name, isa); continue; }
        const int64_t blk = tt->blck_size > 1 ? tt->blck_size : 32;
        const int64_t nblocks[] = {1, 2, 3, 5, 9, 17};
        const int rows_list[] = {1, 3, 16, 17, 40, 71};
        double worst = 0;
        int cases = 0, split_diff = 0;
        for (int ni = 0; ni < 6; ni++) {
            int64_t n = blk * nblocks[ni];
            if (tt->blck_size == 1 && ni == 0) n = 1;       /* plain types: tiny rows too */
            if (tt->blck_size == 1 && ni == 1) n = 7;
            for (int ri = 0; ri < 6; ri++) {
                int rows = rows_list[ri];
                int ntok = 1 + (int)((ni * 6 + ri) % 17);   /* 1..17 tokens over the cases */
                if (ri == 5) ntok = 17;
                if (ri == 4 && ni % 2) ntok = 35;           /* AMX: two tiles of 16 and a tail */
                if (ri == 0) ntok = 1 + ni % 3;             /* matrix-vector loops, every n */
                /* one token over many rows: the matrix-vector loop sums rows in batches
                 * of 16 (full, partial, and a last odd row) */
                if ((ni % 3 == 0 && (ri == 1 || ri == 3)) || (ni == 1 && ri == 2) || (ni == 2 && ri == 4) ||
                    (ni == 4 && ri == 5))
                    ntok = 1;
                rng_seed(1000 + 37 * wi + 6 * ni + ri);
                size_t rs = qlm_row_size(t, n);
                float *w = xmalloc((size_t)n * 4), *x = xmalloc((size_t)n * ntok * 4);
                uint8_t *wq = xmalloc(rs * rows);
                for (int r = 0; r < rows; r++) { fill_data(w, n, 0.05); tt->from_float(w, wq + rs * r, n); }
                fill_data(x, n * ntok, 1.0);
                size_t as = qlm_gemm_act_size(t, n);
                uint8_t *act = xmalloc(as * ntok);
                for (int i = 0; i < ntok; i++) k->gemm_prep[t](x + (size_t)i * n, act + as * i, n);
                const int64_t ldy = rows + 3;
                float *y = xmalloc(sizeof(float) * ldy * ntok), *y2 = xmalloc(sizeof(float) * ldy * ntok);
                for (int64_t i = 0; i < ldy * ntok; i++) y[i] = y2[i] = -12345.f;
                void *work = xmalloc(QLM_GEMM_WORK_SIZE(n, ntok));
                k->gemm[t](n, rows, ntok, wq, rs, act, as, y, ldy, work);
                k->gemm[t](n, rows, ntok, wq, rs, act, as, y2, ldy, NULL); /* without scratch */
                split_diff += gemm_split_differs(k->gemm[t], !strcmp(isa, "neon"), n, rows, ntok, wq, rs, act, as, y,
                                                 ldy, work);
                /* reference: ISA-quantized activations, scalar dot */
                const double e1 = gemm_error_vs_scalar(k, t, n, rows, ntok, x, wq, rs, y, ldy);
                const double e2 = gemm_error_vs_scalar(k, t, n, rows, ntok, x, wq, rs, y2, ldy);
                if (!(e1 <= worst)) worst = e1;
                if (!(e2 <= worst)) worst = e2;
                for (int i = 0; i < ntok; i++)
                    for (int64_t r = rows; r < ldy; r++)
                        T_CHECK(y[(size_t)i * ldy + r] == -12345.f, "wrote past the rows (token %d)", i);
                cases++;
                free(w); free(x); free(wq); free(act); free(y); free(y2); free(work);
            }
        }
        NOTE("  %s%s gemm %-4s: %d shapes, max |gemm - scalar| / sum|w*a| = %.2g\n", isa, variant, tt->name, cases, worst);
        T_CHECK(worst <= 1e-5, "relative error %g", worst); /* measured <= 3e-7; K-quants' float min term 4e-6 */
        T_CHECK(split_diff == 0, "%d shapes give other bits when the rows and tokens are split", split_diff);
    }
}

/* gemm_tiles (bf16 tiles, large batches) against the exact product of the dequantized
 * weights and the float activations. Both operands are rounded to bf16 (8 significant
 * bits: relative error <= 2^-8 each), so |y - ref| <= (2^-7 + 2^-16) sum|w*a| plus float
 * summation error: the bound below, 0.008. Measured: 0.0043-0.0050 worst over the
 * shapes (a one-block row, where few products dominate), ~5e-4 on 512-value rows. */
/* The size of the terms a Q4_K or Q5_K row's dot product sums in floats: per sub-block, the
 * scale part |d sc sum(q a)| and the min part |dmin mn sum(a)|. They can be much larger
 * than the result, or than sum |w a| (a min that nearly cancels the levels' offset), and
 * float rounding errors scale with them (the scalar reference is off by 3e-5 of sum
 * |w a| on some random rows). */
static double kq_term_mag(const uint8_t *row, int64_t n, const float *a, bool q5) {
    double mag = 1e-30;
    for (int64_t s = 0; s < n / 256; s++) {
        const block_q4_k *x4 = (const block_q4_k *)row + s;
        const block_q5_k *x5 = (const block_q5_k *)row + s;
        const qlm_f16 d = q5 ? x5->d : x4->d, dmin = q5 ? x5->dmin : x4->dmin;
        const uint8_t *scales = q5 ? x5->scales : x4->scales, *qs = q5 ? x5->qs : x4->qs;
        for (int j = 0; j < 8; j++) {
            uint8_t sc, mn;
            qlm_kq_get_scale_min(j, scales, &sc, &mn);
            double qa = 0, sa = 0;
            for (int i = 0; i < 32; i++) {
                const uint8_t b = qs[32 * (j / 2) + i];
                const int fifth = q5 ? (x5->qh[i] >> j & 1) << 4 : 0; /* bit j of qh[i] */
                const float av = a[256 * s + 32 * j + i];
                qa += (double)((j % 2 ? b >> 4 : b & 15) | fifth) * av;
                sa += av;
            }
            mag += fabs(qlm_f16_to_f32(d) * sc * qa) + fabs(qlm_f16_to_f32(dmin) * mn * sa);
        }
    }
    return mag;
}

/* The terms a row's dot product sums in floats: kq_term_mag for Q4_K and Q5_K, sum |w a| of the
 * dequantized weights for Q6_K, Q4_0 and Q8_0 (symmetric: no min term to cancel). */
static double r16_term_mag(qlm_type tk, const uint8_t *row, int64_t n, const float *a, float *wd) {
    if (tk == QLM_TYPE_Q4_K || tk == QLM_TYPE_Q5_K) return kq_term_mag(row, n, a, tk == QLM_TYPE_Q5_K);
    qlm_type_get(tk)->to_float(row, wd, n);
    double mag = 1e-30;
    for (int64_t i = 0; i < n; i++) mag += fabs((double)wd[i] * a[i]);
    return mag;
}

/* The R16 types (16 rows interleaved, built by --repack) against Q4_K, Q5_K, Q6_K, Q4_0
 * and Q8_0 on the rows they came from: the matrix-vector loop (1-3 tokens, and any count
 * without scratch) within 1e-5 of the scalar vec_dot relative to the terms summed
 * (r16_term_mag) (the integer sums are the same; the float order is its own); the
 * panel paths (7+ tokens: VNNI or AMX int8 panels, bf16 tiles) to the bit the plain
 * type's results, since the panels they build are the same. */
static void test_gemm_r16(const qlm_kernels *k, const char *isa, const char *variant, qlm_type t) {
    const qlm_kernels *s = qlm_kernels_scalar();
    const qlm_type tk = t == QLM_TYPE_Q4_K_R16   ? QLM_TYPE_Q4_K
                        : t == QLM_TYPE_Q5_K_R16 ? QLM_TYPE_Q5_K
                        : t == QLM_TYPE_Q6_K_R16 ? QLM_TYPE_Q6_K
                        : t == QLM_TYPE_Q4_0_R16 ? QLM_TYPE_Q4_0
                                                 : QLM_TYPE_Q8_0;
    const qlm_type vdt = qlm_type_get(tk)->vec_dot_type; /* Q8_K; Q8_0 for Q4_0 */
    const char *tn = qlm_type_get(t)->name, *tkn = qlm_type_get(tk)->name;
    t_case("%s%s: gemm %s vs scalar %s vec_dot (rel <= 1e-5 of the terms), panels == %s's bits", isa, variant, tn, tkn,
           tkn);
    if (!k->gemm[t]) { t_skip("no %s kernel on %s", tn, isa); return; }
    const int64_t ns[] = {256, 512, 1280, 2304};
    const int rows_list[] = {16, 32, 80};
    const int toks[] = {1, 2, 3, 7, 17, 35, 70};
    double worst = 0;
    int cases = 0, differ = 0, tile_cases = 0;
    for (int ni = 0; ni < 4; ni++)
        for (int ri = 0; ri < 3; ri++)
            for (int ti = 0; ti < 7; ti++) {
                if ((ni + ri + ti) % 2 && ti > 2) continue; /* a spread of the larger cases */
                const int64_t n = ns[ni];
                const int rows = rows_list[ri], ntok = toks[ti];
                rng_seed(5000 + 100 * ni + 10 * ri + ti);
                const size_t rs = qlm_row_size(tk, n);
                float *w = xmalloc((size_t)n * 4), *x = xmalloc((size_t)n * ntok * 4);
                uint8_t *wk = xmalloc(rs * rows), *wr = xmalloc(rs * rows);
                for (int r = 0; r < rows; r++) { fill_data(w, n, 0.05); qlm_type_get(tk)->from_float(w, wk + rs * r, n); }
                for (int r = 0; r < rows; r += 16) {
                    if (tk == QLM_TYPE_Q4_K) qlm_q4_k_r16_from_q4_k(wk + rs * r, rs, wr + rs * r, n);
                    else if (tk == QLM_TYPE_Q5_K) qlm_q5_k_r16_from_q5_k(wk + rs * r, rs, wr + rs * r, n);
                    else if (tk == QLM_TYPE_Q6_K) qlm_q6_k_r16_from_q6_k(wk + rs * r, rs, wr + rs * r, n);
                    else if (tk == QLM_TYPE_Q4_0) qlm_q4_0_r16_from_q4_0(wk + rs * r, rs, wr + rs * r, n);
                    else qlm_q8_0_r16_from_q8_0(wk + rs * r, rs, wr + rs * r, n);
                }
                fill_data(x, n * ntok, 1.0);
                const size_t as = qlm_gemm_act_size(t, n);
                T_CHECK(as == qlm_gemm_act_size(tk, n) && k->gemm_prep[t] == k->gemm_prep[tk], "not %s's activations", tkn);
                uint8_t *act = xmalloc(as * ntok);
                for (int i = 0; i < ntok; i++) k->gemm_prep[t](x + (size_t)i * n, act + as * i, n);
                const int64_t ldy = rows + 3;
                float *y = xmalloc(sizeof(float) * ldy * ntok), *y2 = xmalloc(sizeof(float) * ldy * ntok);
                float *yk = xmalloc(sizeof(float) * ldy * ntok);
                for (int64_t i = 0; i < ldy * ntok; i++) y[i] = y2[i] = yk[i] = -12345.f;
                void *work = xmalloc(QLM_GEMM_WORK_SIZE(n, ntok));
                k->gemm[t](n, rows, ntok, wr, rs, act, as, y, ldy, work);
                k->gemm[t](n, rows, ntok, wr, rs, act, as, y2, ldy, NULL); /* matrix-vector loop */
                k->gemm[tk](n, rows, ntok, wk, rs, act, as, yk, ldy, work);
                /* rows split at a group boundary: the same bits */
                differ += gemm_split_differs(k->gemm[t], false, n, rows, ntok, wr, rs, act, as, y, ldy, work);
                /* the panel path: from 7 tokens on AVX-512, 9 on AVX2 / AVX-VNNI (GEMV_BELOW) */
                if (ntok >= (strcmp(isa, "avx512") ? 9 : 7)) differ += memcmp(y, yk, sizeof(float) * ldy * ntok) != 0;
                void *aq = xmalloc(qlm_row_size(vdt, n));
                float *wd = xmalloc((size_t)n * 4), *ad = xmalloc((size_t)n * 4);
                for (int i = 0; i < ntok; i++) {
                    k->from_float[vdt](x + (size_t)i * n, aq, n);
                    qlm_type_get(vdt)->to_float(aq, ad, n);
                    for (int r = 0; r < rows; r++) {
                        float ref;
                        s->vec_dot[tk](n, &ref, wk + rs * r, aq);
                        const double mag = r16_term_mag(tk, wk + rs * r, n, ad, wd);
                        const double e1 = fabs((double)y[(size_t)i * ldy + r] - ref) / mag;
                        const double e2 = fabs((double)y2[(size_t)i * ldy + r] - ref) / mag;
                        if (!(e1 <= worst)) worst = e1;
                        if (!(e2 <= worst)) worst = e2;
                    }
                    for (int64_t r = rows; r < ldy; r++)
                        T_CHECK(y[(size_t)i * ldy + r] == -12345.f && y2[(size_t)i * ldy + r] == -12345.f,
                                "wrote past the rows (token %d)", i);
                }
                /* bf16 tiles: the same panels as Q4_K's, so the same bits (and without
                 * scratch, the float fallback, also the same) */
                if (k->gemm_tiles[t] && ntok >= 7) {
                    const size_t ts = qlm_tiles_act_row(k, t, n);
                    uint8_t *tact = xmalloc(ts * ntok);
                    for (int i = 0; i < ntok; i++) k->prep_tiles[t](x + (size_t)i * n, tact + ts * i, n);
                    for (int nowork = 0; nowork < 2; nowork++) {
                        k->gemm_tiles[t](n, rows, ntok, wr, rs, tact, ts, y, ldy, nowork ? NULL : work);
                        k->gemm_tiles[tk](n, rows, ntok, wk, rs, tact, ts, yk, ldy, nowork ? NULL : work);
                        differ += memcmp(y, yk, sizeof(float) * ldy * ntok) != 0;
                    }
                    tile_cases++;
                    free(tact);
                }
                cases++;
                free(w); free(x); free(wk); free(wr); free(act); free(y); free(y2); free(yk); free(work);
                free(aq); free(wd); free(ad);
            }
    NOTE("  %s%s gemm %s: %d shapes (%d with tiles), max |gemm - scalar| / terms = %.2g\n", isa, variant, tn,
         cases, tile_cases, worst);
    T_CHECK(worst <= 1e-5, "relative error %g", worst);
    T_CHECK(differ == 0, "%d results differ from %s's bits or across a row split", differ, tkn);
}

/* qlm_matmul splits a batch of 16 x threads tokens or more into pieces of multiples of
 * 8 tokens (the last piece 9 or more here): every piece must give the bits the whole
 * batch gives, whichever kernel each piece's size selects (AVX-512: the AMX int8 tiles
 * from 16 tokens, the VNNI micro-kernel below; the same float order in both). */
static void test_gemm_token_split(const qlm_kernels *k, const char *isa, const char *variant) {
    t_case("%s%s: gemm of 33 and 41 tokens == the same as pieces of 24 + 9 and 32 + 9 tokens, every weight type", isa,
           variant);
    const int64_t n = 512;
    const int rows = 32, nts[2] = {33, 41}, cuts[2] = {24, 32};
    int differ = 0, tested = 0;
    for (int wi = 0; wi < N_WTYPES; wi++) {
        const qlm_type t = WTYPES[wi];
        if (!k->gemm[t]) continue;
        const size_t rs = qlm_row_size(t, n), as = qlm_gemm_act_size(t, n);
        uint8_t *wq = xmalloc(rs * rows);
        float *w = xmalloc(n * 4), *x = xmalloc((size_t)n * 41 * 4);
        rng_seed(300 + wi);
        for (int r = 0; r < rows; r++) { fill_data(w, n, 0.05); qlm_type_get(t)->from_float(w, wq + rs * r, n); }
        fill_data(x, n * 41, 1.0);
        uint8_t *act = xmalloc(as * 41);
        for (int i = 0; i < 41; i++) k->gemm_prep[t](x + (size_t)i * n, act + as * i, n);
        float *y = xmalloc(sizeof(float) * rows * 41), *y2 = xmalloc(sizeof(float) * rows * 41);
        void *work = xmalloc(QLM_GEMM_WORK_SIZE(n, 41));
        for (int c = 0; c < 2; c++) {
            const int nt = nts[c], cut = cuts[c];
            k->gemm[t](n, rows, nt, wq, rs, act, as, y, rows, work);
            k->gemm[t](n, rows, cut, wq, rs, act, as, y2, rows, work);
            k->gemm[t](n, rows, nt - cut, wq, rs, act + as * cut, as, y2 + (size_t)cut * rows, rows, work);
            differ += memcmp(y, y2, sizeof(float) * rows * nt) != 0;
            tested++;
        }
        free(wq); free(w); free(x); free(act); free(y); free(y2); free(work);
    }
    if (!tested) { t_skip("no gemm kernels on %s", isa); return; }
    T_CHECK(differ == 0, "%d of %d batches give other bits in pieces", differ, tested);
}

static void test_gemm_tiles(const qlm_kernels *k, const char *isa) {
    for (int wi = 0; wi < N_WTYPES; wi++) {
        qlm_type t = WTYPES[wi];
        const qlm_type_traits *tt = qlm_type_get(t);
        /* float weights: hi/lo bf16 parts of weights and activations (gemm_float_avx512.c),
         * what is left out below ~2^-16 per product: bound 1e-4 (measured: see NOTE) */
        const double bound = k->tiles_split[t] ? 1e-4 : 0.008;
        t_case("%s: bf16 tiles %s on odd shapes vs exact float product (rel <= %g)", isa, tt->name, bound);
        if (!k->gemm_tiles[t]) { t_skip("no tile kernel for %s on %s (needs AMX-BF16)", tt->name, isa); continue; }
        const int64_t blk = tt->blck_size > 32 ? tt->blck_size : 32;
        /* 70 blocks of 32 values: long rows for the 32-value types too; 300 rows span
         * more than one row block of the kernels */
        const int64_t nblocks[] = {1, 3, 8, blk == 32 ? 70 : 5};
        const int rows_list[] = {1, 16, 17, 40, 71, 300};
        const int toks[] = {1, 16, 31, 9, 33, 70}; /* 9: F16/BF16 take the tiles from 9 tokens */
        double worst = 0;
        int cases = 0;
        for (int ni = 0; ni < 4; ni++)
            for (int ri = 0; ri < 6; ri++) {
                if (ri == 5 && ni != 1) continue;
                const int64_t n = blk * nblocks[ni];
                const int rows = rows_list[ri], ntok = toks[(ni + ri) % 6];
                rng_seed(3000 + 37 * wi + 5 * ni + ri);
                size_t rs = qlm_row_size(t, n), as = qlm_tiles_act_row(k, t, n);
                float *w = xmalloc((size_t)n * 4), *x = xmalloc((size_t)n * ntok * 4), *wd = xmalloc((size_t)n * rows * 4);
                uint8_t *wq = xmalloc(rs * rows), *act = xmalloc(as * ntok);
                for (int r = 0; r < rows; r++) {
                    fill_data(w, n, 0.05);
                    tt->from_float(w, wq + rs * r, n);
                    tt->to_float(wq + rs * r, wd + (size_t)n * r, n);
                }
                fill_data(x, n * ntok, 1.0);
                for (int i = 0; i < ntok; i++) k->prep_tiles[t](x + (size_t)i * n, act + as * i, n);
                const int64_t ldy = rows + 3;
                float *y = xmalloc(sizeof(float) * ldy * ntok), *y2 = xmalloc(sizeof(float) * ldy * ntok);
                for (int64_t i = 0; i < ldy * ntok; i++) y[i] = y2[i] = -12345.f;
                void *work = xmalloc(QLM_GEMM_WORK_SIZE(n, ntok));
                k->gemm_tiles[t](n, rows, ntok, wq, rs, act, as, y, ldy, work);
                k->gemm_tiles[t](n, rows, ntok, wq, rs, act, as, y2, ldy, NULL); /* without scratch */
                for (int i = 0; i < ntok; i++) {
                    for (int r = 0; r < rows; r++) {
                        double ref = 0, mag = 1e-30;
                        for (int64_t e = 0; e < n; e++) {
                            ref += (double)wd[(size_t)n * r + e] * x[(size_t)i * n + e];
                            mag += fabs((double)wd[(size_t)n * r + e] * x[(size_t)i * n + e]);
                        }
                        double e1 = fabs(y[(size_t)i * ldy + r] - ref) / mag, e2 = fabs(y2[(size_t)i * ldy + r] - ref) / mag;
                        if (!(e1 <= worst)) worst = e1;
                        if (!(e2 <= worst)) worst = e2;
                    }
                    for (int64_t r = rows; r < ldy; r++)
                        T_CHECK(y[(size_t)i * ldy + r] == -12345.f, "wrote past the rows (token %d)", i);
                }
                cases++;
                free(w); free(x); free(wd); free(wq); free(act); free(y); free(y2); free(work);
            }
        NOTE("  %s tiles %-4s: %d shapes, max |y - ref| / sum|w*a| = %.2g\n", isa, tt->name, cases, worst);
        T_CHECK(worst <= bound, "relative error %g", worst);
    }
}

/* ---- 5. the matmul driver, 1 and 2 threads ---------------------------------------- */

static void test_matmul(const qlm_kernels *k, const char *isa) {
    const qlm_kernels *s = qlm_kernels_scalar();
    const qlm_type types[] = {QLM_TYPE_Q4_0, QLM_TYPE_Q6_K, QLM_TYPE_F16, QLM_TYPE_Q4_0_G8};
    for (int ti = 0; ti < 4; ti++) {
        qlm_type t = types[ti];
        const qlm_type_traits *tt = qlm_type_get(t);
        t_case("%s: qlm_matmul %s, 1..2 threads, 1..70 tokens == per-row vec_dot", isa, tt->name);
        const int64_t n = 512, rows = 300;
        size_t rs = qlm_row_size(t, n);
        uint8_t *wq = xmalloc(rs * rows);
        float *w = xmalloc(n * 4);
        rng_seed(77 + ti);
        for (int r = 0; r < rows; r++) { fill_data(w, n, 0.05); tt->from_float(w, wq + rs * r, n); }
        qlm_tensor W = {.data = wq, .type = t, .ne = {n, rows}, .row_size = rs};
        const int toks[] = {1, 2, 5, 33, 70};
        float *wd = xmalloc(n * 4), *ad = xmalloc(n * 4);
        double worst = 0;
        for (int nth = 1; nth <= 2; nth++) {
            qlm_pool *pool = qlm_pool_new(nth);
            for (int ki = 0; ki < 5; ki++) {
                int nt = toks[ki];
                float *x = xmalloc((size_t)n * nt * 4), *y = xmalloc((size_t)rows * nt * 4);
                fill_data(x, n * nt, 1.0);
                void *scratch = xmalloc(qlm_matmul_scratch_size(n, nt));
                qlm_matmul(pool, k, &W, x, y, rows, nt, scratch);
                void *aq = xmalloc(qlm_row_size(tt->vec_dot_type, n) + 64);
                for (int i = 0; i < nt; i++) {
                    if (tt->vec_dot_type == QLM_TYPE_F32) memcpy(aq, x + (size_t)i * n, n * 4);
                    else k->from_float[tt->vec_dot_type](x + (size_t)i * n, aq, n);
                    qlm_type_get(tt->vec_dot_type)->to_float(aq, ad, n);
                    /* large batches on a CPU with bf16 tiles: float activations,
                     * bf16-rounded (see test_gemm_tiles) */
                    const bool tiles = k->gemm_tiles[t] && nt >= k->tiles_min_tokens[t];
                    for (int r = 0; r < rows; r++) {
                        float ref;
                        s->vec_dot[t](n, &ref, wq + rs * r, aq);
                        tt->to_float(wq + rs * r, wd, n);
                        double mag = 1e-30, exact = 0;
                        for (int64_t e = 0; e < n; e++) {
                            mag += fabs((double)wd[e] * (tiles ? x[(size_t)i * n + e] : ad[e]));
                            exact += (double)wd[e] * x[(size_t)i * n + e];
                        }
                        double e = fabs((double)y[(size_t)i * rows + r] - (tiles ? exact : ref)) / mag;
                        if (tiles) e *= 1e-5 / (k->tiles_split[t] ? 1e-4 : 0.008); /* to this test's bound */
                        if (!(e <= worst)) worst = e;
                    }
                }
                free(x); free(y); free(scratch); free(aq);
            }
            qlm_pool_free(pool);
        }
        NOTE("  %s matmul %s: max |y - ref| / sum|w*a| = %.2g\n", isa, tt->name, worst);
        T_CHECK(worst <= 1e-5, "max error %g", worst);
        free(wq); free(w); free(wd); free(ad);
    }
}

/* qlm_matmul_fused must give, bit for bit, what separate qlm_matmul calls give: the
 * same kernels on the same prepared activations, only split across threads otherwise.
 * A Q4_K_M-like trio (two Q4_K matrices share a prep, Q6_K prepares its own). */
static void test_matmul_fused(const qlm_kernels *k, const char *isa) {
    t_case("%s: qlm_matmul_fused (Q4_K, Q4_K, Q6_K; 1..2 threads; 1..70 tokens) == separate qlm_matmul", isa);
    const int64_t n = 512;
    const qlm_type types[3] = {QLM_TYPE_Q4_K, QLM_TYPE_Q4_K, QLM_TYPE_Q6_K};
    const int64_t rows[3] = {300, 40, 40};
    uint8_t *wq[3];
    qlm_tensor W[3];
    float *w = xmalloc(n * 4);
    rng_seed(91);
    for (int m = 0; m < 3; m++) {
        size_t rs = qlm_row_size(types[m], n);
        wq[m] = xmalloc(rs * rows[m]);
        for (int r = 0; r < rows[m]; r++) { fill_data(w, n, 0.05); qlm_type_get(types[m])->from_float(w, wq[m] + rs * r, n); }
        W[m] = (qlm_tensor){.data = wq[m], .type = types[m], .ne = {n, rows[m]}, .row_size = rs};
    }
    const int toks[] = {1, 2, 5, 33, 70};
    int diff = 0;
    for (int nth = 1; nth <= 2; nth++) {
        qlm_pool *pool = qlm_pool_new(nth);
        for (int ki = 0; ki < 5; ki++) {
            int nt = toks[ki];
            float *x = xmalloc((size_t)n * nt * 4), *y[3], *ref[3];
            fill_data(x, n * nt, 1.0);
            void *scratch = xmalloc(qlm_matmul_scratch_size(n, nt));
            int64_t ld[3];
            for (int m = 0; m < 3; m++) {
                ld[m] = rows[m] + 3; /* a gap after each row of y */
                y[m] = xmalloc((size_t)ld[m] * nt * 4);
                ref[m] = xmalloc((size_t)ld[m] * nt * 4);
                memset(y[m], 0, (size_t)ld[m] * nt * 4);
                memset(ref[m], 0, (size_t)ld[m] * nt * 4);
                qlm_matmul(pool, k, &W[m], x, ref[m], ld[m], nt, scratch);
            }
            const qlm_tensor *Wp[3] = {&W[0], &W[1], &W[2]};
            qlm_matmul_fused(pool, k, 3, Wp, x, y, ld, nt, scratch);
            for (int m = 0; m < 3; m++) {
                diff += memcmp(y[m], ref[m], (size_t)ld[m] * nt * 4) != 0;
                free(y[m]);
                free(ref[m]);
            }
            free(x);
            free(scratch);
        }
        qlm_pool_free(pool);
    }
    T_CHECK(diff == 0, "%d of 30 outputs differ", diff);
    for (int m = 0; m < 3; m++) free(wq[m]);
    free(w);
}

/* ---- 6. attention head ------------------------------------------------------------ */

static void test_attention(const qlm_kernels *k, const char *isa) {
    t_case("%s: attention vs scalar (1..8 heads x 1..5 causal tokens, f16 and f32 cache; 1e-3 of max|V|)", isa);
    /* from the fifth on: one token (generation) at the head sizes of the supported
     * models (64, 80, 96, 128, 256) and 72 (a multiple of 8, not 16), head counts that
     * do not fill the kernels' passes, positions short of and past a 16-position block */
    const int hds[] = {8, 64, 72, 128, 64, 128, 64, 128, 80, 96, 256, 72};
    const int groups[] = {1, 8, 3, 4, 8, 3, 5, 1, 3, 6, 2, 4};
    const int toks[] = {1, 5, 3, 4, 1, 1, 1, 1, 1, 1, 1, 1};
    const int poss[] = {14, 111, 208, 305, 402, 7, 596, 33, 50, 201, 129, 90};
    double worst = 0;
    for (int hi = 0; hi < 12; hi++) {
        const int hd = hds[hi], nq = groups[hi], nt = toks[hi], stride = hd * 3, n_pos = poss[hi];
        const int n_all = n_pos + nt - 1, qs = (nq + 1) * hd; /* a gap between tokens */
        float *q = xmalloc((size_t)nt * qs * 4), *kf = xmalloc((size_t)n_all * stride * 4), *vf = xmalloc((size_t)n_all * stride * 4);
        qlm_f16 *kh = xmalloc((size_t)n_all * stride * 2), *vh = xmalloc((size_t)n_all * stride * 2);
        rng_seed(500 + hi);
        fill_data(q, nt * qs, 1.0);
        for (int i = 0; i < n_all * stride; i++) {
            kf[i] = (float)rng_gauss(); vf[i] = (float)rng_gauss();
            kh[i] = qlm_f32_to_f16(kf[i]); vh[i] = qlm_f32_to_f16(vf[i]);
        }
        float *sa = xmalloc((size_t)n_all * 4), *sb = xmalloc((size_t)n_all * 4);
        float *oa = xmalloc((size_t)nt * qs * 4), *ob = xmalloc((size_t)nt * qs * 4);
        for (int f16 = 0; f16 < 2; f16++) {
            const void *kk = f16 ? (const void *)kh : kf, *vv = f16 ? (const void *)vh : vf;
            qlm_attn_ref(q, oa, qs, nt, nq, kk, vv, stride, n_pos, hd, 0.125f, f16, sa);
            k->attn(q, ob, qs, nt, nq, kk, vv, stride, n_pos, hd, 0.125f, f16, sb);
            for (int i = 0; i < nt; i++)
                for (int e = 0; e < nq * hd; e++) {
                    double d = fabs((double)oa[i * qs + e] - ob[i * qs + e]) / 4.0; /* |V| < ~4 */
                    if (!(d <= worst)) worst = d;
                }
        }
        free(q); free(kf); free(vf); free(kh); free(vh); free(sa); free(sb); free(oa); free(ob);
    }
    NOTE("  %s attention: max |out - ref| / 4 = %.2g\n", isa, worst);
    /* f16 rounding of probabilities can flip by one f16 ulp when the SIMD sum differs in
     * its last bit: 2^-11 relative of one probability -> well under 1e-3 */
    T_CHECK(worst <= 1e-3, "max error %g", worst);
}

/* ---- 7. logits of real models: fast path vs scalar -------------------------------- */

static const char *const MODELS[] = {
    "models/stories260K/stories260K.gguf",
    "models/stories260K/quant/stories260K.llamaquant-F16.gguf",
    "models/stories260K/quant/stories260K.llamaquant-BF16.gguf",
    "models/stories260K/quant/stories260K.llamaquant-Q4_K_M.mix-Q5_0.gguf",
    "models/stories260K/quant/stories260K.llamaquant-Q5_K_S.mix-Q5_1.gguf",
    "models/stories260K/quant/stories260K.llamaquant-Q6_K.mix-Q8_0.gguf",
    "models/stories260K/quant/stories260K.llamaquant-TQ2_0.mix-Q4_0.gguf",
};
/* Measured max |dlogit| (fast vs scalar, 64 tokens of a story, f16 KV cache). The F32,
 * F16, BF16 files differ by float summation order only; the quantized mixes also by the
 * activation rounding convention (see kernels_avx2.c). */
static const double MODEL_BOUND[] = {0.006, 0.03, 0.015, 0.3, 0.35, 0.3, 0.35};

static bool logits_for(const char *isa, const char *path, const int32_t *ids, int n, float *out, int *n_vocab) {
    qlm_error err = {0};
    if (qlm_isa_set(isa, &err) != QLM_OK) return false;
    qlm_model *m = NULL;
    qlm_context *c = NULL;
    bool ok = false;
    if (qlm_model_load(path, NULL, &m, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); goto done; }
    qlm_context_params cp = qlm_context_default_params();
    cp.n_threads = 1; /* threads are covered elsewhere; a loaded machine makes them slow */
    cp.n_ctx = 128;
    if (qlm_context_new(m, &cp, &c, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); goto done; }
    /* the first half as one batch (gemm), the rest token by token (matrix-vector) */
    if (qlm_eval(c, ids, n / 2, true, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); goto done; }
    qlm_model_desc d;
    qlm_model_describe(m, &d);
    *n_vocab = d.n_vocab;
    for (int i = 0; i < n / 2; i++) memcpy(out + (size_t)i * d.n_vocab, qlm_logits(c, i), d.n_vocab * 4);
    for (int i = n / 2; i < n; i++) {
        if (qlm_eval(c, ids + i, 1, false, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); goto done; }
        memcpy(out + (size_t)i * d.n_vocab, qlm_logits(c, 0), d.n_vocab * 4);
    }
    ok = true;
done:
    qlm_context_free(c);
    qlm_model_free(m);
    return ok;
}

static void test_models(const char *isa) {
    enum { N = 64 };
    int32_t ids[N];
    /* "Once upon a time" and a fixed pseudo-random continuation */
    const int32_t prompt[] = {1, 403, 407, 261, 378};
    for (int i = 0; i < N; i++) ids[i] = i < 5 ? prompt[i] : (int32_t)(3 + (i * 211 + 17) % 509);
    const char *saved = qlm_isa_name();
    for (size_t mi = 0; mi < sizeof MODELS / sizeof MODELS[0]; mi++) {
        const char *path = shared(MODELS[mi]);
        const char *base = strrchr(MODELS[mi], '/') + 1;
        t_case("%s: logits of %s vs scalar path (max |dlogit| <= %g)", isa, base, MODEL_BOUND[mi]);
        if (!path) { t_skip("%s absent in ../shared", MODELS[mi]); continue; }
        float *la = xmalloc((size_t)N * 512 * 4), *lb = xmalloc((size_t)N * 512 * 4);
        int nv = 0, nv2 = 0;
        if (logits_for("scalar", path, ids, N, la, &nv) && logits_for(isa, path, ids, N, lb, &nv2)) {
            double worst = 0;
            int agree = 0;
            for (int i = 0; i < N; i++) {
                int ba = 0, bb = 0;
                for (int v = 0; v < nv; v++) {
                    double d = fabs((double)la[i * nv + v] - lb[i * nv + v]);
                    if (!(d <= worst)) worst = d;
                    if (la[i * nv + v] > la[i * nv + ba]) ba = v;
                    if (lb[i * nv + v] > lb[i * nv + bb]) bb = v;
                }
                agree += ba == bb;
            }
            NOTE("  %s %s: max |dlogit| %.3g, top-1 agrees %d/%d\n", isa, base, worst, agree, N);
            T_CHECK(worst <= MODEL_BOUND[mi], "max |dlogit| %g", worst);
            T_CHECK(agree >= N * 9 / 10, "top-1 agrees on %d of %d", agree, N);
        }
        free(la); free(lb);
    }
    qlm_isa_set(saved, NULL);
}

/* ---- 8. fast path vs llama.cpp's (and llama2.c's) reference logits ---------------- */

/* "# n_prompt=N n_vocab=V" then the ids on line 2 */
static int read_ids(const char *path, int32_t *ids, int cap) {
    size_t len;
    char *txt = t_read_file(path, &len);
    if (!txt) return -1;
    char *p = strchr(txt, '\n');
    int n = 0;
    if (p) {
        p++;
        while (*p && *p != '\n' && n < cap) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p) break;
            ids[n++] = (int32_t)v;
            p = end;
        }
    }
    free(txt);
    return n;
}

/* Measured max |dlogit| of the SIMD paths (all tokens as one batch, f32 KV cache),
 * 2026-11-26, AVX2 / AVX-512 / NEON (under qemu). The quantized mixes are sensitive to
 * the order of float sums: in this 64-wide model a last-bit difference that flips one
 * activation's int8 rounding shows up in the logits, by up to about 0.3. (With only the
 * vec_dot kernels, whose AVX2 versions sum in llama.cpp's x86 order, qlm reproduced the
 * Q4_0/Q5_0/Q8_0 mixes' logits exactly; the batched gemm kernels sum in other orders,
 * and the scalar path, with the reference rounding of activations, is 0.145 off on the
 * Q4_0 mix.) */
static const struct { const char *model, *ref; double bound; } REFS[] = {
    {"stories260K.gguf", "llamacpp_f32_kvf32", 1e-4},                       /* <= 3.3e-5 */
    {"stories260K.gguf", "llama2c_f32", 1e-4},                              /* <= 2.7e-5 */
    {"quant/stories260K.llamaquant-F16.gguf", NULL, 0.02},                  /* <= 0.0121 */
    {"quant/stories260K.llamaquant-BF16.gguf", NULL, 0.1},                  /* 0.066 */
    {"quant/stories260K.llamaquant-Q4_K_M.mix-Q5_0.gguf", NULL, 0.5},       /* 1.9e-6 / 0.144 / 0.244 */
    {"quant/stories260K.llamaquant-Q6_K.mix-Q8_0.gguf", NULL, 0.5},         /* 1.9e-6 / 1.9e-6 / 0.308 */
    {"quant/stories260K.llamaquant-Q5_K_S.mix-Q5_1.gguf", NULL, 0.5},       /* 0.159 / 0.175 / 0.346 */
    {"quant/stories260K.llamaquant-TQ2_0.mix-Q4_0.gguf", NULL, 0.5},        /* 0.146 / 0.286 / 0.145 */
};

static void test_references(const char *isa) {
    const char *saved = qlm_isa_name();
    for (size_t i = 0; i < sizeof REFS / sizeof REFS[0]; i++) {
        char mp[256], tp[256], lp[256];
        const char *base = strrchr(REFS[i].model, '/') ? strrchr(REFS[i].model, '/') + 1 : REFS[i].model;
        snprintf(mp, sizeof mp, "models/stories260K/%s", REFS[i].model);
        if (REFS[i].ref) {
            snprintf(tp, sizeof tp, "models/stories260K/ref/llamacpp_f32_kvf32.tokens.txt");
            snprintf(lp, sizeof lp, "models/stories260K/ref/%s.logits.f32", REFS[i].ref);
        } else {
            char stem[200];
            snprintf(stem, sizeof stem, "%.*s", (int)(strlen(base) - 5), base); /* drop .gguf */
            snprintf(tp, sizeof tp, "models/stories260K/ref/%s.kvf32.tokens.txt", stem);
            snprintf(lp, sizeof lp, "models/stories260K/ref/%s.kvf32.logits.f32", stem);
        }
        const double bound = REFS[i].bound;
        t_case("%s: %s vs %s logits (max |dlogit| <= %g, top-1 >= 95%%)", isa, base,
               REFS[i].ref ? REFS[i].ref : "llama.cpp", bound);
        const char *m = shared(mp), *tk = shared(tp), *lg = shared(lp);
        if (!m || !tk || !lg) { t_skip("reference data absent in ../shared"); continue; }
        int32_t ids[512];
        int n = read_ids(tk, ids, 512);
        size_t lsize;
        float *ref = t_read_file(lg, &lsize);
        qlm_model *mo = NULL;
        qlm_context *c = NULL;
        qlm_error err = {0};
        T_CHECK(n > 1 && ref, "cannot read references");
        if (n > 1 && ref && qlm_isa_set(isa, &err) == QLM_OK && qlm_model_load(m, NULL, &mo, &err) == QLM_OK) {
            qlm_context_params cp = qlm_context_default_params();
            cp.kv_type = QLM_KV_F32;
            cp.n_threads = 1;
            if (qlm_context_new(mo, &cp, &c, &err) == QLM_OK && qlm_eval(c, ids, n, true, &err) == QLM_OK) {
                qlm_model_desc d;
                qlm_model_describe(mo, &d);
                int rows = (int)(lsize / 4 / (size_t)d.n_vocab), agree = 0;
                double worst = 0;
                for (int r = 0; r < rows && r < n; r++) {
                    const float *mine = qlm_logits(c, r), *want = ref + (size_t)r * d.n_vocab;
                    int bm = 0, bw = 0;
                    for (int v = 0; v < d.n_vocab; v++) {
                        double diff = fabs((double)mine[v] - want[v]);
                        if (!(diff <= worst)) worst = diff;
                        if (mine[v] > mine[bm]) bm = v;
                        if (want[v] > want[bw]) bw = v;
                    }
                    agree += bm == bw;
                }
                NOTE("  %s %s vs %s: max |dlogit| %.3g, top-1 %d/%d\n", isa, base, REFS[i].ref ? REFS[i].ref : "llama.cpp",
                     worst, agree, rows);
                T_CHECK(worst <= bound, "max |dlogit| %g", worst);
                T_CHECK(agree * 100 >= rows * 95, "top-1 %d/%d", agree, rows);
            } else {
                T_CHECK(0, "%s", err.message);
            }
        } else {
            T_CHECK(0, "%s", err.message);
        }
        qlm_context_free(c);
        qlm_model_free(mo);
        free(ref);
    }
    qlm_isa_set(saved, NULL);
}

/* The same tokens as one batch (gemm) and one at a time (matrix-vector) agree to within
 * float rounding: the two kernels sum in different orders. */
/* The logits of ids[0..69] as one batch, then of ids[70..75] one token at a time, of a
 * model with a 300-token vocabulary (2 threads): out[76 * 300]. */
static void eval_70_then_6(qlm_model *m, const int32_t *ids, float *out) {
    qlm_error err = {0};
    qlm_context_params cp = qlm_context_default_params();
    cp.n_threads = 2;
    qlm_context *c = NULL;
    if (qlm_context_new(m, &cp, &c, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); return; }
    T_CHECK(qlm_eval(c, ids, 70, true, &err) == QLM_OK, "%s", err.message);
    for (int i = 0; i < 70; i++) memcpy(out + i * 300, qlm_logits(c, i), 300 * sizeof(float));
    for (int i = 70; i < 76; i++) {
        T_CHECK(qlm_eval(c, &ids[i], 1, false, &err) == QLM_OK, "%s", err.message);
        memcpy(out + i * 300, qlm_logits(c, 0), 300 * sizeof(float));
    }
    qlm_context_free(c);
}

/* Two eval_70_then_6 results: how many of the batch's logits differ, and the single
 * tokens' largest |difference| and largest |logit| (of out[0]). */
static void compare_pair(float *const out[2], int *differ, double *worst, double *top) {
    *differ = 0;
    *worst = *top = 0;
    for (int i = 0; i < 70 * 300; i++) *differ += out[0][i] != out[1][i];
    for (int i = 70 * 300; i < 76 * 300; i++) {
        const double e = fabs((double)out[0][i] - out[1][i]);
        if (e > *worst) *worst = e;
        if (fabs(out[0][i]) > *top) *top = fabs(out[0][i]);
    }
}

/* The file at path mapped (out[0]) and loaded with .repack (out[1]): the logits of
 * eval_70_then_6 on the ids (i id_mul + id_add) % 300 (76 x 300 floats each), and the
 * repacked model's count of rearranged matrices; false if either did not load. */
static bool repack_pair_logits(const char *path, int id_mul, int id_add, int *n_repacked, float *out[2]) {
    qlm_error err = {0};
    qlm_model *m[2] = {NULL, NULL};
    const qlm_model_params rp = {.repack = true};
    T_CHECK(qlm_model_load(path, NULL, &m[0], &err) == QLM_OK, "%s", err.message);
    T_CHECK(qlm_model_load(path, &rp, &m[1], &err) == QLM_OK, "%s", err.message);
    const bool ok = m[0] && m[1];
    if (ok) {
        qlm_model_desc d;
        qlm_model_describe(m[1], &d);
        *n_repacked = d.n_repacked;
        int32_t ids[76];
        for (int i = 0; i < 76; i++) ids[i] = (i * id_mul + id_add) % 300;
        for (int v = 0; v < 2; v++) eval_70_then_6(m[v], ids, out[v]);
    }
    qlm_model_free(m[0]);
    qlm_model_free(m[1]);
    return ok;
}

/* qlm_model_params.repack on a small random Q4_0 model (rows of 256 and 512 values):
 * where the path has a Q4_0_R16 loop (AVX-512), the layer matrices (rows in 16s) are
 * interleaved and the 300-row head regrouped as Q4_0_G8; where it has only Q4_0_G8,
 * every matrix but the token embedding (and a head tied to it) is regrouped. The
 * logits of a 70-token batch (prompt path: the same panels) equal the mapped model's
 * to the bit, and so do those of 6 single tokens after it where only Q4_0_G8 was made
 * (the same integer sums, scaled in the same order); with Q4_0_R16 the matrix-vector
 * loop sums in its own order: within 1e-5 of the largest logit. Elsewhere nothing is
 * rearranged. */
static void test_repack(const char *isa) {
    t_case("%s: --repack (Q4_0 -> Q4_0_R16 / Q4_0_G8 at load): batch logits bit-identical to the mapped file, "
           "single tokens too (G8 only) or within 1e-5, untied and tied heads", isa);
    const char *saved = qlm_isa_name();
    qlm_error err = {0};
    if (qlm_isa_set(isa, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); return; }
    const qlm_kernels *k = qlm_kernels_active();
    const bool has_g8 = k->gemm[QLM_TYPE_Q4_0_G8] != NULL, has_r16 = k->gemm[QLM_TYPE_Q4_0_R16] != NULL;
    for (int tied = 0; tied < 2; tied++) {
        qlm_synth_params sp = {.arch = "llama", .n_embd = 256, .n_layer = 2, .n_head = 4, .n_head_kv = 2,
                               .n_ff = 512, .n_vocab = 300, .n_ctx = 128, .rope_theta = 10000.0f,
                               .norm_eps = 1e-5f, .tied_embd = tied, .type = "Q4_0", .pure = true, .seed = 7,
                               .n_threads = 1};
        char path[1024];
        snprintf(path, sizeof path, "%s/repack-%d.gguf", t_tmpdir(), tied);
        if (qlm_synth(&sp, path, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); break; }
        float *out[2] = {xmalloc(76 * 300 * sizeof(float)), xmalloc(76 * 300 * sizeof(float))};
        int n_repacked = -1;
        if (!repack_pair_logits(path, 37, 5, &n_repacked, out)) { free(out[0]); free(out[1]); break; }
        /* q k v o gate up down per layer, and the head (300 rows: never interleaved) */
        const int want = (has_r16 || has_g8 ? 2 * 7 : 0) + (has_g8 && !tied);
        T_CHECK(n_repacked == want, "%d matrices rearranged, expected %d", n_repacked, want);
        int differ;
        double worst, top;
        compare_pair(out, &differ, &worst, &top);
        NOTE("  %s repack Q4_0 (%s head): single-token logits max |diff| %.3g (max |logit| %.3g)\n", isa,
             tied ? "tied" : "untied", worst, top);
        T_CHECK(differ == 0, "%s head: %d of %d batch logits differ", tied ? "tied" : "untied", differ, 70 * 300);
        if (has_r16) T_CHECK(worst <= 1e-5 * top, "single tokens: max |diff| %g, max |logit| %g", worst, top);
        else T_CHECK(worst == 0, "single tokens: max |diff| %g (Q4_0_G8 is bit-identical)", worst);
        free(out[0]); free(out[1]);
        remove(path);
    }
    qlm_isa_set(saved, NULL);
}

/* qlm_model_params.repack on small random Q4_K, Q6_K, Q4_K_M, Q8_0 and Q5_K_M models:
 * where the path has the R16 loops, every matrix of those types whose rows come in 16s is
 * interleaved (q k v o gate up down: the 300-row head is not); a 70-token batch gives
 * the mapped model's logits to the bit (the panels built from the groups are the plain
 * types'), and 6 single tokens after it agree within float rounding (the matrix-vector
 * loops sum in their own order). */
static void test_interleave(const char *isa, const char *type) {
    t_case("%s: --repack (%s -> R16 layouts at load): batch logits bit-identical, single tokens within 1e-5", isa,
           type);
    const char *saved = qlm_isa_name();
    qlm_error err = {0};
    if (qlm_isa_set(isa, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); return; }
    const qlm_kernels *k = qlm_kernels_active();
    qlm_synth_params sp = {.arch = "llama", .n_embd = 256, .n_layer = 2, .n_head = 4, .n_head_kv = 2,
                           .n_ff = 512, .n_vocab = 300, .n_ctx = 128, .rope_theta = 10000.0f,
                           .norm_eps = 1e-5f, .type = type, .pure = strcmp(type, "Q4_K_M") && strcmp(type, "Q5_K_M"), .seed = 9,
                           .n_threads = 1};
    char path[1024];
    snprintf(path, sizeof path, "%s/interleave.gguf", t_tmpdir());
    if (qlm_synth(&sp, path, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); qlm_isa_set(saved, NULL); return; }
    /* the matrices to expect, from the file's tensor table: layer weights of a type
     * this path has a loop for, rows in 16s */
    int want = 0;
    qlm_gguf *g = NULL;
    if (qlm_gguf_open(path, &g, &err) == QLM_OK) {
        for (uint64_t i = 0; i < g->n_tensors; i++) {
            const qlm_gguf_tinfo *ti = &g->tensors[i];
            const bool layer = !strncmp(ti->name, "blk.", 4) && strstr(ti->name, "norm") == NULL;
            const bool loop = (ti->type == QLM_TYPE_Q4_K && k->gemm[QLM_TYPE_Q4_K_R16]) ||
                              (ti->type == QLM_TYPE_Q5_K && k->gemm[QLM_TYPE_Q5_K_R16]) ||
                              (ti->type == QLM_TYPE_Q6_K && k->gemm[QLM_TYPE_Q6_K_R16]) ||
                              (ti->type == QLM_TYPE_Q8_0 && k->gemm[QLM_TYPE_Q8_0_R16] && ti->ne[0] % 256 == 0);
            want += layer && loop && ti->ne[1] % 16 == 0;
        }
        qlm_gguf_close(g);
    }
    T_CHECK(want == 0 || want == 14 || !strcmp(type, "Q4_K_M") || !strcmp(type, "Q5_K_M"),
            "%d matrices in the file to interleave", want);
    float *out[2] = {xmalloc(76 * 300 * sizeof(float)), xmalloc(76 * 300 * sizeof(float))};
    int n_repacked = -1;
    if (repack_pair_logits(path, 41, 3, &n_repacked, out)) {
        T_CHECK(n_repacked == want, "%d matrices interleaved, expected %d", n_repacked, want);
        int differ;
        double worst, top;
        compare_pair(out, &differ, &worst, &top);
        NOTE("  %s interleave %s: single-token logits max |diff| %.3g (max |logit| %.3g)\n", isa, type, worst, top);
        T_CHECK(differ == 0, "%d of %d batch logits differ", differ, 70 * 300);
        /* measured 3.6e-7 of the largest logit (avx512, Q4_K) */
        T_CHECK(worst <= 1e-5 * top, "single tokens: max |diff| %g, max |logit| %g", worst, top);
    }
    free(out[0]); free(out[1]);
    remove(path);
    qlm_isa_set(saved, NULL);
}

/* A model rearranged by --repack under AVX-512 (Q4_K_R16), then the path switched to
 * AVX2, which has no loop for that layout: a new context is refused with an error
 * naming the layout (it used to crash on a NULL vec_dot); back on AVX-512 it works. */
static void test_repack_isa_switch(void) {
    t_case("--repack then qlm_isa_set to a path without the layout's loop: context refused with a clear error");
    const qlm_kernels *k512 = qlm_kernels_for("avx512"), *k2 = qlm_kernels_for("avx2");
    if (!k512 || !k2 || !k512->gemm[QLM_TYPE_Q4_K_R16]) { t_skip("needs AVX-512 and AVX2"); return; }
    const char *saved = qlm_isa_name();
    qlm_error err = {0};
    qlm_synth_params sp = {.arch = "llama", .n_embd = 256, .n_layer = 1, .n_head = 4, .n_head_kv = 2,
                           .n_ff = 512, .n_vocab = 300, .n_ctx = 64, .rope_theta = 10000.0f,
                           .norm_eps = 1e-5f, .type = "Q4_K", .pure = true, .seed = 3, .n_threads = 1};
    char path[1024];
    snprintf(path, sizeof path, "%s/isa-switch.gguf", t_tmpdir());
    qlm_model *m = NULL;
    const qlm_model_params rp = {.repack = true};
    T_CHECK(qlm_isa_set("avx512", &err) == QLM_OK, "%s", err.message);
    if (qlm_synth(&sp, path, &err) == QLM_OK && qlm_model_load(path, &rp, &m, &err) == QLM_OK) {
        qlm_context *c = NULL;
        T_CHECK(qlm_isa_set("avx2", &err) == QLM_OK, "%s", err.message);
        const qlm_status rc = qlm_context_new(m, NULL, &c, &err);
        T_CHECK(rc == QLM_ERR_UNSUPPORTED && c == NULL, "status %s", qlm_status_name(rc));
        T_CHECK(strstr(err.message, "Q4_K_R16") && strstr(err.message, "avx2"), "message: %s", err.message);
        qlm_context_free(c);
        c = NULL;
        T_CHECK(qlm_isa_set("avx512", &err) == QLM_OK, "%s", err.message);
        T_CHECK(qlm_context_new(m, NULL, &c, &err) == QLM_OK, "%s", err.message);
        int32_t id = 5;
        if (c) T_CHECK(qlm_eval(c, &id, 1, false, &err) == QLM_OK, "%s", err.message);
        qlm_context_free(c);
    } else {
        T_CHECK(0, "%s", err.message);
    }
    qlm_model_free(m);
    remove(path);
    qlm_isa_set(saved, NULL);
}

static void test_batch_vs_single(const char *isa) {
    t_case("%s: batch of 40 vs token by token (stories260K F32 and Q4_0 mix, f32 KV)", isa);
    const char *paths[2] = {shared("models/stories260K/stories260K.gguf"),
                            shared("models/stories260K/quant/stories260K.llamaquant-TQ2_0.mix-Q4_0.gguf")};
    if (!paths[0] || !paths[1]) { t_skip("models absent in ../shared"); return; }
    const char *saved = qlm_isa_name();
    qlm_error err = {0};
    if (qlm_isa_set(isa, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); return; }
    int32_t ids[40];
    for (int i = 0; i < 40; i++) ids[i] = (i * 37 + 1) % 512;
    double worst[2] = {0, 0};
    for (int mi = 0; mi < 2; mi++) {
        qlm_model *m = NULL;
        if (qlm_model_load(paths[mi], NULL, &m, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); continue; }
        float *all = xmalloc(40 * 512 * sizeof(float));
        for (int mode = 0; mode < 2; mode++) {
            qlm_context_params cp = qlm_context_default_params();
            cp.kv_type = QLM_KV_F32;
            cp.n_threads = 1;
            qlm_context *c = NULL;
            if (qlm_context_new(m, &cp, &c, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); break; }
            if (mode == 0) T_CHECK(qlm_eval(c, ids, 40, true, &err) == QLM_OK, "%s", err.message);
            for (int i = 0; i < 40; i++) {
                if (mode == 1) T_CHECK(qlm_eval(c, &ids[i], 1, false, &err) == QLM_OK, "%s", err.message);
                const float *row = qlm_logits(c, mode == 1 ? 0 : i);
                for (int v = 0; v < 512 && row; v++) {
                    if (mode == 0) all[i * 512 + v] = row[v];
                    else if (fabs(row[v] - all[i * 512 + v]) > worst[mi]) worst[mi] = fabs(row[v] - all[i * 512 + v]);
                }
            }
            qlm_context_free(c);
        }
        free(all);
        qlm_model_free(m);
    }
    NOTE("  %s batch vs single: F32 %.3g, Q4_0 mix %.3g\n", isa, worst[0], worst[1]);
    T_CHECK(worst[0] <= 1e-4, "F32: %g", worst[0]);  /* measured 1.2e-5 (AVX-512) */
    T_CHECK(worst[1] <= 0.3, "Q4_0 mix: %g", worst[1]); /* see REFS above */
    qlm_isa_set(saved, NULL);
}

/* The vector SiLU against the scalar one (libm expf): values over the whole range,
 * tails and specials. Measured on AVX-512 and AVX2: max relative difference 2.15e-7
 * (2 ulp) away from zero crossings; bound 1e-6 relative plus 1e-30 absolute. */
static void test_silu(const qlm_kernels *k, const char *isa) {
    t_case("%s: silu_mul matches the scalar SiLU", isa);
    enum { N = 4099 }; /* odd: exercises the scalar tail */
    float *g = xmalloc(N * sizeof *g), *ref = xmalloc(N * sizeof *ref), *u = xmalloc(N * sizeof *u);
    for (int i = 0; i < N; i++) {
        /* -110..110 in fine steps, then random scales */
        g[i] = i < 2200 ? -110.0f + 0.1f * (float)i : (float)(rng_unif() * 2 - 1) * (i % 3 == 0 ? 8.0f : 0.5f);
        u[i] = i % 7 == 0 ? -1.5f : 1.0f;
    }
    /* not -inf: the scalar gives NaN (-inf / inf), the vector code -inf (its exp is clamped) */
    g[17] = INFINITY; g[18] = -1e30f; g[19] = NAN; g[20] = 0.0f; g[21] = -0.0f; g[22] = 1e-30f; g[23] = -88.5f;
    float *x0 = xmalloc(N * sizeof *x0);
    memcpy(ref, g, N * sizeof *g);
    memcpy(x0, g, N * sizeof *g);
    qlm_silu_mul(ref, u, N);
    k->silu_mul(g, u, N);
    double worst = 0;
    int bad = -1;
    for (int i = 0; i < N; i++) {
        if (isnan(ref[i]) || isnan(g[i])) {
            if (isnan(ref[i]) != isnan(g[i]) && bad < 0) bad = i;
            continue;
        }
        double d = fabs((double)g[i] - ref[i]);
        if (d > 1e-6 * fabs(ref[i]) + 1e-30 && bad < 0) bad = i;
        if (ref[i] != 0 && d / fabs(ref[i]) > worst && fabs(ref[i]) > 1e-30) worst = d / fabs(ref[i]);
    }
    if (verbose) fprintf(stderr, "  %s silu: max relative difference %.3g\n", isa, worst);
    T_CHECK(bad < 0, "x=%g: %.9g, scalar %.9g", bad < 0 ? 0.0 : (double)x0[bad], bad < 0 ? 0.0 : (double)g[bad],
            bad < 0 ? 0.0 : (double)ref[bad]);
    free(g); free(ref); free(u); free(x0);
}

/* rmsnorm against the scalar qlm_rmsnorm: the double sums of squares are added in
 * another order, so the scale may move in its last bit: outputs within 2^-22 relative
 * (measured: identical on these rows). Odd lengths for the tails, in place too. */
static void test_rmsnorm(const qlm_kernels *k, const char *isa) {
    t_case("%s: rmsnorm matches the scalar one (rel <= 2.4e-7)", isa);
    if (k->rmsnorm == qlm_rmsnorm) { t_skip("%s uses the scalar rmsnorm", isa); return; }
    const int lens[] = {1, 7, 64, 2048, 2053};
    double worst = 0;
    for (int li = 0; li < 5; li++) {
        const int n = lens[li];
        float *x = xmalloc(n * sizeof *x), *w = xmalloc(n * sizeof *w), *a = xmalloc(n * sizeof *a), *b = xmalloc(n * sizeof *b);
        rng_seed(900 + li);
        fill_data(x, n, 3.0);
        fill_data(w, n, 1.0);
        qlm_rmsnorm(a, x, w, n, 1e-5f);
        memcpy(b, x, n * sizeof *x);
        k->rmsnorm(b, b, w, n, 1e-5f); /* in place, as forward.c's post-norms */
        for (int i = 0; i < n; i++) {
            const double d = fabs((double)a[i] - b[i]) / (fabs((double)a[i]) + 1e-30);
            if (!(d <= worst)) worst = d;
        }
        free(x); free(w); free(a); free(b);
    }
    NOTE("  %s rmsnorm: max relative difference %.3g\n", isa, worst);
    T_CHECK(worst <= 2.4e-7, "relative difference %g", worst);
}

int main(void) {
    verbose = getenv("QLM_TEST_VERBOSE") != NULL;
    test_forced_isa();
    test_repack_isa_switch();
    for (int i = 0; i < N_ISAS; i++) {
        const qlm_kernels *k = qlm_kernels_for(ISAS[i]);
        if (!k) {
            t_case("%s: kernels", ISAS[i]);
            t_skip("%s is not supported by this CPU/build", ISAS[i]);
            continue;
        }
        test_quantizers(k, ISAS[i]);
        test_dots(k, ISAS[i]);
        test_gemm(k, ISAS[i], "");
        test_gemm_token_split(k, ISAS[i], "");
        test_gemm_float_blocks(k, ISAS[i]);
        test_gemm_r16(k, ISAS[i], "", QLM_TYPE_Q4_K_R16);
        test_gemm_r16(k, ISAS[i], "", QLM_TYPE_Q6_K_R16);
        test_gemm_r16(k, ISAS[i], "", QLM_TYPE_Q4_0_R16);
        test_gemm_r16(k, ISAS[i], "", QLM_TYPE_Q8_0_R16);
        test_gemm_r16(k, ISAS[i], "", QLM_TYPE_Q5_K_R16);
        test_gemm_tiles(k, ISAS[i]);
#if defined(__x86_64__)
        /* on AMX machines the AVX-512 kernels use tiles for 16+ tokens: test both */
        if (!strcmp(ISAS[i], "avx512") && qlm_avx512_use_amx) {
            qlm_avx512_use_amx = false;
            test_gemm(k, ISAS[i], " (AMX off)");
            test_gemm_token_split(k, ISAS[i], " (AMX off)");
            test_gemm_r16(k, ISAS[i], " (AMX off)", QLM_TYPE_Q4_K_R16);
            test_gemm_r16(k, ISAS[i], " (AMX off)", QLM_TYPE_Q6_K_R16);
            test_gemm_r16(k, ISAS[i], " (AMX off)", QLM_TYPE_Q4_0_R16);
            test_gemm_r16(k, ISAS[i], " (AMX off)", QLM_TYPE_Q8_0_R16);
            test_gemm_r16(k, ISAS[i], " (AMX off)", QLM_TYPE_Q5_K_R16);
            test_matmul(k, ISAS[i]);
            qlm_avx512_use_amx = true;
        }
        /* and the attention with bf16 tiles (f16 cache, 16+ pairs) or FMAs */
        if (!strcmp(ISAS[i], "avx512") && qlm_avx512_attn_tiles) {
            qlm_avx512_attn_tiles = false;
            test_attention(k, "avx512 (attention tiles off)");
            qlm_avx512_attn_tiles = true;
        }
#endif
        test_matmul(k, ISAS[i]);
        test_matmul_fused(k, ISAS[i]);
        test_attention(k, ISAS[i]);
        test_silu(k, ISAS[i]);
        test_rmsnorm(k, ISAS[i]);
        test_models(ISAS[i]);
        test_references(ISAS[i]);
        test_batch_vs_single(ISAS[i]);
        test_repack(ISAS[i]);
        test_interleave(ISAS[i], "Q4_K");
        if (k->gemm[QLM_TYPE_Q4_K_R16] || k->gemm[QLM_TYPE_Q6_K_R16]) { /* elsewhere: nothing to interleave */
            test_interleave(ISAS[i], "Q6_K");
            test_interleave(ISAS[i], "Q4_K_M");
        }
        if (k->gemm[QLM_TYPE_Q8_0_R16]) test_interleave(ISAS[i], "Q8_0");
        if (k->gemm[QLM_TYPE_Q5_K_R16]) test_interleave(ISAS[i], "Q5_K_M");
    }
    return t_done();
}
