#!/bin/sh
# qlm serve on a free loopback port, driven by curl, Node's http module and the official
# openai npm client (installed into tests/out from the npm registry; skipped offline).
. tests/cli_lib.sh
M=$SHARED/models/stories260K/stories260K.gguf
if [ ! -f "$M" ]; then skip "serve" "$M is absent"; exit 0; fi
if ! command -v node >/dev/null 2>&1; then skip "serve" "node is not installed"; exit 0; fi
if ! command -v curl >/dev/null 2>&1; then skip "serve" "curl is not installed"; exit 0; fi

start_server() { # extra args...; sets PID and PORT
    rm -f "$OUT/port"
    "$QLM" serve -m "$M" --port 0 --port-file "$OUT/port" -t 2 "$@" 2>> "$OUT/server.log" &
    PID=$!
    i=0
    while [ ! -s "$OUT/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    PORT=$(cat "$OUT/port" 2>/dev/null)
}
stop_server() {
    kill -TERM "$PID" 2>/dev/null
    wait "$PID"
    rc=$?
    check "serve: exits cleanly on SIGTERM (status $rc)" [ "$rc" -eq 0 ]
}
client() { node tests/serve_client.mjs "$PORT" "$@"; }
field() { node -e 'const j=JSON.parse(require("fs").readFileSync(0,"utf8")); process.stdout.write(String(j[process.argv[1]]))' "$1"; }

: > "$OUT/server.log"
start_server -np 2
if [ -z "$PORT" ]; then fail "serve: starts and listens" "no port (see $OUT/server.log)"; kill "$PID" 2>/dev/null; exit 0; fi
pass "serve: starts and listens on 127.0.0.1:$PORT"

check "serve: GET /health" [ "$(curl -s "http://127.0.0.1:$PORT/health")" = '{"status":"ok"}' ]
check "serve: GET /v1/models lists the model" grep -q stories260K.gguf <<EOF
$(curl -s "http://127.0.0.1:$PORT/v1/models")
EOF

# completions: the same text as `qlm run` with the same seed and settings
"$QLM" run -m "$M" -p "Once upon a time" -n 40 --seed 42 2>/dev/null > "$OUT/run.txt"
want=$(tail -c +17 "$OUT/run.txt") # drop the 16-byte prompt
curl -s "http://127.0.0.1:$PORT/v1/completions" -H 'Content-Type: application/json' \
    -d '{"prompt":"Once upon a time","max_tokens":40,"seed":42}' > "$OUT/c1.json"
got=$(node -e 'const j=JSON.parse(require("fs").readFileSync(0,"utf8")); process.stdout.write(j.choices[0].text)' < "$OUT/c1.json")
if [ -n "$want" ] && [ "$got" = "$want" ]; then pass "serve: curl completion == qlm run, same seed"
else fail "serve: curl completion == qlm run, same seed" "got '$got' want '$want'"; fi
got_s=$(client complete "Once upon a time" 40 42 1 | field text)
check "serve: streamed completion == qlm run" [ "$got_s" = "$want" ]
chat1=$(client chat "Tell me a story" 30 7 0 | field text)
chat2=$(client chat "Tell me a story" 30 7 1 | field text)
check "serve: chat completion, streamed and not, same text for the same seed" [ -n "$chat1" -a "$chat1" = "$chat2" ]

# the official openai client (npm), installed on demand
NODE_DIR=tests/out/node
if [ ! -d "$NODE_DIR/node_modules/openai" ]; then
    mkdir -p "$NODE_DIR"
    (cd "$NODE_DIR" && npm install --silent --no-audit --no-fund openai@4 > npm.log 2>&1)
fi
if [ -d "$NODE_DIR/node_modules/openai" ]; then
    QLM_NODE_DIR=$(pwd)/$NODE_DIR client openai "Once upon a time" "Tell me a story" 30 7 > "$OUT/openai.json" 2>&1
    oc=$(field completion < "$OUT/openai.json"); ocs=$(field completion_stream < "$OUT/openai.json")
    och=$(field chat < "$OUT/openai.json"); ochs=$(field chat_stream < "$OUT/openai.json")
    ref=$(client complete "Once upon a time" 30 7 0 | field text)
    check "serve: openai client completions (plain and streamed) == curl" [ -n "$ref" -a "$oc" = "$ref" -a "$ocs" = "$ref" ]
    check "serve: openai client chat (plain and streamed) == curl" [ -n "$chat1" -a "$och" = "$chat1" -a "$ochs" = "$chat1" ]
else
    skip "serve: openai npm client" "npm install openai failed (offline?): see $NODE_DIR/npm.log"
fi

# load and abuse
res=$(client concurrent 8 20)
check "serve: 8 concurrent clients x 20 requests, all valid JSON" [ "$(echo "$res" | field ok)" = true ]
res=$(client bad)
check "serve: malformed requests get 4xx JSON errors ($res)" [ "$(echo "$res" | field ok)" = true ]
res=$(client slow)
check "serve: a client sending one byte a second does not block others" [ "$(echo "$res" | field ok)" = true ]
res=$(client disconnect)
check "serve: a client that disconnects mid-stream frees its slot" [ "$(echo "$res" | field ok)" = true ]
printf 'GARBAGE\r\n\r\n' | curl -s --max-time 5 "telnet://127.0.0.1:$PORT" > "$OUT/garbage.txt" 2>/dev/null
check "serve: garbage instead of HTTP gets a 400" grep -q "400" "$OUT/garbage.txt"
check "serve: still healthy after all that" [ "$(curl -s "http://127.0.0.1:$PORT/health")" = '{"status":"ok"}' ]
stop_server

# API key
start_server --api-key sekret
check "serve --api-key: no token -> 401" [ "$(client status GET /health | field status)" = 401 ]
check "serve --api-key: wrong token -> 401" [ "$(client status POST /v1/completions 'Bearer nope' | field status)" = 401 ]
check "serve --api-key: right token -> 200" [ "$(client status POST /v1/completions 'Bearer sekret' | field status)" = 200 ]
stop_server
check "serve: binds to 127.0.0.1 by default" grep -q "http://127.0.0.1:" "$OUT/server.log"
