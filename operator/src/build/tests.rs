use std::collections::BTreeMap;
use std::path::PathBuf;

use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use octomesh_crds::McpDeployment;
use octomesh_crds::mcpdeployment::{FileTransfer, SecretKeyRef};

use super::{BuildError, desired};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn example(name: &str) -> McpDeployment {
    let text = std::fs::read_to_string(repo().join(format!("examples/{name}.yaml"))).unwrap();
    let mut resource: McpDeployment = serde_yaml::from_str(&text).unwrap();
    // What the API server would have set.
    resource.metadata.uid = Some(format!("00000000-0000-4000-8000-00000000000{}", name.len()));
    resource
}

/// The reviewed snapshot of each example's objects (`UPDATE_SNAPSHOTS=1` rewrites them).
#[test]
fn the_objects_of_the_examples_match_their_reviewed_snapshots() {
    for name in ["prod-1", "prod-2"] {
        let rendered = desired(&example(name)).unwrap().to_yaml();
        let path = repo().join(format!("operator/tests/snapshots/{name}.yaml"));
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, &rendered).unwrap();
        }
        let reviewed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            reviewed == rendered,
            "{} differs from what the builders make now: review the change, then run `UPDATE_SNAPSHOTS=1 cargo test -p octomesh-operator`",
            path.display()
        );
    }
}

#[test]
fn distributed_and_sidecar_environments_have_their_shape() {
    let prod_1 = desired(&example("prod-1")).unwrap();
    let names: Vec<&str> = prod_1
        .deployments
        .iter()
        .map(|deployment| deployment.metadata.name.as_deref().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "prod-1-gateway",
            "prod-1-ck-workers",
            "prod-1-aggregation-workers",
            "prod-1-platform-admin-workers"
        ]
    );
    let worker_service = &prod_1.services[1];
    assert_eq!(
        worker_service.spec.as_ref().unwrap().cluster_ip.as_deref(),
        Some("None")
    );
    assert_eq!(prod_1.autoscalers.len(), 2);
    // Autoscaled pools leave their size to the autoscaler.
    assert_eq!(prod_1.deployments[1].spec.as_ref().unwrap().replicas, None);
    assert_eq!(
        prod_1.deployments[3].spec.as_ref().unwrap().replicas,
        Some(1)
    );
    assert!(prod_1.ingress.is_some());
    let config = prod_1.config_map.data.as_ref().unwrap();
    assert_eq!(
        config["OCTOMESH_WORKERS"],
        "http://prod-1-ck-workers.octomesh.svc:50051,http://prod-1-aggregation-workers.octomesh.svc:50051,http://prod-1-platform-admin-workers.octomesh.svc:50051"
    );
    assert_eq!(
        config["OCTOMESH_PUBLIC_URL"],
        "https://mcp.prod-1.example.com/mcp"
    );
    assert_eq!(config["OTEL_TRACES_SAMPLER_ARG"], "0.2");
    for deployment in &prod_1.deployments {
        let owner = &deployment.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.controller),
            ("McpDeployment", Some(true))
        );
    }

    let prod_2 = desired(&example("prod-2")).unwrap();
    assert_eq!(
        prod_2.deployments.len(),
        1,
        "sidecars live in the gateway pod"
    );
    let containers = &prod_2.deployments[0]
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers;
    let names: Vec<&str> = containers
        .iter()
        .map(|container| container.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "gateway",
            "ck-worker",
            "aggregation-worker",
            "platform-admin-worker"
        ]
    );
    assert_eq!(
        prod_2.config_map.data.as_ref().unwrap()["OCTOMESH_WORKERS"],
        "http://127.0.0.1:50051,http://127.0.0.1:50052,http://127.0.0.1:50053"
    );
    assert!(prod_2.autoscalers.is_empty() && prod_2.ingress.is_none());
}

#[test]
fn environments_that_cannot_run_are_refused_with_the_reason() {
    let mut resource = example("prod-1");
    resource.spec.families[0]
        .autoscaling
        .as_mut()
        .unwrap()
        .min_replicas = 20;
    assert_eq!(
        desired(&resource).unwrap_err(),
        BuildError::Autoscaling {
            family: "ck",
            min: 20,
            max: 10
        }
    );
    let mut resource = example("prod-1");
    let again = resource.spec.families[0].clone();
    resource.spec.families.push(again);
    assert_eq!(
        desired(&resource).unwrap_err(),
        BuildError::DuplicateFamily("ck")
    );
    let mut resource = example("prod-2");
    resource.metadata.uid = None;
    assert_eq!(desired(&resource).unwrap_err(), BuildError::Missing("uid"));
}

/// A variable's literal value, or the Secret and key it is read from.
type Var = (Option<String>, Option<(String, String)>);

/// A container's variables by name.
fn vars(container: &Container) -> BTreeMap<String, Var> {
    container
        .env
        .iter()
        .flatten()
        .map(|var| {
            let secret = var
                .value_from
                .as_ref()
                .and_then(|source| source.secret_key_ref.as_ref())
                .map(|secret| (secret.name.clone(), secret.key.clone()));
            (var.name.clone(), (var.value.clone(), secret))
        })
        .collect()
}

fn pod(desired: &super::Desired, name: &str) -> PodSpec {
    desired
        .deployments
        .iter()
        .find(|deployment| deployment.metadata.name.as_deref() == Some(name))
        .unwrap()
        .spec
        .clone()
        .unwrap()
        .template
        .spec
        .unwrap()
}

const TRANSFER_VARS: [&str; 2] = ["OCTOMESH_FILE_TRANSFER_STORE", "OCTOMESH_FILE_TRANSFER_KEY"];

#[test]
fn the_s3_form_reaches_the_gateway_and_the_platform_admin_workers_from_secrets() {
    let prod_1 = desired(&example("prod-1")).unwrap();
    let config = prod_1.config_map.data.as_ref().unwrap();
    assert!(
        config
            .keys()
            .all(|key| !key.contains("FILE_TRANSFER") && !key.starts_with("AWS_")),
        "{config:?}"
    );
    assert_eq!(
        prod_1.generated_keys,
        ["prod-1-session-key", "prod-1-file-transfer-key"]
    );
    for name in ["prod-1-gateway", "prod-1-platform-admin-workers"] {
        let pod = pod(&prod_1, name);
        assert!(pod.volumes.is_none(), "{name}: S3 needs no volume");
        let container = &pod.containers[0];
        assert!(container.volume_mounts.is_none());
        let vars = vars(container);
        assert_eq!(
            vars["OCTOMESH_FILE_TRANSFER_STORE"].0.as_deref(),
            Some("s3://octomesh-mcp-prod-1/transfers")
        );
        assert_eq!(
            vars["OCTOMESH_FILE_TRANSFER_KEY"],
            (
                None,
                Some(("prod-1-file-transfer-key".into(), "key".into()))
            )
        );
        assert_eq!(
            vars["AWS_ACCESS_KEY_ID"],
            (
                None,
                Some(("mcp-prod-1-s3".into(), "AWS_ACCESS_KEY_ID".into()))
            )
        );
        assert_eq!(
            vars["AWS_SECRET_ACCESS_KEY"],
            (
                None,
                Some(("mcp-prod-1-s3".into(), "AWS_SECRET_ACCESS_KEY".into()))
            )
        );
        assert_eq!(vars["AWS_REGION"].0.as_deref(), Some("eu-central-1"));
        assert_eq!(
            vars["OCTOMESH_FILE_TRANSFER_MAX_BYTES"].0.as_deref(),
            Some("5368709120")
        );
        assert_eq!(
            vars["OCTOMESH_FILE_TRANSFER_TTL_MINUTES"].0.as_deref(),
            Some("30")
        );
        assert!(!vars.contains_key("AWS_ENDPOINT_URL") && !vars.contains_key("AWS_ALLOW_HTTP"));
    }
    for name in ["prod-1-ck-workers", "prod-1-aggregation-workers"] {
        let vars = vars(&pod(&prod_1, name).containers[0]);
        assert!(
            vars.keys()
                .all(|key| !TRANSFER_VARS.contains(&key.as_str()) && !key.starts_with("AWS_")),
            "{name}: {vars:?}"
        );
    }

    // A store that is not AWS, on plain HTTP, with a key the user keeps.
    let mut resource = example("prod-1");
    let files = resource.spec.file_transfer.as_mut().unwrap();
    let s3 = files.s3.as_mut().unwrap();
    s3.prefix = None;
    s3.endpoint = Some("http://minio.storage:9000".into());
    s3.allow_http = Some(true);
    s3.credentials_secret_ref.access_key_id_key = "user".into();
    files.key_secret_ref = Some(SecretKeyRef {
        name: "shared-transfer-key".into(),
        key: "transfer".into(),
    });
    let built = desired(&resource).unwrap();
    assert_eq!(built.generated_keys, ["prod-1-session-key"]);
    let vars = vars(&pod(&built, "prod-1-platform-admin-workers").containers[0]);
    assert_eq!(
        vars["OCTOMESH_FILE_TRANSFER_STORE"].0.as_deref(),
        Some("s3://octomesh-mcp-prod-1")
    );
    assert_eq!(
        vars["OCTOMESH_FILE_TRANSFER_KEY"].1,
        Some(("shared-transfer-key".into(), "transfer".into()))
    );
    assert_eq!(
        vars["AWS_ACCESS_KEY_ID"].1,
        Some(("mcp-prod-1-s3".into(), "user".into()))
    );
    assert_eq!(
        vars["AWS_ENDPOINT_URL"].0.as_deref(),
        Some("http://minio.storage:9000")
    );
    assert_eq!(vars["AWS_ALLOW_HTTP"].0.as_deref(), Some("true"));
}

#[test]
fn the_directory_forms_mount_one_volume_in_the_gateway_and_the_platform_admin_workers() {
    // A claim, distributed: the gateway pods and the platform-admin pods mount it.
    let mut resource = example("prod-1");
    resource.spec.file_transfer = Some(FileTransfer {
        claim_name: Some("transfers-rwx".into()),
        ..FileTransfer::default()
    });
    let built = desired(&resource).unwrap();
    for name in ["prod-1-gateway", "prod-1-platform-admin-workers"] {
        let pod = pod(&built, name);
        let volumes = pod.volumes.unwrap();
        assert_eq!(
            volumes[0]
                .persistent_volume_claim
                .as_ref()
                .unwrap()
                .claim_name,
            "transfers-rwx"
        );
        let container = &pod.containers[0];
        assert_eq!(
            container.volume_mounts.as_ref().unwrap()[0].mount_path,
            "/var/lib/octomesh-mcp/transfers"
        );
        assert_eq!(
            vars(container)["OCTOMESH_FILE_TRANSFER_STORE"].0.as_deref(),
            Some("/var/lib/octomesh-mcp/transfers")
        );
    }
    assert!(pod(&built, "prod-1-ck-workers").volumes.is_none());

    // The claim of prod-2 (sidecars): the gateway and its platform-admin sidecar mount it.
    let prod_2 = desired(&example("prod-2")).unwrap();
    let pod_2 = pod(&prod_2, "prod-2-gateway");
    assert_eq!(pod_2.volumes.as_ref().unwrap().len(), 1);
    let mounted: Vec<&str> = pod_2
        .containers
        .iter()
        .filter(|container| container.volume_mounts.is_some())
        .map(|container| container.name.as_str())
        .collect();
    assert_eq!(mounted, ["gateway", "platform-admin-worker"]);
    let keys: Vec<_> = pod_2
        .containers
        .iter()
        .map(|container| vars(container).get("OCTOMESH_FILE_TRANSFER_KEY").cloned())
        .collect();
    assert_eq!(
        keys[0], keys[3],
        "the gateway and platform-admin share the key"
    );
    assert!(keys[0].is_some() && keys[1].is_none() && keys[2].is_none());

    // An emptyDir where one pod holds both.
    let mut resource = example("prod-2");
    resource.spec.gateway.replicas = 1;
    resource.spec.file_transfer = Some(FileTransfer {
        size_limit: Some("5Gi".into()),
        ..FileTransfer::default()
    });
    let built = desired(&resource).unwrap();
    let volume = &pod(&built, "prod-2-gateway").volumes.unwrap()[0];
    assert_eq!(
        volume.empty_dir.as_ref().unwrap().size_limit,
        Some(Quantity("5Gi".into()))
    );

    // No fileTransfer: no channel, no volume, no key.
    let mut resource = example("prod-2");
    resource.spec.file_transfer = None;
    let built = desired(&resource).unwrap();
    let pod = pod(&built, "prod-2-gateway");
    assert!(pod.volumes.is_none());
    assert!(pod.containers.iter().all(|container| {
        vars(container)
            .keys()
            .all(|key| !TRANSFER_VARS.contains(&key.as_str()))
    }));
    assert_eq!(built.generated_keys, ["prod-2-session-key"]);
}

#[test]
fn file_transfer_stores_that_cannot_be_shared_are_refused() {
    let mut resource = example("prod-1");
    resource.spec.file_transfer.as_mut().unwrap().claim_name = Some("transfers".into());
    assert!(matches!(
        desired(&resource).unwrap_err(),
        BuildError::FileTransfer(reason) if reason.contains("one store")
    ));
    // An emptyDir per pod with three gateways and worker pods of their own.
    let mut resource = example("prod-1");
    resource.spec.file_transfer = Some(FileTransfer {
        size_limit: Some("5Gi".into()),
        ..FileTransfer::default()
    });
    assert!(matches!(
        desired(&resource).unwrap_err(),
        BuildError::FileTransfer(reason) if reason.contains("emptyDir")
    ));
    // Sidecars, but two gateway pods.
    let mut resource = example("prod-2");
    resource.spec.file_transfer = Some(FileTransfer::default());
    assert!(matches!(
        desired(&resource).unwrap_err(),
        BuildError::FileTransfer(reason) if reason.contains("gateway.replicas 1")
    ));
    let mut resource = example("prod-1");
    let s3 = resource
        .spec
        .file_transfer
        .as_mut()
        .unwrap()
        .s3
        .as_mut()
        .unwrap();
    s3.endpoint = Some("http://minio.storage:9000".into());
    assert!(matches!(
        desired(&resource).unwrap_err(),
        BuildError::FileTransfer(reason) if reason.contains("allowHttp")
    ));
}
