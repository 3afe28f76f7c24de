/* A progress bar on stderr, drawn only when stderr is a terminal. */
#ifndef QLM_CLI_PROGRESS_H
#define QLM_CLI_PROGRESS_H

#include <stdbool.h>

typedef struct {
    const char *label;
    bool tty;
    int last_pct;
} cli_progress;

void cli_progress_init(cli_progress *p, const char *label);
/* Matches qlm_progress_fn: data is a cli_progress. */
void cli_progress_cb(void *data, int done, int total, const char *what);
void cli_progress_end(cli_progress *p);

#endif
