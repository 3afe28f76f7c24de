/* Internal: SIMD versions of row operations of ops.h, reached through the kernel table
 * (kernels.h), each checked against its scalar original in tests/test_ops.c. */
#ifndef QLM_OPS_SIMD_H
#define QLM_OPS_SIMD_H

/* g[i] = silu(g[i]) * u[i], silu(x) = x / (1 + exp(-x)); exp by a polynomial within
 * 2 ulp of expf (see the files). NULL-free: declared for every build, defined only
 * where the ISA file compiles (the fill functions set them). */
void qlm_avx2_silu_mul(float *g, const float *u, int n);
void qlm_avx512_silu_mul(float *g, const float *u, int n);

#endif
