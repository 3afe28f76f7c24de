/* Turns AVX-VNNI on for the rest of the including file (internal; for the x86 files that
 * use vpdpbusd on ymm: quant/gemm_avxvnni.c, ggml-like/peak_avxvnni.c). The feature
 * comes from a target pragma, as the AMX one in quant/gemm_amx_avx512.c, so that only
 * those files' code may use it. Compilers before gcc 11 / clang 12 do not know it: then
 * QLM_AVXVNNI_TARGET stays undefined and the files build their "not available" stubs.
 * Include it before any header that declares intrinsics, and end the file's AVX-VNNI
 * part with QLM_AVXVNNI_TARGET_END. */
#ifndef QLM_AVXVNNI_TARGET_H
#define QLM_AVXVNNI_TARGET_H

#if defined(__x86_64__) && defined(__AVX2__) && \
    ((defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11))
#define QLM_AVXVNNI_TARGET 1
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avxvnni"))), apply_to = function)
#define QLM_AVXVNNI_TARGET_END _Pragma("clang attribute pop")
#else
#pragma GCC target("avxvnni")
#define QLM_AVXVNNI_TARGET_END
#endif
#endif

#endif
