#include "model_load.h"
#include "progress.h"

qlm_status cli_model_load(const char *path, bool no_mmap, bool repack, qlm_model **out, qlm_error *err) {
    cli_progress prog;
    cli_progress_init(&prog, "load");
    qlm_model_params mp = {.no_mmap = no_mmap, .repack = repack,
                           .progress = cli_progress_cb, .progress_data = &prog};
    qlm_status rc = qlm_model_load(path, &mp, out, err);
    cli_progress_end(&prog);
    return rc;
}
