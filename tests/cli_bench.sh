#!/bin/sh
# qlm bench --kernels in its short mode: the format of the ceilings (read bandwidth, int8
# peak) and of the per-type lines with their % columns; filters and bad arguments. Never
# checks a speed, only that the figures are there.
QLM=${QLM:-./qlm}
OUT=tests/out/cli_bench
mkdir -p "$OUT"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
# ok NAME CONDITION-COMMAND...
ok() { name=$1; shift; if "$@"; then pass "$name"; else fail "$name" "see $OUT"; fi; }
# tiny sizes: a few milliseconds per measurement, about a second in all
SHORT="--tokens 4 --stream-mib 4 --seconds 0.01"
NUM='[0-9][0-9]*\.[0-9][0-9]*'

"$QLM" bench --help > "$OUT/help.txt" 2>&1; rc=$?
ok "bench --help documents --isa, --type, --seconds" \
    sh -c "[ $rc -eq 0 ] && grep -q -e '--isa NAME' '$OUT/help.txt' && grep -q -e '--type T' '$OUT/help.txt' && grep -q -e '--seconds S' '$OUT/help.txt'"

# scalar only, two thread counts
"$QLM" bench --kernels --type Q8_0 --isa scalar -t 1,2 $SHORT > "$OUT/scalar.txt" 2> "$OUT/scalar.err"; rc=$?
ok "bench --kernels --isa scalar: exit 0" [ $rc -eq 0 ]
ok "bench --kernels: legend once" [ "$(grep -c '^matvec: GB/s of weights read, % of the read bandwidth' "$OUT/scalar.txt")" -eq 1 ]
ok "bench --kernels --isa scalar: header per thread count, no int8 peak, read bandwidth" \
    sh -c "grep -q '^scalar  1 thread: int8 peak - (no SIMD int8 path); read bandwidth $NUM GB/s' '$OUT/scalar.txt' &&
           grep -q '^scalar  2 threads: int8 peak - (no SIMD int8 path); read bandwidth $NUM GB/s' '$OUT/scalar.txt'"
ok "bench --kernels --isa scalar: Q8_0 lines with % of bw, no % of int8" \
    [ "$(grep -c "^scalar  Q8_0  matvec *$NUM GB/s *[0-9][0-9]*% of bw (.*matmul *$NUM GFLOP/s *- of int8 (" "$OUT/scalar.txt")" -eq 2 ]
ok "bench --kernels --isa scalar: only the filtered lines" [ "$(grep -vc '^matvec: \|^% of\|^$\|^scalar  ' "$OUT/scalar.txt")" -eq 0 ]

# --rows sets the matrix: a 64-row Q8_0 matrix shows in the matmul shape
"$QLM" bench --kernels --type Q8_0 --isa scalar --rows 64 $SHORT > "$OUT/rows.txt" 2>&1; rc=$?
ok "bench --kernels --rows 64: the 64x2048 matrix is timed" sh -c "[ $rc -eq 0 ] && grep -q ', 64x2048 x 4 tok)' '$OUT/rows.txt'"

# --cols sets the values per row (a multiple of 256, so every type's blocks fit)
"$QLM" bench --kernels --type Q4_K --isa scalar --rows 64 --cols 512 $SHORT > "$OUT/cols.txt" 2>&1; rc=$?
ok "bench --kernels --cols 512: the 64x512 matrix is timed" sh -c "[ $rc -eq 0 ] && grep -q ', 64x512 x 4 tok)' '$OUT/cols.txt'"
"$QLM" bench --kernels --cols 300 $SHORT > /dev/null 2> "$OUT/err.txt"; rc=$?
ok "bench --kernels --cols 300: exit 2, says why" sh -c "[ $rc -eq 2 ] && grep -q 'multiple of 256' '$OUT/err.txt'"

# every path this CPU has: a SIMD path has a measured peak and a % of it for Q8_0
"$QLM" bench --kernels --type Q8_0 -t 1 $SHORT > "$OUT/all.txt" 2> "$OUT/all.err"; rc=$?
ok "bench --kernels --type Q8_0 (all paths): exit 0" [ $rc -eq 0 ]
bad=0; n=0
for isa in $(grep ' thread: int8 peak' "$OUT/all.txt" | cut -d' ' -f1); do
    n=$((n + 1))
    [ "$isa" = scalar ] && continue
    if grep -q "^$isa *1 thread: int8 peak - (no dotprod)" "$OUT/all.txt"; then continue; fi
    grep -q "^$isa *1 thread: int8 peak $NUM G MAC/s = $NUM GOP/s (.*); read bandwidth $NUM GB/s" "$OUT/all.txt" || bad=1
    grep -q "^$isa *Q8_0  matvec *$NUM GB/s *[0-9][0-9]*% of bw .*matmul *$NUM GFLOP/s *[0-9][0-9]*% of int8 (" "$OUT/all.txt" || bad=1
done
[ $n -ge 1 ] || bad=1
ok "bench --kernels: each SIMD path has an int8 peak and % columns ($n paths)" [ $bad -eq 0 ]

# float weights: the int8 peak is not their ceiling
"$QLM" bench --kernels --type F16 -t 1 $SHORT > "$OUT/f16.txt" 2> "$OUT/f16.err"; rc=$?
ok "bench --kernels --type F16: exit 0, no % of int8 on any path" \
    sh -c "[ $rc -eq 0 ] && grep -q ' F16   matvec' '$OUT/f16.txt' && ! grep ' F16   matvec' '$OUT/f16.txt' | grep -q '% of int8'"

"$QLM" bench --kernels --isa bogus $SHORT > /dev/null 2> "$OUT/err.txt"; rc=$?
ok "bench --kernels --isa bogus: exit 1, says so" sh -c "[ $rc -eq 1 ] && grep -q \"'bogus' is not available\" '$OUT/err.txt'"
"$QLM" bench --kernels --type Q8_K $SHORT > /dev/null 2> "$OUT/err.txt"; rc=$?
ok "bench --kernels --type Q8_K: exit 1, says so" sh -c "[ $rc -eq 1 ] && grep -q \"no kernel benchmark for type 'Q8_K'\" '$OUT/err.txt'"
"$QLM" bench --isa scalar 2> "$OUT/err.txt"; rc=$?
ok "bench --isa without --kernels: exit 2" sh -c "[ $rc -eq 2 ] && grep -q 'goes with --kernels' '$OUT/err.txt'"
"$QLM" bench --kernels -m x.gguf 2> "$OUT/err.txt"; rc=$?
ok "bench --kernels -m: exit 2" [ $rc -eq 2 ]
"$QLM" bench --kernels --seconds 0 2> "$OUT/err.txt"; rc=$?
ok "bench --kernels --seconds 0: exit 2" [ $rc -eq 2 ]
