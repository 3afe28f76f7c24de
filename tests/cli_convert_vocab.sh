#!/bin/sh
# qlm convert --vocab-only from the command line: a Hugging Face tokenizer folder becomes
# a vocabulary-only GGUF that qlm tokenize reads; errors are one line with exit 1 / 2.
QLM=${QLM:-./qlm}
SHARED=${QLM_SHARED:-../shared}
OUT=tests/out/cli_convert_vocab
mkdir -p "$OUT"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "want '$2', got '$3'"; fi; }
# one_line_error NAME WANT_RC RC FILE NEEDLE
one_line_error() {
    if [ "$3" -eq "$2" ] && [ "$(wc -l < "$4")" -eq 1 ] && grep -q -e "$5" "$4"; then pass "$1"
    else fail "$1" "rc=$3, stderr: $(cat "$4")"; fi
}

"$QLM" convert --help > "$OUT/help.txt" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q -e --vocab-only "$OUT/help.txt"; then pass "convert --help names --vocab-only"
else fail "convert --help" "rc=$rc"; fi

mkdir -p "$OUT/empty"
rm -f "$OUT/empty.gguf"
"$QLM" convert --vocab-only "$OUT/empty" -o "$OUT/empty.gguf" 2> "$OUT/err.txt"; rc=$?
one_line_error "convert --vocab-only: folder without a tokenizer -> exit 1, one line" 1 $rc "$OUT/err.txt" "neither tokenizer.json nor tokenizer.model"
[ -e "$OUT/empty.gguf" ] && fail "convert --vocab-only: no output on error" "file written" || pass "convert --vocab-only: no output on error"

mkdir -p "$OUT/bad"
printf '{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}, "pre_tokenizer": {"type": "ByteLevel"}}' > "$OUT/bad/tokenizer.json"
"$QLM" convert --vocab-only "$OUT/bad" -o "$OUT/bad.gguf" 2> "$OUT/err.txt"; rc=$?
one_line_error "convert --vocab-only: bad merge named, exit 1" 1 $rc "$OUT/err.txt" "merges\[0\] uses 'b'"

T=$SHARED/tokenizers/qwen3
if [ -f "$T/tokenizer.json" ]; then
    "$QLM" convert --vocab-only "$T" -o "$OUT/qwen3.gguf" 2> "$OUT/err.txt"; rc=$?
    expect "convert --vocab-only qwen3: exit 0" 0 $rc
    # the first of llama.cpp's strings with a known answer: "Hello world" -> 9707 1879
    expect "qwen3 vocabulary: Hello world" "9707 1879" "$("$QLM" tokenize -m "$OUT/qwen3.gguf" -p 'Hello world' --no-bos)"
    expect "qwen3 vocabulary: <|im_end|> with --special" "151645" "$("$QLM" tokenize -m "$OUT/qwen3.gguf" -p '<|im_end|>' --special --no-bos)"
    "$QLM" info "$OUT/qwen3.gguf" > "$OUT/info.txt" 2>&1
    if grep -q 'tokenizer.ggml.pre *"qwen2"' "$OUT/info.txt" && grep -q 'tokenizer.chat_template ' "$OUT/info.txt"; then
        pass "qwen3 vocabulary: pre qwen2 and a chat template"
    else fail "qwen3 vocabulary: metadata" "$(head -20 "$OUT/info.txt")"; fi
else
    skip "convert --vocab-only qwen3" "$T is absent"
fi
