#!/usr/bin/env bash
# One command, one table: octomesh-mcp's tools/call through the gRPC hop and in-process, side by side with the
# official Rust SDK's stateless echo server (shared/bench-peers/rmcp-echo), all measured by the same wrk script.
#
#   bash bench/run.sh            # ~3 min; results in bench/results/
# Env: ONLY (comma list of rows: octomesh-grpc,octomesh-grpc-traced,octomesh-grpc-traced-10pct,octomesh-grpc-tcp,
#      octomesh-inprocess,rmcp-stateless),
#      DUR (seconds per wrk
#      run, default 10), STREAMS (open GET streams for the memory row, default 10000),
#      PEERS (path of shared/bench-peers, default ../shared/bench-peers beside the repo).
# Loopback only. Needs wrk (installed with apt-get if missing) and a Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
HERE=$ROOT/bench
OUT=$HERE/results
PEERS=${PEERS:-$ROOT/../shared/bench-peers}
STREAMS=${STREAMS:-10000}
export DUR=${DUR:-10} WARM=${WARM:-3} C=${C:-32} THREADS=${THREADS:-1} OUTDIR=$OUT
CACHE=${OCTOMESH_BENCH_CACHE:-$HOME/.cache/octomesh-mcp/bench}
rm -rf "$OUT"; mkdir -p "$OUT" "$CACHE"

source .ci/peers-env.sh 2>/dev/null || true
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "== building octomesh-mcp (release)"
cargo build --release --locked --bin octomesh-mcp
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/octomesh-mcp

RMCP=""
if [ -d "$PEERS/rmcp-echo" ]; then
  echo "== building the rmcp echo server (official Rust SDK) from $PEERS/rmcp-echo"
  rm -rf "$CACHE/rmcp-echo/src"; mkdir -p "$CACHE/rmcp-echo"; cp -r "$PEERS/rmcp-echo/." "$CACHE/rmcp-echo/"
  (cd "$CACHE/rmcp-echo" && CARGO_TARGET_DIR="$CACHE/rmcp-target" cargo build --release --locked -q)
  RMCP=$CACHE/rmcp-target/release/rmcp-echo
else
  echo "!! $PEERS/rmcp-echo not found: the rmcp row is skipped"
fi

# Stop every server this script started, whatever happens.
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
for port in 3101 3102 3103 3104 3105 3106 3107 3108; do port_free "$port" || { echo "port $port is in use: stop what listens there first"; exit 2; }; done
ONLY=${ONLY:-octomesh-grpc,octomesh-grpc-traced,octomesh-grpc-traced-10pct,octomesh-grpc-tcp,octomesh-inprocess,rmcp-stateless}
wanted() { [[ ",$ONLY," == *",$1,"* ]]; }

wait_port() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 not up"; return 1; }
rss_kb() { ps -o rss= -p "$1" | tr -d ' '; }

# tools/list latency at c=1 through the same wrk script (session servers need a session first).
tools_list() { # name url
  local name=$1 url=$2 hdrs sid
  hdrs=$(mktemp)
  curl -s -D "$hdrs" -o /dev/null -X POST "$url" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
  sid=$(grep -i '^mcp-session-id:' "$hdrs" | awk '{print $2}' | tr -d '\r' || true); rm -f "$hdrs"
  MCP_SESSION="$sid" MCP_PROTO=2025-11-25 MCP_BODY='{"jsonrpc":"2.0","id":__ID__,"method":"tools/list","params":{}}' MCP_EXPECT='"tools"' \
    wrk -t1 -c1 -d"${DUR}s" --timeout 10s -s "$HERE/mcp.lua" "$url" | grep '^RESULT' | sed "s/^/$name tools_list /" >> "$OUT/tools_list.txt"
}

run_octomesh() { # name port extra-args...   (OCTO_ENV: extra environment, e.g. OTEL_* variables)
  local name=$1 port=$2; shift 2
  env ${OCTO_ENV:-} "$BIN" up --fixtures --listen "127.0.0.1:$port" "$@" >"$OUT/$name.server.log" 2>&1 &
  local pid=$!
  wait_port "$port"; sleep 1
  bash "$HERE/bench_one.sh" "$name" "http://127.0.0.1:$port/mcp" "$pid" session
  tools_list "$name" "http://127.0.0.1:$port/mcp"
  if [ "$name" = octomesh-grpc ] && [ "$STREAMS" -gt 0 ]; then
    local idle before after ready=$OUT/streams.ready
    sleep 1; idle=$(rss_kb "$pid")
    python3 "$HERE/streams.py" "http://127.0.0.1:$port/mcp" "$STREAMS" "$ready" > "$OUT/streams.log" 2>&1 &
    local spid=$!
    for _ in $(seq 1 600); do [ -f "$ready" ] && break; kill -0 "$spid" 2>/dev/null || break; sleep 0.2; done
    [ -f "$ready" ] || { echo "!! streams did not open"; cat "$OUT/streams.log"; }
    sleep 2; after=$(rss_kb "$pid")
    printf '%s\t%s\t%s\t%s\n' "$name" "$idle" "$after" "$(cat "$ready" 2>/dev/null || echo 0)" > "$OUT/streams.tsv"
    kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true; sleep 1
}

if wanted octomesh-grpc; then
  echo "== octomesh-mcp: gateway -> gRPC -> worker (up's default: private Unix socket)"
  run_octomesh octomesh-grpc 3101
fi
# The gRPC row again with spans exported over OTLP/gRPC to rotel (a real collector, blackhole exporter, on the
# same cores) at the sampler given; rotel's span count goes to $OUT/NAME.spans.
run_traced() { # name port sampler [sampler-arg]
  local name=$1 port=$2 sampler=$3 arg=${4:-} rotel
  [ -x "${PEER_ROTEL:-}" ] || { bash .ci/install-peers.sh >/dev/null; source .ci/peers-env.sh; }
  "$PEER_ROTEL" start --otlp-grpc-endpoint 127.0.0.1:3105 --otlp-http-endpoint 127.0.0.1:3107 \
    --exporter blackhole --debug-log traces --pid-file "$OUT/rotel.pid" >"$OUT/$name.rotel.log" 2>&1 &
  rotel=$!; wait_port 3105
  OCTO_ENV="OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:3105 OTEL_TRACES_SAMPLER=$sampler${arg:+ OTEL_TRACES_SAMPLER_ARG=$arg}" \
    run_octomesh "$name" "$port"
  kill "$rotel"; wait "$rotel" 2>/dev/null || true
  sed 's/\x1b\[[0-9;]*m//g' "$OUT/$name.rotel.log" | grep -o 'spans=[0-9]*' | cut -d= -f2 \
    | awk '{s+=$1} END {print s+0}' > "$OUT/$name.spans"
}
if wanted octomesh-grpc-traced; then
  echo "== octomesh-mcp: the same, every call traced (sampling 1.0), exported over OTLP/gRPC to rotel"
  run_traced octomesh-grpc-traced 3106 always_on
fi
if wanted octomesh-grpc-traced-10pct; then
  echo "== octomesh-mcp: the same, 10% of traces sampled (parent-based ratio 0.1), exported to rotel"
  run_traced octomesh-grpc-traced-10pct 3108 parentbased_traceidratio 0.1
fi
if wanted octomesh-grpc-tcp; then
  echo "== octomesh-mcp: gateway -> gRPC over loopback TCP -> worker"
  run_octomesh octomesh-grpc-tcp 3104 --worker-transport tcp
fi
if wanted octomesh-inprocess; then
  echo "== octomesh-mcp: in-process (no hop)"
  run_octomesh octomesh-inprocess 3102 --in-process
fi
if [ -n "$RMCP" ] && wanted rmcp-stateless; then
  echo "== rmcp-echo stateless (official Rust SDK)"
  "$RMCP" 3103 stateless >"$OUT/rmcp.server.log" 2>&1 &
  pid=$!; wait_port 3103; sleep 1
  bash "$HERE/bench_one.sh" rmcp-stateless http://127.0.0.1:3103/mcp "$pid" stateless
  tools_list rmcp-stateless http://127.0.0.1:3103/mcp
  kill "$pid"; wait "$pid" 2>/dev/null || true
fi

python3 "$HERE/table.py" "$OUT" | tee "$OUT/table.md"
