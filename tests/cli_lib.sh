# Helpers for shell tests: source this, then call pass/fail/skip.
# $QLM is the binary under test; ../shared (or $QLM_SHARED) holds the data.
QLM=${QLM:-./qlm}
SHARED=${QLM_SHARED:-../shared}
OUT=tests/out/$(basename "$0" .sh)
mkdir -p "$OUT"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
# check NAME CONDITION-COMMAND... : pass when the command succeeds
check() { name=$1; shift; if "$@"; then pass "$name"; else fail "$name" "command failed: $*"; fi; }
