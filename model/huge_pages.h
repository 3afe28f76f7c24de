/* How much of a memory range is mapped in 2 MiB pages, from /proc/self/smaps (Linux).
 * Generation streams every weight once per token; in 4 KiB pages that costs a TLB miss
 * per page, which measured here as 76-85% of the roofline against 94-104% in 2 MiB pages
 * (bench/RESULTS.md). This says which case a run was in. */
#ifndef QLM_HUGE_PAGES_H
#define QLM_HUGE_PAGES_H

#include <stdint.h>
#include <stdio.h>

/* Bytes in 2 MiB pages (FilePmdMapped + AnonHugePages) of the mappings that overlap
 * [lo, hi), read from smaps text; -1 when the text holds no mapping overlapping it. */
int64_t qlm_smaps_huge_bytes(FILE *smaps, uintptr_t lo, uintptr_t hi);

/* The same for this process (/proc/self/smaps); -1 where there is none. */
int64_t qlm_range_huge_bytes(const void *p, size_t n);

#endif
