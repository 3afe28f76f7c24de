/* Error reporting shared by the whole library: a status code plus a one-line message. */
#ifndef QLM_ERROR_H
#define QLM_ERROR_H

#include "qlm.h"

/* Fill err (if non-NULL) with code and a printf-style message; returns code. */
qlm_status qlm_set_error(qlm_error *err, qlm_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Turn the message into "prefix: message" (e.g. the file name), cut to fit. */
void qlm_error_prefix(qlm_error *err, const char *prefix);

#endif
