/* NEON (dotprod) kernels for ARM64; only called after run-time detection. */
#include "../ggml-like/kernels.h"

#if defined(__aarch64__)
bool qlm_kernels_fill_neon(qlm_kernels *k) {
    (void)k; /* no NEON kernels yet: report the path as absent so the
              * scalar reference is used and named as such */
    return false;
}
#else
bool qlm_kernels_fill_neon(qlm_kernels *k) { (void)k; return false; }
#endif
