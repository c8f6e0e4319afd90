#!/usr/bin/env bash
# Kubernetes' own schemas on the CRD (kubernetes-validate --strict, 1.30 to 1.33), and the examples
# against the CRD's openAPIV3Schema (check-jsonschema): the good ones pass, each under invalid/ is
# refused; then every further file (objects the operator builds) against Kubernetes' schemas.
#   k8s_schemas.sh CRD.yaml EXAMPLES_DIR [OBJECTS.yaml...]
set -euo pipefail
crd=$1
examples=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$PEER_K8S_BIN
for version in 1.30.0 1.31.0 1.32.0 1.33.0; do
  "$bin/kubernetes-validate" --strict -k "$version" "$crd"
done
"$bin/python" - "$crd" "$work/schema.json" <<'PY'
import json, sys, yaml
crd = next(doc for doc in yaml.safe_load_all(open(sys.argv[1])) if doc)
json.dump(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"], open(sys.argv[2], "w"))
PY
"$bin/check-jsonschema" --schemafile "$work/schema.json" "$examples/prod-1.yaml" "$examples/prod-2.yaml"
for bad in "$examples"/invalid/*.yaml; do
  if "$bin/check-jsonschema" --schemafile "$work/schema.json" "$bad" >"$work/out" 2>&1; then
    echo "ACCEPTED, but should be refused: $bad"
    exit 1
  fi
  echo "refused: $(basename "$bad"): $(grep -m1 -v '^Schema validation errors' "$work/out" | tr -s ' ' | head -c 160)"
done
for objects in "$@"; do
  for version in 1.30.0 1.31.0 1.32.0 1.33.0; do
    "$bin/kubernetes-validate" --strict -k "$version" "$objects"
  done
done
echo "k8s schemas: ok"
