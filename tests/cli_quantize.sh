#!/bin/sh
# qlm quantize from the command line: exit codes, one-line errors, no file left behind
# on failure, the input untouched, output equal to llama.cpp's, progress only on a tty.
. tests/cli_lib.sh
M=$SHARED/models/stories260K/stories260K.gguf
Q=$SHARED/models/stories260K/quant

"$QLM" quantize --help > "$OUT/help.txt" 2>&1; rc=$?
check "quantize --help exits 0 and documents --allow-requantize" [ $rc -eq 0 -a -n "$(grep -e --allow-requantize "$OUT/help.txt")" ]
"$QLM" quantize 2> "$OUT/err.txt"; rc=$?
check "quantize: no arguments -> exit 2" [ $rc -eq 2 -a "$(wc -l < "$OUT/err.txt")" -eq 1 ]
"$QLM" quantize a.gguf b.gguf Q4_0 --bogus 2> "$OUT/err.txt"; rc=$?
check "quantize: unknown option -> exit 2 naming it" [ $rc -eq 2 -a -n "$(grep -e --bogus "$OUT/err.txt")" ]
"$QLM" quantize a.gguf b.gguf Q4_0 -t 0 2> "$OUT/err.txt"; rc=$?
check "quantize: bad -t -> exit 2" [ $rc -eq 2 ]
rm -f "$OUT/out.gguf"
"$QLM" quantize /nonexistent/in.gguf "$OUT/out.gguf" Q4_0 2> "$OUT/err.txt"; rc=$?
check "quantize: missing input -> exit 1, one line naming it, no output" \
    [ $rc -eq 1 -a "$(wc -l < "$OUT/err.txt")" -eq 1 -a -n "$(grep nonexistent/in.gguf "$OUT/err.txt")" -a ! -e "$OUT/out.gguf" ]

if [ ! -f "$M" ]; then
    skip "quantize: stories260K cases" "$M is absent"
    exit 0
fi
sum_before=$(cksum < "$M")

"$QLM" quantize "$M" "$OUT/out.gguf" Q9_X 2> "$OUT/err.txt"; rc=$?
check "quantize: bad type name -> exit 2, one line naming it, no output" \
    [ $rc -eq 2 -a "$(wc -l < "$OUT/err.txt")" -eq 1 -a -n "$(grep Q9_X "$OUT/err.txt")" -a ! -e "$OUT/out.gguf" ]
"$QLM" quantize "$M" "$OUT/out.gguf" Q4_0 --output-type Q3 2> "$OUT/err.txt"; rc=$?
check "quantize: bad --output-type -> exit 2, one line" [ $rc -eq 2 -a "$(wc -l < "$OUT/err.txt")" -eq 1 -a ! -e "$OUT/out.gguf" ]
"$QLM" quantize "$M" "$M" Q4_0 2> "$OUT/err.txt"; rc=$?
check "quantize: output == input refused (exit 2, one line)" [ $rc -eq 2 -a "$(wc -l < "$OUT/err.txt")" -eq 1 ]
ln -sf "$(cd "$(dirname "$M")" && pwd)/$(basename "$M")" "$OUT/link.gguf"
"$QLM" quantize "$M" "$OUT/link.gguf" Q4_0 2> "$OUT/err.txt"; rc=$?
check "quantize: output a symlink to the input refused" [ $rc -eq 2 -a -L "$OUT/link.gguf" ]
rm -f "$OUT/link.gguf"

# a normal run: summary on stdout, nothing on stderr (not a tty), same bytes as llama.cpp
"$QLM" quantize "$M" "$OUT/q4km.gguf" q4_k_m -t 2 > "$OUT/run.txt" 2> "$OUT/run.err"; rc=$?
check "quantize Q4_K_M: exit 0, summary on stdout, stderr empty without a tty" \
    [ $rc -eq 0 -a -n "$(grep 'Q4_K_M\|q4_k_m' "$OUT/run.txt")" -a ! -s "$OUT/run.err" ]
if [ -f "$Q/stories260K.llamaquant-Q4_K_M.mix-Q5_0.gguf" ]; then
    check "quantize Q4_K_M: file identical to llama-quantize's" cmp -s "$OUT/q4km.gguf" "$Q/stories260K.llamaquant-Q4_K_M.mix-Q5_0.gguf"
fi
"$QLM" info "$OUT/q4km.gguf" > "$OUT/info.txt" 2>&1
check "quantize Q4_K_M: general.file_type 15, quantization_version 2" \
    [ -n "$(grep 'general.file_type  *15$' "$OUT/info.txt")" -a -n "$(grep 'general.quantization_version  *2$' "$OUT/info.txt")" ]
ls "$OUT" | grep -q '\.tmp\.' && leftover=yes || leftover=no
check "quantize: no temporary files left behind" [ $leftover = no ]

# requantizing needs the flag
"$QLM" quantize "$M" "$OUT/q8.gguf" Q8_0 > /dev/null 2>&1
rm -f "$OUT/rq.gguf"
"$QLM" quantize "$OUT/q8.gguf" "$OUT/rq.gguf" Q4_0 2> "$OUT/err.txt"; rc=$?
check "quantize: quantized input without --allow-requantize -> exit 1, one line, no output" \
    [ $rc -eq 1 -a "$(wc -l < "$OUT/err.txt")" -eq 1 -a -n "$(grep -e --allow-requantize "$OUT/err.txt")" -a ! -e "$OUT/rq.gguf" ]
"$QLM" quantize "$OUT/q8.gguf" "$OUT/rq.gguf" Q4_0 --allow-requantize > /dev/null 2> "$OUT/err.txt"; rc=$?
check "quantize: --allow-requantize converts it" [ $rc -eq 0 -a -s "$OUT/rq.gguf" ]

# --pure and overrides
"$QLM" quantize "$M" "$OUT/pure.gguf" Q8_0 --pure --embd-type F16 --output-type BF16 > /dev/null 2>&1; rc=$?
"$QLM" info "$OUT/pure.gguf" > "$OUT/pure.txt" 2>&1
check "quantize --embd-type F16 --output-type BF16" \
    [ $rc -eq 0 -a -n "$(grep '^  token_embd.weight  *F16 ' "$OUT/pure.txt")" -a -n "$(grep '^  output.weight  *BF16 ' "$OUT/pure.txt")" ]

check "quantize: the input file is unchanged" [ "$(cksum < "$M")" = "$sum_before" ]

# progress bar on a terminal (script(1) gives the command a pty)
if command -v script > /dev/null 2>&1; then
    script -qec "$QLM quantize $M $OUT/tty.gguf Q4_0" /dev/null > "$OUT/tty.txt" 2>&1
    check "quantize: progress bar on a tty" grep -q '100.0%' "$OUT/tty.txt"
else
    skip "quantize: progress bar on a tty" "script(1) is not installed"
fi
rm -f "$OUT"/*.gguf
