#include "progress.h"

#include <stdio.h>
#include <unistd.h>

void cli_progress_init(cli_progress *p, const char *label) {
    p->label = label;
    p->tty = isatty(STDERR_FILENO);
    p->last_pct = -1;
}

void cli_progress_cb(void *data, int done, int total, const char *what) {
    cli_progress *p = data;
    if (!p->tty || total <= 0) return;
    int pct = (int)(100LL * done / total);
    if (pct == p->last_pct && done != total) return;
    p->last_pct = pct;
    int width = 30, fill = width * pct / 100;
    fprintf(stderr, "\r%s [", p->label);
    for (int i = 0; i < width; i++) fputc(i < fill ? '#' : ' ', stderr);
    fprintf(stderr, "] %3d%% %-40.40s", pct, what ? what : "");
    fflush(stderr);
}

void cli_progress_end(cli_progress *p) {
    if (p->tty && p->last_pct >= 0) fputc('\n', stderr);
}
