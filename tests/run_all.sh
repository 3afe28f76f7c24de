#!/bin/sh
# Runs every test program in $BUILD/tests and every tests/cli_*.sh script, then prints
# one line "N passed, N failed, N skipped". Exit status is nonzero when anything failed.
# Each program prints PASS/FAIL/SKIP lines (tests/harness.h); a program that dies
# without printing its failure (a crash, a sanitizer report) counts as one failure.
# Where coreutils' timeout exists, a program still running after QLM_TEST_TIMEOUT
# seconds (default 900; the slowest takes about a minute under the sanitizers) is
# killed and counted as failed, with the case it was in (QLM_TEST_TRACE, tests/harness.h).
BUILD=${BUILD:-build}
QLM=${QLM:-$(pwd)/qlm}
export QLM
mkdir -p tests/out
log=tests/out/run_all.log
: > "$log"
pass=0; fail=0; skip=0
limit=${QLM_TEST_TIMEOUT:-900}
guard=
if command -v timeout > /dev/null 2>&1; then guard="timeout -k 10 $limit"; fi
QLM_TEST_TRACE=1
export QLM_TEST_TRACE
run_one() {
    name=$1; shift
    out=tests/out/$(basename "$name").out
    $guard "$@" > "$out" 2> "$out.err"
    rc=$?
    cat "$out"
    p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^SKIP ' "$out")
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    if [ -n "$guard" ] && { [ $rc -eq 124 ] || [ $rc -eq 137 ]; }; then
        echo "FAIL $name: killed after $limit s, in case: $(grep '^START ' "$out.err" | tail -n 1 | cut -c7-)"
        fail=$((fail + 1))
    elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exited with status $rc"
        grep -v '^START ' "$out.err" | sed 's/^/    /' | tail -n 20
        fail=$((fail + 1))
    elif [ "$f" -ne 0 ]; then
        grep -v '^START ' "$out.err" | sed 's/^/    /' | tail -n 10
    fi
}
for t in "$BUILD"/tests/test_*; do
    case "$t" in *.d|*.o) continue;; esac
    [ -x "$t" ] || continue
    run_one "$t" "$t"
done
for s in tests/cli_*.sh; do
    [ -f "$s" ] || continue
    run_one "$s" sh "$s"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
