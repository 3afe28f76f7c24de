/* The converter's config.json handling (qlm_convert_read_config: model_type lookup,
 * dimensions, RoPE settings, gemma3's layer pattern) on arbitrary text. */
#include "fuzz.h"
#include "../../model/convert_internal.h"

int fuzz_config(const uint8_t *data, size_t size) {
    qlm_error err = {0};
    if (qlm_convert_read_config((const char *)data, size, &err) != QLM_OK)
        FUZZ_CHECK(err.code != QLM_OK && err.message[0], "error without a message");
    return 0;
}

FUZZ_MAIN(fuzz_config)
