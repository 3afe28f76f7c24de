#include "server.h"
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_TIMEOUT_MS 30000  /* a request must arrive within this */

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

server_slot *server_acquire_slot(server *s) {
    pthread_mutex_lock(&s->mu);
    unsigned long ticket = s->next_ticket++;
    server_slot *got = NULL;
    for (;;) {
        if (ticket == s->serving) {
            for (int i = 0; i < s->n_slots; i++)
                if (!s->slots[i].busy) { got = &s->slots[i]; break; }
            if (got) break;
        }
        pthread_cond_wait(&s->slot_free, &s->mu);
    }
    got->busy = true;
    s->serving++;
    pthread_cond_broadcast(&s->slot_free); /* the next ticket may find another slot */
    pthread_mutex_unlock(&s->mu);
    return got;
}

void server_release_slot(server *s, server_slot *slot) {
    pthread_mutex_lock(&s->mu);
    slot->busy = false;
    pthread_cond_broadcast(&s->slot_free);
    pthread_mutex_unlock(&s->mu);
}

typedef struct {
    server *s;
    int fd;
} conn_arg;

static void *conn_main(void *p) {
    conn_arg *a = p;
    server *s = a->s;
    http_conn *c = calloc(1, sizeof *c);
    if (c) {
        c->fd = a->fd;
        for (;;) {
            http_request req;
            char why[160];
            int st = http_read_request(c, &req, s->cfg.max_body, READ_TIMEOUT_MS, why, sizeof why);
            if (st < 0) break;
            if (st > 0) {
                api_error(c->fd, st, "invalid_request_error", why, false);
                http_linger_close(c->fd);
                break;
            }
            bool keep = api_handle(s, c->fd, &req) &&
                        req.keep_alive && !atomic_load(&s->stopping);
            http_request_free(&req);
            if (!keep) break;
        }
        free(c);
    }
    shutdown(a->fd, SHUT_RDWR);
    close(a->fd);
    atomic_fetch_sub(&s->n_conns, 1);
    free(a);
    return NULL;
}

static int listen_on(const char *host, int port, int *bound_port) {
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "qlm serve: cannot resolve host '%s': %s\n", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "qlm serve: cannot listen on %s:%d: %s\n", host, port, strerror(errno));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    *bound_port = port;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                     : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static void free_server(server *s) {
    for (int i = 0; i < s->n_slots; i++) {
        qlm_context_free(s->slots[i].ctx);
        free(s->slots[i].tokens);
    }
    free(s->slots);
    qlm_model_free(s->model);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->slot_free);
}

int server_run(const server_config *cfg) {
    server S = {0};
    server *s = &S;
    s->cfg = *cfg;
    if (!s->cfg.host) s->cfg.host = "127.0.0.1";
    if (s->cfg.parallel < 1) s->cfg.parallel = 1;
    if (!s->cfg.max_body) s->cfg.max_body = 1u << 20;
    if (s->cfg.max_connections < 1) s->cfg.max_connections = 64;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->slot_free, NULL);
    atomic_init(&s->n_conns, 0);
    atomic_init(&s->stopping, false);

    qlm_error err = {0};
    qlm_model_params mp = {.no_mmap = cfg->no_mmap, .repack = cfg->repack};
    if (qlm_model_load(cfg->model_path, &mp, &s->model, &err) != QLM_OK) {
        fprintf(stderr, "qlm serve: %s\n", err.message);
        free_server(s);
        return 1;
    }
    qlm_model_describe(s->model, &s->desc);
    const char *base = strrchr(cfg->model_path, '/');
    snprintf(s->model_id, sizeof s->model_id, "%s", base ? base + 1 : cfg->model_path);
    int threads = cfg->n_threads > 0 ? cfg->n_threads : qlm_physical_cores();
    int per_slot_threads = threads / s->cfg.parallel > 0 ? threads / s->cfg.parallel : 1;
    int total_ctx = cfg->n_ctx > 0 ? cfg->n_ctx : (s->desc.n_ctx_train < 4096 ? s->desc.n_ctx_train : 4096) * s->cfg.parallel;
    int slot_ctx = total_ctx / s->cfg.parallel;
    if (slot_ctx < 8) {
        fprintf(stderr, "qlm serve: a context of %d tokens over %d slots leaves too little per slot\n", total_ctx, s->cfg.parallel);
        free_server(s);
        return 2;
    }
    s->slots = calloc((size_t)s->cfg.parallel, sizeof *s->slots);
    if (!s->slots) { fprintf(stderr, "qlm serve: out of memory\n"); free_server(s); return 1; }
    s->n_slots = s->cfg.parallel;
    for (int i = 0; i < s->n_slots; i++) {
        qlm_context_params cp = qlm_context_default_params();
        cp.n_ctx = slot_ctx;
        cp.n_threads = per_slot_threads;
        s->slots[i].tokens = malloc((size_t)slot_ctx * sizeof(int32_t));
        if (!s->slots[i].tokens || qlm_context_new(s->model, &cp, &s->slots[i].ctx, &err) != QLM_OK) {
            fprintf(stderr, "qlm serve: %s\n", s->slots[i].tokens ? err.message : "out of memory");
            free_server(s);
            return 1;
        }
    }

    int port = 0;
    int lfd = listen_on(s->cfg.host, cfg->port, &port);
    if (lfd < 0) { free_server(s); return 1; }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (cfg->port_file) {
        FILE *f = fopen(cfg->port_file, "w");
        if (f) { fprintf(f, "%d\n", port); fclose(f); }
    }
    fprintf(stderr, "qlm serve: %s on http://%s:%d (%d slot%s of %d tokens, %d thread%s each, kernels %s)%s\n",
            s->model_id, s->cfg.host, port, s->n_slots, s->n_slots > 1 ? "s" : "", slot_ctx, per_slot_threads,
            per_slot_threads > 1 ? "s" : "", qlm_isa_name(), cfg->api_key ? ", API key required" : "");

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* chat templates are evaluated on these threads, by recursion (model/jinja_impl.h
     * JR_MAX_CDEPTH): ask for Linux's usual 8 MB, as macOS gives threads 512 KB */
    pthread_attr_setstacksize(&attr, 8u << 20);
    while (!g_stop) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        int r = poll(&p, 1, 200);
        if (r <= 0) continue;
        int cfd = accept(lfd, NULL, NULL);
        if (cfd < 0) continue;
        if (atomic_load(&s->n_conns) >= s->cfg.max_connections) {
            api_error(cfd, 503, "server_error", "too many connections", false);
            close(cfd);
            continue;
        }
        conn_arg *a = malloc(sizeof *a);
        if (!a) { close(cfd); continue; }
        a->s = s;
        a->fd = cfd;
        atomic_fetch_add(&s->n_conns, 1);
        pthread_t th;
        if (pthread_create(&th, &attr, conn_main, a) != 0) {
            atomic_fetch_sub(&s->n_conns, 1);
            close(cfd);
            free(a);
        }
    }
    pthread_attr_destroy(&attr);
    close(lfd);
    atomic_store(&s->stopping, true);
    fprintf(stderr, "qlm serve: shutting down\n");
    /* give running requests a moment; generation loops check `stopping` */
    for (int i = 0; i < 100 && atomic_load(&s->n_conns) > 0; i++) usleep(50000);
    if (atomic_load(&s->n_conns) > 0) {
        /* connection threads still hold the model: leave the memory to the OS */
        return 0;
    }
    free_server(s);
    return 0;
}
