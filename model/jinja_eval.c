/* Jinja evaluator: expressions, statements, scopes, macros, and the render entry point.
 * Scoping follows Jinja2: a for loop iteration, a macro call, a `set` block body and a
 * `with` block get their own scope; `if` and filter blocks do not. */
#include "jinja_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 64

/* ---- scopes ---------------------------------------------------------------------------- */

jscope *jscope_new(jrender *r, jscope *parent) {
    jscope *s = jr_alloc(r, K_SCOPE, sizeof(jscope));
    s->parent = parent;
    if (parent) parent->h.rc++;
    return s;
}

void jscope_set(jrender *r, jscope *sc, jv name, jv val) {
    if (!sc->vars) sc->vars = jd_new(r);
    jd_set(r, sc->vars, jv_retain(name), val);
}

static jv *scope_find(jscope *sc, const jstr *name) {
    for (; sc; sc = sc->parent) {
        jv *v = jd_get_s(sc->vars, name->s, name->len);
        if (v) return v;
    }
    return NULL;
}

/* ---- iteration ------------------------------------------------------------------------- */

jlist *jr_iter_list(jrender *r, jv v) {
    switch (v.t) {
    case JV_LIST: {
        jlist *l = JLIST(v);
        if (jl_oneshot(l)) {
            /* iterating a generator exhausts it for every holder of it */
            jlist *c = jl_new(r, 0);
            c->v = l->v;
            c->n = l->n;
            c->cap = l->cap;
            c->h.depth = l->h.depth;
            jr_account(r, &c->h, (ptrdiff_t)(l->cap * sizeof(jv)));
            jr_account(r, &l->h, -(ptrdiff_t)(l->cap * sizeof(jv)));
            l->v = NULL;
            l->n = l->cap = 0;
            return c;
        }
        l->h.rc++;
        return l;
    }
    case JV_UNDEF: return jl_new(r, 0);
    case JV_DICT: {
        jdict *d = JDICT(v);
        jlist *l = jl_new(r, d->n);
        for (size_t i = 0; i < d->n; i++) jl_push(r, l, jv_retain(d->keys[i]));
        return l;
    }
    case JV_STR: {
        jstr *s = JSTR(v);
        jlist *l = jl_new(r, jstr_cplen(s));
        for (size_t i = 0; i < s->len;) {
            uint32_t cp;
            size_t j = utf8_next(s->s, s->len, i, &cp);
            jl_push(r, l, jv_str(r, s->s + i, j - i));
            i = j;
        }
        return l;
    }
    default: jr_fail(r, "TypeError", "'%s' object is not iterable", jv_type_name(v));
    }
}

/* ---- attribute and item access (jinja2.sandbox.SandboxedEnvironment) ------------------- */

static jv bound_method(jrender *r, jv self, int id, const char *name) {
    jfunc *f = jr_alloc(r, K_FUNC, sizeof(jfunc));
    f->fk = FN_METHOD;
    f->id = id;
    f->self = jv_retain(self);
    f->name = name;
    return jv_obj(JV_FUNC, f);
}

/* The Python attribute `name` of obj (a method), or NULL-typed result in *found=false. */
static bool python_attr(jrender *r, jv obj, jv name, jv *out) {
    const char *s = JSTR(name)->s;
    if (obj.t != JV_STR && obj.t != JV_DICT && obj.t != JV_LIST && obj.t != JV_LOOP) return false;
    if (jb_method_unsafe(obj, s) || (s[0] == '_' && s[1] == '_')) {
        *out = jv_undef(r, "access to attribute '%s' of '%s' object is unsafe.", s, jv_type_name(obj));
        return true;
    }
    int id = jb_method_id(obj, s);
    if (id < 0) return false;
    *out = bound_method(r, obj, id, JSTR(name)->s);
    return true;
}

jv jr_getattr(jrender *r, jv obj, jv name) {
    jv out;
    switch (obj.t) {
    case JV_UNDEF: jr_fail_undef(r, obj);
    case JV_NS: {
        jv *v = jd_get_s(JNS(obj)->attrs, JSTR(name)->s, JSTR(name)->len);
        if (v) return jv_retain(*v);
        return jv_undef_attr(r, obj, name);
    }
    case JV_LOOP: {
        bool found = false;
        jv v = jb_loop_attr(r, JLOOP(obj), JSTR(name)->s, &found);
        if (found) return v;
        if (python_attr(r, obj, name, &out)) return out;
        return jv_undef_attr(r, obj, name);
    }
    default: break;
    }
    if (python_attr(r, obj, name, &out)) return out;
    if (obj.t == JV_DICT) {
        jv *v = jd_get(r, JDICT(obj), name);
        if (v) return jv_retain(*v);
    }
    return jv_undef_attr(r, obj, name);
}

/* Python's index normalization for obj[i]; false when out of range. */
static bool norm_index(int64_t i, size_t n, size_t *out) {
    if (i < 0) i += (int64_t)n;
    if (i < 0 || (uint64_t)i >= n) return false;
    *out = (size_t)i;
    return true;
}

jv jr_getitem(jrender *r, jv obj, jv key) {
    size_t k;
    switch (obj.t) {
    case JV_UNDEF: jr_fail_undef(r, obj);
    case JV_DICT:
        if (jv_hashable(key)) {
            jv *v = jd_get(r, JDICT(obj), key);
            if (v) return jv_retain(*v);
        }
        break;
    case JV_LIST:
        if (jv_is_intlike(key) && (jl_seq(JLIST(obj)) || JLIST(obj)->kind == JL_RANGE)) {
            if (norm_index(jv_as_int(key), JLIST(obj)->n, &k)) return jv_retain(JLIST(obj)->v[k]);
            return jv_undef_attr(r, obj, key);
        }
        break;
    case JV_STR:
        if (jv_is_intlike(key)) {
            jstr *s = JSTR(obj);
            if (!s->ascii) jr_work(r, s->len); /* finding a code point scans the string */
            if (norm_index(jv_as_int(key), jstr_cplen(s), &k)) {
                size_t a = jstr_cpoff(s, k), b = jstr_cpoff(s, k + 1);
                return jv_str(r, s->s + a, b - a);
            }
            return jv_undef_attr(r, obj, key);
        }
        break;
    default: break;
    }
    /* obj[key] failed: a string key falls back to the attribute */
    if (key.t == JV_STR) {
        jv out;
        if (obj.t == JV_NS) {
            jv *v = jd_get_s(JNS(obj)->attrs, JSTR(key)->s, JSTR(key)->len);
            if (v) return jv_retain(*v);
        } else if (obj.t == JV_LOOP) {
            bool found = false;
            jv v = jb_loop_attr(r, JLOOP(obj), JSTR(key)->s, &found);
            if (found) return v;
        }
        if (python_attr(r, obj, key, &out)) return out;
    }
    return jv_undef_attr(r, obj, key);
}

/* obj[start:stop:step] with Python's semantics (None allowed). Jinja compiles slices
 * to a plain Python subscript, bypassing its getitem: errors are Python's own. */
static jv do_slice(jrender *r, jv obj, jv start, jv stop, jv step) {
    if (obj.t == JV_UNDEF) jr_fail_undef(r, obj);
    if (obj.t == JV_DICT) jr_fail(r, "TypeError", "unhashable type: 'slice'");
    if ((obj.t != JV_LIST && obj.t != JV_STR) ||
        (obj.t == JV_LIST && !jl_seq(JLIST(obj)) && JLIST(obj)->kind != JL_RANGE))
        jr_fail(r, "TypeError", "'%s' object is not subscriptable", jv_type_name(obj));
    jv idx[3] = {start, stop, step};
    for (int i = 0; i < 3; i++)
        if (idx[i].t != JV_NONE && !jv_is_intlike(idx[i]))
            jr_fail(r, "TypeError", "slice indices must be integers or None or have an __index__ method");
    int64_t st = step.t == JV_NONE ? 1 : jv_as_int(step);
    if (st == 0) jr_fail(r, "ValueError", "slice step cannot be zero");
    bool is_str = obj.t == JV_STR;
    if (is_str) jr_work(r, JSTR(obj)->len);
    int64_t len = (int64_t)(is_str ? jstr_cplen(JSTR(obj)) : JLIST(obj)->n);
    int64_t lower = st > 0 ? 0 : -1, upper = st > 0 ? len : len - 1;
    int64_t a, b;
    if (start.t == JV_NONE) a = st < 0 ? upper : lower;
    else {
        a = jv_as_int(start);
        if (a < 0) { a += len; if (a < lower) a = lower; }
        else if (a > upper) a = upper;
    }
    if (stop.t == JV_NONE) b = st < 0 ? lower : upper;
    else {
        b = jv_as_int(stop);
        if (b < 0) { b += len; if (b < lower) b = lower; }
        else if (b > upper) b = upper;
    }
    if (is_str) {
        jstr *s = JSTR(obj);
        jbufobj *t = jr_buf(r);
        if (st == 1) {
            if (a < b) {
                size_t x = jstr_cpoff(s, (size_t)a), y = jstr_cpoff(s, (size_t)b);
                qlm_buf_put(&t->b, s->s + x, y - x);
            }
        } else {
            for (int64_t i = a; st > 0 ? i < b : i > b; i += st) {
                size_t x = jstr_cpoff(s, (size_t)i), y = jstr_cpoff(s, (size_t)i + 1);
                qlm_buf_put(&t->b, s->s + x, y - x);
            }
        }
        jv res = jv_str_buf(r, &t->b);
        jobj_release(r, &t->h);
        return res;
    }
    jlist *src = JLIST(obj), *l = jl_new(r, 0);
    l->kind = src->kind;
    for (int64_t i = a; st > 0 ? i < b : i > b; i += st) jl_push(r, l, jv_retain(src->v[i]));
    if (src->kind == JL_RANGE) { /* a slice of a range is a range */
        l->rstart = src->rstart + a * src->rstep;
        l->rstop = src->rstart + b * src->rstep;
        l->rstep = src->rstep * st;
    }
    return jv_obj(JV_LIST, l);
}

/* ---- arithmetic (Python semantics) ------------------------------------------------------ */

static _Noreturn void unsupported(jrender *r, const char *op, jv a, jv b) {
    jr_fail(r, "TypeError", "unsupported operand type(s) for %s: '%s' and '%s'", op, jv_type_name(a),
            jv_type_name(b));
}

static _Noreturn void overflow(jrender *r) {
    jr_fail(r, "OverflowError", "integer result does not fit in 64 bits (qlm's integers are 64-bit)");
}

/* markupsafe.escape */
static void html_escape(qlm_buf *b, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&': qlm_buf_puts(b, "&amp;"); break;
        case '<': qlm_buf_puts(b, "&lt;"); break;
        case '>': qlm_buf_puts(b, "&gt;"); break;
        case '\'': qlm_buf_puts(b, "&#39;"); break;
        case '"': qlm_buf_puts(b, "&#34;"); break;
        default: qlm_buf_putc(b, s[i]);
        }
    }
}

static jv repeat(jrender *r, jv seq, int64_t times) {
    if (times < 0) times = 0;
    if (seq.t == JV_STR) {
        jstr *s = JSTR(seq);
        if (s->len && (uint64_t)times > r->max_output / s->len)
            jr_fail_code(r, QLM_ERR_UNSUPPORTED, "MemoryError", "string longer than %zu bytes", r->max_output);
        jbufobj *t = jr_buf(r);
        for (int64_t i = 0; i < times; i++) qlm_buf_put(&t->b, s->s, s->len);
        jv res = jv_str_buf(r, &t->b);
        jobj_release(r, &t->h);
        return res;
    }
    jlist *src = JLIST(seq);
    if (src->n && (uint64_t)times > (r->mem_limit / sizeof(jv)) / src->n)
        jr_fail_code(r, QLM_ERR_UNSUPPORTED, "MemoryError", "list too long");
    jlist *l = jl_new(r, 0);
    l->kind = src->kind;
    for (int64_t i = 0; i < times; i++)
        for (size_t k = 0; k < src->n; k++) jl_push(r, l, jv_retain(src->v[k]));
    return jv_obj(JV_LIST, l);
}

jv jr_percent_format(jrender *r, jv fmt, jv args); /* jinja_builtins.c */

static double float_floordiv(double x, double y, double *modp) {
    double mod = fmod(x, y);
    double div = (x - mod) / y;
    if (mod != 0) {
        if ((y < 0) != (mod < 0)) {
            mod += y;
            div -= 1.0;
        }
    } else {
        mod = copysign(0.0, y);
    }
    double fd;
    if (div != 0) {
        fd = floor(div);
        if (div - fd > 0.5) fd += 1.0;
    } else {
        fd = copysign(0.0, x / y);
    }
    if (modp) *modp = mod;
    return fd;
}

jv jr_binop(jrender *r, int op, jv a, jv b) {
    static const char *const sym[] = {[OPX_ADD] = "+", [OPX_SUB] = "-", [OPX_MUL] = "*", [OPX_DIV] = "/",
                                      [OPX_FLOORDIV] = "//", [OPX_MOD] = "%", [OPX_POW] = "** or pow()"};
    if (a.t == JV_UNDEF) jr_fail_undef(r, a);
    /* str % x is str's own formatting, which reads an Undefined as an empty mapping */
    if (op == OPX_MOD && a.t == JV_STR) return jr_percent_format(r, a, b);
    if (b.t == JV_UNDEF) jr_fail_undef(r, b);
    bool nums = jv_is_num(a) && jv_is_num(b), ints = jv_is_intlike(a) && jv_is_intlike(b);
    switch (op) {
    case OPX_ADD:
        if (ints) {
            int64_t z;
            if (__builtin_add_overflow(jv_as_int(a), jv_as_int(b), &z)) overflow(r);
            return jv_int(z);
        }
        if (nums) return jv_float(jv_as_f(a) + jv_as_f(b));
        if (a.t == JV_STR && b.t == JV_STR) {
            jstr *x = JSTR(a), *y = JSTR(b);
            jbufobj *t = jr_buf(r);
            /* Markup + str escapes the str (markupsafe) */
            if (a.safe == b.safe) {
                qlm_buf_put(&t->b, x->s, x->len);
                qlm_buf_put(&t->b, y->s, y->len);
            } else if (a.safe) {
                qlm_buf_put(&t->b, x->s, x->len);
                html_escape(&t->b, y->s, y->len);
            } else {
                html_escape(&t->b, x->s, x->len);
                qlm_buf_put(&t->b, y->s, y->len);
            }
            jv res = jv_str_buf(r, &t->b);
            jobj_release(r, &t->h);
            res.safe = a.safe || b.safe;
            return res;
        }
        if (a.t == JV_LIST && b.t == JV_LIST && jl_seq(JLIST(a)) && JLIST(a)->kind == JLIST(b)->kind) {
            jlist *x = JLIST(a), *y = JLIST(b), *l = jl_new(r, x->n + y->n);
            l->kind = x->kind;
            for (size_t i = 0; i < x->n; i++) jl_push(r, l, jv_retain(x->v[i]));
            for (size_t i = 0; i < y->n; i++) jl_push(r, l, jv_retain(y->v[i]));
            return jv_obj(JV_LIST, l);
        }
        if (a.t == JV_STR && !a.safe)
            jr_fail(r, "TypeError", "can only concatenate str (not \"%s\") to str", jv_type_name(b));
        if (a.t == JV_LIST && jl_seq(JLIST(a)))
            jr_fail(r, "TypeError", "can only concatenate %s (not \"%s\") to %s", jv_type_name(a),
                    jv_type_name(b), jv_type_name(a));
        unsupported(r, "+", a, b);
    case OPX_SUB:
        if (ints) {
            int64_t z;
            if (__builtin_sub_overflow(jv_as_int(a), jv_as_int(b), &z)) overflow(r);
            return jv_int(z);
        }
        if (nums) return jv_float(jv_as_f(a) - jv_as_f(b));
        unsupported(r, "-", a, b);
    case OPX_MUL:
        if (ints) {
            int64_t z;
            if (__builtin_mul_overflow(jv_as_int(a), jv_as_int(b), &z)) overflow(r);
            return jv_int(z);
        }
        if (nums) return jv_float(jv_as_f(a) * jv_as_f(b));
        {
            bool sa = a.t == JV_STR || (a.t == JV_LIST && jl_seq(JLIST(a)));
            bool sb = b.t == JV_STR || (b.t == JV_LIST && jl_seq(JLIST(b)));
            if (sa && jv_is_intlike(b)) return repeat(r, a, jv_as_int(b));
            if (sb && jv_is_intlike(a)) return repeat(r, b, jv_as_int(a));
            /* Markup.__mul__ insists on an int first */
            if (a.t == JV_STR && a.safe && !jv_is_intlike(b))
                jr_fail(r, "TypeError", "'%s' object cannot be interpreted as an integer", jv_type_name(b));
            /* a sequence times anything but an int */
            if (sa) jr_fail(r, "TypeError", "can't multiply sequence by non-int of type '%s'", jv_type_name(b));
            if (sb) jr_fail(r, "TypeError", "can't multiply sequence by non-int of type '%s'", jv_type_name(a));
        }
        if ((b.t == JV_STR || (b.t == JV_LIST && jl_seq(JLIST(b)))) && jv_is_num(a))
            jr_fail(r, "TypeError", "can't multiply sequence by non-int of type '%s'", jv_type_name(a));
        unsupported(r, "*", a, b);
    case OPX_DIV:
        if (nums) {
            /* Python 3.11's messages */
            if (jv_as_f(b) == 0.0) jr_fail(r, "ZeroDivisionError", ints ? "division by zero" : "float division by zero");
            if (ints) return jv_float((double)jv_as_int(a) / (double)jv_as_int(b));
            return jv_float(jv_as_f(a) / jv_as_f(b));
        }
        unsupported(r, "/", a, b);
    case OPX_FLOORDIV:
        if (ints) {
            int64_t x = jv_as_int(a), y = jv_as_int(b);
            if (y == 0) jr_fail(r, "ZeroDivisionError", "integer division or modulo by zero");
            if (x == INT64_MIN && y == -1) overflow(r);
            int64_t q = x / y;
            if ((x % y != 0) && ((x < 0) != (y < 0))) q--;
            return jv_int(q);
        }
        if (nums) {
            if (jv_as_f(b) == 0.0) jr_fail(r, "ZeroDivisionError", "float floor division by zero");
            return jv_float(float_floordiv(jv_as_f(a), jv_as_f(b), NULL));
        }
        unsupported(r, "//", a, b);
    case OPX_MOD:
        if (a.t == JV_STR) return jr_percent_format(r, a, b);
        if (ints) {
            int64_t x = jv_as_int(a), y = jv_as_int(b);
            if (y == 0) jr_fail(r, "ZeroDivisionError", "integer modulo by zero");
            if (y == -1) return jv_int(0);
            int64_t m = x % y;
            if (m != 0 && ((m < 0) != (y < 0))) m += y;
            return jv_int(m);
        }
        if (nums) {
            if (jv_as_f(b) == 0.0) jr_fail(r, "ZeroDivisionError", "float modulo");
            double m;
            float_floordiv(jv_as_f(a), jv_as_f(b), &m);
            return jv_float(m);
        }
        unsupported(r, "%", a, b);
    case OPX_POW:
        if (ints && jv_as_int(b) >= 0) {
            int64_t base = jv_as_int(a), e = jv_as_int(b), z = 1;
            while (e > 0) {
                if (e & 1)
                    if (__builtin_mul_overflow(z, base, &z)) overflow(r);
                e >>= 1;
                if (e && __builtin_mul_overflow(base, base, &base)) overflow(r);
            }
            return jv_int(z);
        }
        if (nums) {
            double x = jv_as_f(a), y = jv_as_f(b);
            if (x == 0.0 && y < 0) jr_fail(r, "ZeroDivisionError", "0.0 cannot be raised to a negative power");
            if (x < 0 && y != floor(y)) jr_fail(r, "ValueError", "complex results are not supported");
            double z = pow(x, y);
            if (isinf(z) && !isinf(x)) jr_fail(r, "OverflowError", "(34, 'Numerical result out of range')");
            return jv_float(z);
        }
        unsupported(r, "** or pow()", a, b);
    }
    (void)sym;
    jr_fail(r, "TemplateRuntimeError", "unknown operator");
}

static bool compare(jrender *r, int op, jv a, jv b) {
    switch (op) {
    case OPX_EQ: return jv_eq(r, a, b);
    case OPX_NE: return !jv_eq(r, a, b);
    case OPX_LT: return jv_cmp(r, a, b, "<") == -1;
    case OPX_LE: { int c = jv_cmp(r, a, b, "<="); return c == -1 || c == 0; }
    case OPX_GT: return jv_cmp(r, a, b, ">") == 1;
    case OPX_GE: { int c = jv_cmp(r, a, b, ">="); return c == 1 || c == 0; }
    case OPX_IN:
    case OPX_NOTIN: {
        bool found = false;
        switch (b.t) {
        case JV_STR:
            if (a.t != JV_STR)
                jr_fail(r, "TypeError", "'in <string>' requires string as left operand, not %s", jv_type_name(a));
            jr_work(r, JSTR(b)->len);
            found = JSTR(a)->len == 0 ||
                    memmem(JSTR(b)->s, JSTR(b)->len, JSTR(a)->s, JSTR(a)->len) != NULL;
            break;
        case JV_LIST: {
            jlist *l = JLIST(b);
            size_t i = 0;
            for (; i < l->n && !found; i++) found = jv_eq(r, l->v[i], a);
            if (jl_oneshot(l)) { /* `in` consumes a generator up to the match */
                for (size_t k = 0; k < i; k++) jv_release(r, l->v[k]);
                memmove(l->v, l->v + i, (l->n - i) * sizeof(jv));
                l->n -= i;
            }
            break;
        }
        case JV_DICT: found = jd_get(r, JDICT(b), a) != NULL; break;
        case JV_UNDEF: found = false; break; /* iterating an Undefined yields nothing */
        default: jr_fail(r, "TypeError", "argument of type '%s' is not iterable", jv_type_name(b));
        }
        return op == OPX_IN ? found : !found;
    }
    }
    return false;
}

/* ---- calls ----------------------------------------------------------------------------- */

typedef struct {
    jargs a;
    jv pos[MAX_ARGS];
    jv kwv[MAX_ARGS];
    jv kwn[MAX_ARGS];
} argbuf;

static void args_release(jrender *r, argbuf *b) {
    for (int i = 0; i < b->a.npos; i++) jv_release(r, b->pos[i]);
    for (int i = 0; i < b->a.nkw; i++) {
        jv_release(r, b->kwv[i]);
        jv_release(r, b->kwn[i]);
    }
    b->a.npos = b->a.nkw = 0;
}

static void add_kw(jrender *r, argbuf *b, jv name, jv val) {
    for (int i = 0; i < b->a.nkw; i++)
        if (jv_eq(r, b->kwn[i], name))
            jr_fail(r, "TypeError", "got multiple values for keyword argument '%s'", JSTR(name)->s);
    if (b->a.nkw == MAX_ARGS) jr_fail(r, "TypeError", "too many keyword arguments (at most %d)", MAX_ARGS);
    b->kwn[b->a.nkw] = name;
    b->kwv[b->a.nkw++] = val;
}

/* Evaluate the arguments of a call / filter / test node. */
static void eval_args(jrender *r, const jnode *n, jscope *sc, argbuf *b) {
    b->a.pos = b->pos;
    b->a.kwv = b->kwv;
    b->a.kwn = b->kwn;
    b->a.npos = b->a.nkw = 0;
    for (int i = 0; i < n->nv; i++) {
        if (b->a.npos == MAX_ARGS) jr_fail(r, "TypeError", "too many arguments (at most %d)", MAX_ARGS);
        b->pos[b->a.npos++] = jr_eval(r, n->v[i], sc);
    }
    if (n->c) {
        jv dyn = jr_eval(r, n->c, sc);
        jlist *l = jr_iter_list(r, dyn);
        for (size_t i = 0; i < l->n; i++) {
            if (b->a.npos == MAX_ARGS) jr_fail(r, "TypeError", "too many arguments (at most %d)", MAX_ARGS);
            b->pos[b->a.npos++] = jv_retain(l->v[i]);
        }
        jobj_release(r, &l->h);
        jv_release(r, dyn);
    }
    for (int i = 0; i < n->nw; i++) add_kw(r, b, jv_retain(n->names[i]), jr_eval(r, n->w[i], sc));
    if (n->d) {
        jv dyn = jr_eval(r, n->d, sc);
        if (dyn.t != JV_DICT) jr_fail(r, "TypeError", "argument after ** must be a mapping, not %s", jv_type_name(dyn));
        jdict *d = JDICT(dyn);
        for (size_t i = 0; i < d->n; i++) {
            if (d->keys[i].t != JV_STR) jr_fail(r, "TypeError", "keywords must be strings");
            add_kw(r, b, jv_retain(d->keys[i]), jv_retain(d->vals[i]));
        }
        jv_release(r, dyn);
    }
}

/* Call a macro or a call block's caller (jinja2.runtime.Macro.__call__). */
static jv call_macro(jrender *r, jfunc *f, jargs *a) {
    const jnode *m = f->node;
    int flags = m->op;
    if (++r->call_depth > r->max_call_depth)
        jr_fail_code(r, QLM_ERR_UNSUPPORTED, "RecursionError", "maximum recursion depth exceeded (%d nested macro calls)",
                     r->max_call_depth);
    int np = m->nnames;
    jscope *sc = jscope_new(r, f->closure);
    bool used[MAX_ARGS] = {false};
    bool explicit_caller = false;
    for (int i = 0; i < np; i++)
        if (!strcmp(JSTR(m->names[i])->s, "caller")) explicit_caller = true;
    bool found_caller = false;
    /* parameters: positional first, then by keyword for those not given */
    jv vals[MAX_ARGS];
    bool have[MAX_ARGS] = {false};
    if (np > MAX_ARGS) jr_fail(r, "TypeError", "too many macro parameters");
    for (int i = 0; i < np && i < a->npos; i++) {
        vals[i] = jv_retain(a->pos[i]);
        have[i] = true;
    }
    if (a->npos < np) {
        for (int i = a->npos; i < np; i++) {
            for (int k = 0; k < a->nkw; k++) {
                if (!used[k] && jv_eq(r, a->kwn[k], m->names[i])) {
                    vals[i] = jv_retain(a->kwv[k]);
                    have[i] = true;
                    used[k] = true;
                    break;
                }
            }
            if (!strcmp(JSTR(m->names[i])->s, "caller")) found_caller = true;
        }
    } else {
        found_caller = explicit_caller;
    }
    jv caller = jv_undef0();
    bool set_caller = false;
    if ((flags & MF_CALLER) && !found_caller) {
        set_caller = true;
        caller = jv_undef(r, "No caller defined");
        for (int k = 0; k < a->nkw; k++)
            if (!used[k] && !strcmp(JSTR(a->kwn[k])->s, "caller")) {
                jv_release(r, caller);
                caller = jv_retain(a->kwv[k]);
                used[k] = true;
            }
    }
    jdict *kwargs = NULL;
    if (flags & MF_KWARGS) {
        kwargs = jd_new(r);
        for (int k = 0; k < a->nkw; k++)
            if (!used[k]) jd_set(r, kwargs, jv_retain(a->kwn[k]), jv_retain(a->kwv[k]));
    } else {
        for (int k = 0; k < a->nkw; k++) {
            if (used[k]) continue;
            if (!strcmp(JSTR(a->kwn[k])->s, "caller"))
                jr_fail(r, "TypeError", "macro '%s' was invoked with two values for the special caller argument. This is most likely a bug.", f->name);
            jr_fail(r, "TypeError", "macro '%s' takes no keyword argument '%s'", f->name, JSTR(a->kwn[k])->s);
        }
    }
    jlist *varargs = NULL;
    if (flags & MF_VARARGS) {
        varargs = jl_new(r, 0);
        varargs->kind = JL_TUPLE;
        for (int i = np; i < a->npos; i++) jl_push(r, varargs, jv_retain(a->pos[i]));
    } else if (a->npos > np) {
        jr_fail(r, "TypeError", "macro '%s' takes not more than %d argument(s)", f->name, np);
    }
    /* bind in order: a default may use the parameters before it */
    for (int i = 0; i < np; i++) {
        jv v;
        if (have[i]) v = vals[i];
        else if (m->w && m->w[i]) v = jr_eval(r, m->w[i], sc);
        else v = jv_undef(r, "parameter '%s' was not provided", JSTR(m->names[i])->s);
        jscope_set(r, sc, m->names[i], v);
    }
    if (set_caller) {
        jv nm = jv_strz(r, "caller");
        jscope_set(r, sc, nm, caller);
        jv_release(r, nm);
    }
    if (kwargs) {
        jv nm = jv_strz(r, "kwargs");
        jscope_set(r, sc, nm, jv_obj(JV_DICT, kwargs));
        jv_release(r, nm);
    }
    if (varargs) {
        jv nm = jv_strz(r, "varargs");
        jscope_set(r, sc, nm, jv_obj(JV_LIST, varargs));
        jv_release(r, nm);
    }
    jbufobj *out = jr_buf(r);
    qlm_buf *saved = r->out;
    r->out = &out->b;
    jr_exec(r, m->v, m->nv, sc);
    r->out = saved;
    r->flow = FLOW_NONE;
    jv res = jv_str_buf(r, &out->b);
    jobj_release(r, &out->h);
    jobj_release(r, &sc->h);
    r->call_depth--;
    return res;
}

static jv call_loop(jrender *r, jloop *l, jargs *a);

jv jr_call(jrender *r, jv fn, jargs *a) {
    if (fn.t == JV_UNDEF) jr_fail_undef(r, fn);
    if (fn.t == JV_LOOP) return call_loop(r, JLOOP(fn), a);
    if (fn.t != JV_FUNC) jr_fail(r, "TypeError", "'%s' object is not callable", jv_type_name(fn));
    jfunc *f = JFUNC(fn);
    switch (f->fk) {
    case FN_MACRO:
    case FN_CALLER: return call_macro(r, f, a);
    case FN_GLOBAL: return jb_call_global(r, f, a);
    case FN_METHOD: return jb_call_method(r, f->self, f->id, a);
    }
    jr_fail(r, "TypeError", "object is not callable");
}

static jv eval_call(jrender *r, const jnode *n, jscope *sc, jv *extra_name, jv *extra_val) {
    argbuf b;
    jv fn;
    const jnode *callee = n->a;
    if (callee->kind == N_GETATTR) {
        /* obj.method(...): call the method directly (no bound object) */
        jv obj = jr_eval(r, callee->a, sc);
        const char *name = JSTR(callee->s)->s;
        int id = (obj.t == JV_STR || obj.t == JV_DICT || obj.t == JV_LIST || obj.t == JV_LOOP) &&
                         !jb_method_unsafe(obj, name) && name[0] != '_'
                     ? jb_method_id(obj, name)
                     : -1;
        if (id >= 0) {
            eval_args(r, n, sc, &b);
            if (extra_name) add_kw(r, &b, *extra_name, *extra_val);
            jv res = jb_call_method(r, obj, id, &b.a);
            args_release(r, &b);
            jv_release(r, obj);
            return res;
        }
        fn = jr_getattr(r, obj, callee->s);
        jv_release(r, obj);
    } else {
        fn = jr_eval(r, callee, sc);
    }
    if (fn.t == JV_UNDEF) jr_fail_undef(r, fn);
    eval_args(r, n, sc, &b);
    if (extra_name) add_kw(r, &b, *extra_name, *extra_val);
    jv res = jr_call(r, fn, &b.a);
    args_release(r, &b);
    jv_release(r, fn);
    return res;
}

static jv eval_filter(jrender *r, const jnode *n, jscope *sc, const jv *input) {
    jv in;
    if (!n->a) in = jv_retain(*input);
    else if (n->a->kind == N_FILTER && input) in = eval_filter(r, n->a, sc, input);
    else in = jr_eval(r, n->a, sc);
    argbuf b;
    eval_args(r, n, sc, &b);
    jv res = jb_filter(r, JSTR(n->s)->s, in, &b.a, sc);
    args_release(r, &b);
    jv_release(r, in);
    return res;
}

/* ---- expressions ----------------------------------------------------------------------- */

static void count_step(jrender *r) { jr_tick(r); }

jv jr_eval(jrender *r, const jnode *n, jscope *sc) {
    count_step(r);
    if (++r->cdepth > JR_MAX_CDEPTH)
        jr_fail_code(r, QLM_ERR_UNSUPPORTED, "RecursionError", "maximum recursion depth exceeded");
    int saved_line = r->line;
    r->line = n->line;
    jv res;
    switch (n->kind) {
    case N_CONST: res = jv_retain(n->s); break;
    case N_NAME: {
        jv *v = scope_find(sc, JSTR(n->s));
        res = v ? jv_retain(*v) : jv_undef(r, "'%s' is undefined", JSTR(n->s)->s);
        break;
    }
    case N_LIST:
    case N_TUPLE: {
        jlist *l = jl_new(r, (size_t)n->nv);
        l->kind = n->kind == N_TUPLE ? JL_TUPLE : JL_LIST;
        for (int i = 0; i < n->nv; i++) jl_push(r, l, jr_eval(r, n->v[i], sc));
        res = jv_obj(JV_LIST, l);
        break;
    }
    case N_DICT: {
        jdict *d = jd_new(r);
        for (int i = 0; i < n->nv; i++) {
            jv k = jr_eval(r, n->v[i], sc);
            jv v = jr_eval(r, n->w[i], sc);
            jd_set(r, d, k, v);
        }
        res = jv_obj(JV_DICT, d);
        break;
    }
    case N_GETATTR: {
        jv obj = jr_eval(r, n->a, sc);
        res = jr_getattr(r, obj, n->s);
        jv_release(r, obj);
        break;
    }
    case N_GETITEM: {
        jv obj = jr_eval(r, n->a, sc);
        if (n->b->kind == N_SLICE) {
            const jnode *s = n->b;
            jv st = s->a ? jr_eval(r, s->a, sc) : jv_none();
            jv sp = s->b ? jr_eval(r, s->b, sc) : jv_none();
            jv ss = s->c ? jr_eval(r, s->c, sc) : jv_none();
            res = do_slice(r, obj, st, sp, ss);
            jv_release(r, st);
            jv_release(r, sp);
            jv_release(r, ss);
        } else {
            jv key = jr_eval(r, n->b, sc);
            res = jr_getitem(r, obj, key);
            jv_release(r, key);
        }
        jv_release(r, obj);
        break;
    }
    case N_SLICE: jr_fail(r, "TemplateSyntaxError", "slice outside of a subscript");
    case N_CALL: res = eval_call(r, n, sc, NULL, NULL); break;
    case N_FILTER: res = eval_filter(r, n, sc, NULL); break;
    case N_TEST: {
        jv v = jr_eval(r, n->a, sc);
        argbuf b;
        eval_args(r, n, sc, &b);
        bool t = jb_test(r, JSTR(n->s)->s, v, &b.a);
        args_release(r, &b);
        jv_release(r, v);
        res = jv_bool(t);
        break;
    }
    case N_BINOP: {
        jv a = jr_eval(r, n->a, sc);
        jv b = jr_eval(r, n->b, sc);
        res = jr_binop(r, n->op, a, b);
        jv_release(r, a);
        jv_release(r, b);
        break;
    }
    case N_UNARY: {
        jv a = jr_eval(r, n->a, sc);
        if (a.t == JV_UNDEF) jr_fail_undef(r, a);
        if (!jv_is_num(a))
            jr_fail(r, "TypeError", "bad operand type for unary %s: '%s'", n->op == OPX_NEG ? "-" : "+", jv_type_name(a));
        if (a.t == JV_FLOAT) res = jv_float(n->op == OPX_NEG ? -a.u.f : a.u.f);
        else {
            int64_t x = jv_as_int(a);
            if (n->op == OPX_NEG && x == INT64_MIN) overflow(r);
            res = jv_int(n->op == OPX_NEG ? -x : x);
        }
        break;
    }
    case N_COMPARE: {
        jv left = jr_eval(r, n->a, sc);
        bool ok = true;
        for (int i = 0; i < n->nv && ok; i++) {
            jv right = jr_eval(r, n->v[i], sc);
            ok = compare(r, n->ops[i], left, right);
            jv_release(r, left);
            left = right;
        }
        jv_release(r, left);
        res = jv_bool(ok);
        break;
    }
    case N_AND: {
        jv a = jr_eval(r, n->a, sc);
        if (!jv_truthy(a)) { res = a; break; }
        jv_release(r, a);
        res = jr_eval(r, n->b, sc);
        break;
    }
    case N_OR: {
        jv a = jr_eval(r, n->a, sc);
        if (jv_truthy(a)) { res = a; break; }
        jv_release(r, a);
        res = jr_eval(r, n->b, sc);
        break;
    }
    case N_NOT: {
        jv a = jr_eval(r, n->a, sc);
        res = jv_bool(!jv_truthy(a));
        jv_release(r, a);
        break;
    }
    case N_COND: {
        jv t = jr_eval(r, n->a, sc);
        bool yes = jv_truthy(t);
        jv_release(r, t);
        if (yes) res = jr_eval(r, n->b, sc);
        else if (n->c) res = jr_eval(r, n->c, sc);
        else res = jv_undef(r, "the inline if-expression on line %d evaluated to false and no else section was defined.", n->line);
        break;
    }
    case N_CONCAT: {
        jbufobj *t = jr_buf(r);
        for (int i = 0; i < n->nv; i++) {
            jv v = jr_eval(r, n->v[i], sc);
            jv_write_str(r, &t->b, v);
            jv_release(r, v);
            jr_out_check(r, &t->b);
        }
        res = jv_str_buf(r, &t->b);
        jobj_release(r, &t->h);
        break;
    }
    default: jr_fail(r, "TemplateRuntimeError", "cannot evaluate this node");
    }
    r->line = saved_line;
    r->cdepth--;
    return res;
}

/* ---- statements ------------------------------------------------------------------------ */

static void assign(jrender *r, const jnode *target, jv val, jscope *sc) {
    switch (target->kind) {
    case N_NAME: jscope_set(r, sc, target->s, val); return;
    case N_NSREF: {
        jv *ns = scope_find(sc, JSTR(target->s));
        if (!ns || ns->t != JV_NS) {
            jv_release(r, val);
            jr_fail(r, "TemplateRuntimeError", "cannot assign attribute on non-namespace object");
        }
        jns *o = JNS(*ns);
        jd_set(r, o->attrs, jv_retain(target->names[0]), val);
        if (o->attrs->h.depth + 1 > o->h.depth) o->h.depth = (uint16_t)(o->attrs->h.depth + 1);
        if (o->h.depth > JR_MAX_VDEPTH) jr_fail(r, "RecursionError", "maximum recursion depth exceeded");
        return;
    }
    case N_TUPLE: {
        if (val.t != JV_LIST && val.t != JV_STR && val.t != JV_DICT && val.t != JV_UNDEF)
            jr_fail(r, "TypeError", "cannot unpack non-iterable %s object", jv_type_name(val));
        jlist *l = jr_iter_list(r, val);
        if (l->n < (size_t)target->nv)
            jr_fail(r, "ValueError", "not enough values to unpack (expected %d, got %zu)", target->nv, l->n);
        if (l->n > (size_t)target->nv)
            jr_fail(r, "ValueError", "too many values to unpack (expected %d)", target->nv);
        for (int i = 0; i < target->nv; i++) assign(r, target->v[i], jv_retain(l->v[i]), sc);
        jobj_release(r, &l->h);
        jv_release(r, val);
        return;
    }
    default: jr_fail(r, "TemplateRuntimeError", "cannot assign to this target");
    }
}

/* Run for-loop n over iterv in scope sc (depth > 1: a recursive loop(...) call). */
static void run_loop(jrender *r, const jnode *n, jv iterv, jscope *sc, int depth) {
    jlist *items = jr_iter_list(r, iterv);
    if (n->c) { /* {% for x in xs if cond %}: filter first, loop.* counts what is left */
        jlist *kept = jl_new(r, 0);
        for (size_t i = 0; i < items->n; i++) {
            jscope *t = jscope_new(r, sc);
            assign(r, n->a, jv_retain(items->v[i]), t);
            jv c = jr_eval(r, n->c, t);
            if (jv_truthy(c)) jl_push(r, kept, jv_retain(items->v[i]));
            jv_release(r, c);
            jobj_release(r, &t->h);
        }
        jobj_release(r, &items->h);
        items = kept;
    }
    if (items->n == 0) {
        jobj_release(r, &items->h);
        if (n->nw) {
            jscope *e = jscope_new(r, sc);
            jr_exec(r, n->w, n->nw, e);
            jobj_release(r, &e->h);
        }
        return;
    }
    jloop *L = jr_alloc(r, K_LOOP, sizeof(jloop));
    L->items = items; /* takes the reference */
    L->depth = depth;
    if (n->op) { /* recursive: loop(x) runs this loop again over x */
        L->node = n;
        L->scope = sc;
        sc->h.rc++;
    }
    jv loopv = jv_obj(JV_LOOP, L);
    jv loop_name = jv_strz(r, "loop");
    jscope *it = NULL;
    for (size_t i = 0; i < items->n; i++) {
        L->i = i;
        /* each iteration starts with fresh variables; the scope object itself is
         * reused unless something (a macro defined in the body) still holds it */
        if (it && it->h.rc == 1) jd_clear(r, it->vars);
        else {
            if (it) jobj_release(r, &it->h);
            it = jscope_new(r, sc);
        }
        assign(r, n->a, jv_retain(items->v[i]), it);
        jscope_set(r, it, loop_name, jv_retain(loopv));
        jr_exec(r, n->v, n->nv, it);
        if (r->flow == FLOW_BREAK) { r->flow = FLOW_NONE; break; }
        if (r->flow == FLOW_CONTINUE) r->flow = FLOW_NONE;
    }
    if (it) jobj_release(r, &it->h);
    jv_release(r, loop_name);
    jv_release(r, loopv);
}

static void exec_for(jrender *r, const jnode *n, jscope *sc) {
    jv iterv = jr_eval(r, n->b, sc);
    run_loop(r, n, iterv, sc, 1);
    jv_release(r, iterv);
}

/* loop(x) in a recursive for loop: the loop's body over x, one level deeper */
static jv call_loop(jrender *r, jloop *l, jargs *a) {
    if (!l->node) jr_fail(r, "TypeError", "The loop must have the 'recursive' marker to be called recursively.");
    if (a->npos != 1 || a->nkw) jr_fail(r, "TypeError", "loop() takes exactly one argument");
    if (++r->call_depth > r->max_call_depth)
        jr_fail_code(r, QLM_ERR_UNSUPPORTED, "RecursionError", "maximum recursion depth exceeded (%d nested calls)", r->max_call_depth);
    jbufobj *out = jr_buf(r);
    qlm_buf *saved = r->out;
    r->out = &out->b;
    run_loop(r, l->node, a->pos[0], l->scope, l->depth + 1);
    r->out = saved;
    jv res = jv_str_buf(r, &out->b);
    jobj_release(r, &out->h);
    r->call_depth--;
    return res;
}

static void out_write(jrender *r, jv v) {
    jv_write_str(r, r->out, v);
    jr_out_check(r, r->out);
}

static jv render_body(jrender *r, jnode *const *body, int n, jscope *sc) {
    jbufobj *t = jr_buf(r);
    qlm_buf *saved = r->out;
    r->out = &t->b;
    jr_exec(r, body, n, sc);
    r->out = saved;
    jv s = jv_str_buf(r, &t->b);
    jobj_release(r, &t->h);
    return s;
}

static void exec_one(jrender *r, const jnode *n, jscope *sc) {
    count_step(r);
    if (++r->cdepth > JR_MAX_CDEPTH)
        jr_fail_code(r, QLM_ERR_UNSUPPORTED, "RecursionError", "maximum recursion depth exceeded");
    r->line = n->line;
    switch (n->kind) {
    case S_TEXT:
        qlm_buf_put(r->out, JSTR(n->s)->s, JSTR(n->s)->len);
        jr_out_check(r, r->out);
        break;
    case S_OUTPUT: {
        jv v = jr_eval(r, n->a, sc);
        out_write(r, v);
        jv_release(r, v);
        break;
    }
    case S_IF: {
        jv c = jr_eval(r, n->a, sc);
        bool t = jv_truthy(c);
        jv_release(r, c);
        if (t) jr_exec(r, n->v, n->nv, sc);
        else jr_exec(r, n->w, n->nw, sc);
        break;
    }
    case S_FOR: exec_for(r, n, sc); break;
    case S_SET: assign(r, n->a, jr_eval(r, n->b, sc), sc); break;
    case S_SETBLOCK: {
        jscope *inner = jscope_new(r, sc);
        jv s = render_body(r, n->v, n->nv, inner);
        jobj_release(r, &inner->h);
        if (r->flow) { /* break/continue inside: the block never finishes, nothing is set */
            jv_release(r, s);
            break;
        }
        if (n->c) {
            jv f = eval_filter(r, n->c, sc, &s);
            jv_release(r, s);
            s = f;
        }
        assign(r, n->a, s, sc);
        break;
    }
    case S_MACRO:
    case S_CALLBLOCK: {
        jfunc *f = jr_alloc(r, K_FUNC, sizeof(jfunc));
        f->fk = n->kind == S_MACRO ? FN_MACRO : FN_CALLER;
        f->node = n;
        f->closure = sc;
        sc->h.rc++;
        f->name = n->kind == S_MACRO ? JSTR(n->s)->s : "caller";
        jv fv = jv_obj(JV_FUNC, f);
        if (n->kind == S_MACRO) {
            jscope_set(r, sc, n->s, fv);
            break;
        }
        jv name = jv_strz(r, "caller");
        jv res = eval_call(r, n->a, sc, &name, &fv);
        out_write(r, res);
        jv_release(r, res);
        break;
    }
    case S_FILTERBLOCK: {
        jv s = render_body(r, n->v, n->nv, sc);
        if (r->flow) { /* break/continue inside: the block's text is dropped */
            jv_release(r, s);
            break;
        }
        jv f = eval_filter(r, n->a, sc, &s);
        jv_release(r, s);
        out_write(r, f);
        jv_release(r, f);
        break;
    }
    case S_SCOPE: {
        jscope *inner = jscope_new(r, sc);
        jr_exec(r, n->v, n->nv, inner);
        jobj_release(r, &inner->h);
        break;
    }
    case S_BREAK: r->flow = FLOW_BREAK; break;
    case S_CONTINUE: r->flow = FLOW_CONTINUE; break;
    default: jr_fail(r, "TemplateRuntimeError", "cannot execute this node");
    }
    r->cdepth--;
}

void jr_exec(jrender *r, jnode *const *body, int n, jscope *sc) {
    for (int i = 0; i < n; i++) {
        exec_one(r, body[i], sc);
        if (r->flow) return;
    }
}

/* ---- render ---------------------------------------------------------------------------- */

qlm_status qlm_tmpl_render(const qlm_tmpl *t, const qlm_json *ctx, const qlm_tmpl_var *vars,
                           int n_vars, const qlm_tmpl_opts *opts, char **out, size_t *out_len,
                           qlm_error *err, qlm_tmpl_diag *diag) {
    *out = NULL;
    if (out_len) *out_len = 0;
    if (diag) memset(diag, 0, sizeof *diag);
    if (!t) return qlm_set_error(err, QLM_ERR_INVALID_ARG, "template: NULL template");
    if (ctx && ctx->type != QLM_JSON_OBJECT)
        return qlm_set_error(err, QLM_ERR_INVALID_ARG, "template: the context must be a JSON object");
    for (int i = 0; i < n_vars; i++)
        if (!vars[i].name) return qlm_set_error(err, QLM_ERR_INVALID_ARG, "template: variable %d has no name", i);
    jrender *r = calloc(1, sizeof *r);
    if (!r) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    r->live.next = r->live.prev = &r->live;
    r->max_output = opts && opts->max_output ? opts->max_output : (64u << 20);
    r->mem_limit = opts && opts->max_memory ? opts->max_memory : ((size_t)512 << 20);
    r->max_steps = opts && opts->max_steps ? opts->max_steps : 10000000ull;
    r->max_call_depth = opts && opts->max_call_depth > 0 ? opts->max_call_depth : 200;
    if (opts && opts->now) r->now = *opts->now;
    else {
        time_t now = time(NULL);
        localtime_r(&now, &r->now);
    }
    r->main_out.limit = r->max_output;
    if (setjmp(r->jb)) {
        qlm_status code = r->code ? r->code : QLM_ERR_FORMAT;
        qlm_set_error(err, code, "%s", r->errmsg);
        if (diag) {
            diag->line = r->errline;
            diag->raised = r->raised;
            snprintf(diag->type, sizeof diag->type, "%s", r->errtype);
        }
        qlm_buf_free(&r->main_out);
        jr_free_all(r);
        free(r);
        return code;
    }
    r->globals = jscope_new(r, NULL);
    jb_add_globals(r, r->globals);
    jscope *cs = jscope_new(r, r->globals);
    if (ctx)
        for (uint32_t i = 0; i < ctx->len; i++) {
            const qlm_json *k = &ctx->u.items[2 * i];
            jv name = jv_str(r, k->str, k->len);
            jscope_set(r, cs, name, jv_from_json(r, &ctx->u.items[2 * i + 1], 0));
            jv_release(r, name);
        }
    for (int i = 0; i < n_vars; i++) {
        jv name = jv_strz(r, vars[i].name);
        jv v = vars[i].json ? jv_from_json(r, vars[i].json, 0)
             : vars[i].str ? jv_strz(r, vars[i].str)
             : jv_bool(vars[i].boolean);
        jscope_set(r, cs, name, v);
        jv_release(r, name);
    }
    jscope *root = jscope_new(r, cs);
    r->out = &r->main_out;
    jr_exec(r, t->body, t->nbody, root);
    jr_out_check(r, &r->main_out);
    *out = qlm_buf_take(&r->main_out, out_len);
    jr_free_all(r);
    free(r);
    if (!*out) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    return QLM_OK;
}
