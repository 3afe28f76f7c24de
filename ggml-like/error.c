#include "error.h"

#include <stdarg.h>
#include <stdio.h>

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
