/* HTTP: http_read_request over a socketpair. The input is written whole, the writing
 * side shut down, and requests are read (pipelined, on one connection; bodies by
 * Content-Length or chunked) until the parser reports a close or an error status, with
 * a small body limit.
 *
 * Properties: a request that parses has an upper-case method, an absolute path, a body
 * within the limit, NUL-terminated strings; an error is one of the documented statuses
 * with a reason; the connection buffer never holds more than it can; the parser never
 * waits for bytes that cannot come (the harness would hang; libFuzzer reports it). */
#include "fuzz.h"
#include "../../server/http.h"

#include <ctype.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BODY 512
#define MAX_INPUT 65536 /* fits the socket buffer, so one blocking write takes it all */

int fuzz_http(const uint8_t *data, size_t size) {
    if (size > MAX_INPUT) return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 0;
    int buf = 4 * MAX_INPUT;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    size_t off = 0;
    while (off < size) {
        ssize_t k = write(sv[0], data + off, size - off);
        if (k <= 0) break;
        off += (size_t)k;
    }
    shutdown(sv[0], SHUT_WR);
    http_conn *c = calloc(1, sizeof *c);
    FUZZ_CHECK(c != NULL, "out of memory");
    c->fd = sv[1];
    for (int n = 0;; n++) {
        FUZZ_CHECK(n <= (int)size, "more requests than input bytes");
        http_request req;
        char why[128] = "";
        int rc = http_read_request(c, &req, MAX_BODY, 2000, why, sizeof why);
        FUZZ_CHECK(c->len <= sizeof c->buf, "connection buffer overrun: %zu", c->len);
        if (rc == -1) break;
        if (rc != 0) {
            FUZZ_CHECK(rc == 400 || rc == 408 || rc == 413 || rc == 414 || rc == 431 || rc == 501 || rc == 505,
                       "undocumented status %d", rc);
            FUZZ_CHECK(rc != 408, "timed out although all input was there (%s)", why);
            FUZZ_CHECK(why[0] != 0, "status %d without a reason", rc);
            FUZZ_CHECK(req.body == NULL, "body left allocated after an error");
            break;
        }
        FUZZ_CHECK(memchr(req.method, 0, sizeof req.method) && req.method[0], "method");
        for (const char *p = req.method; *p; p++) FUZZ_CHECK(isupper((unsigned char)*p), "method byte");
        FUZZ_CHECK(memchr(req.path, 0, sizeof req.path) && req.path[0] == '/', "path");
        FUZZ_CHECK(memchr(req.authorization, 0, sizeof req.authorization) != NULL, "authorization");
        FUZZ_CHECK(req.body_len <= MAX_BODY, "body of %zu bytes passed the limit", req.body_len);
        FUZZ_CHECK((req.body == NULL) == (req.body_len == 0), "body pointer and length disagree");
        if (req.body) FUZZ_CHECK(req.body[req.body_len] == 0, "body not terminated");
        http_request_free(&req);
        if (!req.keep_alive) break; /* the server closes after this response */
    }
    free(c);
    close(sv[0]);
    close(sv[1]);
    return 0;
}

FUZZ_MAIN(fuzz_http)
