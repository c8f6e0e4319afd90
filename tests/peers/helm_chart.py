"""The chart through the real Helm v4 Go SDK (helm-python-sdk): `helm lint --strict` for Kubernetes
1.30 to 1.33; render with the default values and with two environments; refuse values the schema
forbids (an unknown family, two file-transfer stores, a bad bucket); then every rendered object against Kubernetes' schemas (kubernetes-validate --strict) and each
McpDeployment against the CRD's schema (check-jsonschema).

    helm_chart.py CHART_DIR PROD_VALUES.yaml [OUT_DIR]

With OUT_DIR, the McpDeployments rendered from the two environments are written there (one file each),
for the operator's builders to turn into their objects.
"""
import json
import os
import subprocess
import sys
import tempfile

import helm_python as helm
import yaml

chart_dir, values_file = sys.argv[1], sys.argv[2]
out_dir = sys.argv[3] if len(sys.argv) > 3 else None
bin_dir = os.path.dirname(sys.executable)
work = tempfile.mkdtemp()
print("helm sdk", helm.helm_sdk_version())

for version in ("v1.30.0", "v1.31.0", "v1.32.0", "v1.33.0"):
    result = helm.lint(chart_dir, strict=True, kube_version=version)
    errors = result["errors"] + [m for m in result["messages"] if m["severity"] > 1]
    assert not errors, f"lint {version}: {json.dumps(result)}"
    print(f"lint {version}: ok ({len(result['messages'])} info)")


def render(values):
    with helm.Chart.load(chart_dir) as chart:
        return chart.render(values, name="octomesh", namespace="mcp")


prod = yaml.safe_load(open(values_file))
for label, values in (("default", {}), ("prod", prod)):
    rendered = render(values)
    builtin, custom = [], []
    for name, text in rendered.items():
        if name.endswith("NOTES.txt"):
            notes = text
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                (custom if doc["kind"] == "McpDeployment" else builtin).append(doc)
    builtin_file = os.path.join(work, f"{label}-builtin.yaml")
    yaml.safe_dump_all(builtin, open(builtin_file, "w"))
    for version in ("1.30.0", "1.31.0", "1.32.0", "1.33.0"):
        subprocess.run([f"{bin_dir}/kubernetes-validate", "--strict", "-k", version, builtin_file], check=True)
    kinds = sorted(doc["kind"] for doc in builtin)
    print(f"{label}: {len(builtin)} objects valid: {kinds}; McpDeployments: {[d['metadata']['name'] for d in custom]}")
    if label == "prod":
        assert [d["metadata"]["name"] for d in custom] == ["prod-1", "prod-2"], custom
        crd = yaml.safe_load(open(os.path.join(chart_dir, "crds/mcpdeployment.yaml")))
        schema_file = os.path.join(work, "schema.json")
        json.dump(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"], open(schema_file, "w"))
        for doc in custom:
            doc_file = os.path.join(work, f"{doc['metadata']['name']}.yaml")
            yaml.safe_dump(doc, open(doc_file, "w"))
            subprocess.run([f"{bin_dir}/check-jsonschema", "--schemafile", schema_file, doc_file], check=True)
            if out_dir:
                yaml.safe_dump(doc, open(os.path.join(out_dir, f"{doc['metadata']['name']}.yaml"), "w"))
        assert "prod-1: https://mcp.prod-1.example.com/mcp" in notes, notes
        assert "prod-2: https://mcp.prod-2.example.com/mcp" in notes, notes
    else:
        assert "No environment yet" in notes, notes
        # The Grafana dashboard ships by default, labelled for Grafana's sidecar, as valid JSON.
        boards = [d for d in builtin if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-dashboard")]
        assert len(boards) == 1, [d["metadata"]["name"] for d in builtin]
        assert boards[0]["metadata"]["labels"]["grafana_dashboard"] == "1", boards[0]["metadata"]
        board = json.loads(boards[0]["data"]["octomesh-mcp.json"])
        exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
        assert board["uid"] == "octomesh-mcp" and len(exprs) >= 10, board["title"]
        print(f"dashboard: {len(board['panels'])} panels, {len(exprs)} queries")

off = {"grafanaDashboard": {"enabled": False}}
assert not any(
    doc and doc["kind"] == "ConfigMap" and doc["metadata"]["name"].endswith("-dashboard")
    for name, text in render(off).items() if not name.endswith("NOTES.txt")
    for doc in yaml.safe_load_all(text)
), "grafanaDashboard.enabled=false still renders the dashboard"

bad = yaml.safe_load(open(values_file))
bad["environments"]["prod-2"]["families"].append({"name": "billing"})
try:
    render(bad)
    raise SystemExit("values with an unknown family were rendered; the schema should refuse them")
except SystemExit:
    raise
except Exception as error:  # the SDK raises on a schema failure
    assert "billing" in str(error) or "families" in str(error), error
    print("refused bad values:", str(error).splitlines()[0][:160])

# File transfer with two stores, or a bucket name S3 would refuse, is refused by the values schema.
for label, change in (
    ("two file-transfer stores", {"claimName": "transfers"}),
    ("a bad bucket", {"s3": {"bucket": "Bad_Bucket", "credentialsSecretRef": {"name": "s3"}}}),
):
    bad = yaml.safe_load(open(values_file))
    bad["environments"]["prod-1"]["fileTransfer"].update(change)
    try:
        render(bad)
        raise SystemExit(f"values with {label} were rendered; the schema should refuse them")
    except SystemExit:
        raise
    except Exception as error:
        assert "fileTransfer" in str(error), error
        print(f"refused {label}:", str(error).splitlines()[0][:160])
print("helm chart: ok")
