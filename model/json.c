/* JSON parser (iterative, arena-backed DOM) and Python-compatible writer. See json.h. */
#include "json.h"
#include "../ggml-like/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- growable buffer ----------------------------------------------------------------- */

static bool buf_reserve(qlm_buf *b, size_t extra) {
    if (b->oom || b->over) return false;
    if (b->limit && (extra > b->limit || b->len > b->limit - extra)) {
        b->over = true;
        return false;
    }
    if (b->len + extra + 1 <= b->cap) return true;
    if (extra > SIZE_MAX / 2 - b->len) { b->oom = true; return false; }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) { b->oom = true; return false; }
    b->p = p;
    b->cap = cap;
    return true;
}

void qlm_buf_put(qlm_buf *b, const void *s, size_t n) {
    if (n == 0 || !buf_reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void qlm_buf_putc(qlm_buf *b, char c) {
    if (!buf_reserve(b, 1)) return;
    b->p[b->len++] = c;
    b->p[b->len] = 0;
}

void qlm_buf_puts(qlm_buf *b, const char *s) { qlm_buf_put(b, s, strlen(s)); }

void qlm_buf_printf(qlm_buf *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) { qlm_buf_put(b, tmp, (size_t)n); return; }
    if (!buf_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *qlm_buf_cstr(qlm_buf *b) { return b->p ? b->p : ""; }

char *qlm_buf_take(qlm_buf *b, size_t *len) {
    char *p = NULL;
    if (!b->oom) {
        p = b->p ? b->p : calloc(1, 1);
        b->p = NULL;
        if (len) *len = p ? b->len : 0;
    }
    qlm_buf_free(b);
    return p;
}

void qlm_buf_free(qlm_buf *b) {
    free(b->p);
    size_t limit = b->limit;
    memset(b, 0, sizeof *b);
    b->limit = limit;
}

bool qlm_buf_ok(const qlm_buf *b) { return !b->oom && !b->over; }

/* ---- UTF-8 --------------------------------------------------------------------------- */

int qlm_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    if (c < 0xC2) return 0; /* continuation byte or overlong 2-byte lead */
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80) return 0;
        *cp = ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu);
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0; /* UTF-16 surrogate */
        *cp = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0; /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0; /* > U+10FFFF */
        *cp = ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) |
              (s[3] & 0x3Fu);
        return 4;
    }
    return 0;
}

int qlm_utf8_encode(uint32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

bool qlm_utf8_valid(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        if (*p < 0x80) { p++; continue; }
        uint32_t cp;
        int k = qlm_utf8_decode(p, (size_t)(end - p), &cp);
        if (!k) return false;
        p += k;
    }
    return true;
}

/* ---- numbers ------------------------------------------------------------------------- */

char *qlm_fmt_double(double x, bool json, char buf[32]) {
    if (isnan(x)) { strcpy(buf, json ? "NaN" : "nan"); return buf; }
    if (isinf(x)) {
        strcpy(buf, x > 0 ? (json ? "Infinity" : "inf") : (json ? "-Infinity" : "-inf"));
        return buf;
    }
    if (x == 0) { strcpy(buf, signbit(x) ? "-0.0" : "0.0"); return buf; }
    /* The shortest digit string that reads back as x (what Python's repr prints). The
     * correctly rounded p-digit form is tried for p = 1..17; 17 always round-trips. */
    char tmp[48];
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, x);
        if (strtod(tmp, NULL) == x) break;
    }
    /* tmp is [-]d[.ddd]e[+-]XX */
    char digits[24];
    int nd = 0;
    const char *q = tmp;
    bool neg = false;
    if (*q == '-') { neg = true; q++; }
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9' && nd < 20) digits[nd++] = *q;
    int e = (*q == 'e') ? atoi(q + 1) : 0;
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    digits[nd] = 0;
    int decpt = e + 1; /* position of the decimal point relative to the digits */
    char *o = buf;
    if (neg) *o++ = '-';
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            *o++ = '0'; *o++ = '.';
            for (int i = 0; i < -decpt; i++) *o++ = '0';
            memcpy(o, digits, (size_t)nd); o += nd;
        } else if (decpt >= nd) {
            memcpy(o, digits, (size_t)nd); o += nd;
            for (int i = nd; i < decpt; i++) *o++ = '0';
            *o++ = '.'; *o++ = '0';
        } else {
            memcpy(o, digits, (size_t)decpt); o += decpt;
            *o++ = '.';
            memcpy(o, digits + decpt, (size_t)(nd - decpt)); o += nd - decpt;
        }
        *o = 0;
    } else {
        *o++ = digits[0];
        if (nd > 1) { *o++ = '.'; memcpy(o, digits + 1, (size_t)(nd - 1)); o += nd - 1; }
        int ex = decpt - 1; /* |ex| <= 324 for doubles */
        unsigned ax = (unsigned)(ex < 0 ? -ex : ex);
        *o++ = 'e';
        *o++ = ex < 0 ? '-' : '+';
        if (ax >= 100) *o++ = (char)('0' + ax / 100 % 10);
        *o++ = (char)('0' + ax / 10 % 10);
        *o++ = (char)('0' + ax % 10);
        *o = 0;
    }
    return buf;
}

/* ---- string escaping ----------------------------------------------------------------- */

void qlm_json_put_str(qlm_buf *b, const char *s, size_t n, bool ensure_ascii) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    qlm_buf_putc(b, '"');
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' &&
               (*p < 0x7F || (!ensure_ascii && *p >= 0x7F)))
            p++;
        if (p > run) qlm_buf_put(b, run, (size_t)(p - run));
        if (p >= end) break;
        unsigned c = *p;
        char esc[16];
        switch (c) {
        case '"': qlm_buf_put(b, "\\\"", 2); p++; continue;
        case '\\': qlm_buf_put(b, "\\\\", 2); p++; continue;
        case '\n': qlm_buf_put(b, "\\n", 2); p++; continue;
        case '\r': qlm_buf_put(b, "\\r", 2); p++; continue;
        case '\t': qlm_buf_put(b, "\\t", 2); p++; continue;
        case '\b': qlm_buf_put(b, "\\b", 2); p++; continue;
        case '\f': qlm_buf_put(b, "\\f", 2); p++; continue;
        default: break;
        }
        uint32_t cp;
        if (c < 0x80) { cp = c; p++; }
        else {
            int k = qlm_utf8_decode(p, (size_t)(end - p), &cp);
            if (!k) { cp = 0xFFFD; k = 1; }
            p += k;
        }
        if (cp >= 0x10000) {
            uint32_t v = cp - 0x10000, hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);
            char *e = esc;
            *e++ = '\\'; *e++ = 'u';
            for (int i = 3; i >= 0; i--) *e++ = hex[(hi >> (4 * i)) & 15];
            *e++ = '\\'; *e++ = 'u';
            for (int i = 3; i >= 0; i--) *e++ = hex[(lo >> (4 * i)) & 15];
            qlm_buf_put(b, esc, 12);
        } else {
            char *e = esc;
            *e++ = '\\'; *e++ = 'u';
            for (int i = 3; i >= 0; i--) *e++ = hex[(cp >> (4 * i)) & 15];
            qlm_buf_put(b, esc, 6);
        }
    }
    qlm_buf_putc(b, '"');
}

/* ---- arena --------------------------------------------------------------------------- */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} arena_block;

typedef struct {
    arena_block *head;
    void *last;       /* the most recent allocation, so it can be shrunk */
    size_t first_cap; /* size of the first block (0: ARENA_BLOCK) */
} arena;

#define ARENA_BLOCK (1u << 20)

static void *arena_alloc(arena *a, size_t n) {
    n = (n + 7) & ~(size_t)7;
    arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t want = !b && a->first_cap ? a->first_cap : ARENA_BLOCK;
        size_t cap = n > want ? n : want;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->used = 0;
        b->cap = cap;
        /* A big one-off block goes behind the current one so the current block's
         * free space is not abandoned. */
        if (a->head && cap > ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
            b->used = n;
            a->last = NULL;
            return b->data;
        }
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->last = p;
    return p;
}

/* Give back the unused tail of the latest allocation p (which had `had` bytes). */
static void arena_shrink(arena *a, void *p, size_t had, size_t now) {
    if (!a->head || a->last != p) return;
    had = (had + 7) & ~(size_t)7;
    now = (now + 7) & ~(size_t)7;
    a->head->used -= had - now;
}

static void arena_free(arena *a) {
    arena_block *b = a->head;
    while (b) {
        arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
}

/* ---- parser -------------------------------------------------------------------------- */

struct qlm_json_doc {
    arena a;
    qlm_json root;
};

typedef struct {
    size_t start;  /* first child on the value stack */
    uint8_t type;  /* ARRAY or OBJECT */
} frame;

typedef struct {
    const unsigned char *s, *p, *end;
    unsigned flags;
    int max_depth;
    arena *a;
    qlm_json *vals;
    size_t nvals, capvals;
    frame *frames;
    int nframes, capframes;
    qlm_error *err;
    bool failed;
} parser;

static bool fail_at(parser *ps, const unsigned char *at, const char *msg) {
    if (ps->failed) return false;
    ps->failed = true;
    if (at > ps->end) at = ps->end;
    size_t off = (size_t)(at - ps->s);
    size_t line = 1, col = 1;
    for (const unsigned char *q = ps->s; q < at; q++) {
        if (*q == '\n') { line++; col = 1; }
        else col++;
    }
    qlm_set_error(ps->err, QLM_ERR_FORMAT, "JSON: %s at line %zu, column %zu (byte %zu)", msg,
                  line, col, off);
    return false;
}

static bool fail_nomem(parser *ps) {
    if (!ps->failed) {
        ps->failed = true;
        qlm_set_error(ps->err, QLM_ERR_NOMEM, "JSON: out of memory");
    }
    return false;
}

static void skip_ws(parser *ps) {
    const unsigned char *p = ps->p, *end = ps->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    ps->p = p;
}

static qlm_json *push_val(parser *ps) {
    if (ps->nvals == ps->capvals) {
        size_t cap = ps->capvals ? ps->capvals * 2 : 256;
        qlm_json *v = realloc(ps->vals, cap * sizeof *v);
        if (!v) { fail_nomem(ps); return NULL; }
        ps->vals = v;
        ps->capvals = cap;
    }
    qlm_json *v = &ps->vals[ps->nvals++];
    memset(v, 0, sizeof *v);
    return v;
}

static int hexval(unsigned c) {
    if (c >= '0' && c <= '9') return (int)(c - '0');
    if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return (int)(c - 'A' + 10);
    return -1;
}

/* \uXXXX at p (p points at the 'u'); returns the value or -1. */
static long hex4(const unsigned char *p, const unsigned char *end) {
    if (end - p < 5) return -1;
    long v = 0;
    for (int i = 1; i <= 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Parse the string starting at ps->p (a '"') into v. */
static bool parse_string(parser *ps, qlm_json *v) {
    const unsigned char *open = ps->p, *q = open + 1, *end = ps->end;
    bool escapes = false, high = false;
    /* Pass 1: find the closing quote (fast scan), reject raw control characters. */
    for (;;) {
        if (q >= end) return fail_at(ps, open, "unterminated string");
        unsigned c = *q;
        if (c == '"') break;
        if (c == '\\') {
            escapes = true;
            if (q + 1 >= end) return fail_at(ps, open, "unterminated string");
            q += 2;
            continue;
        }
        if (c < 0x20) return fail_at(ps, q, "control character in string (must be escaped)");
        if (c >= 0x80) high = true;
        q++;
    }
    const unsigned char *body = open + 1;
    size_t raw = (size_t)(q - body);
    bool replace = (ps->flags & QLM_JSON_REPLACE_INVALID) != 0;
    /* Decoding never grows the text, except U+FFFD (3 bytes) for one bad byte. */
    size_t cap = (replace && high ? raw * 3 : raw) + 1;
    char *out = arena_alloc(ps->a, cap);
    if (!out) return fail_nomem(ps);
    size_t n = 0;
    if (!escapes && !high) {
        memcpy(out, body, raw);
        n = raw;
    } else {
        const unsigned char *p = body;
        while (p < q) {
            unsigned c = *p;
            if (c == '\\') {
                unsigned e = p[1];
                switch (e) {
                case '"': out[n++] = '"'; p += 2; continue;
                case '\\': out[n++] = '\\'; p += 2; continue;
                case '/': out[n++] = '/'; p += 2; continue;
                case 'b': out[n++] = '\b'; p += 2; continue;
                case 'f': out[n++] = '\f'; p += 2; continue;
                case 'n': out[n++] = '\n'; p += 2; continue;
                case 'r': out[n++] = '\r'; p += 2; continue;
                case 't': out[n++] = '\t'; p += 2; continue;
                case 'u': break;
                default: return fail_at(ps, p, "invalid escape in string");
                }
                long u = hex4(p + 1, q);
                if (u < 0) return fail_at(ps, p, "invalid \\u escape (need 4 hex digits)");
                uint32_t cp = (uint32_t)u;
                const unsigned char *at = p;
                p += 6;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    long lo = (p + 1 < q && p[0] == '\\' && p[1] == 'u') ? hex4(p + 1, q) : -1;
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                        p += 6;
                    } else {
                        if (!replace) return fail_at(ps, at, "lone UTF-16 surrogate in \\u escape");
                        cp = 0xFFFD;
                    }
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    if (!replace) return fail_at(ps, at, "lone UTF-16 surrogate in \\u escape");
                    cp = 0xFFFD;
                }
                n += (size_t)qlm_utf8_encode(cp, out + n);
                continue;
            }
            if (c < 0x80) { out[n++] = (char)c; p++; continue; }
            uint32_t cp;
            int k = qlm_utf8_decode(p, (size_t)(q - p), &cp);
            if (!k) {
                if (!replace) return fail_at(ps, p, "invalid UTF-8 in string");
                n += (size_t)qlm_utf8_encode(0xFFFD, out + n);
                p++;
                continue;
            }
            memcpy(out + n, p, (size_t)k);
            n += (size_t)k;
            p += k;
        }
    }
    out[n] = 0;
    arena_shrink(ps->a, out, cap, n + 1);
    v->type = QLM_JSON_STRING;
    v->str = out;
    v->len = (uint32_t)n;
    ps->p = q + 1;
    return true;
}

static bool parse_number(parser *ps, qlm_json *v) {
    const unsigned char *start = ps->p, *p = start, *end = ps->end;
    bool neg = false;
    if (*p == '-') { neg = true; p++; }
    if (p >= end || *p < '0' || *p > '9') return fail_at(ps, p, "invalid number (expected a digit)");
    /* Integer part. Up to 19 significant digits are collected exactly in `mant`. */
    uint64_t mant = 0;
    int sig = 0;
    bool exact = true; /* all significant digits fit in mant */
    bool int_overflow = false;
    uint64_t ival = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9') return fail_at(ps, start, "leading zeros are not allowed in numbers");
    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            unsigned d = *p - '0';
            if (!int_overflow) {
                if (ival > (limit - d) / 10) int_overflow = true;
                else ival = ival * 10 + d;
            }
            if (sig < 19) { mant = mant * 10 + d; sig++; }
            else exact = false;
            p++;
        }
    }
    bool is_int = true;
    int frac_digits = 0;
    if (p < end && *p == '.') {
        is_int = false;
        p++;
        if (p >= end || *p < '0' || *p > '9') return fail_at(ps, p, "invalid number (expected a digit after '.')");
        while (p < end && *p >= '0' && *p <= '9') {
            unsigned d = *p - '0';
            if (sig < 19) {
                if (mant || d) { mant = mant * 10 + d; sig++; }
                frac_digits++;
            } else {
                exact = false;
            }
            p++;
        }
    }
    long exp10 = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_int = false;
        p++;
        bool eneg = false;
        if (p < end && (*p == '+' || *p == '-')) { eneg = *p == '-'; p++; }
        if (p >= end || *p < '0' || *p > '9') return fail_at(ps, p, "invalid number (expected a digit in the exponent)");
        while (p < end && *p >= '0' && *p <= '9') {
            if (exp10 < 100000) exp10 = exp10 * 10 + (*p - '0');
            p++;
        }
        if (eneg) exp10 = -exp10;
    }
    size_t tlen = (size_t)(p - start);
    char *text = arena_alloc(ps->a, tlen + 1);
    if (!text) return fail_nomem(ps);
    memcpy(text, start, tlen);
    text[tlen] = 0;
    v->type = QLM_JSON_NUMBER;
    v->str = text;
    v->len = (uint32_t)tlen;
    if (is_int && !int_overflow) {
        v->is_int = 1;
        v->i = neg ? (int64_t)(0 - ival) : (int64_t)ival;
        v->u.num = (double)v->i;
    } else {
        /* Exact fast path (Clinger): a mantissa below 2^53 times an exact power of ten
         * is correctly rounded by one IEEE operation. Otherwise strtod. */
        static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
        long e = exp10 - frac_digits;
        if (exact && mant <= (1ull << 53) && e >= -22 && e <= 22) {
            double d = (double)mant;
            d = e >= 0 ? d * p10[e] : d / p10[-e];
            v->u.num = neg ? -d : d;
        } else {
            v->u.num = strtod(text, NULL); /* inf on overflow, like Python */
        }
    }
    ps->p = p;
    return true;
}

static bool push_frame(parser *ps, uint8_t type) {
    if (ps->nframes >= ps->max_depth) {
        char msg[64];
        snprintf(msg, sizeof msg, "nesting deeper than %d levels", ps->max_depth);
        return fail_at(ps, ps->p, msg);
    }
    if (ps->nframes == ps->capframes) {
        int cap = ps->capframes ? ps->capframes * 2 : 32;
        frame *f = realloc(ps->frames, (size_t)cap * sizeof *f);
        if (!f) return fail_nomem(ps);
        ps->frames = f;
        ps->capframes = cap;
    }
    ps->frames[ps->nframes].start = ps->nvals;
    ps->frames[ps->nframes].type = type;
    ps->nframes++;
    return true;
}

/* Close the innermost container: move its children off the stack into the arena. */
static bool close_frame(parser *ps) {
    frame f = ps->frames[--ps->nframes];
    size_t n = ps->nvals - f.start;
    qlm_json *items = NULL;
    if (n) {
        items = arena_alloc(ps->a, n * sizeof *items);
        if (!items) return fail_nomem(ps);
        memcpy(items, ps->vals + f.start, n * sizeof *items);
    }
    ps->nvals = f.start;
    qlm_json *v = push_val(ps);
    if (!v) return false;
    v->type = f.type;
    v->len = (uint32_t)(f.type == QLM_JSON_OBJECT ? n / 2 : n);
    v->u.items = items;
    return true;
}

/* An object key and its ':' (ps->p at the key's quote). */
static bool parse_key(parser *ps) {
    if (ps->p >= ps->end || *ps->p != '"')
        return fail_at(ps, ps->p, ps->p >= ps->end ? "unexpected end of input (expected a string key)"
                                                  : "expected a string key");
    qlm_json *k = push_val(ps);
    if (!k || !parse_string(ps, k)) return false;
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != ':')
        return fail_at(ps, ps->p, "expected ':' after object key");
    ps->p++;
    skip_ws(ps);
    return true;
}

static bool literal(parser *ps, const char *word, size_t n) {
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail_at(ps, ps->p, "invalid literal");
    ps->p += n;
    return true;
}

static bool parse_doc(parser *ps) {
    skip_ws(ps);
    for (;;) {
        /* A value is expected at ps->p. */
        if (ps->p >= ps->end) return fail_at(ps, ps->p, "unexpected end of input (expected a value)");
        unsigned c = *ps->p;
        if (c == '{' || c == '[') {
            uint8_t t = c == '{' ? QLM_JSON_OBJECT : QLM_JSON_ARRAY;
            if (!push_frame(ps, t)) return false;
            ps->p++;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == (c == '{' ? '}' : ']')) {
                ps->p++;
                if (!close_frame(ps)) return false;
            } else {
                if (t == QLM_JSON_OBJECT && !parse_key(ps)) return false;
                continue; /* parse the first element */
            }
        } else {
            qlm_json *v = push_val(ps);
            if (!v) return false;
            bool ok;
            if (c == '"') ok = parse_string(ps, v);
            else if (c == '-' || (c >= '0' && c <= '9')) ok = parse_number(ps, v);
            else if (c == 't') { ok = literal(ps, "true", 4); v->type = QLM_JSON_BOOL; v->boolean = 1; }
            else if (c == 'f') { ok = literal(ps, "false", 5); v->type = QLM_JSON_BOOL; }
            else if (c == 'n') { ok = literal(ps, "null", 4); v->type = QLM_JSON_NULL; }
            else ok = fail_at(ps, ps->p, "unexpected character (expected a value)");
            if (!ok) return false;
        }
        /* After a value: close finished containers or move to the next element. */
        for (;;) {
            skip_ws(ps);
            if (ps->nframes == 0) {
                if (ps->p != ps->end) return fail_at(ps, ps->p, "unexpected data after the JSON value");
                return true;
            }
            frame *f = &ps->frames[ps->nframes - 1];
            bool obj = f->type == QLM_JSON_OBJECT;
            if (ps->p >= ps->end)
                return fail_at(ps, ps->p, obj ? "unexpected end of input (expected ',' or '}')"
                                               : "unexpected end of input (expected ',' or ']')");
            unsigned d = *ps->p;
            if (d == ',') {
                ps->p++;
                skip_ws(ps);
                if (obj && !parse_key(ps)) return false;
                break; /* next value */
            }
            if (d == (obj ? '}' : ']')) {
                ps->p++;
                if (!close_frame(ps)) return false;
                continue;
            }
            return fail_at(ps, ps->p, obj ? "expected ',' or '}' after object member"
                                           : "expected ',' or ']' after array element");
        }
    }
}

qlm_status qlm_json_parse(const char *text, size_t len, const qlm_json_opts *opts,
                          qlm_json_doc **out, qlm_error *err) {
    *out = NULL;
    size_t max_bytes = opts && opts->max_bytes ? opts->max_bytes : ((size_t)1 << 30);
    if (max_bytes > UINT32_MAX) max_bytes = UINT32_MAX; /* lengths are stored in 32 bits */
    if (len > max_bytes)
        return qlm_set_error(err, QLM_ERR_FORMAT, "JSON: input of %zu bytes exceeds the limit of %zu",
                             len, max_bytes);
    if (!text && len) return qlm_set_error(err, QLM_ERR_INVALID_ARG, "JSON: NULL text");
    qlm_json_doc *d = calloc(1, sizeof *d);
    if (!d) return qlm_set_error(err, QLM_ERR_NOMEM, "JSON: out of memory");
    parser ps = {0};
    ps.s = (const unsigned char *)(text ? text : "");
    ps.p = ps.s;
    ps.end = ps.s + len;
    ps.flags = opts ? opts->flags : 0;
    ps.max_depth = opts && opts->max_depth > 0 ? opts->max_depth : 512;
    ps.a = &d->a;
    /* A small text gets a first block to its measure (its DOM rarely needs more than 8
     * bytes per byte of text) instead of a whole ARENA_BLOCK; bigger DOMs continue in
     * full blocks. Small documents (request bodies, config.json) then cost one small
     * allocation, not a 1 MiB one. */
    d->a.first_cap = len < ARENA_BLOCK / 8 - 128 ? 8 * len + 1024 : ARENA_BLOCK;
    ps.err = err;
    if (len >= 3 && ps.s[0] == 0xEF && ps.s[1] == 0xBB && ps.s[2] == 0xBF) ps.p += 3;
    bool ok = parse_doc(&ps);
    if (ok) d->root = ps.vals[0];
    free(ps.vals);
    free(ps.frames);
    if (!ok) {
        qlm_json_free(d);
        return err ? err->code : QLM_ERR_FORMAT;
    }
    *out = d;
    return QLM_OK;
}

qlm_status qlm_json_parse_file(const char *path, const qlm_json_opts *opts,
                               qlm_json_doc **out, qlm_error *err) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return qlm_set_error(err, QLM_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return qlm_set_error(err, QLM_ERR_IO, "%s: not a regular file", path);
    }
    size_t max_bytes = opts && opts->max_bytes ? opts->max_bytes : ((size_t)1 << 30);
    if ((uint64_t)st.st_size > max_bytes) {
        fclose(f);
        return qlm_set_error(err, QLM_ERR_FORMAT, "%s: %lld bytes exceeds the JSON size limit of %zu",
                             path, (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n ? n : 1);
    if (!buf) { fclose(f); return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory reading %s", path); }
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    if (got != n) {
        free(buf);
        return qlm_set_error(err, QLM_ERR_IO, "%s: short read", path);
    }
    qlm_status s = qlm_json_parse(buf, n, opts, out, err);
    free(buf);
    if (s != QLM_OK && err) {
        /* prefix the path so the message says which file */
        char old[sizeof err->message];
        memcpy(old, err->message, sizeof old);
        qlm_set_error(err, s, "%s: %s", path, old);
    }
    return s;
}

const qlm_json *qlm_json_root(const qlm_json_doc *d) { return d ? &d->root : NULL; }

void qlm_json_free(qlm_json_doc *d) {
    if (!d) return;
    arena_free(&d->a);
    free(d);
}

/* ---- accessors ----------------------------------------------------------------------- */

size_t qlm_json_len(const qlm_json *v) {
    return v && (v->type == QLM_JSON_ARRAY || v->type == QLM_JSON_OBJECT) ? v->len : 0;
}

const qlm_json *qlm_json_at(const qlm_json *a, size_t i) {
    return a && a->type == QLM_JSON_ARRAY && i < a->len ? &a->u.items[i] : NULL;
}

const qlm_json *qlm_json_key(const qlm_json *o, size_t i) {
    return o && o->type == QLM_JSON_OBJECT && i < o->len ? &o->u.items[2 * i] : NULL;
}

const qlm_json *qlm_json_val(const qlm_json *o, size_t i) {
    return o && o->type == QLM_JSON_OBJECT && i < o->len ? &o->u.items[2 * i + 1] : NULL;
}

const qlm_json *qlm_json_getn(const qlm_json *o, const char *key, size_t n) {
    if (!o || o->type != QLM_JSON_OBJECT) return NULL;
    for (size_t i = o->len; i-- > 0;) {
        const qlm_json *k = &o->u.items[2 * i];
        if (k->len == n && memcmp(k->str, key, n) == 0) return &o->u.items[2 * i + 1];
    }
    return NULL;
}

const qlm_json *qlm_json_get(const qlm_json *o, const char *key) {
    return qlm_json_getn(o, key, strlen(key));
}

const char *qlm_json_str(const qlm_json *v) {
    return v && v->type == QLM_JSON_STRING ? v->str : NULL;
}

bool qlm_json_i64(const qlm_json *v, int64_t *out) {
    if (!v || v->type != QLM_JSON_NUMBER || !v->is_int) return false;
    *out = v->i;
    return true;
}

bool qlm_json_num(const qlm_json *v, double *out) {
    if (!v || v->type != QLM_JSON_NUMBER) return false;
    *out = v->u.num;
    return true;
}

bool qlm_json_bool(const qlm_json *v, bool *out) {
    if (!v || v->type != QLM_JSON_BOOL) return false;
    *out = v->boolean != 0;
    return true;
}

/* ---- writer -------------------------------------------------------------------------- */

qlm_json_write_opts qlm_json_write_defaults(void) {
    qlm_json_write_opts o = {.indent = -1, .ensure_ascii = true, .compact = false};
    return o;
}

static void newline_indent(qlm_buf *b, int indent, int level) {
    qlm_buf_putc(b, '\n');
    for (long i = 0; i < (long)indent * level; i++) qlm_buf_putc(b, ' ');
}

static void write_val(qlm_buf *b, const qlm_json *v, const qlm_json_write_opts *o, int level) {
    char tmp[32];
    switch (v->type) {
    case QLM_JSON_NULL: qlm_buf_put(b, "null", 4); return;
    case QLM_JSON_BOOL: qlm_buf_puts(b, v->boolean ? "true" : "false"); return;
    case QLM_JSON_NUMBER:
        if (v->is_int) qlm_buf_printf(b, "%lld", (long long)v->i);
        else if (!strpbrk(v->str, ".eE")) qlm_buf_put(b, v->str, v->len); /* big integer: exact */
        else qlm_buf_puts(b, qlm_fmt_double(v->u.num, true, tmp));
        return;
    case QLM_JSON_STRING: qlm_json_put_str(b, v->str, v->len, o->ensure_ascii); return;
    case QLM_JSON_ARRAY:
    case QLM_JSON_OBJECT: {
        bool obj = v->type == QLM_JSON_OBJECT;
        if (v->len == 0) { qlm_buf_puts(b, obj ? "{}" : "[]"); return; }
        bool ind = o->indent >= 0;
        const char *item_sep = o->compact || ind ? "," : ", ";
        const char *key_sep = o->compact ? ":" : ": ";
        qlm_buf_putc(b, obj ? '{' : '[');
        for (uint32_t i = 0; i < v->len; i++) {
            if (i) qlm_buf_puts(b, item_sep);
            if (ind) newline_indent(b, o->indent, level + 1);
            if (obj) {
                const qlm_json *k = &v->u.items[2 * i];
                qlm_json_put_str(b, k->str, k->len, o->ensure_ascii);
                qlm_buf_puts(b, key_sep);
                write_val(b, &v->u.items[2 * i + 1], o, level + 1);
            } else {
                write_val(b, &v->u.items[i], o, level + 1);
            }
        }
        if (ind) newline_indent(b, o->indent, level);
        qlm_buf_putc(b, obj ? '}' : ']');
        return;
    }
    }
}

void qlm_json_write(qlm_buf *b, const qlm_json *v, const qlm_json_write_opts *o) {
    qlm_json_write_opts d = qlm_json_write_defaults();
    if (!o) o = &d;
    if (v) write_val(b, v, o, 0);
}
