#include "cpu_features.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

static unsigned long long xgetbv0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static void detect(qlm_cpu_features *f) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    bool osxsave = c & (1u << 27), avx = c & (1u << 28);
    f->fma = c & (1u << 12);
    f->f16c = c & (1u << 29);
    if (!osxsave || !avx) { f->fma = f->f16c = false; return; }
    unsigned long long xcr0 = xgetbv0();
    bool ymm_ok = (xcr0 & 0x6) == 0x6;       /* SSE and AVX state */
    bool zmm_ok = (xcr0 & 0xe6) == 0xe6;     /* plus opmask and ZMM state */
    if (!ymm_ok) { f->fma = f->f16c = false; return; }
    if (__get_cpuid_max(0, NULL) < 7) return;
    __cpuid_count(7, 0, a, b, c, d);
    f->avx2 = b & (1u << 5);
    f->bmi2 = b & (1u << 8);
    if (zmm_ok) {
        f->avx512f = b & (1u << 16);
        f->avx512dq = b & (1u << 17);
        f->avx512bw = b & (1u << 30);
        f->avx512vl = b & (1u << 31);
        f->avx512vnni = c & (1u << 11);
    }
    unsigned a1, b1, c1, d1; /* leaf 7, sub-leaf 1: AVX-VNNI is eax bit 4, AVX512_BF16 bit 5 */
    __cpuid_count(7, 1, a1, b1, c1, d1);
    (void)b1, (void)c1, (void)d1;
    f->avxvnni = f->avx2 && (a1 & (1u << 4));
    if (zmm_ok) f->avx512bf16 = a1 & (1u << 5);
    /* AMX: CPUID AMX-TILE (edx 24), AMX-INT8 (edx 25), AMX-BF16 (edx 22) and the tile
     * state enabled in XCR0 (bits 17, 18). Linux also wants a per-process request before
     * the first use (qlm_cpu_amx_request): it enlarges signal frames, so it is made only
     * when tile kernels are installed (bf16 tiles) or about to run (int8 tiles). */
#if defined(__linux__) && defined(__x86_64__)
    f->amx_int8 = (xcr0 & 0x60000) == 0x60000 && (d & (1u << 24)) && (d & (1u << 25));
    f->amx_bf16 = (xcr0 & 0x60000) == 0x60000 && (d & (1u << 24)) && (d & (1u << 22)); /* AMX-BF16: edx 22 */
#endif
}

static bool g_amx_granted;
static void amx_request(void) {
#if defined(__linux__) && defined(__x86_64__)
    g_amx_granted = syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* tile data */) == 0;
#endif
}

bool qlm_cpu_amx_request(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (!qlm_cpu_get()->amx_int8 && !qlm_cpu_get()->amx_bf16) return false;
    pthread_once(&once, amx_request);
    return g_amx_granted;
}
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
static void detect(qlm_cpu_features *f) {
    unsigned long hw = getauxval(AT_HWCAP);
    f->neon = true; /* mandatory on ARMv8-A */
    f->dotprod = (hw & HWCAP_ASIMDDP) != 0;
}
#elif defined(__aarch64__) && defined(__APPLE__)
#include <sys/sysctl.h>
static void detect(qlm_cpu_features *f) {
    f->neon = true;
    int v = 0;
    size_t len = sizeof v;
    if (sysctlbyname("hw.optional.arm.FEAT_DotProd", &v, &len, NULL, 0) == 0) f->dotprod = v != 0;
}
#else
static void detect(qlm_cpu_features *f) { (void)f; }
#endif

#if !(defined(__x86_64__) || defined(__i386__))
bool qlm_cpu_amx_request(void) { return false; }
#endif

static qlm_cpu_features g_features;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static void detect_once(void) { detect(&g_features); }

const qlm_cpu_features *qlm_cpu_get(void) {
    pthread_once(&g_once, detect_once);
    return &g_features;
}

/* ---- physical core count (the default thread count) ---- */
#include <stdio.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif
#include "qlm.h"

int qlm_physical_cores(void) {
#if defined(__APPLE__)
    int n = 0;
    size_t len = sizeof n;
    if (sysctlbyname("hw.physicalcpu", &n, &len, NULL, 0) == 0 && n > 0) return n;
#elif defined(__linux__)
    /* count distinct (physical id, core id) pairs; SMT siblings share one */
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        int phys = 0, n = 0;
        int seen[1024][2];
        while (fgets(line, sizeof line, f)) {
            int v;
            if (sscanf(line, "physical id : %d", &v) == 1) phys = v;
            else if (sscanf(line, "core id : %d", &v) == 1) {
                int dup = 0;
                for (int i = 0; i < n; i++) if (seen[i][0] == phys && seen[i][1] == v) { dup = 1; break; }
                if (!dup && n < 1024) { seen[n][0] = phys; seen[n][1] = v; n++; }
            }
        }
        fclose(f);
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        if (n > 0 && (online <= 0 || n <= online)) return n;
    }
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}
