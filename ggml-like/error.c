#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

qlm_status qlm_set_error(qlm_error *err, qlm_status code, const char *fmt, ...) {
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *qlm_status_name(qlm_status s) {
    switch (s) {
    case QLM_OK: return "ok";
    case QLM_ERR_IO: return "i/o error";
    case QLM_ERR_FORMAT: return "malformed input";
    case QLM_ERR_UNSUPPORTED: return "unsupported";
    case QLM_ERR_NOMEM: return "out of memory";
    case QLM_ERR_INVALID_ARG: return "invalid argument";
    case QLM_ERR_CONTEXT_FULL: return "context full";
    case QLM_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

void qlm_error_prefix(qlm_error *err, const char *prefix) {
    if (!err) return;
    char tmp[sizeof err->message];
    size_t n = strlen(prefix);
    if (n > sizeof tmp - 3) n = sizeof tmp - 3;
    memcpy(tmp, prefix, n);
    tmp[n] = ':';
    tmp[n + 1] = ' ';
    size_t rest = sizeof tmp - n - 2;
    size_t m = strlen(err->message);
    if (m >= rest) m = rest - 1;
    memcpy(tmp + n + 2, err->message, m);
    tmp[n + 2 + m] = 0;
    memcpy(err->message, tmp, sizeof tmp);
}
