/* AVX2 kernels. Compiled with -mavx2 -mfma -mf16c; only called after run-time detection. */
#include "../ggml-like/kernels.h"

#if defined(__x86_64__) && defined(__AVX2__)
bool qlm_kernels_fill_avx2(qlm_kernels *k) {
    (void)k; /* no AVX2 kernels yet: report the path as absent so the
              * scalar reference is used and named as such */
    return false;
}
#else
bool qlm_kernels_fill_avx2(qlm_kernels *k) { (void)k; return false; }
#endif
