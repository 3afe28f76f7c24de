#include "arch.h"

#include <string.h>

static const qlm_arch ARCHS[] = {
    {.name = "llama", .rope_mode = QLM_ROPE_NORM},
};

const qlm_arch *qlm_arch_find(const char *name) {
    for (size_t i = 0; i < sizeof ARCHS / sizeof ARCHS[0]; i++)
        if (!strcmp(ARCHS[i].name, name)) return &ARCHS[i];
    return NULL;
}

const char *qlm_arch_list(void) { return "llama"; }
