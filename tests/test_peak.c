/* The int8 peak probes of qlm bench --kernels (ggml-like/peak.h), for each ISA this CPU
 * and build have (others skipped): the multiply-add count each returns, and that the
 * work was really done, i.e. the sums it leaves equal that count times the one product
 * every multiply-add adds (3 x -2; the probes multiply constant bytes). Nothing is timed. */
#include "harness.h"

#include "../ggml-like/cpu_features.h"
#include "../ggml-like/kernels.h"
#include "../ggml-like/peak.h"

#include <string.h>

static void check_probe(const char *isa, qlm_peak_fn fn, bool cpu_ok, uint64_t macs_per_round) {
    t_case("peak: %s probe counts its multiply-adds and does them", isa);
    if (!fn) { t_skip("not in this build"); return; }
    if (!cpu_ok) { t_skip("this CPU lacks the instructions"); return; }
    for (uint64_t rounds = 0; rounds <= 1000; rounds += 1000) {
        int32_t sink = 12345;
        uint64_t macs = fn(rounds, &sink);
        T_CHECK(macs == rounds * macs_per_round, "rounds %llu: %llu multiply-adds, want %llu", (unsigned long long)rounds,
                (unsigned long long)macs, (unsigned long long)(rounds * macs_per_round));
        /* at most 3.1e6 x 6 in magnitude: no int32 wrap-around */
        T_CHECK(sink == -6 * (int64_t)macs, "rounds %llu: sum %d, want %lld", (unsigned long long)rounds, sink,
                (long long)(-6 * (int64_t)macs));
    }
}

int main(void) {
    const qlm_cpu_features *f = qlm_cpu_get();
    /* a path's kernel table exists only when the CPU has all of its features */
    check_probe("avx2", qlm_peak_kernel_avx2(), qlm_kernels_for("avx2") != NULL, 8 * 32);
    check_probe("avxvnni", qlm_peak_kernel_avxvnni(), qlm_kernels_for("avxvnni") != NULL, 10 * 32);
    check_probe("avx512", qlm_peak_kernel_avx512(), qlm_kernels_for("avx512") != NULL, 12 * 64);
    check_probe("neon", qlm_peak_kernel_neon(), qlm_kernels_for("neon") != NULL && f->dotprod, 12 * 16);
    return t_done();
}
