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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chart_lints_renders_and_validates_through_the_helm_sdk() {
    let run = run(
        "PEER_K8S_PY",
        "tests/peers/helm_chart.py",
        &["charts/octomesh-mcp", "tests/peers/helm-values-prod.yaml"],
        &[],
    )
    .await;
    assert_ok("the Helm chart checks", &run);
    for expected in [
        "lint v1.30.0: ok",
        "lint v1.33.0: ok",
        "McpDeployments: ['prod-1', 'prod-2']",
        "refused bad values",
        "helm chart: ok",
    ] {
        assert!(run.output.contains(expected), "{expected}: {}", run.output);
    }
}
