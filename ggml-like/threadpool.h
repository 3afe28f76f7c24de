/* A persistent pthreads pool: created once per context, then each qlm_pool_run wakes
 * the workers, runs fn(arg, ith, nth) on every thread (the caller is thread 0) and
 * returns when all are done. */
#ifndef QLM_THREADPOOL_H
#define QLM_THREADPOOL_H

typedef struct qlm_pool qlm_pool;
typedef void (*qlm_task_fn)(void *arg, int ith, int nth);

qlm_pool *qlm_pool_new(int n_threads); /* NULL on failure; n_threads >= 1 */
void qlm_pool_free(qlm_pool *p);
int qlm_pool_size(const qlm_pool *p);
void qlm_pool_run(qlm_pool *p, qlm_task_fn fn, void *arg);

/* Split [0, n) into nth near-equal chunks; chunk ith is [*lo, *hi). */
static inline void qlm_split(long n, int ith, int nth, long *lo, long *hi) {
    long per = n / nth, rem = n % nth;
    *lo = ith * per + (ith < rem ? ith : rem);
    *hi = *lo + per + (ith < rem ? 1 : 0);
}

#endif
