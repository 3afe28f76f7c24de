/* Per-ISA kernel tables and run-time dispatch.
 *
 * Each ISA file (quant/kernels_avx2.c, quant/kernels_avx512.c, quant/kernels_neon.c)
 * defines a function that fills a qlm_kernels table with the kernels it has; entries it
 * leaves NULL fall back to the scalar reference of the type-traits table. The active
 * table is picked once from the CPU's features (cpu_features.h) or QLM_ISA.
 */
#ifndef QLM_KERNELS_H
#define QLM_KERNELS_H

#include "qtypes.h"
#include "qlm.h"

typedef struct {
    const char *name;                            /* "scalar", "avx2", "avx512", "neon" */
    qlm_vec_dot_fn vec_dot[QLM_TYPE_COUNT];      /* indexed by weight type */
    qlm_from_float_fn from_float[QLM_TYPE_COUNT];/* activation quantizers, by target type */
    qlm_to_float_fn to_float[QLM_TYPE_COUNT];
} qlm_kernels;

/* The table in use; never NULL. Every entry is non-NULL for supported types (the
 * scalar reference fills the gaps). */
const qlm_kernels *qlm_kernels_active(void);
/* The scalar reference table (for tests comparing paths). */
const qlm_kernels *qlm_kernels_scalar(void);
/* Table for a named ISA if this CPU and build support it, else NULL. */
const qlm_kernels *qlm_kernels_for(const char *isa);

/* ISA fill functions: return false when compiled for another architecture. */
bool qlm_kernels_fill_avx2(qlm_kernels *k);
bool qlm_kernels_fill_avx512(qlm_kernels *k);
bool qlm_kernels_fill_neon(qlm_kernels *k);

#endif
