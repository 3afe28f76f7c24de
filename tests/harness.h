/* Minimal test harness. A test program runs cases; each case prints one line:
 *   PASS name | FAIL name: first failed check | SKIP name: reason
 * tests/run_all.sh counts these lines over all programs and prints the total.
 * With QLM_TEST_TRACE set, each case also prints "START name" on stderr as it begins.
 *
 *   t_case("gguf: truncated header");
 *   T_CHECK(rc != QLM_OK, "rc=%d", rc);
 *   ...
 *   return t_done();
 */
#ifndef QLM_TEST_HARNESS_H
#define QLM_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void t_case(const char *fmt, ...);
void t_fail(const char *file, int line, const char *fmt, ...);
void t_skip(const char *fmt, ...);
int t_done(void); /* ends the last case; returns the process exit code */

#define T_CHECK(cond, ...) \
    do { if (!(cond)) t_fail(__FILE__, __LINE__, "check '" #cond "' failed: " __VA_ARGS__); } while (0)

/* Path of a file under ../shared (or $QLM_SHARED); NULL when the data is absent.
 * The returned string is heap-allocated and lives until exit. */
const char *t_shared(const char *rel);
/* Read a whole file; NULL on failure. */
void *t_read_file(const char *path, size_t *size);
/* The integers of the array after "key" in a small JSON text (test-only reader; the
 * reference files are trusted). Returns the count, or -1 when the key is absent. */
int t_json_ints(const char *json, const char *key, int32_t *out, int cap);
/* Index of the largest value (the first on ties). */
int t_argmax(const float *x, int n);
/* A scratch directory for this test program (tests/out/PROGRAM), created on demand. */
const char *t_tmpdir(void);
/* Path of the qlm binary under test ($QLM or ./qlm). */
const char *t_qlm(void);

#endif
