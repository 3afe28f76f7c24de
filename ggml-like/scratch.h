/* Per-thread scratch buffers for kernels (weight panels, converted K/V rows): each
 * thread keeps its own, grown on demand and freed when the thread exits. Several
 * contexts may run on different pools at once, so buffers belong to threads, not to
 * thread indices. */
#ifndef QLM_SCRATCH_H
#define QLM_SCRATCH_H

#include <stddef.h>

enum { QLM_SCRATCH_GEMM = 0, QLM_SCRATCH_ATTN = 1, QLM_SCRATCH_SLOTS = 2 };

/* At least `bytes` bytes, 64-byte aligned, for this thread and slot; the contents do
 * not survive a call with a larger size. NULL when memory is short. */
void *qlm_thread_scratch(int slot, size_t bytes);

#endif
