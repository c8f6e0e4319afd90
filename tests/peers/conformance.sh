#!/usr/bin/env bash
# Run the official MCP conformance suite (npm @modelcontextprotocol/conformance 0.1.16, on Node 22) in server mode.
# usage: tests/peers/conformance.sh URL OUTDIR [extra conformance args, e.g. --scenario tools-call-simple-text]
#   URL     Streamable HTTP endpoint, e.g. http://127.0.0.1:PORT/mcp (loopback: dns-rebinding-protection needs it)
#   OUTDIR  per-scenario checks.json (server-<scenario>-<time>/), conformance.log, summary.tsv
# Env: CONFORMANCE_SUITE (all | active | pending; default all = every server scenario), CONFORMANCE_TIMEOUT (300 s).
# Baseline: tests/peers/conformance-expected-failures.yml (YAML `server: [scenario, ...]`) is passed as
# --expected-failures only if it exists and is non-empty. In that mode the suite counts a scenario as failing if it
# has any FAILURE *or WARNING* check, and also fails on stale entries (listed scenarios that now pass).
# Exit: 0 = no unexpected failure; 1 = unexpected failures (or stale baseline); 2+ = the suite could not run.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
source "$HERE/../../.ci/peers-env.sh"
URL=${1:?usage: conformance.sh URL OUTDIR [extra args]}
OUTDIR=${2:?usage: conformance.sh URL OUTDIR [extra args]}
shift 2
BASELINE="$HERE/conformance-expected-failures.yml"
SUITE=${CONFORMANCE_SUITE:-all}

for f in "$PEER_NODE" "$CONFORMANCE_JS"; do [ -e "$f" ] || { echo "FAIL conformance: $f missing (run .ci/install-peers.sh)" >&2; exit 3; }; done
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
# drop results of earlier runs in OUTDIR (only the suite's own result dirs)
find "$OUTDIR" -mindepth 1 -maxdepth 1 -type d -name 'server-*-20[0-9][0-9]-*' -exec rm -rf {} +
rm -f "$OUTDIR/summary.tsv" "$OUTDIR/conformance.log"

args=(server --url "$URL" -o "$OUTDIR" --suite "$SUITE")
use_baseline=0
if [ -s "$BASELINE" ] && grep -qv '^[[:space:]]*\(#.*\)\?$' "$BASELINE"; then
  args+=(--expected-failures "$BASELINE"); use_baseline=1
fi
args+=("$@")

echo "conformance: $PEER_NODE $CONFORMANCE_JS ${args[*]}"
t0=$(date +%s.%N)
set +e
timeout "${CONFORMANCE_TIMEOUT:-300}" "$PEER_NODE" "$CONFORMANCE_JS" "${args[@]}" >"$OUTDIR/conformance.log" 2>&1 </dev/null
rc=$?
set -e
dt=$(echo "$(date +%s.%N) - $t0" | bc)

# Summary from the per-scenario checks.json files (same rules as the suite).
OUTDIR="$OUTDIR" BASELINE="$BASELINE" USE_BASELINE="$use_baseline" RC="$rc" DT="$dt" "$PEER_NODE" -e '
  const fs = require("fs"), path = require("path");
  const out = process.env.OUTDIR, useBaseline = process.env.USE_BASELINE === "1";
  let expected = new Set();
  if (useBaseline) {
    const yaml = require("yaml");
    expected = new Set(((yaml.parse(fs.readFileSync(process.env.BASELINE, "utf8")) || {}).server || []).map(String));
  }
  const rows = [];
  for (const d of fs.readdirSync(out).sort()) {
    const m = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(d);
    const f = path.join(out, d, "checks.json");
    if (!m || !fs.existsSync(f)) continue;
    const checks = JSON.parse(fs.readFileSync(f, "utf8"));
    const n = (s) => checks.filter((c) => c.status === s).length;
    rows.push({ scenario: m[1], pass: n("SUCCESS"), fail: n("FAILURE"), warn: n("WARNING"),
      problems: checks.filter((c) => c.status === "FAILURE" || c.status === "WARNING").map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? c.description}`) });
  }
  let passed = 0, failed = 0, skipped = 0;
  const tsv = ["scenario\tstatus\tchecks_passed\tchecks_failed\tchecks_warned\texpected_failure"];
  for (const r of rows) {
    const bad = useBaseline ? (r.fail > 0 || r.warn > 0) : r.fail > 0;
    const exp = expected.has(r.scenario);
    let status;
    if (bad && exp) { status = "XFAIL"; skipped++; }
    else if (bad) { status = "FAIL"; failed++; }
    else if (exp) { status = "XPASS(stale)"; failed++; }
    else { status = r.warn > 0 ? "PASS(warn)" : "PASS"; passed++; }
    tsv.push([r.scenario, status, r.pass, r.fail, r.warn, exp].join("\t"));
    console.log(`${status.padEnd(12)} ${r.scenario.padEnd(32)} checks: ${r.pass} ok, ${r.fail} failed, ${r.warn} warnings`);
    if (status !== "PASS") for (const p of r.problems) console.log(`    ${p}`);
  }
  fs.writeFileSync(path.join(out, "summary.tsv"), tsv.join("\n") + "\n");
  if (rows.length === 0) { console.log("conformance: no scenario results found (see conformance.log)"); process.exit(4); }
  console.log(`(${rows.length} scenarios in ${(+process.env.DT).toFixed(1)}s; suite exit ${process.env.RC}; baseline ${useBaseline ? "used" : "none"}; details in ${out})`);
  console.log(`conformance: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' || { s=$?; [ "$s" = 4 ] && { tail -20 "$OUTDIR/conformance.log" >&2; exit 3; }; exit "$s"; }

case $rc in
  0) exit 0 ;;
  1) exit 1 ;;
  124) echo "FAIL conformance: timed out after ${CONFORMANCE_TIMEOUT:-300}s" >&2; exit 2 ;;
  *) echo "FAIL conformance: suite exited $rc" >&2; tail -20 "$OUTDIR/conformance.log" >&2; exit 2 ;;
esac
