/* Kernel tables: the scalar reference, plus each ISA's table built from its fill
 * function over a copy of the reference (so every gap falls back to scalar). */
#include "kernels.h"
#include "cpu_features.h"
#include "error.h"
#include "ops.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static qlm_kernels k_scalar, k_avx2, k_avxvnni, k_avx512, k_neon;
static bool have_avx2, have_avxvnni, have_avx512, have_neon;
static const qlm_kernels *k_active;
static char refused[32]; /* QLM_ISA value that could not be honoured */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t set_mu = PTHREAD_MUTEX_INITIALIZER;

static const qlm_kernels *isa_table(const char *isa);

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
    k->attn = qlm_attn_ref;
    k->silu_mul = qlm_silu_mul;
    k->rmsnorm = qlm_rmsnorm;
}

static void init(void) {
    fill_scalar(&k_scalar);
    const qlm_cpu_features *f = qlm_cpu_get();
    /* A fill function runs only when the CPU (and the OS, for the register state) has
     * every feature its file is compiled for, so no table ever points at code the CPU
     * cannot execute. */
    k_avx2 = k_scalar; k_avx2.name = "avx2";
    have_avx2 = f->avx2 && f->fma && f->f16c && f->bmi2 && qlm_kernels_fill_avx2(&k_avx2);
    /* AVX2 with AVX-VNNI (Alder Lake and later cores without AVX-512): the AVX2 table
     * with matrix products on vpdpbusd ymm */
    k_avxvnni = k_avx2; k_avxvnni.name = "avxvnni";
    have_avxvnni = have_avx2 && f->avxvnni && qlm_kernels_fill_avxvnni(&k_avxvnni);
    /* the AVX-512 table starts from the AVX2 one: it overrides what it does better */
    k_avx512 = k_avx2; k_avx512.name = "avx512";
    have_avx512 = have_avx2 && f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq &&
                  f->avx512vnni && qlm_kernels_fill_avx512(&k_avx512);
    k_neon = k_scalar; k_neon.name = "neon";
    have_neon = f->neon && qlm_kernels_fill_neon(&k_neon);
    k_active = have_avx512 ? &k_avx512 : have_avxvnni ? &k_avxvnni : have_avx2 ? &k_avx2 : have_neon ? &k_neon : &k_scalar;
    /* QLM_ISA forces a path. One this CPU or build lacks (or an unknown name) is
     * refused: the best path stays active, qlm_kernels_refused() names it and one line
     * goes to stderr, since the user asked for something they are not getting. */
    const char *env = getenv("QLM_ISA");
    if (env && *env) {
        const qlm_kernels *forced = isa_table(env);
        if (forced) {
            k_active = forced;
        } else {
            snprintf(refused, sizeof refused, "%s", env);
            fprintf(stderr, "qlm: QLM_ISA=%s is not available on this CPU/build "
                    "(known: scalar, avx2, avxvnni, avx512, neon); using %s\n", refused, k_active->name);
        }
    }
}

/* Lookup without the once-guard (init itself uses it). */
static const qlm_kernels *isa_table(const char *isa) {
    if (!strcmp(isa, "scalar")) return &k_scalar;
    if (!strcmp(isa, "avx2")) return have_avx2 ? &k_avx2 : NULL;
    if (!strcmp(isa, "avxvnni")) return have_avxvnni ? &k_avxvnni : NULL;
    if (!strcmp(isa, "avx512")) return have_avx512 ? &k_avx512 : NULL;
    if (!strcmp(isa, "neon")) return have_neon ? &k_neon : NULL;
    return NULL;
}

const qlm_kernels *qlm_kernels_for(const char *isa) {
    pthread_once(&once, init);
    return isa ? isa_table(isa) : NULL;
}

const char *qlm_kernels_refused(void) {
    pthread_once(&once, init);
    return refused;
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
const char *qlm_isa_detail(void) {
    const char *d = qlm_kernels_active()->detail;
    return d ? d : "";
}

qlm_status qlm_isa_set(const char *name, qlm_error *err) {
    const qlm_kernels *k = name ? qlm_kernels_for(name) : NULL;
    if (!k) return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "kernel path '%s' is not available on this CPU/build (known: scalar, avx2, avxvnni, avx512, neon)",
                             name ? name : "(null)");
    pthread_mutex_lock(&set_mu);
    k_active = k;
    pthread_mutex_unlock(&set_mu);
    return QLM_OK;
}

size_t qlm_gemm_act_size(qlm_type t, int64_t n) {
    if (n < 0) return 0;
    /* whole 512-value groups: the kernels read 16 blocks of 32 at a time */
    size_t n512 = ((size_t)n + 511) / 512 * 512;
    size_t bytes;
    if (t == QLM_TYPE_F32 || t == QLM_TYPE_F16 || t == QLM_TYPE_BF16) bytes = n512 * 4;
    else bytes = 2 * n512 + n512 / 16 * 8; /* levels in two orders + two 4-byte values per 16 */
    return (bytes + 64 + 63) / 64 * 64;
}
