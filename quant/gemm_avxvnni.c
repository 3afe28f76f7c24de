/* The AVX2 matrix products again, with AVX-VNNI: vpdpbusd on ymm registers (VEX
 * encoded), which Intel cores from Alder Lake on have without AVX-512. One vpdpbusd
 * adds 4 unsigned x signed byte products into each int32 lane: on plain AVX2 that takes
 * vpmaddubsw + vpmaddwd + vpaddd (or int16 sums first). quant/gemm_avx2.c holds the
 * code; compiled here a second time with QLM_AVXVNNI, it uses vpdpbusd in the
 * micro-kernel and in the Q4_0/Q8_0 matrix-vector loops. The "avxvnni" kernel table is
 * the AVX2 one with these matrix products (ggml-like/kernels.c), so QLM_ISA=avx2 still
 * runs and tests the plain AVX2 code on such a CPU.
 *
 * The feature comes from a target pragma (ggml-like/avxvnni_target.h); compilers that
 * do not know it leave the table empty. */
#include "../ggml-like/avxvnni_target.h"
#include "../ggml-like/kernels.h"

#ifdef QLM_AVXVNNI_TARGET
#define QLM_AVXVNNI 1
#include "gemm_avx2.c"

bool qlm_kernels_fill_avxvnni(qlm_kernels *k) {
    qlm_avxvnni_fill_gemm(k);
    k->detail = "AVX-VNNI (vpdpbusd ymm) in the quantized matrix products";
    return true;
}

QLM_AVXVNNI_TARGET_END
#else
bool qlm_kernels_fill_avxvnni(qlm_kernels *k) {
    (void)k;
    return false;
}
#endif
