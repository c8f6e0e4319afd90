use std::path::PathBuf;

use octomesh_crds::McpDeployment;

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
