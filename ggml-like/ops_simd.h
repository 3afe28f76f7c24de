/* Internal: SIMD versions of row operations of ops.h, reached through the kernel table
 * (kernels.h), each checked against its scalar original in tests/test_kernels.c. */
#ifndef QLM_OPS_SIMD_H
#define QLM_OPS_SIMD_H

/* g[i] = silu(g[i]) * u[i], silu(x) = x / (1 + exp(-x)), exp by a polynomial within
 * 2 ulp of expf. Defined only where the ISA's file compiles; the fill function of that
 * ISA's kernel table installs it. */
void qlm_avx2_silu_mul(float *g, const float *u, int n);
void qlm_avx512_silu_mul(float *g, const float *u, int n);
void qlm_avx512_rmsnorm(float *out, const float *x, const float *w, int n, float eps);

#endif
