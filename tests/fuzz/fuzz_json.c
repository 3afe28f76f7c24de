/* JSON: qlm_json_parse in both UTF-8 modes, every accessor on the DOM, and the writer.
 *
 * Properties: a parsed document written back (in each writer style) parses again, and
 * writing that second DOM gives the same text (the writer's output is a fixed point).
 * The one exception is a number out of double range: like Python's json.dumps, the
 * writer spells it "Infinity", which the parser (like json.loads in strict mode) does
 * not accept. Strict parsing accepts nothing that replacing parsing rejects, and where
 * both accept they build the same DOM. Each input is written in one of four writer
 * styles (compact, indented, ASCII-only or not), picked by its length. */
#include "fuzz.h"
#include "../../model/json.h"

#include <math.h>
#include <string.h>

/* Walk the DOM through the public accessors; false if it holds a non-finite number. */
static bool walk(const qlm_json *v, int depth) {
    FUZZ_CHECK(depth <= 600, "DOM deeper than the parser's limit");
    bool finite = true;
    int64_t i;
    double d;
    bool b;
    switch (v->type) {
    case QLM_JSON_NULL: break;
    case QLM_JSON_BOOL: FUZZ_CHECK(qlm_json_bool(v, &b), "bool"); break;
    case QLM_JSON_NUMBER:
        FUZZ_CHECK(qlm_json_num(v, &d), "number");
        if (qlm_json_i64(v, &i)) FUZZ_CHECK((double)i == d, "integer and double disagree");
        FUZZ_CHECK(v->str && strlen(v->str) == v->len, "number literal");
        finite = isfinite(d);
        break;
    case QLM_JSON_STRING:
        FUZZ_CHECK(qlm_json_str(v) && v->str[v->len] == 0, "string not terminated");
        FUZZ_CHECK(qlm_utf8_valid(v->str, v->len), "decoded string is not UTF-8");
        break;
    case QLM_JSON_ARRAY:
        FUZZ_CHECK(qlm_json_len(v) == v->len, "array length");
        for (size_t k = 0; k < qlm_json_len(v); k++) finite &= walk(qlm_json_at(v, k), depth + 1);
        FUZZ_CHECK(qlm_json_at(v, qlm_json_len(v)) == NULL, "array index past the end");
        break;
    case QLM_JSON_OBJECT:
        for (size_t k = 0; k < qlm_json_len(v); k++) {
            const qlm_json *key = qlm_json_key(v, k);
            FUZZ_CHECK(key && key->type == QLM_JSON_STRING, "object key");
            /* the last member of that name wins */
            const qlm_json *got = qlm_json_getn(v, key->str, key->len);
            FUZZ_CHECK(got != NULL, "member '%s' not found by name", key->str);
            finite &= walk(qlm_json_val(v, k), depth + 1);
        }
        break;
    default: FUZZ_CHECK(false, "node type %d", v->type);
    }
    return finite;
}

static char *write_text(const qlm_json *v, const qlm_json_write_opts *o, size_t *len) {
    qlm_buf b = {0};
    qlm_json_write(&b, v, o);
    FUZZ_CHECK(qlm_buf_ok(&b), "writer ran out of memory");
    char *t = qlm_buf_take(&b, len);
    if (!t) { t = calloc(1, 1); *len = 0; }
    return t;
}

int fuzz_json(const uint8_t *data, size_t size) {
    /* one writer style per input (chosen by its length) keeps each run short */
    static const qlm_json_write_opts styles[] = {
        {-1, true, false}, {-1, false, true}, {2, false, false}, {0, true, true}};
    const qlm_json_write_opts *style = &styles[size % 4];
    qlm_json_doc *strict = NULL, *repl = NULL;
    qlm_error err = {0};
    qlm_json_opts opts = {0};
    if (qlm_json_parse((const char *)data, size, &opts, &strict, &err) != QLM_OK)
        FUZZ_CHECK(err.code != QLM_OK && err.message[0], "error without a message");
    opts.flags = QLM_JSON_REPLACE_INVALID;
    if (qlm_json_parse((const char *)data, size, &opts, &repl, &err) != QLM_OK) {
        FUZZ_CHECK(err.code != QLM_OK && err.message[0], "error without a message");
        FUZZ_CHECK(!strict, "replace mode rejects what strict mode accepts: %s", err.message);
        return 0;
    }
    if (strict) walk(qlm_json_root(strict), 0);
    bool finite = walk(qlm_json_root(repl), 0);
    size_t l1, l2;
    char *t1 = write_text(qlm_json_root(repl), style, &l1);
    if (strict) {
        char *t0 = write_text(qlm_json_root(strict), style, &l2);
        FUZZ_CHECK(l1 == l2 && !memcmp(t0, t1, l1), "strict and replace modes build different DOMs");
        free(t0);
    }
    /* round trip: the written text parses (strictly) and writes back identically */
    qlm_json_doc *again = NULL;
    qlm_status rc = qlm_json_parse(t1, l1, NULL, &again, &err);
    FUZZ_CHECK(rc == QLM_OK || !finite, "written JSON does not parse again: %s\n%.*s", err.message,
               (int)(l1 < 400 ? l1 : 400), t1);
    if (rc == QLM_OK) {
        char *t2 = write_text(qlm_json_root(again), style, &l2);
        FUZZ_CHECK(l1 == l2 && !memcmp(t1, t2, l1), "writer output is not a fixed point:\n%s\n%s", t1, t2);
        free(t2);
        qlm_json_free(again);
    }
    free(t1);
    qlm_json_free(strict);
    qlm_json_free(repl);
    return 0;
}

FUZZ_MAIN(fuzz_json)
