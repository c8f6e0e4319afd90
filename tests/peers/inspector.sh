#!/usr/bin/env bash
# Interop check with the MCP Inspector CLI (npm @modelcontextprotocol/inspector 2.12.0, on Node 22).
# usage: tests/peers/inspector.sh URL [http|sse] [--token TOKEN]
#   1. --method tools/list                          -> MCP_TEST_TOOL must be listed
#   2. --method tools/call --tool-name MCP_TEST_TOOL -> its text content must equal MCP_TEST_EXPECT
# Env: MCP_TEST_TOOL (test_simple_text), MCP_TEST_ARGS (JSON, {}), MCP_TEST_EXPECT ("This is a simple text response
# for testing."), MCP_TIMEOUT (30 s per call), INSPECTOR_PROTOCOL_ERA (legacy|auto|modern; unset = CLI default).
# Needs .ci/install-peers.sh to have run (paths from .ci/peers-env.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
source "$HERE/../../.ci/peers-env.sh"

URL=${1:?usage: inspector.sh URL [http|sse] [--token TOKEN]}; shift
MODE=http
if [ $# -gt 0 ] && [[ $1 == http || $1 == sse ]]; then MODE=$1; shift; fi
TOKEN=${MCP_TOKEN:-}
while [ $# -gt 0 ]; do
  case $1 in --token) TOKEN=${2:?--token needs a value}; shift 2 ;; *) echo "inspector.sh: unknown arg $1" >&2; exit 64 ;; esac
done
TOOL=${MCP_TEST_TOOL:-test_simple_text}
ARGS=${MCP_TEST_ARGS:-\{\}}
export EXPECT=${MCP_TEST_EXPECT:-This is a simple text response for testing.}
TIMEOUT=${MCP_TIMEOUT:-30}

for f in "$PEER_NODE" "$INSPECTOR_JS"; do [ -e "$f" ] || { echo "FAIL inspector: $f missing (run .ci/install-peers.sh)" >&2; exit 3; }; done

# keep the inspector's catalog/storage (~/.mcp-inspector) out of the real HOME
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
common=(--cli "$URL" --transport "$MODE" --format json -q)
[ -n "$TOKEN" ] && common+=(--header "Authorization: Bearer $TOKEN")
[ -n "${INSPECTOR_PROTOCOL_ERA:-}" ] && common+=(--protocol-era "$INSPECTOR_PROTOCOL_ERA")

inspect() {  # inspect OUTFILE ARGS...
  local out=$1; shift
  if ! HOME="$WORK" timeout "$TIMEOUT" "$PEER_NODE" "$INSPECTOR_JS" "${common[@]}" "$@" >"$out" 2>"$out.err" </dev/null; then
    echo "FAIL inspector $MODE $URL: '$*' exited non-zero" >&2; sed 's/^/  /' "$out.err" "$out" | head -40 >&2; exit 1
  fi
}

t0=$(date +%s.%N)
inspect "$WORK/list.json" --method tools/list
TOOL="$TOOL" "$PEER_NODE" -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).result ?? {};
  const names = (r.tools ?? []).map((t) => t.name);
  if (!names.includes(process.env.TOOL)) { console.error(`FAIL inspector: tools/list lacks ${process.env.TOOL}; got ${JSON.stringify(names)}`); process.exit(1); }
' "$WORK/list.json"

inspect "$WORK/call.json" --method tools/call --tool-name "$TOOL" --tool-args-json "$ARGS"
"$PEER_NODE" -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).result ?? {};
  const texts = (r.content ?? []).filter((c) => c.type === "text").map((c) => c.text);
  if (r.isError || texts.length !== 1 || texts[0] !== process.env.EXPECT) {
    console.error(`FAIL inspector: tools/call text: expected [${JSON.stringify(process.env.EXPECT)}], got ${JSON.stringify(r)}`); process.exit(1);
  }
' "$WORK/call.json"
ntools=$("$PEER_NODE" -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).result.tools.length' "$WORK/list.json")
printf 'OK inspector %s %s: tools=%s %s=ok in %.2fs\n' "$MODE" "$URL" "$ntools" "$TOOL" "$(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo 0)"
