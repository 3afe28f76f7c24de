#include "safetensors.h"
#include "json.h"
#include "../ggml-like/error.h"
#include "../ggml-like/fp16.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Headers beyond this are not real checkpoints (the spec caps them at 100 MB). */
#define MAX_HEADER (100u << 20)

typedef struct {
    void *map;      /* NULL for a caller's buffer (qlm_st_open_memory): nothing to unmap */
    size_t size;
} st_file;

struct qlm_st {
    st_file *files;
    int n_files;
    qlm_st_tensor *t;
    int n, cap;
};

void qlm_st_close(qlm_st *st) {
    if (!st) return;
    for (int i = 0; i < st->n; i++) free(st->t[i].name);
    for (int i = 0; i < st->n_files; i++)
        if (st->files[i].map) munmap(st->files[i].map, st->files[i].size);
    free(st->t);
    free(st->files);
    free(st);
}

int qlm_st_count(const qlm_st *st) { return st->n; }
const qlm_st_tensor *qlm_st_at(const qlm_st *st, int i) { return i >= 0 && i < st->n ? &st->t[i] : NULL; }

const qlm_st_tensor *qlm_st_find(const qlm_st *st, const char *name) {
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->t[i].name, name)) return &st->t[i];
    return NULL;
}

static qlm_status map_file(const char *path, st_file *f, qlm_error *err) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return qlm_set_error(err, QLM_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 8) {
        close(fd);
        return qlm_set_error(err, QLM_ERR_FORMAT, "'%s' is not a safetensors file (too small)", path);
    }
    void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return qlm_set_error(err, QLM_ERR_IO, "cannot map '%s': %s", path, strerror(errno));
    f->map = m;
    f->size = (size_t)sb.st_size;
    return QLM_OK;
}

static bool parse_dtype(const char *s, qlm_st_dtype *d, int *elt) {
    if (!strcmp(s, "F32")) { *d = QLM_ST_F32; *elt = 4; return true; }
    if (!strcmp(s, "F16")) { *d = QLM_ST_F16; *elt = 2; return true; }
    if (!strcmp(s, "BF16")) { *d = QLM_ST_BF16; *elt = 2; return true; }
    return false;
}

/* Add the tensors of one safetensors image base[0..size) (a mapped file or a caller's
 * buffer, which must outlive st); `path` names it in error messages. */
static qlm_status add_image(qlm_st *st, const uint8_t *base, size_t size, const char *path, qlm_error *err) {
    qlm_status rc = QLM_OK;
    if (size < 8) return qlm_set_error(err, QLM_ERR_FORMAT, "%s is not a safetensors file (too small)", path);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | base[i];
    if (hlen > MAX_HEADER || hlen > size - 8)
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s: header length %" PRIu64 " is larger than the file", path, hlen);
    qlm_json_doc *doc = NULL;
    if ((rc = qlm_json_parse((const char *)base + 8, (size_t)hlen, NULL, &doc, err))) {
        qlm_error_prefix(err, path);
        return rc;
    }
    const qlm_json *root = qlm_json_root(doc);
    uint64_t data_start = 8 + hlen, data_size = size - data_start;
    if (root->type != QLM_JSON_OBJECT) {
        qlm_json_free(doc);
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s: header is not a JSON object", path);
    }
    for (size_t i = 0; i < qlm_json_len(root) && rc == QLM_OK; i++) {
        const char *name = qlm_json_str(qlm_json_key(root, i));
        const qlm_json *v = qlm_json_val(root, i);
        if (!strcmp(name, "__metadata__")) continue;
        const char *dt = qlm_json_str(qlm_json_get(v, "dtype"));
        const qlm_json *shape = qlm_json_get(v, "shape"), *offs = qlm_json_get(v, "data_offsets");
        qlm_st_tensor t = {0};
        int elt;
        if (!dt || !shape || shape->type != QLM_JSON_ARRAY || !offs || qlm_json_len(offs) != 2) {
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s: tensor '%s' has a malformed header entry", path, name);
            break;
        }
        if (!parse_dtype(dt, &t.dtype, &elt)) {
            rc = qlm_set_error(err, QLM_ERR_UNSUPPORTED, "%s: tensor '%s' has dtype %s (F32, F16 and BF16 are supported)", path, name, dt);
            break;
        }
        t.n_dims = (int)qlm_json_len(shape);
        if (t.n_dims > QLM_ST_MAX_DIMS) {
            rc = qlm_set_error(err, QLM_ERR_UNSUPPORTED, "%s: tensor '%s' has %d dimensions", path, name, t.n_dims);
            break;
        }
        t.n_elements = 1;
        for (int d = 0; d < t.n_dims; d++) {
            int64_t s;
            if (!qlm_json_i64(qlm_json_at(shape, (size_t)d), &s) || s < 0 || s > (int64_t)1 << 40 ||
                (s && t.n_elements > INT64_MAX / 8 / s)) {
                rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s: tensor '%s' has an invalid shape", path, name);
                break;
            }
            t.shape[d] = s;
            t.n_elements *= s;
        }
        if (rc) break;
        int64_t b, e;
        if (!qlm_json_i64(qlm_json_at(offs, 0), &b) || !qlm_json_i64(qlm_json_at(offs, 1), &e) || b < 0 || e < b ||
            (uint64_t)e > data_size || (uint64_t)(e - b) != (uint64_t)t.n_elements * (uint64_t)elt) {
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s: tensor '%s' has data offsets outside the file or of the wrong size", path, name);
            break;
        }
        t.data = base + data_start + b;
        t.nbytes = (uint64_t)(e - b);
        if (qlm_st_find(st, name)) {
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s: tensor '%s' appears twice", path, name);
            break;
        }
        t.name = strdup(name);
        if (!t.name) { rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); break; }
        if (st->n == st->cap) {
            int cap = st->cap ? st->cap * 2 : 256;
            qlm_st_tensor *nt = realloc(st->t, (size_t)cap * sizeof *nt);
            if (!nt) { free(t.name); rc = qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); break; }
            st->t = nt;
            st->cap = cap;
        }
        st->t[st->n++] = t;
    }
    qlm_json_free(doc);
    return rc;
}

/* Map one file and add its tensors. */
static qlm_status add_file(qlm_st *st, const char *path, qlm_error *err) {
    st_file *nf = realloc(st->files, (size_t)(st->n_files + 1) * sizeof *nf);
    if (!nf) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    st->files = nf;
    qlm_status rc = map_file(path, &st->files[st->n_files], err);
    if (rc) return rc;
    st_file *f = &st->files[st->n_files++];
    return add_image(st, f->map, f->size, path, err);
}

qlm_status qlm_st_open_memory(const void *data, size_t size, qlm_st **out, qlm_error *err) {
    *out = NULL;
    qlm_st *st = calloc(1, sizeof *st);
    if (!st) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    qlm_status rc = add_image(st, data, size, "safetensors buffer", err);
    if (rc) { qlm_st_close(st); return rc; }
    *out = st;
    return QLM_OK;
}

qlm_status qlm_st_open_file(const char *path, qlm_st **out, qlm_error *err) {
    *out = NULL;
    qlm_st *st = calloc(1, sizeof *st);
    if (!st) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    qlm_status rc = add_file(st, path, err);
    if (rc) { qlm_st_close(st); return rc; }
    *out = st;
    return QLM_OK;
}

qlm_status qlm_st_open_dir(const char *dir, qlm_st **out, qlm_error *err) {
    *out = NULL;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    struct stat sb;
    if (stat(path, &sb) == 0) return qlm_st_open_file(path, out, err);
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    qlm_json_doc *idx = NULL;
    if (stat(path, &sb) != 0)
        return qlm_set_error(err, QLM_ERR_IO, "%s has neither model.safetensors nor model.safetensors.index.json", dir);
    qlm_status rc = qlm_json_parse_file(path, NULL, &idx, err);
    if (rc) return rc;
    const qlm_json *map = qlm_json_get(qlm_json_root(idx), "weight_map");
    if (!map || map->type != QLM_JSON_OBJECT) {
        qlm_json_free(idx);
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s: no weight_map object", path);
    }
    qlm_st *st = calloc(1, sizeof *st);
    if (!st) { qlm_json_free(idx); return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory"); }
    /* each distinct shard once, in order of first mention */
    for (size_t i = 0; i < qlm_json_len(map) && rc == QLM_OK; i++) {
        const char *shard = qlm_json_str(qlm_json_val(map, i));
        if (!shard || strchr(shard, '/') || !strcmp(shard, "..")) {
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "%s: invalid shard name", path);
            break;
        }
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++) seen = !strcmp(shard, qlm_json_str(qlm_json_val(map, k)));
        if (seen) continue;
        char sp[PATH_MAX];
        snprintf(sp, sizeof sp, "%s/%s", dir, shard);
        rc = add_file(st, sp, err);
    }
    qlm_json_free(idx);
    if (rc) { qlm_st_close(st); return rc; }
    *out = st;
    return QLM_OK;
}

/* The data of a tensor starts wherever the header ends, so it may be unaligned: read
 * elements with memcpy, never through a cast pointer. */
void qlm_st_to_f32(const qlm_st_tensor *t, int64_t first, int64_t n, float *out) {
    const uint8_t *b = t->data;
    switch (t->dtype) {
    case QLM_ST_F32: memcpy(out, b + first * 4, (size_t)n * 4); break;
    case QLM_ST_F16:
    case QLM_ST_BF16:
        for (int64_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, b + (first + i) * 2, 2);
            out[i] = t->dtype == QLM_ST_F16 ? qlm_f16_to_f32(h) : qlm_bf16_to_f32(h);
        }
        break;
    }
}
