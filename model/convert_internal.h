/* Internal entry points of the Hugging Face converter (model/convert.c), for tests and
 * fuzzing. Not part of the public API. */
#ifndef QLM_CONVERT_INTERNAL_H
#define QLM_CONVERT_INTERNAL_H

#include "qlm.h"
#include <stddef.h>

/* Parse a config.json text and derive the hyperparameters exactly as qlm_convert_hf
 * does (model_type lookup, dimensions, RoPE settings, gemma3 layer pattern), then
 * discard them. QLM_OK when qlm_convert_hf would accept the config. */
qlm_status qlm_convert_read_config(const char *json, size_t len, qlm_error *err);

#endif
