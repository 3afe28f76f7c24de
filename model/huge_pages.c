#include "huge_pages.h"

#include <string.h>

int64_t qlm_smaps_huge_bytes(FILE *smaps, uintptr_t lo, uintptr_t hi) {
    char line[8192]; /* a header holds a path of up to PATH_MAX (4096) bytes */
    int64_t kb = 0;
    int in_range = 0, any = 0;
    while (fgets(line, sizeof line, smaps)) {
        unsigned long a, b;
        char dash;
        /* a mapping's header "a-b perms offset dev inode [path]" (hex), then its fields */
        if (sscanf(line, "%lx%c%lx ", &a, &dash, &b) == 3 && dash == '-' && strchr(line, ' ')) {
            in_range = a < hi && lo < b;
            any |= in_range;
            continue;
        }
        if (!in_range) continue;
        long long v;
        if (sscanf(line, "FilePmdMapped: %lld kB", &v) == 1 || sscanf(line, "AnonHugePages: %lld kB", &v) == 1)
            if (v > 0) kb += v;
    }
    return any ? kb * 1024 : -1;
}

int64_t qlm_range_huge_bytes(const void *p, size_t n) {
#if defined(__linux__)
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    const int64_t r = qlm_smaps_huge_bytes(f, (uintptr_t)p, (uintptr_t)p + n);
    fclose(f);
    return r;
#else
    (void)p;
    (void)n;
    return -1;
#endif
}
