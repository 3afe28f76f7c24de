#!/bin/sh
# Runs every test program in $BUILD/tests and every tests/cli_*.sh script, then prints
# one line "N passed, N failed, N skipped". Exit status is nonzero when anything failed.
# Each program prints PASS/FAIL/SKIP lines (tests/harness.h); a program that dies
# without printing its failure (a crash, a sanitizer report) counts as one failure.
BUILD=${BUILD:-build}
QLM=${QLM:-$(pwd)/qlm}
export QLM
mkdir -p tests/out
log=tests/out/run_all.log
: > "$log"
pass=0; fail=0; skip=0
run_one() {
    name=$1; shift
    out=tests/out/$(basename "$name").out
    "$@" > "$out" 2> "$out.err"
    rc=$?
    cat "$out"
    p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^SKIP ' "$out")
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exited with status $rc"
        sed 's/^/    /' "$out.err" | tail -n 20
        fail=$((fail + 1))
    elif [ "$f" -ne 0 ]; then
        sed 's/^/    /' "$out.err" | tail -n 10
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
