/* Lookups over the generated Unicode tables, and UTF-8 coding. */
#include "unicode.h"

int qlm_uc_category(uint32_t cp) {
    if (cp < 0x80) return qlm_uc_ascii_cat[cp]; /* the common case, without a search */
    if (cp > 0x10FFFF) return QLM_UC_UNASSIGNED;
    /* last range whose first code point is <= cp */
    size_t lo = 0, hi = qlm_uc_cat_ranges_n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if ((qlm_uc_cat_ranges[mid] >> 4) <= cp) lo = mid;
        else hi = mid;
    }
    return (int)(qlm_uc_cat_ranges[lo] & 15);
}

bool qlm_uc_is_space(uint32_t cp) {
    if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
    for (size_t i = 0; i < qlm_uc_white_space_n; i++)
        if (qlm_uc_white_space[i] == cp) return true;
    return false;
}

uint32_t qlm_uc_tolower(uint32_t cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    size_t lo = 0, hi = qlm_uc_lower_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (qlm_uc_lower[mid][0] < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < qlm_uc_lower_n && qlm_uc_lower[lo][0] == cp ? qlm_uc_lower[lo][1] : cp;
}

uint32_t qlm_uc_nfd_first(uint32_t cp) {
    if (cp < 0xC0) return cp;
    size_t lo = 0, hi = qlm_uc_nfd_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (qlm_uc_nfd[mid][1] < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < qlm_uc_nfd_n && qlm_uc_nfd[lo][0] <= cp ? qlm_uc_nfd[lo][2] : cp;
}

int qlm_uc_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp) {
    uint8_t c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    int len = c >= 0xF0 ? (c >= 0xF8 ? 0 : 4) : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (!len || (size_t)len > n) return 0;
    uint32_t v = c & (0x7F >> len);
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
}

int qlm_uc_utf8_encode(uint32_t cp, char out[4]) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp <= 0x10FFFF) {
        out[0] = (char)(0xF0 | cp >> 18);
        out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
    }
    return 0;
}
