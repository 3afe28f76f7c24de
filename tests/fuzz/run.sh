#!/bin/bash
# Runs fuzzers for a bounded time, one after the other, each on one core.
#   bash tests/fuzz/run.sh SECONDS [NAME ...]     (default: every fuzzer)
# With FUZZ_RUNS=N in the environment a fuzzer also stops after N executions. With
# FUZZ_KEEP_GOING=1 it runs in libFuzzer's fork mode (one worker) and carries on after a
# crash, timeout or out-of-memory, saving each input: for long runs where a known bug
# would otherwise end the search at once.
# Needs `make fuzz` and `bash tests/fuzz/seed.sh` first. Each fuzzer NAME reads its seeds
# (build-fuzz/seeds/NAME), grows its corpus in build-fuzz/corpus/NAME, uses
# tests/fuzz/NAME.dict when there is one, and writes what it finds (crash-*, leak-*,
# timeout-*, oom-*) to build-fuzz/artifacts/NAME/. Its log is build-fuzz/logs/NAME.log.
# Every input a fuzzer saves is replayed once: when its report matches a known bug of
# tests/fuzz/known-crashes.txt (reported, in a file this work does not own) it is listed
# as known; anything else is a new finding. Exit status 1 when there is a new finding;
# to keep one as a regression test, copy it to tests/fuzz/regressions/NAME/.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:?usage: run.sh SECONDS [NAME ...]}
shift
names=${*:-gguf json safetensors config http tokenizer template hf_tokenizer}

# per-target input size limits: large enough for the seeds' structure, small enough
# that each run stays fast
max_len() {
    case $1 in
        gguf) echo 65536 ;;
        json) echo 16384 ;;
        http) echo 20000 ;;   # the 16 KiB head limit must be reachable
        tokenizer) echo 512 ;;
        template) echo 16384 ;;  # the largest real template is 12.5 KB
        hf_tokenizer) echo 131072 ;;  # cut-down real tokenizer.json files are up to ~100 KB
        *) echo 4096 ;;
    esac
}

# known NAME BIN INPUT: replay INPUT (its report goes to INPUT.txt) and tell whether it
# matches a known bug of NAME
known() {
    timeout 120 "$2" -timeout=10 -rss_limit_mb=4096 "$3" > "$3.txt" 2>&1
    local pat
    while IFS=$'\t' read -r name pat; do
        case $name in ''|'#'*) continue ;; esac
        [ "$name" = "$1" ] && grep -qE -- "$pat" "$3.txt" && return 0
    done < tests/fuzz/known-crashes.txt
    return 1
}

status=0
mkdir -p build-fuzz/logs
for n in $names; do
    bin=build-fuzz/fuzz_$n
    [ -x "$bin" ] || { echo "run.sh: $bin missing (make fuzz)" >&2; exit 2; }
    mkdir -p "build-fuzz/corpus/$n" "build-fuzz/artifacts/$n" "build-fuzz/seeds/$n"
    dict=()
    keep=()
    [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && keep=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    [ -f "tests/fuzz/$n.dict" ] && dict=(-dict="tests/fuzz/$n.dict")
    log=build-fuzz/logs/$n.log
    stamp=build-fuzz/logs/$n.start
    touch "$stamp"
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    "$bin" -max_total_time="$secs" -runs="${FUZZ_RUNS:--1}" -seed="${FUZZ_SEED:-0}" -timeout=10 -rss_limit_mb=4096 -max_len="$(max_len "$n")" \
        -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$n/" "${dict[@]}" "${keep[@]}" \
        "build-fuzz/corpus/$n" "build-fuzz/seeds/$n" > "$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
    if [ -z "$runs" ]; then # fork mode: the last status line, "#RUNS: cov: ... time: Ns ..."
        last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1)
        runs=$(printf '%s' "$last" | sed -n 's/^#\([0-9]*\):.*/\1/p')
        took=$(printf '%s' "$last" | sed -n 's/.* time: \([0-9]*\)s.*/\1/p')
    fi
    took=${took:-$secs}
    rate=$(( ${runs:-0} / (took > 0 ? took : 1) ))
    new=$(find "build-fuzz/artifacts/$n" -type f ! -name '*.txt' -newer "$stamp")
    found=$(printf '%s' "$new" | grep -c . || true)
    echo "fuzz_$n: ${runs:-?} runs in ${took}s (${rate}/s), corpus $(ls "build-fuzz/corpus/$n" | wc -l) files, exit $rc"
    unknown=0
    for a in $new; do
        if known "$n" "$bin" "$a"; then
            echo "    known bug (tests/fuzz/known-crashes.txt): $a"
        else
            unknown=1
            echo "    NEW FINDING: $a"
            grep -E 'ERROR|SUMMARY|runtime error|broken' "$a.txt" | head -n 4 | sed 's/^/        /'
        fi
    done
    # a nonzero exit without a saved input (fork mode ends 0 unless it failed itself)
    if [ "$unknown" -ne 0 ] || { [ "$rc" -ne 0 ] && [ "$found" -eq 0 ]; }; then
        status=1
        [ "$found" -eq 0 ] && grep -E 'ERROR|SUMMARY|runtime error|broken' "$log" | head -n 5 | sed 's/^/    /'
    fi
done
exit $status
