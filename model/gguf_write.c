#include "gguf_write.h"
#include "../ggml-like/qtypes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *key;
    uint8_t *val;    /* serialized type + value */
    size_t val_len;
} wkv;

typedef struct {
    char name[GGUF_MAX_NAME + 1];
    uint32_t type, n_dims;
    int64_t ne[GGUF_MAX_DIMS];
    uint64_t offset, nbytes;
} wtensor;

struct qlm_gguf_writer {
    uint32_t alignment;
    wkv *kv;
    size_t n_kv, cap_kv;
    wtensor *t;
    size_t n_t, cap_t;
    uint64_t data_size;
    bool oom;
    /* streaming state */
    FILE *f;
    char *path, *tmp_path;
    size_t cur;          /* tensor being written */
    uint64_t cur_written;
    uint64_t pos;        /* bytes written to the data section */
    bool finished;
};

typedef struct { uint8_t *p; size_t len, cap; bool oom; } sbuf;

static void sb_put(sbuf *b, const void *d, size_t n) {
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) { b->oom = true; return; }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void sb_le(sbuf *b, uint64_t v, int n) {
    uint8_t t[8];
    for (int i = 0; i < n; i++) t[i] = (uint8_t)(v >> (8 * i));
    sb_put(b, t, (size_t)n);
}

static void sb_str(sbuf *b, const char *s, size_t len) { sb_le(b, len, 8); sb_put(b, s, len); }

qlm_gguf_writer *qlm_gguf_writer_new(uint32_t alignment) {
    qlm_gguf_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->alignment = alignment ? alignment : GGUF_DEFAULT_ALIGNMENT;
    return w;
}

void qlm_gguf_writer_free(qlm_gguf_writer *w) {
    if (!w) return;
    if (w->f) fclose(w->f);
    if (w->tmp_path && !w->finished) remove(w->tmp_path);
    for (size_t i = 0; i < w->n_kv; i++) { free(w->kv[i].key); free(w->kv[i].val); }
    free(w->kv);
    free(w->t);
    free(w->path);
    free(w->tmp_path);
    free(w);
}

/* Store a serialized value under key, replacing an earlier one. Takes ownership. */
static void set_kv(qlm_gguf_writer *w, const char *key, sbuf *val) {
    if (val->oom) { w->oom = true; free(val->p); return; }
    for (size_t i = 0; i < w->n_kv; i++)
        if (!strcmp(w->kv[i].key, key)) {
            free(w->kv[i].val);
            w->kv[i].val = val->p;
            w->kv[i].val_len = val->len;
            return;
        }
    if (w->n_kv == w->cap_kv) {
        size_t cap = w->cap_kv ? w->cap_kv * 2 : 32;
        wkv *k = realloc(w->kv, cap * sizeof *k);
        if (!k) { w->oom = true; free(val->p); return; }
        w->kv = k;
        w->cap_kv = cap;
    }
    char *kc = strdup(key);
    if (!kc) { w->oom = true; free(val->p); return; }
    w->kv[w->n_kv++] = (wkv){kc, val->p, val->len};
}

static void set_scalar(qlm_gguf_writer *w, const char *key, uint32_t type, uint64_t raw) {
    sbuf b = {0};
    sb_le(&b, type, 4);
    sb_le(&b, raw, (int)qlm_gguf_type_size(type));
    set_kv(w, key, &b);
}

void qlm_gguf_w_u32(qlm_gguf_writer *w, const char *key, uint32_t v) { set_scalar(w, key, GGUF_TYPE_U32, v); }
void qlm_gguf_w_i32(qlm_gguf_writer *w, const char *key, int32_t v) { set_scalar(w, key, GGUF_TYPE_I32, (uint32_t)v); }
void qlm_gguf_w_u64(qlm_gguf_writer *w, const char *key, uint64_t v) { set_scalar(w, key, GGUF_TYPE_U64, v); }
void qlm_gguf_w_bool(qlm_gguf_writer *w, const char *key, bool v) { set_scalar(w, key, GGUF_TYPE_BOOL, v ? 1 : 0); }
void qlm_gguf_w_f32(qlm_gguf_writer *w, const char *key, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    set_scalar(w, key, GGUF_TYPE_F32, u);
}

void qlm_gguf_w_str(qlm_gguf_writer *w, const char *key, const char *s, size_t len) {
    sbuf b = {0};
    sb_le(&b, GGUF_TYPE_STRING, 4);
    sb_str(&b, s, len);
    set_kv(w, key, &b);
}

void qlm_gguf_w_arr(qlm_gguf_writer *w, const char *key, uint32_t elem_type, const void *data, uint64_t n) {
    size_t sz = qlm_gguf_type_size(elem_type);
    sbuf b = {0};
    sb_le(&b, GGUF_TYPE_ARRAY, 4);
    sb_le(&b, elem_type, 4);
    sb_le(&b, n, 8);
    /* values are stored little-endian; re-encode so the host order does not matter */
    const uint8_t *p = data;
    for (uint64_t i = 0; i < n && sz; i++) {
        uint64_t v = 0;
        memcpy(&v, p + i * sz, sz); /* host order == LE on every supported target */
        sb_le(&b, v, (int)sz);
    }
    set_kv(w, key, &b);
}

void qlm_gguf_w_arr_str(qlm_gguf_writer *w, const char *key, const char *const *strs,
                        const size_t *lens, uint64_t n) {
    sbuf b = {0};
    sb_le(&b, GGUF_TYPE_ARRAY, 4);
    sb_le(&b, GGUF_TYPE_STRING, 4);
    sb_le(&b, n, 8);
    for (uint64_t i = 0; i < n; i++) sb_str(&b, strs[i], lens ? lens[i] : strlen(strs[i]));
    set_kv(w, key, &b);
}

void qlm_gguf_w_copy_kv(qlm_gguf_writer *w, const qlm_gguf_kv *kv) {
    sbuf b = {0};
    sb_le(&b, kv->type, 4);
    if (kv->type == GGUF_TYPE_STRING) {
        sb_str(&b, kv->str.ptr, kv->str.len);
    } else if (kv->type == GGUF_TYPE_ARRAY) {
        sb_le(&b, kv->arr_type, 4);
        sb_le(&b, kv->arr_n, 8);
        if (kv->arr_type == GGUF_TYPE_STRING)
            for (uint64_t i = 0; i < kv->arr_n; i++) sb_str(&b, kv->arr_strs[i].ptr, kv->arr_strs[i].len);
        else
            sb_put(&b, kv->arr_data, kv->arr_n * qlm_gguf_type_size(kv->arr_type)); /* already LE */
    } else {
        uint64_t raw = kv->v.u;
        if (kv->type == GGUF_TYPE_F32) { float f = (float)kv->v.f; uint32_t u; memcpy(&u, &f, 4); raw = u; }
        else if (kv->type == GGUF_TYPE_F64) memcpy(&raw, &kv->v.f, 8);
        sb_le(&b, raw, (int)qlm_gguf_type_size(kv->type));
    }
    set_kv(w, kv->key, &b);
}

bool qlm_gguf_w_has_key(const qlm_gguf_writer *w, const char *key) {
    for (size_t i = 0; i < w->n_kv; i++) if (!strcmp(w->kv[i].key, key)) return true;
    return false;
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

int qlm_gguf_w_add_tensor(qlm_gguf_writer *w, const char *name, uint32_t type, int n_dims,
                          const int64_t *ne) {
    const qlm_type_traits *tt = qlm_type_get(type);
    if (!tt || tt->internal || n_dims < 1 || n_dims > GGUF_MAX_DIMS || strlen(name) == 0 || strlen(name) > GGUF_MAX_NAME) return -1;
    if (ne[0] <= 0 || ne[0] % tt->blck_size) return -1;
    if (w->n_t == w->cap_t) {
        size_t cap = w->cap_t ? w->cap_t * 2 : 64;
        wtensor *t = realloc(w->t, cap * sizeof *t);
        if (!t) { w->oom = true; return -1; }
        w->t = t;
        w->cap_t = cap;
    }
    wtensor *t = &w->t[w->n_t];
    memset(t, 0, sizeof *t);
    strcpy(t->name, name);
    t->type = type;
    t->n_dims = (uint32_t)n_dims;
    uint64_t nbytes = (uint64_t)(ne[0] / tt->blck_size) * tt->type_size;
    for (int d = 0; d < GGUF_MAX_DIMS; d++) t->ne[d] = d < n_dims ? ne[d] : 1;
    for (int d = 1; d < n_dims; d++) {
        if (ne[d] <= 0) return -1;
        nbytes *= (uint64_t)ne[d];
    }
    t->nbytes = nbytes;
    t->offset = align_up(w->data_size, w->alignment);
    w->data_size = t->offset + nbytes;
    return (int)w->n_t++;
}

uint64_t qlm_gguf_w_tensor_nbytes(const qlm_gguf_writer *w, int idx) {
    return idx >= 0 && (size_t)idx < w->n_t ? w->t[idx].nbytes : 0;
}

static qlm_status wr(qlm_gguf_writer *w, const void *p, size_t n, qlm_error *err) {
    if (n && fwrite(p, 1, n, w->f) != n)
        return qlm_set_error(err, QLM_ERR_IO, "write error on '%s': %s", w->tmp_path, strerror(errno));
    return QLM_OK;
}

static qlm_status pad_to(qlm_gguf_writer *w, uint64_t target, qlm_error *err) {
    static const uint8_t zeros[64];
    while (w->pos < target) {
        size_t n = target - w->pos > sizeof zeros ? sizeof zeros : (size_t)(target - w->pos);
        qlm_status rc = wr(w, zeros, n, err);
        if (rc) return rc;
        w->pos += n;
    }
    return QLM_OK;
}

qlm_status qlm_gguf_w_begin(qlm_gguf_writer *w, const char *path, qlm_error *err) {
    if (w->oom) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory building the GGUF header");
    if (!qlm_gguf_w_has_key(w, "general.alignment") && w->alignment != GGUF_DEFAULT_ALIGNMENT)
        qlm_gguf_w_u32(w, "general.alignment", w->alignment);
    size_t plen = strlen(path);
    w->path = strdup(path);
    w->tmp_path = malloc(plen + 32);
    if (!w->path || !w->tmp_path) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    snprintf(w->tmp_path, plen + 32, "%s.tmp.%d", path, (int)getpid());
    w->f = fopen(w->tmp_path, "wb");
    if (!w->f) return qlm_set_error(err, QLM_ERR_IO, "cannot create '%s': %s", w->tmp_path, strerror(errno));
    sbuf h = {0};
    sb_put(&h, "GGUF", 4);
    sb_le(&h, 3, 4);
    sb_le(&h, w->n_t, 8);
    sb_le(&h, w->n_kv, 8);
    for (size_t i = 0; i < w->n_kv; i++) {
        sb_str(&h, w->kv[i].key, strlen(w->kv[i].key));
        sb_put(&h, w->kv[i].val, w->kv[i].val_len);
    }
    for (size_t i = 0; i < w->n_t; i++) {
        const wtensor *t = &w->t[i];
        sb_str(&h, t->name, strlen(t->name));
        sb_le(&h, t->n_dims, 4);
        for (uint32_t d = 0; d < t->n_dims; d++) sb_le(&h, (uint64_t)t->ne[d], 8);
        sb_le(&h, t->type, 4);
        sb_le(&h, t->offset, 8);
    }
    while (h.len % w->alignment) sb_le(&h, 0, 1);
    if (h.oom) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory building the GGUF header");
    qlm_status rc = wr(w, h.p, h.len, err);
    free(h.p);
    w->cur = 0;
    w->cur_written = 0;
    w->pos = 0;
    return rc;
}

qlm_status qlm_gguf_w_write(qlm_gguf_writer *w, const void *data, size_t n, qlm_error *err) {
    if (!w->f || w->cur >= w->n_t)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "gguf writer: no tensor left to write");
    const wtensor *t = &w->t[w->cur];
    if (w->cur_written + n > t->nbytes)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "gguf writer: too much data for tensor '%s'", t->name);
    qlm_status rc = pad_to(w, t->offset, err);
    if (rc) return rc;
    if ((rc = wr(w, data, n, err))) return rc;
    w->pos += n;
    w->cur_written += n;
    if (w->cur_written == t->nbytes) { w->cur++; w->cur_written = 0; }
    return QLM_OK;
}

qlm_status qlm_gguf_w_finish(qlm_gguf_writer *w, qlm_error *err) {
    if (!w->f) return qlm_set_error(err, QLM_ERR_INVALID_ARG, "gguf writer: begin was not called");
    if (w->cur != w->n_t)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "gguf writer: tensor '%s' has no data", w->t[w->cur].name);
    qlm_status rc = pad_to(w, align_up(w->pos, w->alignment), err);
    if (rc) return rc;
    if (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0) {
        return qlm_set_error(err, QLM_ERR_IO, "write error on '%s': %s", w->tmp_path, strerror(errno));
    }
    int c = fclose(w->f);
    w->f = NULL;
    if (c != 0) return qlm_set_error(err, QLM_ERR_IO, "write error on '%s': %s", w->tmp_path, strerror(errno));
    if (rename(w->tmp_path, w->path) != 0)
        return qlm_set_error(err, QLM_ERR_IO, "cannot rename '%s' to '%s': %s", w->tmp_path, w->path, strerror(errno));
    w->finished = true;
    return QLM_OK;
}
