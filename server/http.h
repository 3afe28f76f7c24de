/* A small HTTP/1.1 server-side parser and writer over blocking sockets.
 *
 * Everything a client sends is untrusted: the request head is capped (16 KiB), the body
 * by a caller-given limit, every read has a deadline (so a slow or silent client cannot
 * hold a thread forever), and anything malformed is reported with the 4xx status to
 * answer, never a crash. Bodies come with Content-Length or chunked encoding. */
#ifndef QLM_HTTP_H
#define QLM_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_HEAD 16384

typedef struct {
    int fd;
    char buf[HTTP_MAX_HEAD];   /* bytes read but not yet consumed (pipelining) */
    size_t len;
} http_conn;

typedef struct http_request_s {
    char method[16];
    char path[2048];           /* without the query string */
    char authorization[1024];  /* the Authorization header, "" if absent */
    char *body;                /* malloc'd, NUL-terminated; NULL when empty */
    size_t body_len;
    bool keep_alive;
} http_request;

/* Result of http_read_request: 0 = a request is ready; -1 = the peer closed or timed
 * out before a request started (just close); otherwise the HTTP status to answer with
 * (400, 408, 413, 414, 431, 501, 505) and a one-line reason in `why`. */
int http_read_request(http_conn *c, http_request *req, size_t max_body, int timeout_ms,
                      char *why, size_t why_cap);
void http_request_free(http_request *req);

/* Write all bytes (MSG_NOSIGNAL); false when the peer is gone. */
bool http_send_all(int fd, const void *p, size_t n);
/* A complete response with Content-Length. */
bool http_respond(int fd, int status, const char *content_type, const char *body, size_t len,
                  bool keep_alive);
/* Start a server-sent-events response (the connection closes after it). */
bool http_begin_sse(int fd);
/* One SSE event: "data: <payload>\n\n". */
bool http_send_sse(int fd, const char *payload, size_t len);
/* true when the peer has closed its end (checked without blocking). */
bool http_peer_closed(int fd);

/* Close gracefully after an early answer: stop writing, drain the rest briefly. */
void http_linger_close(int fd);

const char *http_status_text(int status);

#endif
