/* Unicode facts the tokenizers need: general categories, White_Space, lowercase, the
 * first code point of NFD, and UTF-8 decoding. Tables are generated from the Unicode
 * Character Database by tools/gen_unicode.c into model/unicode_tables.c. */
#ifndef QLM_UNICODE_H
#define QLM_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* General category, collapsed to its first letter (what \p{L}, \p{N}, ... test). */
enum {
    QLM_UC_UNASSIGNED = 0, /* Cn, and values past U+10FFFF */
    QLM_UC_LETTER = 1,     /* L* */
    QLM_UC_NUMBER = 2,     /* N* */
    QLM_UC_SEPARATOR = 3,  /* Z* */
    QLM_UC_MARK = 4,       /* M* */
    QLM_UC_PUNCT = 5,      /* P* */
    QLM_UC_SYMBOL = 6,     /* S* */
    QLM_UC_OTHER = 7       /* Cc, Cf, Cs, Co */
};

/* Generated tables (model/unicode_tables.c). */
extern const uint8_t qlm_uc_ascii_cat[128];
extern const uint32_t qlm_uc_cat_ranges[];   /* first << 4 | category, ascending */
extern const size_t qlm_uc_cat_ranges_n;
extern const uint32_t qlm_uc_white_space[];  /* ascending */
extern const size_t qlm_uc_white_space_n;
extern const uint32_t qlm_uc_lower[][2];     /* {code point, lowercase}, ascending */
extern const size_t qlm_uc_lower_n;
extern const uint32_t qlm_uc_nfd[][3];       /* {first, last, NFD first code point} */
extern const size_t qlm_uc_nfd_n;

int qlm_uc_category(uint32_t cp);
bool qlm_uc_is_space(uint32_t cp);       /* the White_Space property */
uint32_t qlm_uc_tolower(uint32_t cp);    /* simple lowercase mapping */
uint32_t qlm_uc_nfd_first(uint32_t cp);  /* first code point of the NFD form */

/* Length of the UTF-8 sequence a lead byte announces, from its high nibble only
 * (continuation and invalid bytes count as 1; F8..FF as 4), the rule llama.cpp's
 * tokenizers use to cut text into characters. */
static inline int qlm_uc_utf8_len(uint8_t lead) {
    static const uint8_t lut[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return lut[lead >> 4];
}

/* Decode one code point at s[0..n) (n >= 1). Returns the bytes used, or 0 when the
 * bytes there are not a sequence llama.cpp accepts (a lead byte followed by the right
 * number of continuation bytes); overlong forms and surrogates are accepted as llama.cpp
 * does. */
int qlm_uc_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Encode cp (<= 0x10FFFF) into out; returns the byte count (1..4), 0 if out of range. */
int qlm_uc_utf8_encode(uint32_t cp, char out[4]);

#endif
