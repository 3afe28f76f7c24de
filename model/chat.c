/* qlm_chat_format: a conversation rendered with the model's chat template.
 *
 * The template is the file's tokenizer.chat_template, run by the Jinja interpreter
 * (model/jinja.h) with the variables Hugging Face's apply_chat_template passes:
 * messages, add_generation_prompt, bos_token, eos_token. Only a file without a
 * template falls back to a built-in one, chosen from the vocabulary's special tokens. */
#include "model.h"
#include "jinja.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Built-ins, written as Jinja so they go through the same renderer. */
static const char CHATML[] =
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
static const char LLAMA3[] =
    "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + m['content'] | trim + '<|eot_id|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
static const char GEMMA[] =
    "{{ bos_token }}{% for m in messages %}{% set role = 'model' if m['role'] == 'assistant' else 'user' %}"
    "{{ '<start_of_turn>' + role + '\\n' + m['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}";
static const char PHI3[] =
    "{% for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + '<|end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";
/* Llama 2: the system prompt folds into the first user turn. */
static const char LLAMA2[] =
    "{% if messages[0]['role'] == 'system' %}{% set sys = '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>\\n\\n' %}{% set msgs = messages[1:] %}"
    "{% else %}{% set sys = '' %}{% set msgs = messages %}{% endif %}"
    "{% for m in msgs %}{% if m['role'] == 'user' %}{{ bos_token + '[INST] ' + (sys if loop.first else '') + m['content'] | trim + ' [/INST]' }}"
    "{% else %}{{ ' ' + m['content'] | trim + ' ' + eos_token }}{% endif %}{% endfor %}";

static bool has_token(const qlm_model *m, const char *text) {
    int32_t t[4];
    qlm_error err;
    int n = qlm_vocab_tokenize(m->vocab, text, strlen(text), QLM_TOK_PARSE_SPECIAL, t, 4);
    (void)err;
    return n == 1;
}

static const char *builtin_for(const qlm_model *m) {
    if (has_token(m, "<|im_start|>")) return CHATML;
    if (has_token(m, "<|start_header_id|>")) return LLAMA3;
    if (has_token(m, "<start_of_turn>")) return GEMMA;
    if (has_token(m, "<|assistant|>")) return PHI3;
    return LLAMA2;
}

/* The text of a special token (e.g. "<s>"), or "" when absent. */
static void token_text(const qlm_model *m, int32_t id, char *buf, int cap) {
    buf[0] = 0;
    if (id < 0) return;
    int n = qlm_vocab_token_bytes(m->vocab, id, true, buf, cap - 1);
    buf[n >= 0 && n < cap ? n : 0] = 0;
}

qlm_status qlm_chat_format(const qlm_model *m, const char *messages_json, size_t len,
                           bool add_generation_prompt, char **out, size_t *out_len, qlm_error *err) {
    *out = NULL;
    if (out_len) *out_len = 0;
    if (!m->vocab) return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "the model has no vocabulary, so no chat format");
    qlm_str tmpl_text = {0};
    const char *src;
    size_t src_len;
    if (qlm_gguf_get_str(m->gguf, "tokenizer.chat_template", &tmpl_text) && tmpl_text.len) {
        src = tmpl_text.ptr;
        src_len = tmpl_text.len;
    } else {
        src = builtin_for(m);
        src_len = strlen(src);
    }
    qlm_json_doc *doc = NULL;
    qlm_status rc = qlm_json_parse(messages_json, len, NULL, &doc, err);
    if (rc) return rc;
    const qlm_json *msgs = qlm_json_root(doc);
    if (msgs->type != QLM_JSON_ARRAY) {
        qlm_json_free(doc);
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "messages must be a JSON array");
    }
    qlm_tmpl *t = NULL;
    if ((rc = qlm_tmpl_compile(src, src_len, &t, err, NULL))) {
        qlm_json_free(doc);
        return rc;
    }
    char bos[128], eos[128];
    token_text(m, qlm_vocab_bos(m->vocab), bos, sizeof bos);
    token_text(m, qlm_vocab_eos(m->vocab), eos, sizeof eos);
    qlm_tmpl_var vars[4] = {
        {.name = "messages", .json = msgs},
        {.name = "add_generation_prompt", .boolean = add_generation_prompt},
        {.name = "bos_token", .str = bos},
        {.name = "eos_token", .str = eos},
    };
    size_t n = 0;
    rc = qlm_tmpl_render(t, NULL, vars, 4, NULL, out, &n, err, NULL);
    if (out_len) *out_len = n;
    qlm_tmpl_free(t);
    qlm_json_free(doc);
    return rc;
}

/* The NUL-terminated text of the token whose id is under key_id, or NULL. */
static char *gguf_token_text(const qlm_gguf *g, const char *key_id) {
    uint32_t id, type;
    uint64_t n;
    const qlm_gguf_kv *kv;
    if (!qlm_gguf_get_u32(g, key_id, &id)) return NULL;
    if (!qlm_gguf_get_arr(g, "tokenizer.ggml.tokens", &type, &n, &kv) || type != GGUF_TYPE_STRING || id >= n)
        return NULL;
    return strndup(kv->arr_strs[id].ptr, kv->arr_strs[id].len);
}

qlm_status qlm_template_render(const qlm_template_params *p, char **out, size_t *out_len,
                               qlm_error *err) {
    *out = NULL;
    if (out_len) *out_len = 0;
    qlm_gguf *g = NULL;
    qlm_json_doc *doc = NULL;
    qlm_tmpl *t = NULL;
    char *model_bos = NULL, *model_eos = NULL;
    qlm_tmpl_diag diag;
    const char *src = p->template_text;
    size_t src_len = p->template_len;
    qlm_status rc = QLM_OK;
    if (p->gguf_path) {
        if ((rc = qlm_gguf_open(p->gguf_path, &g, err))) goto done;
        model_bos = gguf_token_text(g, "tokenizer.ggml.bos_token_id");
        model_eos = gguf_token_text(g, "tokenizer.ggml.eos_token_id");
        if (!src) {
            qlm_str s;
            if (!qlm_gguf_get_str(g, "tokenizer.chat_template", &s) || s.len == 0) {
                rc = qlm_set_error(err, QLM_ERR_UNSUPPORTED, "%s has no tokenizer.chat_template", p->gguf_path);
                goto done;
            }
            src = s.ptr;
            src_len = (size_t)s.len;
        }
    }
    if (!src) { rc = qlm_set_error(err, QLM_ERR_INVALID_ARG, "no template given"); goto done; }
    if ((rc = qlm_tmpl_compile(src, src_len, &t, err, &diag))) {
        if (diag.line && err) {
            char was[sizeof err->message];
            memcpy(was, err->message, sizeof was);
            qlm_set_error(err, rc, "line %d: %s: %.440s", diag.line, diag.type, was);
        }
        goto done;
    }
    if ((rc = qlm_json_parse(p->vars_json ? p->vars_json : "[]", p->vars_json ? p->vars_len : 2, NULL, &doc, err))) goto done;
    const qlm_json *root = qlm_json_root(doc);
    if (root->type != QLM_JSON_ARRAY && root->type != QLM_JSON_OBJECT) {
        rc = qlm_set_error(err, QLM_ERR_INVALID_ARG, "expected a JSON array of messages or an object of variables");
        goto done;
    }
    const qlm_json *ctx = root->type == QLM_JSON_OBJECT ? root : NULL;
    /* explicit values override the object's; the object's override the model's tokens */
    qlm_tmpl_var vars[4];
    int nv = 0;
    if (!ctx) vars[nv++] = (qlm_tmpl_var){.name = "messages", .json = root};
    if (p->add_generation_prompt || !qlm_json_get(ctx, "add_generation_prompt"))
        vars[nv++] = (qlm_tmpl_var){.name = "add_generation_prompt", .boolean = p->add_generation_prompt};
    if (p->bos_token || !qlm_json_get(ctx, "bos_token"))
        vars[nv++] = (qlm_tmpl_var){.name = "bos_token", .str = p->bos_token ? p->bos_token : model_bos ? model_bos : ""};
    if (p->eos_token || !qlm_json_get(ctx, "eos_token"))
        vars[nv++] = (qlm_tmpl_var){.name = "eos_token", .str = p->eos_token ? p->eos_token : model_eos ? model_eos : ""};
    qlm_tmpl_opts opts = {.now = p->now};
    size_t n = 0;
    if ((rc = qlm_tmpl_render(t, ctx, vars, nv, &opts, out, &n, err, &diag))) {
        if (err) {
            char was[sizeof err->message];
            memcpy(was, err->message, sizeof was);
            if (diag.raised || !diag.line) qlm_set_error(err, rc, "%s: %.440s", diag.type[0] ? diag.type : "error", was);
            else qlm_set_error(err, rc, "%s: %.420s (template line %d)", diag.type, was, diag.line);
        }
        goto done;
    }
    if (out_len) *out_len = n;
done:
    qlm_tmpl_free(t);
    qlm_json_free(doc);
    free(model_bos);
    free(model_eos);
    qlm_gguf_close(g);
    return rc;
}
