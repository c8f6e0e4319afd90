//! The Kubernetes resources against Kubernetes' own schemas and the CRD's: the generated CRD is
//! accepted by `kubernetes-validate --strict` for 1.30 to 1.33, the prod-1 and prod-2 examples
//! by `check-jsonschema` against its openAPIV3Schema, and every example under examples/invalid/
//! is refused (bad URL, unknown family, replicas out of range, bad sampling ratio, …); every object
//! the operator builds for prod-1 and prod-2 (the reviewed snapshots, which the operator's tests
//! keep equal to what the builders make) passes Kubernetes' schemas for 1.30 to 1.33.

use octomesh_tests::peers::{assert_ok, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crd_and_the_examples_pass_kubernetes_and_crd_schemas() {
    let run = run(
        "",
        "tests/peers/k8s_schemas.sh",
        &[
            "charts/octomesh-mcp/crds/mcpdeployment.yaml",
            "examples",
            "operator/tests/snapshots/prod-1.yaml",
            "operator/tests/snapshots/prod-2.yaml",
        ],
        &[],
    )
    .await;
    assert_ok("the Kubernetes schema checks", &run);
    for version in ["1.30", "1.31", "1.32", "1.33"] {
        assert!(
            run.output.contains(&format!("against version {version}")),
            "{}",
            run.output
        );
    }
    let refused = run
        .output
        .lines()
        .filter(|line| line.starts_with("refused:"))
        .count();
    let invalid = std::fs::read_dir(octomesh_tests::repo_root().join("examples/invalid"))
        .unwrap()
        .count();
    assert!(invalid >= 6 && refused == invalid, "{}", run.output);
    for object in [
        "deployment/prod-1-ck-workers",
        "horizontalpodautoscaler/prod-1-aggregation-workers",
        "ingress/prod-1-gateway",
        "deployment/prod-2-gateway",
    ] {
        assert!(
            run.output
                .contains(&format!("{object} against version 1.33")),
            "{object}: {}",
            run.output
        );
    }
}

/// The chart rendered with two environments through the Helm SDK (lint, schema, validation); then
/// the McpDeployments it rendered, turned into their objects by the operator's builders: a gateway
/// and worker pools per environment, valid for Kubernetes 1.30 to 1.33.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chart_lints_renders_and_validates_through_the_helm_sdk() {
    let out = std::env::temp_dir().join(format!("octomesh-chart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let run = run(
        "PEER_K8S_PY",
        "tests/peers/helm_chart.py",
        &[
            "charts/octomesh-mcp",
            "tests/peers/helm-values-prod.yaml",
            &out.to_string_lossy(),
        ],
        &[],
    )
    .await;
    assert_ok("the Helm chart checks", &run);
    for expected in [
        "lint v1.30.0: ok",
        "lint v1.33.0: ok",
        "McpDeployments: ['prod-1', 'prod-2']",
        "refused bad values",
        "refused two file-transfer stores",
        "refused a bad bucket",
        "helm chart: ok",
    ] {
        assert!(run.output.contains(expected), "{expected}: {}", run.output);
    }
    let mut objects = Vec::new();
    for environment in ["prod-1", "prod-2"] {
        let text = std::fs::read_to_string(out.join(format!("{environment}.yaml"))).unwrap();
        let mut resource: octomesh_crds::McpDeployment = serde_yaml::from_str(&text).unwrap();
        resource.metadata.uid = Some("00000000-0000-4000-8000-00000000000a".into());
        let desired = octomesh_operator::desired(&resource).unwrap();
        let deployments: Vec<String> = desired
            .deployments
            .iter()
            .map(|deployment| deployment.metadata.name.clone().unwrap())
            .collect();
        let expected: &[&str] = if environment == "prod-1" {
            &[
                "prod-1-gateway",
                "prod-1-ck-workers",
                "prod-1-aggregation-workers",
                "prod-1-platform-admin-workers",
            ]
        } else {
            &["prod-2-gateway"]
        };
        assert_eq!(deployments, expected);
        let file = out.join(format!("{environment}-objects.yaml"));
        std::fs::write(&file, desired.to_yaml()).unwrap();
        objects.push(file.to_string_lossy().into_owned());
    }
    let mut arguments = vec!["charts/octomesh-mcp/crds/mcpdeployment.yaml", "examples"];
    arguments.extend(objects.iter().map(String::as_str));
    let validated =
        octomesh_tests::peers::run("", "tests/peers/k8s_schemas.sh", &arguments, &[]).await;
    assert_ok("the objects of the chart's environments", &validated);
    for object in [
        "deployment/prod-1-aggregation-workers",
        "service/prod-1-gateway",
        "deployment/prod-2-gateway",
    ] {
        assert!(
            validated
                .output
                .contains(&format!("{object} against version 1.30")),
            "{object}: {}",
            validated.output
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// Writes each container of the prod-2 gateway pod (sidecar topology: the gateway and a worker per
/// family) as `NAME.env` (the ConfigMap's data, then the container's own variables) and
/// `NAME.args`; the transfers volume's mount path becomes `DIR/transfers`.
fn pod_of_prod_2(dir: &std::path::Path) {
    let text =
        std::fs::read_to_string(octomesh_tests::repo_root().join("examples/prod-2.yaml")).unwrap();
    let mut resource: octomesh_crds::McpDeployment = serde_yaml::from_str(&text).unwrap();
    resource.metadata.uid = Some("00000000-0000-4000-8000-000000000002".into());
    let desired = octomesh_operator::desired(&resource).unwrap();
    let config = desired.config_map.data.clone().unwrap();
    let pod = desired.deployments[0]
        .spec
        .clone()
        .unwrap()
        .template
        .spec
        .unwrap();
    assert_eq!(pod.containers.len(), 4, "the gateway and three sidecars");
    std::fs::create_dir_all(dir).unwrap();
    for container in pod.containers {
        let mut lines: Vec<String> = config
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        for variable in container.env.unwrap_or_default() {
            let value = match (variable.value, variable.value_from) {
                // The claim both the gateway and the platform-admin sidecar mount.
                (Some(value), _) if value == "/var/lib/octomesh-mcp/transfers" => {
                    dir.join("transfers").to_string_lossy().into_owned()
                }
                (Some(value), _) => value,
                // The key Secrets (session, file transfer): 32 random bytes, base64.
                (None, Some(source)) if source.secret_key_ref.is_some() => {
                    "Zm9yLXRoZS10ZXN0LW9ubHktMzItYnl0ZXMta2V5ISE=".to_owned()
                }
                other => panic!("an unexpected variable source: {other:?}"),
            };
            lines.push(format!("{}={value}", variable.name));
        }
        std::fs::write(
            dir.join(format!("{}.env", container.name)),
            lines.join("\n") + "\n",
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{}.args", container.name)),
            container.args.unwrap_or_default().join("\n") + "\n",
        )
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_started_with_the_operators_configmap_answers_mcp() {
    let dir = std::env::temp_dir().join(format!("octomesh-configmap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    pod_of_prod_2(&dir);
    let binary = octomesh_tests::process::binary();
    let run = run(
        "",
        "tests/peers/configmap_stack.sh",
        &[&binary.to_string_lossy(), &dir.to_string_lossy()],
        &[],
    )
    .await;
    assert_ok("the pod from the ConfigMap", &run);
    for expected in [
        "listed: query_entities",
        "listed: query_stream_data_simple",
        "listed: create_rollup_archive",
        "aggregation tools \"count\":11",
        "configmap stack: ok",
    ] {
        assert!(run.output.contains(expected), "{expected}: {}", run.output);
    }
    // The gateway and the platform-admin sidecar took the operator's file-transfer settings (a
    // store they opened, a key they read).
    for name in ["gateway", "platform-admin-worker"] {
        let env = std::fs::read_to_string(dir.join(format!("{name}.env"))).unwrap();
        assert!(
            env.contains("OCTOMESH_FILE_TRANSFER_STORE=")
                && env.contains("OCTOMESH_FILE_TRANSFER_KEY="),
            "{name}: {env}"
        );
    }
    assert!(dir.join("transfers").is_dir(), "the store was opened");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A worker name that resolves to several addresses (a headless Service) is spread over all of
/// them, and calls survive the loss of one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_name_with_several_addresses_is_spread_over_all() {
    let binary = octomesh_tests::process::binary();
    let run = run(
        "",
        "tests/peers/dns_fanout.sh",
        &[&binary.to_string_lossy()],
        &[],
    )
    .await;
    assert_ok("the DNS fan-out", &run);
    for expected in [
        "calls answered: 10",
        "addresses connected: 127.0.0.2 127.0.0.3",
        "calls answered with one worker gone: 10",
    ] {
        assert!(run.output.contains(expected), "{expected}: {}", run.output);
    }
}
