/* Python methods of str, dict and list that templates call (s.strip(), d.items(), ...),
 * the `loop` object, and Python's %-formatting and str.format. */
#include "jinja_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- argument helpers ------------------------------------------------------------------ */

jv ja_get(jrender *r, jargs *a, int pos, const char *name, jv dflt) {
    if (pos >= 0 && pos < a->npos) return a->pos[pos];
    if (name)
        for (int i = 0; i < a->nkw; i++)
            if (!strcmp(JSTR(a->kwn[i])->s, name)) return a->kwv[i];
    return dflt;
}

void ja_check(jrender *r, jargs *a, int maxpos, const char *const *names, const char *fname) {
    if (a->npos > maxpos)
        jr_fail(r, "TypeError", "%s() takes at most %d positional argument%s (%d given)", fname, maxpos,
                maxpos == 1 ? "" : "s", a->npos);
    for (int i = 0; i < a->nkw; i++) {
        const char *k = JSTR(a->kwn[i])->s;
        bool ok = false;
        int idx = -1;
        for (int j = 0; names && names[j]; j++)
            if (!strcmp(names[j], k)) { ok = true; idx = j; }
        if (!ok) jr_fail(r, "TypeError", "%s() got an unexpected keyword argument '%s'", fname, k);
        if (idx < a->npos) jr_fail(r, "TypeError", "%s() got multiple values for argument '%s'", fname, k);
    }
}

static jstr *want_str(jrender *r, jv v, const char *what) {
    if (v.t == JV_UNDEF) jr_fail_undef(r, v);
    if (v.t != JV_STR) jr_fail(r, "TypeError", "%s must be str, not %s", what, jv_type_name(v));
    return JSTR(v);
}

static int64_t want_int(jrender *r, jv v, const char *what) {
    if (v.t == JV_UNDEF) jr_fail_undef(r, v);
    if (!jv_is_intlike(v))
        jr_fail(r, "TypeError", "'%s' object cannot be interpreted as an integer", jv_type_name(v));
    (void)what;
    return jv_as_int(v);
}

static jv take_buf(jrender *r, jbufobj *t) {
    jv s = jv_str_buf(r, &t->b);
    jobj_release(r, &t->h);
    return s;
}

/* ---- string operations (shared with the filters) --------------------------------------- */

/* mode: 0 lower, 1 upper, 2 swapcase, 3 capitalize, 4 str.title, 5 casefold */
jv js_case(jrender *r, jv sv, int mode) {
    jstr *s = JSTR(sv);
    jbufobj *t = jr_buf(r);
    bool prev_cased = false, first = true;
    for (size_t i = 0; i < s->len;) {
        uint32_t c;
        size_t j = utf8_next(s->s, s->len, i, &c);
        bool up;
        switch (mode) {
        case 0: case 5: up = false; break;
        case 1: up = true; break;
        case 2: up = py_lower(c) == c && py_upper(c) != c; break;
        case 3: up = first; break;
        default: up = !prev_cased; break;
        }
        if (mode == 2 && !up && py_upper(c) == c && py_lower(c) == c) {
            qlm_buf_put(&t->b, s->s + i, j - i);
        } else if (up) {
            if (c == 0xDF) qlm_buf_puts(&t->b, (mode == 3 || mode == 4) ? "Ss" : "SS");
            else if (c == 0x149) { buf_put_cp(&t->b, 0x2BC); qlm_buf_putc(&t->b, 'N'); }
            else buf_put_cp(&t->b, py_upper(c));
        } else {
            if (c == 0x130) { qlm_buf_putc(&t->b, 'i'); buf_put_cp(&t->b, 0x307); }
            else if (c == 0xDF && mode == 5) qlm_buf_puts(&t->b, "ss");
            else buf_put_cp(&t->b, py_lower(c));
        }
        prev_cased = py_iscased(c);
        first = false;
        i = j;
    }
    return take_buf(r, t);
}

static bool in_chars(uint32_t c, const jstr *chars) {
    if (!chars) return py_isspace(c);
    for (size_t i = 0; i < chars->len;) {
        uint32_t d;
        i = utf8_next(chars->s, chars->len, i, &d);
        if (d == c) return true;
    }
    return false;
}

/* str.strip / lstrip / rstrip: which = 0 both, 1 left, 2 right. chars NULL: whitespace. */
jv js_strip(jrender *r, jv sv, const jstr *chars, int which) {
    jstr *s = JSTR(sv);
    size_t a = 0, b = s->len;
    if (which != 2) {
        while (a < b) {
            uint32_t c;
            size_t j = utf8_next(s->s, b, a, &c);
            if (!in_chars(c, chars)) break;
            a = j;
        }
    }
    if (which != 1) {
        size_t end = a;
        for (size_t i = a; i < b;) {
            uint32_t c;
            size_t j = utf8_next(s->s, b, i, &c);
            if (!in_chars(c, chars)) end = j;
            i = j;
        }
        b = end;
    }
    if (a == 0 && b == s->len) {
        jv o = jv_retain(sv);
        o.safe = sv.safe;
        return o;
    }
    return jv_str(r, s->s + a, b - a);
}

/* str.replace(old, new, count) */
jv js_replace(jrender *r, jv sv, const jstr *old, const jstr *new_, int64_t count) {
    jstr *s = JSTR(sv);
    jbufobj *t = jr_buf(r);
    if (count < 0) count = INT64_MAX;
    if (old->len == 0) {
        /* an empty pattern matches before every character and at the end */
        size_t i = 0;
        while (i < s->len) {
            if (count > 0) { qlm_buf_put(&t->b, new_->s, new_->len); count--; }
            uint32_t c;
            size_t j = utf8_next(s->s, s->len, i, &c);
            qlm_buf_put(&t->b, s->s + i, j - i);
            i = j;
            jr_out_check(r, &t->b);
        }
        if (count > 0) qlm_buf_put(&t->b, new_->s, new_->len);
        return take_buf(r, t);
    }
    size_t i = 0;
    while (i < s->len) {
        const char *hit = count > 0 ? memmem(s->s + i, s->len - i, old->s, old->len) : NULL;
        if (!hit) break;
        size_t k = (size_t)(hit - s->s);
        qlm_buf_put(&t->b, s->s + i, k - i);
        qlm_buf_put(&t->b, new_->s, new_->len);
        jr_out_check(r, &t->b);
        i = k + old->len;
        count--;
    }
    qlm_buf_put(&t->b, s->s + i, s->len - i);
    return take_buf(r, t);
}

static jlist *split_ws(jrender *r, jstr *s, int64_t maxsplit, bool right) {
    jlist *l = jl_new(r, 0);
    if (maxsplit < 0) maxsplit = INT64_MAX;
    if (!right) {
        size_t i = 0;
        for (;;) {
            while (i < s->len) { /* skip whitespace */
                uint32_t c;
                size_t j = utf8_next(s->s, s->len, i, &c);
                if (!py_isspace(c)) break;
                i = j;
            }
            if (i >= s->len) break;
            if (maxsplit == 0) { jl_push(r, l, jv_str(r, s->s + i, s->len - i)); break; }
            size_t a = i;
            while (i < s->len) {
                uint32_t c;
                size_t j = utf8_next(s->s, s->len, i, &c);
                if (py_isspace(c)) break;
                i = j;
            }
            jl_push(r, l, jv_str(r, s->s + a, i - a));
            maxsplit--;
        }
        return l;
    }
    /* rsplit: scan code points from the end */
    size_t n = jstr_cplen(s);
    int64_t i = (int64_t)n;
    jlist *rev = jl_new(r, 0);
    #define CP_AT(k, cp) do { size_t o_ = jstr_cpoff(s, (size_t)(k)); utf8_next(s->s, s->len, o_, &(cp)); } while (0)
    for (;;) {
        uint32_t c;
        while (i > 0) { CP_AT(i - 1, c); if (!py_isspace(c)) break; i--; }
        if (i <= 0) break;
        if (maxsplit == 0) {
            size_t e = jstr_cpoff(s, (size_t)i);
            jl_push(r, rev, jv_str(r, s->s, e));
            break;
        }
        int64_t b = i;
        while (i > 0) { CP_AT(i - 1, c); if (py_isspace(c)) break; i--; }
        size_t x = jstr_cpoff(s, (size_t)i), y = jstr_cpoff(s, (size_t)b);
        jl_push(r, rev, jv_str(r, s->s + x, y - x));
        maxsplit--;
    }
    #undef CP_AT
    for (size_t k = rev->n; k-- > 0;) jl_push(r, l, jv_retain(rev->v[k]));
    jobj_release(r, &rev->h);
    return l;
}

/* str.split / str.rsplit */
jlist *js_split(jrender *r, jv sv, jv sep, int64_t maxsplit, bool right) {
    jstr *s = JSTR(sv);
    if (sep.t == JV_NONE) return split_ws(r, s, maxsplit, right);
    if (sep.t != JV_STR) jr_fail(r, "TypeError", "must be str or None, not %s", jv_type_name(sep));
    jstr *p = JSTR(sep);
    if (p->len == 0) jr_fail(r, "ValueError", "empty separator");
    if (maxsplit < 0) maxsplit = INT64_MAX;
    jlist *l = jl_new(r, 0);
    if (!right) {
        size_t i = 0;
        while (maxsplit > 0) {
            const char *hit = memmem(s->s + i, s->len - i, p->s, p->len);
            if (!hit) break;
            size_t k = (size_t)(hit - s->s);
            jl_push(r, l, jv_str(r, s->s + i, k - i));
            i = k + p->len;
            maxsplit--;
        }
        jl_push(r, l, jv_str(r, s->s + i, s->len - i));
        return l;
    }
    jlist *rev = jl_new(r, 0);
    size_t end = s->len;
    while (maxsplit > 0 && end >= p->len) {
        size_t k = end - p->len;
        bool found = false;
        for (;;) {
            if (memcmp(s->s + k, p->s, p->len) == 0) { found = true; break; }
            if (k == 0) break;
            k--;
        }
        if (!found) break;
        jl_push(r, rev, jv_str(r, s->s + k + p->len, end - k - p->len));
        end = k;
        maxsplit--;
    }
    jl_push(r, rev, jv_str(r, s->s, end));
    for (size_t k = rev->n; k-- > 0;) jl_push(r, l, jv_retain(rev->v[k]));
    jobj_release(r, &rev->h);
    return l;
}

/* Python's line boundaries for str.splitlines (and the indent filter). Returns the
 * length of the break at s[i] (0 when none). */
size_t js_linebreak(const char *s, size_t n, size_t i) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\r') return (i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
    if (c == '\n' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E) return 1;
    if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0x85) return 2;
    if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
        ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9))
        return 3;
    return 0;
}

jlist *js_splitlines(jrender *r, jstr *s, bool keepends) {
    jlist *l = jl_new(r, 0);
    size_t a = 0, i = 0;
    while (i < s->len) {
        size_t k = js_linebreak(s->s, s->len, i);
        if (!k) { i++; continue; }
        jl_push(r, l, jv_str(r, s->s + a, (keepends ? i + k : i) - a));
        i += k;
        a = i;
    }
    if (a < s->len) jl_push(r, l, jv_str(r, s->s + a, s->len - a));
    return l;
}

/* Pad to `width` code points: align '<', '>', '^' (Python's center puts the extra space
 * on the right unless the padding and width are both odd). */
static jv js_pad(jrender *r, jv sv, int64_t width, const char *fill, size_t fill_len, char align) {
    jstr *s = JSTR(sv);
    int64_t n = (int64_t)jstr_cplen(s);
    if (width <= n) return jv_retain(sv);
    if (width - n > (int64_t)r->max_output)
        jr_fail_code(r, QLM_ERR_UNSUPPORTED, "MemoryError", "string longer than %zu bytes", r->max_output);
    int64_t pad = width - n, left = 0;
    if (align == '>') left = pad;
    else if (align == '^') left = pad / 2 + (pad & width & 1);
    jbufobj *t = jr_buf(r);
    for (int64_t i = 0; i < left; i++) qlm_buf_put(&t->b, fill, fill_len);
    qlm_buf_put(&t->b, s->s, s->len);
    for (int64_t i = left; i < pad; i++) qlm_buf_put(&t->b, fill, fill_len);
    return take_buf(r, t);
}

jv js_center(jrender *r, jv sv, int64_t width) { return js_pad(r, sv, width, " ", 1, '^'); }

/* Code-point index of the first (or last) occurrence of sub in s[start:end], or -1. */
static int64_t js_find(jrender *r, jstr *s, jstr *sub, jargs *a, int first_arg, bool last) {
    jr_work(r, s->len);
    int64_t n = (int64_t)jstr_cplen(s);
    jv st = ja_get(r, a, first_arg, NULL, jv_none()), en = ja_get(r, a, first_arg + 1, NULL, jv_none());
    int64_t x = st.t == JV_NONE ? 0 : want_int(r, st, "start");
    int64_t y = en.t == JV_NONE ? n : want_int(r, en, "end");
    if (x < 0) { x += n; if (x < 0) x = 0; }
    if (y < 0) { y += n; if (y < 0) y = 0; }
    if (y > n) y = n;
    if (x > y) return -1;
    size_t bx = jstr_cpoff(s, (size_t)x), by = jstr_cpoff(s, (size_t)y);
    if (sub->len > by - bx) return -1;
    if (!last) {
        const char *hit = memmem(s->s + bx, by - bx, sub->s, sub->len);
        if (!hit) return -1;
        size_t off = (size_t)(hit - s->s);
        /* back to a code point index */
        int64_t k = 0;
        for (size_t i = 0; i < off; i++)
            if (((unsigned char)s->s[i] & 0xC0) != 0x80) k++;
        return k;
    }
    for (size_t k = by - sub->len + 1; k-- > bx;) {
        if (memcmp(s->s + k, sub->s, sub->len) == 0) {
            int64_t idx = 0;
            for (size_t i = 0; i < k; i++)
                if (((unsigned char)s->s[i] & 0xC0) != 0x80) idx++;
            return idx;
        }
    }
    return -1;
}

static bool affix_match(jrender *r, jstr *s, jv what, jargs *a, bool end) {
    if (!s->ascii) jr_work(r, s->len);
    int64_t n = (int64_t)jstr_cplen(s);
    jv st = ja_get(r, a, 1, NULL, jv_none()), en = ja_get(r, a, 2, NULL, jv_none());
    int64_t x = st.t == JV_NONE ? 0 : want_int(r, st, "start");
    int64_t y = en.t == JV_NONE ? n : want_int(r, en, "end");
    if (x < 0) { x += n; if (x < 0) x = 0; }
    if (y < 0) { y += n; if (y < 0) y = 0; }
    if (y > n) y = n;
    if (x > n) return false;
    size_t bx = jstr_cpoff(s, (size_t)x), by = x > y ? bx : jstr_cpoff(s, (size_t)y);
    jv *cands = &what;
    size_t nc = 1;
    if (what.t == JV_LIST && JLIST(what)->kind == JL_TUPLE) {
        cands = JLIST(what)->v;
        nc = JLIST(what)->n;
    } else if (what.t != JV_STR) {
        if (what.t == JV_UNDEF) jr_fail_undef(r, what);
        jr_fail(r, "TypeError", "%s first arg must be str or a tuple of str, not %s",
                end ? "endswith" : "startswith", jv_type_name(what));
    }
    for (size_t i = 0; i < nc; i++) {
        jstr *p = want_str(r, cands[i], "prefix");
        if (x > y) continue;
        if (p->len > by - bx) continue;
        if (!end && memcmp(s->s + bx, p->s, p->len) == 0) return true;
        if (end && memcmp(s->s + by - p->len, p->s, p->len) == 0) return true;
    }
    return false;
}

/* ---- %-formatting and str.format ------------------------------------------------------- */

static jv to_float_arg(jrender *r, jv v, char type) {
    if (v.t == JV_UNDEF) jr_fail_undef(r, v);
    if (!jv_is_num(v)) jr_fail(r, "TypeError", "must be real number, not %s", jv_type_name(v));
    (void)type;
    return jv_float(jv_as_f(v));
}

static int64_t to_int_arg(jrender *r, jv v, char type) {
    if (v.t == JV_UNDEF) jr_fail_undef(r, v);
    if (jv_is_intlike(v)) return jv_as_int(v);
    if (v.t == JV_FLOAT && (type == 'd' || type == 'i')) {
        if (!isfinite(v.u.f)) jr_fail(r, "OverflowError", "cannot convert float infinity to integer");
        return (int64_t)v.u.f;
    }
    jr_fail(r, "TypeError", "%%%c format: %s is required, not %s", type,
            (type == 'd' || type == 'i') ? "a real number" : "an integer", jv_type_name(v));
}

/* Append text with width/alignment counted in code points. */
static void put_padded(qlm_buf *b, const char *s, size_t n, int64_t width, bool left, char fill) {
    int64_t cps = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) cps++;
    if (!left)
        for (int64_t i = cps; i < width; i++) qlm_buf_putc(b, fill);
    qlm_buf_put(b, s, n);
    if (left)
        for (int64_t i = cps; i < width; i++) qlm_buf_putc(b, fill);
}

/* One printf-style conversion of v (flags as in C); used by both formatters. */
static void fmt_one(jrender *r, qlm_buf *b, jv v, const char *flags, int64_t width, int64_t prec, char type) {
    char cf[32], tmp[512];
    if (width > 100000 || prec > 1000) jr_fail(r, "ValueError", "format width or precision too big");
    bool left = strchr(flags, '-') != NULL;
    switch (type) {
    case 's':
    case 'r':
    case 'a': {
        jbufobj *t = jr_buf(r);
        if (type == 's') jv_write_str(r, &t->b, v);
        else jv_write_repr(r, &t->b, v);
        if (type == 'a') { /* ascii(): non-ASCII code points escaped */
            jbufobj *q = jr_buf(r);
            const char *s = qlm_buf_cstr(&t->b);
            for (size_t i = 0; i < t->b.len;) {
                uint32_t c;
                size_t j = utf8_next(s, t->b.len, i, &c);
                if (c < 0x80) qlm_buf_putc(&q->b, (char)c);
                else if (c <= 0xFF) qlm_buf_printf(&q->b, "\\x%02x", c);
                else if (c <= 0xFFFF) qlm_buf_printf(&q->b, "\\u%04x", c);
                else qlm_buf_printf(&q->b, "\\U%08x", c);
                i = j;
            }
            jobj_release(r, &t->h);
            t = q;
        }
        size_t n = t->b.len;
        if (prec >= 0) {
            size_t k = 0, cps = 0;
            const char *s = qlm_buf_cstr(&t->b);
            while (k < n && (int64_t)cps < prec) {
                uint32_t c;
                k = utf8_next(s, n, k, &c);
                cps++;
            }
            n = k;
        }
        put_padded(b, qlm_buf_cstr(&t->b), n, width, left, ' ');
        jobj_release(r, &t->h);
        return;
    }
    case 'c': {
        char u[4];
        size_t un;
        if (v.t == JV_STR && jstr_cplen(JSTR(v)) == 1) { memcpy(u, JSTR(v)->s, JSTR(v)->len); un = JSTR(v)->len; }
        else {
            int64_t c = to_int_arg(r, v, 'c');
            if (c < 0 || c > 0x10FFFF) jr_fail(r, "OverflowError", "%%c arg not in range(0x110000)");
            un = (size_t)qlm_utf8_encode((uint32_t)c, u);
        }
        put_padded(b, u, un, width, left, ' ');
        return;
    }
    case 'd': case 'i': case 'o': case 'x': case 'X': {
        int64_t x = to_int_arg(r, v, type);
        if (prec >= 0) snprintf(cf, sizeof cf, "%%%s*.*ll%c", flags, type == 'i' ? 'd' : type);
        else snprintf(cf, sizeof cf, "%%%s*ll%c", flags, type == 'i' ? 'd' : type);
        int k = prec >= 0 ? snprintf(tmp, sizeof tmp, cf, (int)width, (int)prec, (long long)x)
                          : snprintf(tmp, sizeof tmp, cf, (int)width, (long long)x);
        if (k > 0) qlm_buf_put(b, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
        return;
    }
    default: { /* e E f F g G */
        double x = to_float_arg(r, v, type).u.f;
        snprintf(cf, sizeof cf, "%%%s*.*%c", flags, type);
        int k = snprintf(tmp, sizeof tmp, cf, (int)width, (int)(prec < 0 ? 6 : prec), x);
        if (k > 0) qlm_buf_put(b, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
        return;
    }
    }
}

/* Python's str % args */
jv jr_percent_format(jrender *r, jv fmtv, jv args) {
    jstr *f = JSTR(fmtv);
    jv *items = &args;
    size_t nitems = 1, next = 0;
    /* Python treats any non-tuple with __getitem__ (dict, list) as a mapping here: its
     * unused "arguments" are not an error */
    bool is_map = args.t == JV_DICT || args.t == JV_UNDEF ||
                  (args.t == JV_LIST && JLIST(args)->kind != JL_TUPLE && !jl_oneshot(JLIST(args)));
    if (args.t == JV_LIST && JLIST(args)->kind == JL_TUPLE) {
        items = JLIST(args)->v;
        nitems = JLIST(args)->n;
    }
    jbufobj *t = jr_buf(r);
    for (size_t i = 0; i < f->len;) {
        char c = f->s[i];
        if (c != '%') { qlm_buf_putc(&t->b, c); i++; continue; }
        i++;
        if (i >= f->len) jr_fail(r, "ValueError", "incomplete format");
        jv val = jv_undef0();
        bool have = false;
        if (f->s[i] == '(') {
            if (args.t != JV_DICT) jr_fail(r, "TypeError", "format requires a mapping");
            size_t e = i + 1;
            int depth = 1;
            while (e < f->len && depth) { if (f->s[e] == '(') depth++; else if (f->s[e] == ')') depth--; if (depth) e++; }
            if (e >= f->len) jr_fail(r, "ValueError", "incomplete format key");
            jv *hit = jd_get_s(JDICT(args), f->s + i + 1, e - i - 1);
            if (!hit) jr_fail(r, "KeyError", "'%.*s'", (int)(e - i - 1), f->s + i + 1);
            val = *hit;
            have = true;
            i = e + 1;
        }
        char flags[8];
        int nf = 0;
        while (i < f->len && strchr("-+ #0", f->s[i])) {
            if (nf < 6 && !memchr(flags, f->s[i], (size_t)nf)) flags[nf++] = f->s[i];
            i++;
        }
        flags[nf] = 0;
        int64_t width = 0, prec = -1;
        if (i < f->len && f->s[i] == '*') {
            if (next >= nitems) jr_fail(r, "TypeError", "not enough arguments for format string");
            width = want_int(r, items[next++], "width");
            i++;
        } else
            while (i < f->len && f->s[i] >= '0' && f->s[i] <= '9') width = width * 10 + (f->s[i++] - '0');
        if (i < f->len && f->s[i] == '.') {
            i++;
            prec = 0;
            if (i < f->len && f->s[i] == '*') {
                if (next >= nitems) jr_fail(r, "TypeError", "not enough arguments for format string");
                prec = want_int(r, items[next++], "precision");
                i++;
            } else
                while (i < f->len && f->s[i] >= '0' && f->s[i] <= '9') prec = prec * 10 + (f->s[i++] - '0');
        }
        while (i < f->len && strchr("hlL", f->s[i])) i++; /* length modifiers are ignored */
        if (i >= f->len) jr_fail(r, "ValueError", "incomplete format");
        char type = f->s[i++];
        if (type == '%') { qlm_buf_putc(&t->b, '%'); continue; }
        if (!strchr("sradiouxXeEfFgGc", type))
            jr_fail(r, "ValueError", "unsupported format character '%c' (0x%x) at index %zu", type, (unsigned)(unsigned char)type, i - 1);
        if (type == 'u') type = 'd';
        if (!have) {
            if (is_map) val = args;
            else {
                if (next >= nitems) jr_fail(r, "TypeError", "not enough arguments for format string");
                val = items[next++];
            }
        }
        fmt_one(r, &t->b, val, flags, width, prec, type);
        jr_out_check(r, &t->b);
    }
    if (!is_map && next < nitems)
        jr_fail(r, "TypeError", "not all arguments converted during string formatting");
    return take_buf(r, t);
}

/* str.format: {}, {0}, {name}, {0.attr}, {0[key]}, !r/!s and a format spec
 * [[fill]align][sign][#][0][width][,][.precision][type]. */
static jv str_format(jrender *r, jstr *f, jargs *a) {
    jbufobj *t = jr_buf(r);
    int auto_idx = 0;
    for (size_t i = 0; i < f->len;) {
        char c = f->s[i];
        if (c == '}' ) {
            if (i + 1 < f->len && f->s[i + 1] == '}') { qlm_buf_putc(&t->b, '}'); i += 2; continue; }
            jr_fail(r, "ValueError", "Single '}' encountered in format string");
        }
        if (c != '{') { qlm_buf_putc(&t->b, c); i++; continue; }
        if (i + 1 < f->len && f->s[i + 1] == '{') { qlm_buf_putc(&t->b, '{'); i += 2; continue; }
        size_t e = i + 1;
        int depth = 1;
        while (e < f->len && depth) {
            if (f->s[e] == '{') depth++;
            else if (f->s[e] == '}') depth--;
            if (depth) e++;
        }
        if (e >= f->len) jr_fail(r, "ValueError", "expected '}' before end of string");
        /* field: name[.attr|[key]]*[!conv][:spec] */
        const char *fs = f->s + i + 1;
        size_t fl = e - i - 1, k = 0;
        while (k < fl && fs[k] != '.' && fs[k] != '[' && fs[k] != '!' && fs[k] != ':') k++;
        jv val;
        if (k == 0) {
            if (auto_idx >= a->npos) jr_fail(r, "IndexError", "Replacement index %d out of range for positional args tuple", auto_idx);
            val = jv_retain(a->pos[auto_idx++]);
        } else if (fs[0] >= '0' && fs[0] <= '9') {
            long idx = strtol(fs, NULL, 10);
            if (idx >= a->npos) jr_fail(r, "IndexError", "Replacement index %ld out of range for positional args tuple", idx);
            val = jv_retain(a->pos[idx]);
        } else {
            jv found = jv_undef0();
            bool ok = false;
            for (int q = 0; q < a->nkw; q++)
                if (JSTR(a->kwn[q])->len == k && !memcmp(JSTR(a->kwn[q])->s, fs, k)) { found = a->kwv[q]; ok = true; }
            if (!ok) jr_fail(r, "KeyError", "'%.*s'", (int)k, fs);
            val = jv_retain(found);
        }
        while (k < fl && (fs[k] == '.' || fs[k] == '[')) {
            if (fs[k] == '.') {
                size_t s0 = ++k;
                while (k < fl && fs[k] != '.' && fs[k] != '[' && fs[k] != '!' && fs[k] != ':') k++;
                jv name = jv_str(r, fs + s0, k - s0);
                jv nv = jr_getattr(r, val, name);
                jv_release(r, name);
                jv_release(r, val);
                val = nv;
            } else {
                size_t s0 = ++k;
                while (k < fl && fs[k] != ']') k++;
                jv key;
                bool digits = k > s0;
                for (size_t q = s0; q < k; q++) if (fs[q] < '0' || fs[q] > '9') digits = false;
                if (digits) key = jv_int(strtoll(fs + s0, NULL, 10));
                else key = jv_str(r, fs + s0, k - s0);
                jv nv = jr_getitem(r, val, key);
                jv_release(r, key);
                jv_release(r, val);
                val = nv;
                if (k < fl) k++;
            }
        }
        char conv = 0;
        if (k < fl && fs[k] == '!') { conv = k + 1 < fl ? fs[k + 1] : 0; k += 2; }
        const char *spec = "";
        size_t sl = 0;
        if (k < fl && fs[k] == ':') { spec = fs + k + 1; sl = fl - k - 1; }
        if (conv == 'r' || conv == 'a') {
            jbufobj *q = jr_buf(r);
            fmt_one(r, &q->b, val, "", 0, -1, conv);
            jv s = take_buf(r, q);
            jv_release(r, val);
            val = s;
        } else if (conv == 's') {
            jv s = jv_to_str(r, val);
            jv_release(r, val);
            val = s;
        }
        /* parse the spec */
        char fill = ' ', align = 0, sign = 0, type = 0;
        bool alt = false, zero = false;
        int64_t width = 0, prec = -1;
        size_t p = 0;
        if (sl >= 2 && strchr("<>^=", spec[1])) { fill = spec[0]; align = spec[1]; p = 2; }
        else if (sl >= 1 && strchr("<>^=", spec[0])) { align = spec[0]; p = 1; }
        if (p < sl && strchr("+- ", spec[p])) sign = spec[p++];
        if (p < sl && spec[p] == '#') { alt = true; p++; }
        if (p < sl && spec[p] == '0') { zero = true; p++; }
        while (p < sl && spec[p] >= '0' && spec[p] <= '9') width = width * 10 + (spec[p++] - '0');
        if (p < sl && (spec[p] == ',' || spec[p] == '_')) p++; /* grouping: not supported, ignored */
        if (p < sl && spec[p] == '.') {
            p++;
            prec = 0;
            while (p < sl && spec[p] >= '0' && spec[p] <= '9') prec = prec * 10 + (spec[p++] - '0');
        }
        if (p < sl) type = spec[p++];
        if (p < sl || width > 100000) jr_fail(r, "ValueError", "Invalid format specifier");
        jbufobj *q = jr_buf(r);
        if (!type || type == 's') {
            if (type == 's' && val.t != JV_STR) jr_fail(r, "ValueError", "Unknown format code 's' for object of type '%s'", jv_type_name(val));
            if (!sl || (!type && val.t != JV_STR && prec < 0)) jv_write_str(r, &q->b, val);
            else fmt_one(r, &q->b, val, "", 0, prec, 's');
            if (!align) align = (jv_is_num(val) && type != 's') ? '>' : '<';
        } else {
            char flags[8] = "";
            int nf = 0;
            if (sign == '+' || sign == ' ') flags[nf++] = sign;
            if (alt) flags[nf++] = '#';
            flags[nf] = 0;
            char ct = type == 'n' ? 'd' : type == '%' ? 'f' : type;
            jv fv = val;
            if (type == '%') fv = jv_float(jv_as_f(to_float_arg(r, val, 'f')) * 100.0);
            if (type == 'b') {
                int64_t x = to_int_arg(r, val, 'x');
                char bits[80];
                int nb = 0;
                uint64_t u = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
                do { bits[nb++] = (char)('0' + (u & 1)); u >>= 1; } while (u);
                if (x < 0) qlm_buf_putc(&q->b, '-');
                while (nb) qlm_buf_putc(&q->b, bits[--nb]);
            } else if (strchr("eEfFgG%", type) || strchr("dnxXoc", type)) {
                if (strchr("eEfFgG%", type) && !jv_is_num(val)) jr_fail(r, "ValueError", "Unknown format code '%c' for object of type '%s'", type, jv_type_name(val));
                if (strchr("dnxXo", type) && !jv_is_intlike(val)) jr_fail(r, "ValueError", "Unknown format code '%c' for object of type '%s'", type, jv_type_name(val));
                fmt_one(r, &q->b, fv, flags, 0, strchr("dnxXoc", type) ? -1 : (prec < 0 ? 6 : prec), ct);
                if (type == '%') qlm_buf_putc(&q->b, '%');
            } else {
                jr_fail(r, "ValueError", "Unknown format code '%c' for object of type '%s'", type, jv_type_name(val));
            }
            if (!align) align = '>';
        }
        if (zero && !sl) zero = false;
        if (zero && align == '>') { fill = '0'; align = '='; }
        jv body = take_buf(r, q);
        jstr *bs = JSTR(body);
        int64_t cps = (int64_t)jstr_cplen(bs);
        if (align == '=' && cps < width && bs->len && (bs->s[0] == '-' || bs->s[0] == '+' || bs->s[0] == ' ')) {
            qlm_buf_putc(&t->b, bs->s[0]);
            for (int64_t z = cps; z < width; z++) qlm_buf_putc(&t->b, fill);
            qlm_buf_put(&t->b, bs->s + 1, bs->len - 1);
        } else if (cps < width) {
            char fb[4];
            size_t fbl = (size_t)qlm_utf8_encode((unsigned char)fill, fb);
            jv padded = js_pad(r, body, width, fb, fbl, align == '=' ? '>' : align);
            qlm_buf_put(&t->b, JSTR(padded)->s, JSTR(padded)->len);
            jv_release(r, padded);
        } else {
            qlm_buf_put(&t->b, bs->s, bs->len);
        }
        jv_release(r, body);
        jv_release(r, val);
        jr_out_check(r, &t->b);
        i = e + 1;
    }
    return take_buf(r, t);
}

/* ---- method tables --------------------------------------------------------------------- */

enum {
    M_STR_FIRST = 0,
    MS_CAPITALIZE = M_STR_FIRST, MS_CASEFOLD, MS_CENTER, MS_COUNT, MS_ENDSWITH, MS_EXPANDTABS, MS_FIND,
    MS_FORMAT, MS_INDEX, MS_ISALNUM, MS_ISALPHA, MS_ISASCII, MS_ISDECIMAL, MS_ISDIGIT, MS_ISLOWER,
    MS_ISNUMERIC, MS_ISSPACE, MS_ISTITLE, MS_ISUPPER, MS_JOIN, MS_LJUST, MS_LOWER, MS_LSTRIP,
    MS_PARTITION, MS_REMOVEPREFIX, MS_REMOVESUFFIX, MS_REPLACE, MS_RFIND, MS_RINDEX, MS_RJUST,
    MS_RPARTITION, MS_RSPLIT, MS_RSTRIP, MS_SPLIT, MS_SPLITLINES, MS_STARTSWITH, MS_STRIP,
    MS_SWAPCASE, MS_TITLE, MS_UPPER, MS_ZFILL,
    MD_GET, MD_ITEMS, MD_KEYS, MD_VALUES, MD_COPY,
    ML_COUNT, ML_INDEX, ML_COPY,
    MO_CYCLE, MO_CHANGED,
    M_COUNT
};

static const char *const str_methods[] = {
    "capitalize", "casefold", "center", "count", "endswith", "expandtabs", "find", "format", "index",
    "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "islower", "isnumeric", "isspace",
    "istitle", "isupper", "join", "ljust", "lower", "lstrip", "partition", "removeprefix",
    "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split",
    "splitlines", "startswith", "strip", "swapcase", "title", "upper", "zfill", NULL};
static const char *const dict_methods[] = {"get", "items", "keys", "values", "copy", NULL};
static const char *const list_methods[] = {"count", "index", "copy", NULL};
static const char *const loop_methods[] = {"cycle", "changed", NULL};
/* ImmutableSandboxedEnvironment refuses the methods that modify a list or dict */
static const char *const dict_unsafe[] = {"clear", "pop", "popitem", "setdefault", "update", NULL};
static const char *const list_unsafe[] = {"append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort", NULL};

static int find_name(const char *const *tab, const char *name) {
    for (int i = 0; tab[i]; i++)
        if (!strcmp(tab[i], name)) return i;
    return -1;
}

int jb_method_id(jv self, const char *name) {
    int i;
    switch (self.t) {
    case JV_STR: i = find_name(str_methods, name); return i < 0 ? -1 : M_STR_FIRST + i;
    case JV_DICT: i = find_name(dict_methods, name); return i < 0 ? -1 : MD_GET + i;
    case JV_LIST:
        /* tuples have count and index; views, ranges and generators none of these */
        if (JLIST(self)->kind == JL_LIST) i = find_name(list_methods, name);
        else if (JLIST(self)->kind == JL_TUPLE || JLIST(self)->kind == JL_RANGE) i = strcmp(name, "copy") ? find_name(list_methods, name) : -1;
        else i = -1;
        return i < 0 ? -1 : ML_COUNT + i;
    case JV_LOOP: i = find_name(loop_methods, name); return i < 0 ? -1 : MO_CYCLE + i;
    default: return -1;
    }
}

bool jb_method_unsafe(jv self, const char *name) {
    if (self.t == JV_DICT) return find_name(dict_unsafe, name) >= 0;
    if (self.t == JV_LIST) return JLIST(self)->kind == JL_LIST && find_name(list_unsafe, name) >= 0;
    return false;
}

static bool is_alpha_cp(uint32_t c) {
    if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    return py_iscased(c) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3040 && c <= 0x30FF) ||
           (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x0600 && c <= 0x06FF && c != 0x60C) ||
           (c >= 0x05D0 && c <= 0x05EA) || (c >= 0x0900 && c <= 0x097F);
}

/* str.isX(): all code points satisfy `pred` and the string is not empty */
static bool str_all(jstr *s, int pred) {
    if (!s->len) return false;
    bool any_cased = false, has_upper = false, has_lower = false;
    bool prev_cased = false, title_ok = true, title_any = false;
    for (size_t i = 0; i < s->len;) {
        uint32_t c;
        i = utf8_next(s->s, s->len, i, &c);
        bool digit = c >= '0' && c <= '9';
        switch (pred) {
        case MS_ISALNUM: if (!digit && !is_alpha_cp(c)) return false; break;
        case MS_ISALPHA: if (!is_alpha_cp(c)) return false; break;
        case MS_ISASCII: if (c >= 0x80) return false; break;
        case MS_ISDECIMAL: case MS_ISDIGIT: case MS_ISNUMERIC: if (!digit) return false; break;
        case MS_ISSPACE: if (!py_isspace(c)) return false; break;
        default: break;
        }
        if (py_iscased(c)) {
            any_cased = true;
            bool up = py_lower(c) != c, lo = py_upper(c) != c || c == 0xDF;
            has_upper |= up;
            has_lower |= lo;
            if (up && prev_cased) title_ok = false;
            if (lo && !prev_cased) title_ok = false;
            if (up) title_any = true;
            prev_cased = true;
        } else {
            prev_cased = false;
        }
    }
    if (pred == MS_ISLOWER) return any_cased && !has_upper;
    if (pred == MS_ISUPPER) return any_cased && !has_lower;
    if (pred == MS_ISTITLE) return title_ok && title_any;
    if (pred == MS_ISASCII) return true;
    return true;
}

static jv tuple3(jrender *r, jv a, jv b, jv c) {
    jlist *l = jl_new(r, 3);
    l->kind = JL_TUPLE;
    jl_push(r, l, a);
    jl_push(r, l, b);
    jl_push(r, l, c);
    return jv_obj(JV_LIST, l);
}

static const char *const NO_KW[] = {NULL};

static jv str_method(jrender *r, jv self, int id, jargs *a) {
    jstr *s = JSTR(self);
    jv none = jv_none();
    switch (id) {
    case MS_CAPITALIZE: ja_check(r, a, 0, NO_KW, "capitalize"); return js_case(r, self, 3);
    case MS_CASEFOLD: ja_check(r, a, 0, NO_KW, "casefold"); return js_case(r, self, 5);
    case MS_LOWER: ja_check(r, a, 0, NO_KW, "lower"); return js_case(r, self, 0);
    case MS_UPPER: ja_check(r, a, 0, NO_KW, "upper"); return js_case(r, self, 1);
    case MS_SWAPCASE: ja_check(r, a, 0, NO_KW, "swapcase"); return js_case(r, self, 2);
    case MS_TITLE: ja_check(r, a, 0, NO_KW, "title"); return js_case(r, self, 4);
    case MS_STRIP:
    case MS_LSTRIP:
    case MS_RSTRIP: {
        ja_check(r, a, 1, NO_KW, id == MS_STRIP ? "strip" : id == MS_LSTRIP ? "lstrip" : "rstrip");
        jv chars = ja_get(r, a, 0, NULL, none);
        if (chars.t != JV_NONE && chars.t != JV_STR) jr_fail(r, "TypeError", "strip arg must be None or str");
        const jstr *cs = chars.t == JV_NONE ? NULL : JSTR(chars);
        return js_strip(r, self, cs, id == MS_STRIP ? 0 : id == MS_LSTRIP ? 1 : 2);
    }
    case MS_SPLIT:
    case MS_RSPLIT: {
        static const char *const kw[] = {"sep", "maxsplit", NULL};
        ja_check(r, a, 2, kw, id == MS_SPLIT ? "split" : "rsplit");
        jv sep = ja_get(r, a, 0, "sep", none);
        jv mx = ja_get(r, a, 1, "maxsplit", jv_int(-1));
        return jv_obj(JV_LIST, js_split(r, self, sep, want_int(r, mx, "maxsplit"), id == MS_RSPLIT));
    }
    case MS_SPLITLINES: {
        static const char *const kw[] = {"keepends", NULL};
        ja_check(r, a, 1, kw, "splitlines");
        return jv_obj(JV_LIST, js_splitlines(r, s, jv_truthy(ja_get(r, a, 0, "keepends", jv_bool(false)))));
    }
    case MS_STARTSWITH:
    case MS_ENDSWITH:
        ja_check(r, a, 3, NO_KW, id == MS_STARTSWITH ? "startswith" : "endswith");
        if (a->npos < 1) jr_fail(r, "TypeError", "%s() takes at least 1 argument (0 given)", id == MS_STARTSWITH ? "startswith" : "endswith");
        return jv_bool(affix_match(r, s, a->pos[0], a, id == MS_ENDSWITH));
    case MS_REPLACE: {
        static const char *const kw[] = {"count", NULL};
        ja_check(r, a, 3, kw, "replace");
        if (a->npos < 2) jr_fail(r, "TypeError", "replace expected at least 2 arguments, got %d", a->npos);
        jstr *old = want_str(r, a->pos[0], "replace() argument 1");
        jstr *nw = want_str(r, a->pos[1], "replace() argument 2");
        return js_replace(r, self, old, nw, want_int(r, ja_get(r, a, 2, "count", jv_int(-1)), "count"));
    }
    case MS_FIND:
    case MS_RFIND:
    case MS_INDEX:
    case MS_RINDEX: {
        ja_check(r, a, 3, NO_KW, "find");
        if (a->npos < 1) jr_fail(r, "TypeError", "find() takes at least 1 argument (0 given)");
        if (a->pos[0].t != JV_STR) jr_fail(r, "TypeError", "must be str, not %s", jv_type_name(a->pos[0]));
        int64_t k = js_find(r, s, JSTR(a->pos[0]), a, 1, id == MS_RFIND || id == MS_RINDEX);
        if (k < 0 && (id == MS_INDEX || id == MS_RINDEX)) jr_fail(r, "ValueError", "substring not found");
        return jv_int(k);
    }
    case MS_COUNT: {
        ja_check(r, a, 3, NO_KW, "count");
        if (a->npos < 1) jr_fail(r, "TypeError", "count() takes at least 1 argument (0 given)");
        if (a->pos[0].t != JV_STR) jr_fail(r, "TypeError", "must be str, not %s", jv_type_name(a->pos[0]));
        jstr *sub = JSTR(a->pos[0]);
        if (!sub->len) return jv_int((int64_t)jstr_cplen(s) + 1);
        int64_t n = 0;
        for (size_t i = 0;;) {
            const char *hit = memmem(s->s + i, s->len - i, sub->s, sub->len);
            if (!hit) break;
            n++;
            i = (size_t)(hit - s->s) + sub->len;
        }
        return jv_int(n);
    }
    case MS_JOIN: {
        ja_check(r, a, 1, NO_KW, "join");
        if (a->npos < 1) jr_fail(r, "TypeError", "str.join() takes exactly one argument (0 given)");
        jlist *l = jr_iter_list(r, a->pos[0]);
        jbufobj *t = jr_buf(r);
        for (size_t i = 0; i < l->n; i++) {
            if (l->v[i].t != JV_STR)
                jr_fail(r, "TypeError", "sequence item %zu: expected str instance, %s found", i, jv_type_name(l->v[i]));
            if (i) qlm_buf_put(&t->b, s->s, s->len);
            qlm_buf_put(&t->b, JSTR(l->v[i])->s, JSTR(l->v[i])->len);
            jr_out_check(r, &t->b);
        }
        jobj_release(r, &l->h);
        return take_buf(r, t);
    }
    case MS_CENTER:
    case MS_LJUST:
    case MS_RJUST: {
        ja_check(r, a, 2, NO_KW, "center");
        if (a->npos < 1) jr_fail(r, "TypeError", "center expected at least 1 argument, got 0");
        int64_t w = want_int(r, a->pos[0], "width");
        const char *fill = " ";
        size_t fl = 1;
        if (a->npos > 1) {
            jstr *f = want_str(r, a->pos[1], "fill character");
            if (jstr_cplen(f) != 1) jr_fail(r, "TypeError", "The fill character must be exactly one character long");
            fill = f->s;
            fl = f->len;
        }
        return js_pad(r, self, w, fill, fl, id == MS_CENTER ? '^' : id == MS_LJUST ? '<' : '>');
    }
    case MS_ZFILL: {
        ja_check(r, a, 1, NO_KW, "zfill");
        if (a->npos < 1) jr_fail(r, "TypeError", "zfill() takes exactly one argument (0 given)");
        int64_t w = want_int(r, a->pos[0], "width");
        int64_t n = (int64_t)jstr_cplen(s);
        if (w <= n) return jv_retain(self);
        if (w - n > (int64_t)r->max_output) jr_fail_code(r, QLM_ERR_UNSUPPORTED, "MemoryError", "string too long");
        jbufobj *t = jr_buf(r);
        size_t start = 0;
        if (s->len && (s->s[0] == '-' || s->s[0] == '+')) { qlm_buf_putc(&t->b, s->s[0]); start = 1; }
        for (int64_t i = n; i < w; i++) qlm_buf_putc(&t->b, '0');
        qlm_buf_put(&t->b, s->s + start, s->len - start);
        return take_buf(r, t);
    }
    case MS_EXPANDTABS: {
        static const char *const kw[] = {"tabsize", NULL};
        ja_check(r, a, 1, kw, "expandtabs");
        int64_t ts = want_int(r, ja_get(r, a, 0, "tabsize", jv_int(8)), "tabsize");
        jbufobj *t = jr_buf(r);
        int64_t col = 0;
        for (size_t i = 0; i < s->len;) {
            uint32_t c;
            size_t j = utf8_next(s->s, s->len, i, &c);
            if (c == '\t') {
                if (ts > 0) { int64_t k = ts - col % ts; for (int64_t q = 0; q < k; q++) qlm_buf_putc(&t->b, ' '); col += k; }
            } else {
                qlm_buf_put(&t->b, s->s + i, j - i);
                col = (c == '\n' || c == '\r') ? 0 : col + 1;
            }
            jr_out_check(r, &t->b);
            i = j;
        }
        return take_buf(r, t);
    }
    case MS_PARTITION:
    case MS_RPARTITION: {
        ja_check(r, a, 1, NO_KW, "partition");
        if (a->npos < 1) jr_fail(r, "TypeError", "partition() takes exactly one argument (0 given)");
        if (a->pos[0].t != JV_STR) jr_fail(r, "TypeError", "must be str, not %s", jv_type_name(a->pos[0]));
        jstr *sep = JSTR(a->pos[0]);
        if (!sep->len) jr_fail(r, "ValueError", "empty separator");
        const char *hit = NULL;
        if (id == MS_PARTITION) hit = memmem(s->s, s->len, sep->s, sep->len);
        else if (sep->len <= s->len)
            for (size_t k = s->len - sep->len + 1; k-- > 0;)
                if (!memcmp(s->s + k, sep->s, sep->len)) { hit = s->s + k; break; }
        if (!hit) {
            jv e1 = jv_str(r, "", 0), e2 = jv_str(r, "", 0);
            return id == MS_PARTITION ? tuple3(r, jv_retain(self), e1, e2) : tuple3(r, e1, e2, jv_retain(self));
        }
        size_t k = (size_t)(hit - s->s);
        return tuple3(r, jv_str(r, s->s, k), jv_retain(a->pos[0]), jv_str(r, s->s + k + sep->len, s->len - k - sep->len));
    }
    case MS_REMOVEPREFIX:
    case MS_REMOVESUFFIX: {
        ja_check(r, a, 1, NO_KW, "removeprefix");
        if (a->npos < 1) jr_fail(r, "TypeError", "removeprefix() takes exactly one argument (0 given)");
        jstr *x = want_str(r, a->pos[0], "argument");
        if (x->len <= s->len) {
            if (id == MS_REMOVEPREFIX && !memcmp(s->s, x->s, x->len)) return jv_str(r, s->s + x->len, s->len - x->len);
            if (id == MS_REMOVESUFFIX && x->len && !memcmp(s->s + s->len - x->len, x->s, x->len))
                return jv_str(r, s->s, s->len - x->len);
        }
        return jv_retain(self);
    }
    case MS_FORMAT: return str_format(r, s, a);
    default:
        if (id >= MS_ISALNUM && id <= MS_ISUPPER) {
            ja_check(r, a, 0, NO_KW, str_methods[id]);
            return jv_bool(str_all(s, id));
        }
        break;
    }
    jr_fail(r, "TypeError", "unsupported str method");
}

jv jb_loop_attr(jrender *r, jloop *l, const char *name, bool *found) {
    size_t n = l->items->n, i = l->i;
    *found = true;
    if (!strcmp(name, "index")) return jv_int((int64_t)i + 1);
    if (!strcmp(name, "index0")) return jv_int((int64_t)i);
    if (!strcmp(name, "revindex")) return jv_int((int64_t)(n - i));
    if (!strcmp(name, "revindex0")) return jv_int((int64_t)(n - i - 1));
    if (!strcmp(name, "first")) return jv_bool(i == 0);
    if (!strcmp(name, "last")) return jv_bool(i + 1 == n);
    if (!strcmp(name, "length")) return jv_int((int64_t)n);
    if (!strcmp(name, "depth")) return jv_int(l->depth);
    if (!strcmp(name, "depth0")) return jv_int(l->depth - 1);
    if (!strcmp(name, "previtem"))
        return i > 0 ? jv_retain(l->items->v[i - 1]) : jv_undef(r, "there is no previous item");
    if (!strcmp(name, "nextitem"))
        return i + 1 < n ? jv_retain(l->items->v[i + 1]) : jv_undef(r, "there is no next item");
    *found = false;
    return jv_undef0();
}

jv jb_call_method(jrender *r, jv self, int id, jargs *a) {
    if (id < MD_GET) return str_method(r, self, id, a);
    switch (id) {
    case MD_GET: {
        ja_check(r, a, 2, NO_KW, "get");
        if (a->npos < 1) jr_fail(r, "TypeError", "get expected at least 1 argument, got 0");
        jv *v = jd_get(r, JDICT(self), a->pos[0]);
        return v ? jv_retain(*v) : jv_retain(a->npos > 1 ? a->pos[1] : jv_none());
    }
    case MD_ITEMS:
    case MD_KEYS:
    case MD_VALUES: {
        ja_check(r, a, 0, NO_KW, id == MD_ITEMS ? "items" : id == MD_KEYS ? "keys" : "values");
        jdict *d = JDICT(self);
        jlist *l = jl_new(r, d->n);
        l->kind = id == MD_KEYS ? JL_KEYS : id == MD_VALUES ? JL_VALUES : JL_ITEMS;
        for (size_t i = 0; i < d->n; i++) {
            if (id == MD_KEYS) jl_push(r, l, jv_retain(d->keys[i]));
            else if (id == MD_VALUES) jl_push(r, l, jv_retain(d->vals[i]));
            else {
                jlist *p = jl_new(r, 2);
                p->kind = JL_TUPLE;
                jl_push(r, p, jv_retain(d->keys[i]));
                jl_push(r, p, jv_retain(d->vals[i]));
                jl_push(r, l, jv_obj(JV_LIST, p));
            }
        }
        return jv_obj(JV_LIST, l);
    }
    case MD_COPY: {
        ja_check(r, a, 0, NO_KW, "copy");
        jdict *d = JDICT(self), *c = jd_new(r);
        for (size_t i = 0; i < d->n; i++) jd_set(r, c, jv_retain(d->keys[i]), jv_retain(d->vals[i]));
        return jv_obj(JV_DICT, c);
    }
    case ML_COUNT:
    case ML_INDEX: {
        ja_check(r, a, id == ML_INDEX ? 3 : 1, NO_KW, id == ML_INDEX ? "index" : "count");
        if (a->npos < 1) jr_fail(r, "TypeError", "%s() takes at least 1 argument (0 given)", id == ML_INDEX ? "index" : "count");
        jlist *l = JLIST(self);
        int64_t n = 0;
        for (size_t i = 0; i < l->n; i++) {
            if (jv_eq(r, l->v[i], a->pos[0])) {
                if (id == ML_INDEX) return jv_int((int64_t)i);
                n++;
            }
        }
        if (id == ML_INDEX) {
            jbufobj *t = jr_buf(r);
            jv_write_repr(r, &t->b, a->pos[0]);
            jr_fail(r, "ValueError", "%s is not in %s", qlm_buf_cstr(&t->b), JLIST(self)->kind == JL_TUPLE ? "tuple" : "list");
        }
        return jv_int(n);
    }
    case ML_COPY: {
        ja_check(r, a, 0, NO_KW, "copy");
        jlist *l = JLIST(self), *c = jl_new(r, l->n);
        for (size_t i = 0; i < l->n; i++) jl_push(r, c, jv_retain(l->v[i]));
        return jv_obj(JV_LIST, c);
    }
    case MO_CYCLE: {
        if (a->nkw) jr_fail(r, "TypeError", "cycle() got an unexpected keyword argument");
        if (!a->npos) jr_fail(r, "TypeError", "no items for cycling given");
        return jv_retain(a->pos[JLOOP(self)->i % (size_t)a->npos]);
    }
    case MO_CHANGED: {
        jloop *l = JLOOP(self);
        jlist *now = jl_new(r, (size_t)a->npos);
        for (int i = 0; i < a->npos; i++) jl_push(r, now, jv_retain(a->pos[i]));
        jv nv = jv_obj(JV_LIST, now);
        if (l->changed_set && jv_eq(r, l->changed_last, nv)) {
            jv_release(r, nv);
            return jv_bool(false);
        }
        jv_release(r, l->changed_last);
        l->changed_last = nv;
        l->changed_set = true;
        return jv_bool(true);
    }
    }
    jr_fail(r, "TypeError", "unknown method");
}
