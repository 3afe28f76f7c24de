#!/bin/bash
# Alternating A/B runs of qlm builds on this machine, whose speed drifts over minutes:
# N rounds of "A, then B (then C ...)", each run's pp/tg t/s collected per binary.
#
#   bash bench/ab.sh N QLM_A QLM_B [QLM_C ...] -- bench -m FILE -p 0 -n 64 -t 1 -r 1
#
# Prints one line per binary with its N figures in run order. Environment variables
# (QLM_ISA, QLM_AMX) apply to all. Not run by the tests.
set -uo pipefail
usage() { sed -n '2,8p' "$0" >&2; exit 2; }
[ $# -ge 4 ] || usage
n=$1
shift
bins=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do bins+=("$1"); shift; done
[ $# -gt 0 ] && [ ${#bins[@]} -ge 2 ] || usage
shift
for ((i = 0; i < n; i++)); do
    for x in "${bins[@]}"; do
        # the t/s column is the one after the test name (ppN/tgN), wherever options
        # such as --kv add columns before it
        v=$("$x" "$@" 2>/dev/null | grep -E '\| +(pp|tg)[0-9]+ +\|' |
            awk -F'|' '{for (i = 2; i < NF; i++) if ($i ~ /^ *(pp|tg)[0-9]+ *$/) {split($(i + 1), f, " "); print f[1]}}' | tr '\n' ' ')
        echo "$x $v"
    done
done | awk '{k = $1; if (!(k in r)) order[++m] = k; for (i = 2; i <= NF; i++) r[k] = r[k] " " $i}
            END {for (j = 1; j <= m; j++) print order[j] ":" r[order[j]]}'
