/* Jinja values: allocation and reference counting, containers, and the Python
 * semantics of truthiness, ==, ordering, hashing, str(), repr() and json.dumps. */
#include "jinja_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void repr_str(qlm_buf *b, const char *s, size_t n);

/* ---- errors --------------------------------------------------------------------------- */

static void set_err(jrender *r, qlm_status code, const char *type, const char *fmt, va_list ap) {
    r->code = code;
    r->errline = r->line;
    snprintf(r->errtype, sizeof r->errtype, "%s", type);
    vsnprintf(r->errmsg, sizeof r->errmsg, fmt, ap);
}

_Noreturn void jr_fail(jrender *r, const char *type, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_err(r, QLM_ERR_FORMAT, type, fmt, ap);
    va_end(ap);
    longjmp(r->jb, 1);
}

_Noreturn void jr_fail_code(jrender *r, qlm_status code, const char *type, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_err(r, code, type, fmt, ap);
    va_end(ap);
    longjmp(r->jb, 1);
}

_Noreturn void jr_fail_steps(jrender *r) {
    jr_fail_code(r, QLM_ERR_UNSUPPORTED, "RuntimeError", "template exceeded the limit of %llu evaluation steps",
                 (unsigned long long)r->max_steps);
}

_Noreturn void jr_fail_undef(jrender *r, jv u) {
    if (u.t == JV_UNDEF && u.u.o) {
        jstr *m = JSTR(u);
        /* "access to attribute ... is unsafe." undefineds raise SecurityError */
        const char *type = strncmp(m->s, "access to attribute ", 20) == 0 ? "SecurityError" : "UndefinedError";
        jr_fail(r, type, "%s", m->s);
    }
    jr_fail(r, "UndefinedError", "'%s' is undefined", "value");
}

/* ---- objects -------------------------------------------------------------------------- */

void *jr_alloc(jrender *r, uint8_t kind, size_t size) {
    if (size > r->mem_limit || r->mem > r->mem_limit - size)
        jr_fail_code(r, QLM_ERR_UNSUPPORTED, "MemoryError",
                     "template rendering needs more than %zu bytes of memory", r->mem_limit);
    jobj *o = calloc(1, size);
    if (!o) jr_fail_code(r, QLM_ERR_NOMEM, "MemoryError", "out of memory");
    o->size = size;
    o->rc = 1;
    o->kind = kind;
    o->next = r->live.next;
    o->prev = &r->live;
    r->live.next->prev = o;
    r->live.next = o;
    r->mem += size;
    return o;
}

/* Count memory held outside the object (array growth) against the limit. */
void jr_account(jrender *r, jobj *o, ptrdiff_t delta) {
    if (delta > 0 && ((size_t)delta > r->mem_limit || r->mem > r->mem_limit - (size_t)delta))
        jr_fail_code(r, QLM_ERR_UNSUPPORTED, "MemoryError",
                     "template rendering needs more than %zu bytes of memory", r->mem_limit);
    r->mem = (size_t)((ptrdiff_t)r->mem + delta);
    o->size = (size_t)((ptrdiff_t)o->size + delta);
}

static void obj_free_mem(jobj *o) {
    switch (o->kind) {
    case K_LIST: free(((jlist *)o)->v); break;
    case K_DICT: {
        jdict *d = (jdict *)o;
        free(d->keys);
        free(d->vals);
        free(d->idx);
        break;
    }
    case K_BUF: qlm_buf_free(&((jbufobj *)o)->b); break;
    default: break;
    }
}

static void unlink_free(jrender *r, jobj *o) {
    o->prev->next = o->next;
    o->next->prev = o->prev;
    r->mem -= o->size;
    obj_free_mem(o);
    free(o);
}

void jobj_release(jrender *r, jobj *o) {
    if (!o || o->immortal) return;
    if (--o->rc > 0) return;
    switch (o->kind) {
    case K_LIST: {
        jlist *l = (jlist *)o;
        for (size_t i = 0; i < l->n; i++) jv_release(r, l->v[i]);
        break;
    }
    case K_DICT: {
        jdict *d = (jdict *)o;
        for (size_t i = 0; i < d->n; i++) {
            jv_release(r, d->keys[i]);
            jv_release(r, d->vals[i]);
        }
        break;
    }
    case K_NS: jobj_release(r, &((jns *)o)->attrs->h); break;
    case K_FUNC: {
        jfunc *f = (jfunc *)o;
        if (f->closure) jobj_release(r, &f->closure->h);
        jv_release(r, f->self);
        break;
    }
    case K_LOOP: {
        jloop *l = (jloop *)o;
        jobj_release(r, &l->items->h);
        jv_release(r, l->changed_last);
        if (l->scope) jobj_release(r, &l->scope->h);
        break;
    }
    case K_SCOPE: {
        jscope *s = (jscope *)o;
        if (s->parent) jobj_release(r, &s->parent->h);
        if (s->vars) jobj_release(r, &s->vars->h);
        break;
    }
    default: break;
    }
    unlink_free(r, o);
}

void jv_release(jrender *r, jv v) {
    if (jv_is_heap(v)) jobj_release(r, v.u.o);
}

/* Free every object still alive (cycles, or everything after an error). */
void jr_free_all(jrender *r) {
    jobj *o = r->live.next;
    while (o != &r->live) {
        jobj *n = o->next;
        obj_free_mem(o);
        free(o);
        o = n;
    }
    r->live.next = r->live.prev = &r->live;
    r->mem = 0;
}

/* ---- strings -------------------------------------------------------------------------- */

static bool all_ascii(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return false;
    return true;
}

jv jv_str(jrender *r, const char *s, size_t n) {
    jr_work(r, n);
    if (n > r->max_output)
        jr_fail_code(r, QLM_ERR_UNSUPPORTED, "MemoryError", "string longer than %zu bytes", r->max_output);
    jstr *o = jr_alloc(r, K_STR, sizeof(jstr) + n + 1);
    if (n) memcpy(o->s, s, n);
    o->s[n] = 0;
    o->len = n;
    o->ascii = all_ascii(s, n);
    return jv_obj(JV_STR, o);
}

jv jv_strz(jrender *r, const char *s) { return jv_str(r, s, strlen(s)); }

jv jv_str_buf(jrender *r, qlm_buf *b) {
    jr_out_check(r, b);
    return jv_str(r, qlm_buf_cstr(b), b->len);
}

jstr *jstr_immortal(void *(*alloc)(void *, size_t), void *ctx, const char *s, size_t n) {
    jstr *o = alloc(ctx, sizeof(jstr) + n + 1);
    if (!o) return NULL;
    memset(o, 0, sizeof *o);
    o->h.immortal = 1;
    o->h.kind = K_STR;
    o->h.rc = 1;
    if (n) memcpy(o->s, s, n);
    o->s[n] = 0;
    o->len = n;
    o->ascii = all_ascii(s, n);
    return o;
}

jv jv_undef(jrender *r, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jv s = jv_strz(r, msg);
    s.t = JV_UNDEF;
    return s;
}

jv jv_undef_attr(jrender *r, jv obj, jv name) {
    char tr[64];
    jv_object_type_repr(obj, tr, sizeof tr);
    jbufobj *t = jr_buf(r); /* tracked: freed even if the repr below raises */
    t->b.limit = 400;       /* a long key is cut, the message stays one line */
    if (name.t == JV_STR) {
        repr_str(&t->b, tr, strlen(tr));
        qlm_buf_puts(&t->b, " has no attribute ");
    } else {
        qlm_buf_printf(&t->b, "%s has no element ", tr);
    }
    jv_write_repr(r, &t->b, name);
    if (t->b.oom) jr_fail_code(r, QLM_ERR_NOMEM, "MemoryError", "out of memory");
    jv u = jv_undef(r, "%s", qlm_buf_cstr(&t->b));
    jobj_release(r, &t->h);
    return u;
}

void jr_out_check(jrender *r, qlm_buf *b) {
    if (b->oom) jr_fail_code(r, QLM_ERR_NOMEM, "MemoryError", "out of memory");
    if (b->over)
        jr_fail_code(r, QLM_ERR_UNSUPPORTED, "MemoryError", "template output exceeds %zu bytes",
                     r->max_output);
}

jbufobj *jr_buf(jrender *r) {
    jbufobj *o = jr_alloc(r, K_BUF, sizeof(jbufobj));
    o->b.limit = r->max_output;
    return o;
}

/* ---- containers ------------------------------------------------------------------------ */

static int vdepth(jv v) {
    return (v.t == JV_LIST || v.t == JV_DICT || v.t == JV_NS) ? v.u.o->depth : 0;
}

/* Containers remember how deep they nest, so no recursive walk can overflow the stack. */
static void note_depth(jrender *r, jobj *c, jv v) {
    int d = vdepth(v) + 1;
    if (d > JR_MAX_VDEPTH)
        jr_fail(r, "RecursionError", "maximum recursion depth exceeded (values nested deeper than %d)",
                JR_MAX_VDEPTH);
    if (d > c->depth) c->depth = (uint16_t)d;
}

static void grow(jrender *r, jobj *o, void **arr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return;
    size_t nc = *cap ? *cap : 4;
    while (nc < need) nc *= 2;
    jr_account(r, o, (ptrdiff_t)((nc - *cap) * elem));
    void *p = realloc(*arr, nc * elem);
    if (!p) jr_fail_code(r, QLM_ERR_NOMEM, "MemoryError", "out of memory");
    *arr = p;
    *cap = nc;
}

jlist *jl_new(jrender *r, size_t cap) {
    jlist *l = jr_alloc(r, K_LIST, sizeof(jlist));
    l->h.depth = 1;
    if (cap) grow(r, &l->h, (void **)&l->v, &l->cap, cap, sizeof(jv));
    return l;
}

void jl_push(jrender *r, jlist *l, jv v) {
    jr_tick(r);
    if (l->n == l->cap) {
        size_t cap = l->cap;
        void *arr = l->v;
        /* keep v owned by someone reachable if growing fails: it is released on sweep */
        grow(r, &l->h, &arr, &cap, l->n + 1, sizeof(jv));
        l->v = arr;
        l->cap = cap;
    }
    note_depth(r, &l->h, v);
    l->v[l->n++] = v;
}

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return mix64(h);
}

static uint64_t jv_hash(jrender *r, jv v, int depth) {
    switch (v.t) {
    case JV_UNDEF: return 0x2545F4914F6CDD1DULL;
    case JV_NONE: return 0x9E3779B97F4A7C15ULL;
    case JV_BOOL:
    case JV_INT: return mix64((uint64_t)jv_as_int(v));
    case JV_FLOAT: {
        double f = v.u.f;
        /* equal numbers hash equal: 1.0 and 1 are the same dict key */
        if (f == floor(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0)
            return mix64((uint64_t)(int64_t)f);
        uint64_t bits;
        memcpy(&bits, &f, sizeof bits);
        return mix64(bits ^ 0xA5A5A5A5A5A5A5A5ULL);
    }
    case JV_STR: return hash_bytes(JSTR(v)->s, JSTR(v)->len);
    case JV_LIST:
        if (JLIST(v)->kind == JL_TUPLE || JLIST(v)->kind == JL_RANGE) {
            if (depth > JR_MAX_VDEPTH) jr_fail(r, "RecursionError", "maximum recursion depth exceeded");
            uint64_t h = 0x345678;
            for (size_t i = 0; i < JLIST(v)->n; i++) h = mix64(h ^ jv_hash(r, JLIST(v)->v[i], depth + 1));
            return h;
        }
        if (jl_oneshot(JLIST(v))) return mix64((uint64_t)(uintptr_t)v.u.o); /* hashed by identity */
        break;
    case JV_FUNC:
    case JV_NS:
    case JV_LOOP: return mix64((uint64_t)(uintptr_t)v.u.o);
    default: break;
    }
    jr_fail(r, "TypeError", "unhashable type: '%s'", jv_type_name(v));
}

bool jv_hashable(jv v) {
    if (v.t == JV_DICT) return false;
    if (v.t == JV_LIST) {
        jlist *l = JLIST(v);
        if (jl_oneshot(l) || l->kind == JL_RANGE) return true;
        if (l->kind != JL_TUPLE) return false;
        for (size_t i = 0; i < l->n; i++)
            if (!jv_hashable(l->v[i])) return false;
    }
    return true;
}

jdict *jd_new(jrender *r) {
    jdict *d = jr_alloc(r, K_DICT, sizeof(jdict));
    d->h.depth = 1;
    return d;
}

static void index_insert(jdict *d, uint64_t h, size_t pos) {
    size_t mask = d->icap - 1, slot = h & mask;
    while (d->idx[slot]) slot = (slot + 1) & mask;
    d->idx[slot] = (uint32_t)(pos + 1);
}

static void index_rebuild(jrender *r, jdict *d) {
    size_t cap = 16;
    while (cap < 4 * d->n) cap *= 2;
    uint32_t *idx = calloc(cap, sizeof *idx);
    if (!idx) jr_fail_code(r, QLM_ERR_NOMEM, "MemoryError", "out of memory");
    jr_account(r, &d->h, (ptrdiff_t)((cap - d->icap) * sizeof *idx));
    free(d->idx);
    d->idx = idx;
    d->icap = cap;
    for (size_t i = 0; i < d->n; i++) index_insert(d, jv_hash(r, d->keys[i], 0), i);
}

/* Position of key in d, or -1. */
static ptrdiff_t jd_find(jrender *r, const jdict *d, jv key, uint64_t h) {
    if (!d->idx) {
        for (size_t i = 0; i < d->n; i++)
            if (jv_eq(r, d->keys[i], key)) return (ptrdiff_t)i;
        return -1;
    }
    size_t mask = d->icap - 1, slot = h & mask;
    while (d->idx[slot]) {
        size_t pos = d->idx[slot] - 1;
        if (jv_eq(r, d->keys[pos], key)) return (ptrdiff_t)pos;
        slot = (slot + 1) & mask;
    }
    return -1;
}

jv *jd_get(jrender *r, const jdict *d, jv key) {
    if (!jv_hashable(key)) jr_fail(r, "TypeError", "unhashable type: '%s'", jv_type_name(key));
    uint64_t h = d->idx ? jv_hash(r, key, 0) : 0;
    ptrdiff_t i = jd_find(r, d, key, h);
    return i < 0 ? NULL : &d->vals[i];
}

jv *jd_get_s(const jdict *d, const char *s, size_t n) {
    if (!d) return NULL;
    if (!d->idx) {
        for (size_t i = 0; i < d->n; i++) {
            jv k = d->keys[i];
            if (k.t == JV_STR && JSTR(k)->len == n && memcmp(JSTR(k)->s, s, n) == 0) return &d->vals[i];
        }
        return NULL;
    }
    size_t mask = d->icap - 1, slot = hash_bytes(s, n) & mask;
    while (d->idx[slot]) {
        size_t pos = d->idx[slot] - 1;
        jv k = d->keys[pos];
        if (k.t == JV_STR && JSTR(k)->len == n && memcmp(JSTR(k)->s, s, n) == 0) return &d->vals[pos];
        slot = (slot + 1) & mask;
    }
    return NULL;
}

void jd_set(jrender *r, jdict *d, jv key, jv val) {
    if (!jv_hashable(key)) jr_fail(r, "TypeError", "unhashable type: '%s'", jv_type_name(key));
    uint64_t h = jv_hash(r, key, 0);
    ptrdiff_t i = jd_find(r, d, key, h);
    note_depth(r, &d->h, val);
    if (i >= 0) {
        /* Python keeps the first key object and the last value */
        jv_release(r, d->vals[i]);
        d->vals[i] = val;
        jv_release(r, key);
        return;
    }
    if (d->n == d->cap) {
        size_t kc = d->cap, vc = d->cap;
        void *ka = d->keys, *va = d->vals;
        grow(r, &d->h, &ka, &kc, d->n + 1, sizeof(jv));
        d->keys = ka;
        grow(r, &d->h, &va, &vc, d->n + 1, sizeof(jv));
        d->vals = va;
        d->cap = kc;
    }
    note_depth(r, &d->h, key);
    d->keys[d->n] = key;
    d->vals[d->n] = val;
    d->n++;
    if (d->n > 8) {
        if (!d->idx || 2 * d->n > d->icap) index_rebuild(r, d);
        else index_insert(d, h, d->n - 1);
    }
}

void jd_clear(jrender *r, jdict *d) {
    if (!d) return;
    size_t n = d->n;
    d->n = 0; /* first, so that releasing cannot reach half-cleared members */
    for (size_t i = 0; i < n; i++) {
        jv_release(r, d->keys[i]);
        jv_release(r, d->vals[i]);
    }
    if (d->idx) memset(d->idx, 0, d->icap * sizeof *d->idx);
    d->h.depth = 1;
}

jns *jns_new(jrender *r) {
    jns *n = jr_alloc(r, K_NS, sizeof(jns));
    n->h.depth = 1;
    n->attrs = jd_new(r);
    return n;
}

/* ---- truth, equality, order ------------------------------------------------------------ */

bool jv_truthy(jv v) {
    switch (v.t) {
    case JV_UNDEF:
    case JV_NONE: return false;
    case JV_BOOL: return v.u.b;
    case JV_INT: return v.u.i != 0;
    case JV_FLOAT: return v.u.f != 0.0;
    case JV_STR: return JSTR(v)->len != 0;
    case JV_LIST: return jl_oneshot(JLIST(v)) || JLIST(v)->n != 0;
    case JV_DICT: return JDICT(v)->n != 0;
    default: return true;
    }
}

/* Exact comparison of an int with a double (no rounding of large ints). */
static int cmp_int_float(int64_t i, double f) {
    if (isnan(f)) return 2; /* unordered */
    if (f >= 9223372036854775808.0) return -1;
    if (f < -9223372036854775808.0) return 1;
    double fl = floor(f);
    int64_t fi = (int64_t)fl;
    if (i < fi) return -1;
    if (i > fi) return 1;
    return f > fl ? -1 : 0;
}

/* -1/0/1 for numbers; 2 when unordered (NaN). */
static int num_cmp(jv a, jv b) {
    if (jv_is_intlike(a) && jv_is_intlike(b)) {
        int64_t x = jv_as_int(a), y = jv_as_int(b);
        return x < y ? -1 : x > y;
    }
    if (jv_is_intlike(a)) return cmp_int_float(jv_as_int(a), b.u.f);
    if (jv_is_intlike(b)) {
        int c = cmp_int_float(jv_as_int(b), a.u.f);
        return c == 2 ? 2 : -c;
    }
    if (isnan(a.u.f) || isnan(b.u.f)) return 2;
    return a.u.f < b.u.f ? -1 : a.u.f > b.u.f;
}

static bool eq_depth(jrender *r, jv a, jv b, int depth) {
    jr_tick(r);
    if (depth > JR_MAX_VDEPTH) jr_fail(r, "RecursionError", "maximum recursion depth exceeded in comparison");
    if (jv_is_num(a) && jv_is_num(b)) return num_cmp(a, b) == 0;
    if (a.t != b.t) return false;
    switch (a.t) {
    case JV_UNDEF:
    case JV_NONE: return true;
    case JV_STR: return JSTR(a)->len == JSTR(b)->len && memcmp(JSTR(a)->s, JSTR(b)->s, JSTR(a)->len) == 0;
    case JV_LIST: {
        jlist *x = JLIST(a), *y = JLIST(b);
        if (x == y) return true;
        if (x->kind != y->kind || jl_oneshot(x) || x->n != y->n) return false;
        for (size_t i = 0; i < x->n; i++)
            if (!eq_depth(r, x->v[i], y->v[i], depth + 1)) return false;
        return true;
    }
    case JV_DICT: {
        jdict *x = JDICT(a), *y = JDICT(b);
        if (x == y) return true;
        if (x->n != y->n) return false;
        for (size_t i = 0; i < x->n; i++) {
            jv *o = jd_get(r, y, x->keys[i]);
            if (!o || !eq_depth(r, x->vals[i], *o, depth + 1)) return false;
        }
        return true;
    }
    default: return a.u.o == b.u.o;
    }
}

bool jv_eq(jrender *r, jv a, jv b) { return eq_depth(r, a, b, 0); }

static int cmp_depth(jrender *r, jv a, jv b, const char *op, int depth) {
    jr_tick(r);
    if (depth > JR_MAX_VDEPTH) jr_fail(r, "RecursionError", "maximum recursion depth exceeded in comparison");
    if (a.t == JV_UNDEF) jr_fail_undef(r, a);
    if (b.t == JV_UNDEF) jr_fail_undef(r, b);
    if (jv_is_num(a) && jv_is_num(b)) {
        int c = num_cmp(a, b);
        return c == 2 ? 2 : c;
    }
    if (a.t == JV_STR && b.t == JV_STR) {
        size_t n = JSTR(a)->len < JSTR(b)->len ? JSTR(a)->len : JSTR(b)->len;
        int c = memcmp(JSTR(a)->s, JSTR(b)->s, n); /* UTF-8 byte order == code point order */
        if (c) return c < 0 ? -1 : 1;
        return JSTR(a)->len < JSTR(b)->len ? -1 : JSTR(a)->len > JSTR(b)->len;
    }
    if (a.t == JV_LIST && b.t == JV_LIST && jl_seq(JLIST(a)) && JLIST(a)->kind == JLIST(b)->kind) {
        jlist *x = JLIST(a), *y = JLIST(b);
        for (size_t i = 0; i < x->n && i < y->n; i++)
            if (!eq_depth(r, x->v[i], y->v[i], depth + 1)) return cmp_depth(r, x->v[i], y->v[i], op, depth + 1);
        return x->n < y->n ? -1 : x->n > y->n;
    }
    jr_fail(r, "TypeError", "'%s' not supported between instances of '%s' and '%s'", op,
            jv_type_name(a), jv_type_name(b));
}

int jv_cmp(jrender *r, jv a, jv b, const char *op) { return cmp_depth(r, a, b, op, 0); }

/* ---- type names ------------------------------------------------------------------------ */

const char *jv_type_name(jv v) {
    switch (v.t) {
    case JV_UNDEF: return "Undefined";
    case JV_NONE: return "NoneType";
    case JV_BOOL: return "bool";
    case JV_INT: return "int";
    case JV_FLOAT: return "float";
    case JV_STR: return v.safe ? "Markup" : "str";
    case JV_LIST:
        switch (JLIST(v)->kind) {
        case JL_TUPLE: return "tuple";
        case JL_GEN: return "generator";
        case JL_ITER: return JLIST(v)->iter_name ? JLIST(v)->iter_name : "iterator";
        case JL_KEYS: return "dict_keys";
        case JL_VALUES: return "dict_values";
        case JL_ITEMS: return "dict_items";
        case JL_RANGE: return "range";
        default: return "list";
        }
    case JV_DICT: return "dict";
    case JV_NS: return "Namespace";
    case JV_FUNC: {
        int fk = JFUNC(v)->fk;
        return fk == FN_MACRO || fk == FN_CALLER ? "Macro" : "builtin_function_or_method";
    }
    case JV_LOOP: return "LoopContext";
    }
    return "object";
}

void jv_object_type_repr(jv v, char *buf, size_t cap) {
    switch (v.t) {
    case JV_NONE: snprintf(buf, cap, "None"); return;
    case JV_UNDEF: snprintf(buf, cap, "jinja2.runtime.Undefined object"); return;
    case JV_STR: snprintf(buf, cap, v.safe ? "markupsafe.Markup object" : "str object"); return;
    case JV_NS: snprintf(buf, cap, "jinja2.utils.Namespace object"); return;
    case JV_LOOP: snprintf(buf, cap, "jinja2.runtime.LoopContext object"); return;
    case JV_FUNC:
        if (JFUNC(v)->fk == FN_MACRO || JFUNC(v)->fk == FN_CALLER) {
            snprintf(buf, cap, "jinja2.runtime.Macro object");
            return;
        }
        break;
    default: break;
    }
    snprintf(buf, cap, "%s object", jv_type_name(v));
}

/* ---- Unicode helpers ------------------------------------------------------------------- */

bool py_isspace(uint32_t cp) {
    if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Simple case mapping for the scripts listed in jinja.h (Latin-1, Latin Extended-A,
 * Greek, Cyrillic, Armenian, fullwidth Latin). */
uint32_t py_upper(uint32_t c) {
    if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
    if (c == 0xB5) return 0x39C;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
    if (c == 0xFF) return 0x178;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x131) return 'I';
        if (c == 0x17F) return 'S';
        if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return (c & 1) ? c - 1 : c;
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c : c - 1;
        return c;
    }
    if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) return c - 32;
    if (c == 0x3C2) return 0x3A3;
    if (c == 0x3AC) return 0x386;
    if (c >= 0x3AD && c <= 0x3AF) return c - 37;
    if (c == 0x3CC) return 0x38C;
    if (c == 0x3CD || c == 0x3CE) return c - 63;
    if (c >= 0x430 && c <= 0x44F) return c - 32;
    if (c >= 0x450 && c <= 0x45F) return c - 80;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F))
        return (c & 1) ? c - 1 : c;
    if (c >= 0x4C1 && c <= 0x4CE) return (c & 1) ? c : c - 1;
    if (c == 0x4CF) return 0x4C0;
    if (c >= 0x561 && c <= 0x586) return c - 48;
    if (c >= 0xFF41 && c <= 0xFF5A) return c - 32;
    return c;
}

uint32_t py_lower(uint32_t c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x130) return 'i'; /* Python gives "i\u0307"; handled by the caller */
        if (c == 0x178) return 0xFF;
        if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return (c & 1) ? c : c + 1;
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c + 1 : c;
        return c;
    }
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 32;
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 37;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 63;
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x52F))
        return (c & 1) ? c : c + 1;
    if (c >= 0x4C1 && c <= 0x4CE) return (c & 1) ? c + 1 : c;
    if (c == 0x4C0) return 0x4CF;
    if (c >= 0x531 && c <= 0x556) return c + 48;
    if (c >= 0xFF21 && c <= 0xFF3A) return c + 32;
    return c;
}

bool py_iscased(uint32_t c) {
    return py_upper(c) != c || py_lower(c) != c || c == 0xDF || c == 0x138 || c == 0x149;
}

size_t utf8_next(const char *s, size_t n, size_t i, uint32_t *cp) {
    int k = qlm_utf8_decode((const unsigned char *)s + i, n - i, cp);
    if (!k) { *cp = 0xFFFD; return i + 1; }
    return i + (size_t)k;
}

size_t jstr_cplen(const jstr *s) {
    if (s->ascii) return s->len;
    size_t n = 0;
    for (size_t i = 0; i < s->len; i++)
        if (((unsigned char)s->s[i] & 0xC0) != 0x80) n++;
    return n;
}

size_t jstr_cpoff(const jstr *s, size_t k) {
    if (s->ascii) return k < s->len ? k : s->len;
    size_t i = 0;
    uint32_t cp;
    while (k > 0 && i < s->len) {
        i = utf8_next(s->s, s->len, i, &cp);
        k--;
    }
    return i;
}

void buf_put_cp(qlm_buf *b, uint32_t cp) {
    char tmp[4];
    qlm_buf_put(b, tmp, (size_t)qlm_utf8_encode(cp, tmp));
}

/* ---- str() and repr() ------------------------------------------------------------------ */

/* Python's str.isprintable() for code points >= 0x80, approximately: separators, format
 * and private-use characters and unassigned noncharacters are not printable. */
static bool py_printable(uint32_t c) {
    if (c < 0xA0) return false; /* C1 controls and the non-breaking space (U+00A0 is Zs) */
    if (c == 0xAD || c == 0x61C || c == 0x180E || c == 0x1680) return false;
    if ((c >= 0x600 && c <= 0x605) || c == 0x6DD || c == 0x70F || c == 0x8E2) return false;
    if (c >= 0x2000 && c <= 0x200F) return false;
    if (c >= 0x2028 && c <= 0x202F) return false;
    if (c >= 0x205F && c <= 0x206F) return false;
    if (c == 0x3000 || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB)) return false;
    if (c >= 0xD800 && c <= 0xF8FF) return false; /* surrogates, private use */
    if ((c & 0xFFFE) == 0xFFFE) return false;     /* noncharacters */
    if (c >= 0xFDD0 && c <= 0xFDEF) return false;
    if (c == 0x110BD || c == 0x110CD || (c >= 0x13430 && c <= 0x1343F)) return false;
    if ((c >= 0x1BCA0 && c <= 0x1BCA3) || (c >= 0x1D173 && c <= 0x1D17A)) return false;
    if (c >= 0xE0000) return false; /* tags, variation selectors supplement, private use */
    return true;
}

static void repr_str(qlm_buf *b, const char *s, size_t n) {
    bool sq = memchr(s, '\'', n) != NULL, dq = memchr(s, '"', n) != NULL;
    char quote = (sq && !dq) ? '"' : '\'';
    qlm_buf_putc(b, quote);
    size_t i = 0;
    while (i < n) {
        uint32_t c;
        size_t j = utf8_next(s, n, i, &c);
        if (c == (uint32_t)quote || c == '\\') { qlm_buf_putc(b, '\\'); qlm_buf_putc(b, (char)c); }
        else if (c == '\t') qlm_buf_puts(b, "\\t");
        else if (c == '\n') qlm_buf_puts(b, "\\n");
        else if (c == '\r') qlm_buf_puts(b, "\\r");
        else if (c < 0x20 || c == 0x7F) qlm_buf_printf(b, "\\x%02x", c);
        else if (c < 0x7F) qlm_buf_putc(b, (char)c);
        else if (py_printable(c)) qlm_buf_put(b, s + i, j - i);
        else if (c <= 0xFF) qlm_buf_printf(b, "\\x%02x", c);
        else if (c <= 0xFFFF) qlm_buf_printf(b, "\\u%04x", c);
        else qlm_buf_printf(b, "\\U%08x", c);
        i = j;
    }
    qlm_buf_putc(b, quote);
}

static void write_depth(jrender *r, qlm_buf *b, jv v, bool repr, int depth);

static void write_dict_body(jrender *r, qlm_buf *b, jdict *d, int depth) {
    qlm_buf_putc(b, '{');
    for (size_t i = 0; i < d->n; i++) {
        if (i) qlm_buf_puts(b, ", ");
        write_depth(r, b, d->keys[i], true, depth + 1);
        qlm_buf_puts(b, ": ");
        write_depth(r, b, d->vals[i], true, depth + 1);
    }
    qlm_buf_putc(b, '}');
}

static void write_depth(jrender *r, qlm_buf *b, jv v, bool repr, int depth) {
    char tmp[32];
    if (depth > JR_MAX_VDEPTH) jr_fail(r, "RecursionError", "maximum recursion depth exceeded while getting the repr of an object");
    switch (v.t) {
    case JV_UNDEF: if (repr) qlm_buf_puts(b, "Undefined"); return;
    case JV_NONE: qlm_buf_puts(b, "None"); return;
    case JV_BOOL: qlm_buf_puts(b, v.u.b ? "True" : "False"); return;
    case JV_INT: qlm_buf_printf(b, "%lld", (long long)v.u.i); return;
    case JV_FLOAT: qlm_buf_puts(b, qlm_fmt_double(v.u.f, false, tmp)); return;
    case JV_STR:
        if (!repr) qlm_buf_put(b, JSTR(v)->s, JSTR(v)->len);
        else {
            if (v.safe) qlm_buf_puts(b, "Markup(");
            repr_str(b, JSTR(v)->s, JSTR(v)->len);
            if (v.safe) qlm_buf_putc(b, ')');
        }
        return;
    case JV_LIST: {
        jlist *l = JLIST(v);
        if (jl_oneshot(l)) { qlm_buf_printf(b, "<%s object>", jv_type_name(v)); return; }
        if (l->kind == JL_RANGE) {
            if (l->rstep == 1) qlm_buf_printf(b, "range(%lld, %lld)", (long long)l->rstart, (long long)l->rstop);
            else qlm_buf_printf(b, "range(%lld, %lld, %lld)", (long long)l->rstart, (long long)l->rstop, (long long)l->rstep);
            return;
        }
        bool tuple = l->kind == JL_TUPLE;
        if (l->kind >= JL_KEYS) qlm_buf_printf(b, "%s(", jv_type_name(v));
        qlm_buf_putc(b, tuple ? '(' : '[');
        for (size_t i = 0; i < l->n; i++) {
            if (i) qlm_buf_puts(b, ", ");
            write_depth(r, b, l->v[i], true, depth + 1);
        }
        if (tuple && l->n == 1) qlm_buf_putc(b, ',');
        qlm_buf_putc(b, tuple ? ')' : ']');
        if (l->kind >= JL_KEYS) qlm_buf_putc(b, ')');
        return;
    }
    case JV_DICT: write_dict_body(r, b, JDICT(v), depth); return;
    case JV_NS:
        qlm_buf_puts(b, "<Namespace ");
        write_dict_body(r, b, JNS(v)->attrs, depth);
        qlm_buf_putc(b, '>');
        return;
    case JV_FUNC: {
        jfunc *f = JFUNC(v);
        if (f->fk == FN_MACRO || f->fk == FN_CALLER) qlm_buf_printf(b, "<Macro '%s'>", f->name);
        else if (f->fk == FN_METHOD) {
            jv_object_type_repr(f->self, tmp, sizeof tmp);
            qlm_buf_printf(b, "<built-in method %s of %s>", f->name, tmp);
        } else qlm_buf_printf(b, "<built-in function %s>", f->name);
        return;
    }
    case JV_LOOP: {
        jloop *l = JLOOP(v);
        qlm_buf_printf(b, "<LoopContext %zu/%zu>", l->i + 1, l->items->n);
        return;
    }
    }
}

void jv_write_str(jrender *r, qlm_buf *b, jv v) { write_depth(r, b, v, false, 0); }
void jv_write_repr(jrender *r, qlm_buf *b, jv v) { write_depth(r, b, v, true, 0); }

jv jv_to_str(jrender *r, jv v) {
    if (v.t == JV_STR) {
        jv s = jv_retain(v);
        s.safe = 0;
        return s;
    }
    jbufobj *t = jr_buf(r);
    jv_write_str(r, &t->b, v);
    jv s = jv_str_buf(r, &t->b);
    jobj_release(r, &t->h);
    return s;
}

/* ---- JSON ------------------------------------------------------------------------------ */

jv jv_from_json(jrender *r, const qlm_json *j, int depth) {
    if (depth > JR_MAX_VDEPTH) jr_fail(r, "RecursionError", "JSON value nested too deeply");
    switch (j->type) {
    case QLM_JSON_NULL: return jv_none();
    case QLM_JSON_BOOL: return jv_bool(j->boolean != 0);
    case QLM_JSON_NUMBER:
        if (j->is_int) return jv_int(j->i);
        return jv_float(j->u.num); /* also integers beyond int64 (Python keeps them exact) */
    case QLM_JSON_STRING: return jv_str(r, j->str, j->len);
    case QLM_JSON_ARRAY: {
        jlist *l = jl_new(r, j->len);
        for (uint32_t i = 0; i < j->len; i++) jl_push(r, l, jv_from_json(r, &j->u.items[i], depth + 1));
        return jv_obj(JV_LIST, l);
    }
    case QLM_JSON_OBJECT: {
        jdict *d = jd_new(r);
        for (uint32_t i = 0; i < j->len; i++) {
            const qlm_json *k = &j->u.items[2 * i];
            jv key = jv_str(r, k->str, k->len);
            jd_set(r, d, key, jv_from_json(r, &j->u.items[2 * i + 1], depth + 1));
        }
        return jv_obj(JV_DICT, d);
    }
    }
    return jv_none();
}

static void json_newline(qlm_buf *b, const jjson_opts *o, int level) {
    qlm_buf_putc(b, '\n');
    for (int i = 0; i < level; i++) {
        if (o->indent_str) qlm_buf_puts(b, o->indent_str);
        else for (int k = 0; k < o->indent; k++) qlm_buf_putc(b, ' ');
    }
}

static void json_key(jrender *r, qlm_buf *b, jv k, const jjson_opts *o) {
    char tmp[32];
    switch (k.t) {
    case JV_STR: qlm_json_put_str(b, JSTR(k)->s, JSTR(k)->len, o->ensure_ascii); return;
    case JV_INT: qlm_buf_printf(b, "\"%lld\"", (long long)k.u.i); return;
    case JV_BOOL: qlm_buf_puts(b, k.u.b ? "\"true\"" : "\"false\""); return;
    case JV_NONE: qlm_buf_puts(b, "\"null\""); return;
    case JV_FLOAT: qlm_buf_printf(b, "\"%s\"", qlm_fmt_double(k.u.f, true, tmp)); return;
    default:
        jr_fail(r, "TypeError", "keys must be str, int, float, bool or None, not %s", jv_type_name(k));
    }
}

/* sort_keys: member positions ordered by key, as a list of ints (insertion sort is
 * fine for template-sized dicts; jv_cmp raises on keys that do not order, as Python's
 * sorted() does). */
static jlist *sorted_positions(jrender *r, jdict *d) {
    jlist *ix = jl_new(r, d->n);
    for (size_t i = 0; i < d->n; i++) {
        jl_push(r, ix, jv_int((int64_t)i));
        size_t j = i;
        while (j > 0 && jv_cmp(r, d->keys[i], d->keys[ix->v[j - 1].u.i], "<") < 0) {
            ix->v[j] = ix->v[j - 1];
            j--;
        }
        ix->v[j] = jv_int((int64_t)i);
    }
    return ix;
}

static void tojson_depth(jrender *r, qlm_buf *b, jv v, const jjson_opts *o, int level) {
    char tmp[32];
    if (level > JR_MAX_VDEPTH) jr_fail(r, "RecursionError", "maximum recursion depth exceeded while encoding a JSON object");
    bool ind = o->indent >= 0 || o->indent_str;
    const char *item_sep = o->item_sep ? o->item_sep : (ind ? "," : ", ");
    const char *key_sep = o->key_sep ? o->key_sep : ": ";
    switch (v.t) {
    case JV_NONE: qlm_buf_puts(b, "null"); return;
    case JV_BOOL: qlm_buf_puts(b, v.u.b ? "true" : "false"); return;
    case JV_INT: qlm_buf_printf(b, "%lld", (long long)v.u.i); return;
    case JV_FLOAT: qlm_buf_puts(b, qlm_fmt_double(v.u.f, true, tmp)); return;
    case JV_STR: qlm_json_put_str(b, JSTR(v)->s, JSTR(v)->len, o->ensure_ascii); return;
    case JV_LIST: {
        jlist *l = JLIST(v);
        if (!jl_seq(l)) jr_fail(r, "TypeError", "Object of type %s is not JSON serializable", jv_type_name(v));
        if (!l->n) { qlm_buf_puts(b, "[]"); return; }
        qlm_buf_putc(b, '[');
        for (size_t i = 0; i < l->n; i++) {
            if (i) qlm_buf_puts(b, item_sep);
            if (ind) json_newline(b, o, level + 1);
            tojson_depth(r, b, l->v[i], o, level + 1);
        }
        if (ind) json_newline(b, o, level);
        qlm_buf_putc(b, ']');
        return;
    }
    case JV_DICT: {
        jdict *d = JDICT(v);
        if (!d->n) { qlm_buf_puts(b, "{}"); return; }
        jlist *ix = o->sort_keys ? sorted_positions(r, d) : NULL;
        qlm_buf_putc(b, '{');
        for (size_t i = 0; i < d->n; i++) {
            size_t k = ix ? (size_t)ix->v[i].u.i : i;
            if (i) qlm_buf_puts(b, item_sep);
            if (ind) json_newline(b, o, level + 1);
            json_key(r, b, d->keys[k], o);
            qlm_buf_puts(b, key_sep);
            tojson_depth(r, b, d->vals[k], o, level + 1);
        }
        if (ind) json_newline(b, o, level);
        qlm_buf_putc(b, '}');
        if (ix) jobj_release(r, &ix->h);
        return;
    }
    default:
        jr_fail(r, "TypeError", "Object of type %s is not JSON serializable", jv_type_name(v));
    }
}

void jv_tojson(jrender *r, qlm_buf *b, jv v, const jjson_opts *o) { tojson_depth(r, b, v, o, 0); }
