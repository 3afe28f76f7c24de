/* A model folder's tokenizer -> tokenizer.ggml.* metadata (see hf_tokenizer.h).
 *
 * The special tokens follow llama.cpp's gguf-py SpecialVocab:
 *   - the kinds bos, eos, unk, sep, pad, cls, mask (plus eot when the post-processor
 *     ends with a token other than EOS);
 *   - tokenizer.json's post_processor: TemplateProcessing's leading / trailing special
 *     tokens give add_bos / add_eos, RobertaProcessing sets add_bos, add_eos, add_sep;
 *   - tokenizer_config.json: add_<kind>_token booleans (these win), and <kind>_token
 *     (a string or {"content": ...}) whose id is the first of tokenizer.json's
 *     added_tokens with that content;
 *   - config.json: <kind>_token_id integers (or text_config's) for kinds still unset;
 *   - and, beyond llama.cpp, the ids a SentencePiece model names in its trainer_spec
 *     for bos, eos, unk and pad still unset (so a bare tokenizer.model keeps them).
 * An id out of range is an error (llama.cpp skips it with a warning).
 * The chat template is tokenizer_config.json's chat_template (a string, or a list of
 * {"name", "template"}: "default" becomes tokenizer.chat_template and each other one
 * tokenizer.chat_template.<name>, listed in tokenizer.chat_templates), else the file
 * chat_template.jinja, else chat_template.json's chat_template. */
#include "hf_tokenizer.h"
#include "../ggml-like/error.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { K_BOS, K_EOS, K_UNK, K_SEP, K_PAD, K_CLS, K_MASK, K_EOT, K_COUNT };
static const char *const KIND[K_COUNT] = {"bos", "eos", "unk", "sep", "pad", "cls", "mask", "eot"};
/* GGUF keys, llama.cpp's spelling (including "seperator") */
static const char *const KIND_KEY[K_COUNT] = {
    "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",   "tokenizer.ggml.unknown_token_id",
    "tokenizer.ggml.seperator_token_id", "tokenizer.ggml.padding_token_id", "tokenizer.ggml.cls_token_id",
    "tokenizer.ggml.mask_token_id", "tokenizer.ggml.eot_token_id"};

typedef struct {
    int64_t id[K_COUNT];   /* -1: unset */
    const char *src[K_COUNT]; /* where the id came from, for errors */
    int add[3];            /* add_bos / add_eos / add_sep: -1 unset, 0, 1 */
    /* contents named by the post-processor and tokenizer_config.json */
    const char *content[K_COUNT];
} specials;

static bool is_file(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static const char *jstr(const qlm_json *o, const char *k) { return qlm_json_str(qlm_json_get(o, k)); }

/* Read a whole (small-ish) file. */
static qlm_status read_file(const char *path, size_t max, uint8_t **out, size_t *size, qlm_error *err) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return qlm_set_error(err, QLM_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return qlm_set_error(err, QLM_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > max) {
        fclose(f);
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s: %lld bytes is more than the %zu allowed", path,
                             (long long)sb.st_size, max);
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) { fclose(f); return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory reading %s", path); }
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    if (got != n) { free(buf); return qlm_set_error(err, QLM_ERR_IO, "%s: short read", path); }
    *out = buf;
    *size = n;
    return QLM_OK;
}

/* The id of the first of tokenizer.json's added_tokens whose content is s, or -1. */
static int64_t added_id(const qlm_json *added, const char *s) {
    for (size_t i = 0; i < qlm_json_len(added); i++) {
        const qlm_json *a = qlm_json_at(added, i);
        const char *c = jstr(a, "content");
        int64_t id;
        if (c && !strcmp(c, s) && qlm_json_i64(qlm_json_get(a, "id"), &id)) return id;
    }
    return -1;
}

/* A <kind>_token entry: a string, or an object with a string "content". */
static const char *token_content(const qlm_json *e) {
    if (!e) return NULL;
    if (e->type == QLM_JSON_STRING) return e->str;
    if (e->type == QLM_JSON_OBJECT) return jstr(e, "content");
    return NULL;
}

static void set_id(specials *sp, int k, int64_t id, const char *src) {
    if (sp->id[k] < 0 && id >= 0) {
        sp->id[k] = id;
        sp->src[k] = src;
    }
}

/* What tokenizer.json's post_processor says about added special tokens. */
static void read_post_processor(const qlm_json *pp, bool have_config, specials *sp) {
    if (!pp || pp->type != QLM_JSON_OBJECT) return;
    const qlm_json *list = qlm_json_get(pp, "processors");
    size_t n = list ? qlm_json_len(list) : 1;
    for (size_t i = 0; i < n; i++) {
        const qlm_json *p = list ? qlm_json_at(list, i) : pp;
        const char *type = jstr(p, "type");
        if (!type) continue;
        if (!strcmp(type, "RobertaProcessing")) {
            sp->add[0] = sp->add[1] = sp->add[2] = 1;
            continue;
        }
        if (strcmp(type, "TemplateProcessing")) continue;
        const qlm_json *single = qlm_json_get(p, "single");
        size_t ns = qlm_json_len(single);
        if (ns < 2) continue;
        const char *first = jstr(qlm_json_get(qlm_json_at(single, 0), "SpecialToken"), "id");
        const char *last = jstr(qlm_json_get(qlm_json_at(single, ns - 1), "SpecialToken"), "id");
        if (first) {
            if (!have_config) sp->content[K_BOS] = first;
            sp->add[0] = (sp->content[K_BOS] && !strcmp(first, sp->content[K_BOS])) ||
                         (sp->content[K_CLS] && !strcmp(first, sp->content[K_CLS]));
        }
        if (last) {
            if (!have_config) {
                sp->content[K_EOS] = last;
            } else if (!sp->content[K_EOS] || strcmp(last, sp->content[K_EOS])) {
                /* a trailing token that is not EOS: llama.cpp makes it EOS and keeps the
                 * configured EOS as end-of-turn */
                if (!sp->content[K_EOT]) sp->content[K_EOT] = sp->content[K_EOS];
                sp->content[K_EOS] = last;
            }
            sp->add[1] = 1;
        }
    }
}

/* ---- chat templates ----------------------------------------------------------------- */

static qlm_status write_template_list(qlm_gguf_writer *w, const qlm_json *list, const char *fname, qlm_error *err) {
    size_t n = qlm_json_len(list);
    const char **names = calloc(n ? n : 1, sizeof *names);
    size_t *lens = calloc(n ? n : 1, sizeof *lens);
    char *clean = NULL;
    size_t n_names = 0;
    qlm_status rc = QLM_OK;
    if (!names || !lens) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); goto done; }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const qlm_json *nm = qlm_json_get(qlm_json_at(list, i), "name");
        total += (nm && nm->type == QLM_JSON_STRING ? nm->len : 0) + 1;
    }
    clean = malloc(total + 1);
    if (!clean) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); goto done; }
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const qlm_json *e = qlm_json_at(list, i), *nm = qlm_json_get(e, "name"), *t = qlm_json_get(e, "template");
        if (e->type != QLM_JSON_OBJECT || !nm || nm->type != QLM_JSON_STRING || !t || t->type != QLM_JSON_STRING) {
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s: chat_template[%zu] must be {\"name\": string, \"template\": string}",
                               fname, i);
            goto done;
        }
        if (!nm->len) continue;
        /* llama.cpp keeps letters and digits of a name and turns the rest into '_' */
        char *c = clean + used;
        for (size_t k = 0; k < nm->len; k++) c[k] = isalnum((unsigned char)nm->str[k]) ? nm->str[k] : '_';
        c[nm->len] = 0;
        used += nm->len + 1;
        if (!strcmp(c, "default")) {
            qlm_gguf_w_str(w, "tokenizer.chat_template", t->str, t->len);
            continue;
        }
        char key[300];
        snprintf(key, sizeof key, "tokenizer.chat_template.%.200s", c);
        qlm_gguf_w_str(w, key, t->str, t->len);
        bool dup = false;
        for (size_t k = 0; k < n_names && !dup; k++) dup = !strcmp(names[k], c);
        if (!dup) { names[n_names] = c; lens[n_names++] = strlen(c); }
    }
    if (n_names) qlm_gguf_w_arr_str(w, "tokenizer.chat_templates", names, lens, n_names);
done:
    free(names);
    free(lens);
    free(clean);
    return rc;
}

static qlm_status write_chat_template(qlm_gguf_writer *w, const char *dir, const qlm_json *tc, qlm_error *err) {
    char path[PATH_MAX];
    const qlm_json *t = qlm_json_get(tc, "chat_template");
    qlm_json_doc *doc = NULL;
    qlm_status rc = QLM_OK;
    char fname[PATH_MAX];
    snprintf(fname, sizeof fname, "%s/tokenizer_config.json", dir);
    if (!t || t->type == QLM_JSON_NULL) {
        t = NULL;
        snprintf(path, sizeof path, "%s/chat_template.jinja", dir);
        if (is_file(path)) {
            uint8_t *text;
            size_t n;
            if ((rc = read_file(path, (size_t)16 << 20, &text, &n, err))) return rc;
            if (!qlm_utf8_valid((const char *)text, n)) rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s is not UTF-8", path);
            else qlm_gguf_w_str(w, "tokenizer.chat_template", (const char *)text, n);
            free(text);
            return rc;
        }
        snprintf(path, sizeof path, "%s/chat_template.json", dir);
        if (!is_file(path)) return QLM_OK;
        if ((rc = qlm_json_parse_file(path, NULL, &doc, err))) return rc;
        t = qlm_json_get(qlm_json_root(doc), "chat_template");
        snprintf(fname, sizeof fname, "%s", path);
    }
    if (!t || t->type == QLM_JSON_NULL) rc = QLM_OK;
    else if (t->type == QLM_JSON_STRING) qlm_gguf_w_str(w, "tokenizer.chat_template", t->str, t->len);
    else if (t->type == QLM_JSON_ARRAY) rc = write_template_list(w, t, fname, err);
    else rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s: chat_template must be a string or a list of {name, template}", fname);
    qlm_json_free(doc);
    return rc;
}

/* ---- the folder ------------------------------------------------------------------- */

/* tokenizer_config.json's added_tokens_decoder {"<id>": {"content", "special"}}: what
 * transformers loads over tokenizer.json's added tokens. */
static qlm_status apply_added_decoder(hf_vocab *v, const qlm_json *dec, const char *fname, qlm_error *err) {
    if (!dec) return QLM_OK;
    if (dec->type != QLM_JSON_OBJECT)
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s: added_tokens_decoder must be an object", fname);
    for (size_t i = 0; i < qlm_json_len(dec); i++) {
        const qlm_json *k = qlm_json_key(dec, i), *e = qlm_json_val(dec, i);
        const qlm_json *c = qlm_json_get(e, "content");
        char *end;
        errno = 0;
        long id = k->len && k->len < 12 && isdigit((unsigned char)k->str[0]) ? strtol(k->str, &end, 10) : -1;
        if (id < 0 || errno || end != k->str + k->len || id >= HF_MAX_TOKENS)
            return qlm_set_error(err, QLM_ERR_FORMAT, "%s: added_tokens_decoder key '%.40s' is not a token id", fname,
                                 k->str);
        if (!c || c->type != QLM_JSON_STRING || !c->len)
            return qlm_set_error(err, QLM_ERR_FORMAT, "%s: added_tokens_decoder['%.40s'] needs a content string", fname,
                                 k->str);
        qlm_status rc;
        if (id >= v->n && (rc = hf_vocab_resize(v, (int32_t)id + 1, false, -10000.0f, err))) return rc;
        bool special = false;
        qlm_json_bool(qlm_json_get(e, "special"), &special);
        hf_vocab_set_added(v, (int32_t)id, c->str, c->len, special);
    }
    return v->text.oom ? qlm_set_error(err, QLM_ERR_NOMEM, "out of memory") : QLM_OK;
}

static qlm_status gather_specials(specials *sp, const char *dir, const qlm_json *tj, const qlm_json *tc,
                                  const qlm_json *cfg, const hf_vocab *v, qlm_error *err) {
    for (int k = 0; k < K_COUNT; k++) sp->id[k] = -1;
    sp->add[0] = sp->add[1] = sp->add[2] = -1;
    if (tc) {
        for (int k = 0; k < K_EOT; k++) {
            char key[32];
            snprintf(key, sizeof key, "%s_token", KIND[k]);
            sp->content[k] = token_content(qlm_json_get(tc, key));
        }
        /* no BOS / EOS but a CLS / SEP: they serve */
        if (!sp->content[K_BOS]) sp->content[K_BOS] = sp->content[K_CLS];
        if (!sp->content[K_EOS]) sp->content[K_EOS] = sp->content[K_SEP];
    }
    read_post_processor(qlm_json_get(tj, "post_processor"), tc != NULL, sp);
    if (tc) {
        for (int k = 0; k < 3; k++) {
            static const char *const add_keys[3] = {"add_bos_token", "add_eos_token", "add_sep_token"};
            bool b;
            if (qlm_json_bool(qlm_json_get(tc, add_keys[k]), &b)) sp->add[k] = b;
        }
        const qlm_json *added = qlm_json_get(tj, "added_tokens");
        for (int k = 0; k < K_COUNT; k++)
            if (sp->content[k]) {
                int64_t id = added_id(added, sp->content[k]);
                set_id(sp, k, id, "tokenizer_config.json");
            }
    }
    if (cfg) {
        const qlm_json *text_cfg = qlm_json_get(cfg, "text_config");
        for (int k = 0; k < K_EOT; k++) {
            char key[32];
            snprintf(key, sizeof key, "%s_token_id", KIND[k]);
            const qlm_json *e = qlm_json_get(cfg, key);
            if (!e || e->type == QLM_JSON_NULL) e = qlm_json_get(text_cfg, key);
            int64_t id;
            if (!qlm_json_i64(e, &id)) continue; /* null, or a list (Gemma's eos_token_id) */
            if (id < 0)
                return qlm_set_error(err, QLM_ERR_FORMAT, "%s/config.json: %s = %lld is negative", dir, key, (long long)id);
            set_id(sp, k, id, "config.json");
        }
    }
    set_id(sp, K_BOS, v->spm_bos, "tokenizer.model");
    set_id(sp, K_EOS, v->spm_eos, "tokenizer.model");
    set_id(sp, K_UNK, v->spm_unk, "tokenizer.model");
    set_id(sp, K_PAD, v->spm_pad, "tokenizer.model");
    for (int k = 0; k < K_COUNT; k++)
        if (sp->id[k] >= v->n)
            return qlm_set_error(err, QLM_ERR_FORMAT, "%s/%s: the %s token id %lld is out of range (vocabulary of %d tokens)",
                                 dir, sp->src[k], KIND[k], (long long)sp->id[k], (int)v->n);
    return QLM_OK;
}

static qlm_status write_vocab(qlm_gguf_writer *w, const hf_vocab *v, qlm_error *err) {
    const char **strs = malloc((size_t)v->n * sizeof *strs);
    size_t *lens = malloc((size_t)v->n * sizeof *lens);
    if (!strs || !lens) { free(strs); free(lens); return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); }
    qlm_gguf_w_str(w, "tokenizer.ggml.model", v->model, strlen(v->model));
    qlm_gguf_w_str(w, "tokenizer.ggml.pre", v->pre, strlen(v->pre));
    for (int32_t i = 0; i < v->n; i++) { strs[i] = hf_tok_text(v, i); lens[i] = v->len[i]; }
    qlm_gguf_w_arr_str(w, "tokenizer.ggml.tokens", strs, lens, (uint64_t)v->n);
    if (v->score) qlm_gguf_w_arr(w, "tokenizer.ggml.scores", GGUF_TYPE_F32, v->score, (uint64_t)v->n);
    qlm_gguf_w_arr(w, "tokenizer.ggml.token_type", GGUF_TYPE_I32, v->type, (uint64_t)v->n);
    free(strs);
    free(lens);
    if (v->merge_off) {
        strs = malloc((size_t)(v->n_merges ? v->n_merges : 1) * sizeof *strs);
        lens = malloc((size_t)(v->n_merges ? v->n_merges : 1) * sizeof *lens);
        if (!strs || !lens) { free(strs); free(lens); return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); }
        for (int64_t i = 0; i < v->n_merges; i++) {
            strs[i] = v->merges.p + v->merge_off[i];
            lens[i] = v->merge_off[i + 1] - v->merge_off[i];
        }
        qlm_gguf_w_arr_str(w, "tokenizer.ggml.merges", strs, lens, (uint64_t)v->n_merges);
        free(strs);
        free(lens);
    }
    if (v->add_space_prefix >= 0) qlm_gguf_w_bool(w, "tokenizer.ggml.add_space_prefix", v->add_space_prefix != 0);
    return QLM_OK;
}

qlm_status qlm_hf_tokenizer_add(qlm_gguf_writer *w, const char *dir, int64_t n_vocab, bool *found, qlm_error *err) {
    *found = false;
    char path[PATH_MAX];
    hf_vocab v = {0};
    v.spm_unk = v.spm_bos = v.spm_eos = v.spm_pad = -1;
    qlm_json_doc *tj = NULL, *tc = NULL, *cfg = NULL;
    qlm_status rc = QLM_OK;

    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    if (is_file(path)) {
        if ((rc = qlm_json_parse_file(path, NULL, &tj, err))) goto done;
        if ((rc = hf_vocab_from_json(qlm_json_root(tj), path, &v, err))) goto done;
    } else {
        snprintf(path, sizeof path, "%s/tokenizer.model", dir);
        if (!is_file(path)) goto done; /* no tokenizer: nothing to add */
        uint8_t *data;
        size_t size;
        if ((rc = read_file(path, (size_t)1 << 30, &data, &size, err))) goto done;
        rc = hf_vocab_from_spm(data, size, path, &v, err);
        free(data);
        if (rc) goto done;
    }
    *found = true;

    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    if (is_file(path)) {
        if ((rc = qlm_json_parse_file(path, NULL, &tc, err))) goto done;
        if (qlm_json_root(tc)->type != QLM_JSON_OBJECT) {
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s: the top level is not an object", path);
            goto done;
        }
        if ((rc = apply_added_decoder(&v, qlm_json_get(qlm_json_root(tc), "added_tokens_decoder"), path, err))) goto done;
    }
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (is_file(path) && (rc = qlm_json_parse_file(path, NULL, &cfg, err))) goto done;

    /* the model's vocabulary size: pad up to it, never past it */
    if (n_vocab > 0) {
        if (v.n > n_vocab) {
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s: the tokenizer has %d tokens but the model's vocab_size is %lld",
                               dir, (int)v.n, (long long)n_vocab);
            goto done;
        }
        if (n_vocab > HF_MAX_TOKENS) {
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "vocab_size %lld is too large", (long long)n_vocab);
            goto done;
        }
        if ((rc = hf_vocab_resize(&v, (int32_t)n_vocab, false, -10000.0f, err))) goto done;
    }
    {
        /* every text once (qlm's and llama.cpp's loaders refuse duplicates) */
        hf_index ix;
        snprintf(path, sizeof path, "%s/%s", dir, tj ? "tokenizer.json" : "tokenizer.model");
        if ((rc = hf_index_build(&ix, &v, path, err))) goto done;
        hf_index_free(&ix);
    }
    specials sp = {0};
    const qlm_json *tc_root = tc ? qlm_json_root(tc) : NULL;
    if ((rc = gather_specials(&sp, dir, tj ? qlm_json_root(tj) : NULL, tc_root, cfg ? qlm_json_root(cfg) : NULL, &v, err)))
        goto done;

    if ((rc = write_vocab(w, &v, err))) goto done;
    for (int k = 0; k < K_COUNT; k++)
        if (sp.id[k] >= 0) qlm_gguf_w_u32(w, KIND_KEY[k], (uint32_t)sp.id[k]);
    static const char *const add_key[3] = {"tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token",
                                           "tokenizer.ggml.add_sep_token"};
    for (int k = 0; k < 3; k++)
        if (sp.add[k] >= 0) qlm_gguf_w_bool(w, add_key[k], sp.add[k] != 0);
    rc = write_chat_template(w, dir, tc_root, err);
done:
    hf_vocab_free(&v);
    qlm_json_free(tj);
    qlm_json_free(tc);
    qlm_json_free(cfg);
    return rc;
}

/* ---- vocabulary-only file --------------------------------------------------------- */

/* config.json model_type -> general.architecture, as the converter names them. */
static const char *arch_of(const char *mt) {
    static const char *const map[][2] = {{"llama", "llama"}, {"mistral", "llama"},       {"qwen2", "qwen2"},
                                         {"qwen3", "qwen3"}, {"gemma3_text", "gemma3"}, {"gemma3", "gemma3"},
                                         {"phi3", "phi3"},   {"gpt2", "gpt2"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i][0], mt)) return map[i][1];
    return NULL;
}

qlm_status qlm_hf_vocab_only(const char *dir, const char *out_path, qlm_error *err) {
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) return qlm_set_error(err, QLM_ERR_IO, "'%s' is not a directory", dir);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/config.json", dir);
    qlm_json_doc *cfg = NULL;
    qlm_status rc = QLM_OK;
    const char *arch = "llama";
    int64_t n_vocab = 0;
    char arch_buf[64];
    if (is_file(path)) {
        if ((rc = qlm_json_parse_file(path, NULL, &cfg, err))) return rc;
        const qlm_json *c = qlm_json_root(cfg);
        const char *mt = jstr(c, "model_type");
        /* an architecture qlm does not convert keeps its own name (a vocabulary needs none) */
        if (mt && arch_of(mt)) arch = arch_of(mt);
        else if (mt && *mt && strlen(mt) < sizeof arch_buf) arch = strcpy(arch_buf, mt);
        if (!qlm_json_i64(qlm_json_get(c, "vocab_size"), &n_vocab))
            qlm_json_i64(qlm_json_get(qlm_json_get(c, "text_config"), "vocab_size"), &n_vocab);
        if (n_vocab < 0) n_vocab = 0;
    }
    qlm_gguf_writer *w = qlm_gguf_writer_new(0);
    if (!w) { qlm_json_free(cfg); return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); }
    qlm_gguf_w_str(w, "general.architecture", arch, strlen(arch));
    /* the folder's name, without trailing slashes */
    size_t end = strlen(dir);
    while (end > 1 && dir[end - 1] == '/') end--;
    size_t start = end;
    while (start > 0 && dir[start - 1] != '/') start--;
    qlm_gguf_w_str(w, "general.name", dir + start, end - start);
    bool found;
    rc = qlm_hf_tokenizer_add(w, dir, n_vocab, &found, err);
    if (!rc && !found) rc = qlm_set_error(err, QLM_ERR_FORMAT, "'%s' has neither tokenizer.json nor tokenizer.model", dir);
    if (!rc) rc = qlm_gguf_w_begin(w, out_path, err);
    if (!rc) rc = qlm_gguf_w_finish(w, err);
    qlm_gguf_writer_free(w);
    qlm_json_free(cfg);
    return rc;
}
