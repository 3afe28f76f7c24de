/* Jinja2 3.1 built-in filters and tests, Hugging Face's tojson / raise_exception /
 * strftime_now, and the other globals (range, dict, namespace). Each follows the
 * Python implementation in jinja2/filters.py and jinja2/tests.py. */
#include "jinja_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* string helpers from jinja_methods.c */
jv js_case(jrender *r, jv sv, int mode);
jv js_strip(jrender *r, jv sv, const jstr *chars, int which);
jv js_replace(jrender *r, jv sv, const jstr *old, const jstr *new_, int64_t count);
jlist *js_split(jrender *r, jv sv, jv sep, int64_t maxsplit, bool right);
jlist *js_splitlines(jrender *r, jstr *s, bool keepends);
jv js_center(jrender *r, jv sv, int64_t width);
jv jr_percent_format(jrender *r, jv fmt, jv args);

static jv take_buf(jrender *r, jbufobj *t) {
    jv s = jv_str_buf(r, &t->b);
    jobj_release(r, &t->h);
    return s;
}

/* soft_str: str(value), Undefined as "" */
static jv soft_str(jrender *r, jv v) {
    jv s = jv_to_str(r, v);
    s.safe = v.t == JV_STR && v.safe;
    return s;
}

static int64_t arg_int(jrender *r, jv v, const char *what) {
    if (v.t == JV_UNDEF) jr_fail_undef(r, v);
    if (!jv_is_intlike(v)) jr_fail(r, "TypeError", "%s must be an integer, not %s", what, jv_type_name(v));
    return jv_as_int(v);
}

static jstr *arg_str(jrender *r, jv v, const char *what) {
    if (v.t == JV_UNDEF) jr_fail_undef(r, v);
    if (v.t != JV_STR) jr_fail(r, "TypeError", "%s must be a string, not %s", what, jv_type_name(v));
    return JSTR(v);
}

static jv ignore_case(jrender *r, jv v) {
    return v.t == JV_STR ? js_case(r, v, 0) : jv_retain(v);
}

/* jinja2.filters.make_attrgetter: item -> item[part][part]... ("a.b.0"); default for
 * Undefined results; optional lower-casing of strings. */
static jv attr_get(jrender *r, jv item, jv attribute, jv dflt, bool lower) {
    jv cur = jv_retain(item);
    if (attribute.t == JV_STR) {
        jstr *a = JSTR(attribute);
        size_t i = 0;
        for (;;) {
            size_t j = i;
            while (j < a->len && a->s[j] != '.') j++;
            bool digits = j > i;
            for (size_t k = i; k < j; k++)
                if (a->s[k] < '0' || a->s[k] > '9') digits = false;
            jv key = digits ? jv_int(strtoll(a->s + i, NULL, 10)) : jv_str(r, a->s + i, j - i);
            jv next = jr_getitem(r, cur, key);
            jv_release(r, key);
            jv_release(r, cur);
            cur = next;
            if (dflt.t != JV_NONE && dflt.t != JV_UNDEF && cur.t == JV_UNDEF) {
                jv_release(r, cur);
                cur = jv_retain(dflt);
            }
            if (j >= a->len) break;
            i = j + 1;
        }
    } else if (attribute.t != JV_NONE && attribute.t != JV_UNDEF) {
        jv next = jr_getitem(r, cur, attribute);
        jv_release(r, cur);
        cur = next;
        if (dflt.t != JV_NONE && dflt.t != JV_UNDEF && cur.t == JV_UNDEF) {
            jv_release(r, cur);
            cur = jv_retain(dflt);
        }
    }
    if (lower) {
        jv l = ignore_case(r, cur);
        jv_release(r, cur);
        cur = l;
    }
    return cur;
}

static jv list_of(jlist *l) { return jv_obj(JV_LIST, l); }

/* The filters written as Python generator functions (map, select, unique, ...) */
static jv gen_of(jlist *l) {
    l->kind = JL_GEN;
    return jv_obj(JV_LIST, l);
}

static jv pair(jrender *r, jv a, jv b) {
    jlist *p = jl_new(r, 2);
    p->kind = JL_TUPLE;
    jl_push(r, p, a);
    jl_push(r, p, b);
    return list_of(p);
}

/* Stable merge sort of l->v by keys[] (parallel array), comparing with jv_cmp. */
static void sort_by_keys(jrender *r, jv *v, jv *keys, size_t n, bool reverse, jv *tv, jv *tk) {
    if (n < 2) return;
    size_t m = n / 2;
    sort_by_keys(r, v, keys, m, reverse, tv, tk);
    sort_by_keys(r, v + m, keys + m, n - m, reverse, tv, tk);
    size_t i = 0, j = m, k = 0;
    while (i < m && j < n) {
        int c = jv_cmp(r, keys[j], keys[i], "<");
        /* take from the right only when strictly before (keeps equal items in order) */
        bool right = reverse ? (c > 0 && c != 2) : (c < 0);
        if (right) { tv[k] = v[j]; tk[k++] = keys[j++]; }
        else { tv[k] = v[i]; tk[k++] = keys[i++]; }
    }
    while (i < m) { tv[k] = v[i]; tk[k++] = keys[i++]; }
    while (j < n) { tv[k] = v[j]; tk[k++] = keys[j++]; }
    memcpy(v, tv, n * sizeof *v);
    memcpy(keys, tk, n * sizeof *keys);
}

/* A sorted copy of items (a list), by keys (a list of the same length; consumed). */
static jlist *sorted_list(jrender *r, jlist *items, jlist *keys, bool reverse) {
    jlist *out = jl_new(r, items->n);
    for (size_t i = 0; i < items->n; i++) jl_push(r, out, jv_retain(items->v[i]));
    if (items->n >= 2) { /* (with fewer, the scratch list would have no storage at all) */
        jlist *tmp = jl_new(r, 2 * items->n);
        for (size_t i = 0; i < 2 * items->n; i++) jl_push(r, tmp, jv_none());
        sort_by_keys(r, out->v, keys->v, out->n, reverse, tmp->v, tmp->v + items->n);
        tmp->n = 0; /* holds borrowed copies only */
        jobj_release(r, &tmp->h);
    }
    jobj_release(r, &keys->h);
    return out;
}

/* ---- filters --------------------------------------------------------------------------- */

typedef jv (*filter_fn)(jrender *r, jv in, jargs *a, jscope *sc);

static jv f_abs(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "do_abs");
    if (in.t == JV_FLOAT) return jv_float(fabs(in.u.f));
    if (jv_is_intlike(in)) {
        int64_t x = jv_as_int(in);
        if (x == INT64_MIN) jr_fail(r, "OverflowError", "integer result does not fit in 64 bits");
        return jv_int(x < 0 ? -x : x);
    }
    jr_fail(r, "TypeError", "bad operand type for abs(): '%s'", jv_type_name(in));
}

static jv f_attr(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"name", NULL};
    ja_check(r, a, 1, kw, "do_attr");
    jv name = ja_get(r, a, 0, "name", jv_undef0());
    if (name.t != JV_STR) return jv_undef_attr(r, in, name);
    /* only Python attributes (no item lookup): methods, namespace and loop attributes */
    if (in.t == JV_NS || in.t == JV_LOOP) return jr_getattr(r, in, name);
    if (in.t == JV_UNDEF) jr_fail_undef(r, in);
    if ((in.t == JV_STR || in.t == JV_DICT || in.t == JV_LIST) && jb_method_id(in, JSTR(name)->s) >= 0)
        return jr_getattr(r, in, name);
    return jv_undef_attr(r, in, name);
}

static jv f_batch(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"linecount", "fill_with", NULL};
    ja_check(r, a, 2, kw, "do_batch");
    int64_t n = arg_int(r, ja_get(r, a, 0, "linecount", jv_int(0)), "linecount");
    jv fill = ja_get(r, a, 1, "fill_with", jv_none());
    jlist *items = jr_iter_list(r, in), *out = jl_new(r, 0), *cur = NULL;
    if (n <= 0) jr_fail(r, "ValueError", "batch linecount must be positive");
    for (size_t i = 0; i < items->n; i++) {
        if (cur && (int64_t)cur->n == n) { jl_push(r, out, list_of(cur)); cur = NULL; }
        if (!cur) cur = jl_new(r, 0);
        jl_push(r, cur, jv_retain(items->v[i]));
    }
    if (cur) {
        if (fill.t != JV_NONE)
            while ((int64_t)cur->n < n) jl_push(r, cur, jv_retain(fill));
        jl_push(r, out, list_of(cur));
    }
    jobj_release(r, &items->h);
    return gen_of(out);
}

static jv f_capitalize(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "do_capitalize");
    jv s = soft_str(r, in), res = js_case(r, s, 3);
    jv_release(r, s);
    return res;
}

static jv f_center(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"width", NULL};
    ja_check(r, a, 1, kw, "do_center");
    jv s = soft_str(r, in), res = js_center(r, s, arg_int(r, ja_get(r, a, 0, "width", jv_int(80)), "width"));
    jv_release(r, s);
    return res;
}

static jv f_default(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"default_value", "boolean", NULL};
    ja_check(r, a, 2, kw, "do_default");
    jv dflt = ja_get(r, a, 0, "default_value", jv_undef0());
    bool boolean = jv_truthy(ja_get(r, a, 1, "boolean", jv_bool(false)));
    if (in.t == JV_UNDEF || (boolean && !jv_truthy(in)))
        return dflt.t == JV_UNDEF && !dflt.u.o ? jv_str(r, "", 0) : jv_retain(dflt);
    return jv_retain(in);
}

static jv f_dictsort(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"case_sensitive", "by", "reverse", NULL};
    ja_check(r, a, 3, kw, "do_dictsort");
    bool cs = jv_truthy(ja_get(r, a, 0, "case_sensitive", jv_bool(false)));
    jv by = ja_get(r, a, 1, "by", jv_undef0());
    bool reverse = jv_truthy(ja_get(r, a, 2, "reverse", jv_bool(false)));
    int pos = 0;
    if (by.t == JV_STR) {
        if (!strcmp(JSTR(by)->s, "value")) pos = 1;
        else if (strcmp(JSTR(by)->s, "key")) jr_fail(r, "FilterArgumentError", "You can only sort by either \"key\" or \"value\"");
    }
    if (in.t == JV_UNDEF) jr_fail_undef(r, in);
    if (in.t != JV_DICT) jr_fail(r, "AttributeError", "'%s' object has no attribute 'items'", jv_type_name(in));
    jdict *d = JDICT(in);
    jlist *items = jl_new(r, d->n), *keys = jl_new(r, d->n);
    for (size_t i = 0; i < d->n; i++) {
        jl_push(r, items, pair(r, jv_retain(d->keys[i]), jv_retain(d->vals[i])));
        jv k = pos ? d->vals[i] : d->keys[i];
        jl_push(r, keys, cs ? jv_retain(k) : ignore_case(r, k));
    }
    jlist *out = sorted_list(r, items, keys, reverse);
    jobj_release(r, &items->h);
    return list_of(out);
}

static void html_escape_to(qlm_buf *b, const char *s, size_t n) {
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

static jv escape_str(jrender *r, jv in, bool force) {
    if (in.t == JV_STR && in.safe && !force) return jv_retain(in);
    jv s = soft_str(r, in);
    jbufobj *t = jr_buf(r);
    html_escape_to(&t->b, JSTR(s)->s, JSTR(s)->len);
    jv_release(r, s);
    jv res = take_buf(r, t);
    res.safe = 1;
    return res;
}

static jv f_escape(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "escape");
    return escape_str(r, in, false);
}

static jv f_forceescape(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "do_forceescape");
    return escape_str(r, in, true);
}

static jv f_first(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "do_first");
    if (in.t == JV_LIST && jl_oneshot(JLIST(in))) { /* next(iter(gen)) takes one item */
        jlist *g = JLIST(in);
        if (!g->n) return jv_undef(r, "No first item, sequence was empty.");
        jv res = g->v[0];
        memmove(g->v, g->v + 1, (g->n - 1) * sizeof(jv));
        g->n--;
        return res;
    }
    jlist *l = jr_iter_list(r, in);
    jv res = l->n ? jv_retain(l->v[0]) : jv_undef(r, "No first item, sequence was empty.");
    jobj_release(r, &l->h);
    return res;
}

static jv f_last(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "do_last");
    if (in.t == JV_UNDEF) return jv_undef(r, "No last item, sequence was empty.");
    if ((in.t != JV_LIST && in.t != JV_STR && in.t != JV_DICT) || (in.t == JV_LIST && jl_oneshot(JLIST(in))))
        jr_fail(r, "TypeError", "'%s' object is not reversible", jv_type_name(in));
    jlist *l = jr_iter_list(r, in);
    jv res = l->n ? jv_retain(l->v[l->n - 1]) : jv_undef(r, "No last item, sequence was empty.");
    jobj_release(r, &l->h);
    return res;
}

/* Python's float(str): surrounding whitespace, '_' between digits, inf/nan. */
static bool parse_py_float(const jstr *s, double *out) {
    char buf[128];
    size_t a = 0, b = s->len, k = 0;
    while (a < b && py_isspace((unsigned char)s->s[a])) a++;
    while (b > a && py_isspace((unsigned char)s->s[b - 1])) b--;
    if (a == b || b - a >= sizeof buf) return false;
    for (size_t i = a; i < b; i++) {
        char c = s->s[i];
        if (c == '_') {
            if (i == a || i + 1 == b || !(s->s[i - 1] >= '0' && s->s[i - 1] <= '9') ||
                !(s->s[i + 1] >= '0' && s->s[i + 1] <= '9'))
                return false;
            continue;
        }
        if (c == 'x' || c == 'X' || c == 'p' || c == 'P') return false; /* no hex floats */
        buf[k++] = c;
    }
    buf[k] = 0;
    const char *q = buf + (buf[0] == '+' || buf[0] == '-');
    if (!strcasecmp(q, "inf") || !strcasecmp(q, "infinity")) { *out = buf[0] == '-' ? -INFINITY : INFINITY; return true; }
    if (!strcasecmp(q, "nan")) { *out = NAN; return true; }
    if (!((q[0] >= '0' && q[0] <= '9') || q[0] == '.')) return false;
    char *end;
    *out = strtod(buf, &end);
    return *end == 0;
}

/* Python's int(str, base) */
static bool parse_py_int(const jstr *s, int64_t base, int64_t *out) {
    size_t a = 0, b = s->len;
    while (a < b && py_isspace((unsigned char)s->s[a])) a++;
    while (b > a && py_isspace((unsigned char)s->s[b - 1])) b--;
    bool neg = false;
    if (a < b && (s->s[a] == '+' || s->s[a] == '-')) neg = s->s[a++] == '-';
    if (base == 0 || base == 16 || base == 8 || base == 2) {
        if (b - a > 2 && s->s[a] == '0') {
            char p = (char)(s->s[a + 1] | 0x20);
            int pb = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
            if (pb && (base == 0 || base == pb)) { base = pb; a += 2; if (a < b && s->s[a] == '_') a++; }
        }
        if (base == 0) base = 10;
    }
    if (base < 2 || base > 36 || a >= b) return false;
    uint64_t v = 0;
    bool prev_digit = false;
    for (size_t i = a; i < b; i++) {
        char c = s->s[i];
        if (c == '_') {
            if (!prev_digit || i + 1 == b) return false;
            prev_digit = false;
            continue;
        }
        int d = (c >= '0' && c <= '9') ? c - '0' : ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ? (c | 0x20) - 'a' + 10 : 99;
        if (d >= base) return false;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return false;
        v = v * (uint64_t)base + (uint64_t)d;
        prev_digit = true;
    }
    if (v > (uint64_t)INT64_MAX + (neg ? 1 : 0)) return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static jv f_float(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"default", NULL};
    ja_check(r, a, 1, kw, "do_float");
    jv dflt = ja_get(r, a, 0, "default", jv_float(0.0));
    if (in.t == JV_UNDEF) jr_fail_undef(r, in);
    if (jv_is_num(in)) return jv_float(jv_as_f(in));
    double d;
    if (in.t == JV_STR && parse_py_float(JSTR(in), &d)) return jv_float(d);
    return jv_retain(dflt);
}

static jv f_int(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"default", "base", NULL};
    ja_check(r, a, 2, kw, "do_int");
    jv dflt = ja_get(r, a, 0, "default", jv_int(0));
    int64_t base = arg_int(r, ja_get(r, a, 1, "base", jv_int(10)), "base");
    if (in.t == JV_UNDEF) jr_fail_undef(r, in);
    if (jv_is_intlike(in)) return jv_int(jv_as_int(in));
    if (in.t == JV_FLOAT) {
        if (!isfinite(in.u.f) || fabs(in.u.f) >= 9.2233720368547758e18) return jv_retain(dflt);
        return jv_int((int64_t)in.u.f);
    }
    if (in.t == JV_STR) {
        int64_t v;
        if (parse_py_int(JSTR(in), base, &v)) return jv_int(v);
        double d; /* "42.23"|int gives 42 */
        if (parse_py_float(JSTR(in), &d) && isfinite(d) && fabs(d) < 9.2233720368547758e18) return jv_int((int64_t)d);
    }
    return jv_retain(dflt);
}

static jv f_format(jrender *r, jv in, jargs *a, jscope *sc) {
    if (a->npos && a->nkw) jr_fail(r, "FilterArgumentError", "can't handle positional and keyword arguments at the same time");
    jv s = soft_str(r, in), args;
    if (a->nkw) {
        jdict *d = jd_new(r);
        for (int i = 0; i < a->nkw; i++) jd_set(r, d, jv_retain(a->kwn[i]), jv_retain(a->kwv[i]));
        args = jv_obj(JV_DICT, d);
    } else {
        jlist *l = jl_new(r, (size_t)a->npos);
        l->kind = JL_TUPLE;
        for (int i = 0; i < a->npos; i++) jl_push(r, l, jv_retain(a->pos[i]));
        args = list_of(l);
    }
    jv res = jr_percent_format(r, s, args);
    jv_release(r, args);
    jv_release(r, s);
    return res;
}

static jv f_groupby(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"attribute", "default", "case_sensitive", NULL};
    ja_check(r, a, 3, kw, "do_groupby");
    jv attr = ja_get(r, a, 0, "attribute", jv_none());
    jv dflt = ja_get(r, a, 1, "default", jv_none());
    bool cs = jv_truthy(ja_get(r, a, 2, "case_sensitive", jv_bool(false)));
    jlist *items = jr_iter_list(r, in), *keys = jl_new(r, items->n);
    for (size_t i = 0; i < items->n; i++) jl_push(r, keys, attr_get(r, items->v[i], attr, dflt, !cs));
    jlist *sorted = sorted_list(r, items, keys, false);
    jobj_release(r, &items->h);
    jlist *out = jl_new(r, 0), *group = NULL;
    jv gkey = jv_undef0();
    for (size_t i = 0; i < sorted->n; i++) {
        jv k = attr_get(r, sorted->v[i], attr, dflt, !cs);
        if (!group || !jv_eq(r, k, gkey)) {
            if (group) jl_push(r, out, pair(r, attr_get(r, group->v[0], attr, dflt, false), list_of(group)));
            group = jl_new(r, 0);
            jv_release(r, gkey);
            gkey = jv_retain(k);
        }
        jl_push(r, group, jv_retain(sorted->v[i]));
        jv_release(r, k);
    }
    if (group) jl_push(r, out, pair(r, attr_get(r, group->v[0], attr, dflt, false), list_of(group)));
    jv_release(r, gkey);
    jobj_release(r, &sorted->h);
    return list_of(out);
}

static jv f_indent(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"width", "first", "blank", NULL};
    ja_check(r, a, 3, kw, "do_indent");
    jv width = ja_get(r, a, 0, "width", jv_int(4));
    bool first = jv_truthy(ja_get(r, a, 1, "first", jv_bool(false)));
    bool blank = jv_truthy(ja_get(r, a, 2, "blank", jv_bool(false)));
    /* do_indent starts with `s += "\n"` and then calls s.splitlines() */
    if (in.t == JV_UNDEF) jr_fail_undef(r, in);
    if (in.t == JV_LIST && JLIST(in)->kind == JL_LIST)
        jr_fail(r, "AttributeError", "'list' object has no attribute 'splitlines'");
    if (in.t == JV_LIST && JLIST(in)->kind == JL_TUPLE)
        jr_fail(r, "TypeError", "can only concatenate tuple (not \"str\") to tuple");
    if (in.t != JV_STR) jr_fail(r, "TypeError", "unsupported operand type(s) for +=: '%s' and 'str'", jv_type_name(in));
    jbufobj *ind = jr_buf(r);
    if (width.t == JV_STR) qlm_buf_put(&ind->b, JSTR(width)->s, JSTR(width)->len);
    else {
        int64_t w = arg_int(r, width, "width");
        for (int64_t i = 0; i < w && i < 10000; i++) qlm_buf_putc(&ind->b, ' ');
    }
    const char *is = qlm_buf_cstr(&ind->b);
    size_t il = ind->b.len;
    /* s += "\n"; lines = s.splitlines() */
    jbufobj *tmp = jr_buf(r);
    qlm_buf_put(&tmp->b, JSTR(in)->s, JSTR(in)->len);
    qlm_buf_putc(&tmp->b, '\n');
    jv sn = take_buf(r, tmp);
    jlist *lines = js_splitlines(r, JSTR(sn), false);
    jbufobj *t = jr_buf(r);
    if (first) qlm_buf_put(&t->b, is, il);
    for (size_t i = 0; i < lines->n; i++) {
        jstr *l = JSTR(lines->v[i]);
        if (i) {
            qlm_buf_putc(&t->b, '\n');
            if (blank || l->len) qlm_buf_put(&t->b, is, il);
        }
        qlm_buf_put(&t->b, l->s, l->len);
        jr_out_check(r, &t->b);
    }
    jobj_release(r, &lines->h);
    jv_release(r, sn);
    jobj_release(r, &ind->h);
    jv res = take_buf(r, t);
    res.safe = in.safe;
    return res;
}

static jv f_items(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "do_items");
    if (in.t == JV_UNDEF) return gen_of(jl_new(r, 0));
    if (in.t != JV_DICT) jr_fail(r, "TypeError", "Can only get item pairs from a mapping.");
    jdict *d = JDICT(in);
    jlist *l = jl_new(r, d->n);
    for (size_t i = 0; i < d->n; i++) jl_push(r, l, pair(r, jv_retain(d->keys[i]), jv_retain(d->vals[i])));
    return gen_of(l);
}

static jv f_join(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"d", "attribute", NULL};
    ja_check(r, a, 2, kw, "do_join");
    jv d = ja_get(r, a, 0, "d", jv_undef0());
    jv attr = ja_get(r, a, 1, "attribute", jv_none());
    jv sep = d.t == JV_UNDEF ? jv_str(r, "", 0) : soft_str(r, d);
    jlist *items = jr_iter_list(r, in);
    jbufobj *t = jr_buf(r);
    for (size_t i = 0; i < items->n; i++) {
        if (i) qlm_buf_put(&t->b, JSTR(sep)->s, JSTR(sep)->len);
        jv v = attr.t == JV_NONE ? jv_retain(items->v[i]) : attr_get(r, items->v[i], attr, jv_none(), false);
        jv_write_str(r, &t->b, v);
        jv_release(r, v);
        jr_out_check(r, &t->b);
    }
    jobj_release(r, &items->h);
    jv_release(r, sep);
    return take_buf(r, t);
}

static jv f_length(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "length");
    switch (in.t) {
    case JV_UNDEF: return jv_int(0);
    case JV_STR: return jv_int((int64_t)jstr_cplen(JSTR(in)));
    case JV_LIST:
        if (jl_oneshot(JLIST(in))) jr_fail(r, "TypeError", "object of type '%s' has no len()", jv_type_name(in));
        return jv_int((int64_t)JLIST(in)->n);
    case JV_DICT: return jv_int((int64_t)JDICT(in)->n);
    case JV_LOOP: return jv_int((int64_t)JLOOP(in)->items->n);
    default: jr_fail(r, "TypeError", "object of type '%s' has no len()", jv_type_name(in));
    }
}

static jv f_list(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "do_list");
    jlist *l = jr_iter_list(r, in), *c = jl_new(r, l->n);
    for (size_t i = 0; i < l->n; i++) jl_push(r, c, jv_retain(l->v[i]));
    jobj_release(r, &l->h);
    return list_of(c);
}

static jv f_lower(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "do_lower");
    jv s = soft_str(r, in), res = js_case(r, s, 0);
    jv_release(r, s);
    return res;
}

static jv f_upper(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "do_upper");
    jv s = soft_str(r, in), res = js_case(r, s, 1);
    jv_release(r, s);
    return res;
}

/* Jinja's title filter: the text splits into runs of separators (whitespace and
 * -({[<) and runs of other characters; each run starts upper case, continues lower. */
static jv f_title(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "do_title");
    jv sv = soft_str(r, in);
    jstr *s = JSTR(sv);
    jbufobj *t = jr_buf(r);
    int prev_sep = -1;
    for (size_t i = 0; i < s->len;) {
        uint32_t c;
        size_t j = utf8_next(s->s, s->len, i, &c);
        int sep = py_isspace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
        if (sep != prev_sep) {
            if (c == 0xDF) qlm_buf_puts(&t->b, "SS");
            else buf_put_cp(&t->b, py_upper(c));
        } else {
            buf_put_cp(&t->b, py_lower(c));
        }
        prev_sep = sep;
        i = j;
    }
    jv_release(r, sv);
    return take_buf(r, t);
}

/* map(attribute=..., default=...) or map('filter', args...) */
static jv f_map(jrender *r, jv in, jargs *a, jscope *sc) {
    if (!jv_truthy(in)) return gen_of(jl_new(r, 0)); /* `if value:` in sync_do_map */
    jlist *items = jr_iter_list(r, in), *out = jl_new(r, items->n);
    jv attr = ja_get(r, a, -1, "attribute", jv_undef0());
    bool by_attr = a->npos == 0 && attr.t != JV_UNDEF;
    if (by_attr) {
        jv dflt = ja_get(r, a, -1, "default", jv_none());
        for (int i = 0; i < a->nkw; i++) {
            const char *k = JSTR(a->kwn[i])->s;
            if (strcmp(k, "attribute") && strcmp(k, "default"))
                jr_fail(r, "FilterArgumentError", "Unexpected keyword argument '%s'", k);
        }
        for (size_t i = 0; i < items->n; i++) jl_push(r, out, attr_get(r, items->v[i], attr, dflt, false));
    } else {
        if (a->npos < 1) jr_fail(r, "FilterArgumentError", "map requires a filter argument");
        jstr *name = arg_str(r, a->pos[0], "filter name");
        if (!jb_filter_known(name->s)) jr_fail(r, "TemplateRuntimeError", "No filter named '%s'.", name->s);
        jargs sub = {a->pos + 1, a->npos - 1, a->kwv, a->kwn, a->nkw};
        for (size_t i = 0; i < items->n; i++) jl_push(r, out, jb_filter(r, name->s, items->v[i], &sub, sc));
    }
    jobj_release(r, &items->h);
    return gen_of(out);
}

/* select / reject / selectattr / rejectattr */
static jv select_reject(jrender *r, jv in, jargs *a, bool select, bool by_attr) {
    jlist *out = jl_new(r, 0);
    if (!jv_truthy(in)) return gen_of(out);
    int off = 0;
    jv attr = jv_none();
    if (by_attr) {
        if (a->npos < 1) jr_fail(r, "FilterArgumentError", "Missing parameter for attribute name");
        attr = a->pos[0];
        off = 1;
    }
    const char *test = NULL;
    if (a->npos > off) test = arg_str(r, a->pos[off], "test name")->s;
    if (test && !jb_test_known(test)) jr_fail(r, "TemplateRuntimeError", "No test named '%s'.", test);
    jargs sub = {a->pos + off + 1, a->npos > off + 1 ? a->npos - off - 1 : 0, a->kwv, a->kwn, a->nkw};
    jlist *items = jr_iter_list(r, in);
    for (size_t i = 0; i < items->n; i++) {
        jv v = by_attr ? attr_get(r, items->v[i], attr, jv_none(), false) : jv_retain(items->v[i]);
        bool t = test ? jb_test(r, test, v, &sub) : jv_truthy(v);
        jv_release(r, v);
        if (t == select) jl_push(r, out, jv_retain(items->v[i]));
    }
    jobj_release(r, &items->h);
    return gen_of(out);
}

static jv f_select(jrender *r, jv in, jargs *a, jscope *sc) { return select_reject(r, in, a, true, false); }
static jv f_reject(jrender *r, jv in, jargs *a, jscope *sc) { return select_reject(r, in, a, false, false); }
static jv f_selectattr(jrender *r, jv in, jargs *a, jscope *sc) { return select_reject(r, in, a, true, true); }
static jv f_rejectattr(jrender *r, jv in, jargs *a, jscope *sc) { return select_reject(r, in, a, false, true); }

static jv min_max(jrender *r, jv in, jargs *a, bool max) {
    static const char *const kw[] = {"case_sensitive", "attribute", NULL};
    ja_check(r, a, 2, kw, max ? "do_max" : "do_min");
    bool cs = jv_truthy(ja_get(r, a, 0, "case_sensitive", jv_bool(false)));
    jv attr = ja_get(r, a, 1, "attribute", jv_none());
    jlist *items = jr_iter_list(r, in);
    if (!items->n) {
        jobj_release(r, &items->h);
        return jv_undef(r, "No aggregated item, sequence was empty.");
    }
    size_t best = 0;
    jv bk = attr_get(r, items->v[0], attr, jv_none(), !cs);
    for (size_t i = 1; i < items->n; i++) {
        jv k = attr_get(r, items->v[i], attr, jv_none(), !cs);
        int c = jv_cmp(r, k, bk, max ? ">" : "<");
        if (max ? c == 1 : c == -1) {
            jv_release(r, bk);
            bk = k;
            best = i;
        } else {
            jv_release(r, k);
        }
    }
    jv_release(r, bk);
    jv res = jv_retain(items->v[best]);
    jobj_release(r, &items->h);
    return res;
}

static jv f_max(jrender *r, jv in, jargs *a, jscope *sc) { return min_max(r, in, a, true); }
static jv f_min(jrender *r, jv in, jargs *a, jscope *sc) { return min_max(r, in, a, false); }

static jv f_pprint(jrender *r, jv in, jargs *a, jscope *sc) {
    jbufobj *t = jr_buf(r);
    jv_write_repr(r, &t->b, in);
    return take_buf(r, t);
}

static jv f_replace(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"old", "new", "count", NULL};
    ja_check(r, a, 3, kw, "do_replace");
    jv old = ja_get(r, a, 0, "old", jv_undef0()), nw = ja_get(r, a, 1, "new", jv_undef0());
    if (old.t == JV_UNDEF && !old.u.o) jr_fail(r, "TypeError", "do_replace() missing required argument 'old'");
    if (nw.t == JV_UNDEF && !nw.u.o) jr_fail(r, "TypeError", "do_replace() missing required argument 'new'");
    jv cnt = ja_get(r, a, 2, "count", jv_none());
    jv s = soft_str(r, in), os = soft_str(r, old), ns = soft_str(r, nw);
    jv res = js_replace(r, s, JSTR(os), JSTR(ns), cnt.t == JV_NONE ? -1 : arg_int(r, cnt, "count"));
    jv_release(r, s);
    jv_release(r, os);
    jv_release(r, ns);
    return res;
}

static jv f_reverse(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "do_reverse");
    if (in.t == JV_STR) {
        jstr *s = JSTR(in);
        jbufobj *t = jr_buf(r);
        size_t end = s->len;
        while (end > 0) {
            size_t st = end - 1;
            while (st > 0 && ((unsigned char)s->s[st] & 0xC0) == 0x80) st--;
            qlm_buf_put(&t->b, s->s + st, end - st);
            end = st;
        }
        return take_buf(r, t);
    }
    /* reversed(value) where possible (an iterator), else list(value) reversed */
    const char *it = NULL;
    if (in.t != JV_LIST && in.t != JV_DICT && in.t != JV_UNDEF)
        jr_fail(r, "FilterArgumentError", "argument must be iterable");
    if (in.t == JV_UNDEF) it = "reversed";
    else if (in.t == JV_DICT) it = "dict_reversekeyiterator";
    else if (in.t == JV_LIST) {
        switch (JLIST(in)->kind) {
        case JL_LIST: it = "list_reverseiterator"; break;
        case JL_TUPLE: it = "reversed"; break;
        case JL_RANGE: it = "range_iterator"; break;
        case JL_KEYS: it = "dict_reversekeyiterator"; break;
        case JL_VALUES: it = "dict_reversevalueiterator"; break;
        case JL_ITEMS: it = "dict_reverseitemiterator"; break;
        default: break;
        }
    }
    jlist *l = jr_iter_list(r, in), *c = jl_new(r, l->n);
    for (size_t i = l->n; i-- > 0;) jl_push(r, c, jv_retain(l->v[i]));
    jobj_release(r, &l->h);
    if (it) {
        c->kind = JL_ITER;
        c->iter_name = it;
    }
    return list_of(c);
}

static jv f_round(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"precision", "method", NULL};
    ja_check(r, a, 2, kw, "do_round");
    int64_t prec = arg_int(r, ja_get(r, a, 0, "precision", jv_int(0)), "precision");
    jv method = ja_get(r, a, 1, "method", jv_undef0());
    const char *m = method.t == JV_STR ? JSTR(method)->s : "common";
    if (strcmp(m, "common") && strcmp(m, "ceil") && strcmp(m, "floor"))
        jr_fail(r, "FilterArgumentError", "method must be common, ceil or floor");
    if (!jv_is_num(in)) jr_fail(r, "TypeError", "type %s doesn't define __round__ method", jv_type_name(in));
    if (!strcmp(m, "common")) {
        if (jv_is_intlike(in)) return jv_int(jv_as_int(in)); /* round(int, n) stays an int */
        double x = in.u.f;
        if (!isfinite(x) || prec > 300) return jv_float(x);
        if (prec < 0) {
            double p = pow(10.0, (double)-prec);
            return jv_float(nearbyint(x / p) * p);
        }
        /* printf rounds the exact binary value half-to-even, as Python's round does */
        char buf[400];
        snprintf(buf, sizeof buf, "%.*f", (int)prec, x);
        return jv_float(strtod(buf, NULL));
    }
    double p = pow(10.0, (double)prec), x = jv_as_f(in) * p;
    return jv_float((!strcmp(m, "ceil") ? ceil(x) : floor(x)) / p);
}

static jv f_safe(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "do_mark_safe");
    jv s = soft_str(r, in);
    s.safe = 1;
    return s;
}

static jv f_sort(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"reverse", "case_sensitive", "attribute", NULL};
    ja_check(r, a, 3, kw, "do_sort");
    bool reverse = jv_truthy(ja_get(r, a, 0, "reverse", jv_bool(false)));
    bool cs = jv_truthy(ja_get(r, a, 1, "case_sensitive", jv_bool(false)));
    jv attr = ja_get(r, a, 2, "attribute", jv_none());
    jlist *items = jr_iter_list(r, in), *keys = jl_new(r, items->n);
    for (size_t i = 0; i < items->n; i++) {
        if (attr.t == JV_STR && memchr(JSTR(attr)->s, ',', JSTR(attr)->len)) {
            /* make_multi_attrgetter: several attributes give a key tuple */
            jlist *kt = jl_new(r, 0);
            kt->kind = JL_TUPLE;
            jlist *parts = js_split(r, attr, jv_strz(r, ","), -1, false);
            for (size_t p = 0; p < parts->n; p++) jl_push(r, kt, attr_get(r, items->v[i], parts->v[p], jv_none(), !cs));
            jobj_release(r, &parts->h);
            jl_push(r, keys, list_of(kt));
        } else {
            jl_push(r, keys, attr_get(r, items->v[i], attr, jv_none(), !cs));
        }
    }
    jlist *out = sorted_list(r, items, keys, reverse);
    jobj_release(r, &items->h);
    return list_of(out);
}

static jv f_string(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "soft_str");
    return soft_str(r, in);
}

static jv f_sum(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"attribute", "start", NULL};
    ja_check(r, a, 2, kw, "do_sum");
    jv attr = ja_get(r, a, 0, "attribute", jv_none());
    jv acc = jv_retain(ja_get(r, a, 1, "start", jv_int(0)));
    jlist *items = jr_iter_list(r, in);
    for (size_t i = 0; i < items->n; i++) {
        jv v = attr.t == JV_NONE ? jv_retain(items->v[i]) : attr_get(r, items->v[i], attr, jv_none(), false);
        jv n = jr_binop(r, OPX_ADD, acc, v);
        jv_release(r, acc);
        jv_release(r, v);
        acc = n;
    }
    jobj_release(r, &items->h);
    return acc;
}

/* transformers' tojson: json.dumps(x, ensure_ascii=False, indent=None, separators=None,
 * sort_keys=False) */
static jv f_tojson(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"ensure_ascii", "indent", "separators", "sort_keys", NULL};
    ja_check(r, a, 4, kw, "tojson");
    jjson_opts o = {.indent = -1};
    o.ensure_ascii = jv_truthy(ja_get(r, a, 0, "ensure_ascii", jv_bool(false)));
    jv indent = ja_get(r, a, 1, "indent", jv_none());
    jv seps = ja_get(r, a, 2, "separators", jv_none());
    o.sort_keys = jv_truthy(ja_get(r, a, 3, "sort_keys", jv_bool(false)));
    if (indent.t == JV_STR) o.indent_str = JSTR(indent)->s;
    else if (indent.t != JV_NONE) {
        int64_t w = arg_int(r, indent, "indent");
        o.indent = w < 0 ? 0 : w > 1000 ? 1000 : (int)w;
    }
    if (seps.t == JV_LIST) {
        if (JLIST(seps)->n != 2) jr_fail(r, "ValueError", "separators must be a pair of strings");
        o.item_sep = arg_str(r, JLIST(seps)->v[0], "item separator")->s;
        o.key_sep = arg_str(r, JLIST(seps)->v[1], "key separator")->s;
    } else if (seps.t != JV_NONE) {
        jr_fail(r, "TypeError", "separators must be a pair of strings");
    }
    jbufobj *t = jr_buf(r);
    jv_tojson(r, &t->b, in, &o);
    return take_buf(r, t);
}

static jv f_trim(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"chars", NULL};
    ja_check(r, a, 1, kw, "do_trim");
    jv chars = ja_get(r, a, 0, "chars", jv_none());
    jv s = soft_str(r, in);
    jv res = js_strip(r, s, chars.t == JV_NONE ? NULL : arg_str(r, chars, "chars"), 0);
    jv_release(r, s);
    return res;
}

static jv f_truncate(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"length", "killwords", "end", "leeway", NULL};
    ja_check(r, a, 4, kw, "do_truncate");
    int64_t length = arg_int(r, ja_get(r, a, 0, "length", jv_int(255)), "length");
    bool killwords = jv_truthy(ja_get(r, a, 1, "killwords", jv_bool(false)));
    jv endv = ja_get(r, a, 2, "end", jv_undef0());
    jv leewayv = ja_get(r, a, 3, "leeway", jv_none());
    int64_t leeway = leewayv.t == JV_NONE ? 5 : arg_int(r, leewayv, "leeway");
    if (in.t == JV_UNDEF) return jv_retain(in); /* len(Undefined) is 0 */
    if (in.t != JV_STR) {
        /* do_truncate works on the value itself: len(s) first */
        size_t n;
        if (in.t == JV_LIST && !jl_oneshot(JLIST(in))) n = JLIST(in)->n;
        else if (in.t == JV_DICT) n = JDICT(in)->n;
        else jr_fail(r, "TypeError", "object of type '%s' has no len()", jv_type_name(in));
        if ((int64_t)n <= length + leeway) return jv_retain(in);
        jr_fail(r, "TypeError", "truncate needs a string, not %s", jv_type_name(in));
    }
    jv sv = jv_retain(in);
    jstr *s = JSTR(sv);
    const char *end = endv.t == JV_STR ? JSTR(endv)->s : "...";
    int64_t endlen = (int64_t)(endv.t == JV_STR ? jstr_cplen(JSTR(endv)) : 3);
    if (length < endlen) jr_fail(r, "AssertionError", "expected length >= %lld, got %lld", (long long)endlen, (long long)length);
    if (leeway < 0) jr_fail(r, "AssertionError", "expected leeway >= 0, got %lld", (long long)leeway);
    int64_t n = (int64_t)jstr_cplen(s);
    if (n <= length + leeway) return sv;
    size_t cut = jstr_cpoff(s, (size_t)(length - endlen));
    jbufobj *t = jr_buf(r);
    if (killwords) qlm_buf_put(&t->b, s->s, cut);
    else {
        /* s[:length - len(end)].rsplit(" ", 1)[0] */
        size_t k = cut;
        while (k > 0 && s->s[k - 1] != ' ') k--;
        qlm_buf_put(&t->b, s->s, k ? k - 1 : cut);
    }
    qlm_buf_puts(&t->b, end);
    jv_release(r, sv);
    return take_buf(r, t);
}

static jv f_unique(jrender *r, jv in, jargs *a, jscope *sc) {
    static const char *const kw[] = {"case_sensitive", "attribute", NULL};
    ja_check(r, a, 2, kw, "do_unique");
    bool cs = jv_truthy(ja_get(r, a, 0, "case_sensitive", jv_bool(false)));
    jv attr = ja_get(r, a, 1, "attribute", jv_none());
    jlist *items = jr_iter_list(r, in), *out = jl_new(r, 0);
    jdict *seen = jd_new(r);
    for (size_t i = 0; i < items->n; i++) {
        jv k = attr_get(r, items->v[i], attr, jv_none(), !cs);
        if (jd_get(r, seen, k)) {
            jv_release(r, k);
            continue;
        }
        jd_set(r, seen, k, jv_none());
        jl_push(r, out, jv_retain(items->v[i]));
    }
    jobj_release(r, &seen->h);
    jobj_release(r, &items->h);
    return gen_of(out);
}

static jv f_wordcount(jrender *r, jv in, jargs *a, jscope *sc) {
    ja_check(r, a, 0, NULL, "do_wordcount");
    jv sv = soft_str(r, in);
    jstr *s = JSTR(sv);
    int64_t n = 0;
    bool inword = false;
    for (size_t i = 0; i < s->len;) {
        uint32_t c;
        i = utf8_next(s->s, s->len, i, &c);
        bool w = c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
                 (c >= 0x80 && !py_isspace(c) && (py_iscased(c) || c >= 0x2E80));
        if (w && !inword) n++;
        inword = w;
    }
    jv_release(r, sv);
    return jv_int(n);
}

static const struct {
    const char *name;
    filter_fn fn;
} FILTERS[] = {
    {"abs", f_abs}, {"attr", f_attr}, {"batch", f_batch}, {"capitalize", f_capitalize},
    {"center", f_center}, {"count", f_length}, {"d", f_default}, {"default", f_default},
    {"dictsort", f_dictsort}, {"e", f_escape}, {"escape", f_escape}, {"filesizeformat", NULL},
    {"first", f_first}, {"float", f_float}, {"forceescape", f_forceescape}, {"format", f_format},
    {"groupby", f_groupby}, {"indent", f_indent}, {"int", f_int}, {"items", f_items},
    {"join", f_join}, {"last", f_last}, {"length", f_length}, {"list", f_list}, {"lower", f_lower},
    {"map", f_map}, {"max", f_max}, {"min", f_min}, {"pprint", f_pprint}, {"random", NULL},
    {"reject", f_reject}, {"rejectattr", f_rejectattr}, {"replace", f_replace},
    {"reverse", f_reverse}, {"round", f_round}, {"safe", f_safe}, {"select", f_select},
    {"selectattr", f_selectattr}, {"slice", NULL}, {"sort", f_sort}, {"string", f_string},
    {"striptags", NULL}, {"sum", f_sum}, {"title", f_title}, {"tojson", f_tojson}, {"trim", f_trim},
    {"truncate", f_truncate}, {"unique", f_unique}, {"upper", f_upper}, {"urlencode", NULL},
    {"urlize", NULL}, {"wordcount", f_wordcount}, {"wordwrap", NULL}, {"xmlattr", NULL},
};

bool jb_filter_known(const char *name) {
    for (size_t i = 0; i < sizeof FILTERS / sizeof FILTERS[0]; i++)
        if (!strcmp(FILTERS[i].name, name)) return true;
    return false;
}

jv jb_filter(jrender *r, const char *name, jv in, jargs *a, jscope *sc) {
    for (size_t i = 0; i < sizeof FILTERS / sizeof FILTERS[0]; i++) {
        if (strcmp(FILTERS[i].name, name)) continue;
        if (!FILTERS[i].fn) jr_fail(r, "TemplateRuntimeError", "the '%s' filter is not supported by qlm", name);
        return FILTERS[i].fn(r, in, a, sc);
    }
    jr_fail(r, "TemplateRuntimeError", "No filter named '%s'.", name);
}

/* ---- tests ----------------------------------------------------------------------------- */

static const char *const TESTS[] = {
    "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false",
    "filter", "float", "ge", "gt", "greaterthan", "in", "integer", "iterable", "le", "lessthan",
    "lower", "lt", "mapping", "ne", "none", "number", "odd", "sameas", "sequence", "string", "test",
    "true", "undefined", "upper", "==", "!=", "<", "<=", ">", ">=", NULL};

bool jb_test_known(const char *name) {
    for (int i = 0; TESTS[i]; i++)
        if (!strcmp(TESTS[i], name)) return true;
    return false;
}

static jv test_arg(jrender *r, jargs *a, const char *name) {
    if (a->npos < 1 && a->nkw < 1) jr_fail(r, "TypeError", "test '%s' needs an argument", name);
    return a->npos ? a->pos[0] : a->kwv[0];
}

bool jb_test(jrender *r, const char *name, jv v, jargs *a) {
    if (!strcmp(name, "defined")) return v.t != JV_UNDEF;
    if (!strcmp(name, "undefined")) return v.t == JV_UNDEF;
    if (!strcmp(name, "none")) return v.t == JV_NONE;
    if (!strcmp(name, "boolean")) return v.t == JV_BOOL;
    if (!strcmp(name, "false")) return v.t == JV_BOOL && !v.u.b;
    if (!strcmp(name, "true")) return v.t == JV_BOOL && v.u.b;
    if (!strcmp(name, "integer")) return v.t == JV_INT;
    if (!strcmp(name, "float")) return v.t == JV_FLOAT;
    if (!strcmp(name, "number")) return jv_is_num(v);
    if (!strcmp(name, "string")) return v.t == JV_STR;
    if (!strcmp(name, "mapping")) return v.t == JV_DICT;
    if (!strcmp(name, "iterable"))
        return v.t == JV_STR || v.t == JV_LIST || v.t == JV_DICT || v.t == JV_UNDEF || v.t == JV_LOOP;
    if (!strcmp(name, "sequence"))
        return v.t == JV_STR || v.t == JV_DICT || v.t == JV_UNDEF ||
               (v.t == JV_LIST && (jl_seq(JLIST(v)) || JLIST(v)->kind == JL_RANGE));
    if (!strcmp(name, "callable")) return v.t == JV_FUNC || v.t == JV_UNDEF || v.t == JV_LOOP;
    if (!strcmp(name, "escaped")) return v.t == JV_STR && v.safe;
    if (!strcmp(name, "lower") || !strcmp(name, "upper")) {
        jv s = soft_str(r, v);
        bool any = false, bad = false;
        for (size_t i = 0; i < JSTR(s)->len;) {
            uint32_t c;
            i = utf8_next(JSTR(s)->s, JSTR(s)->len, i, &c);
            if (!py_iscased(c)) continue;
            any = true;
            if (name[0] == 'l' ? py_lower(c) != c : py_upper(c) != c) bad = true;
        }
        jv_release(r, s);
        return any && !bad;
    }
    if (!strcmp(name, "odd") || !strcmp(name, "even")) {
        jv m = jr_binop(r, OPX_MOD, v, jv_int(2));
        bool odd = jv_as_f(m) == 1.0;
        return name[0] == 'o' ? odd : !odd && jv_as_f(m) == 0.0;
    }
    if (!strcmp(name, "divisibleby")) {
        jv m = jr_binop(r, OPX_MOD, v, test_arg(r, a, name));
        return jv_as_f(m) == 0.0;
    }
    if (!strcmp(name, "filter") || !strcmp(name, "test")) {
        if (v.t != JV_STR) return false;
        return name[0] == 'f' ? jb_filter_known(JSTR(v)->s) : jb_test_known(JSTR(v)->s);
    }
    if (!strcmp(name, "sameas")) {
        jv o = test_arg(r, a, name);
        if (v.t != o.t) return false;
        if (jv_is_heap(v)) return v.u.o == o.u.o || (v.t == JV_STR && jv_eq(r, v, o));
        return jv_eq(r, v, o);
    }
    if (!strcmp(name, "in")) {
        jv seq = test_arg(r, a, name);
        jlist *l = NULL;
        if (seq.t == JV_STR) {
            if (v.t != JV_STR) jr_fail(r, "TypeError", "'in <string>' requires string as left operand, not %s", jv_type_name(v));
            return JSTR(v)->len == 0 || memmem(JSTR(seq)->s, JSTR(seq)->len, JSTR(v)->s, JSTR(v)->len);
        }
        if (seq.t == JV_DICT) return jd_get(r, JDICT(seq), v) != NULL;
        if (seq.t != JV_LIST && seq.t != JV_UNDEF)
            jr_fail(r, "TypeError", "argument of type '%s' is not iterable", jv_type_name(seq));
        l = jr_iter_list(r, seq);
        bool found = false;
        for (size_t i = 0; i < l->n && !found; i++) found = jv_eq(r, l->v[i], v);
        jobj_release(r, &l->h);
        return found;
    }
    struct { const char *names[3]; const char *op; int code; } cmps[] = {
        {{"eq", "equalto", "=="}, "==", 0}, {{"ne", "!=", NULL}, "!=", 1},
        {{"lt", "lessthan", "<"}, "<", 2},  {{"le", "<=", NULL}, "<=", 3},
        {{"gt", "greaterthan", ">"}, ">", 4}, {{"ge", ">=", NULL}, ">=", 5},
    };
    for (size_t i = 0; i < sizeof cmps / sizeof cmps[0]; i++) {
        for (int k = 0; k < 3 && cmps[i].names[k]; k++) {
            if (strcmp(cmps[i].names[k], name)) continue;
            jv o = test_arg(r, a, name);
            switch (cmps[i].code) {
            case 0: return jv_eq(r, v, o);
            case 1: return !jv_eq(r, v, o);
            case 2: return jv_cmp(r, v, o, "<") == -1;
            case 3: { int c = jv_cmp(r, v, o, "<="); return c == -1 || c == 0; }
            case 4: return jv_cmp(r, v, o, ">") == 1;
            default: { int c = jv_cmp(r, v, o, ">="); return c == 1 || c == 0; }
            }
        }
    }
    jr_fail(r, "TemplateRuntimeError", "No test named '%s'.", name);
}

/* ---- globals --------------------------------------------------------------------------- */

enum { G_RANGE = 1, G_DICT, G_NAMESPACE, G_RAISE, G_STRFTIME, G_CYCLER, G_JOINER, G_LIPSUM };

void jb_add_globals(jrender *r, jscope *g) {
    static const struct { const char *name; int id; } G[] = {
        {"range", G_RANGE}, {"dict", G_DICT}, {"namespace", G_NAMESPACE},
        {"raise_exception", G_RAISE}, {"strftime_now", G_STRFTIME}, {"cycler", G_CYCLER},
        {"joiner", G_JOINER}, {"lipsum", G_LIPSUM},
    };
    for (size_t i = 0; i < sizeof G / sizeof G[0]; i++) {
        jfunc *f = jr_alloc(r, K_FUNC, sizeof(jfunc));
        f->fk = FN_GLOBAL;
        f->id = G[i].id;
        f->name = G[i].name;
        jv name = jv_strz(r, G[i].name);
        jscope_set(r, g, name, jv_obj(JV_FUNC, f));
        jv_release(r, name);
    }
}

/* dict(*args, **kwargs) as Python builds it */
static jdict *make_dict(jrender *r, jargs *a, const char *fname) {
    if (a->npos > 1) jr_fail(r, "TypeError", "%s expected at most 1 argument, got %d", fname, a->npos);
    jdict *d = jd_new(r);
    if (a->npos == 1) {
        jv src = a->pos[0];
        if (src.t == JV_DICT) {
            for (size_t i = 0; i < JDICT(src)->n; i++)
                jd_set(r, d, jv_retain(JDICT(src)->keys[i]), jv_retain(JDICT(src)->vals[i]));
        } else if (src.t == JV_NS) {
            jr_fail(r, "TypeError", "'Namespace' object is not iterable");
        } else {
            jlist *l = jr_iter_list(r, src);
            for (size_t i = 0; i < l->n; i++) {
                jv e = l->v[i];
                if (e.t != JV_LIST || JLIST(e)->n != 2)
                    jr_fail(r, "ValueError", "dictionary update sequence element #%zu has wrong length", i);
                jd_set(r, d, jv_retain(JLIST(e)->v[0]), jv_retain(JLIST(e)->v[1]));
            }
            jobj_release(r, &l->h);
        }
    }
    for (int i = 0; i < a->nkw; i++) jd_set(r, d, jv_retain(a->kwn[i]), jv_retain(a->kwv[i]));
    return d;
}

static jv g_strftime(jrender *r, jargs *a) {
    ja_check(r, a, 1, NULL, "strftime_now");
    if (a->npos < 1) jr_fail(r, "TypeError", "strftime_now() missing 1 required positional argument: 'format'");
    jstr *f = arg_str(r, a->pos[0], "format");
    /* datetime.strftime handles %f, %z, %Z itself (a naive datetime: "", "") */
    jbufobj *fmt = jr_buf(r);
    for (size_t i = 0; i < f->len; i++) {
        if (f->s[i] == '%' && i + 1 < f->len) {
            char c = f->s[i + 1];
            if (c == 'f') { qlm_buf_puts(&fmt->b, "000000"); i++; continue; }
            if (c == 'z' || c == 'Z') { i++; continue; }
            if (c == ':' && i + 2 < f->len && f->s[i + 2] == 'z') { i += 2; continue; }
            qlm_buf_putc(&fmt->b, '%');
            qlm_buf_putc(&fmt->b, c);
            i++;
            continue;
        }
        qlm_buf_putc(&fmt->b, f->s[i]);
    }
    jr_out_check(r, &fmt->b);
    const char *fs = qlm_buf_cstr(&fmt->b);
    char out[4096];
    size_t n = *fs ? strftime(out, sizeof out, fs, &r->now) : 0;
    jobj_release(r, &fmt->h);
    return jv_str(r, out, n);
}

jv jb_call_global(jrender *r, jfunc *f, jargs *a) {
    switch (f->id) {
    case G_RANGE: {
        if (a->nkw) jr_fail(r, "TypeError", "range() takes no keyword arguments");
        if (a->npos < 1 || a->npos > 3) jr_fail(r, "TypeError", "range expected at most 3 arguments, got %d", a->npos);
        int64_t start = 0, stop, step = 1;
        if (a->npos == 1) stop = arg_int(r, a->pos[0], "range() argument");
        else {
            start = arg_int(r, a->pos[0], "range() argument");
            stop = arg_int(r, a->pos[1], "range() argument");
            if (a->npos == 3) step = arg_int(r, a->pos[2], "range() argument");
        }
        if (step == 0) jr_fail(r, "ValueError", "range() arg 3 must not be zero");
        int64_t n = 0;
        if (step > 0 && start < stop) n = (int64_t)(((uint64_t)stop - (uint64_t)start - 1) / (uint64_t)step + 1);
        if (step < 0 && start > stop) n = (int64_t)(((uint64_t)start - (uint64_t)stop - 1) / ((uint64_t)0 - (uint64_t)step) + 1);
        if (n > 100000)
            jr_fail(r, "OverflowError", "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
        jlist *l = jl_new(r, (size_t)n);
        for (int64_t i = 0; i < n; i++) jl_push(r, l, jv_int(start + i * step));
        l->kind = JL_RANGE;
        l->rstart = start;
        l->rstop = stop;
        l->rstep = step;
        return list_of(l);
    }
    case G_DICT: return jv_obj(JV_DICT, make_dict(r, a, "dict"));
    case G_NAMESPACE: {
        jdict *d = make_dict(r, a, "Namespace");
        jns *ns = jr_alloc(r, K_NS, sizeof(jns));
        ns->attrs = d;
        ns->h.depth = (uint16_t)(d->h.depth + 1);
        return jv_obj(JV_NS, ns);
    }
    case G_RAISE: {
        /* transformers: def raise_exception(message): raise TemplateError(message) */
        static const char *const kw[] = {"message", NULL};
        ja_check(r, a, 1, kw, "raise_exception");
        if (a->npos + a->nkw < 1)
            jr_fail(r, "TypeError", "raise_exception() missing 1 required positional argument: 'message'");
        jv msg = a->npos ? a->pos[0] : a->kwv[0];
        jbufobj *t = jr_buf(r);
        jv_write_str(r, &t->b, msg);
        r->raised = true;
        jr_fail(r, "TemplateError", "%s", qlm_buf_cstr(&t->b));
    }
    case G_STRFTIME: return g_strftime(r, a);
    default: jr_fail(r, "TemplateRuntimeError", "%s() is not supported by qlm", f->name);
    }
}
