/* JSON parser and writer: valid and invalid documents, limits, Unicode policy, the
 * Python-compatible writer, and robustness on truncated, mutated and random input.
 * Expected writer outputs were produced with Python 3's json.dumps. */
#include "harness.h"
#include "../model/json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static qlm_json_doc *parse(const char *s, qlm_error *err) {
    qlm_json_doc *d = NULL;
    qlm_json_parse(s, strlen(s), NULL, &d, err);
    return d;
}

static qlm_json_doc *parse_n(const char *s, size_t n, unsigned flags, qlm_error *err) {
    qlm_json_doc *d = NULL;
    qlm_json_opts o = {.flags = flags};
    qlm_json_parse(s, n, &o, &d, err);
    return d;
}

/* Parse then write with o; returns a heap string (or NULL when the parse failed). */
static char *roundtrip(const char *s, const qlm_json_write_opts *o) {
    qlm_error err;
    qlm_json_doc *d = parse(s, &err);
    if (!d) return NULL;
    qlm_buf b = {0};
    qlm_json_write(&b, qlm_json_root(d), o);
    qlm_json_free(d);
    return qlm_buf_take(&b, NULL);
}

static bool writes_as(const char *in, const qlm_json_write_opts *o, const char *want) {
    char *got = roundtrip(in, o);
    bool ok = got && strcmp(got, want) == 0;
    if (!ok) fprintf(stderr, "  in:   %s\n  want: %s\n  got:  %s\n", in, want, got ? got : "(parse error)");
    free(got);
    return ok;
}

static void test_scalars(void) {
    t_case("json: top-level scalars");
    qlm_error err;
    struct { const char *text; int type; } cases[] = {
        {"null", QLM_JSON_NULL}, {" true ", QLM_JSON_BOOL}, {"false", QLM_JSON_BOOL},
        {"0", QLM_JSON_NUMBER},  {"\"\"", QLM_JSON_STRING}, {"\n\t[]\r\n", QLM_JSON_ARRAY},
        {"{}", QLM_JSON_OBJECT}, {"\xEF\xBB\xBF{}", QLM_JSON_OBJECT}, /* BOM skipped */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qlm_json_doc *d = parse(cases[i].text, &err);
        T_CHECK(d != NULL, "'%s': %s", cases[i].text, err.message);
        if (d) T_CHECK(qlm_json_root(d)->type == cases[i].type, "'%s'", cases[i].text);
        qlm_json_free(d);
    }
    qlm_json_doc *d = parse("true", &err);
    bool b = false;
    T_CHECK(d && qlm_json_bool(qlm_json_root(d), &b) && b, "true");
    qlm_json_free(d);
}

static void test_numbers(void) {
    t_case("json: numbers (int64 edges, doubles, huge values, literal text kept)");
    qlm_error err;
    struct { const char *text; bool is_int; int64_t i; double d; } cases[] = {
        {"0", true, 0, 0.0},
        {"-0", true, 0, 0.0},
        {"42", true, 42, 42.0},
        {"-17", true, -17, -17.0},
        {"9223372036854775807", true, INT64_MAX, 9223372036854775807.0},
        {"-9223372036854775808", true, INT64_MIN, -9223372036854775808.0},
        {"9223372036854775808", false, 0, 9223372036854775808.0},
        {"-9223372036854775809", false, 0, -9223372036854775809.0},
        {"1.0", false, 0, 1.0},
        {"1e2", false, 0, 100.0},
        {"1E+2", false, 0, 100.0},
        {"-2.5e-3", false, 0, -0.0025},
        {"0.1", false, 0, 0.1},
        {"3.141592653589793", false, 0, 3.141592653589793},
        {"5e-324", false, 0, 5e-324},
        {"1.7976931348623157e308", false, 0, 1.7976931348623157e308},
        {"2.2250738585072014e-308", false, 0, 2.2250738585072014e-308},
        {"123456789012345678901234567890", false, 0, 1.2345678901234568e29},
        {"0.30000000000000004", false, 0, 0.30000000000000004},
        {"1e400", false, 0, INFINITY},
        {"-1e400", false, 0, -INFINITY},
        {"1e-400", false, 0, 0.0},
        {"0.000000000000000000000000000001", false, 0, 1e-30},
        {"12345678901234567890.5", false, 0, 12345678901234567890.5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qlm_json_doc *d = parse(cases[i].text, &err);
        T_CHECK(d != NULL, "'%s': %s", cases[i].text, err.message);
        if (!d) continue;
        const qlm_json *v = qlm_json_root(d);
        int64_t iv = 0;
        double dv = 0;
        T_CHECK(v->type == QLM_JSON_NUMBER, "'%s'", cases[i].text);
        T_CHECK((bool)v->is_int == cases[i].is_int, "'%s' is_int=%d", cases[i].text, v->is_int);
        T_CHECK(qlm_json_i64(v, &iv) == cases[i].is_int, "'%s'", cases[i].text);
        if (cases[i].is_int) T_CHECK(iv == cases[i].i, "'%s' -> %lld", cases[i].text, (long long)iv);
        T_CHECK(qlm_json_num(v, &dv) && dv == cases[i].d, "'%s' -> %.17g", cases[i].text, dv);
        T_CHECK(strcmp(v->str, cases[i].text) == 0 && v->len == strlen(cases[i].text),
                "literal text '%s'", v->str);
        qlm_json_free(d);
    }
}

static void test_fmt_double(void) {
    t_case("json: Python float repr");
    struct { double x; const char *repr; } cases[] = {
        {0.1, "0.1"}, {1.0, "1.0"}, {-0.0, "-0.0"}, {100.0, "100.0"}, {1e16, "1e+16"},
        {1e15, "1000000000000000.0"}, {1e-4, "0.0001"}, {1e-5, "1e-05"},
        {1.0 / 3, "0.3333333333333333"}, {2.0 / 3, "0.6666666666666666"},
        {0.1 + 0.2, "0.30000000000000004"}, {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"}, {1.5e300, "1.5e+300"},
        {-2.5, "-2.5"}, {123456789.125, "123456789.125"}, {1e22, "1e+22"},
        {1234567890123456.8, "1234567890123456.8"}, {12345678901234568.0, "1.2345678901234568e+16"},
        {0.00012, "0.00012"}, {INFINITY, "inf"}, {-INFINITY, "-inf"}, {NAN, "nan"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        T_CHECK(strcmp(qlm_fmt_double(cases[i].x, false, buf), cases[i].repr) == 0,
                "%.17g -> %s, want %s", cases[i].x, buf, cases[i].repr);
    T_CHECK(strcmp(qlm_fmt_double(INFINITY, true, buf), "Infinity") == 0, "%s", buf);
    T_CHECK(strcmp(qlm_fmt_double(-INFINITY, true, buf), "-Infinity") == 0, "%s", buf);
    T_CHECK(strcmp(qlm_fmt_double(NAN, true, buf), "NaN") == 0, "%s", buf);
}

static void test_strings(void) {
    t_case("json: string escapes and UTF-8 decoding");
    qlm_error err;
    struct { const char *text; const char *want; size_t len; } cases[] = {
        {"\"abc\"", "abc", 3},
        {"\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "a\"b\\c/d\b\f\n\r\t", 12},
        {"\"\\u00e9\\u00E9\"", "\xC3\xA9\xC3\xA9", 4},
        {"\"\\u4f60\"", "\xE4\xBD\xA0", 3},
        {"\"\\ud83d\\ude00\"", "\xF0\x9F\x98\x80", 4},
        {"\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF", 4},
        {"\"a\\u0000b\"", "a\0b", 3},
        {"\"caf\xC3\xA9 \xF0\x9F\x98\x80\"", "caf\xC3\xA9 \xF0\x9F\x98\x80", 10},
        {"\"\x7F\"", "\x7F", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qlm_json_doc *d = parse(cases[i].text, &err);
        T_CHECK(d != NULL, "'%s': %s", cases[i].text, err.message);
        if (!d) continue;
        const qlm_json *v = qlm_json_root(d);
        T_CHECK(v->type == QLM_JSON_STRING && v->len == cases[i].len &&
                    memcmp(v->str, cases[i].want, cases[i].len) == 0 && v->str[v->len] == 0,
                "'%s' decoded to %u bytes", cases[i].text, v->len);
        qlm_json_free(d);
    }

    t_case("json: Unicode policy (reject by default, U+FFFD with QLM_JSON_REPLACE_INVALID)");
    struct { const char *text; const char *replaced; } bad[] = {
        {"\"\\ud83d\"", "\xEF\xBF\xBD"},              /* lone high surrogate */
        {"\"\\ude00x\"", "\xEF\xBF\xBDx"},            /* lone low surrogate */
        {"\"\\ud83d\\u0041\"", "\xEF\xBF\xBD" "A"},   /* high + non-low */
        {"\"a\xFF" "b\"", "a\xEF\xBF\xBD" "b"},       /* invalid byte */
        {"\"\xC0\x80\"", "\xEF\xBF\xBD\xEF\xBF\xBD"}, /* overlong NUL */
        {"\"\xED\xA0\x80\"", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* encoded surrogate */
        {"\"\xF4\x90\x80\x80\"", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* > U+10FFFF */
        {"\"\xE4\xBD\"", "\xEF\xBF\xBD\xEF\xBF\xBD"},  /* truncated sequence */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        qlm_json_doc *d = parse(bad[i].text, &err);
        T_CHECK(d == NULL && err.code == QLM_ERR_FORMAT, "case %zu should be rejected", i);
        qlm_json_free(d);
        d = parse_n(bad[i].text, strlen(bad[i].text), QLM_JSON_REPLACE_INVALID, &err);
        T_CHECK(d != NULL, "case %zu with replace: %s", i, err.message);
        if (d) {
            const qlm_json *v = qlm_json_root(d);
            T_CHECK(strcmp(v->str, bad[i].replaced) == 0 && v->len == strlen(bad[i].replaced),
                    "case %zu replaced as %u bytes", i, v->len);
        }
        qlm_json_free(d);
    }
}

static void test_objects(void) {
    t_case("json: objects keep order; duplicate keys kept, last wins on lookup");
    qlm_error err;
    qlm_json_doc *d = parse("{\"b\": 1, \"a\": [true, null, \"x\"], \"b\": 2, \"\": {}}", &err);
    T_CHECK(d != NULL, "%s", err.message);
    if (!d) return;
    const qlm_json *o = qlm_json_root(d);
    T_CHECK(qlm_json_len(o) == 4, "len %zu", qlm_json_len(o));
    T_CHECK(strcmp(qlm_json_str(qlm_json_key(o, 0)), "b") == 0, "key 0");
    T_CHECK(strcmp(qlm_json_str(qlm_json_key(o, 1)), "a") == 0, "key 1");
    int64_t v = 0;
    T_CHECK(qlm_json_i64(qlm_json_get(o, "b"), &v) && v == 2, "last wins: %lld", (long long)v);
    T_CHECK(qlm_json_i64(qlm_json_val(o, 0), &v) && v == 1, "first member still there");
    const qlm_json *a = qlm_json_get(o, "a");
    T_CHECK(qlm_json_len(a) == 3 && qlm_json_at(a, 2) && strcmp(qlm_json_str(qlm_json_at(a, 2)), "x") == 0, "array");
    T_CHECK(qlm_json_at(a, 3) == NULL && qlm_json_get(o, "zz") == NULL, "out of range / missing");
    T_CHECK(qlm_json_get(o, "") && qlm_json_get(o, "")->type == QLM_JSON_OBJECT, "empty key");
    T_CHECK(qlm_json_get(a, "a") == NULL && qlm_json_at(o, 0) == NULL && qlm_json_key(a, 0) == NULL, "type mismatch");
    T_CHECK(qlm_json_len(NULL) == 0 && qlm_json_get(NULL, "a") == NULL && qlm_json_str(NULL) == NULL, "NULL");
    qlm_json_free(d);
}

static void test_invalid(void) {
    t_case("json: malformed documents give an error with line/column/byte");
    const char *bad[] = {
        "", "   ", "[", "]", "{", "}", "[1,]", "[,1]", "{\"a\":1,}", "{a:1}", "{\"a\" 1}",
        "{\"a\":}", "{1:2}", "'x'", "01", "-01", "1.", ".5", "-", "1e", "1e+", "+1", "0x10",
        "tru", "nul", "fals", "True", "NaN", "Infinity", "-Infinity", "[1 2]", "\"abc",
        "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "[1]x", "//c\n1", "/*c*/1", "1 2", "\"a\nb\"",
        "\"\t\"", "[\"a\"", "{\"a\":[}", "[1,2", "{\"a\":1", "nulll", "[-]", "[1.e5]", "\x01",
        "\"\\", "\"\\u", "{\"a\":1}}", "[]]",
    };
    qlm_error err;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.code = QLM_OK;
        err.message[0] = 0;
        qlm_json_doc *d = parse(bad[i], &err);
        T_CHECK(d == NULL, "'%s' was accepted", bad[i]);
        T_CHECK(err.code == QLM_ERR_FORMAT && strstr(err.message, "line ") && strstr(err.message, "byte "),
                "'%s': code %d '%s'", bad[i], err.code, err.message);
        qlm_json_free(d);
    }
    qlm_json_doc *d = parse("[1,\n  x]", &err);
    T_CHECK(!d && strstr(err.message, "line 2, column 3 (byte 6)"), "position: %s", err.message);
    qlm_json_free(d);
    d = parse("{\"a\": \"b\x01\"}", &err);
    T_CHECK(!d && strstr(err.message, "control character") && strstr(err.message, "byte 8"), "%s", err.message);
    qlm_json_free(d);
    /* embedded NUL in the text (not inside a string escape) */
    d = parse_n("[1,\0 2]", 7, 0, &err);
    T_CHECK(!d && err.code == QLM_ERR_FORMAT, "NUL byte accepted");
    qlm_json_free(d);
}

static void test_depth(void) {
    t_case("json: nesting limit (512 by default, no recursion)");
    qlm_error err;
    size_t n = 200000;
    char *s = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) { s[i] = '['; s[2 * n - 1 - i] = ']'; }
    s[2 * n] = 0;
    qlm_json_doc *d = NULL;
    /* 512 levels pass, 513 fail */
    qlm_json_parse(s + n - 512, 1024, NULL, &d, &err);
    T_CHECK(d != NULL, "512 levels: %s", d ? "" : err.message);
    qlm_json_free(d);
    d = NULL;
    qlm_json_parse(s + n - 513, 1026, NULL, &d, &err);
    T_CHECK(d == NULL && strstr(err.message, "nesting deeper than 512"), "513 levels: %s", err.message);
    qlm_json_free(d);
    d = NULL;
    qlm_json_parse(s, 2 * n, NULL, &d, &err);
    T_CHECK(d == NULL && err.code == QLM_ERR_FORMAT, "200000 levels");
    qlm_json_free(d);
    /* a caller-chosen deeper limit works without recursion */
    qlm_json_opts o = {.max_depth = 300000};
    d = NULL;
    qlm_json_parse(s, 2 * n, &o, &d, &err);
    T_CHECK(d != NULL, "200000 levels with max_depth 300000: %s", d ? "" : err.message);
    qlm_json_free(d);
    /* size limit */
    qlm_json_opts small = {.max_bytes = 10};
    d = NULL;
    T_CHECK(qlm_json_parse("[1,2,3,4,5,6]", 13, &small, &d, &err) == QLM_ERR_FORMAT && !d,
            "size limit");
    free(s);
}

static const char *SAMPLE =
    "{\"name\": \"caf\\u00e9 \\ud83d\\ude00 \\u4f60\", \"list\": [1, -2.5, 1e2, true, false, "
    "null, \"a\\\"b\\\\c\\n\\u0001\\u007f/\"], \"empty\": {}, \"arr\": [], \"nested\": "
    "{\"k\": [{\"x\": 0.1}]}, \"big\": 123456789012345678901234567890}";

static void test_writer(void) {
    t_case("json: writer matches Python json.dumps (ensure_ascii, indent, separators)");
    qlm_json_write_opts def = qlm_json_write_defaults();
    T_CHECK(writes_as(SAMPLE, &def,
                      "{\"name\": \"caf\\u00e9 \\ud83d\\ude00 \\u4f60\", \"list\": [1, -2.5, 100.0, true, "
                      "false, null, \"a\\\"b\\\\c\\n\\u0001\\u007f/\"], \"empty\": {}, \"arr\": [], "
                      "\"nested\": {\"k\": [{\"x\": 0.1}]}, \"big\": 123456789012345678901234567890}"),
            "json.dumps(v)");
    qlm_json_write_opts na = def;
    na.ensure_ascii = false;
    T_CHECK(writes_as(SAMPLE, &na,
                      "{\"name\": \"caf\xC3\xA9 \xF0\x9F\x98\x80 \xE4\xBD\xA0\", \"list\": [1, -2.5, "
                      "100.0, true, false, null, \"a\\\"b\\\\c\\n\\u0001\x7F/\"], \"empty\": {}, \"arr\": "
                      "[], \"nested\": {\"k\": [{\"x\": 0.1}]}, \"big\": 123456789012345678901234567890}"),
            "json.dumps(v, ensure_ascii=False)");
    qlm_json_write_opts ind = def;
    ind.indent = 2;
    T_CHECK(writes_as(SAMPLE, &ind,
                      "{\n  \"name\": \"caf\\u00e9 \\ud83d\\ude00 \\u4f60\",\n  \"list\": [\n    1,\n    "
                      "-2.5,\n    100.0,\n    true,\n    false,\n    null,\n    "
                      "\"a\\\"b\\\\c\\n\\u0001\\u007f/\"\n  ],\n  \"empty\": {},\n  \"arr\": [],\n  "
                      "\"nested\": {\n    \"k\": [\n      {\n        \"x\": 0.1\n      }\n    ]\n  },\n  "
                      "\"big\": 123456789012345678901234567890\n}"),
            "json.dumps(v, indent=2)");
    qlm_json_write_opts cmp = na;
    cmp.compact = true;
    T_CHECK(writes_as(SAMPLE, &cmp,
                      "{\"name\":\"caf\xC3\xA9 \xF0\x9F\x98\x80 \xE4\xBD\xA0\",\"list\":[1,-2.5,100.0,"
                      "true,false,null,\"a\\\"b\\\\c\\n\\u0001\x7F/\"],\"empty\":{},\"arr\":[],\"nested\":"
                      "{\"k\":[{\"x\":0.1}]},\"big\":123456789012345678901234567890}"),
            "json.dumps(v, separators=(',', ':'), ensure_ascii=False)");
    qlm_json_write_opts ind0 = def;
    ind0.indent = 0;
    T_CHECK(writes_as("[1,[2]]", &ind0, "[\n1,\n[\n2\n]\n]"), "indent=0");
    T_CHECK(writes_as("[1e400, -1e400, -0.0, -0, 1E-7]", &def, "[Infinity, -Infinity, -0.0, 0, 1e-07]"),
            "special numbers");
    T_CHECK(writes_as("\"\\u2028\\b\\f\\u001f\"", &na, "\"\xE2\x80\xA8\\b\\f\\u001f\""), "escapes");

    t_case("json: write -> parse -> write is stable");
    char *once = roundtrip(SAMPLE, &def);
    char *twice = once ? roundtrip(once, &def) : NULL;
    T_CHECK(once && twice && strcmp(once, twice) == 0, "round trip differs");
    free(once);
    free(twice);
}

/* Every proper prefix of a document that is an object is invalid: each must fail
 * cleanly (the sanitizer build checks that nothing is read out of bounds). */
static void test_truncated(void) {
    t_case("json: every truncation of a sample document is an error");
    size_t n = strlen(SAMPLE);
    int accepted = 0;
    for (size_t k = 0; k < n; k++) {
        char *cut = malloc(k ? k : 1); /* exact size: no NUL after the text */
        memcpy(cut, SAMPLE, k);
        qlm_error err;
        qlm_json_doc *d = parse_n(cut, k, 0, &err);
        if (d) accepted++;
        else T_CHECK(err.code == QLM_ERR_FORMAT && err.message[0], "prefix %zu: no message", k);
        qlm_json_free(d);
        free(cut);
    }
    T_CHECK(accepted == 0, "%d truncated prefixes accepted", accepted);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Parse whatever is given: must not crash; anything accepted must write and re-parse to
 * the same text (unless it holds a number too large for a double). */
static bool survive(const char *s, size_t n, unsigned flags) {
    qlm_error err;
    qlm_json_doc *d = parse_n(s, n, flags, &err);
    if (!d) return err.code == QLM_ERR_FORMAT && err.message[0];
    qlm_json_write_opts o = qlm_json_write_defaults();
    qlm_buf b1 = {0}, b2 = {0};
    qlm_json_write(&b1, qlm_json_root(d), &o);
    qlm_json_doc *d2 = parse_n(b1.p ? b1.p : "", b1.len, 0, &err);
    /* Python writes out-of-range numbers as Infinity, which strict JSON can't read back */
    bool ok = d2 != NULL || strstr(qlm_buf_cstr(&b1), "Infinity");
    if (d2) {
        qlm_json_write(&b2, qlm_json_root(d2), &o);
        ok = b1.len == b2.len && memcmp(qlm_buf_cstr(&b1), qlm_buf_cstr(&b2), b1.len) == 0;
    }
    qlm_buf_free(&b1);
    qlm_buf_free(&b2);
    qlm_json_free(d);
    qlm_json_free(d2);
    return ok;
}

static void test_garbage(void) {
    t_case("json: single-byte mutations of a sample document");
    size_t n = strlen(SAMPLE);
    char *m = malloc(n);
    static const char subst[] = "{}[]\",:\\ 0-e.tfnu\x80\xFF\x01";
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < sizeof subst - 1; j++) {
            memcpy(m, SAMPLE, n);
            m[i] = subst[j];
            if (!survive(m, n, 0) || !survive(m, n, QLM_JSON_REPLACE_INVALID)) bad++;
        }
    }
    T_CHECK(bad == 0, "%d mutations misbehaved", bad);
    free(m);

    t_case("json: random garbage bytes");
    static const char alpha[] = "{}[]\"\\,:0123456789-+.eE truefalsnul\n\t\xC3\xA9\xF0\x9F\x98\x80\xFF";
    char buf[300];
    bad = 0;
    for (int it = 0; it < 20000; it++) {
        size_t len = rng() % sizeof buf;
        bool raw = (it % 4) == 0;
        for (size_t i = 0; i < len; i++)
            buf[i] = raw ? (char)(rng() & 0xFF) : alpha[rng() % (sizeof alpha - 1)];
        char *exact = malloc(len ? len : 1);
        memcpy(exact, buf, len);
        if (!survive(exact, len, 0) || !survive(exact, len, QLM_JSON_REPLACE_INVALID)) bad++;
        free(exact);
    }
    T_CHECK(bad == 0, "%d random inputs misbehaved", bad);
}

static void test_buf(void) {
    t_case("json: qlm_buf limit and take");
    qlm_buf b = {.limit = 8};
    qlm_buf_puts(&b, "hello");
    qlm_buf_printf(&b, "%d", 123);
    T_CHECK(qlm_buf_ok(&b) && b.len == 8 && strcmp(qlm_buf_cstr(&b), "hello123") == 0, "fill to limit");
    qlm_buf_putc(&b, 'x');
    T_CHECK(!qlm_buf_ok(&b) && b.over && b.len == 8, "past the limit");
    qlm_buf_free(&b);
    qlm_buf c = {0};
    for (int i = 0; i < 1000; i++) qlm_buf_printf(&c, "%04d", i);
    size_t len = 0;
    char *s = qlm_buf_take(&c, &len);
    T_CHECK(s && len == 4000 && strncmp(s + 3996, "0999", 4) == 0, "take");
    free(s);
    T_CHECK(c.p == NULL && c.len == 0, "reset after take");
    T_CHECK(qlm_utf8_valid("caf\xC3\xA9", 5) && !qlm_utf8_valid("\xC3", 1) && !qlm_utf8_valid("\xED\xA0\x80", 3),
            "utf8_valid");
}

static void test_big_files(void) {
    const char *files[] = {"tokenizers/gemma3/tokenizer.json", "tokenizers/llama3/tokenizer.json",
                           "tokenizers/qwen3/tokenizer.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        t_case("json: parse %s", files[i]);
        const char *path = t_shared(files[i]);
        if (!path) { t_skip("%s not found under ../shared", files[i]); continue; }
        qlm_json_doc *d = NULL;
        qlm_error err;
        qlm_status s = qlm_json_parse_file(path, NULL, &d, &err);
        T_CHECK(s == QLM_OK, "%s", err.message);
        if (!d) continue;
        const qlm_json *model = qlm_json_get(qlm_json_root(d), "model");
        const qlm_json *vocab = qlm_json_get(model, "vocab");
        T_CHECK(qlm_json_str(qlm_json_get(model, "type")) != NULL, "model.type");
        T_CHECK(qlm_json_len(vocab) > 100000, "vocab has %zu entries", qlm_json_len(vocab));
        qlm_json_free(d);
    }
    t_case("json: parse_file errors");
    qlm_json_doc *d = NULL;
    qlm_error err;
    T_CHECK(qlm_json_parse_file("/nonexistent/x.json", NULL, &d, &err) == QLM_ERR_IO && !d, "missing file");
    T_CHECK(qlm_json_parse_file("/", NULL, &d, &err) == QLM_ERR_IO && !d, "directory");
}

int main(void) {
    test_scalars();
    test_numbers();
    test_fmt_double();
    test_strings();
    test_objects();
    test_invalid();
    test_depth();
    test_writer();
    test_truncated();
    test_garbage();
    test_buf();
    test_big_files();
    return t_done();
}
