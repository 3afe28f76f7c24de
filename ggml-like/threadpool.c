/* Persistent worker pool. Workers spin briefly on a generation counter before sleeping
 * on a condition variable: a forward pass issues hundreds of small parallel steps per
 * token, and waking sleeping threads each time would cost more than the work. */
#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sched.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

#define SPIN_ITERS 20000

typedef struct {
    qlm_pool *pool;
    int ith;
    pthread_t thread;
} worker;

struct qlm_pool {
    int n;
    worker *workers;
    pthread_mutex_t mu;
    pthread_cond_t wake;   /* a new generation started (or shutdown) */
    pthread_cond_t done;   /* the last worker finished */
    atomic_uint generation;
    atomic_int pending;    /* workers still running the current task */
    atomic_bool sleeping_done; /* the caller sleeps on `done` */
    bool shutdown;
    qlm_task_fn fn;
    void *arg;
};

static void *worker_main(void *p) {
    worker *w = p;
    qlm_pool *pool = w->pool;
    unsigned seen = 0;
    for (;;) {
        unsigned gen;
        int spins = 0;
        while ((gen = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen &&
               spins < SPIN_ITERS) {
            cpu_relax();
            spins++;
        }
        if (gen == seen) {
            pthread_mutex_lock(&pool->mu);
            while ((gen = atomic_load(&pool->generation)) == seen && !pool->shutdown)
                pthread_cond_wait(&pool->wake, &pool->mu);
            bool stop = pool->shutdown;
            pthread_mutex_unlock(&pool->mu);
            if (stop) return NULL;
        }
        seen = gen;
        if (pool->shutdown) return NULL;
        pool->fn(pool->arg, w->ith, pool->n);
        if (atomic_fetch_sub(&pool->pending, 1) == 1 &&
            atomic_load(&pool->sleeping_done)) {
            pthread_mutex_lock(&pool->mu);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->mu);
        }
    }
}

qlm_pool *qlm_pool_new(int n_threads) {
    if (n_threads < 1) n_threads = 1;
    qlm_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->generation, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->sleeping_done, false);
    p->workers = calloc((size_t)n_threads, sizeof *p->workers);
    if (!p->workers) { free(p); return NULL; }
    for (int i = 1; i < n_threads; i++) {
        p->workers[i].pool = p;
        p->workers[i].ith = i;
        if (pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]) != 0) {
            p->n = i; /* shut down the ones that started */
            qlm_pool_free(p);
            return NULL;
        }
    }
    return p;
}

void qlm_pool_free(qlm_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->shutdown = true;
    atomic_fetch_add(&p->generation, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++) pthread_join(p->workers[i].thread, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    free(p->workers);
    free(p);
}

int qlm_pool_size(const qlm_pool *p) { return p->n; }

void qlm_pool_run(qlm_pool *p, qlm_task_fn fn, void *arg) {
    if (p->n == 1) { fn(arg, 0, 1); return; }
    p->fn = fn;
    p->arg = arg;
    atomic_store(&p->pending, p->n - 1);
    atomic_store(&p->sleeping_done, false);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0, p->n);
    int spins = 0;
    while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0) {
        if (++spins < SPIN_ITERS) { cpu_relax(); continue; }
        pthread_mutex_lock(&p->mu);
        atomic_store(&p->sleeping_done, true);
        while (atomic_load(&p->pending) > 0) pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
        break;
    }
}
