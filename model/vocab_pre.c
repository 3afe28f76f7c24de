/* Pre-tokenizers: the split rules byte-level BPE vocabularies apply before merging.
 *
 * Each vocabulary names its rules in tokenizer.ggml.pre. llama.cpp runs a list of
 * regular expressions one after the other; each splits every piece the previous ones
 * produced into its matches and the text between them. Here every expression is a
 * small hand-written matcher with the same leftmost-first (ECMAScript) semantics, so
 * no regex engine is needed. A few facts that matter for exactness:
 *   - \p{L}, \p{N}, \p{P} are Unicode general categories; \s is the White_Space
 *     property (llama.cpp maps non-ASCII white space to a character its regex engine
 *     sees as \s, so both agree);
 *   - the GPT-2 and Llama 3 rules are llama.cpp's own state machines, reproduced as is;
 *   - text that is not valid UTF-8 is kept byte for byte (each bad byte counts as one
 *     "other" character), where llama.cpp would substitute U+FFFD. */
#include "vocab_internal.h"
#include "unicode.h"

#include <stdlib.h>
#include <string.h>

/* ---- names ---------------------------------------------------------------------- */

typedef struct {
    const char *name;
    qlm_pre_kind pre;
    bool ignore_merges, add_bos, no_bos;
} pre_name;

/* The names llama.cpp maps onto each of the rule sets implemented here. */
static const pre_name PRE_NAMES[] = {
    {"default", QLM_PRE_DEFAULT, false, false, false},
    {"gpt-2", QLM_PRE_GPT2, false, false, false},
    {"mpt", QLM_PRE_GPT2, false, false, false},
    {"olmo", QLM_PRE_GPT2, false, false, false},
    {"phi-2", QLM_PRE_GPT2, false, false, false},
    {"jais", QLM_PRE_GPT2, false, false, false},
    {"trillion", QLM_PRE_GPT2, false, false, false},
    {"granite-docling", QLM_PRE_GPT2, false, false, false},
    {"gigachat", QLM_PRE_GPT2, false, false, false},
    {"exaone4", QLM_PRE_GPT2, false, false, false},
    {"llama-bpe", QLM_PRE_LLAMA3, true, true, false},
    {"llama3", QLM_PRE_LLAMA3, true, true, false},
    {"llama-v3", QLM_PRE_LLAMA3, true, true, false},
    {"falcon3", QLM_PRE_LLAMA3, true, true, false},
    {"falcon-h1", QLM_PRE_LLAMA3, true, true, false},
    {"pixtral", QLM_PRE_LLAMA3, true, true, false},
    {"midm-2.0", QLM_PRE_LLAMA3, true, true, false},
    {"lfm2", QLM_PRE_LLAMA3, true, true, false},
    {"dbrx", QLM_PRE_LLAMA3, false, false, false},
    {"smaug-bpe", QLM_PRE_LLAMA3, false, false, false},
    {"chatglm-bpe", QLM_PRE_LLAMA3, false, false, true},
    {"glm4", QLM_PRE_LLAMA3, false, false, true},
    {"qwen2", QLM_PRE_QWEN2, false, false, false},
    {"deepseek-r1-qwen", QLM_PRE_QWEN2, false, false, false},
    {"stablelm2", QLM_PRE_QWEN2, false, false, false},
    {"megrez", QLM_PRE_QWEN2, false, false, false},
    {"hunyuan", QLM_PRE_QWEN2, false, false, false},
    {"grok-2", QLM_PRE_QWEN2, false, false, false},
    {"deepseek-llm", QLM_PRE_DEEPSEEK_LLM, false, false, false},
    {"deepseek-coder", QLM_PRE_DEEPSEEK_CODER, false, false, false},
    {"falcon", QLM_PRE_FALCON, false, false, false},
    {"starcoder", QLM_PRE_STARCODER, false, false, false},
    {"refact", QLM_PRE_STARCODER, false, false, false},
    {"command-r", QLM_PRE_STARCODER, false, false, false},
    {"smollm", QLM_PRE_STARCODER, false, false, false},
    {"codeshell", QLM_PRE_STARCODER, false, false, false},
    {"exaone", QLM_PRE_STARCODER, false, false, false},
    {"minerva-7b", QLM_PRE_STARCODER, false, false, false},
};

bool qlm_pre_from_name(const char *name, size_t len, qlm_pre_kind *pre, bool *ignore_merges,
                       bool *add_bos, bool *no_bos) {
    for (size_t i = 0; i < sizeof PRE_NAMES / sizeof PRE_NAMES[0]; i++) {
        if (strlen(PRE_NAMES[i].name) == len && !memcmp(PRE_NAMES[i].name, name, len)) {
            *pre = PRE_NAMES[i].pre;
            *ignore_merges = PRE_NAMES[i].ignore_merges;
            *add_bos = PRE_NAMES[i].add_bos;
            *no_bos = PRE_NAMES[i].no_bos;
            return true;
        }
    }
    return false;
}

/* ---- character classes ------------------------------------------------------------ */

typedef struct {
    uint32_t lo, hi;
} cp_range;

static bool in_ranges(const cp_range *r, size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r[mid].hi < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && r[lo].lo <= cp;
}

/* DeepSeek LLM's letter class, verbatim from its tokenizer (the cased letters of the
 * Unicode version it was written against). */
static const cp_range DS_LETTERS[] = {
    {0x41, 0x5A}, {0x61, 0x7A}, {0xB5, 0xB5}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x1BA},
    {0x1BC, 0x1BF}, {0x1C4, 0x293}, {0x295, 0x2AF}, {0x370, 0x373}, {0x376, 0x377}, {0x37B, 0x37D},
    {0x37F, 0x37F}, {0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C}, {0x38E, 0x3A1}, {0x3A3, 0x3F5},
    {0x3F7, 0x481}, {0x48A, 0x52F}, {0x531, 0x556}, {0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD},
    {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF}, {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A}, {0x1E00, 0x1F15},
    {0x1F18, 0x1F1D}, {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE}, {0x1FC2, 0x1FC4},
    {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC},
    {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113}, {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124},
    {0x2126, 0x2126}, {0x2128, 0x2128}, {0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139}, {0x213C, 0x213F},
    {0x2145, 0x2149}, {0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE},
    {0x2CF2, 0x2CF3}, {0xA640, 0xA66D}, {0xA680, 0xA69B}, {0xA722, 0xA76F}, {0xA771, 0xA787}, {0xA78B, 0xA78E},
    {0xAB70, 0xABBF}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}, {0x10400, 0x1044F},
    {0x104B0, 0x104D3}, {0x104D8, 0x104FB}, {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};

/* DeepSeek's punctuation class [!-/:-~！-／：-～‘-‟　-。] (ASCII letters included: the
 * range :-~ spans them). */
static const cp_range DS_PUNCT[] = {
    {0x21, 0x2F}, {0x3A, 0x7E}, {0x2018, 0x201F}, {0x3000, 0x3002}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E},
};

/* DeepSeek's CJK class [一-龥ࠀ-一가-퟿]: U+0800..U+9FA5 (two overlapping ranges) and
 * Hangul U+AC00..U+D7FF. */
static const cp_range DS_CJK[] = {{0x0800, 0x9FA5}, {0xAC00, 0xD7FF}};

#define N_RANGES(r) (sizeof r / sizeof r[0])

/* A character of the text, or QLM_PRE_CLS_NONE past the end of the piece. */
typedef struct {
    const qlm_ucp *c;
    size_t end;
} piece;

static inline int cls_at(const piece *p, size_t i) { return i < p->end ? p->c[i].cls : QLM_PRE_CLS_NONE; }
static inline uint32_t cp_at(const piece *p, size_t i) { return i < p->end ? p->c[i].cp : 0xFFFFFFFFu; }
static inline bool space_at(const piece *p, size_t i) { return cls_at(p, i) == QLM_PRE_CLS_SPACE; }

/* The regex engines see white space as \s before any class: llama.cpp replaces
 * non-ASCII white space with a stand-in first, so a class never matches it. */
static bool ds_letter(const piece *p, size_t i) {
    return i < p->end && !space_at(p, i) && in_ranges(DS_LETTERS, N_RANGES(DS_LETTERS), p->c[i].cp);
}
static bool ds_punct(const piece *p, size_t i) {
    return i < p->end && !space_at(p, i) && in_ranges(DS_PUNCT, N_RANGES(DS_PUNCT), p->c[i].cp);
}
static bool ds_cjk(const piece *p, size_t i) {
    return i < p->end && !space_at(p, i) && in_ranges(DS_CJK, N_RANGES(DS_CJK), p->c[i].cp);
}
static bool is_letter(const piece *p, size_t i) { return cls_at(p, i) == QLM_PRE_CLS_LETTER; }
static bool is_number(const piece *p, size_t i) { return cls_at(p, i) == QLM_PRE_CLS_NUMBER; }
static bool is_punct(const piece *p, size_t i) {
    return i < p->end && !space_at(p, i) && qlm_uc_category(p->c[i].cp) == QLM_UC_PUNCT;
}
/* \p{P} plus the ASCII symbols listed after it in the Falcon/default rule. */
static bool is_punct_or(const piece *p, size_t i, const char *extra) {
    if (i >= p->end || space_at(p, i)) return false;
    uint32_t cp = p->c[i].cp;
    return qlm_uc_category(cp) == QLM_UC_PUNCT || (cp < 0x80 && cp && strchr(extra, (int)cp));
}
static bool is_ascii_digit(const piece *p, size_t i) {
    uint32_t cp = cp_at(p, i);
    return cp >= '0' && cp <= '9';
}

/* ---- matchers: the length of the match of one expression starting at i (0: none) --- */

typedef size_t (*matcher)(const piece *p, size_t i);

static size_t run(const piece *p, size_t i, bool (*pred)(const piece *, size_t)) {
    size_t j = i;
    while (pred(p, j)) j++;
    return j - i;
}

/* \s?X+ : an optional white-space character, then a run of class X */
static size_t opt_space_run(const piece *p, size_t i, bool (*pred)(const piece *, size_t)) {
    if (space_at(p, i) && pred(p, i + 1)) return 1 + run(p, i + 1, pred);
    return run(p, i, pred);
}

static size_t m_crlf(const piece *p, size_t i) {
    uint32_t cp = cp_at(p, i);
    return cp == '\r' || cp == '\n';
}
static size_t m_ds_letters(const piece *p, size_t i) { return opt_space_run(p, i, ds_letter); }
static size_t m_ds_punct(const piece *p, size_t i) { return opt_space_run(p, i, ds_punct); }
static size_t m_ds_cjk(const piece *p, size_t i) { return run(p, i, ds_cjk); }
static size_t m_space_letters(const piece *p, size_t i) { return opt_space_run(p, i, is_letter); }
static size_t m_space_punct(const piece *p, size_t i) { return opt_space_run(p, i, is_punct); }
static size_t m_numbers(const piece *p, size_t i) { return run(p, i, is_number); }
static size_t m_number(const piece *p, size_t i) { return is_number(p, i); }
static bool falcon_punct(const piece *p, size_t i) { return is_punct_or(p, i, "$+<=>^~|`"); }
static bool default_punct(const piece *p, size_t i) { return is_punct_or(p, i, "$+<=>^~|"); }
static size_t m_falcon_punct(const piece *p, size_t i) { return run(p, i, falcon_punct); }
static size_t m_default_punct(const piece *p, size_t i) { return run(p, i, default_punct); }
static size_t m_digits3(const piece *p, size_t i) {
    return is_ascii_digit(p, i) && is_ascii_digit(p, i + 1) && is_ascii_digit(p, i + 2) ? 3 : 0;
}

/* ---- passes: each splits every piece of `in` (lengths in characters) into `out` ---- */

typedef struct {
    uint32_t *out;
    size_t n;
    size_t prev_end; /* where the last emitted piece ended */
} emitter;

static inline void emit_to(emitter *e, size_t end) {
    if (end > e->prev_end) e->out[e->n++] = (uint32_t)(end - e->prev_end);
    e->prev_end = end;
}

/* Leftmost-first search: at each position try the matcher; text between matches stays
 * as pieces of its own (what llama.cpp's regex splitter keeps). */
static size_t pass_match(const qlm_ucp *c, const uint32_t *in, size_t nin, uint32_t *out, matcher m) {
    emitter e = {out, 0, 0};
    size_t start = 0;
    for (size_t k = 0; k < nin; k++) {
        piece p = {c, start + in[k]};
        size_t i = start;
        e.prev_end = start;
        while (i < p.end) {
            size_t len = m(&p, i);
            if (len) {
                emit_to(&e, i);
                emit_to(&e, i + len);
                i += len;
            } else {
                i++;
            }
        }
        emit_to(&e, p.end);
        start = p.end;
    }
    return e.n;
}

/* \s+$ : the white space that ends a piece becomes a piece of its own. */
static size_t pass_trailing_space(const qlm_ucp *c, const uint32_t *in, size_t nin, uint32_t *out) {
    emitter e = {out, 0, 0};
    size_t start = 0;
    for (size_t k = 0; k < nin; k++) {
        piece p = {c, start + in[k]};
        size_t t = p.end;
        while (t > start && space_at(&p, t - 1)) t--;
        e.prev_end = start;
        emit_to(&e, t);
        emit_to(&e, p.end);
        start = p.end;
    }
    return e.n;
}

static bool contraction_letter(uint32_t cp, char lower) {
    return cp == (uint32_t)lower || cp == (uint32_t)(lower - 32);
}

/* 's 't 're 've 'm 'll 'd at i (ASCII, optionally case-insensitive): the length or 0 */
static size_t contraction(const piece *p, size_t i, bool fold) {
    if (cp_at(p, i) != '\'' || i + 1 >= p->end) return 0;
    uint32_t a = cp_at(p, i + 1);
    if (!fold && a >= 'A' && a <= 'Z') return 0;
    if (contraction_letter(a, 's') || contraction_letter(a, 't') || contraction_letter(a, 'm') ||
        contraction_letter(a, 'd'))
        return 2;
    if (i + 2 >= p->end) return 0;
    uint32_t b = cp_at(p, i + 2);
    if (!fold && b >= 'A' && b <= 'Z') return 0;
    if ((contraction_letter(a, 'r') && contraction_letter(b, 'e')) ||
        (contraction_letter(a, 'v') && contraction_letter(b, 'e')) ||
        (contraction_letter(a, 'l') && contraction_letter(b, 'l')))
        return 3;
    return 0;
}

/* GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static size_t pass_gpt2(const qlm_ucp *c, const uint32_t *in, size_t nin, uint32_t *out) {
    emitter e = {out, 0, 0};
    size_t start = 0;
    for (size_t k = 0; k < nin; k++) {
        piece p = {c, start + in[k]};
        size_t pos = start;
        e.prev_end = start;
        while (pos < p.end) {
            uint32_t cp = cp_at(&p, pos);
            size_t ctr = contraction(&p, pos, false);
            if (ctr) { pos += ctr; emit_to(&e, pos); continue; }
            int k2 = cp == ' ' ? cls_at(&p, pos + 1) : cls_at(&p, pos);
            if (k2 == QLM_PRE_CLS_LETTER || k2 == QLM_PRE_CLS_NUMBER || k2 == QLM_PRE_CLS_OTHER) {
                pos += cp == ' ';
                while (cls_at(&p, pos) == k2) pos++;
                emit_to(&e, pos);
                continue;
            }
            size_t nsp = 0;
            while (space_at(&p, pos + nsp)) nsp++;
            if (nsp > 1 && pos + nsp < p.end) { /* \s+(?!\S): leave the last one to the word */
                pos += nsp - 1;
                emit_to(&e, pos);
                continue;
            }
            pos += nsp ? nsp : 1;
            emit_to(&e, pos);
        }
        start = p.end;
    }
    return e.n;
}

/* Llama 3 (max_digits 3) and Qwen 2 (max_digits 1):
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
 * \s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t pass_llama3(const qlm_ucp *c, const uint32_t *in, size_t nin, uint32_t *out, size_t max_digits) {
    emitter e = {out, 0, 0};
    size_t start = 0;
    for (size_t k = 0; k < nin; k++) {
        piece p = {c, start + in[k]};
        size_t pos = start;
        e.prev_end = start;
        while (pos < p.end) {
            uint32_t cp = cp_at(&p, pos);
            int cl = cls_at(&p, pos);
            size_t ctr = contraction(&p, pos, true);
            if (ctr) { pos += ctr; emit_to(&e, pos); continue; }
            /* [^\r\n\p{L}\p{N}]?\p{L}+ */
            if (cp != '\r' && cp != '\n' && cl != QLM_PRE_CLS_NUMBER &&
                (cl == QLM_PRE_CLS_LETTER || cls_at(&p, pos + 1) == QLM_PRE_CLS_LETTER)) {
                pos++;
                while (cls_at(&p, pos) == QLM_PRE_CLS_LETTER) pos++;
                emit_to(&e, pos);
                continue;
            }
            /* \p{N}{1,max} */
            if (cl == QLM_PRE_CLS_NUMBER) {
                size_t ini = pos;
                while (cls_at(&p, pos) == QLM_PRE_CLS_NUMBER) {
                    if (++pos - ini >= max_digits) { emit_to(&e, pos); ini = pos; }
                }
                emit_to(&e, pos);
                continue;
            }
            /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
            int k2 = cp == ' ' ? cls_at(&p, pos + 1) : cl;
            if (k2 == QLM_PRE_CLS_OTHER) {
                pos += cp == ' ';
                while (cls_at(&p, pos) == QLM_PRE_CLS_OTHER) pos++;
                while (cp_at(&p, pos) == '\r' || cp_at(&p, pos) == '\n') pos++;
                emit_to(&e, pos);
                continue;
            }
            size_t nsp = 0, last_crlf = 0;
            while (space_at(&p, pos + nsp)) {
                uint32_t c2 = cp_at(&p, pos + nsp);
                if (c2 == '\r' || c2 == '\n') last_crlf = pos + nsp + 1;
                nsp++;
            }
            if (last_crlf) { /* \s*[\r\n]+ ends at the last line break of the run */
                pos = last_crlf;
                emit_to(&e, pos);
                continue;
            }
            if (nsp > 1 && pos + nsp < p.end) {
                pos += nsp - 1;
                emit_to(&e, pos);
                continue;
            }
            pos += nsp ? nsp : 1;
            emit_to(&e, pos);
        }
        start = p.end;
    }
    return e.n;
}

/* ---- driver ---------------------------------------------------------------------- */

typedef enum {
    P_END = 0, P_GPT2, P_LLAMA3, P_QWEN2, P_TRAILING_SPACE, P_CRLF, P_DS_LETTERS, P_DS_PUNCT, P_DS_CJK,
    P_SPACE_LETTERS, P_SPACE_PUNCT, P_NUMBERS, P_NUMBER, P_FALCON_PUNCT, P_DEFAULT_PUNCT, P_DIGITS3
} pass_id;

/* The expressions of each pre-tokenizer, in llama.cpp's order. */
static const pass_id *passes_of(qlm_pre_kind pre) {
    static const pass_id gpt2[] = {P_GPT2, P_END};
    static const pass_id llama3[] = {P_LLAMA3, P_END};
    static const pass_id qwen2[] = {P_QWEN2, P_END};
    static const pass_id ds_llm[] = {P_CRLF, P_DS_LETTERS, P_DS_PUNCT, P_TRAILING_SPACE, P_DS_CJK, P_NUMBERS, P_END};
    static const pass_id ds_coder[] = {P_CRLF, P_SPACE_LETTERS, P_SPACE_PUNCT, P_DS_CJK, P_NUMBER, P_END};
    static const pass_id falcon[] = {P_FALCON_PUNCT, P_GPT2, P_DIGITS3, P_END};
    static const pass_id starcoder[] = {P_NUMBER, P_GPT2, P_END};
    static const pass_id deflt[] = {P_DEFAULT_PUNCT, P_GPT2, P_NUMBERS, P_DIGITS3, P_END};
    switch (pre) {
    case QLM_PRE_GPT2: return gpt2;
    case QLM_PRE_LLAMA3: return llama3;
    case QLM_PRE_QWEN2: return qwen2;
    case QLM_PRE_DEEPSEEK_LLM: return ds_llm;
    case QLM_PRE_DEEPSEEK_CODER: return ds_coder;
    case QLM_PRE_FALCON: return falcon;
    case QLM_PRE_STARCODER: return starcoder;
    case QLM_PRE_DEFAULT: break;
    }
    return deflt;
}

static size_t run_pass(pass_id id, const qlm_ucp *c, const uint32_t *in, size_t nin, uint32_t *out) {
    switch (id) {
    case P_GPT2: return pass_gpt2(c, in, nin, out);
    case P_LLAMA3: return pass_llama3(c, in, nin, out, 3);
    case P_QWEN2: return pass_llama3(c, in, nin, out, 1);
    case P_TRAILING_SPACE: return pass_trailing_space(c, in, nin, out);
    case P_CRLF: return pass_match(c, in, nin, out, m_crlf);
    case P_DS_LETTERS: return pass_match(c, in, nin, out, m_ds_letters);
    case P_DS_PUNCT: return pass_match(c, in, nin, out, m_ds_punct);
    case P_DS_CJK: return pass_match(c, in, nin, out, m_ds_cjk);
    case P_SPACE_LETTERS: return pass_match(c, in, nin, out, m_space_letters);
    case P_SPACE_PUNCT: return pass_match(c, in, nin, out, m_space_punct);
    case P_NUMBERS: return pass_match(c, in, nin, out, m_numbers);
    case P_NUMBER: return pass_match(c, in, nin, out, m_number);
    case P_FALCON_PUNCT: return pass_match(c, in, nin, out, m_falcon_punct);
    case P_DEFAULT_PUNCT: return pass_match(c, in, nin, out, m_default_punct);
    case P_DIGITS3: return pass_match(c, in, nin, out, m_digits3);
    case P_END: break;
    }
    return 0;
}

static int classify(uint32_t cp) {
    if (qlm_uc_is_space(cp)) return QLM_PRE_CLS_SPACE;
    switch (qlm_uc_category(cp)) {
    case QLM_UC_LETTER: return QLM_PRE_CLS_LETTER;
    case QLM_UC_NUMBER: return QLM_PRE_CLS_NUMBER;
    default: return QLM_PRE_CLS_OTHER;
    }
}

qlm_status qlm_pretokenize(qlm_pre_kind pre, const char *text, size_t len, qlm_ucp **cps_out,
                           size_t *n_cps, uint32_t **words_out, size_t *n_words) {
    *cps_out = NULL;
    *words_out = NULL;
    *n_cps = *n_words = 0;
    if (len == 0) return QLM_OK;
    /* each character is at least one byte, and a pass never yields more pieces than
     * characters: len bounds every array */
    qlm_ucp *c = malloc(len * sizeof *c);
    uint32_t *a = malloc(len * sizeof *a);
    uint32_t *b = malloc(len * sizeof *b);
    if (!c || !a || !b) {
        free(c); free(a); free(b);
        return QLM_ERR_NOMEM;
    }
    const uint8_t *s = (const uint8_t *)text;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int l = qlm_uc_utf8_decode(s + i, len - i, &cp);
        if (!l) { cp = 0xFFFD; l = 1; } /* a stray byte: one "other" character */
        c[n].cp = cp;
        c[n].off = (uint32_t)i;
        c[n].len = (uint8_t)l;
        c[n].cls = (uint8_t)classify(cp);
        n++;
        i += (size_t)l;
    }
    a[0] = (uint32_t)n;
    size_t na = 1;
    for (const pass_id *p = passes_of(pre); *p != P_END; p++) {
        na = run_pass(*p, c, a, na, b);
        uint32_t *t = a; a = b; b = t;
    }
    free(b);
    *cps_out = c;
    *n_cps = n;
    *words_out = a;
    *n_words = na;
    return QLM_OK;
}
