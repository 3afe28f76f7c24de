/* AVX2 batched matrix products (see qlm_gemm_fn in ggml-like/kernels.h). */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include "kernels_x86.h"

void qlm_avx2_fill_gemm(qlm_kernels *k) { (void)k; }
#endif
