/* Loading a model for a CLI command: mapped (default) or read into memory
 * (--no-mmap; --repack also rearranges the weights, qlm_model_params.repack), with a
 * progress bar for the read when stderr is a terminal. */
#ifndef QLM_CLI_MODEL_LOAD_H
#define QLM_CLI_MODEL_LOAD_H

#include "qlm.h"

#include <stdbool.h>

qlm_status cli_model_load(const char *path, bool no_mmap, bool repack, qlm_model **out, qlm_error *err);

#endif
