#!/usr/bin/env bash
# Copied from shared/bench-peers (the yardstick that measured the peer servers), unchanged but for this note,
# so that every server in bench/run.sh is measured by the very same script.
# Measure one already-running MCP streamable-HTTP server on loopback with wrk.
# Usage: bench_one.sh NAME URL SERVER_PID MODE   (MODE = session | stateless)
# Env: DUR (seconds per run, default 10), WARM (warm-up seconds, default 3),
#      C (concurrency for throughput runs, default 32), THREADS (wrk threads, default 1),
#      OUTDIR (default ./results)
set -u
NAME=$1; URL=$2; PID=$3; MODE=$4
DUR=${DUR:-10}; WARM=${WARM:-3}; C=${C:-32}; THREADS=${THREADS:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
OUTDIR=${OUTDIR:-$PWD/results}; mkdir -p "$OUTDIR"
LOG="$OUTDIR/$NAME.log"; SUMMARY="$OUTDIR/summary.tsv"
case "$URL" in http://127.0.0.1:*|http://localhost:*|http://\[::1\]:*) ;; *) echo "refusing non-loopback URL $URL"; exit 2;; esac
[ -f "$SUMMARY" ] || printf 'server\ttest\tconc\trps\tp50_ms\tp99_ms\tnon200\tbody_mismatch\tsock_err\tserver_cpu_pct\twrk_cpu_pct\trss_kb_after\teff_conc\n' > "$SUMMARY"

PROTO_REQ=2025-11-25
INIT_TPL='{"jsonrpc":"2.0","id":__ID__,"method":"initialize","params":{"protocolVersion":"'$PROTO_REQ'","capabilities":{},"clientInfo":{"name":"bench","version":"1.0"}}}'
CALL_TPL='{"jsonrpc":"2.0","id":__ID__,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello bench"}}}'
INIT_BODY=${INIT_TPL/__ID__/1}; CALL_BODY=${CALL_TPL/__ID__/2}
H=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
CLK=$(getconf CLK_TCK)
rss() { ps -o rss= -p "$PID" | tr -d ' '; }
# process CPU ticks (utime+stime of all threads); for a process tree (e.g. npx) pass the real server pid
ticks() { awk '{print $14+$15}' /proc/"$PID"/stat; }

exec > >(tee -a "$LOG") 2>&1
echo "=== $NAME  url=$URL pid=$PID mode=$MODE dur=${DUR}s c=$C threads=$THREADS  $(date -Is)"
echo "idle RSS kB: $(rss)"
IDLE_RSS=$(rss)

# --- handshake (session mode) and sanity checks with curl
HDRS=$(mktemp); BODY=$(mktemp)
curl -s -D "$HDRS" -o "$BODY" -X POST "$URL" "${H[@]}" -d "$INIT_BODY"
echo "initialize -> $(head -1 "$HDRS" | tr -d '\r'), content-type: $(grep -i '^content-type' "$HDRS" | tr -d '\r' | cut -d' ' -f2-)"
echo "  body: $(head -c 400 "$BODY")"
SID=$(grep -i '^mcp-session-id:' "$HDRS" | awk '{print $2}' | tr -d '\r')
PROTO=$(grep -o '"protocolVersion":"[^"]*"' "$BODY" | head -1 | cut -d'"' -f4); PROTO=${PROTO:-$PROTO_REQ}
echo "  session id: ${SID:-<none>}  negotiated protocol: $PROTO"
SH=(); [ -n "$SID" ] && SH=(-H "Mcp-Session-Id: $SID")
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL" "${H[@]}" "${SH[@]}" -H "MCP-Protocol-Version: $PROTO" \
  -d '{"jsonrpc":"2.0","method":"notifications/initialized"}')
echo "notifications/initialized -> HTTP $code"
for i in 1 2 3; do
  out=$(curl -s -w '\nHTTP %{http_code} %{content_type}' -X POST "$URL" "${H[@]}" "${SH[@]}" -H "MCP-Protocol-Version: $PROTO" -d "$CALL_BODY")
  echo "tools/call sample $i: $(echo "$out" | tr '\n' ' ' | head -c 400)"
done

export MCP_SESSION="$SID" MCP_PROTO="$PROTO"
run() { # test conc dur body expect
  local test=$1 conc=$2 dur=$3; export MCP_BODY=$4 MCP_EXPECT=$5
  local t0=$(ticks) w0=$(date +%s.%N) tf=$(mktemp)
  local out; out=$( { TIMEFORMAT='%U %S'; time wrk -t"$THREADS" -c"$conc" -d"${dur}s" --timeout 10s -s "$HERE/mcp.lua" "$URL" ; } 2>"$tf" )
  local t1=$(ticks) w1=$(date +%s.%N)
  echo "$out" | sed 's/^/    /'
  local res; res=$(echo "$out" | grep '^RESULT')
  local scpu wcpu
  scpu=$(awk -v a="$t0" -v b="$t1" -v c="$CLK" -v w0="$w0" -v w1="$w1" 'BEGIN{printf "%.0f", (b-a)/c/(w1-w0)*100}')
  wcpu=$(awk -v w0="$w0" -v w1="$w1" '{printf "%.0f", ($1+$2)/(w1-w0)*100}' "$tf")
  local r=$(rss)
  echo "  [$test c=$conc] $res server_cpu=${scpu}% wrk_cpu=${wcpu}% rss_kB=$r"
  g() { echo "$res" | grep -o "$1=[^ ]*" | cut -d= -f2; }
  [ "$test" = warmup ] || printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$NAME" "$test" "$conc" "$(g rps)" "$(g p50_ms)" "$(g p99_ms)" \
    "$(g non200)" "$(g body_mismatch)" "$(g sock_err)" "$scpu" "$wcpu" "$r" "$(g eff_conc)" >> "$SUMMARY"
}
run warmup "$C" "$WARM" "$CALL_TPL" "Echo: hello bench"
run tools_call 1 "$DUR" "$CALL_TPL" "Echo: hello bench"
run tools_call "$C" "$DUR" "$CALL_TPL" "Echo: hello bench"
export MCP_SESSION=""   # initialize must not carry a session id
run initialize "$C" "$DUR" "$INIT_TPL" '"protocolVersion"'
printf '%s\tidle_rss\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\t-\n' "$NAME" "$IDLE_RSS" >> "$SUMMARY"
echo "final RSS kB: $(rss)"
rm -f "$HDRS" "$BODY"
