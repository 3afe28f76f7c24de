/* qlm serve: an OpenAI-compatible HTTP server on sockets and pthreads.
 *
 * One thread per connection (bounded); N inference slots, each a qlm_context over the
 * one shared, read-only model. A completion takes a free slot or waits its turn in
 * FIFO order; a client that goes away releases its slot at the next token. */
#ifndef QLM_SERVER_H
#define QLM_SERVER_H

#include "qlm.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *model_path;
    const char *host;         /* default 127.0.0.1 */
    int port;                 /* default 8080; 0 picks a free port */
    int parallel;             /* slots; default 1 */
    int n_ctx;                /* total context, split over the slots; 0: model's (<= 4096 per slot) */
    int n_threads;            /* compute threads in all; 0: physical cores */
    const char *api_key;      /* NULL: no authentication */
    size_t max_body;          /* bytes; default 1 MiB */
    int max_connections;      /* default 64 */
    const char *port_file;    /* if set, the bound port is written there (tests) */
    bool no_mmap;             /* read the model into memory (qlm_model_params.no_mmap) */
    bool repack;              /* and regroup Q4_0 weights (qlm_model_params.repack) */
} server_config;

typedef struct {
    qlm_context *ctx;
    int32_t *tokens;          /* what the cache holds, for prefix reuse */
    int n_tokens;
    bool busy;
} server_slot;

typedef struct {
    server_config cfg;
    qlm_model *model;
    qlm_model_desc desc;
    char model_id[256];
    server_slot *slots;
    int n_slots;
    pthread_mutex_t mu;
    pthread_cond_t slot_free;
    unsigned long next_ticket, serving; /* FIFO order of waiting requests */
    atomic_int n_conns;
    atomic_bool stopping;
} server;

/* Runs until SIGINT/SIGTERM. Returns the process exit status. */
int server_run(const server_config *cfg);

/* Handlers (server/api.c). fd is the client socket. Return false to close. */
struct http_request_s;
bool api_handle(server *s, int fd, const struct http_request_s *req);
/* Write an OpenAI-style error object with the given status. */
bool api_error(int fd, int status, const char *type, const char *message, bool keep_alive);

/* Slots (server/server.c). */
server_slot *server_acquire_slot(server *s);
void server_release_slot(server *s, server_slot *slot);

#endif
