#include "scratch.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct {
    size_t cap[QLM_SCRATCH_SLOTS];
    void *p[QLM_SCRATCH_SLOTS];
} scratch_set;

static pthread_key_t key;
static bool key_ok;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void set_free(void *p) {
    scratch_set *s = p;
    for (int i = 0; i < QLM_SCRATCH_SLOTS; i++) free(s->p[i]);
    free(s);
}

static void key_init(void) { key_ok = pthread_key_create(&key, set_free) == 0; }

void *qlm_thread_scratch(int slot, size_t bytes) {
    if (slot < 0 || slot >= QLM_SCRATCH_SLOTS) return NULL;
    pthread_once(&once, key_init);
    if (!key_ok) return NULL;
    scratch_set *s = pthread_getspecific(key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s) return NULL;
        if (pthread_setspecific(key, s) != 0) { free(s); return NULL; }
    }
    if (s->cap[slot] < bytes) {
        free(s->p[slot]);
        size_t sz = (bytes + 63) / 64 * 64;
        s->p[slot] = aligned_alloc(64, sz ? sz : 64);
        s->cap[slot] = s->p[slot] ? sz : 0;
    }
    return s->p[slot];
}
