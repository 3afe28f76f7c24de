#!/bin/sh
# qlm tokenize from the command line: ids, BOS, special tokens, pieces, files, errors.
QLM=${QLM:-./qlm}
SHARED=${QLM_SHARED:-../shared}
OUT=tests/out/cli_tokenize
mkdir -p "$OUT"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
# expect NAME WANT GOT
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "want '$2', got '$3'"; fi; }

"$QLM" tokenize --help > "$OUT/help.txt" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q -e --special "$OUT/help.txt"; then pass "tokenize --help"; else fail "tokenize --help" "rc=$rc"; fi
"$QLM" tokenize -p hi 2> "$OUT/err.txt"; rc=$?
expect "tokenize: no model -> exit 2" 2 $rc
"$QLM" tokenize -m x.gguf 2> "$OUT/err.txt"; rc=$?
expect "tokenize: no text -> exit 2" 2 $rc
"$QLM" tokenize -m x.gguf -p a -f b 2> "$OUT/err.txt"; rc=$?
expect "tokenize: -p and -f -> exit 2" 2 $rc
"$QLM" tokenize -m x.gguf -p a --bogus 2> "$OUT/err.txt"; rc=$?
if [ $rc -eq 2 ] && grep -q -e --bogus "$OUT/err.txt"; then pass "tokenize: unknown option named, exit 2"; else fail "tokenize: unknown option" "rc=$rc"; fi
"$QLM" tokenize -m /nonexistent.gguf -p a 2> "$OUT/err.txt"; rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l < "$OUT/err.txt")" -eq 1 ] && grep -q nonexistent "$OUT/err.txt"; then
    pass "tokenize: missing model -> exit 1, one line"
else
    fail "tokenize: missing model" "rc=$rc"
fi

M=$SHARED/models/stories260K/stories260K.gguf
if [ -f "$M" ]; then
    expect "tokenize: stories260K 'Once upon a time' with BOS" "1 403 407 261 378" "$("$QLM" tokenize -m "$M" -p 'Once upon a time')"
    expect "tokenize: --no-bos" "403 407 261 378" "$("$QLM" tokenize -m "$M" -p 'Once upon a time' --no-bos)"
    printf 'Once upon a time' > "$OUT/prompt.txt"
    expect "tokenize: -f FILE" "1 403 407 261 378" "$("$QLM" tokenize -m "$M" -f "$OUT/prompt.txt")"
    expect "tokenize: á is 410 198 164" "410 198 164" "$("$QLM" tokenize -m "$M" -p 'á' --no-bos)"
    "$QLM" tokenize -m "$M" -p 'Once' --pieces > "$OUT/pieces.txt"
    expect "tokenize: --pieces" "$(printf "1\t'<s>'\n403\t' Once'")" "$(cat "$OUT/pieces.txt")"
    expect "tokenize: empty text is BOS only" "1" "$("$QLM" tokenize -m "$M" -p '')"
    "$QLM" tokenize -m "$M" -f "$OUT/no-such-file.txt" 2> "$OUT/err.txt"; rc=$?
    expect "tokenize: unreadable -f -> exit 1" 1 $rc
else
    skip "tokenize: stories260K" "$M is absent"
fi

V=$SHARED/vocab/ggml-vocab-llama-spm.gguf
if [ -f "$V" ]; then
    expect "tokenize: --special turns <s> into BOS" "1 15043" "$("$QLM" tokenize -m "$V" -p '<s>Hello' --no-bos --special)"
    got=$("$QLM" tokenize -m "$V" -p '<s>Hello' --no-bos)
    case " $got " in *" 1 "*) fail "tokenize: without --special <s> is text" "$got";; *) pass "tokenize: without --special <s> is text";; esac
else
    skip "tokenize: llama-spm vocabulary" "$V is absent"
fi

G=$SHARED/vocab/ggml-vocab-gpt-2.gguf
if [ -f "$G" ]; then
    expect "tokenize: gpt-2 (no BOS by default)" "15496 995" "$("$QLM" tokenize -m "$G" -p 'Hello world')"
else
    skip "tokenize: gpt-2 vocabulary" "$G is absent"
fi

F=$SHARED/fixtures/llamacpp-gguf/llama.gguf
if [ -f "$F" ]; then
    "$QLM" tokenize -m "$F" -p hi 2> "$OUT/err.txt"; rc=$?
    if [ $rc -eq 1 ] && [ "$(wc -l < "$OUT/err.txt")" -eq 1 ]; then pass "tokenize: file without tokenizer -> exit 1, one line"
    else fail "tokenize: file without tokenizer" "rc=$rc: $(cat "$OUT/err.txt")"; fi
fi
