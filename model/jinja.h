/* A Jinja2 interpreter for chat templates (GGUF `tokenizer.chat_template`).
 *
 * It renders the subset of Jinja2 3.1 that chat templates use, byte for byte as Python
 * Jinja2 does with the settings of transformers' apply_chat_template:
 *   ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
 *                                 extensions=[loopcontrols, AssistantTracker])
 *   filters["tojson"] = json.dumps(x, ensure_ascii=False, indent=, separators=, sort_keys=)
 *   globals: raise_exception(msg), strftime_now(fmt)
 * Values follow Python: int (int64 here), float (printed as repr), str (UTF-8, indexed
 * by code point), list, tuple, dict (insertion-ordered), None, bool, Jinja's Undefined
 * (prints as "", errors on attribute access or arithmetic), namespace, macros.
 *
 * Statements: if/elif/else, for (loop.*, else, break/continue, unpacking, `if` filter,
 * recursive), set (plain, tuple, namespace attribute, block form), macro (defaults,
 * varargs, kwargs, caller), call blocks, filter blocks, with, raw, print, generation
 * (transformers' tag: rendered as is). Any other tag is Jinja2's "Encountered unknown
 * tag" error; extends, block, include, import, from and autoescape (which need a loader
 * or autoescaping) are refused when compiled. cycler(), joiner() and lipsum() exist but
 * fail when called.
 *
 * Like Jinja2, map/select/reject/selectattr/rejectattr/unique/batch/items return
 * one-shot generators (always true, no length, not JSON-serializable), dict.items() /
 * keys() / values() return views and range() a range: templates that trip over this in
 * Python (e.g. `tools|map(attribute='function')|tojson`) fail here the same way.
 *
 * Errors carry the message text Jinja2 gives (for raise_exception: the message itself)
 * and its Python exception class. A render is bounded: output size, live memory,
 * evaluation steps and call depth all have limits, so a runaway template ends with an
 * error, never a crash or a hang.
 *
 * Known differences from Python: integers are 64-bit (overflow is an error; JSON
 * integers beyond int64 become floats); case mapping (upper/lower/title/capitalize)
 * covers ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic, Armenian and fullwidth
 * Latin, without context rules (no final sigma); repr() treats only common
 * non-printable code points as such; the repr of functions and generators has no
 * address; attributes of numbers (x.real) are undefined; a surrogate pair written as
 * two \u escapes in a template string literal becomes one character.
 */
#ifndef QLM_JINJA_H
#define QLM_JINJA_H

#include "qlm.h"
#include "json.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct qlm_tmpl qlm_tmpl;

/* Where and what kind of error happened (optional out-parameter). */
typedef struct {
    int line;        /* template line (1-based) of the error; 0 when unknown */
    bool raised;     /* the template called raise_exception(); message is its argument */
    char type[32];   /* Python exception class Jinja2 raises: "TemplateSyntaxError",
                        "UndefinedError", "TypeError", "TemplateError", ... */
} qlm_tmpl_diag;

/* Compile template text (need not be NUL-terminated). Syntax errors give
 * QLM_ERR_FORMAT with Jinja2's message. diag may be NULL. */
qlm_status qlm_tmpl_compile(const char *src, size_t len, qlm_tmpl **out, qlm_error *err,
                            qlm_tmpl_diag *diag);
void qlm_tmpl_free(qlm_tmpl *t);

typedef struct {
    const struct tm *now;   /* what strftime_now formats; NULL: the local time */
    size_t max_output;      /* bytes of output (also the longest string); 0: 64 MiB */
    size_t max_memory;      /* bytes of live values; 0: 512 MiB */
    uint64_t max_steps;     /* units of work (statements, expressions, elements); 0: 10
                               million (a tool-calling template needs a few thousand) */
    int max_call_depth;     /* nested macro calls; 0: 200 */
} qlm_tmpl_opts;

/* One template variable, set in addition to (and overriding) the members of ctx. */
typedef struct {
    const char *name;
    const qlm_json *json;   /* the value, when not NULL */
    const char *str;        /* else a string, when not NULL */
    bool boolean;           /* else this bool */
} qlm_tmpl_var;

/* Render. ctx (may be NULL) must be a JSON object: each member becomes a variable.
 * On success *out is a malloc'd NUL-terminated string of *out_len bytes. A template
 * error gives QLM_ERR_FORMAT (limits: QLM_ERR_UNSUPPORTED; allocation: QLM_ERR_NOMEM)
 * with Jinja2's message in err and the details in diag (both may be NULL). */
qlm_status qlm_tmpl_render(const qlm_tmpl *t, const qlm_json *ctx, const qlm_tmpl_var *vars,
                           int n_vars, const qlm_tmpl_opts *opts, char **out, size_t *out_len,
                           qlm_error *err, qlm_tmpl_diag *diag);

#endif
