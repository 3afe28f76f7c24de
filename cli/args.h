/* Small helpers for parsing command-line values strictly: a value that is not entirely
 * a number in range is an error, never silently 0. */
#ifndef QLM_CLI_ARGS_H
#define QLM_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Print "qlm CMD: message" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

bool parse_int(const char *s, long long lo, long long hi, long long *out);
bool parse_u64(const char *s, uint64_t *out);
bool parse_float(const char *s, double lo, double hi, double *out);

/* Fetch the value of flag argv[*i] (advancing *i); prints an error and returns NULL if
 * it is missing. */
const char *flag_value(const char *cmd, int argc, char **argv, int *i);

/* Common flag parsers that print "qlm CMD: bad value for FLAG: VALUE (expected ...)". */
bool flag_int(const char *cmd, const char *flag, const char *v, long long lo, long long hi, long long *out);
bool flag_float(const char *cmd, const char *flag, const char *v, double lo, double hi, double *out);

/* Read a whole file (binary); NULL on failure (errno says why). *len gets its size; the
 * buffer has one extra NUL byte after the data. */
char *read_whole_file(const char *path, size_t *len);

/* Read a whole file (binary); NULL on failure (errno says why). *len gets its size; the
 * buffer has one extra NUL byte after the data. */
char *read_whole_file(const char *path, size_t *len);

#endif
