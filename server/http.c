#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* macOS: SIGPIPE is ignored process-wide by the server instead */
#endif

const char *http_status_text(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read more bytes into dst (up to cap) before the deadline. Returns bytes read, 0 on
 * EOF, -1 on timeout or error. */
static ssize_t read_some(int fd, void *dst, size_t cap, long long deadline) {
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(left > 1000000 ? 1000000 : left));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        ssize_t n = recv(fd, dst, cap, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        return n < 0 ? -1 : n;
    }
}

static void set_why(char *why, size_t cap, const char *msg) { snprintf(why, cap, "%s", msg); }

/* Header name match, case-insensitive; returns the trimmed value or NULL. */
static const char *header_value(const char *line, size_t len, const char *name, size_t *vlen) {
    size_t n = strlen(name);
    if (len <= n || line[n] != ':' || strncasecmp(line, name, n)) return NULL;
    const char *v = line + n + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
    *vlen = (size_t)(end - v);
    return v;
}

/* Take n bytes: first from what is buffered, then from the socket. 0, or 400 on EOF /
 * 408 on timeout. */
static int read_exact(http_conn *c, char *dst, size_t n, size_t *got, long long deadline) {
    size_t from_buf = c->len < n ? c->len : n;
    memcpy(dst, c->buf, from_buf);
    memmove(c->buf, c->buf + from_buf, c->len - from_buf);
    c->len -= from_buf;
    *got = from_buf;
    while (*got < n) {
        ssize_t k = read_some(c->fd, dst + *got, n - *got, deadline);
        if (k <= 0) return k == 0 ? 400 : 408;
        *got += (size_t)k;
    }
    return 0;
}

/* One CRLF-terminated line (at most cap-1 bytes) from the connection. */
static int read_line(http_conn *c, char *line, size_t cap, long long deadline) {
    for (;;) {
        char *e = c->len >= 2 ? memmem(c->buf, c->len, "\r\n", 2) : NULL;
        if (e) {
            size_t n = (size_t)(e - c->buf);
            if (n >= cap) return 400;
            memcpy(line, c->buf, n);
            line[n] = 0;
            memmove(c->buf, e + 2, c->len - n - 2);
            c->len -= n + 2;
            return 0;
        }
        if (c->len >= cap + 2 || c->len == sizeof c->buf) return 400;
        ssize_t k = read_some(c->fd, c->buf + c->len, sizeof c->buf - c->len, deadline);
        if (k <= 0) return k == 0 ? 400 : 408;
        c->len += (size_t)k;
    }
}

/* A chunked body: hex size lines, data, CRLF, ..., a zero chunk, optional trailers. */
static int read_chunked(http_conn *c, http_request *req, size_t max_body, long long deadline,
                        char *why, size_t why_cap) {
    size_t total = 0, cap = 0;
    char line[256];
    for (;;) {
        int st = read_line(c, line, sizeof line, deadline);
        if (st) { http_request_free(req); set_why(why, why_cap, "malformed chunk size line"); return st; }
        char *end;
        errno = 0;
        unsigned long long n = strtoull(line, &end, 16);
        if (end == line || errno || (*end && *end != ';')) {
            http_request_free(req);
            set_why(why, why_cap, "malformed chunk size");
            return 400;
        }
        if (n == 0) break;
        if (n > max_body || total + n > max_body) { http_request_free(req); set_why(why, why_cap, "request body too large"); return 413; }
        if (total + n + 1 > cap) {
            size_t nc = cap ? cap : 4096;
            while (nc < total + n + 1) nc *= 2;
            char *nb = realloc(req->body, nc);
            if (!nb) { http_request_free(req); set_why(why, why_cap, "out of memory"); return 413; }
            req->body = nb;
            cap = nc;
        }
        size_t got;
        if ((st = read_exact(c, req->body + total, (size_t)n, &got, deadline)) ||
            (st = read_line(c, line, sizeof line, deadline)) || line[0]) {
            http_request_free(req);
            set_why(why, why_cap, "malformed chunk");
            return st ? st : 400;
        }
        total += (size_t)n;
        req->body_len = total;
    }
    for (;;) { /* trailers, up to the blank line */
        int st = read_line(c, line, sizeof line, deadline);
        if (st) { http_request_free(req); set_why(why, why_cap, "malformed trailer"); return st; }
        if (!line[0]) break;
    }
    if (req->body) req->body[total] = 0;
    return 0;
}

int http_read_request(http_conn *c, http_request *req, size_t max_body, int timeout_ms,
                      char *why, size_t why_cap) {
    memset(req, 0, sizeof *req);
    long long deadline = now_ms() + timeout_ms;
    /* 1. the head, up to the blank line */
    char *end = NULL;
    for (;;) {
        if (c->len >= 4 && (end = memmem(c->buf, c->len, "\r\n\r\n", 4))) break;
        if (c->len == sizeof c->buf) { set_why(why, why_cap, "request head larger than 16 KiB"); return 431; }
        ssize_t n = read_some(c->fd, c->buf + c->len, sizeof c->buf - c->len, deadline);
        if (n <= 0) {
            if (c->len == 0) return -1; /* idle keep-alive connection closed or timed out */
            set_why(why, why_cap, n == 0 ? "connection closed in the middle of the request head" : "timed out reading the request head");
            return n == 0 ? 400 : 408;
        }
        c->len += (size_t)n;
    }
    size_t head_len = (size_t)(end - c->buf) + 4;
    /* 2. request line: METHOD SP TARGET SP HTTP/1.x */
    char *line_end = memmem(c->buf, head_len, "\r\n", 2);
    size_t ll = (size_t)(line_end - c->buf);
    char *sp1 = memchr(c->buf, ' ', ll);
    char *sp2 = sp1 ? memchr(sp1 + 1, ' ', ll - (size_t)(sp1 + 1 - c->buf)) : NULL;
    if (!sp1 || !sp2 || sp1 == c->buf || sp2 == sp1 + 1) { set_why(why, why_cap, "malformed request line"); return 400; }
    size_t ml = (size_t)(sp1 - c->buf), tl = (size_t)(sp2 - sp1 - 1), vl = ll - (size_t)(sp2 + 1 - c->buf);
    if (ml >= sizeof req->method) { set_why(why, why_cap, "method too long"); return 400; }
    for (size_t i = 0; i < ml; i++)
        if (!isupper((unsigned char)c->buf[i])) { set_why(why, why_cap, "malformed method"); return 400; }
    memcpy(req->method, c->buf, ml);
    const char *target = sp1 + 1;
    if (tl == 0 || target[0] != '/') { set_why(why, why_cap, "request target must be an absolute path"); return 400; }
    size_t pl = tl;
    const char *q = memchr(target, '?', tl);
    if (q) pl = (size_t)(q - target);
    if (pl >= sizeof req->path) { set_why(why, why_cap, "path too long"); return 414; }
    for (size_t i = 0; i < tl; i++)
        if ((unsigned char)target[i] <= 0x20 || target[i] == 0x7f) { set_why(why, why_cap, "invalid byte in the request target"); return 400; }
    memcpy(req->path, target, pl);
    bool http11;
    if (vl == 8 && !memcmp(sp2 + 1, "HTTP/1.1", 8)) http11 = true;
    else if (vl == 8 && !memcmp(sp2 + 1, "HTTP/1.0", 8)) http11 = false;
    else { set_why(why, why_cap, "unsupported HTTP version"); return 505; }
    req->keep_alive = http11;
    /* 3. headers */
    long long content_length = -1;
    bool chunked = false;
    const char *p = line_end + 2;
    while (p < c->buf + head_len - 2) {
        const char *e = memmem(p, (size_t)(c->buf + head_len - p), "\r\n", 2);
        size_t len = (size_t)(e - p), vlen;
        const char *v;
        if (len == 0) break;
        const char *colon = memchr(p, ':', len);
        if (!colon || colon == p) { set_why(why, why_cap, "malformed header line"); return 400; }
        for (const char *k = p; k < colon; k++)
            if (*k <= 0x20 || *k == 0x7f) { set_why(why, why_cap, "malformed header name"); return 400; }
        if ((v = header_value(p, len, "Content-Length", &vlen))) {
            if (vlen == 0 || vlen > 18) { set_why(why, why_cap, "invalid Content-Length"); return 400; }
            long long cl = 0;
            for (size_t i = 0; i < vlen; i++) {
                if (!isdigit((unsigned char)v[i])) { set_why(why, why_cap, "invalid Content-Length"); return 400; }
                cl = cl * 10 + (v[i] - '0');
            }
            if (content_length >= 0 && cl != content_length) { set_why(why, why_cap, "conflicting Content-Length headers"); return 400; }
            content_length = cl;
        } else if ((v = header_value(p, len, "Transfer-Encoding", &vlen))) {
            if (vlen != 7 || strncasecmp(v, "chunked", 7)) {
                set_why(why, why_cap, "unsupported Transfer-Encoding (only chunked)");
                return 501;
            }
            chunked = true;
        } else if ((v = header_value(p, len, "Connection", &vlen))) {
            if (vlen == 5 && !strncasecmp(v, "close", 5)) req->keep_alive = false;
            else if (vlen == 10 && !strncasecmp(v, "keep-alive", 10)) req->keep_alive = true;
        } else if ((v = header_value(p, len, "Authorization", &vlen))) {
            if (vlen >= sizeof req->authorization) vlen = sizeof req->authorization - 1;
            memcpy(req->authorization, v, vlen);
            req->authorization[vlen] = 0;
        }
        p = e + 2;
    }
    if (chunked && content_length >= 0) { set_why(why, why_cap, "both Content-Length and chunked encoding"); return 400; }
    /* 4. body: consume the head, then read Content-Length bytes or the chunks */
    memmove(c->buf, c->buf + head_len, c->len - head_len);
    c->len -= head_len;
    if (chunked) return read_chunked(c, req, max_body, deadline, why, why_cap);
    if (content_length > 0) {
        if ((unsigned long long)content_length > max_body) {
            set_why(why, why_cap, "request body too large");
            return 413;
        }
        req->body = malloc((size_t)content_length + 1);
        if (!req->body) { set_why(why, why_cap, "out of memory"); return 413; }
        size_t got = 0;
        int st = read_exact(c, req->body, (size_t)content_length, &got, deadline);
        if (st) {
            http_request_free(req);
            set_why(why, why_cap, st == 400 ? "connection closed in the middle of the body" : "timed out reading the body");
            return st;
        }
        req->body[content_length] = 0;
        req->body_len = (size_t)content_length;
    }
    return 0;
}

void http_request_free(http_request *req) {
    free(req->body);
    req->body = NULL;
    req->body_len = 0;
}

bool http_send_all(int fd, const void *p, size_t n) {
    const char *b = p;
    while (n > 0) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        b += k;
        n -= (size_t)k;
    }
    return true;
}

bool http_respond(int fd, int status, const char *content_type, const char *body, size_t len,
                  bool keep_alive) {
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Access-Control-Allow-Origin: *\r\nConnection: %s\r\n\r\n",
                     status, http_status_text(status), content_type, len, keep_alive ? "keep-alive" : "close");
    return http_send_all(fd, head, (size_t)n) && http_send_all(fd, body, len);
}

bool http_begin_sse(int fd) {
    static const char head[] =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n";
    return http_send_all(fd, head, sizeof head - 1);
}

bool http_send_sse(int fd, const char *payload, size_t len) {
    return http_send_all(fd, "data: ", 6) && http_send_all(fd, payload, len) && http_send_all(fd, "\n\n", 2);
}

bool http_peer_closed(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
#ifdef POLLRDHUP
    p.events |= POLLRDHUP;
#endif
    if (poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLHUP | POLLERR)) return true;
#ifdef POLLRDHUP
    if (p.revents & POLLRDHUP) return true;
#endif
    if (p.revents & POLLIN) {
        char b;
        ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        return n == 0;
    }
    return false;
}

void http_linger_close(int fd) {
    /* Answering before the client finished sending (a 413, say) and closing at once
     * makes the kernel reset the connection, and the client may never read the answer.
     * Stop writing, then read and drop what still comes, for a bounded time and size. */
    shutdown(fd, SHUT_WR);
    long long deadline = now_ms() + 2000;
    size_t drained = 0;
    char sink[16384];
    while (drained < (64u << 20)) {
        ssize_t n = read_some(fd, sink, sizeof sink, deadline);
        if (n <= 0) break;
        drained += (size_t)n;
    }
}
