/* Run-time CPU feature detection: cpuid + xgetbv on x86-64 (the OS must have enabled the
 * AVX / AVX-512 register state, not only the CPU support it), HWCAP on ARM64. */
#ifndef QLM_CPU_FEATURES_H
#define QLM_CPU_FEATURES_H

#include <stdbool.h>

typedef struct {
    bool avx2, fma, f16c, bmi2;                   /* x86 "avx2" path needs all four */
    bool avxvnni;                                 /* AVX-VNNI: vpdpbusd on ymm (VEX) */
    bool avx512f, avx512bw, avx512vl, avx512dq, avx512vnni;
    bool amx_int8;     /* AMX tiles with int8 products, state enabled by the OS */
    bool amx_bf16;     /* AMX tiles with bf16 products, state enabled by the OS */
    bool avx512bf16;   /* AVX512_BF16: float -> bf16 conversions */
    bool neon, dotprod;                           /* ARM64 */
} qlm_cpu_features;

const qlm_cpu_features *qlm_cpu_get(void);

/* Ask the OS (once per process) for the AMX tile state; true when tiles may be used.
 * Call right before the first tile instruction, not earlier: on Linux the request
 * enlarges every signal frame of the process. */
bool qlm_cpu_amx_request(void);

#endif
