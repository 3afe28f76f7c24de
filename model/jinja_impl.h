/* Internals of the Jinja interpreter shared by jinja_*.c: values, AST, render state.
 *
 * Memory: every object made during a render is reference counted AND linked into the
 * render's list of live objects. Counting frees temporaries promptly; the list lets an
 * error unwind with longjmp from any depth and still free everything (and breaks the
 * reference cycles macros and namespaces can form). Objects owned by a compiled
 * template (string constants) are "immortal": never counted, never freed by a render.
 */
#ifndef QLM_JINJA_IMPL_H
#define QLM_JINJA_IMPL_H

#include "jinja.h"
#include "json.h"
#include "../ggml-like/error.h"

#include <setjmp.h>
#include <stdarg.h>

/* ---- values --------------------------------------------------------------------------- */

typedef enum {
    JV_UNDEF = 0, /* u.o: NULL or a jstr with the error message using it would raise */
    JV_NONE,
    JV_BOOL,
    JV_INT,
    JV_FLOAT,
    JV_STR,  /* heap types from here on */
    JV_LIST, /* list or tuple */
    JV_DICT,
    JV_NS,   /* namespace() */
    JV_FUNC, /* macro, builtin function, bound method */
    JV_LOOP  /* the `loop` variable */
} jv_type;

enum { K_STR = 1, K_LIST, K_DICT, K_NS, K_FUNC, K_LOOP, K_SCOPE, K_BUF };

typedef struct jobj jobj;
struct jobj {
    jobj *prev, *next; /* the render's list of live objects */
    size_t size;       /* bytes accounted to the render */
    int32_t rc;
    uint8_t kind;
    uint8_t immortal;
    uint16_t depth;    /* containers: 1 + the deepest element (bounds every recursion) */
};

typedef struct {
    uint8_t t;     /* jv_type */
    uint8_t safe;  /* JV_STR: a markupsafe.Markup (from |safe): `+` escapes the other side */
    union {
        bool b;
        int64_t i;
        double f;
        jobj *o;
    } u;
} jv;

typedef struct {
    jobj h;
    size_t len;     /* bytes */
    uint8_t ascii;  /* all bytes < 0x80: byte index == code point index */
    char s[];       /* NUL-terminated */
} jstr;

/* A JV_LIST is any Python sequence or iterator; the kind decides how it behaves:
 * Jinja's map/select/... return one-shot generators (always true, no len(), not JSON
 * serializable), dict.items() returns a view, range() a range. */
enum { JL_LIST = 0, JL_TUPLE, JL_GEN, JL_ITER, JL_KEYS, JL_VALUES, JL_ITEMS, JL_RANGE };

typedef struct {
    jobj h;
    uint8_t kind;          /* JL_* */
    const char *iter_name; /* JL_ITER: its Python type ("list_reverseiterator", ...) */
    int64_t rstart, rstop, rstep; /* JL_RANGE: the arguments, for repr */
    size_t n, cap;
    jv *v;
} jlist;

static inline bool jl_seq(const jlist *l) { return l->kind == JL_LIST || l->kind == JL_TUPLE; }
static inline bool jl_oneshot(const jlist *l) { return l->kind == JL_GEN || l->kind == JL_ITER; }

typedef struct {
    jobj h;
    size_t n, cap;
    jv *keys, *vals;
    uint32_t *idx;  /* open-addressing index of n+1 based positions, once n > 8 */
    size_t icap;
} jdict;

typedef struct {
    jobj h;
    jdict *attrs;
} jns;

typedef struct jnode jnode;
typedef struct jscope jscope;

enum { FN_MACRO = 1, FN_CALLER, FN_GLOBAL, FN_METHOD };

typedef struct {
    jobj h;
    uint8_t fk;
    const jnode *node;   /* FN_MACRO / FN_CALLER: the definition */
    jscope *closure;     /* the scope it was defined in */
    int id;              /* FN_GLOBAL: global id; FN_METHOD: method id */
    jv self;             /* FN_METHOD: the receiver */
    const char *name;
} jfunc;

typedef struct {
    jobj h;
    jlist *items;        /* what the loop iterates (after its `if` filter) */
    size_t i;
    bool changed_set;
    jv changed_last;
    int depth;           /* 1 for the outer loop; +1 per loop(...) call of a recursive loop */
    const jnode *node;   /* recursive loops: the for statement and its scope, for loop(x) */
    jscope *scope;
} jloop;

struct jscope {
    jobj h;
    jscope *parent;
    jdict *vars;
};

typedef struct {
    jobj h;
    qlm_buf b;
} jbufobj;

#define JSTR(v) ((jstr *)(v).u.o)
#define JLIST(v) ((jlist *)(v).u.o)
#define JDICT(v) ((jdict *)(v).u.o)
#define JNS(v) ((jns *)(v).u.o)
#define JFUNC(v) ((jfunc *)(v).u.o)
#define JLOOP(v) ((jloop *)(v).u.o)

static inline bool jv_is_heap(jv v) { return v.t >= JV_STR || (v.t == JV_UNDEF && v.u.o); }
static inline bool jv_is_num(jv v) { return v.t == JV_BOOL || v.t == JV_INT || v.t == JV_FLOAT; }
static inline bool jv_is_intlike(jv v) { return v.t == JV_BOOL || v.t == JV_INT; }
static inline int64_t jv_as_int(jv v) { return v.t == JV_BOOL ? (int64_t)v.u.b : v.u.i; }
static inline double jv_as_f(jv v) {
    return v.t == JV_FLOAT ? v.u.f : (double)jv_as_int(v);
}
static inline jv jv_none(void) { jv v = {.t = JV_NONE}; return v; }
static inline jv jv_undef0(void) { jv v = {.t = JV_UNDEF}; return v; }
static inline jv jv_bool(bool b) { jv v = {.t = JV_BOOL}; v.u.b = b; return v; }
static inline jv jv_int(int64_t i) { jv v = {.t = JV_INT}; v.u.i = i; return v; }
static inline jv jv_float(double f) { jv v = {.t = JV_FLOAT}; v.u.f = f; return v; }
static inline jv jv_obj(uint8_t t, void *o) { jv v = {.t = t}; v.u.o = (jobj *)o; return v; }
static inline jv jv_retain(jv v) {
    if (jv_is_heap(v) && !v.u.o->immortal) v.u.o->rc++;
    return v;
}

/* ---- AST ------------------------------------------------------------------------------ */

enum {
    /* expressions */
    N_CONST = 1, N_NAME, N_LIST, N_TUPLE, N_DICT, N_GETATTR, N_GETITEM, N_SLICE, N_CALL,
    N_FILTER, N_TEST, N_BINOP, N_UNARY, N_COMPARE, N_AND, N_OR, N_NOT, N_COND, N_CONCAT,
    N_NSREF,
    /* statements */
    S_TEXT, S_OUTPUT, S_IF, S_FOR, S_SET, S_SETBLOCK, S_MACRO, S_CALLBLOCK, S_FILTERBLOCK,
    S_WITH, S_BREAK, S_CONTINUE, S_SCOPE /* a body run in place (generation) */
};

enum { /* N_BINOP / N_UNARY / N_COMPARE operators */
    OPX_ADD = 1, OPX_SUB, OPX_MUL, OPX_DIV, OPX_FLOORDIV, OPX_MOD, OPX_POW, OPX_NEG, OPX_POS,
    OPX_EQ, OPX_NE, OPX_LT, OPX_LE, OPX_GT, OPX_GE, OPX_IN, OPX_NOTIN
};

enum { /* S_MACRO flags */
    MF_CALLER = 1, MF_VARARGS = 2, MF_KWARGS = 4
};

struct jnode {
    uint8_t kind;
    uint8_t op;      /* operator; N_TEST: negated; S_MACRO: MF_* */
    int line;
    jnode *a, *b, *c, *d;
    jnode **v;       /* items / positional args / body / compare operands */
    int nv;
    jnode **w;       /* dict values / keyword arg values / else body / defaults */
    int nw;
    jv s;            /* N_CONST value; names (N_NAME, N_GETATTR attr, filter, test) */
    jv *names;       /* keyword argument names / macro parameter names */
    int nnames;
    uint8_t *ops;    /* N_COMPARE: the operator before each of v[1..] */
};
/* N_CALL / N_FILTER / N_TEST arguments: v = positional, names[i] = w[i] keywords,
 * c = *args, d = **kwargs. N_FILTER/N_TEST: a = operand (NULL inside a filter block
 * or `set` block: the block's text), s = name. */

struct qlm_tmpl {
    char *src;            /* normalized source */
    jnode **body;
    int nbody;
    void *arena;          /* nodes and immortal strings */
};

/* ---- compilation (jinja_lex.c, jinja_parse.c) ------------------------------------------ */

enum {
    T_EOF = 0, T_DATA, T_VAR_BEGIN, T_VAR_END, T_BLOCK_BEGIN, T_BLOCK_END, T_NAME, T_STRING,
    T_INT, T_FLOAT, T_OP
};

enum { /* T_OP operators */
    O_ADD = 1, O_SUB, O_DIV, O_FLOORDIV, O_MUL, O_MOD, O_POW, O_TILDE, O_LBRACKET, O_RBRACKET,
    O_LPAREN, O_RPAREN, O_LBRACE, O_RBRACE, O_EQ, O_NE, O_GT, O_GTEQ, O_LT, O_LTEQ, O_ASSIGN,
    O_DOT, O_COLON, O_PIPE, O_COMMA, O_SEMICOLON, O_COUNT
};
extern const char *const jinja_op_text[O_COUNT];

typedef struct {
    uint8_t type;
    uint8_t op;
    int line;
    const char *p;   /* T_NAME: the name (in the normalized source) */
    size_t n;
    jstr *str;       /* T_DATA, T_STRING: the text (immortal) */
    int64_t i;       /* T_INT */
    double f;        /* T_FLOAT */
} jtok;

typedef struct {
    jmp_buf jb;
    char msg[512];
    char type[32];
    int errline;
    qlm_status code;
    void *arena;
    const char *src;   /* normalized source */
    size_t n;
    jtok *toks;
    size_t ntoks, captoks;
} jcomp;

_Noreturn void jc_fail(jcomp *c, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void *jc_alloc(void *arena, size_t n);  /* zeroed; NULL when out of memory */
jstr *jc_str(jcomp *c, const char *s, size_t n);
void jinja_lex(jcomp *c);

/* ---- render state ---------------------------------------------------------------------- */

enum { FLOW_NONE = 0, FLOW_BREAK, FLOW_CONTINUE };

typedef struct {
    jmp_buf jb;
    jobj live;              /* sentinel of the list of live objects */
    size_t mem, mem_limit;
    uint64_t steps, max_steps;
    int call_depth, max_call_depth;
    int cdepth;             /* C recursion guard */
    int line;               /* line of the node being evaluated */
    qlm_buf *out;           /* where output goes now */
    size_t max_output;
    struct tm now;
    int flow;
    jscope *globals;
    qlm_buf main_out;       /* the render's output (kept here: it must survive longjmp) */
    /* error */
    qlm_status code;
    int errline;
    bool raised;
    char errtype[32];
    char errmsg[512];
} jrender;

/* The evaluator recurses about 3.3 KB of stack per level (-O2; ~5 KB under ASan): 1000
 * levels fit the 8 MB stacks qlm runs templates on (the server sets its threads' size). */
#define JR_MAX_CDEPTH 1000
#define JR_MAX_VDEPTH 1000 /* nesting of values walked by repr/==/tojson */

/* Raise a template error (longjmp). type: Python exception class name. */
_Noreturn void jr_fail(jrender *r, const char *type, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
_Noreturn void jr_fail_code(jrender *r, qlm_status code, const char *type, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Raise the error that using undefined value u gives. */
_Noreturn void jr_fail_undef(jrender *r, jv u);

/* Count one unit of work against max_steps (statements, expressions, and the elements
 * builtins touch: a loop over range(100000) inside another costs what it does). */
_Noreturn void jr_fail_steps(jrender *r);
static inline void jr_tick(jrender *r) {
    if (++r->steps > r->max_steps) jr_fail_steps(r);
}
/* Work proportional to a byte count (string building and scanning): one step per 64. */
static inline void jr_work(jrender *r, size_t bytes) {
    r->steps += bytes >> 6;
    if (r->steps > r->max_steps) jr_fail_steps(r);
}

/* objects (jinja_value.c) */
void *jr_alloc(jrender *r, uint8_t kind, size_t size);
void jr_account(jrender *r, jobj *o, ptrdiff_t delta);
void jv_release(jrender *r, jv v);
void jobj_release(jrender *r, jobj *o);
void jr_free_all(jrender *r);

jv jv_str(jrender *r, const char *s, size_t n);
jv jv_strz(jrender *r, const char *s);
jv jv_str_buf(jrender *r, qlm_buf *b);   /* takes the text out of b */
jv jv_undef(jrender *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The undefined value Jinja makes for obj[name] / obj.name that is missing. */
jv jv_undef_attr(jrender *r, jv obj, jv name);
jstr *jstr_immortal(void *(*alloc)(void *, size_t), void *ctx, const char *s, size_t n);

jlist *jl_new(jrender *r, size_t cap);
void jl_push(jrender *r, jlist *l, jv v);  /* takes ownership of v */
jdict *jd_new(jrender *r);
void jd_set(jrender *r, jdict *d, jv key, jv val);  /* takes ownership of key and val */
jv *jd_get(jrender *r, const jdict *d, jv key);     /* borrowed; NULL when absent */
jv *jd_get_s(const jdict *d, const char *s, size_t n);
void jd_clear(jrender *r, jdict *d);  /* remove all members (keeps the storage) */
jns *jns_new(jrender *r);
jbufobj *jr_buf(jrender *r);  /* a temporary output buffer with the output limit */

bool jv_truthy(jv v);
bool jv_eq(jrender *r, jv a, jv b);
/* <0, 0, >0; raises TypeError like Python when a and b do not order. */
int jv_cmp(jrender *r, jv a, jv b, const char *op);
bool jv_hashable(jv v);
const char *jv_type_name(jv v);          /* Python's type(x).__name__ */
void jv_object_type_repr(jv v, char *buf, size_t cap); /* jinja2.utils.object_type_repr */
void jv_write_str(jrender *r, qlm_buf *b, jv v);   /* str(v) */
void jv_write_repr(jrender *r, qlm_buf *b, jv v);  /* repr(v) */
jv jv_to_str(jrender *r, jv v);                      /* str(v) as a new (or same) string */
jv jv_from_json(jrender *r, const qlm_json *j, int depth);
typedef struct {
    int indent;              /* < 0: None */
    const char *indent_str;  /* a string indent (overrides indent) */
    bool ensure_ascii;
    bool sort_keys;
    const char *item_sep, *key_sep;  /* NULL: json.dumps defaults */
} jjson_opts;
void jv_tojson(jrender *r, qlm_buf *b, jv v, const jjson_opts *o);
void jr_out_check(jrender *r, qlm_buf *b);  /* raise if b passed its limit or ran out of memory */

/* UTF-8 and Python string helpers (jinja_value.c) */
bool py_isspace(uint32_t cp);
uint32_t py_lower(uint32_t cp);
uint32_t py_upper(uint32_t cp);
bool py_iscased(uint32_t cp);
size_t utf8_next(const char *s, size_t n, size_t i, uint32_t *cp); /* returns next index */
size_t jstr_cplen(const jstr *s);
/* Byte offset of code point index k (0 <= k <= cplen). */
size_t jstr_cpoff(const jstr *s, size_t k);
void buf_put_cp(qlm_buf *b, uint32_t cp);

/* ---- evaluation (jinja_eval.c) --------------------------------------------------------- */

jv jr_eval(jrender *r, const jnode *n, jscope *sc);
void jr_exec(jrender *r, jnode *const *body, int n, jscope *sc);
/* obj.name / obj[key] as the sandbox does */
jv jr_getattr(jrender *r, jv obj, jv name);
jv jr_getitem(jrender *r, jv obj, jv key);
/* Call any callable value. */
typedef struct {
    jv *pos;
    int npos;
    jv *kwv;
    jv *kwn;   /* names (JV_STR) */
    int nkw;
} jargs;
jv jr_call(jrender *r, jv fn, jargs *a);
/* Iterate like Python's list(x) for a for loop / filters: a new list reference. */
jlist *jr_iter_list(jrender *r, jv v);
jscope *jscope_new(jrender *r, jscope *parent);
void jscope_set(jrender *r, jscope *sc, jv name, jv val); /* takes ownership of val */
jv jr_binop(jrender *r, int op, jv a, jv b);

/* ---- builtins (jinja_builtins.c) ------------------------------------------------------- */

/* Filter / test names Jinja2 knows (for the compile-time check). */
bool jb_filter_known(const char *name);
bool jb_test_known(const char *name);
jv jb_filter(jrender *r, const char *name, jv in, jargs *a, jscope *sc);
bool jb_test(jrender *r, const char *name, jv in, jargs *a);
/* Globals: range, dict, namespace, raise_exception, strftime_now, cycler, joiner. */
void jb_add_globals(jrender *r, jscope *g);
jv jb_call_global(jrender *r, jfunc *f, jargs *a);
/* Methods of str / dict / list / loop: the method id for a name, or -1. */
int jb_method_id(jv self, const char *name);
bool jb_method_unsafe(jv self, const char *name);
jv jb_call_method(jrender *r, jv self, int id, jargs *a);
jv jb_loop_attr(jrender *r, jloop *l, const char *name, bool *found);

/* argument helpers */
jv ja_get(jrender *r, jargs *a, int pos, const char *name, jv dflt); /* borrowed or dflt */
void ja_check(jrender *r, jargs *a, int maxpos, const char *const *names, const char *fname);

#endif
