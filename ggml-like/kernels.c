/* Kernel tables: the scalar reference, plus each ISA's table built from its fill
 * function over a copy of the reference (so every gap falls back to scalar). */
#include "kernels.h"
#include "cpu_features.h"
#include "error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static qlm_kernels k_scalar, k_avx2, k_avx512, k_neon;
static bool have_avx2, have_avx512, have_neon;
static const qlm_kernels *k_active;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t set_mu = PTHREAD_MUTEX_INITIALIZER;

static void fill_scalar(qlm_kernels *k) {
    memset(k, 0, sizeof *k);
    k->name = "scalar";
    for (uint32_t t = 0; t < QLM_TYPE_COUNT; t++) {
        const qlm_type_traits *tt = qlm_type_get(t);
        if (!tt || !tt->supported) continue;
        k->vec_dot[t] = tt->vec_dot;
        k->from_float[t] = tt->from_float;
        k->to_float[t] = tt->to_float;
    }
}

static void init(void) {
    fill_scalar(&k_scalar);
    const qlm_cpu_features *f = qlm_cpu_get();
    k_avx2 = k_scalar; k_avx2.name = "avx2";
    have_avx2 = f->avx2 && f->fma && f->f16c && qlm_kernels_fill_avx2(&k_avx2);
    k_avx512 = k_scalar; k_avx512.name = "avx512";
    have_avx512 = have_avx2 && f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq &&
                  f->avx512vnni && qlm_kernels_fill_avx2(&k_avx512) && qlm_kernels_fill_avx512(&k_avx512);
    k_neon = k_scalar; k_neon.name = "neon";
    have_neon = f->neon && qlm_kernels_fill_neon(&k_neon);
    k_active = have_avx512 ? &k_avx512 : have_avx2 ? &k_avx2 : have_neon ? &k_neon : &k_scalar;
    const char *env = getenv("QLM_ISA");
    if (env && *env) {
        const qlm_kernels *forced = qlm_kernels_for(env);
        if (forced) k_active = forced;
    }
}

const qlm_kernels *qlm_kernels_for(const char *isa) {
    pthread_once(&once, init);
    if (!strcmp(isa, "scalar")) return &k_scalar;
    if (!strcmp(isa, "avx2")) return have_avx2 ? &k_avx2 : NULL;
    if (!strcmp(isa, "avx512")) return have_avx512 ? &k_avx512 : NULL;
    if (!strcmp(isa, "neon")) return have_neon ? &k_neon : NULL;
    return NULL;
}

const qlm_kernels *qlm_kernels_active(void) {
    pthread_once(&once, init);
    pthread_mutex_lock(&set_mu);
    const qlm_kernels *k = k_active;
    pthread_mutex_unlock(&set_mu);
    return k;
}

const qlm_kernels *qlm_kernels_scalar(void) {
    pthread_once(&once, init);
    return &k_scalar;
}

const char *qlm_isa_name(void) { return qlm_kernels_active()->name; }

qlm_status qlm_isa_set(const char *name, qlm_error *err) {
    const qlm_kernels *k = qlm_kernels_for(name);
    if (!k) return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "kernel path '%s' is not available on this CPU/build (known: scalar, avx2, avx512, neon)", name);
    pthread_mutex_lock(&set_mu);
    k_active = k;
    pthread_mutex_unlock(&set_mu);
    return QLM_OK;
}
