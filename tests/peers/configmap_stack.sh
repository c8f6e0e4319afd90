#!/usr/bin/env bash
# Starts the containers of one pod exactly as the operator describes them — each with the environment
# of the ConfigMap plus its own, and its args — in a network namespace of their own (the pod's
# network: nothing else on this machine can take its ports), then speaks MCP to the gateway:
# initialize, tools/list, tools/call.
#   configmap_stack.sh BINARY DIR     (DIR/NAME.env and DIR/NAME.args per container; "gateway" last)
set -euo pipefail
binary=$1
dir=$2
exec unshare -rn bash -s "$binary" "$dir" <<'INNER'
set -euo pipefail
binary=$1; dir=$2
ip link set lo up
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
for env_file in "$dir"/*.env; do
  name=$(basename "$env_file" .env)
  [ "$name" = gateway ] && continue
  mapfile -t env < "$env_file"; mapfile -t args < "$dir/$name.args"
  env -i PATH="$PATH" "${env[@]}" "$binary" "${args[@]}" >"$dir/$name.log" 2>&1 &
  pids+=($!)
done
sleep 0.5
mapfile -t env < "$dir/gateway.env"; mapfile -t args < "$dir/gateway.args"
env -i PATH="$PATH" "${env[@]}" "$binary" "${args[@]}" >"$dir/gateway.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS http://127.0.0.1:8080/readyz >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS http://127.0.0.1:8080/readyz || { echo "gateway not ready"; tail -20 "$dir"/*.log; exit 1; }
echo
post() {
  curl -sS -D "$dir/headers" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
       -H 'mcp-protocol-version: 2025-11-25' ${session:+-H "mcp-session-id: $session"} \
       --data "$1" http://127.0.0.1:8080/mcp
}
session=
post '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"configmap-test","version":"1"}}}' > "$dir/initialize.out"
session=$(grep -i '^mcp-session-id:' "$dir/headers" | tr -d '\r' | awk '{print $2}')
[ -n "$session" ] || { echo "no session"; cat "$dir/initialize.out"; tail -20 "$dir/gateway.log"; exit 1; }
post '{"jsonrpc":"2.0","method":"notifications/initialized"}' >/dev/null
post '{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}' > "$dir/list.out"
echo "tools: $(grep -o '"name":"[a-z_A-Z]*"' "$dir/list.out" | sort -u | wc -l)"
for tool in query_entities query_stream_data_simple create_rollup_archive; do
  grep -q "\"name\":\"$tool\"" "$dir/list.out" && echo "listed: $tool"
done
post '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_available_tools","arguments":{"category":"aggregation"}}}' > "$dir/call.out"
grep -o '"count":[0-9]*' "$dir/call.out" | head -1 | sed 's/^/aggregation tools /'
echo "configmap stack: ok"
INNER
