/* GGUF reader: parse and validate the whole header once, then hand out pointers into
 * the read-only map. Nothing here trusts the file: every read goes through a cursor
 * that checks the remaining length first, and counts are checked against the bytes
 * that could possibly hold them before anything is allocated. */
#include "gguf.h"
#include "../ggml-like/qtypes.h"
#include "../ggml-like/threadpool.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const uint8_t *p;   /* current position */
    const uint8_t *end;
    const uint8_t *base;
    qlm_error *err;
    bool failed;
} cursor;

static uint64_t cur_off(const cursor *c) { return (uint64_t)(c->p - c->base); }

static bool need(cursor *c, uint64_t n, const char *what) {
    if (c->failed) return false;
    if ((uint64_t)(c->end - c->p) < n) {
        qlm_set_error(c->err, QLM_ERR_FORMAT,
                      "truncated file: %s at offset %" PRIu64 " needs %" PRIu64
                      " bytes, %" PRIu64 " left",
                      what, cur_off(c), n, (uint64_t)(c->end - c->p));
        c->failed = true;
        return false;
    }
    return true;
}

/* Little-endian reads, independent of host byte order. */
static uint64_t rd_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static bool rd_u32(cursor *c, uint32_t *v, const char *what) {
    if (!need(c, 4, what)) return false;
    *v = (uint32_t)rd_le(c->p, 4);
    c->p += 4;
    return true;
}

static bool rd_u64(cursor *c, uint64_t *v, const char *what) {
    if (!need(c, 8, what)) return false;
    *v = rd_le(c->p, 8);
    c->p += 8;
    return true;
}

/* Counts are u64 in v2/v3 and u32 in v1. */
static bool rd_count(cursor *c, uint32_t version, uint64_t *v, const char *what) {
    if (version == 1) {
        uint32_t x;
        if (!rd_u32(c, &x, what)) return false;
        *v = x;
        return true;
    }
    return rd_u64(c, v, what);
}

static bool rd_str(cursor *c, uint32_t version, qlm_str *s, const char *what) {
    uint64_t len;
    if (!rd_count(c, version, &len, what)) return false;
    if (!need(c, len, what)) return false;
    s->ptr = (const char *)c->p;
    s->len = len;
    c->p += len;
    return true;
}

size_t qlm_gguf_type_size(uint32_t type) {
    switch (type) {
    case GGUF_TYPE_U8: case GGUF_TYPE_I8: case GGUF_TYPE_BOOL: return 1;
    case GGUF_TYPE_U16: case GGUF_TYPE_I16: return 2;
    case GGUF_TYPE_U32: case GGUF_TYPE_I32: case GGUF_TYPE_F32: return 4;
    case GGUF_TYPE_U64: case GGUF_TYPE_I64: case GGUF_TYPE_F64: return 8;
    default: return 0;
    }
}

const char *qlm_gguf_type_name(uint32_t type) {
    static const char *names[GGUF_TYPE_COUNT] = {
        "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array",
        "u64", "i64", "f64"};
    return type < GGUF_TYPE_COUNT ? names[type] : "invalid";
}

/* Decode a scalar of the given type at p into kv->v. */
static void decode_scalar(uint32_t type, const uint8_t *p, qlm_gguf_kv *kv) {
    uint64_t raw = rd_le(p, (int)qlm_gguf_type_size(type));
    switch (type) {
    case GGUF_TYPE_U8: case GGUF_TYPE_U16: case GGUF_TYPE_U32: case GGUF_TYPE_U64:
        kv->v.u = raw; break;
    case GGUF_TYPE_BOOL: kv->v.u = raw != 0; break;
    case GGUF_TYPE_I8: kv->v.i = (int8_t)raw; break;
    case GGUF_TYPE_I16: kv->v.i = (int16_t)raw; break;
    case GGUF_TYPE_I32: kv->v.i = (int32_t)raw; break;
    case GGUF_TYPE_I64: kv->v.i = (int64_t)raw; break;
    case GGUF_TYPE_F32: { float f; uint32_t u = (uint32_t)raw; memcpy(&f, &u, 4); kv->v.f = f; break; }
    case GGUF_TYPE_F64: { double d; memcpy(&d, &raw, 8); kv->v.f = d; break; }
    }
}

static bool parse_kv(cursor *c, uint32_t version, qlm_gguf_kv *kv, uint64_t index) {
    qlm_str key;
    if (!rd_str(c, version, &key, "metadata key")) return false;
    if (key.len == 0 || key.len > 65535) {
        qlm_set_error(c->err, QLM_ERR_FORMAT, "metadata key %" PRIu64 " has invalid length %" PRIu64,
                      index, key.len);
        return false;
    }
    kv->key = malloc(key.len + 1);
    if (!kv->key) { qlm_set_error(c->err, QLM_ERR_NOMEM, "out of memory reading metadata"); return false; }
    memcpy(kv->key, key.ptr, key.len);
    kv->key[key.len] = 0;
    if (strlen(kv->key) != key.len) {
        qlm_set_error(c->err, QLM_ERR_FORMAT, "metadata key %" PRIu64 " contains a NUL byte", index);
        return false;
    }
    if (!rd_u32(c, &kv->type, "metadata value type")) return false;
    if (kv->type >= GGUF_TYPE_COUNT) {
        qlm_set_error(c->err, QLM_ERR_FORMAT, "metadata '%s' has invalid value type %u", kv->key, kv->type);
        return false;
    }
    if (kv->type == GGUF_TYPE_STRING)
        return rd_str(c, version, &kv->str, kv->key);
    if (kv->type != GGUF_TYPE_ARRAY) {
        size_t sz = qlm_gguf_type_size(kv->type);
        if (!need(c, sz, kv->key)) return false;
        decode_scalar(kv->type, c->p, kv);
        c->p += sz;
        return true;
    }
    if (!rd_u32(c, &kv->arr_type, "array element type")) return false;
    if (!rd_count(c, version, &kv->arr_n, "array length")) return false;
    if (kv->arr_type >= GGUF_TYPE_COUNT || kv->arr_type == GGUF_TYPE_ARRAY) {
        qlm_set_error(c->err, QLM_ERR_FORMAT, "metadata '%s' is an array of %s, which is not supported",
                      kv->key, kv->arr_type == GGUF_TYPE_ARRAY ? "arrays" : "an invalid type");
        return false;
    }
    kv->arr_data = c->p;
    if (kv->arr_type != GGUF_TYPE_STRING) {
        size_t sz = qlm_gguf_type_size(kv->arr_type);
        /* overflow-safe: compare against what is left, not n*sz */
        if (kv->arr_n > (uint64_t)(c->end - c->p) / sz) {
            qlm_set_error(c->err, QLM_ERR_FORMAT, "metadata '%s': array of %" PRIu64 " %s runs past the end of the file",
                          kv->key, kv->arr_n, qlm_gguf_type_name(kv->arr_type));
            return false;
        }
        c->p += kv->arr_n * sz;
        return true;
    }
    /* each string needs at least its length field */
    uint64_t min_each = version == 1 ? 4 : 8;
    if (kv->arr_n > (uint64_t)(c->end - c->p) / min_each) {
        qlm_set_error(c->err, QLM_ERR_FORMAT, "metadata '%s': array of %" PRIu64 " strings runs past the end of the file",
                      kv->key, kv->arr_n);
        return false;
    }
    kv->arr_strs = malloc((kv->arr_n ? kv->arr_n : 1) * sizeof(qlm_str));
    if (!kv->arr_strs) { qlm_set_error(c->err, QLM_ERR_NOMEM, "out of memory reading '%s'", kv->key); return false; }
    for (uint64_t i = 0; i < kv->arr_n; i++)
        if (!rd_str(c, version, &kv->arr_strs[i], kv->key)) return false;
    return true;
}

static bool parse_tensor_info(cursor *c, uint32_t version, qlm_gguf_tinfo *t, uint64_t index) {
    qlm_str name;
    if (!rd_str(c, version, &name, "tensor name")) return false;
    if (name.len == 0 || name.len > GGUF_MAX_NAME || memchr(name.ptr, 0, name.len)) {
        qlm_set_error(c->err, QLM_ERR_FORMAT, "tensor %" PRIu64 " has an invalid name (length %" PRIu64 ", at most %d)",
                      index, name.len, GGUF_MAX_NAME);
        return false;
    }
    memcpy(t->name, name.ptr, name.len);
    t->name[name.len] = 0;
    if (!rd_u32(c, &t->n_dims, "tensor dimension count")) return false;
    if (t->n_dims == 0 || t->n_dims > GGUF_MAX_DIMS) {
        qlm_set_error(c->err, QLM_ERR_FORMAT, "tensor '%s' has %u dimensions (1 to %d allowed)",
                      t->name, t->n_dims, GGUF_MAX_DIMS);
        return false;
    }
    for (int d = 0; d < GGUF_MAX_DIMS; d++) t->ne[d] = 1;
    for (uint32_t d = 0; d < t->n_dims; d++) {
        uint64_t ne;
        if (!rd_count(c, version, &ne, "tensor dimension")) return false;
        if (ne > (uint64_t)INT64_MAX) {
            qlm_set_error(c->err, QLM_ERR_FORMAT, "tensor '%s' dimension %u is too large (%" PRIu64 ")", t->name, d, ne);
            return false;
        }
        t->ne[d] = (int64_t)ne;
    }
    if (!rd_u32(c, &t->type, "tensor type")) return false;
    if (!rd_u64(c, &t->offset, "tensor offset")) return false;
    const qlm_type_traits *tt = qlm_type_get(t->type);
    if (!tt || tt->internal) { /* internal: qlm's in-memory layouts have no file form */
        qlm_set_error(c->err, QLM_ERR_FORMAT, "tensor '%s' has invalid type id %u", t->name, t->type);
        return false;
    }
    if (t->ne[0] % tt->blck_size) {
        qlm_set_error(c->err, QLM_ERR_FORMAT, "tensor '%s' row length %" PRId64 " is not a multiple of the %s block size %" PRId64,
                      t->name, t->ne[0], tt->name, tt->blck_size);
        return false;
    }
    /* element count and byte size, with overflow checks (anything over 2^62 bytes is
     * larger than any file and fails the range check below anyway) */
    uint64_t nbytes = (uint64_t)(t->ne[0] / tt->blck_size) * tt->type_size;
    if (t->ne[0] / tt->blck_size > (int64_t)(UINT64_MAX / tt->type_size)) nbytes = UINT64_MAX;
    for (int d = 1; d < GGUF_MAX_DIMS; d++) {
        if (t->ne[d] != 0 && nbytes > UINT64_MAX / (uint64_t)t->ne[d]) { nbytes = UINT64_MAX; break; }
        nbytes *= (uint64_t)t->ne[d];
    }
    t->nbytes = nbytes;
    return true;
}

static void gguf_free_parsed(qlm_gguf *g) {
    if (g->kv) {
        for (uint64_t i = 0; i < g->n_kv; i++) {
            free(g->kv[i].key);
            free(g->kv[i].arr_strs);
        }
        free(g->kv);
    }
    free(g->tensors);
}

static int cmp_offset(const void *a, const void *b) {
    const qlm_gguf_tinfo *x = *(qlm_gguf_tinfo *const *)a, *y = *(qlm_gguf_tinfo *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp((*(qlm_gguf_tinfo *const *)a)->name, (*(qlm_gguf_tinfo *const *)b)->name);
}

/* After all infos are parsed: check alignment, that every range lies in the file, and
 * that no two tensors share a name or overlap. */
static qlm_status check_layout(qlm_gguf *g, qlm_error *err) {
    qlm_gguf_tinfo **order = malloc((g->n_tensors ? g->n_tensors : 1) * sizeof *order);
    if (!order) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory checking tensors");
    uint64_t data_size = g->size - g->data_offset;
    qlm_status rc = QLM_OK;
    for (uint64_t i = 0; i < g->n_tensors && rc == QLM_OK; i++) {
        qlm_gguf_tinfo *t = &g->tensors[i];
        order[i] = t;
        if (t->offset % g->alignment)
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "tensor '%s' data offset %" PRIu64 " is not a multiple of the alignment %" PRIu64,
                               t->name, t->offset, g->alignment);
        else if (t->offset > data_size || t->nbytes > data_size - t->offset)
            rc = qlm_set_error(err, QLM_ERR_FORMAT, "tensor '%s' data (offset %" PRIu64 ", %" PRIu64 " bytes) lies past the end of the file (data section is %" PRIu64 " bytes)",
                               t->name, t->offset, t->nbytes, data_size);
        else
            t->data = g->base + g->data_offset + t->offset;
    }
    if (rc == QLM_OK && g->n_tensors > 1) {
        qsort(order, g->n_tensors, sizeof *order, cmp_name);
        for (uint64_t i = 1; i < g->n_tensors && rc == QLM_OK; i++)
            if (!strcmp(order[i - 1]->name, order[i]->name))
                rc = qlm_set_error(err, QLM_ERR_FORMAT, "duplicate tensor name '%s'", order[i]->name);
        qsort(order, g->n_tensors, sizeof *order, cmp_offset);
        for (uint64_t i = 1; i < g->n_tensors && rc == QLM_OK; i++)
            if (order[i - 1]->offset + order[i - 1]->nbytes > order[i]->offset)
                rc = qlm_set_error(err, QLM_ERR_FORMAT, "tensors '%s' and '%s' overlap in the file",
                                   order[i - 1]->name, order[i]->name);
    }
    free(order);
    return rc;
}

static int cmp_key(const void *a, const void *b) {
    return strcmp((*(qlm_gguf_kv *const *)a)->key, (*(qlm_gguf_kv *const *)b)->key);
}

/* header_only: stop at the data section's offset (the image may end there) */
static qlm_status parse(qlm_gguf *g, bool header_only, qlm_error *err) {
    cursor c = {g->base, g->base + g->size, g->base, err, false};
    if (g->size < 4 || memcmp(g->base, "GGUF", 4) != 0)
        return qlm_set_error(err, QLM_ERR_FORMAT, "not a GGUF file (bad magic)");
    c.p += 4;
    if (!rd_u32(&c, &g->version, "version")) return err ? err->code : QLM_ERR_FORMAT;
    if (g->version < 1 || g->version > 3)
        return qlm_set_error(err, QLM_ERR_FORMAT, "unsupported GGUF version %u (1 to 3 are known)", g->version);
    if (!rd_count(&c, g->version, &g->n_tensors, "tensor count") ||
        !rd_count(&c, g->version, &g->n_kv, "metadata count"))
        return QLM_ERR_FORMAT;
    /* each KV needs >= 12 bytes and each tensor info >= 24, so a count the file cannot
     * hold is rejected before allocating for it */
    uint64_t left = (uint64_t)(c.end - c.p);
    if (g->n_kv > left / 12)
        return qlm_set_error(err, QLM_ERR_FORMAT, "metadata count %" PRIu64 " is larger than the file can hold", g->n_kv);
    if (g->n_tensors > left / 24)
        return qlm_set_error(err, QLM_ERR_FORMAT, "tensor count %" PRIu64 " is larger than the file can hold", g->n_tensors);
    g->kv = calloc(g->n_kv ? g->n_kv : 1, sizeof *g->kv);
    g->tensors = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *g->tensors);
    if (!g->kv || !g->tensors) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory reading the header");
    for (uint64_t i = 0; i < g->n_kv; i++)
        if (!parse_kv(&c, g->version, &g->kv[i], i)) {
            g->n_kv = i + 1; /* free what was allocated */
            return err ? err->code : QLM_ERR_FORMAT;
        }
    /* duplicate keys make lookups ambiguous: reject as llama.cpp does */
    if (g->n_kv > 1) {
        qlm_gguf_kv **keys = malloc(g->n_kv * sizeof *keys);
        if (!keys) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
        for (uint64_t i = 0; i < g->n_kv; i++) keys[i] = &g->kv[i];
        qsort(keys, g->n_kv, sizeof *keys, cmp_key);
        for (uint64_t i = 1; i < g->n_kv; i++)
            if (!strcmp(keys[i - 1]->key, keys[i]->key)) {
                qlm_status rc = qlm_set_error(err, QLM_ERR_FORMAT, "duplicate metadata key '%s'", keys[i]->key);
                free(keys);
                return rc;
            }
        free(keys);
    }
    g->alignment = GGUF_DEFAULT_ALIGNMENT;
    const qlm_gguf_kv *al = qlm_gguf_get(g, "general.alignment");
    if (al) {
        if (al->type != GGUF_TYPE_U32 || al->v.u == 0 || (al->v.u & (al->v.u - 1)))
            return qlm_set_error(err, QLM_ERR_FORMAT, "general.alignment must be a power-of-two u32");
        g->alignment = al->v.u;
    }
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (!parse_tensor_info(&c, g->version, &g->tensors[i], i)) return err ? err->code : QLM_ERR_FORMAT;
    uint64_t off = cur_off(&c);
    uint64_t pad = (g->alignment - off % g->alignment) % g->alignment;
    if (g->n_tensors == 0 || header_only) {
        g->data_offset = off + pad > g->size ? g->size : off + pad;
        return QLM_OK;
    }
    if (pad > g->size - off)
        return qlm_set_error(err, QLM_ERR_FORMAT, "truncated file: the data section is missing");
    g->data_offset = off + pad;
    return check_layout(g, err);
}

qlm_status qlm_gguf_open_memory(const void *data, size_t size, qlm_gguf **out, qlm_error *err) {
    *out = NULL;
    qlm_gguf *g = calloc(1, sizeof *g);
    if (!g) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    g->base = data;
    g->size = size;
    qlm_status rc = parse(g, false, err);
    if (rc != QLM_OK) {
        gguf_free_parsed(g);
        free(g);
        return rc;
    }
    *out = g;
    return QLM_OK;
}

/* Opens path as a regular, non-empty file: its descriptor and size. */
static qlm_status open_file(const char *path, int *fd_out, size_t *size_out, qlm_error *err) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return qlm_set_error(err, QLM_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return qlm_set_error(err, QLM_ERR_IO, "'%s' is not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return qlm_set_error(err, QLM_ERR_FORMAT, "'%s' is empty, not a GGUF file", path);
    }
    if ((uint64_t)st.st_size > SIZE_MAX / 2) {
        close(fd);
        return qlm_set_error(err, QLM_ERR_IO, "'%s' is too large to map", path);
    }
    *fd_out = fd;
    *size_out = (size_t)st.st_size;
    return QLM_OK;
}

/* Parses the image at data (size bytes, inside the region map of map_len bytes, which
 * the handle then owns and unmaps; on failure it is unmapped here). */
static qlm_status open_owned(const char *path, const void *data, size_t size, void *map, size_t map_len,
                             qlm_gguf **out, qlm_error *err) {
    qlm_status rc = qlm_gguf_open_memory(data, size, out, err);
    if (rc != QLM_OK) {
        munmap(map, map_len);
        qlm_error_prefix(err, path); /* the one-line error says which file */
        return rc;
    }
    (*out)->map = map;
    (*out)->map_len = map_len;
    return QLM_OK;
}

qlm_status qlm_gguf_open(const char *path, qlm_gguf **out, qlm_error *err) {
    *out = NULL;
    int fd;
    size_t size;
    qlm_status rc = open_file(path, &fd, &size, err);
    if (rc) return rc;
    void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd); /* the mapping keeps the file */
    if (map == MAP_FAILED) return qlm_set_error(err, QLM_ERR_IO, "cannot map '%s': %s", path, strerror(errno));
#ifdef MADV_HUGEPAGE
    /* Where the kernel caches files in large folios (Linux 6.x, ext4 here), a mapping
     * marked for huge pages has its faults read 2 MiB folios into the page cache, and
     * every later mapping of the file (any process, until evicted) gets them too: the
     * weight stream then takes no TLB miss per 4 KiB. Pages already cached in small
     * folios stay as they are. Measured here (bench/RESULTS.md), tg128, 2 threads,
     * first load after the file left the page cache, then again: Q4_0 43-45 t/s
     * without, 47-50 with; Q4_K_M 1.03-1.06x; Q8_0 1.05-1.10x. A hint: failure is
     * harmless. */
    madvise(map, size, MADV_HUGEPAGE);
#endif
    return open_owned(path, map, size, map, size, out, err);
}

#define HUGE_PAGE ((size_t)2 << 20)

/* Where the data section of the image at p (the file's first `have` bytes) starts, or 0
 * where that part does not hold the whole header. */
static uint64_t header_end(const uint8_t *p, size_t have) {
    qlm_gguf g = {.base = p, .size = have};
    const uint64_t off = parse(&g, true, NULL) == QLM_OK ? g.data_offset : 0;
    gguf_free_parsed(&g);
    return off;
}

/* The rest of a file read by several threads at once: the page cache's copy into the
 * new (zero-filled, huge-page) memory runs at ~3.3 GB/s on one core here and 1.9x that
 * on two (throwaway pread probe, tl-q4_k_m.gguf: 196-210 ms against 106-141). */
#define READ_CHUNK ((size_t)16 << 20)
typedef struct {
    int fd;
    uint8_t *buf;         /* where file offset 0 lands */
    size_t size;
    atomic_size_t next;   /* file offset of the next unclaimed chunk */
    atomic_size_t done;   /* bytes read */
    atomic_int err;       /* 0, the errno of the first failure, or -1: the file ended early */
    qlm_progress_fn progress;
    void *progress_data;
    const char *path;
    int total_mib;
} read_job;

/* Reads [o, end) at buf + o; false (and j->err set) on failure. */
static bool read_range(read_job *j, size_t o, size_t end, int ith) {
    while (o < end) {
        const ssize_t r = pread(j->fd, j->buf + o, end - o, (off_t)o);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int expected = 0;
            atomic_compare_exchange_strong(&j->err, &expected, r == 0 ? -1 : errno);
            return false;
        }
        o += (size_t)r;
        const size_t d = atomic_fetch_add(&j->done, (size_t)r) + (size_t)r;
        /* one thread reports, short of the end: the caller reports the end once */
        if (ith == 0 && j->progress && d < j->size) {
            const int mib = (int)(d >> 20);
            j->progress(j->progress_data, mib < j->total_mib ? mib : j->total_mib - 1, j->total_mib, j->path);
        }
    }
    return true;
}

static void read_task(void *arg, int ith, int nth) {
    (void)nth;
    read_job *j = arg;
    for (;;) {
        const size_t o = atomic_fetch_add(&j->next, READ_CHUNK);
        if (o >= j->size || atomic_load(&j->err)) return;
        if (!read_range(j, o, o + READ_CHUNK < j->size ? o + READ_CHUNK : j->size, ith)) return;
    }
}

qlm_status qlm_gguf_open_read(const char *path, qlm_progress_fn progress, void *progress_data, qlm_gguf **out,
                              qlm_error *err) {
    *out = NULL;
    int fd;
    size_t size;
    qlm_status rc = open_file(path, &fd, &size, err);
    if (rc) return rc;
    /* a 2 MiB-aligned start inside a region one huge page longer than needed */
    const size_t len = (size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE + HUGE_PAGE;
    void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        close(fd);
        return qlm_set_error(err, QLM_ERR_NOMEM, "cannot allocate %zu MiB to read '%s' into: %s", size >> 20, path,
                             strerror(errno));
    }
    uint8_t *buf = (uint8_t *)(((uintptr_t)map + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
#ifdef MADV_HUGEPAGE
    madvise(buf, len - (size_t)(buf - (uint8_t *)map), MADV_HUGEPAGE); /* a hint: failure is harmless */
#endif
    read_job j = {.fd = fd, .buf = buf, .size = size, .progress = progress, .progress_data = progress_data,
                  .path = path, .total_mib = (int)((size + ((1u << 20) - 1)) >> 20)};
    atomic_init(&j.next, 0);
    atomic_init(&j.done, 0);
    atomic_init(&j.err, 0);
    /* The first chunk alone, then the image moves up (the region has a huge page to
     * spare) so that the data section starts on a 64-byte line: files with alignment 32
     * put it at 32 mod 64 about half the time (both bench files here), and then every
     * 64-byte load of a row-interleaved layout straddles two lines (Q4_K_R16 in cache,
     * one thread: 42-45 GB/s instead of 50-52). The rest is read in parallel. */
    const size_t first = size < READ_CHUNK ? size : READ_CHUNK;
    if (read_range(&j, 0, first, 0)) {
        const uint64_t data = header_end(buf, first);
        if (data % 64) {
            const size_t shift = 64 - (size_t)(data % 64);
            memmove(buf + shift, buf, first);
            j.buf = buf += shift;
        }
        atomic_store(&j.next, first);
        const int cores = qlm_physical_cores();
        qlm_pool *pool = size > first ? qlm_pool_new(cores < 1 ? 1 : cores > 4 ? 4 : cores) : NULL;
        if (pool) {
            qlm_pool_run(pool, read_task, &j);
            qlm_pool_free(pool);
        } else {
            read_task(&j, 0, 1);
        }
    }
    close(fd);
    const int e = atomic_load(&j.err);
    if (e) {
        munmap(map, len);
        if (e < 0)
            return qlm_set_error(err, QLM_ERR_IO, "'%s' ended after %zu of %zu bytes while being read", path,
                                 (size_t)atomic_load(&j.done), size);
        return qlm_set_error(err, QLM_ERR_IO, "cannot read '%s': %s", path, strerror(e));
    }
    if (progress) progress(progress_data, j.total_mib, j.total_mib, path);
    mprotect(map, len, PROT_READ); /* the weights are read-only from here on, as when mapped */
    rc = open_owned(path, buf, size, map, len, out, err);
    if (rc == QLM_OK) (*out)->in_memory = true;
    return rc;
}

qlm_status qlm_gguf_set_writable(qlm_gguf *g, bool writable, qlm_error *err) {
    if (!g->in_memory)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "the weights are mapped from the file: they cannot be rewritten");
    if (mprotect(g->map, g->map_len, writable ? PROT_READ | PROT_WRITE : PROT_READ) != 0)
        return qlm_set_error(err, QLM_ERR_IO, "cannot change the protection of the weights: %s", strerror(errno));
    return QLM_OK;
}

void qlm_gguf_close(qlm_gguf *g) {
    if (!g) return;
    if (g->map) munmap(g->map, g->map_len);
    gguf_free_parsed(g);
    free(g);
}

int64_t qlm_gguf_find_key(const qlm_gguf *g, const char *key) {
    for (uint64_t i = 0; i < g->n_kv; i++)
        if (!strcmp(g->kv[i].key, key)) return (int64_t)i;
    return -1;
}

const qlm_gguf_kv *qlm_gguf_get(const qlm_gguf *g, const char *key) {
    int64_t i = qlm_gguf_find_key(g, key);
    return i < 0 ? NULL : &g->kv[i];
}

const qlm_gguf_tinfo *qlm_gguf_find_tensor(const qlm_gguf *g, const char *name) {
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (!strcmp(g->tensors[i].name, name)) return &g->tensors[i];
    return NULL;
}

static bool is_signed_int(uint32_t t) {
    return t == GGUF_TYPE_I8 || t == GGUF_TYPE_I16 || t == GGUF_TYPE_I32 || t == GGUF_TYPE_I64;
}
static bool is_unsigned_int(uint32_t t) {
    return t == GGUF_TYPE_U8 || t == GGUF_TYPE_U16 || t == GGUF_TYPE_U32 || t == GGUF_TYPE_U64 ||
           t == GGUF_TYPE_BOOL;
}

bool qlm_gguf_get_i64(const qlm_gguf *g, const char *key, int64_t *out) {
    const qlm_gguf_kv *kv = qlm_gguf_get(g, key);
    if (!kv) return false;
    if (is_signed_int(kv->type)) { *out = kv->v.i; return true; }
    if (is_unsigned_int(kv->type) && kv->v.u <= (uint64_t)INT64_MAX) { *out = (int64_t)kv->v.u; return true; }
    return false;
}

bool qlm_gguf_get_u32(const qlm_gguf *g, const char *key, uint32_t *out) {
    int64_t v;
    if (!qlm_gguf_get_i64(g, key, &v) || v < 0 || v > (int64_t)UINT32_MAX) return false;
    *out = (uint32_t)v;
    return true;
}

bool qlm_gguf_get_f32(const qlm_gguf *g, const char *key, float *out) {
    const qlm_gguf_kv *kv = qlm_gguf_get(g, key);
    if (!kv || (kv->type != GGUF_TYPE_F32 && kv->type != GGUF_TYPE_F64)) return false;
    *out = (float)kv->v.f;
    return true;
}

bool qlm_gguf_get_bool(const qlm_gguf *g, const char *key, bool *out) {
    const qlm_gguf_kv *kv = qlm_gguf_get(g, key);
    if (!kv || (kv->type != GGUF_TYPE_BOOL && !is_unsigned_int(kv->type) && !is_signed_int(kv->type))) return false;
    *out = kv->v.u != 0;
    return true;
}

bool qlm_gguf_get_str(const qlm_gguf *g, const char *key, qlm_str *out) {
    const qlm_gguf_kv *kv = qlm_gguf_get(g, key);
    if (!kv || kv->type != GGUF_TYPE_STRING) return false;
    *out = kv->str;
    return true;
}

bool qlm_gguf_get_arr(const qlm_gguf *g, const char *key, uint32_t *type, uint64_t *n,
                      const qlm_gguf_kv **kvp) {
    const qlm_gguf_kv *kv = qlm_gguf_get(g, key);
    if (!kv || kv->type != GGUF_TYPE_ARRAY) return false;
    if (type) *type = kv->arr_type;
    if (n) *n = kv->arr_n;
    if (kvp) *kvp = kv;
    return true;
}

float qlm_gguf_arr_f32(const qlm_gguf_kv *kv, uint64_t i) {
    qlm_gguf_kv tmp = {0};
    size_t sz = qlm_gguf_type_size(kv->arr_type);
    if (!sz) return 0.0f;
    decode_scalar(kv->arr_type, kv->arr_data + i * sz, &tmp);
    if (kv->arr_type == GGUF_TYPE_F32 || kv->arr_type == GGUF_TYPE_F64) return (float)tmp.v.f;
    if (is_signed_int(kv->arr_type)) return (float)tmp.v.i;
    return (float)tmp.v.u;
}

int64_t qlm_gguf_arr_i64(const qlm_gguf_kv *kv, uint64_t i) {
    qlm_gguf_kv tmp = {0};
    size_t sz = qlm_gguf_type_size(kv->arr_type);
    if (!sz) return 0;
    decode_scalar(kv->arr_type, kv->arr_data + i * sz, &tmp);
    if (kv->arr_type == GGUF_TYPE_F32 || kv->arr_type == GGUF_TYPE_F64) {
        /* a float from the file may be NaN or beyond int64: converting those is
         * undefined, so saturate (NaN gives 0) */
        double f = tmp.v.f;
        if (!(f == f)) return 0;
        if (f >= 9223372036854775807.0) return INT64_MAX;
        if (f <= -9223372036854775808.0) return INT64_MIN;
        return (int64_t)f;
    }
    if (is_signed_int(kv->arr_type)) return tmp.v.i;
    return (int64_t)tmp.v.u;
}

/* ---- public inspection API (qlm.h) ---- */

uint32_t qlm_gguf_version(const qlm_gguf *g) { return g->version; }
uint64_t qlm_gguf_file_size(const qlm_gguf *g) { return g->size; }
int64_t qlm_gguf_n_kv(const qlm_gguf *g) { return (int64_t)g->n_kv; }
const char *qlm_gguf_key(const qlm_gguf *g, int64_t i) {
    return i >= 0 && (uint64_t)i < g->n_kv ? g->kv[i].key : "";
}
int64_t qlm_gguf_n_tensors(const qlm_gguf *g) { return (int64_t)g->n_tensors; }

void qlm_gguf_tensor(const qlm_gguf *g, int64_t i, qlm_tensor_desc *out) {
    memset(out, 0, sizeof *out);
    if (i < 0 || (uint64_t)i >= g->n_tensors) return;
    const qlm_gguf_tinfo *t = &g->tensors[i];
    out->name = t->name;
    out->type = t->type;
    out->type_name = qlm_type_name(t->type);
    out->n_dims = (int)t->n_dims;
    memcpy(out->ne, t->ne, sizeof out->ne);
    out->offset = t->offset;
    out->nbytes = t->nbytes;
}

/* Append printf output to buf (at *len), never past cap. */
static void app(char *buf, size_t cap, size_t *len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void app(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
    if (*len + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (k > 0) *len += (size_t)k < cap - *len ? (size_t)k : cap - *len - 1;
}

/* A string shown with control characters escaped, cut after `max` bytes. */
static void app_str(char *buf, size_t cap, size_t *len, qlm_str s, size_t max) {
    app(buf, cap, len, "\"");
    for (uint64_t i = 0; i < s.len && i < max; i++) {
        unsigned char ch = (unsigned char)s.ptr[i];
        if (ch == '\n') app(buf, cap, len, "\\n");
        else if (ch == '"' || ch == '\\') app(buf, cap, len, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f) app(buf, cap, len, "\\x%02x", ch);
        else app(buf, cap, len, "%c", ch);
    }
    app(buf, cap, len, s.len > max ? "\"..." : "\"");
}

static void app_scalar(char *buf, size_t cap, size_t *len, uint32_t type, const qlm_gguf_kv *kv) {
    if (type == GGUF_TYPE_F32 || type == GGUF_TYPE_F64) app(buf, cap, len, "%g", kv->v.f);
    else if (type == GGUF_TYPE_BOOL) app(buf, cap, len, "%s", kv->v.u ? "true" : "false");
    else if (is_signed_int(type)) app(buf, cap, len, "%" PRId64, kv->v.i);
    else app(buf, cap, len, "%" PRIu64, kv->v.u);
}

char *qlm_gguf_value_str(const qlm_gguf *g, int64_t idx, char *buf, size_t cap) {
    size_t len = 0;
    if (cap == 0) return buf;
    buf[0] = 0;
    if (idx < 0 || (uint64_t)idx >= g->n_kv) return buf;
    const qlm_gguf_kv *kv = &g->kv[idx];
    if (kv->type == GGUF_TYPE_STRING) {
        app_str(buf, cap, &len, kv->str, 60);
    } else if (kv->type != GGUF_TYPE_ARRAY) {
        app_scalar(buf, cap, &len, kv->type, kv);
    } else {
        app(buf, cap, &len, "[%s; %" PRIu64 "]", qlm_gguf_type_name(kv->arr_type), kv->arr_n);
        for (uint64_t i = 0; i < kv->arr_n && i < 5; i++) {
            app(buf, cap, &len, i ? ", " : " ");
            if (kv->arr_type == GGUF_TYPE_STRING) {
                app_str(buf, cap, &len, kv->arr_strs[i], 20);
            } else {
                qlm_gguf_kv tmp = {0};
                decode_scalar(kv->arr_type, kv->arr_data + i * qlm_gguf_type_size(kv->arr_type), &tmp);
                app_scalar(buf, cap, &len, kv->arr_type, &tmp);
            }
        }
        if (kv->arr_n > 5) app(buf, cap, &len, ", ...");
    }
    return buf;
}
