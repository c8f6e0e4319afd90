#!/usr/bin/env bash
# Run every test: the project's checks, unit tests, and the end-to-end scenarios with the official
# MCP clients (conformance suite, Python and TypeScript SDKs, MCP Inspector).
# Third-party clients are installed on first use into ~/.cache/octomesh-mcp/peers (outside the clone).
#   bash tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null

step() { printf '\n== %s\n' "$*"; }

step "third-party MCP clients"
bash .ci/install-peers.sh

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --all-targets --locked -- -D warnings

step "build the binary the process-level tests start"
cargo build --locked --bin octomesh-mcp

step "tests"
# nextest runs each test in its own process and ends with one summary line for the whole workspace.
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast --failure-output final
else
  cargo test --workspace --all-targets --locked
fi
