/* AVX-512 (F/BW/VL/DQ + VNNI) kernels; only called after run-time detection. */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX512F__)
bool qlm_kernels_fill_avx512(qlm_kernels *k) {
    (void)k; /* no AVX-512 kernels yet: report the path as absent so the
              * scalar reference is used and named as such */
    return false;
}
#else
bool qlm_kernels_fill_avx512(qlm_kernels *k) { (void)k; return false; }
#endif
