#!/usr/bin/env bash
# A worker name that resolves to several addresses (as a Kubernetes headless Service does) is spread
# over all of them: two fixtures workers on 127.0.0.2 and 127.0.0.3, one name for both in a private
# /etc/hosts, in a network and mount namespace of their own; the gateway gets only the name. After
# a few calls it holds a connection to each address, and with one worker gone calls still succeed.
#   dns_fanout.sh BINARY
set -euo pipefail
binary=$1
exec unshare -rnm bash -s "$binary" <<'INNER'
set -euo pipefail
binary=$1
ip link set lo up
hosts=$(mktemp)
printf '127.0.0.1 localhost\n127.0.0.2 fixtures.test\n127.0.0.3 fixtures.test\n' > "$hosts"
mount --bind "$hosts" /etc/hosts
logs=$(mktemp -d)
"$binary" worker --family fixtures --listen 127.0.0.2:50051 >"$logs/a.log" 2>&1 & a=$!
"$binary" worker --family fixtures --listen 127.0.0.3:50051 >"$logs/b.log" 2>&1 & b=$!
sleep 0.3
"$binary" gateway --listen 127.0.0.1:8080 --worker http://fixtures.test:50051 >"$logs/gateway.log" 2>&1 & g=$!
trap 'kill $a $b $g 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS http://127.0.0.1:8080/readyz >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS http://127.0.0.1:8080/readyz >/dev/null || { echo "gateway not ready"; cat "$logs"/*.log; exit 1; }
post() {
  curl -sS -D "$logs/headers" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
       -H 'mcp-protocol-version: 2025-11-25' ${session:+-H "mcp-session-id: $session"} --data "$1" http://127.0.0.1:8080/mcp
}
session=
post '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"fanout","version":"1"}}}' >/dev/null
session=$(grep -i '^mcp-session-id:' "$logs/headers" | tr -d '\r' | awk '{print $2}')
post '{"jsonrpc":"2.0","method":"notifications/initialized"}' >/dev/null
call() { post "{\"jsonrpc\":\"2.0\",\"id\":$1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"m$1\"}}}"; }
ok=0
for id in $(seq 10 19); do call "$id" | grep -q "m$id" && ok=$((ok + 1)); done
echo "calls answered: $ok"
echo "addresses connected: $(ss -tnH state established '( dport = :50051 )' | awk '{print $4}' | sed 's/:50051$//' | sort -u | tr '\n' ' ')"
kill $a; wait $a 2>/dev/null || true
ok=0
for id in $(seq 20 29); do call "$id" | grep -q "m$id" && ok=$((ok + 1)); done
echo "calls answered with one worker gone: $ok"
echo "dns fanout: ok"
INNER
