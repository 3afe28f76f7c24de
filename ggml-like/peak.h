/* Internal: the int8 multiply-add peak probes of `qlm bench --kernels` (the compute
 * ceiling its matrix-matrix figures are set against). Each kernel runs `rounds` rounds of
 * int8 multiply-adds on registers only (no memory traffic), in independent chains, with
 * the instruction sequence its ISA's quantized kernels are built on, and returns how
 * many int8 multiply-adds it did (one 8-bit x 8-bit product added into a sum; the
 * widening adds around them are not counted). The caller times it. *sink gets a value
 * computed from every sum, so the compiler cannot drop the work as dead. */
#ifndef QLM_PEAK_H
#define QLM_PEAK_H

#include <stdint.h>

typedef uint64_t (*qlm_peak_fn)(uint64_t rounds, int32_t *sink);

/* NULL when this build or architecture has no such kernel. The caller checks that the
 * CPU has the features (avx2: AVX2; avxvnni: AVX-VNNI; avx512: AVX-512F/BW + VNNI;
 * neon: dotprod). */
qlm_peak_fn qlm_peak_kernel_avx2(void);   /* vpmaddubsw + vpmaddwd + vpaddd, ymm */
qlm_peak_fn qlm_peak_kernel_avxvnni(void); /* vpdpbusd, ymm (AVX-VNNI) */
qlm_peak_fn qlm_peak_kernel_avx512(void); /* vpdpbusd, zmm */
qlm_peak_fn qlm_peak_kernel_neon(void);   /* sdot, 128-bit */

#endif
