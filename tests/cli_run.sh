#!/bin/sh
# qlm run / logits / info from the command line: reference texts, exit codes, errors.
. tests/cli_lib.sh
M=$SHARED/models/stories260K/stories260K.gguf
REF=$SHARED/models/stories260K/ref

# usage errors exit 2 with a message, --help exits 0
"$QLM" run --help > "$OUT/help.txt" 2>&1; rc=$?
check "run --help exits 0 and documents --temp" [ $rc -eq 0 -a -n "$(grep -e --temp "$OUT/help.txt")" ]
"$QLM" run -m x.gguf --bogus 2> "$OUT/err.txt"; rc=$?
check "run: unknown flag -> exit 2 with its name" [ $rc -eq 2 -a -n "$(grep -e --bogus "$OUT/err.txt")" ]
"$QLM" run -m x.gguf --temp abc 2> "$OUT/err.txt"; rc=$?
check "run: bad --temp value -> exit 2" [ $rc -eq 2 -a -n "$(grep temp "$OUT/err.txt")" ]
"$QLM" run -m x.gguf -n -5 2> "$OUT/err.txt"; rc=$?
check "run: negative -n -> exit 2" [ $rc -eq 2 ]
"$QLM" run 2> "$OUT/err.txt"; rc=$?
check "run: no model -> exit 2" [ $rc -eq 2 ]
"$QLM" run -m /nonexistent.gguf 2> "$OUT/err.txt"; rc=$?
check "run: missing file -> exit 1, one line naming it" [ $rc -eq 1 -a "$(wc -l < "$OUT/err.txt")" -eq 1 -a -n "$(grep nonexistent.gguf "$OUT/err.txt")" ]
"$QLM" frobnicate 2> /dev/null; rc=$?
check "unknown command -> exit 2" [ $rc -eq 2 ]

if [ ! -f "$M" ]; then
    skip "run: stories260K reference texts" "$M is absent"
    exit 0
fi

# a malformed file through the CLI: exit 1, one line
head -c 1000 "$M" > "$OUT/trunc.gguf"
"$QLM" run -m "$OUT/trunc.gguf" 2> "$OUT/err.txt"; rc=$?
check "run: truncated GGUF -> exit 1, one line" [ $rc -eq 1 -a "$(wc -l < "$OUT/err.txt")" -eq 1 ]
"$QLM" info "$OUT/trunc.gguf" > /dev/null 2> "$OUT/err.txt"; rc=$?
check "info: truncated GGUF -> exit 1, one line" [ $rc -eq 1 -a "$(wc -l < "$OUT/err.txt")" -eq 1 ]

# -v names the kernel path: forced scalar has no tile units; QLM_AMX=0 has none either
QLM_ISA=scalar "$QLM" run -m "$M" --temp 0 -n 2 -v > /dev/null 2> "$OUT/v.err"
check "run -v: QLM_ISA=scalar -> 'kernels scalar', nothing added" [ -n "$(grep -E 'kernels scalar$' "$OUT/v.err")" ]
QLM_AMX=0 "$QLM" run -m "$M" --temp 0 -n 2 -v > /dev/null 2> "$OUT/v.err"
check "run -v: QLM_AMX=0 -> no tile units named" [ -n "$(grep -E 'kernels (scalar|avx2|avx512|neon)$' "$OUT/v.err")" ]
# -v ends with the weights' page size where /proc/self/smaps tells it (Linux)
if [ -r /proc/self/smaps ]; then
    check "run -v: 'weights in 2 MiB pages: N of M MiB (mapped file)'" \
        [ -n "$(grep -E '^qlm: weights in 2 MiB pages: [0-9]+ of [0-9]+ MiB \(mapped file\)$' "$OUT/v.err")" ]
else
    skip "run -v: weights' page size" "no /proc/self/smaps here"
fi

# greedy from BOS, 200 new tokens: llama2.c's expected text, byte for byte
"$QLM" run -m "$M" --temp 0 -n 200 -t 2 > "$OUT/greedy.txt" 2> "$OUT/greedy.err"
if cmp -s "$OUT/greedy.txt" "$REF/UPSTREAM_llama2c_test_all_py.run_t0_n200.expected.txt"; then
    pass "run: greedy -n 200 from BOS == llama2.c expected text"
else
    fail "run: greedy -n 200 from BOS == llama2.c expected text" "differs (see $OUT/greedy.txt)"
fi
check "run: timings on stderr" grep -q "tok/s" "$OUT/greedy.err"
"$QLM" run -m "$M" --temp 0 -n 200 -t 1 --kv f32 > "$OUT/greedy32.txt" 2>/dev/null
check "run: --kv f32, 1 thread: same greedy text" cmp -s "$OUT/greedy32.txt" "$REF/UPSTREAM_llama2c_test_all_py.run_t0_n200.expected.txt"
"$QLM" run -m "$M" --temp 0 -n 200 -t 2 --no-mmap > "$OUT/greedy_read.txt" 2>/dev/null
check "run --no-mmap (file read into memory): same greedy text" cmp -s "$OUT/greedy_read.txt" "$REF/UPSTREAM_llama2c_test_all_py.run_t0_n200.expected.txt"
"$QLM" run -m "$OUT/trunc.gguf" --no-mmap 2> "$OUT/err.txt"; rc=$?
check "run --no-mmap: truncated GGUF -> exit 1, one line" [ $rc -eq 1 -a "$(wc -l < "$OUT/err.txt")" -eq 1 ]
"$QLM" run -m "$M" --temp 0 -n 200 -t 2 --repack > "$OUT/greedy_repack.txt" 2>/dev/null
check "run --repack: same greedy text (stories260K has F32 weights: nothing to regroup)" cmp -s "$OUT/greedy_repack.txt" "$REF/UPSTREAM_llama2c_test_all_py.run_t0_n200.expected.txt"

# llama2.c's sampler settings reproduce its sampled story (top-p 0.9, seed 133742)
"$QLM" run -m "$M" --temp 1 --top-p 0.9 --top-k 0 --min-p 0 --seed 133742 -n 256 --kv f32 > "$OUT/sampled.txt" 2>/dev/null
if [ "$(cat "$OUT/sampled.txt")" = "$(cat "$REF/llama2c_run_t1.0_p0.9_s133742.stdout.txt")" ]; then
    pass "run: --temp 1 --top-p 0.9 --seed 133742 == llama2.c sampled text"
else
    fail "run: --temp 1 --top-p 0.9 --seed 133742 == llama2.c sampled text" "differs (see $OUT/sampled.txt)"
fi
"$QLM" run -m "$M" --seed 7 -n 50 > "$OUT/s1.txt" 2>/dev/null
"$QLM" run -m "$M" --seed 7 -n 50 > "$OUT/s2.txt" 2>/dev/null
check "run: same seed, same text" cmp -s "$OUT/s1.txt" "$OUT/s2.txt"
"$QLM" run -m "$M" -p "Once upon a time" --temp 0 -n 20 > "$OUT/prompt.txt" 2>/dev/null
check "run: prompt printed first, then the continuation" grep -q "^Once upon a time, there was" "$OUT/prompt.txt"

# logits: size [n][512] f32, written atomically
"$QLM" logits -m "$M" --tokens 1,403,407,261,378 -o "$OUT/l.f32" --kv f32 2> "$OUT/err.txt"; rc=$?
check "logits: writes 5 x 512 float32" [ $rc -eq 0 -a "$(wc -c < "$OUT/l.f32")" -eq 10240 ]
"$QLM" logits -m "$M" --tokens 1,99999 -o "$OUT/bad.f32" 2> "$OUT/err.txt"; rc=$?
check "logits: out-of-range id -> exit 1, no output file" [ $rc -eq 1 -a ! -e "$OUT/bad.f32" ]
"$QLM" logits -m "$M" --tokens 1,x -o "$OUT/bad.f32" 2> /dev/null; rc=$?
check "logits: malformed --tokens -> exit 2" [ $rc -eq 2 ]

# info: summary and tensor table
"$QLM" info "$M" > "$OUT/info.txt" 2>&1; rc=$?
check "info: architecture, shape and tensor totals" [ $rc -eq 0 -a -n "$(grep 'n_layer 5' "$OUT/info.txt")" -a -n "$(grep 'total: 48 tensors' "$OUT/info.txt")" ]
