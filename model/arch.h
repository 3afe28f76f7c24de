/* Architectures: one table entry each, read by the loader and the shared forward pass.
 * A new architecture is a new row plus, where needed, a hook in model/forward.c keyed
 * on one of these options - never a copied forward pass. */
#ifndef QLM_ARCH_H
#define QLM_ARCH_H

#include <stdbool.h>

typedef enum { QLM_ROPE_NORM = 0, QLM_ROPE_NEOX = 1 } qlm_rope_mode;

typedef struct {
    const char *name;          /* general.architecture */
    qlm_rope_mode rope_mode;   /* NORM: rotate adjacent pairs (GGUF llama layout);
                                  NEOX: rotate (i, i + n_rot/2) */
} qlm_arch;

/* NULL when unknown. */
const qlm_arch *qlm_arch_find(const char *name);
/* Comma-separated list of the supported names, for error messages. */
const char *qlm_arch_list(void);

#endif
