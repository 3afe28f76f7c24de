/* Jinja parser: tokens -> AST, following jinja2/parser.py (same grammar, same
 * precedence, same error messages), plus compile-time checks Jinja2 makes (unknown
 * filters and tests, break outside a loop). */
#include "jinja_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- template arena -------------------------------------------------------------------- */

typedef struct tchunk {
    struct tchunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} tchunk;

typedef struct {
    tchunk *head;
} tarena;

void *jc_alloc(void *arena, size_t n) {
    tarena *a = arena;
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        tchunk *c = calloc(1, sizeof *c + cap);
        if (!c) return NULL;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

static void tarena_free(tarena *a) {
    if (!a) return;
    tchunk *c = a->head;
    while (c) {
        tchunk *n = c->next;
        free(c);
        c = n;
    }
    free(a);
}

_Noreturn void jc_fail(jcomp *c, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->errline = line;
    if (!c->code) c->code = QLM_ERR_FORMAT;
    if (!c->type[0]) snprintf(c->type, sizeof c->type, "TemplateSyntaxError");
    longjmp(c->jb, 1);
}

static void *must(jcomp *c, void *p, int line) {
    if (!p) {
        c->code = QLM_ERR_NOMEM;
        snprintf(c->type, sizeof c->type, "MemoryError");
        jc_fail(c, line, "out of memory");
    }
    return p;
}

jstr *jc_str(jcomp *c, const char *s, size_t n) {
    return must(c, jstr_immortal(jc_alloc, c->arena, s, n), 0);
}

/* ---- parser state ---------------------------------------------------------------------- */

#define MAX_NEST 256

typedef struct {
    jcomp *c;
    size_t i;
    int depth;       /* expression / statement nesting */
    int loop_depth;  /* enclosing for loops (reset inside macro bodies) */
    const char *const *end_stack[MAX_NEST];
    int nend;
    const char *tag_stack[MAX_NEST];
    int ntag;
} parser;

typedef struct {
    jnode **v;
    int n, cap;
} nvec;

static jtok *cur(parser *p) { return &p->c->toks[p->i]; }
static jtok *look(parser *p) {
    return p->i + 1 < p->c->ntoks ? &p->c->toks[p->i + 1] : &p->c->toks[p->c->ntoks - 1];
}
static void nxt(parser *p) {
    if (cur(p)->type != T_EOF) p->i++;
}

static bool tok_is_name(const jtok *t, const char *name) {
    return t->type == T_NAME && t->n == strlen(name) && memcmp(t->p, name, t->n) == 0;
}
static bool tok_is_op(const jtok *t, int op) { return t->type == T_OP && t->op == op; }

static bool tok_in(const jtok *t, const char *const *names) {
    if (!names) return false;
    for (int i = 0; names[i]; i++)
        if (tok_is_name(t, names[i])) return true;
    return false;
}

static const char *type_desc(int type) {
    switch (type) {
    case T_EOF: return "end of template";
    case T_DATA: return "template data / text";
    case T_VAR_BEGIN: return "begin of print statement";
    case T_VAR_END: return "end of print statement";
    case T_BLOCK_BEGIN: return "begin of statement block";
    case T_BLOCK_END: return "end of statement block";
    case T_NAME: return "name";
    case T_STRING: return "string";
    case T_INT: return "integer";
    case T_FLOAT: return "float";
    }
    return "token";
}

/* jinja2.lexer.describe_token */
static const char *describe(const jtok *t, char *buf, size_t cap) {
    if (t->type == T_NAME) snprintf(buf, cap, "%.*s", (int)(t->n > 100 ? 100 : t->n), t->p);
    else if (t->type == T_OP) snprintf(buf, cap, "%s", jinja_op_text[t->op]);
    else snprintf(buf, cap, "%s", type_desc(t->type));
    return buf;
}

static _Noreturn void fail_expected(parser *p, const char *what) {
    char d[128];
    if (cur(p)->type == T_EOF)
        jc_fail(p->c, cur(p)->line, "unexpected end of template, expected '%s'.", what);
    jc_fail(p->c, cur(p)->line, "expected token '%s', got '%s'", what, describe(cur(p), d, sizeof d));
}

static jtok *expect_type(parser *p, int type) {
    if (cur(p)->type != type) fail_expected(p, type_desc(type));
    jtok *t = cur(p);
    nxt(p);
    return t;
}

static void expect_op(parser *p, int op) {
    if (!tok_is_op(cur(p), op)) fail_expected(p, jinja_op_text[op]);
    nxt(p);
}

static void expect_name(parser *p, const char *name) {
    if (!tok_is_name(cur(p), name)) fail_expected(p, name);
    nxt(p);
}

static bool skip_op(parser *p, int op) {
    if (!tok_is_op(cur(p), op)) return false;
    nxt(p);
    return true;
}

static bool skip_name(parser *p, const char *name) {
    if (!tok_is_name(cur(p), name)) return false;
    nxt(p);
    return true;
}

static jnode *mk(parser *p, int kind, int line) {
    jnode *n = must(p->c, jc_alloc(p->c->arena, sizeof *n), line);
    n->kind = (uint8_t)kind;
    n->line = line;
    return n;
}

static void push(parser *p, nvec *a, jnode *x) {
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 4;
        jnode **v = must(p->c, jc_alloc(p->c->arena, (size_t)cap * sizeof *v), 0);
        if (a->n) memcpy(v, a->v, (size_t)a->n * sizeof *v);
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
}

static jv name_str(parser *p, const jtok *t) { return jv_obj(JV_STR, jc_str(p->c, t->p, t->n)); }

static void enter(parser *p) {
    if (++p->depth > MAX_NEST) jc_fail(p->c, cur(p)->line, "template nested too deeply (more than %d levels)", MAX_NEST);
}
static void leave(parser *p) { p->depth--; }

/* ---- expressions ----------------------------------------------------------------------- */

static jnode *parse_expression(parser *p, bool with_condexpr);
static jnode *parse_tuple(parser *p, bool simplified, bool with_condexpr, const char *const *extra_end,
                          bool explicit_parens);
static jnode *parse_primary(parser *p);
static jnode *parse_postfix(parser *p, jnode *node);
static jnode *parse_filter_expr(parser *p, jnode *node);
static jnode *parse_unary(parser *p, bool with_filter);
static jnode *parse_or(parser *p);

/* (args, kwargs, *dyn_args, **dyn_kwargs) into n's v / names+w / c / d */
static void parse_call_args(parser *p, jnode *n) {
    int line = cur(p)->line;
    expect_op(p, O_LPAREN);
    nvec args = {0}, kwv = {0};
    jv *names = NULL;
    int nnames = 0, capnames = 0;
    bool require_comma = false;
    while (!tok_is_op(cur(p), O_RPAREN)) {
        if (require_comma) {
            expect_op(p, O_COMMA);
            if (tok_is_op(cur(p), O_RPAREN)) break; /* trailing comma */
        }
        if (tok_is_op(cur(p), O_MUL)) {
            if (n->c || n->d) jc_fail(p->c, line, "invalid syntax for function call expression");
            nxt(p);
            n->c = parse_expression(p, true);
        } else if (tok_is_op(cur(p), O_POW)) {
            if (n->d) jc_fail(p->c, line, "invalid syntax for function call expression");
            nxt(p);
            n->d = parse_expression(p, true);
        } else if (cur(p)->type == T_NAME && tok_is_op(look(p), O_ASSIGN)) {
            if (n->d) jc_fail(p->c, line, "invalid syntax for function call expression");
            jv key = name_str(p, cur(p));
            nxt(p);
            nxt(p);
            jnode *val = parse_expression(p, true);
            if (nnames == capnames) {
                int cap = capnames ? capnames * 2 : 4;
                jv *nn = must(p->c, jc_alloc(p->c->arena, (size_t)cap * sizeof *nn), line);
                if (nnames) memcpy(nn, names, (size_t)nnames * sizeof *nn);
                names = nn;
                capnames = cap;
            }
            names[nnames++] = key;
            push(p, &kwv, val);
        } else {
            if (n->c || n->d || nnames) jc_fail(p->c, line, "invalid syntax for function call expression");
            push(p, &args, parse_expression(p, true));
        }
        require_comma = true;
    }
    expect_op(p, O_RPAREN);
    n->v = args.v;
    n->nv = args.n;
    n->w = kwv.v;
    n->nw = kwv.n;
    n->names = names;
    n->nnames = nnames;
}

/* A filter or test name, dotted parts joined ("a.b"), each part cut at 100 bytes, into
 * name (size >= 128). Returns the first name token (for its line). */
static jtok *parse_dotted_name(parser *p, char *name, size_t size) {
    jtok *t = expect_type(p, T_NAME);
    snprintf(name, size, "%.*s", (int)(t->n > 100 ? 100 : t->n), t->p);
    while (tok_is_op(cur(p), O_DOT)) {
        nxt(p);
        jtok *u = expect_type(p, T_NAME);
        size_t k = strlen(name);
        snprintf(name + k, size - k, ".%.*s", (int)(u->n > 100 ? 100 : u->n), u->p);
    }
    return t;
}

static jnode *parse_filter(parser *p, jnode *node, bool start_inline) {
    while (tok_is_op(cur(p), O_PIPE) || start_inline) {
        if (!start_inline) nxt(p);
        char name[128];
        jtok *t = parse_dotted_name(p, name, sizeof name);
        if (!jb_filter_known(name)) {
            snprintf(p->c->type, sizeof p->c->type, "TemplateAssertionError");
            jc_fail(p->c, t->line, "No filter named '%s'.", name);
        }
        jnode *f = mk(p, N_FILTER, t->line);
        f->a = node;
        f->s = jv_obj(JV_STR, jc_str(p->c, name, strlen(name)));
        if (tok_is_op(cur(p), O_LPAREN)) parse_call_args(p, f);
        node = f;
        start_inline = false;
    }
    return node;
}

static jnode *parse_test(parser *p, jnode *node) {
    jtok *is = cur(p);
    nxt(p);
    bool negated = skip_name(p, "not");
    char name[128];
    jtok *t = parse_dotted_name(p, name, sizeof name);
    if (!jb_test_known(name)) {
        snprintf(p->c->type, sizeof p->c->type, "TemplateAssertionError");
        jc_fail(p->c, t->line, "No test named '%s'.", name);
    }
    jnode *n = mk(p, N_TEST, is->line);
    n->a = node;
    n->s = jv_obj(JV_STR, jc_str(p->c, name, strlen(name)));
    jtok *c = cur(p);
    if (tok_is_op(c, O_LPAREN)) {
        parse_call_args(p, n);
    } else if ((c->type == T_NAME || c->type == T_STRING || c->type == T_INT || c->type == T_FLOAT ||
                tok_is_op(c, O_LPAREN) || tok_is_op(c, O_LBRACKET) || tok_is_op(c, O_LBRACE)) &&
               !tok_is_name(c, "else") && !tok_is_name(c, "or") && !tok_is_name(c, "and")) {
        if (tok_is_name(c, "is")) jc_fail(p->c, c->line, "You cannot chain multiple tests with is");
        jnode *arg = parse_postfix(p, parse_primary(p));
        n->v = must(p->c, jc_alloc(p->c->arena, sizeof(jnode *)), c->line);
        n->v[0] = arg;
        n->nv = 1;
    }
    if (negated) {
        jnode *no = mk(p, N_NOT, is->line);
        no->a = n;
        return no;
    }
    return n;
}

static jnode *parse_subscribed(parser *p) {
    int line = cur(p)->line;
    jnode *args[3] = {NULL, NULL, NULL};
    if (tok_is_op(cur(p), O_COLON)) {
        nxt(p);
    } else {
        jnode *node = parse_expression(p, true);
        if (!tok_is_op(cur(p), O_COLON)) return node;
        nxt(p);
        args[0] = node;
    }
    if (!tok_is_op(cur(p), O_COLON) && !tok_is_op(cur(p), O_RBRACKET) && !tok_is_op(cur(p), O_COMMA))
        args[1] = parse_expression(p, true);
    if (tok_is_op(cur(p), O_COLON)) {
        nxt(p);
        if (!tok_is_op(cur(p), O_RBRACKET) && !tok_is_op(cur(p), O_COMMA)) args[2] = parse_expression(p, true);
    }
    jnode *s = mk(p, N_SLICE, line);
    s->a = args[0];
    s->b = args[1];
    s->c = args[2];
    return s;
}

static jnode *parse_subscript(parser *p, jnode *node) {
    jtok *t = cur(p);
    nxt(p);
    if (tok_is_op(t, O_DOT)) {
        jtok *a = cur(p);
        nxt(p);
        if (a->type == T_NAME) {
            jnode *g = mk(p, N_GETATTR, t->line);
            g->a = node;
            g->s = name_str(p, a);
            return g;
        }
        if (a->type != T_INT) jc_fail(p->c, a->line, "expected name or number");
        jnode *k = mk(p, N_CONST, a->line);
        k->s = jv_int(a->i);
        jnode *g = mk(p, N_GETITEM, t->line);
        g->a = node;
        g->b = k;
        return g;
    }
    /* '[' */
    nvec args = {0};
    while (!tok_is_op(cur(p), O_RBRACKET)) {
        if (args.n) expect_op(p, O_COMMA);
        push(p, &args, parse_subscribed(p));
    }
    expect_op(p, O_RBRACKET);
    jnode *key;
    if (args.n == 1) key = args.v[0];
    else {
        key = mk(p, N_TUPLE, t->line);
        key->v = args.v;
        key->nv = args.n;
    }
    jnode *g = mk(p, N_GETITEM, t->line);
    g->a = node;
    g->b = key;
    return g;
}

static jnode *parse_call(parser *p, jnode *node) {
    jnode *n = mk(p, N_CALL, cur(p)->line);
    n->a = node;
    parse_call_args(p, n);
    return n;
}

static jnode *parse_postfix(parser *p, jnode *node) {
    for (;;) {
        if (tok_is_op(cur(p), O_DOT) || tok_is_op(cur(p), O_LBRACKET)) node = parse_subscript(p, node);
        else if (tok_is_op(cur(p), O_LPAREN)) node = parse_call(p, node);
        else return node;
    }
}

static jnode *parse_filter_expr(parser *p, jnode *node) {
    for (;;) {
        if (tok_is_op(cur(p), O_PIPE)) node = parse_filter(p, node, false);
        else if (tok_is_name(cur(p), "is")) node = parse_test(p, node);
        else if (tok_is_op(cur(p), O_LPAREN)) node = parse_call(p, node);
        else return node;
    }
}

static jnode *parse_list(parser *p) {
    int line = cur(p)->line;
    expect_op(p, O_LBRACKET);
    nvec items = {0};
    while (!tok_is_op(cur(p), O_RBRACKET)) {
        if (items.n) expect_op(p, O_COMMA);
        if (tok_is_op(cur(p), O_RBRACKET)) break;
        push(p, &items, parse_expression(p, true));
    }
    expect_op(p, O_RBRACKET);
    jnode *n = mk(p, N_LIST, line);
    n->v = items.v;
    n->nv = items.n;
    return n;
}

static jnode *parse_dict(parser *p) {
    int line = cur(p)->line;
    expect_op(p, O_LBRACE);
    nvec keys = {0}, vals = {0};
    while (!tok_is_op(cur(p), O_RBRACE)) {
        if (keys.n) expect_op(p, O_COMMA);
        if (tok_is_op(cur(p), O_RBRACE)) break;
        push(p, &keys, parse_expression(p, true));
        expect_op(p, O_COLON);
        push(p, &vals, parse_expression(p, true));
    }
    expect_op(p, O_RBRACE);
    jnode *n = mk(p, N_DICT, line);
    n->v = keys.v;
    n->nv = keys.n;
    n->w = vals.v;
    n->nw = vals.n;
    return n;
}

static jnode *parse_primary(parser *p) {
    jtok *t = cur(p);
    jnode *n;
    enter(p);
    if (t->type == T_NAME) {
        if (tok_is_name(t, "true") || tok_is_name(t, "True")) { n = mk(p, N_CONST, t->line); n->s = jv_bool(true); }
        else if (tok_is_name(t, "false") || tok_is_name(t, "False")) { n = mk(p, N_CONST, t->line); n->s = jv_bool(false); }
        else if (tok_is_name(t, "none") || tok_is_name(t, "None")) { n = mk(p, N_CONST, t->line); n->s = jv_none(); }
        else { n = mk(p, N_NAME, t->line); n->s = name_str(p, t); }
        nxt(p);
    } else if (t->type == T_STRING) {
        nxt(p);
        if (cur(p)->type != T_STRING) {
            n = mk(p, N_CONST, t->line);
            n->s = jv_obj(JV_STR, t->str);
        } else { /* adjacent literals concatenate */
            qlm_buf b = {0};
            qlm_buf_put(&b, t->str->s, t->str->len);
            while (cur(p)->type == T_STRING) {
                qlm_buf_put(&b, cur(p)->str->s, cur(p)->str->len);
                nxt(p);
            }
            if (b.oom) { qlm_buf_free(&b); must(p->c, NULL, t->line); }
            n = mk(p, N_CONST, t->line);
            jstr *s = jstr_immortal(jc_alloc, p->c->arena, qlm_buf_cstr(&b), b.len);
            qlm_buf_free(&b);
            n->s = jv_obj(JV_STR, must(p->c, s, t->line));
        }
    } else if (t->type == T_INT) {
        nxt(p);
        n = mk(p, N_CONST, t->line);
        n->s = jv_int(t->i);
    } else if (t->type == T_FLOAT) {
        nxt(p);
        n = mk(p, N_CONST, t->line);
        n->s = jv_float(t->f);
    } else if (tok_is_op(t, O_LPAREN)) {
        nxt(p);
        n = parse_tuple(p, false, true, NULL, true);
        expect_op(p, O_RPAREN);
    } else if (tok_is_op(t, O_LBRACKET)) {
        n = parse_list(p);
    } else if (tok_is_op(t, O_LBRACE)) {
        n = parse_dict(p);
    } else {
        char d[128];
        jc_fail(p->c, t->line, "unexpected '%s'", describe(t, d, sizeof d));
    }
    leave(p);
    return n;
}

static jnode *parse_unary(parser *p, bool with_filter) {
    jtok *t = cur(p);
    jnode *node;
    enter(p);
    if (tok_is_op(t, O_SUB) || tok_is_op(t, O_ADD)) {
        nxt(p);
        node = mk(p, N_UNARY, t->line);
        node->op = tok_is_op(t, O_SUB) ? OPX_NEG : OPX_POS;
        node->a = parse_unary(p, false);
    } else {
        node = parse_primary(p);
    }
    node = parse_postfix(p, node);
    if (with_filter) node = parse_filter_expr(p, node);
    leave(p);
    return node;
}

static jnode *binop(parser *p, int op, jnode *a, jnode *b, int line) {
    jnode *n = mk(p, N_BINOP, line);
    n->op = (uint8_t)op;
    n->a = a;
    n->b = b;
    return n;
}

static jnode *parse_pow(parser *p) {
    int line = cur(p)->line;
    jnode *left = parse_unary(p, true);
    while (tok_is_op(cur(p), O_POW)) {
        nxt(p);
        left = binop(p, OPX_POW, left, parse_unary(p, true), line);
        line = cur(p)->line;
    }
    return left;
}

static jnode *parse_math2(parser *p) {
    int line = cur(p)->line;
    jnode *left = parse_pow(p);
    for (;;) {
        int op = tok_is_op(cur(p), O_MUL) ? OPX_MUL : tok_is_op(cur(p), O_DIV) ? OPX_DIV
               : tok_is_op(cur(p), O_FLOORDIV) ? OPX_FLOORDIV : tok_is_op(cur(p), O_MOD) ? OPX_MOD : 0;
        if (!op) return left;
        nxt(p);
        left = binop(p, op, left, parse_pow(p), line);
        line = cur(p)->line;
    }
}

static jnode *parse_concat(parser *p) {
    int line = cur(p)->line;
    jnode *first = parse_math2(p);
    if (!tok_is_op(cur(p), O_TILDE)) return first;
    nvec args = {0};
    push(p, &args, first);
    while (tok_is_op(cur(p), O_TILDE)) {
        nxt(p);
        push(p, &args, parse_math2(p));
    }
    jnode *n = mk(p, N_CONCAT, line);
    n->v = args.v;
    n->nv = args.n;
    return n;
}

static jnode *parse_math1(parser *p) {
    int line = cur(p)->line;
    jnode *left = parse_concat(p);
    for (;;) {
        int op = tok_is_op(cur(p), O_ADD) ? OPX_ADD : tok_is_op(cur(p), O_SUB) ? OPX_SUB : 0;
        if (!op) return left;
        nxt(p);
        left = binop(p, op, left, parse_concat(p), line);
        line = cur(p)->line;
    }
}

static jnode *parse_compare(parser *p) {
    int line = cur(p)->line;
    jnode *expr = parse_math1(p);
    nvec ops = {0};
    uint8_t opbuf[64];
    uint8_t *opv = opbuf;
    int capops = (int)sizeof opbuf;
    for (;;) {
        jtok *t = cur(p);
        int op = 0;
        if (t->type == T_OP) {
            switch (t->op) {
            case O_EQ: op = OPX_EQ; break;
            case O_NE: op = OPX_NE; break;
            case O_LT: op = OPX_LT; break;
            case O_LTEQ: op = OPX_LE; break;
            case O_GT: op = OPX_GT; break;
            case O_GTEQ: op = OPX_GE; break;
            default: break;
            }
            if (op) nxt(p);
        } else if (tok_is_name(t, "in")) {
            op = OPX_IN;
            nxt(p);
        } else if (tok_is_name(t, "not") && tok_is_name(look(p), "in")) {
            op = OPX_NOTIN;
            nxt(p);
            nxt(p);
        }
        if (!op) break;
        if (ops.n == capops) {
            uint8_t *nv = must(p->c, jc_alloc(p->c->arena, (size_t)capops * 2), line);
            memcpy(nv, opv, (size_t)capops);
            opv = nv;
            capops *= 2;
        }
        opv[ops.n] = (uint8_t)op;
        push(p, &ops, parse_math1(p));
    }
    if (!ops.n) return expr;
    jnode *n = mk(p, N_COMPARE, line);
    n->a = expr;
    n->v = ops.v;
    n->nv = ops.n;
    n->ops = must(p->c, jc_alloc(p->c->arena, (size_t)ops.n), line);
    memcpy(n->ops, opv, (size_t)ops.n);
    return n;
}

static jnode *parse_not(parser *p) {
    if (tok_is_name(cur(p), "not")) {
        int line = cur(p)->line;
        nxt(p);
        enter(p);
        jnode *n = mk(p, N_NOT, line);
        n->a = parse_not(p);
        leave(p);
        return n;
    }
    return parse_compare(p);
}

static jnode *parse_and(parser *p) {
    int line = cur(p)->line;
    jnode *left = parse_not(p);
    while (skip_name(p, "and")) {
        jnode *n = mk(p, N_AND, line);
        n->a = left;
        n->b = parse_not(p);
        left = n;
        line = cur(p)->line;
    }
    return left;
}

static jnode *parse_or(parser *p) {
    int line = cur(p)->line;
    jnode *left = parse_and(p);
    while (skip_name(p, "or")) {
        jnode *n = mk(p, N_OR, line);
        n->a = left;
        n->b = parse_and(p);
        left = n;
        line = cur(p)->line;
    }
    return left;
}

static jnode *parse_condexpr(parser *p) {
    int line = cur(p)->line;
    enter(p);
    jnode *expr1 = parse_or(p);
    while (skip_name(p, "if")) {
        jnode *n = mk(p, N_COND, line);
        n->a = parse_or(p);
        n->b = expr1;
        if (skip_name(p, "else")) n->c = parse_condexpr(p);
        expr1 = n;
        line = cur(p)->line;
    }
    leave(p);
    return expr1;
}

static jnode *parse_expression(parser *p, bool with_condexpr) {
    return with_condexpr ? parse_condexpr(p) : parse_or(p);
}

static bool is_tuple_end(parser *p, const char *const *extra_end) {
    jtok *t = cur(p);
    if (t->type == T_VAR_END || t->type == T_BLOCK_END || tok_is_op(t, O_RPAREN)) return true;
    return tok_in(t, extra_end);
}

static jnode *parse_tuple(parser *p, bool simplified, bool with_condexpr, const char *const *extra_end,
                          bool explicit_parens) {
    int line = cur(p)->line;
    nvec args = {0};
    bool is_tuple = false;
    for (;;) {
        if (args.n) expect_op(p, O_COMMA);
        if (is_tuple_end(p, extra_end)) break;
        push(p, &args, simplified ? parse_primary(p) : parse_expression(p, with_condexpr));
        if (tok_is_op(cur(p), O_COMMA)) is_tuple = true;
        else break;
        line = cur(p)->line;
    }
    if (!is_tuple) {
        if (args.n) return args.v[0];
        if (!explicit_parens) {
            char d[128];
            jc_fail(p->c, cur(p)->line, "Expected an expression, got '%s'", describe(cur(p), d, sizeof d));
        }
    }
    jnode *n = mk(p, N_TUPLE, line);
    n->v = args.v;
    n->nv = args.n;
    return n;
}

/* ---- statements ------------------------------------------------------------------------ */

static jnode **subparse(parser *p, const char *const *end, int *count);
static jnode *parse_statement(parser *p);

static const char *kind_name(int kind) {
    switch (kind) {
    case N_CONST: return "const";
    case N_CALL: return "call";
    case N_GETATTR: return "getattr";
    case N_GETITEM: return "getitem";
    case N_LIST: return "list";
    case N_DICT: return "dict";
    case N_FILTER: return "filter";
    case N_TEST: return "test";
    default: return "expr";
    }
}

static void check_assign(parser *p, jnode *t) {
    if (t->kind == N_NAME) {
        const char *s = JSTR(t->s)->s;
        if (!strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "none") || !strcmp(s, "True") ||
            !strcmp(s, "False") || !strcmp(s, "None"))
            jc_fail(p->c, t->line, "can't assign to 'name'");
        t->op = 1; /* store context */
        return;
    }
    if (t->kind == N_TUPLE) {
        for (int i = 0; i < t->nv; i++) check_assign(p, t->v[i]);
        return;
    }
    if (t->kind == N_NSREF) return;
    jc_fail(p->c, t->line, "can't assign to '%s'", kind_name(t->kind));
}

static jnode *parse_assign_target(parser *p, bool name_only, const char *const *extra_end, bool with_ns) {
    jnode *target;
    if (with_ns && tok_is_op(look(p), O_DOT)) {
        jtok *t = expect_type(p, T_NAME);
        nxt(p); /* dot */
        jtok *a = expect_type(p, T_NAME);
        target = mk(p, N_NSREF, t->line);
        target->s = name_str(p, t);
        target->names = must(p->c, jc_alloc(p->c->arena, sizeof(jv)), t->line);
        target->names[0] = name_str(p, a);
        target->nnames = 1;
    } else if (name_only) {
        jtok *t = expect_type(p, T_NAME);
        target = mk(p, N_NAME, t->line);
        target->s = name_str(p, t);
    } else {
        target = parse_tuple(p, true, true, extra_end, false);
    }
    check_assign(p, target);
    return target;
}

/* parse_statements: optional ':', block end, then the body up to one of `end`. */
static jnode **parse_statements(parser *p, const char *const *end, bool drop_needle, int *count) {
    skip_op(p, O_COLON);
    expect_type(p, T_BLOCK_END);
    jnode **body = subparse(p, end, count);
    if (cur(p)->type == T_EOF) {
        /* "Unexpected end of template. ..." (jinja2 Parser._fail_ut_eof with name None) */
        char msg[400] = "Unexpected end of template.";
        size_t k = strlen(msg);
        k += (size_t)snprintf(msg + k, sizeof msg - k, " Jinja was looking for the following tags: ");
        for (int i = 0; end[i] && k < sizeof msg; i++)
            k += (size_t)snprintf(msg + k, sizeof msg - k, "%s'%s'", i ? " or " : "", end[i]);
        if (k < sizeof msg) k += (size_t)snprintf(msg + k, sizeof msg - k, ".");
        if (p->ntag && k < sizeof msg)
            snprintf(msg + k, sizeof msg - k, " The innermost block that needs to be closed is '%s'.",
                     p->tag_stack[p->ntag - 1]);
        jc_fail(p->c, cur(p)->line, "%s", msg);
    }
    if (drop_needle) nxt(p);
    return body;
}

static const char *const END_IF[] = {"elif", "else", "endif", NULL};
static const char *const END_ENDIF[] = {"endif", NULL};
static const char *const END_FOR[] = {"endfor", "else", NULL};
static const char *const END_ENDFOR[] = {"endfor", NULL};
static const char *const END_IN[] = {"in", NULL};
static const char *const END_RECURSIVE[] = {"recursive", NULL};
static const char *const END_MACRO[] = {"endmacro", NULL};
static const char *const END_CALL[] = {"endcall", NULL};
static const char *const END_FILTER[] = {"endfilter", NULL};
static const char *const END_SET[] = {"endset", NULL};
static const char *const END_WITH[] = {"endwith", NULL};
static const char *const END_GENERATION[] = {"endgeneration", NULL};

static jnode *parse_if(parser *p) {
    jtok *t = cur(p);
    nxt(p);
    jnode *result = mk(p, S_IF, t->line), *node = result;
    for (;;) {
        node->a = parse_tuple(p, false, false, NULL, false);
        node->v = parse_statements(p, END_IF, false, &node->nv);
        jtok *k = cur(p);
        nxt(p);
        if (tok_is_name(k, "elif")) {
            jnode *e = mk(p, S_IF, cur(p)->line);
            node->w = must(p->c, jc_alloc(p->c->arena, sizeof(jnode *)), k->line);
            node->w[0] = e;
            node->nw = 1;
            node = e;
            continue;
        }
        if (tok_is_name(k, "else")) node->w = parse_statements(p, END_ENDIF, true, &node->nw);
        break;
    }
    return result;
}

static jnode *parse_for(parser *p) {
    jtok *t = cur(p);
    nxt(p);
    jnode *n = mk(p, S_FOR, t->line);
    n->a = parse_assign_target(p, false, END_IN, false);
    expect_name(p, "in");
    n->b = parse_tuple(p, false, false, END_RECURSIVE, false);
    if (skip_name(p, "if")) n->c = parse_expression(p, true);
    if (skip_name(p, "recursive")) n->op = 1;
    p->loop_depth++;
    n->v = parse_statements(p, END_FOR, false, &n->nv);
    p->loop_depth--;
    jtok *k = cur(p);
    nxt(p);
    if (!tok_is_name(k, "endfor")) n->w = parse_statements(p, END_ENDFOR, true, &n->nw);
    return n;
}

static jnode *parse_set(parser *p) {
    jtok *t = cur(p);
    nxt(p);
    jnode *target = parse_assign_target(p, false, NULL, true);
    if (skip_op(p, O_ASSIGN)) {
        jnode *n = mk(p, S_SET, t->line);
        n->a = target;
        n->b = parse_tuple(p, false, true, NULL, false);
        return n;
    }
    jnode *n = mk(p, S_SETBLOCK, t->line);
    n->a = target;
    n->c = tok_is_op(cur(p), O_PIPE) ? parse_filter(p, NULL, false) : NULL;
    n->v = parse_statements(p, END_SET, true, &n->nv);
    return n;
}

/* Parameters "(a, b=1, ...)" into names / w (defaults, NULL when none). */
static void parse_signature(parser *p, jnode *n) {
    expect_op(p, O_LPAREN);
    nvec defaults = {0};
    jv *names = NULL;
    int nn = 0, cap = 0;
    bool any_default = false;
    while (!tok_is_op(cur(p), O_RPAREN)) {
        if (nn) expect_op(p, O_COMMA);
        jnode *arg = parse_assign_target(p, true, NULL, false);
        jnode *dflt = NULL;
        if (skip_op(p, O_ASSIGN)) {
            dflt = parse_expression(p, true);
            any_default = true;
        } else if (any_default) {
            jc_fail(p->c, arg->line, "non-default argument follows default argument");
        }
        if (nn == cap) {
            cap = cap ? cap * 2 : 4;
            jv *v = must(p->c, jc_alloc(p->c->arena, (size_t)cap * sizeof *v), arg->line);
            if (nn) memcpy(v, names, (size_t)nn * sizeof *v);
            names = v;
        }
        names[nn++] = arg->s;
        push(p, &defaults, dflt);
        if (!dflt && !strcmp(JSTR(arg->s)->s, "caller")) {
            snprintf(p->c->type, sizeof p->c->type, "TemplateAssertionError");
            jc_fail(p->c, arg->line, "When defining macros or call blocks the special \"caller\" argument must be omitted or be given a default.");
        }
    }
    expect_op(p, O_RPAREN);
    n->names = names;
    n->nnames = nn;
    n->w = defaults.v;
    n->nw = defaults.n;
}

/* Which of caller / varargs / kwargs a macro body reads (Jinja's find_undeclared). */
static int scan_names(const jnode *n) {
    if (!n) return 0;
    int f = 0;
    if (n->kind == N_NAME && n->op == 0) {
        const char *s = JSTR(n->s)->s;
        if (!strcmp(s, "caller")) f |= MF_CALLER;
        else if (!strcmp(s, "varargs")) f |= MF_VARARGS;
        else if (!strcmp(s, "kwargs")) f |= MF_KWARGS;
    }
    f |= scan_names(n->a) | scan_names(n->b) | scan_names(n->c) | scan_names(n->d);
    for (int i = 0; i < n->nv; i++) f |= scan_names(n->v[i]);
    for (int i = 0; i < n->nw; i++) f |= scan_names(n->w[i]);
    return f;
}

static int scan_body(jnode *const *body, int n) {
    int f = 0;
    for (int i = 0; i < n; i++) f |= scan_names(body[i]);
    return f;
}

static jnode *parse_macro(parser *p) {
    jtok *t = cur(p);
    nxt(p);
    jnode *n = mk(p, S_MACRO, t->line);
    jnode *name = parse_assign_target(p, true, NULL, false);
    n->s = name->s;
    parse_signature(p, n);
    int saved = p->loop_depth;
    p->loop_depth = 0; /* a macro body is a function: break/continue do not reach out */
    jnode *body_holder = mk(p, S_SCOPE, t->line);
    body_holder->v = parse_statements(p, END_MACRO, true, &body_holder->nv);
    p->loop_depth = saved;
    n->v = body_holder->v;
    n->nv = body_holder->nv;
    n->op = (uint8_t)scan_body(n->v, n->nv);
    return n;
}

static jnode *parse_call_block(parser *p) {
    jtok *t = cur(p);
    nxt(p);
    jnode *n = mk(p, S_CALLBLOCK, t->line);
    if (tok_is_op(cur(p), O_LPAREN)) parse_signature(p, n);
    jnode *call = parse_expression(p, true);
    if (call->kind != N_CALL) jc_fail(p->c, t->line, "expected call");
    n->a = call;
    int saved = p->loop_depth;
    p->loop_depth = 0;
    n->v = parse_statements(p, END_CALL, true, &n->nv);
    p->loop_depth = saved;
    n->op = (uint8_t)scan_body(n->v, n->nv);
    return n;
}

static jnode *parse_filter_block(parser *p) {
    jtok *t = cur(p);
    nxt(p);
    jnode *n = mk(p, S_FILTERBLOCK, t->line);
    n->a = parse_filter(p, NULL, true);
    n->v = parse_statements(p, END_FILTER, true, &n->nv);
    return n;
}

/* {% with a=1, b=2 %}body{% endwith %} runs as a scope: the assignments, then body. */
static jnode *parse_with(parser *p) {
    jtok *t = cur(p);
    nxt(p);
    nvec stmts = {0};
    while (cur(p)->type != T_BLOCK_END) {
        if (stmts.n) expect_op(p, O_COMMA);
        jnode *set = mk(p, S_SET, cur(p)->line);
        set->a = parse_assign_target(p, false, NULL, false);
        expect_op(p, O_ASSIGN);
        set->b = parse_expression(p, true);
        push(p, &stmts, set);
    }
    int nbody = 0;
    jnode **body = parse_statements(p, END_WITH, true, &nbody);
    for (int i = 0; i < nbody; i++) push(p, &stmts, body[i]);
    jnode *n = mk(p, S_SCOPE, t->line);
    n->v = stmts.v;
    n->nv = stmts.n;
    return n;
}

/* {% print a, b %}: outputs like {{ a }}{{ b }} */
static jnode *parse_print(parser *p) {
    jtok *t = cur(p);
    nxt(p);
    nvec outs = {0};
    while (cur(p)->type != T_BLOCK_END) {
        if (outs.n) expect_op(p, O_COMMA);
        jnode *o = mk(p, S_OUTPUT, cur(p)->line);
        o->a = parse_expression(p, true);
        push(p, &outs, o);
    }
    jnode *n = mk(p, S_IF, t->line); /* an always-true if runs the outputs in place */
    n->a = mk(p, N_CONST, t->line);
    n->a->s = jv_bool(true);
    n->v = outs.v;
    n->nv = outs.n;
    return n;
}

static _Noreturn void fail_unknown_tag(parser *p, const jtok *t) {
    char name[128], msg[480];
    snprintf(name, sizeof name, "%.*s", (int)(t->n > 100 ? 100 : t->n), t->p);
    size_t k = (size_t)snprintf(msg, sizeof msg, "Encountered unknown tag '%s'.", name);
    if (p->nend) {
        bool expected = false;
        for (int i = 0; i < p->nend; i++)
            for (int j = 0; p->end_stack[i][j]; j++)
                if (!strcmp(p->end_stack[i][j], name)) expected = true;
        const char *const *last = p->end_stack[p->nend - 1];
        char looking[200] = "";
        size_t q = 0;
        for (int j = 0; last[j] && q < sizeof looking; j++)
            q += (size_t)snprintf(looking + q, sizeof looking - q, "%s'%s'", j ? " or " : "", last[j]);
        if (expected)
            k += (size_t)snprintf(msg + k, sizeof msg - k,
                                  " You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for %s.",
                                  looking);
        else if (k < sizeof msg)
            k += (size_t)snprintf(msg + k, sizeof msg - k, " Jinja was looking for the following tags: %s.", looking);
    }
    if (p->ntag && k < sizeof msg)
        snprintf(msg + k, sizeof msg - k, " The innermost block that needs to be closed is '%s'.",
                 p->tag_stack[p->ntag - 1]);
    jc_fail(p->c, t->line, "%s", msg);
}

static jnode *parse_statement(parser *p) {
    jtok *t = cur(p);
    if (t->type != T_NAME) jc_fail(p->c, t->line, "tag name expected");
    enter(p);
    static const char *const tags[] = {"for", "if", "set", "macro", "call", "filter", "with", "print",
                                       "break", "continue", "generation", NULL};
    static const char *const unsupported[] = {"block", "extends", "include", "import", "from", "autoescape", NULL};
    const char *tag = NULL;
    for (int i = 0; tags[i]; i++)
        if (tok_is_name(t, tags[i])) tag = tags[i];
    if (!tag) {
        for (int i = 0; unsupported[i]; i++)
            if (tok_is_name(t, unsupported[i]))
                jc_fail(p->c, t->line, "the '%s' tag is not supported by qlm (templates are self-contained)",
                        unsupported[i]);
        fail_unknown_tag(p, t);
    }
    if (p->ntag == MAX_NEST) jc_fail(p->c, t->line, "template nested too deeply");
    p->tag_stack[p->ntag++] = tag;
    jnode *n;
    if (!strcmp(tag, "for")) n = parse_for(p);
    else if (!strcmp(tag, "if")) n = parse_if(p);
    else if (!strcmp(tag, "set")) n = parse_set(p);
    else if (!strcmp(tag, "macro")) n = parse_macro(p);
    else if (!strcmp(tag, "call")) n = parse_call_block(p);
    else if (!strcmp(tag, "filter")) n = parse_filter_block(p);
    else if (!strcmp(tag, "with")) n = parse_with(p);
    else if (!strcmp(tag, "print")) n = parse_print(p);
    else if (!strcmp(tag, "generation")) {
        /* transformers' AssistantTracker: the body renders as is (in its own scope) */
        nxt(p);
        int saved = p->loop_depth;
        p->loop_depth = 0;
        n = mk(p, S_SCOPE, t->line);
        n->v = parse_statements(p, END_GENERATION, true, &n->nv);
        p->loop_depth = saved;
    } else { /* break / continue */
        nxt(p);
        if (!p->loop_depth) {
            snprintf(p->c->type, sizeof p->c->type, "SyntaxError");
            jc_fail(p->c, t->line, "'%s' outside loop", tag);
        }
        n = mk(p, !strcmp(tag, "break") ? S_BREAK : S_CONTINUE, t->line);
    }
    p->ntag--;
    leave(p);
    return n;
}

static jnode **subparse(parser *p, const char *const *end, int *count) {
    nvec body = {0};
    if (end) {
        if (p->nend == MAX_NEST) jc_fail(p->c, cur(p)->line, "template nested too deeply");
        p->end_stack[p->nend++] = end;
    }
    while (cur(p)->type != T_EOF) {
        jtok *t = cur(p);
        if (t->type == T_DATA) {
            jnode *n = mk(p, S_TEXT, t->line);
            n->s = jv_obj(JV_STR, t->str);
            push(p, &body, n);
            nxt(p);
        } else if (t->type == T_VAR_BEGIN) {
            nxt(p);
            jnode *n = mk(p, S_OUTPUT, t->line);
            n->a = parse_tuple(p, false, true, NULL, false);
            expect_type(p, T_VAR_END);
            push(p, &body, n);
        } else if (t->type == T_BLOCK_BEGIN) {
            nxt(p);
            if (end && tok_in(cur(p), end)) {
                p->nend--;
                *count = body.n;
                return body.v;
            }
            push(p, &body, parse_statement(p));
            expect_type(p, T_BLOCK_END);
        } else {
            char d[128];
            jc_fail(p->c, t->line, "unexpected '%s'", describe(t, d, sizeof d));
        }
    }
    if (end) p->nend--;
    *count = body.n;
    return body.v;
}

/* ---- compile --------------------------------------------------------------------------- */

/* The evaluator walks the tree recursively, so a tree's height is its stack depth. The
 * parser limits nesting (brackets, blocks) but builds chains such as 1+1+...+1 or
 * x|trim|trim|... in loops, as left-deep trees of any height: check the height of the
 * whole tree here, without recursion. */
#define MAX_TREE_HEIGHT 256

typedef struct { const jnode *n; int h; } hstack_item;

static void check_height(jcomp *c, jnode **body, int nbody) {
    size_t cap = nbody > 64 ? (size_t)nbody : 64, top = 0;
    hstack_item *st = malloc(cap * sizeof *st);
    if (!st) jc_fail(c, 0, "out of memory");
    for (int i = 0; i < nbody; i++) st[top++] = (hstack_item){body[i], 1};
    while (top) {
        hstack_item it = st[--top];
        if (!it.n) continue;
        if (it.h > MAX_TREE_HEIGHT) {
            int line = it.n->line;
            free(st);
            jc_fail(c, line, "expression or block nested too deeply (more than %d levels)", MAX_TREE_HEIGHT);
        }
        size_t need = top + 4 + (size_t)(it.n->nv > 0 ? it.n->nv : 0) + (size_t)(it.n->nw > 0 ? it.n->nw : 0);
        if (need > cap) {
            size_t ncap = cap;
            while (ncap < need) ncap *= 2;
            hstack_item *ns = realloc(st, ncap * sizeof *st);
            if (!ns) { free(st); jc_fail(c, 0, "out of memory"); }
            st = ns;
            cap = ncap;
        }
        const jnode *kids[4] = {it.n->a, it.n->b, it.n->c, it.n->d};
        for (int k = 0; k < 4; k++)
            if (kids[k]) st[top++] = (hstack_item){kids[k], it.h + 1};
        for (int k = 0; k < it.n->nv; k++)
            if (it.n->v[k]) st[top++] = (hstack_item){it.n->v[k], it.h + 1};
        for (int k = 0; k < it.n->nw; k++)
            if (it.n->w[k]) st[top++] = (hstack_item){it.n->w[k], it.h + 1};
    }
    free(st);
}

#define MAX_TEMPLATE (16u << 20)

qlm_status qlm_tmpl_compile(const char *src, size_t len, qlm_tmpl **out, qlm_error *err,
                            qlm_tmpl_diag *diag) {
    *out = NULL;
    if (diag) memset(diag, 0, sizeof *diag);
    if (!src && len) return qlm_set_error(err, QLM_ERR_INVALID_ARG, "template: NULL text");
    if (len > MAX_TEMPLATE)
        return qlm_set_error(err, QLM_ERR_FORMAT, "template of %zu bytes is larger than the limit of %u",
                             len, MAX_TEMPLATE);
    if (!qlm_utf8_valid(src, len)) {
        size_t i = 0;
        while (i < len) {
            uint32_t cp;
            int k = qlm_utf8_decode((const unsigned char *)src + i, len - i, &cp);
            if (!k) break;
            i += (size_t)k;
        }
        if (diag) snprintf(diag->type, sizeof diag->type, "UnicodeDecodeError");
        return qlm_set_error(err, QLM_ERR_FORMAT, "template is not valid UTF-8 (byte %zu)", i);
    }
    qlm_tmpl *t = calloc(1, sizeof *t);
    tarena *arena = calloc(1, sizeof *arena);
    if (!t || !arena) {
        free(t);
        free(arena);
        return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    }
    t->arena = arena;
    /* Jinja's lexer: every line ending becomes "\n"; one trailing newline is dropped
     * (keep_trailing_newline=False). */
    char *norm = jc_alloc(arena, len + 1);
    if (!norm) {
        tarena_free(arena);
        free(t);
        return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\r') {
            norm[n++] = '\n';
            if (i + 1 < len && src[i + 1] == '\n') i++;
        } else {
            norm[n++] = src[i];
        }
    }
    if (n && norm[n - 1] == '\n') n--;
    norm[n] = 0;
    t->src = norm;

    jcomp *c = calloc(1, sizeof *c);
    if (!c) {
        tarena_free(arena);
        free(t);
        return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory");
    }
    c->arena = arena;
    c->src = norm;
    c->n = n;
    if (setjmp(c->jb)) {
        qlm_status code = c->code ? c->code : QLM_ERR_FORMAT;
        qlm_set_error(err, code, "%s", c->msg);
        if (diag) {
            diag->line = c->errline;
            snprintf(diag->type, sizeof diag->type, "%s", c->type);
        }
        free(c->toks);
        free(c);
        tarena_free(arena);
        free(t);
        return code;
    }
    jinja_lex(c);
    parser p = {.c = c};
    int nbody = 0;
    jnode **body = subparse(&p, NULL, &nbody);
    check_height(c, body, nbody);
    t->body = body;
    t->nbody = nbody;
    free(c->toks);
    free(c);
    *out = t;
    return QLM_OK;
}

void qlm_tmpl_free(qlm_tmpl *t) {
    if (!t) return;
    tarena_free(t->arena);
    free(t);
}
