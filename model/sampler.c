/* Token sampling: repetition penalty, then greedy, or temperature -> top-k -> softmax
 * -> min-p -> top-p -> one draw.
 *
 * Temperature is applied before the truncations (as Hugging Face transformers and
 * llama2.c do). The random source and the top-p procedure are llama2.c's (xorshift64*,
 * a (1-p)/(n-1) prefilter, a descending sort, one uniform draw over the kept mass), so
 * `--temp 1 --top-p 0.9 --seed S` reproduces llama2.c's `-t 1 -p 0.9 -s S` output. */
#include "qlm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct { float p; int32_t id; } cand;

struct qlm_sampler {
    qlm_sampler_params p;
    uint64_t rng;
    int32_t *history;     /* ring of the last repeat_last_n tokens */
    int hist_len, hist_pos;
    cand *cands;
    float *work;
    int cap;              /* vocabulary size the buffers hold */
};

qlm_sampler_params qlm_sampler_default_params(void) {
    qlm_sampler_params p = {.temperature = 0.8f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f,
                            .repeat_penalty = 1.0f, .repeat_last_n = 64, .seed = 0};
    return p;
}

qlm_sampler *qlm_sampler_new(const qlm_sampler_params *p) {
    qlm_sampler *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->p = p ? *p : qlm_sampler_default_params();
    if (s->p.repeat_last_n < 0) s->p.repeat_last_n = 0;
    s->rng = s->p.seed;
    if (s->p.repeat_last_n) {
        s->history = calloc((size_t)s->p.repeat_last_n, sizeof *s->history);
        if (!s->history) { free(s); return NULL; }
    }
    return s;
}

void qlm_sampler_free(qlm_sampler *s) {
    if (!s) return;
    free(s->history);
    free(s->cands);
    free(s->work);
    free(s);
}

void qlm_sampler_accept(qlm_sampler *s, int32_t token) {
    if (!s->p.repeat_last_n) return;
    s->history[s->hist_pos] = token;
    s->hist_pos = (s->hist_pos + 1) % s->p.repeat_last_n;
    if (s->hist_len < s->p.repeat_last_n) s->hist_len++;
}

/* xorshift64* as in llama2.c; returns the top 32 bits */
static uint32_t rng_u32(uint64_t *st) {
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return (uint32_t)((*st * 0x2545F4914F6CDD1DULL) >> 32);
}
static float rng_f32(uint64_t *st) { return (float)(rng_u32(st) >> 8) / 16777216.0f; }

static int cmp_desc(const void *a, const void *b) {
    float x = ((const cand *)a)->p, y = ((const cand *)b)->p;
    return x > y ? -1 : x < y ? 1 : 0;
}

/* Move the k largest to the front (unordered), by quickselect. */
static void select_top(cand *c, int n, int k) {
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        float pivot = c[(lo + hi) / 2].p;
        int i = lo, j = hi;
        while (i <= j) {
            while (c[i].p > pivot) i++;
            while (c[j].p < pivot) j--;
            if (i <= j) { cand t = c[i]; c[i] = c[j]; c[j] = t; i++; j--; }
        }
        if (k - 1 <= j) hi = j;
        else if (k - 1 >= i) lo = i;
        else break;
    }
}

int32_t qlm_sampler_sample(qlm_sampler *s, const float *logits, int n_vocab) {
    if (n_vocab <= 0) return -1;
    if (n_vocab > s->cap) {
        cand *c = realloc(s->cands, (size_t)n_vocab * sizeof *c);
        if (c) s->cands = c;
        float *w = realloc(s->work, (size_t)n_vocab * sizeof *w);
        if (w) s->work = w;
        if (!c || !w) return -1;
        s->cap = n_vocab;
    }
    float *x = s->work;
    memcpy(x, logits, (size_t)n_vocab * sizeof *x);
    /* repetition penalty (CTRL-style, as llama.cpp): each distinct recent token once */
    if (s->p.repeat_penalty != 1.0f && s->p.repeat_penalty > 0.0f) {
        for (int h = 0; h < s->hist_len; h++) {
            int32_t t = s->history[h];
            if (t < 0 || t >= n_vocab) continue;
            bool dup = false;
            for (int e = 0; e < h; e++) if (s->history[e] == t) { dup = true; break; }
            if (dup) continue;
            x[t] = x[t] > 0 ? x[t] / s->p.repeat_penalty : x[t] * s->p.repeat_penalty;
        }
    }
    if (s->p.temperature <= 0.0f) {
        int best = 0;
        for (int i = 1; i < n_vocab; i++) if (x[i] > x[best]) best = i;
        return best;
    }
    cand *c = s->cands;
    for (int i = 0; i < n_vocab; i++) { c[i].p = x[i] / s->p.temperature; c[i].id = i; }
    int n = n_vocab;
    if (s->p.top_k > 0 && s->p.top_k < n) { select_top(c, n, s->p.top_k); n = s->p.top_k; }
    /* softmax over the survivors */
    float mx = c[0].p;
    for (int i = 1; i < n; i++) if (c[i].p > mx) mx = c[i].p;
    float sum = 0.0f;
    for (int i = 0; i < n; i++) { c[i].p = expf(c[i].p - mx); sum += c[i].p; }
    for (int i = 0; i < n; i++) c[i].p /= sum;
    if (s->p.min_p > 0.0f && s->p.min_p <= 1.0f) {
        float pmax = 0.0f;
        for (int i = 0; i < n; i++) if (c[i].p > pmax) pmax = c[i].p;
        int kept = 0;
        for (int i = 0; i < n; i++) if (c[i].p >= s->p.min_p * pmax) c[kept++] = c[i];
        n = kept;
    }
    float coin = rng_f32(&s->rng);
    if (s->p.top_p > 0.0f && s->p.top_p < 1.0f && n > 1) {
        /* tokens below (1-p)/(n-1) can never be inside the nucleus: drop before sorting */
        float cutoff = (1.0f - s->p.top_p) / (float)(n - 1);
        int kept = 0;
        for (int i = 0; i < n; i++) if (c[i].p >= cutoff) c[kept++] = c[i];
        qsort(c, (size_t)kept, sizeof *c, cmp_desc);
        float cum = 0.0f;
        int last = kept - 1;
        for (int i = 0; i < kept; i++) {
            cum += c[i].p;
            if (cum > s->p.top_p) { last = i; break; }
        }
        float r = coin * cum, cdf = 0.0f;
        for (int i = 0; i <= last; i++) {
            cdf += c[i].p;
            if (r < cdf) return c[i].id;
        }
        return c[last].id; /* rounding */
    }
    float total = 0.0f;
    for (int i = 0; i < n; i++) total += c[i].p;
    float r = coin * total, cdf = 0.0f;
    for (int i = 0; i < n; i++) {
        cdf += c[i].p;
        if (r < cdf) return c[i].id;
    }
    return c[n - 1].id;
}
