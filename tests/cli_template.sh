#!/bin/sh
# qlm template from the command line: exact output (no newline added), messages as an
# array, an object or stdin, raise_exception, --now, -m with a GGUF's template, errors.
QLM=${QLM:-./qlm}
SHARED=${QLM_SHARED:-../shared}
OUT=tests/out/cli_template
mkdir -p "$OUT"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
# expect NAME WANT GOT
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "want '$2', got '$3'"; fi; }
# same_file NAME WANT_FILE GOT_FILE: byte for byte
same_file() { if cmp -s "$2" "$3"; then pass "$1"; else fail "$1" "$(od -c "$3" | head -3 | tr '\n' ' ')"; fi; }

if ! "$QLM" template --help > "$OUT/help.txt" 2>&1; then
    skip "template" "this qlm has no template command"
    exit 0
fi
if grep -q -e --messages "$OUT/help.txt"; then pass "template --help"; else fail "template --help" "no --messages in the help"; fi

# usage errors: exit 2 with a one-line message
"$QLM" template 2> "$OUT/err.txt"; expect "template: no arguments -> exit 2" 2 $?
"$QLM" template --template t.jinja 2> "$OUT/err.txt"; expect "template: no --messages -> exit 2" 2 $?
"$QLM" template -m a.gguf --template t.jinja --messages m.json 2> "$OUT/err.txt"; expect "template: -m and --template -> exit 2" 2 $?
"$QLM" template --template t.jinja --messages m.json --bogus 2> "$OUT/err.txt"; rc=$?
if [ $rc -eq 2 ] && grep -q -e --bogus "$OUT/err.txt"; then pass "template: unknown option named, exit 2"; else fail "template: unknown option" "rc=$rc"; fi
"$QLM" template --template t.jinja --messages 2> "$OUT/err.txt"; expect "template: flag without value -> exit 2" 2 $?
"$QLM" template --template t.jinja --messages m.json --now 2026-13-40 2> "$OUT/err.txt"; expect "template: bad --now -> exit 2" 2 $?
"$QLM" template --template "$OUT/no-such.jinja" --messages m.json 2> "$OUT/err.txt"; rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l < "$OUT/err.txt")" -eq 1 ] && grep -q no-such "$OUT/err.txt"; then
    pass "template: missing template file -> exit 1, one line"
else
    fail "template: missing template file" "rc=$rc"
fi

# a template of our own: exact bytes, no trailing newline, UTF-8 untouched (lstrip_blocks
# strips spaces before {% %} tags, not before {{ }}; expected texts are Python Jinja2's)
printf '%s\n' '{{- bos_token }}{% for m in messages %}' '  <{{ m.role }}>{{ m.content | trim }}' \
    '{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}{% if tools %}{{ tools|tojson }}{% endif %}' > "$OUT/t.jinja"
printf '[{"role": "user", "content": " Hi \\u00e9 "}, {"role": "assistant", "content": "Yo"}]' > "$OUT/m.json"
"$QLM" template --template "$OUT/t.jinja" --messages "$OUT/m.json" --bos '<s>' --add-generation-prompt > "$OUT/got1.txt"
expect "template: exit 0" 0 $?
printf '<s>  <user>Hi \303\251\n  <assistant>Yo\n<assistant>' > "$OUT/want1.txt"
same_file "template: exact output, no newline added" "$OUT/want1.txt" "$OUT/got1.txt"
"$QLM" template --template "$OUT/t.jinja" --messages - < "$OUT/m.json" > "$OUT/got2.txt"
printf '  <user>Hi \303\251\n  <assistant>Yo\n' > "$OUT/want2.txt"
same_file "template: messages from stdin, no bos, no generation prompt" "$OUT/want2.txt" "$OUT/got2.txt"
printf '{"messages": [{"role": "user", "content": "x"}], "tools": [{"name": "f", "d": "\\u00fc"}], "bos_token": "B"}' > "$OUT/obj.json"
"$QLM" template --template "$OUT/t.jinja" --messages "$OUT/obj.json" > "$OUT/got3.txt"
printf 'B  <user>x\n[{"name": "f", "d": "\303\274"}]' > "$OUT/want3.txt"
same_file "template: messages object sets any variable (tools, bos_token)" "$OUT/want3.txt" "$OUT/got3.txt"
"$QLM" template --template "$OUT/t.jinja" --messages "$OUT/obj.json" --bos 'F' > "$OUT/got4.txt"
printf 'F  <user>x\n[{"name": "f", "d": "\303\274"}]' > "$OUT/want4.txt"
same_file "template: --bos overrides the object" "$OUT/want4.txt" "$OUT/got4.txt"
printf '"just a string"' > "$OUT/bad.json"
"$QLM" template --template "$OUT/t.jinja" --messages "$OUT/bad.json" 2> "$OUT/err.txt" > "$OUT/got.txt"
expect "template: messages neither array nor object -> exit 1" 1 $?
printf '[{"role": ' > "$OUT/trunc.json"
"$QLM" template --template "$OUT/t.jinja" --messages "$OUT/trunc.json" 2> "$OUT/err.txt" > "$OUT/got.txt"; rc=$?
if [ $rc -eq 1 ] && grep -q "line 1" "$OUT/err.txt"; then pass "template: malformed JSON -> exit 1 with position"; else fail "template: malformed JSON" "rc=$rc $(cat "$OUT/err.txt")"; fi

# errors raised by the template: exit 1, nothing on stdout, the template's message
printf '%s' "{{ 'start' }}{{ raise_exception('No way: ' ~ messages|length) }}" > "$OUT/raise.jinja"
"$QLM" template --template "$OUT/raise.jinja" --messages "$OUT/m.json" > "$OUT/got.txt" 2> "$OUT/err.txt"; rc=$?
if [ $rc -eq 1 ] && [ ! -s "$OUT/got.txt" ] && grep -q "No way: 2" "$OUT/err.txt"; then
    pass "template: raise_exception -> exit 1 with its message, no output"
else
    fail "template: raise_exception" "rc=$rc stdout=$(cat "$OUT/got.txt") stderr=$(cat "$OUT/err.txt")"
fi
printf 'a\n{%% for x in y %%}\n{%% endif %%}' > "$OUT/syntax.jinja"
"$QLM" template --template "$OUT/syntax.jinja" --messages "$OUT/m.json" > "$OUT/got.txt" 2> "$OUT/err.txt"; rc=$?
if [ $rc -eq 1 ] && grep -q "line 3" "$OUT/err.txt" && grep -q "unknown tag 'endif'" "$OUT/err.txt"; then
    pass "template: syntax error -> exit 1 with line"
else
    fail "template: syntax error" "rc=$rc $(cat "$OUT/err.txt")"
fi

# real templates from ../shared/chat-templates
G=$SHARED/chat-templates/google-gemma-2-2b-it.jinja
if [ -f "$G" ]; then
    printf '[{"role": "user", "content": "Hello"}]' > "$OUT/hello.json"
    "$QLM" template --template "$G" --messages "$OUT/hello.json" --bos '<s>' --add-generation-prompt > "$OUT/got.txt"
    printf '<s><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n' > "$OUT/want.txt"
    same_file "template: gemma-2 renders like transformers" "$OUT/want.txt" "$OUT/got.txt"
    printf '[{"role": "system", "content": "S"}, {"role": "user", "content": "Hello"}]' > "$OUT/sys.json"
    "$QLM" template --template "$G" --messages "$OUT/sys.json" > "$OUT/got.txt" 2> "$OUT/err.txt"; rc=$?
    if [ $rc -eq 1 ] && grep -q "System role not supported" "$OUT/err.txt"; then
        pass "template: gemma-2 raises 'System role not supported'"
    else
        fail "template: gemma-2 system role" "rc=$rc $(cat "$OUT/err.txt")"
    fi
else
    skip "template: gemma-2" "$G is absent"
fi
L=$SHARED/chat-templates/meta-llama-Llama-3.2-3B-Instruct.jinja
if [ -f "$L" ]; then
    "$QLM" template --template "$L" --messages "$OUT/m.json" --now '2026-11-26 09:30' > "$OUT/got.txt"
    if grep -q "Today Date: 26 Nov 2026" "$OUT/got.txt"; then pass "template: --now feeds strftime_now"; else fail "template: --now" "$(head -c 200 "$OUT/got.txt")"; fi
else
    skip "template: llama 3.2" "$L is absent"
fi

# -m: the template and the BOS/EOS texts come from the GGUF
V=$SHARED/vocab/ggml-vocab-phi-3.gguf
if [ -f "$V" ]; then
    printf '[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]' > "$OUT/phi.json"
    "$QLM" template -m "$V" --messages "$OUT/phi.json" --add-generation-prompt > "$OUT/got.txt" 2> "$OUT/err.txt"; rc=$?
    printf '<s><|user|>\nHi<|end|>\n<|assistant|>\n' > "$OUT/want.txt"
    if [ $rc -eq 0 ]; then same_file "template: -m uses the GGUF's template and BOS" "$OUT/want.txt" "$OUT/got.txt"
    else fail "template: -m" "rc=$rc $(cat "$OUT/err.txt")"; fi
else
    skip "template: -m" "$V is absent"
fi
S=$SHARED/models/stories260K/stories260K.gguf
if [ -f "$S" ]; then
    "$QLM" template -m "$S" --messages "$OUT/m.json" > "$OUT/got.txt" 2> "$OUT/err.txt"; rc=$?
    if [ $rc -eq 1 ] && grep -q "chat_template" "$OUT/err.txt"; then pass "template: -m without a template -> exit 1"; else fail "template: -m without template" "rc=$rc"; fi
else
    skip "template: -m without a template" "$S is absent"
fi
"$QLM" template -m "$OUT/no-such.gguf" --messages "$OUT/m.json" > "$OUT/got.txt" 2> "$OUT/err.txt"
expect "template: -m missing file -> exit 1" 1 $?
