use std::path::PathBuf;

use kube::CustomResourceExt;
use serde_json::Value;

use super::{McpDeployment, crd_yaml, values_schema};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_charts_crd_is_generated_from_the_types() {
    let path = repo().join("charts/octomesh-mcp/crds/mcpdeployment.yaml");
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == crd_yaml(),
        "{} is stale: run `cargo run -q --bin octomesh-mcp -- crdgen > charts/octomesh-mcp/crds/mcpdeployment.yaml`",
        path.display()
    );
}

#[test]
fn the_schema_carries_the_rules_the_api_server_enforces() {
    let crd = serde_json::to_value(McpDeployment::crd()).unwrap();
    assert_eq!(crd["spec"]["group"], "mcp.octomesh.io");
    assert_eq!(crd["spec"]["scope"], "Namespaced");
    assert_eq!(crd["spec"]["names"]["shortNames"][0], "mcpd");
    let version = &crd["spec"]["versions"][0];
    assert_eq!(version["name"], "v1alpha1");
    assert!(version["subresources"]["status"].is_object());
    let columns: Vec<&str> = version["additionalPrinterColumns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|column| column["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        ["Ready", "Topology", "Gateways", "Endpoint", "Age"]
    );
    let spec = &version["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let text = spec.to_string();
    assert!(
        text.contains("self.minReplicas <= self.maxReplicas"),
        "{text}"
    );
    let families = &spec["properties"]["families"];
    assert_eq!(families["x-kubernetes-list-type"], "map");
    assert_eq!(
        families["items"]["properties"]["name"]["enum"],
        serde_json::json!(["ck", "aggregation", "platform-admin"])
    );
    assert!(spec["properties"]["publicUrl"]["pattern"].is_string());
    let required: Vec<&Value> = spec["required"].as_array().unwrap().iter().collect();
    assert!(
        required.contains(&&Value::from("publicUrl")),
        "{required:?}"
    );
}

#[test]
fn the_examples_read_as_mcp_deployments() {
    for name in ["prod-1", "prod-2"] {
        let path = repo().join(format!("examples/{name}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let resource: McpDeployment = serde_yaml::from_str(&text)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert_eq!(resource.metadata.name.as_deref(), Some(name));
        assert!(!resource.spec.families.is_empty());
    }
}

#[test]
fn the_charts_values_schema_is_generated_from_the_types() {
    let path = repo().join("charts/octomesh-mcp/values.schema.json");
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == values_schema(),
        "{} is stale: run `cargo run -q --bin octomesh-mcp -- crdgen --values-schema > charts/octomesh-mcp/values.schema.json`",
        path.display()
    );
}

#[test]
fn file_transfer_takes_one_store_with_bounded_fields() {
    let crd = serde_json::to_value(McpDeployment::crd()).unwrap();
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let files = &spec["properties"]["fileTransfer"];
    // Both stores refused by the API server (CEL) and by any JSON Schema validator (`not`).
    assert_eq!(
        files["x-kubernetes-validations"][0]["rule"],
        "!has(self.s3) || !(has(self.claimName) || has(self.sizeLimit))"
    );
    assert_eq!(
        files["not"]["anyOf"],
        serde_json::json!([{"required": ["claimName", "s3"]}, {"required": ["s3", "sizeLimit"]}])
    );
    // An emptyDir only where one pod holds the gateway and the platform-admin worker.
    let rules = spec["x-kubernetes-validations"].to_string();
    assert!(
        rules.contains("self.topology == 'sidecar' && self.gateway.replicas == 1"),
        "{rules}"
    );
    let s3 = &files["properties"]["s3"];
    assert_eq!(
        s3["required"],
        serde_json::json!(["bucket", "credentialsSecretRef"])
    );
    assert_eq!(
        s3["properties"]["bucket"]["pattern"],
        r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$"
    );
    assert!(s3["properties"]["endpoint"]["pattern"].is_string());
    assert_eq!(s3["properties"]["prefix"]["maxLength"], 512);
    assert!(
        s3["x-kubernetes-validations"][0]["rule"]
            .as_str()
            .unwrap()
            .contains("allowHttp"),
        "{s3}"
    );
    let credentials = &s3["properties"]["credentialsSecretRef"]["properties"];
    assert_eq!(
        credentials["accessKeyIdKey"]["default"],
        "AWS_ACCESS_KEY_ID"
    );
    assert_eq!(
        credentials["secretAccessKeyKey"]["default"],
        "AWS_SECRET_ACCESS_KEY"
    );
    assert_eq!(files["properties"]["ttlMinutes"]["maximum"], 10080.0);
}

#[test]
fn the_s3_form_reads_with_its_defaults() {
    let text = std::fs::read_to_string(repo().join("examples/prod-1.yaml")).unwrap();
    let resource: McpDeployment = serde_yaml::from_str(&text).unwrap();
    let files = resource.spec.file_transfer.unwrap();
    let s3 = files.s3.as_ref().unwrap();
    assert_eq!(
        (s3.bucket.as_str(), s3.prefix.as_deref()),
        ("octomesh-mcp-prod-1", Some("transfers"))
    );
    assert_eq!(
        s3.credentials_secret_ref.access_key_id_key,
        "AWS_ACCESS_KEY_ID"
    );
    assert!(!files.is_empty_dir() && files.key_secret_ref.is_none());
}
