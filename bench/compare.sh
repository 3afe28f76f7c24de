#!/bin/bash
# qlm beside its peers on the same GGUF files: `qlm bench` and each peer's llama-bench
# (llama.cpp, ik_llama.cpp), run back to back in alternating order, with the read
# bandwidth probed before every engine's run (this machine's bandwidth drifts by 2x over
# minutes, and generation speed follows it).
#
#   LLAMA_BENCH=/path/llama-bench IK_BENCH=/path/ik/llama-bench \
#       bash bench/compare.sh [-t THREADS] [-p N] [-n N] [-r N] [--passes N] [--qlm-rtr] FILE...
#
# The peers are built outside this repository (CPU-only); an engine whose variable is
# unset or not executable is skipped. ik_llama.cpp runs twice per pass: plain and with
# -rtr 1 (repack at load). Pass k runs the engines in one order, pass k+1 in the reverse
# one; everything goes to stdout (markdown rows as each tool prints them), so the log is
# the record. --qlm-rtr: qlm runs twice too, the second time with -rtr 1 (its own
# --repack: weights rearranged at load; the md rows then have an rtr column). Not run by
# the tests.
set -uo pipefail
cd "$(dirname "$0")/.."
threads=2 np=512 ng=128 reps=3 passes=2 qlm_rtr=0
files=()
while [ $# -gt 0 ]; do
    case $1 in
        -t) threads=$2; shift 2 ;;
        -p) np=$2; shift 2 ;;
        -n) ng=$2; shift 2 ;;
        -r) reps=$2; shift 2 ;;
        --passes) passes=$2; shift 2 ;;
        --qlm-rtr) qlm_rtr=1; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) files+=("$1"); shift ;;
    esac
done
[ ${#files[@]} -gt 0 ] || { echo "compare.sh: no model files (see --help)" >&2; exit 2; }
[ -x ./qlm ] || { echo "compare.sh: build ./qlm first (make)" >&2; exit 2; }

bw() { ./qlm bench --membw -t "$threads" -r 1 2>/dev/null | tail -n 1 | awk -F'|' '{print $5}' | tr -d ' '; }

run_engine() { # run_engine NAME FILE
    local e=$1 f=$2 b
    b=$(bw)
    echo "-- $e, $(basename "$f"), $threads threads, read bandwidth ${b} GB/s before"
    case $e in
        qlm) ./qlm bench -m "$f" -p "$np" -n "$ng" -t "$threads" -r "$reps" --bw "$b" 2>/dev/null | grep -E '^\| .*(pp|tg)[0-9]'
            if [ "$qlm_rtr" = 1 ]; then
                ./qlm bench -m "$f" -p "$np" -n "$ng" -t "$threads" -r "$reps" --bw "$b" -rtr 1 2>/dev/null | grep -E '^\| .*(pp|tg)[0-9]'
            fi ;;
        llama.cpp) env LD_LIBRARY_PATH="$(dirname "$LLAMA_BENCH")" "$LLAMA_BENCH" -m "$f" -p "$np" -n "$ng" -t "$threads" -r "$reps" 2>/dev/null | grep -E '^\| .*(pp|tg)[0-9]' ;;
        # each peer with its own shared libraries (a build's RUNPATH, or its bin folder)
        ik) env -u LD_LIBRARY_PATH "$IK_BENCH" -m "$f" -p "$np" -n "$ng" -t "$threads" -r "$reps" -rtr 0 2>/dev/null | grep -E '^\| .*(pp|tg)[0-9]'
            env -u LD_LIBRARY_PATH "$IK_BENCH" -m "$f" -p "$np" -n "$ng" -t "$threads" -r "$reps" -rtr 1 2>/dev/null | grep -E '^\| .*(pp|tg)[0-9]' ;;
    esac
}

engines=(qlm)
[ -x "${LLAMA_BENCH:-}" ] && engines+=(llama.cpp)
[ -x "${IK_BENCH:-}" ] && engines+=(ik)
echo "# compare.sh $(date -u '+%Y-%m-%d %H:%M UTC'), qlm $(git rev-parse --short HEAD 2>/dev/null), -t $threads -p $np -n $ng -r $reps"
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
for f in "${files[@]}"; do
    for ((k = 0; k < passes; k++)); do
        order=("${engines[@]}")
        if ((k % 2)); then # reverse
            order=()
            for ((i = ${#engines[@]} - 1; i >= 0; i--)); do order+=("${engines[$i]}"); done
        fi
        echo "## $(basename "$f") pass $((k + 1)): ${order[*]}"
        for e in "${order[@]}"; do run_engine "$e" "$f"; done
    done
done
echo "# read bandwidth after: $(bw) GB/s; load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
