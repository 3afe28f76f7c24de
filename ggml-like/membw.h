/* Internal: the summing kernels of the read-bandwidth probe (qlm_measure_read_bandwidth
 * in qlm.h). Each sums `bytes` bytes at p (64-byte aligned, bytes a multiple of 256) as
 * 64-bit integers; the result only keeps the compiler from dropping the loads. */
#ifndef QLM_MEMBW_H
#define QLM_MEMBW_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t (*qlm_membw_sum_fn)(const void *p, size_t bytes);

/* NULL when this build or architecture has no such kernel. */
qlm_membw_sum_fn qlm_membw_kernel_avx2(void);
qlm_membw_sum_fn qlm_membw_kernel_avx512(void);

#endif
