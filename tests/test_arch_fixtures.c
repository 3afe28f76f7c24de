/* Seven architectures from llama.cpp-made GGUF files (../shared/fixtures/llamacpp-gguf)
 * against the logits transformers computed (../shared/fixtures/hf/ARCH/logits.f32).
 *
 * The transformers reference ran the bf16 checkpoints the way transformers runs them:
 * its RoPE inverse-frequency buffer is cast to bf16 together with the model, so the
 * rotary angles are those of bf16-rounded frequencies. qlm does the same when the file
 * says ARCH.rope.freq_bf16 = true (qlm's own key, written by its converter) or, without
 * the key, when the file is mostly BF16 (general.file_type 32), as these files are:
 *   as made by llama.cpp:        measured max |dlogit| 3.8e-6 to 4.6e-6 (all seven);
 *                                bound 1e-3, top-1 64/64, greedy ids exact
 *   with rope.freq_bf16 = false: exact f32 frequencies, 0.010 to 0.035 (gpt2, without
 *                                RoPE, stays 3.1e-6): bound 0.05, and > 1e-3 for the
 *                                RoPE architectures, proving the key is honoured */
#include "harness.h"
#include "qlm.h"
#include "../model/gguf_write.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Copy a GGUF setting "ARCH.rope.freq_bf16" = false. */
static bool copy_with_f32_rope(const char *src, const char *dst, const char *arch) {
    qlm_gguf *g = NULL;
    qlm_error err = {0};
    if (qlm_gguf_open(src, &g, &err) != QLM_OK) return false;
    qlm_gguf_writer *w = qlm_gguf_writer_new(0);
    for (uint64_t i = 0; i < g->n_kv; i++) qlm_gguf_w_copy_kv(w, &g->kv[i]);
    char key[64];
    snprintf(key, sizeof key, "%s.rope.freq_bf16", arch);
    qlm_gguf_w_bool(w, key, false);
    for (uint64_t i = 0; i < g->n_tensors; i++)
        qlm_gguf_w_add_tensor(w, g->tensors[i].name, g->tensors[i].type, (int)g->tensors[i].n_dims, g->tensors[i].ne);
    bool ok = qlm_gguf_w_begin(w, dst, &err) == QLM_OK;
    for (uint64_t i = 0; ok && i < g->n_tensors; i++)
        ok = qlm_gguf_w_write(w, g->tensors[i].data, g->tensors[i].nbytes, &err) == QLM_OK;
    ok = ok && qlm_gguf_w_finish(w, &err) == QLM_OK;
    qlm_gguf_writer_free(w);
    qlm_gguf_close(g);
    return ok;
}


static void check_model(const char *arch, const char *path, const char *json, const float *ref,
                        int n_ref_rows, double bound, double at_least, int min_top1, bool greedy) {
    qlm_model *m = NULL;
    qlm_context *c = NULL;
    qlm_error err = {0};
    if (qlm_model_load(path, NULL, &m, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); return; }
    qlm_model_desc d;
    qlm_model_describe(m, &d);
    qlm_context_params cp = qlm_context_default_params();
    cp.kv_type = QLM_KV_F32;
    cp.n_threads = 2;
    if (qlm_context_new(m, &cp, &c, &err) != QLM_OK) { T_CHECK(0, "%s", err.message); qlm_model_free(m); return; }
    int32_t ids[256];
    int n = t_json_ints(json, "input_ids", ids, 256);
    T_CHECK(n == n_ref_rows, "%d input ids, %d reference rows", n, n_ref_rows);
    if (n == n_ref_rows && qlm_eval(c, ids, n, true, &err) == QLM_OK) {
        double worst = 0;
        int top1 = 0;
        for (int i = 0; i < n; i++) {
            const float *mine = qlm_logits(c, i), *want = ref + (size_t)i * d.n_vocab;
            for (int v = 0; v < d.n_vocab; v++) {
                double diff = fabs((double)mine[v] - want[v]);
                if (!(diff <= worst)) worst = diff;
            }
            top1 += t_argmax(mine, d.n_vocab) == t_argmax(want, d.n_vocab);
        }
        T_CHECK(worst <= bound, "%s: max |dlogit| %g > %g", arch, worst, bound);
        T_CHECK(worst >= at_least, "%s: max |dlogit| %g < %g: the setting had no effect", arch, worst, at_least);
        T_CHECK(top1 >= min_top1, "%s: top-1 %d/%d", arch, top1, n);
    }
    if (greedy) {
        int32_t prompt[256], want[64], got[64];
        int np = t_json_ints(json, "greedy_prompt_ids", prompt, 256);
        int nw = t_json_ints(json, "greedy_new_ids", want, 64);
        T_CHECK(np > 0 && nw > 0, "reference.json lacks greedy ids");
        qlm_context_truncate(c, 0);
        if (np > 0 && nw > 0 && qlm_eval(c, prompt, np, false, &err) == QLM_OK) {
            for (int i = 0; i < nw; i++) {
                got[i] = t_argmax(qlm_logits(c, 0), d.n_vocab);
                if (qlm_eval(c, &got[i], 1, false, &err) != QLM_OK) break;
            }
            T_CHECK(!memcmp(got, want, (size_t)nw * sizeof *got), "%s: greedy continuation differs", arch);
        }
    }
    qlm_context_free(c);
    qlm_model_free(m);
}

int main(void) {
    static const char *ARCHS[] = {"llama", "llama3", "mistral", "qwen2", "qwen3", "phi3", "gpt2"};
    static const char *GGUF_ARCH[] = {"llama", "llama", "llama", "qwen2", "qwen3", "phi3", "gpt2"};
    for (int a = 0; a < 7; a++) {
        char rel[256];
        snprintf(rel, sizeof rel, "fixtures/llamacpp-gguf/%s.gguf", ARCHS[a]);
        const char *gguf = t_shared(rel);
        snprintf(rel, sizeof rel, "fixtures/hf/%s/reference.json", ARCHS[a]);
        const char *refj = t_shared(rel);
        snprintf(rel, sizeof rel, "fixtures/hf/%s/logits.f32", ARCHS[a]);
        const char *refl = t_shared(rel);
        t_case("arch %s: llama.cpp GGUF vs transformers: logits within 1e-3, greedy ids exact", ARCHS[a]);
        if (!gguf || !refj || !refl) { t_skip("fixtures absent in ../shared/fixtures"); continue; }
        size_t lsize;
        char *json = t_read_file(refj, NULL);
        float *ref = t_read_file(refl, &lsize);
        int rows = (int)(lsize / sizeof(float) / 512);
        check_model(ARCHS[a], gguf, json, ref, rows, 1e-3, 0, rows, true);
        t_case("arch %s: with rope.freq_bf16 = false, f32 frequencies (0.05, top-1 >= 62/64)", ARCHS[a]);
        char copy[512];
        snprintf(copy, sizeof copy, "%s/%s-f32rope.gguf", t_tmpdir(), ARCHS[a]);
        if (!copy_with_f32_rope(gguf, copy, GGUF_ARCH[a])) T_CHECK(0, "cannot write %s", copy);
        else check_model(ARCHS[a], copy, json, ref, rows, 0.05, strcmp(ARCHS[a], "gpt2") ? 1e-3 : 0, 62, false);
        free(json);
        free(ref);
    }
    return t_done();
}
