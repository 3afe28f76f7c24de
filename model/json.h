/* JSON (RFC 8259): a parser into a read-only DOM, a writer that formats like Python's
 * json.dumps, and the small text helpers both share (a growable byte buffer, UTF-8
 * decoding, Python's float repr).
 *
 * Parser
 *   - One pass, no recursion (an explicit stack), linear time: a 33 MB tokenizer.json
 *     is parsed without quadratic behaviour. All nodes and decoded strings live in one
 *     arena owned by the qlm_json_doc; freeing the document frees everything.
 *   - Survives any input: every malformed text gives QLM_ERR_FORMAT and a one-line
 *     message with line, column and byte offset; nesting is capped (default 512).
 *   - Objects keep their members in document order; duplicate keys are kept and
 *     qlm_json_get returns the last one (as Python's json.loads does).
 *   - Numbers keep their literal text, their double value, and an exact int64 when the
 *     literal is an integer (no '.', no exponent) that fits.
 *   - Strings are decoded to UTF-8 (\uXXXX surrogate pairs joined) and NUL-terminated;
 *     they may still contain "\u0000", so use the length.
 *   - Unicode policy (one rule for both cases): raw bytes that are not valid UTF-8
 *     (overlong forms, surrogates, > U+10FFFF, truncated sequences) and \u escapes
 *     that leave a lone surrogate are REJECTED with an error by default, as serde_json
 *     (the Rust parser Hugging Face uses) does. With QLM_JSON_REPLACE_INVALID both are
 *     instead REPLACED by U+FFFD, one per bad byte / per lone surrogate.
 *   - Not accepted: comments, trailing commas, NaN/Infinity, single quotes, leading '+'
 *     or zeros. A UTF-8 byte-order mark at the very start is skipped.
 *   - Assumes the C locale for LC_NUMERIC (qlm never calls setlocale).
 *
 * Writer
 *   Formats a DOM exactly as Python's json.dumps(json.loads(text), ...) would with the
 *   same ensure_ascii / indent / separators: floats as repr(float), integers as
 *   written, "\u00e9"-style lowercase escapes under ensure_ascii. One difference:
 *   members with duplicate keys are all written as stored (Python keeps one).
 */
#ifndef QLM_JSON_H
#define QLM_JSON_H

#include "qlm.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- growable byte buffer ------------------------------------------------------------ */

typedef struct {
    char *p;        /* NUL-terminated when len > 0 (or after qlm_buf_cstr) */
    size_t len, cap;
    size_t limit;   /* 0: no limit; otherwise appending past it sets `over` and stops */
    bool oom;       /* an allocation failed; further appends are ignored */
    bool over;      /* the limit was reached; further appends are ignored */
} qlm_buf;

void qlm_buf_put(qlm_buf *b, const void *s, size_t n);
void qlm_buf_putc(qlm_buf *b, char c);
void qlm_buf_puts(qlm_buf *b, const char *s);
void qlm_buf_printf(qlm_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The text so far, NUL-terminated ("" when empty or failed allocation). */
const char *qlm_buf_cstr(qlm_buf *b);
/* Hand the heap text to the caller (NUL-terminated; NULL on oom) and reset b. */
char *qlm_buf_take(qlm_buf *b, size_t *len);
void qlm_buf_free(qlm_buf *b);
bool qlm_buf_ok(const qlm_buf *b); /* !oom && !over */

/* ---- UTF-8 and number text ------------------------------------------------------------ */

/* Decode one code point from s[0..n) (n >= 1). Returns its byte length (1..4) and sets
 * *cp, or 0 when the bytes there are not well-formed UTF-8 (then *cp is undefined). */
int qlm_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Encode cp (<= 0x10FFFF) into out (4 bytes); returns the length. */
int qlm_utf8_encode(uint32_t cp, char *out);
/* true when s[0..n) is entirely well-formed UTF-8. */
bool qlm_utf8_valid(const char *s, size_t n);

/* Python's repr(float): shortest round-trip digits, "1.0", "1e-05", "1e+16", "inf",
 * "nan". With json, the non-finite values are written "NaN", "Infinity", "-Infinity"
 * as json.dumps does. buf needs 32 bytes. Returns buf. */
char *qlm_fmt_double(double x, bool json, char buf[32]);

/* Append s[0..n) as a JSON string literal with quotes, escaping as Python's json.dumps:
 * \" \\ \n \r \t \b \f, other bytes < 0x20 as \u00XX; with ensure_ascii also every
 * non-ASCII code point as \uXXXX (lowercase hex, surrogate pairs above U+FFFF). */
void qlm_json_put_str(qlm_buf *b, const char *s, size_t n, bool ensure_ascii);

/* ---- DOM ----------------------------------------------------------------------------- */

typedef enum {
    QLM_JSON_NULL = 0,
    QLM_JSON_BOOL,
    QLM_JSON_NUMBER,
    QLM_JSON_STRING,
    QLM_JSON_ARRAY,
    QLM_JSON_OBJECT
} qlm_json_type;

typedef struct qlm_json qlm_json;
struct qlm_json {
    uint8_t type;      /* qlm_json_type */
    uint8_t is_int;    /* NUMBER: integer literal that fits int64; `i` is exact */
    uint8_t boolean;   /* BOOL */
    uint8_t _pad;
    uint32_t len;      /* STRING: bytes; NUMBER: literal length; ARRAY: elements;
                          OBJECT: members */
    const char *str;   /* STRING: decoded text; NUMBER: the literal as written */
    union {
        double num;      /* NUMBER (inf when out of double range, as Python) */
        qlm_json *items; /* ARRAY: len values; OBJECT: 2*len values, each member a
                            STRING key followed by its value */
    } u;
    int64_t i;         /* NUMBER with is_int */
};

typedef struct qlm_json_doc qlm_json_doc;

enum {
    QLM_JSON_REPLACE_INVALID = 1  /* bad UTF-8 / lone surrogates become U+FFFD */
};

typedef struct {
    unsigned flags;     /* QLM_JSON_* */
    int max_depth;      /* 0: 512 */
    size_t max_bytes;   /* 0: 1 GiB (inputs larger than this are refused) */
} qlm_json_opts;

/* Parse text[0..len) (need not be NUL-terminated). opts may be NULL. */
qlm_status qlm_json_parse(const char *text, size_t len, const qlm_json_opts *opts,
                          qlm_json_doc **out, qlm_error *err);
/* Read and parse a whole file. */
qlm_status qlm_json_parse_file(const char *path, const qlm_json_opts *opts,
                               qlm_json_doc **out, qlm_error *err);
const qlm_json *qlm_json_root(const qlm_json_doc *d);
void qlm_json_free(qlm_json_doc *d);

/* Accessors; all accept NULL and return NULL/false/0 on a type mismatch. */
size_t qlm_json_len(const qlm_json *v);                     /* array/object size */
const qlm_json *qlm_json_at(const qlm_json *arr, size_t i);   /* array element */
const qlm_json *qlm_json_key(const qlm_json *obj, size_t i);  /* member i's key */
const qlm_json *qlm_json_val(const qlm_json *obj, size_t i);  /* member i's value */
/* The value of the last member named key (linear scan: build your own index for big
 * objects you look up often). */
const qlm_json *qlm_json_get(const qlm_json *obj, const char *key);
const qlm_json *qlm_json_getn(const qlm_json *obj, const char *key, size_t keylen);
const char *qlm_json_str(const qlm_json *v);    /* STRING text or NULL */
bool qlm_json_i64(const qlm_json *v, int64_t *out);  /* integer NUMBER */
bool qlm_json_num(const qlm_json *v, double *out);   /* any NUMBER */
bool qlm_json_bool(const qlm_json *v, bool *out);

/* ---- writer -------------------------------------------------------------------------- */

typedef struct {
    int indent;         /* < 0: one line; >= 0: newline + indent spaces per level */
    bool ensure_ascii;  /* Python's default true */
    bool compact;       /* separators (",", ":") instead of Python's default */
} qlm_json_write_opts;

/* Python's json.dumps defaults: indent None, ensure_ascii True. */
qlm_json_write_opts qlm_json_write_defaults(void);
/* Append the JSON text of v. */
void qlm_json_write(qlm_buf *b, const qlm_json *v, const qlm_json_write_opts *o);

#endif
