#!/bin/bash
# Builds the fuzzers' seed corpora under build-fuzz/seeds/NAME/ from generated files
# (build-fuzz/gen_seeds: tiny models and checkpoints), small files of ../shared (or
# $QLM_SHARED) and a few hand-written inputs. Nothing here is copied into the repository;
# rerunning replaces the seeds (the corpora the fuzzers grow live in build-fuzz/corpus/).
# Usage: bash tests/fuzz/seed.sh   (after `make fuzz`, from the project root)
set -euo pipefail
SHARED=${QLM_SHARED:-../shared}
OUT=build-fuzz/seeds
[ -x build-fuzz/gen_seeds ] || { echo "seed.sh: run 'make fuzz' first" >&2; exit 1; }
rm -rf "$OUT"
for n in gguf json safetensors config tokenizer http template hf_tokenizer; do mkdir -p "$OUT/$n"; done
export LC_ALL=C

# gguf, safetensors: generated tiny files of every kind the readers know; template: the
# real chat templates and their cases' conversations; hf_tokenizer: the real
# tokenizer.json / tokenizer.model files cut down to their first 600 tokens
build-fuzz/gen_seeds "$OUT" "$SHARED"

# copy FILE as seed DIR/NAME when it exists and is small (a seed of megabytes slows
# every mutation of it)
add() { # add DIR NAME FILE
    [ -f "$3" ] || return 0
    [ "$(wc -c < "$3")" -le 65536 ] || return 0
    cp "$3" "$OUT/$1/$2"
    chmod u+w "$OUT/$1/$2"
}

# json: real configs, references, chat-template cases, tokenizer configs
for d in "$SHARED"/fixtures/hf/*/; do
    a=$(basename "$d")
    add json "hf-$a-config.json" "$d/config.json"
    add json "hf-$a-reference.json" "$d/reference.json"
    add json "hf-$a-generation.json" "$d/generation_config.json"
    add config "$a.json" "$d/config.json"
done
for f in "$SHARED"/chat-templates/*.cases.json "$SHARED"/tokenizer-vectors/*.json; do
    add json "$(basename "$f")" "$f"
done
for t in llama3 qwen3; do add json "tokenizer_config-$t.json" "$SHARED/tokenizers/$t/tokenizer_config.json"; done
w() { printf '%b' "$3" > "$OUT/$1/$2"; }
w json numbers.json '[0, -0, 1.5e300, -1e-400, 9223372036854775807, -9223372036854775808, 18446744073709551616, 1E+2, 0.1]'
w json strings.json '["\\u00e9\\ud83d\\ude00", "\\u0000", "tab\\there", "\xc3\xa9\xf0\x9f\x98\x80", "\\ud800"]'
w json nested.json '{"a": [{"b": {"c": [[[[null, true, false]]]]}}], "a": 1, "": {}}'
w json bom.json '\xef\xbb\xbf{"x": "y"}'

# config: the older rope_scaling layout and the gemma3 / gpt2 variants
w config llama3-old-layout.json '{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 4096, "rms_norm_eps": 1e-06, "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}, "tie_word_embeddings": true, "torch_dtype": "bfloat16"}'
w config gpt2-null-inner.json '{"model_type": "gpt2", "n_embd": 64, "n_layer": 2, "n_head": 4, "n_inner": null, "n_positions": 128, "vocab_size": 100, "layer_norm_epsilon": 1e-05}'
w config gemma3-pattern.json '{"model_type": "gemma3_text", "hidden_size": 64, "num_hidden_layers": 7, "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 32, "intermediate_size": 128, "vocab_size": 100, "sliding_window": 16, "sliding_window_pattern": 6, "rope_local_base_freq": 10000.0, "rope_theta": 1000000.0, "query_pre_attn_scalar": 32}'
w config phi3-partial.json '{"model_type": "phi3", "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100, "partial_rotary_factor": 0.5, "rope_parameters": {"rope_theta": 10000.0, "rope_type": "default"}}'

# tokenizer: llama.cpp's 46 test strings (and stories260K's extra ones), one per file,
# plus chat-formatted text with special tokens
split_inp() { # split_inp FILE PREFIX
    [ -f "$1" ] || return 0
    awk -v dir="$OUT/tokenizer" -v p="$2" 'BEGIN { RS = "\n__ggml_vocab_test__\n" }
        { f = sprintf("%s/%s-%02d", dir, p, NR); printf "%s", $0 > f; close(f) }' "$1"
}
split_inp "$SHARED/vocab/ggml-vocab-llama-spm.gguf.inp" vocab
split_inp "$SHARED/vocab/stories260K-tok512-extra.DERIVED.inp" stories
w tokenizer chat-im '<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi \xc3\xa9\xe2\x96\x81!<|im_end|>\n<|im_start|>assistant\n'
w tokenizer chat-llama '<s>[INST] <<SYS>>\nx\n<</SYS>>\n\nHello [/INST] ok </s>'
w tokenizer bert '[CLS] Hello, WORLD! caf\xc3\xa9 na\xc3\xafve [SEP] [MASK]'
w tokenizer bytes '\xff\xfe\x80\xc3\x28 \xf0\x9f\x98\x80\x00\t\r\n   x'

# http: requests the server sees, pipelined, with bodies, and a few malformed ones
w http get 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n'
w http post 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer k\r\nContent-Length: 44\r\n\r\n{"messages":[{"role":"user","content":"hi"}]}'
w http pipelined 'GET /v1/models HTTP/1.1\r\n\r\nPOST /v1/completions?x=1 HTTP/1.1\r\ncontent-length: 2\r\nConnection: keep-alive\r\n\r\n{}GET / HTTP/1.0\r\n\r\n'
w http close 'GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n'
w http chunked 'POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
w http conflicting 'POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'
w http toolarge 'POST /x HTTP/1.1\r\nContent-Length: 100000\r\n\r\n'

# template (mode byte 0 = template text): constructs the real templates use rarely
w template t-loops '\x00{% for m in messages if m.role != "system" %}{{ loop.index0 }}:{{ m.content | trim | upper }}{% if not loop.last %}, {% endif %}{% else %}none{% endfor %}'
w template t-macro '\x00{% macro f(a, b=2) %}{{ a ~ b ~ varargs | length ~ kwargs | tojson }}{% endmacro %}{{ f(1) }}{{ f(1, 3, 4, x=5) }}{% set ns = namespace(c=0) %}{% for i in range(n) %}{% set ns.c = ns.c + i %}{% endfor %}{{ ns.c }}'
w template t-filters '\x00{{ messages | map(attribute="role") | join("|") }} {{ tools | tojson(indent=2) }} {{ "%s-%d" % ("a", 3) }} {{ "abc"[::-1] }} {{ [3,1,2] | sort | list }} {{ {"b": 1, "a": 2} | dictsort }} {{ 7 // 2 }} {{ 2 ** 10 }} {{ "x" * 3 }}'
w template t-raise '\x00{% if messages[0].role == "system" %}{{ raise_exception("no system") }}{% endif %}{{ strftime_now("%Y-%m-%d") }}'
w template t-call '\x00{% macro w() %}[{{ caller() }}]{% endmacro %}{% call w() %}in{% endcall %}{% filter upper %}up{% endfilter %}{% raw %}{{ x }}{% endraw %}{%- if true -%}  trim  {%- endif -%}'

# hf_tokenizer (mode byte 0 = tokenizer.json): the older layouts and the families' markers
w hf_tokenizer json-no-type '\x00{"added_tokens": null, "model": {"vocab": {"a": 0, "b": 1, "ab": 2, "\\u0120": 3}, "merges": ["a b"]}, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}, "decoder": {"type": "ByteLevel"}}'
w hf_tokenizer json-metaspace '\x00{"added_tokens": [{"id": 0, "content": "<unk>", "special": true}, {"id": 5, "content": "<|im_end|>", "special": false}], "normalizer": null, "pre_tokenizer": {"type": "Metaspace", "replacement": "\\u2581", "prepend_scheme": "first", "split": false}, "decoder": {"type": "Metaspace"}, "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true, "vocab": {"<unk>": 0, "<0x41>": 1, "\\u2581": 2, "a": 3, "\\u2581a": 4}, "merges": [["\\u2581", "a"]]}}'
w hf_tokenizer json-starcoder '\x00{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}]}, "model": {"type": "BPE", "ignore_merges": false, "vocab": {"1": 0, "2": 1, "12": 2}, "merges": ["1 2"]}}'

for n in gguf json safetensors config tokenizer http template hf_tokenizer; do
    echo "seeds/$n: $(ls "$OUT/$n" | wc -l) files"
done
