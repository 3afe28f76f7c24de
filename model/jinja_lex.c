/* Jinja lexer: template text -> tokens, following jinja2/lexer.py rule by rule with
 * trim_blocks and lstrip_blocks on (Hugging Face's settings). */
#include "jinja_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const jinja_op_text[O_COUNT] = {
    [O_ADD] = "+",      [O_SUB] = "-",      [O_DIV] = "/",       [O_FLOORDIV] = "//",
    [O_MUL] = "*",      [O_MOD] = "%",      [O_POW] = "**",      [O_TILDE] = "~",
    [O_LBRACKET] = "[", [O_RBRACKET] = "]", [O_LPAREN] = "(",    [O_RPAREN] = ")",
    [O_LBRACE] = "{",   [O_RBRACE] = "}",   [O_EQ] = "==",       [O_NE] = "!=",
    [O_GT] = ">",       [O_GTEQ] = ">=",    [O_LT] = "<",        [O_LTEQ] = "<=",
    [O_ASSIGN] = "=",   [O_DOT] = ".",      [O_COLON] = ":",     [O_PIPE] = "|",
    [O_COMMA] = ",",    [O_SEMICOLON] = ";",
};

typedef struct {
    jcomp *c;
    const char *s;
    size_t n, pos;
    int line;
    bool line_starting; /* the previous match ended with a newline */
} lexer;

static jtok *push_tok(lexer *L, uint8_t type, int line) {
    jcomp *c = L->c;
    if (c->ntoks == c->captoks) {
        size_t cap = c->captoks ? c->captoks * 2 : 256;
        jtok *t = realloc(c->toks, cap * sizeof *t);
        if (!t) {
            c->code = QLM_ERR_NOMEM;
            jc_fail(c, line, "out of memory");
        }
        c->toks = t;
        c->captoks = cap;
    }
    jtok *t = &c->toks[c->ntoks++];
    memset(t, 0, sizeof *t);
    t->type = type;
    t->line = line;
    return t;
}

/* Move to position `to`, counting lines. */
static void advance(lexer *L, size_t to) {
    for (size_t i = L->pos; i < to; i++)
        if (L->s[i] == '\n') L->line++;
    L->pos = to;
}

/* End of the run of (Unicode) whitespace starting at i. */
static size_t skip_space(const char *s, size_t n, size_t i) {
    while (i < n) {
        uint32_t cp;
        size_t j = utf8_next(s, n, i, &cp);
        if (!py_isspace(cp)) break;
        i = j;
    }
    return i;
}

static bool all_space(const char *s, size_t a, size_t b) {
    return a < b && skip_space(s, b, a) == b;
}

/* Python's str.rstrip(): the end of s[a..b) without trailing whitespace. */
static size_t rstrip_end(const char *s, size_t a, size_t b) {
    size_t end = a, i = a;
    while (i < b) {
        uint32_t cp;
        size_t j = utf8_next(s, b, i, &cp);
        if (!py_isspace(cp)) end = j;
        i = j;
    }
    return end;
}

static bool starts(const lexer *L, size_t i, const char *lit) {
    size_t k = strlen(lit);
    return i + k <= L->n && memcmp(L->s + i, lit, k) == 0;
}

/* Emit the text s[a..b) before a tag, applying `-` (strip all whitespace before) or
 * lstrip_blocks (strip spaces between a line start and a block/comment tag). */
static void emit_data(lexer *L, size_t a, size_t b, char sign, bool is_var, int line) {
    if (sign == '-') {
        b = rstrip_end(L->s, a, b);
    } else if (sign != '+' && !is_var) {
        size_t l = b;
        while (l > a && L->s[l - 1] != '\n') l--;
        if ((l > a || L->line_starting) && all_space(L->s, l, b)) b = l;
    }
    if (b > a) {
        jtok *t = push_tok(L, T_DATA, line);
        t->str = jc_str(L->c, L->s + a, b - a);
    }
}

/* `(\d+_)*\d+` at i: returns the end, or i when there is no digit. */
static size_t digits_us(const char *s, size_t n, size_t i) {
    size_t j = i;
    if (j >= n || s[j] < '0' || s[j] > '9') return i;
    while (j < n && s[j] >= '0' && s[j] <= '9') j++;
    while (j + 1 < n && s[j] == '_' && s[j + 1] >= '0' && s[j + 1] <= '9') {
        j++;
        while (j < n && s[j] >= '0' && s[j] <= '9') j++;
    }
    return j;
}

static bool is_hex(char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* A float literal at i (jinja's float_re); returns its end or i. */
static size_t match_float(const lexer *L, size_t i) {
    const char *s = L->s;
    size_t n = L->n;
    if (i > 0 && s[i - 1] == '.') return i; /* (?<!\.) */
    size_t j = digits_us(s, n, i);
    if (j == i) return i;
    size_t frac_end = j;
    bool frac = false;
    if (j < n && s[j] == '.') {
        size_t k = digits_us(s, n, j + 1);
        if (k > j + 1) { frac_end = k; frac = true; }
    }
    size_t e = frac_end;
    if (e < n && (s[e] == 'e' || s[e] == 'E')) {
        size_t k = e + 1;
        if (k < n && (s[k] == '+' || s[k] == '-')) k++;
        size_t m = digits_us(s, n, k);
        if (m > k) return m;
    }
    return frac ? frac_end : i;
}

/* An integer literal at i (jinja's integer_re); returns its end or i; *base set. */
static size_t match_int(const lexer *L, size_t i, int *base) {
    const char *s = L->s;
    size_t n = L->n;
    if (i >= n || s[i] < '0' || s[i] > '9') return i;
    if (s[i] == '0' && i + 1 < n && strchr("bBoOxX", s[i + 1]) && s[i + 1]) {
        char k = (char)(s[i + 1] | 0x20);
        *base = k == 'b' ? 2 : k == 'o' ? 8 : 16;
        size_t j = i + 2;
        bool any = false;
        for (;;) {
            size_t q = j;
            if (q < n && s[q] == '_') q++;
            if (q >= n) break;
            char ch = s[q];
            bool ok = *base == 2 ? (ch == '0' || ch == '1') : *base == 8 ? (ch >= '0' && ch <= '7') : is_hex(ch);
            if (!ok) break;
            j = q + 1;
            any = true;
        }
        if (any) return j;
        /* "0b" without digits: falls back to the decimal zero rule */
    }
    *base = 10;
    size_t j = i;
    if (s[i] == '0') {
        j = i + 1;
        for (;;) {
            size_t q = j;
            if (q < n && s[q] == '_') q++;
            if (q < n && s[q] == '0') j = q + 1;
            else break;
        }
        return j;
    }
    j = i + 1;
    for (;;) {
        size_t q = j;
        if (q < n && s[q] == '_') q++;
        if (q < n && s[q] >= '0' && s[q] <= '9') j = q + 1;
        else break;
    }
    return j;
}

/* Copy s[a..b) without '_' into buf (cap bytes); false when too long. */
static bool strip_us(const char *s, size_t a, size_t b, char *buf, size_t cap) {
    size_t k = 0;
    for (size_t i = a; i < b; i++) {
        if (s[i] == '_') continue;
        if (k + 1 >= cap) return false;
        buf[k++] = s[i];
    }
    buf[k] = 0;
    return true;
}

/* Python's unicode-escape decoding of a string literal's body (after Jinja's
 * .encode("ascii", "backslashreplace")), into an immortal string. */
static jstr *decode_string(lexer *L, size_t a, size_t b, int line) {
    const char *s = L->s;
    qlm_buf o = {0};
    size_t i = a;
    uint32_t pending_hi = 0; /* a high surrogate waiting for its low half */
    while (i < b) {
        uint32_t cp;
        if (s[i] != '\\') {
            size_t j = utf8_next(s, b, i, &cp);
            if (pending_hi) { buf_put_cp(&o, 0xFFFD); pending_hi = 0; }
            qlm_buf_put(&o, s + i, j - i);
            i = j;
            continue;
        }
        /* backslash: the regex guarantees a character follows */
        size_t j = utf8_next(s, b, i + 1, &cp);
        long v = -1;
        switch (cp) {
        case '\n': i = j; continue; /* line continuation */
        case '\\': v = '\\'; break;
        case '\'': v = '\''; break;
        case '"': v = '"'; break;
        case 'a': v = 7; break;
        case 'b': v = 8; break;
        case 'f': v = 12; break;
        case 'n': v = 10; break;
        case 'r': v = 13; break;
        case 't': v = 9; break;
        case 'v': v = 11; break;
        case 'x':
        case 'u':
        case 'U': {
            int nd = cp == 'x' ? 2 : cp == 'u' ? 4 : 8;
            v = 0;
            for (int k = 0; k < nd; k++) {
                size_t q = i + 2 + (size_t)k;
                if (q >= b || !is_hex(s[q])) {
                    qlm_buf_free(&o);
                    jc_fail(L->c, line, "truncated \\%s escape",
                            cp == 'x' ? "xXX" : cp == 'u' ? "uXXXX" : "UXXXXXXXX");
                }
                char ch = s[q];
                v = v * 16 + (ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
            }
            if (v > 0x10FFFF) { qlm_buf_free(&o); jc_fail(L->c, line, "illegal Unicode character"); }
            j = i + 2 + (size_t)nd;
            break;
        }
        case 'N':
            qlm_buf_free(&o);
            if (j >= b || s[j] != '{') jc_fail(L->c, line, "malformed \\N character escape");
            jc_fail(L->c, line, "\\N{...} escapes (Unicode character names) are not supported by qlm");
        default:
            if (cp >= '0' && cp <= '7') {
                v = 0;
                size_t q = i + 1;
                for (int k = 0; k < 3 && q < b && s[q] >= '0' && s[q] <= '7'; k++, q++) v = v * 8 + (s[q] - '0');
                j = q;
            } else if (cp >= 0x80) {
                /* backslashreplace turned the character into an escape that the
                 * decoder then reads as plain text after a literal backslash */
                if (pending_hi) { buf_put_cp(&o, 0xFFFD); pending_hi = 0; }
                qlm_buf_putc(&o, '\\');
                if (cp <= 0xFF) qlm_buf_printf(&o, "\\x%02x", cp);
                else if (cp <= 0xFFFF) qlm_buf_printf(&o, "\\u%04x", cp);
                else qlm_buf_printf(&o, "\\U%08x", cp);
                i = j;
                continue;
            } else {
                /* unknown escapes stay as written */
                if (pending_hi) { buf_put_cp(&o, 0xFFFD); pending_hi = 0; }
                qlm_buf_putc(&o, '\\');
                qlm_buf_putc(&o, (char)cp);
                i = j;
                continue;
            }
        }
        uint32_t u = (uint32_t)v;
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (pending_hi) buf_put_cp(&o, 0xFFFD);
            pending_hi = u;
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            /* Python would keep a surrogate pair as two code points; UTF-8 needs one */
            if (pending_hi) buf_put_cp(&o, 0x10000 + ((pending_hi - 0xD800) << 10) + (u - 0xDC00));
            else buf_put_cp(&o, 0xFFFD);
            pending_hi = 0;
        } else {
            if (pending_hi) { buf_put_cp(&o, 0xFFFD); pending_hi = 0; }
            buf_put_cp(&o, u);
        }
        i = j;
    }
    if (pending_hi) buf_put_cp(&o, 0xFFFD);
    jstr *r = o.oom ? NULL : jstr_immortal(jc_alloc, L->c->arena, qlm_buf_cstr(&o), o.len);
    qlm_buf_free(&o);
    if (!r) {
        L->c->code = QLM_ERR_NOMEM;
        jc_fail(L->c, line, "out of memory");
    }
    return r;
}

/* Code-point index of byte offset i (Jinja reports positions in characters). */
static size_t char_index(const char *s, size_t i) {
    size_t k = 0;
    for (size_t j = 0; j < i; j++)
        if (((unsigned char)s[j] & 0xC0) != 0x80) k++;
    return k;
}

/* Tokens inside {{ }} or {% %} up to and including the end tag. */
static void lex_tag(lexer *L, bool block) {
    const char *s = L->s;
    size_t n = L->n;
    char stack[256];
    int depth = 0;
    while (L->pos < n) {
        size_t p = L->pos;
        int line = L->line;
        if (depth == 0) {
            if (block) {
                if (starts(L, p, "+%}")) {
                    advance(L, p + 3);
                    push_tok(L, T_BLOCK_END, line);
                    L->line_starting = false;
                    return;
                }
                if (starts(L, p, "-%}")) {
                    advance(L, skip_space(s, n, p + 3));
                    push_tok(L, T_BLOCK_END, line);
                    L->line_starting = L->pos > p + 3 && s[L->pos - 1] == '\n';
                    return;
                }
                if (starts(L, p, "%}")) {
                    size_t e = p + 2;
                    if (e < n && s[e] == '\n') e++; /* trim_blocks */
                    advance(L, e);
                    push_tok(L, T_BLOCK_END, line);
                    L->line_starting = s[e - 1] == '\n';
                    return;
                }
            } else {
                if (starts(L, p, "-}}")) {
                    advance(L, skip_space(s, n, p + 3));
                    push_tok(L, T_VAR_END, line);
                    L->line_starting = L->pos > p + 3 && s[L->pos - 1] == '\n';
                    return;
                }
                if (starts(L, p, "}}")) {
                    advance(L, p + 2);
                    push_tok(L, T_VAR_END, line);
                    L->line_starting = false;
                    return;
                }
            }
        }
        size_t e = skip_space(s, n, p);
        if (e > p) { advance(L, e); continue; }
        unsigned char ch = (unsigned char)s[p];
        if ((e = match_float(L, p)) > p) {
            char buf[128];
            if (!strip_us(s, p, e, buf, sizeof buf)) jc_fail(L->c, line, "float literal too long");
            jtok *t = push_tok(L, T_FLOAT, line);
            t->f = strtod(buf, NULL);
            advance(L, e);
            continue;
        }
        int base = 10;
        if ((e = match_int(L, p, &base)) > p) {
            char buf[128];
            if (!strip_us(s, p, e, buf, sizeof buf)) jc_fail(L->c, line, "integer literal too long");
            errno = 0;
            const char *digits = base == 10 ? buf : buf + 2;
            unsigned long long v = strtoull(digits, NULL, base);
            if (errno || v > (unsigned long long)INT64_MAX)
                jc_fail(L->c, line, "integer literal %s does not fit in 64 bits", buf);
            jtok *t = push_tok(L, T_INT, line);
            t->i = (int64_t)v;
            advance(L, e);
            continue;
        }
        if (ch == '_' || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')) {
            e = p + 1;
            while (e < n && (s[e] == '_' || (s[e] >= '0' && s[e] <= '9') || ((s[e] | 0x20) >= 'a' && (s[e] | 0x20) <= 'z')))
                e++;
            jtok *t = push_tok(L, T_NAME, line);
            t->p = s + p;
            t->n = e - p;
            advance(L, e);
            continue;
        }
        if (ch == '\'' || ch == '"') {
            size_t q = p + 1;
            while (q < n && s[q] != (char)ch) q += (s[q] == '\\' && q + 1 < n) ? 2 : 1;
            if (q < n) {
                jtok *t = push_tok(L, T_STRING, line);
                t->str = decode_string(L, p + 1, q, line);
                advance(L, q + 1);
                continue;
            }
            /* unterminated: falls through to "unexpected char" like Jinja */
        }
        int op = 0;
        size_t olen = 1;
        if (p + 1 < n) {
            char a = s[p], b = s[p + 1];
            if (a == '/' && b == '/') op = O_FLOORDIV;
            else if (a == '*' && b == '*') op = O_POW;
            else if (a == '=' && b == '=') op = O_EQ;
            else if (a == '!' && b == '=') op = O_NE;
            else if (a == '>' && b == '=') op = O_GTEQ;
            else if (a == '<' && b == '=') op = O_LTEQ;
            if (op) olen = 2;
        }
        if (!op) {
            switch (ch) {
            case '+': op = O_ADD; break;
            case '-': op = O_SUB; break;
            case '/': op = O_DIV; break;
            case '*': op = O_MUL; break;
            case '%': op = O_MOD; break;
            case '~': op = O_TILDE; break;
            case '[': op = O_LBRACKET; break;
            case ']': op = O_RBRACKET; break;
            case '(': op = O_LPAREN; break;
            case ')': op = O_RPAREN; break;
            case '{': op = O_LBRACE; break;
            case '}': op = O_RBRACE; break;
            case '>': op = O_GT; break;
            case '<': op = O_LT; break;
            case '=': op = O_ASSIGN; break;
            case '.': op = O_DOT; break;
            case ':': op = O_COLON; break;
            case '|': op = O_PIPE; break;
            case ',': op = O_COMMA; break;
            case ';': op = O_SEMICOLON; break;
            default: break;
            }
        }
        if (!op) {
            /* Python's repr of the character */
            uint32_t cp;
            size_t q = utf8_next(s, n, p, &cp);
            if (ch == '\'') jc_fail(L->c, line, "unexpected char \"'\" at %zu", char_index(s, p));
            if (cp < 0x20 || cp == 0x7F) jc_fail(L->c, line, "unexpected char '\\x%02x' at %zu", cp, char_index(s, p));
            jc_fail(L->c, line, "unexpected char '%.*s' at %zu", (int)(q - p), s + p, char_index(s, p));
        }
        if (op == O_LPAREN || op == O_LBRACKET || op == O_LBRACE) {
            if (depth == (int)sizeof stack) jc_fail(L->c, line, "brackets nested too deeply");
            stack[depth++] = op == O_LPAREN ? ')' : op == O_LBRACKET ? ']' : '}';
        } else if (op == O_RPAREN || op == O_RBRACKET || op == O_RBRACE) {
            char want = (char)ch;
            if (depth == 0) jc_fail(L->c, line, "unexpected '%c'", want);
            char exp = stack[--depth];
            if (exp != want) jc_fail(L->c, line, "unexpected '%c', expected '%c'", want, exp);
        }
        jtok *t = push_tok(L, T_OP, line);
        t->op = (uint8_t)op;
        advance(L, p + olen);
    }
    /* end of input inside a tag: the parser reports it */
}

void jinja_lex(jcomp *c) {
    lexer L = {.c = c, .s = c->src, .n = c->n, .pos = 0, .line = 1, .line_starting = true};
    const char *s = L.s;
    size_t n = L.n;
    while (L.pos < n) {
        size_t k = L.pos;
        while (k + 1 < n && !(s[k] == '{' && (s[k + 1] == '{' || s[k + 1] == '%' || s[k + 1] == '#'))) k++;
        if (k + 1 >= n) { /* no more tags: the rest is text */
            jtok *t = push_tok(&L, T_DATA, L.line);
            t->str = jc_str(c, s + L.pos, n - L.pos);
            advance(&L, n);
            break;
        }
        char kind = s[k + 1];
        size_t after = k + 2;
        char sign = 0;
        if (after < n && (s[after] == '-' || s[after] == '+')) sign = s[after++];
        int line = L.line;
        /* {% raw %}: (-|+|)\s*raw\s*(-%}\s*|%}) */
        size_t raw_end = 0;
        if (kind == '%') {
            size_t q = skip_space(s, n, after);
            if (starts(&L, q, "raw")) {
                q = skip_space(s, n, q + 3);
                if (starts(&L, q, "-%}")) raw_end = skip_space(s, n, q + 3);
                else if (starts(&L, q, "%}")) raw_end = q + 2;
            }
        }
        emit_data(&L, L.pos, k, sign, kind == '{', line);
        advance(&L, k);
        int tag_line = L.line;
        if (raw_end) {
            L.line_starting = s[raw_end - 1] == '\n';
            advance(&L, raw_end);
            /* find {%(-|+|)\s*endraw\s*(+%}|-%}\s*|%}\n?) */
            size_t q = L.pos;
            for (;;) {
                while (q + 1 < n && !(s[q] == '{' && s[q + 1] == '%')) q++;
                if (q + 1 >= n) jc_fail(c, tag_line, "Missing end of raw directive");
                size_t t = q + 2;
                char esign = 0;
                if (t < n && (s[t] == '-' || s[t] == '+')) esign = s[t++];
                t = skip_space(s, n, t);
                if (starts(&L, t, "endraw")) {
                    t = skip_space(s, n, t + 6);
                    size_t end = 0;
                    if (starts(&L, t, "+%}")) end = t + 3;
                    else if (starts(&L, t, "-%}")) end = skip_space(s, n, t + 3);
                    else if (starts(&L, t, "%}")) end = (t + 2 < n && s[t + 2] == '\n') ? t + 3 : t + 2;
                    if (end) {
                        emit_data(&L, L.pos, q, esign, false, L.line);
                        advance(&L, end);
                        L.line_starting = s[end - 1] == '\n';
                        break;
                    }
                }
                q += 2;
            }
            continue;
        }
        if (kind == '#') {
            size_t q = after;
            size_t end = 0;
            while (q + 1 < n) {
                if (s[q] == '+' && starts(&L, q + 1, "#}")) { end = q + 3; break; }
                if (s[q] == '-' && starts(&L, q + 1, "#}")) { end = skip_space(s, n, q + 3); break; }
                if (s[q] == '#' && s[q + 1] == '}') {
                    end = q + 2;
                    if (end < n && s[end] == '\n') end++; /* trim_blocks */
                    break;
                }
                q++;
            }
            if (!end) jc_fail(c, tag_line, "Missing end of comment tag");
            advance(&L, end);
            L.line_starting = s[end - 1] == '\n';
            continue;
        }
        push_tok(&L, kind == '%' ? T_BLOCK_BEGIN : T_VAR_BEGIN, tag_line);
        advance(&L, after);
        L.line_starting = false;
        lex_tag(&L, kind == '%');
    }
    push_tok(&L, T_EOF, L.line);
}
