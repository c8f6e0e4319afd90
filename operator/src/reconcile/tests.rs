//! `reconcile` against kube's mock service (tower-test) answering like an API server that keeps
//! objects in memory: applies store and echo, gets and lists read, creates refuse duplicates,
//! deletes remove. (No kube-apiserver can run here.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::runtime::controller::Action;
use octomesh_crds::McpDeployment;
use octomesh_crds::mcpdeployment::Topology;
use serde_json::{Value, json};

use super::{Context, backoff, error_policy, reconcile};
use crate::fake_api::{Call, FakeApi, client};

/// A fake API server that holds `resource` (as the real one would).
fn fake_with(resource: &McpDeployment, fail: Option<(&str, &str)>) -> Arc<Mutex<FakeApi>> {
    let mut fake = FakeApi {
        fail: fail.map(|(method, path)| (method.to_owned(), path.to_owned())),
        ..FakeApi::default()
    };
    fake.objects.insert(
        STATUS.trim_end_matches("/status").to_owned(),
        serde_json::to_value(resource).unwrap(),
    );
    Arc::new(Mutex::new(fake))
}

fn example(name: &str) -> McpDeployment {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../examples/{name}.yaml"));
    let mut resource: McpDeployment =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    resource.metadata.uid = Some("6f1c2a9e-1111-4222-8333-444455556666".into());
    resource.metadata.generation = Some(1);
    resource
}

const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/octomesh/deployments";
const STATUS: &str =
    "/apis/mcp.octomesh.io/v1alpha1/namespaces/octomesh/mcpdeployments/prod-1/status";

fn last_status(fake: &FakeApi) -> Value {
    fake.calls("PATCH", STATUS)
        .last()
        .expect("a status was written")
        .body["status"]
        .clone()
}

fn condition<'a>(status: &'a Value, kind: &str) -> &'a Value {
    status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|condition| condition["type"] == kind)
        .unwrap()
}

#[tokio::test]
async fn a_new_environment_is_applied_and_reports_progress_then_readiness() {
    let resource = Arc::new(example("prod-1"));
    let fake = fake_with(&resource, None);
    let context = Arc::new(Context::new(client(Arc::clone(&fake))));
    let action = reconcile(Arc::clone(&resource), Arc::clone(&context))
        .await
        .unwrap();
    assert_eq!(action, Action::requeue(Duration::from_secs(15)));
    {
        let fake = fake.lock().unwrap();
        let created: Vec<&str> = fake
            .calls("POST", "/secrets")
            .iter()
            .map(|call| call.body["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            created,
            ["prod-1-session-key", "prod-1-file-transfer-key"],
            "the session key and the file-transfer key are created"
        );
        let applied: Vec<&str> = fake
            .calls("PATCH", "/namespaces/octomesh/")
            .iter()
            .filter(|call| !call.path.ends_with("/status"))
            .map(|call| call.path.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(applied.len(), 1 + 4 + 4 + 1 + 2 + 3, "{applied:?}");
        for call in fake.calls("PATCH", DEPLOYMENTS) {
            assert!(
                call.query.contains("fieldManager=octomesh-mcp-operator")
                    && call.query.contains("force=true"),
                "{}",
                call.query
            );
            let owner = &call.body["metadata"]["ownerReferences"][0];
            assert_eq!(
                (owner["kind"].as_str(), owner["uid"].as_str()),
                (
                    Some("McpDeployment"),
                    Some("6f1c2a9e-1111-4222-8333-444455556666")
                )
            );
        }
        let status = last_status(&fake);
        assert_eq!(condition(&status, "Ready")["status"], "False");
        assert_eq!(condition(&status, "Ready")["reason"], "ReplicasNotReady");
        assert_eq!(condition(&status, "Progressing")["status"], "True");
        assert_eq!(condition(&status, "Degraded")["status"], "False");
        assert_eq!(status["observedGeneration"], 1);
        assert_eq!(status["endpoint"], "https://mcp.prod-1.example.com/mcp");
    }
    // The pods come up.
    {
        let mut fake = fake.lock().unwrap();
        for (name, replicas) in [
            ("prod-1-gateway", 3),
            ("prod-1-ck-workers", 2),
            ("prod-1-aggregation-workers", 2),
            ("prod-1-platform-admin-workers", 1),
        ] {
            let object = fake
                .objects
                .get_mut(&format!("{DEPLOYMENTS}/{name}"))
                .unwrap();
            object["status"] = json!({"replicas": replicas, "readyReplicas": replicas});
        }
    }
    let action = reconcile(Arc::clone(&resource), Arc::clone(&context))
        .await
        .unwrap();
    assert_eq!(action, Action::requeue(Duration::from_secs(300)));
    let fake = fake.lock().unwrap();
    assert_eq!(
        fake.calls("POST", "/secrets").len(),
        2,
        "the keys are made once"
    );
    let status = last_status(&fake);
    assert_eq!(condition(&status, "Ready")["status"], "True");
    assert_eq!(condition(&status, "Progressing")["status"], "False");
    assert_eq!(
        status["readyReplicas"],
        json!({"gateway": 3, "ck": 2, "aggregation": 2, "platform-admin": 1})
    );
}

#[tokio::test]
async fn a_spec_change_is_applied_and_a_topology_switch_removes_the_worker_pools() {
    let mut resource = example("prod-1");
    let fake = fake_with(&resource, None);
    let context = Arc::new(Context::new(client(Arc::clone(&fake))));
    reconcile(Arc::new(resource.clone()), Arc::clone(&context))
        .await
        .unwrap();
    resource.spec.gateway.replicas = 5;
    resource.metadata.generation = Some(2);
    reconcile(Arc::new(resource.clone()), Arc::clone(&context))
        .await
        .unwrap();
    {
        let fake = fake.lock().unwrap();
        let gateway = fake.calls("PATCH", &format!("{DEPLOYMENTS}/prod-1-gateway"));
        assert_eq!(gateway.last().unwrap().body["spec"]["replicas"], 5);
        assert_eq!(last_status(&fake)["observedGeneration"], 2);
        assert!(fake.calls("DELETE", "").is_empty(), "nothing to remove yet");
    }
    resource.spec.topology = Topology::Sidecar;
    resource.metadata.generation = Some(3);
    reconcile(Arc::new(resource), Arc::clone(&context))
        .await
        .unwrap();
    let fake = fake.lock().unwrap();
    let mut deleted: Vec<String> = fake
        .calls("DELETE", "")
        .iter()
        .map(|call| {
            call.path
                .split('/')
                .rev()
                .take(2)
                .collect::<Vec<_>>()
                .join("<")
        })
        .collect();
    deleted.sort();
    assert_eq!(
        deleted,
        [
            "prod-1-aggregation-workers<deployments",
            "prod-1-aggregation-workers<horizontalpodautoscalers",
            "prod-1-aggregation-workers<poddisruptionbudgets",
            "prod-1-aggregation-workers<services",
            "prod-1-ck-workers<deployments",
            "prod-1-ck-workers<horizontalpodautoscalers",
            "prod-1-ck-workers<poddisruptionbudgets",
            "prod-1-ck-workers<services",
            "prod-1-platform-admin-workers<deployments",
            "prod-1-platform-admin-workers<services",
        ]
    );
    let gateway = &fake.objects[&format!("{DEPLOYMENTS}/prod-1-gateway")];
    assert_eq!(
        gateway["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn api_errors_back_off_and_an_invalid_spec_is_reported_not_retried() {
    let resource = Arc::new(example("prod-1"));
    let fake = fake_with(&resource, Some(("PATCH", "/deployments/")));
    let context = Arc::new(Context::new(client(Arc::clone(&fake))));
    let mut delays = Vec::new();
    for _ in 0..4 {
        let error = reconcile(Arc::clone(&resource), Arc::clone(&context))
            .await
            .unwrap_err();
        assert!(error.to_string().contains("Kubernetes API"), "{error}");
        delays.push(error_policy(
            Arc::clone(&resource),
            &error,
            Arc::clone(&context),
        ));
    }
    assert_eq!(
        delays,
        [5, 10, 20, 40].map(|seconds| Action::requeue(Duration::from_secs(seconds)))
    );
    assert_eq!(backoff(30), Duration::from_secs(300));
    fake.lock().unwrap().fail = None;
    reconcile(Arc::clone(&resource), Arc::clone(&context))
        .await
        .unwrap();
    let error = super::Error::Missing("test");
    assert_eq!(
        error_policy(Arc::clone(&resource), &error, Arc::clone(&context)),
        Action::requeue(Duration::from_secs(5)),
        "a success resets the backoff"
    );

    let mut invalid = example("prod-1");
    invalid.spec.families[0]
        .autoscaling
        .as_mut()
        .unwrap()
        .min_replicas = 20;
    let before = fake.lock().unwrap().calls.len();
    let action = reconcile(Arc::new(invalid), Arc::clone(&context))
        .await
        .unwrap();
    assert_eq!(action, Action::await_change());
    let fake = fake.lock().unwrap();
    let new: Vec<&Call> = fake.calls[before..].iter().collect();
    assert_eq!(new.len(), 1, "only the status is written: {new:?}");
    let status = &new[0].body["status"];
    assert_eq!(condition(status, "Degraded")["status"], "True");
    assert_eq!(condition(status, "Degraded")["reason"], "InvalidSpec");
    assert!(
        condition(status, "Degraded")["message"]
            .as_str()
            .unwrap()
            .contains("minReplicas 20 exceeds maxReplicas 10")
    );
}

#[tokio::test]
async fn a_file_transfer_store_that_cannot_be_shared_is_reported_not_applied() {
    let mut unshared = example("prod-1");
    unshared.spec.file_transfer = Some(Default::default());
    let fake = fake_with(&unshared, None);
    let context = Arc::new(Context::new(client(Arc::clone(&fake))));
    let action = reconcile(Arc::new(unshared), Arc::clone(&context))
        .await
        .unwrap();
    assert_eq!(action, Action::await_change());
    let fake = fake.lock().unwrap();
    assert!(
        fake.calls("POST", "/secrets").is_empty() && fake.calls("PATCH", DEPLOYMENTS).is_empty(),
        "nothing is created or applied"
    );
    let degraded = condition(&last_status(&fake), "Degraded").clone();
    assert_eq!(degraded["reason"], "InvalidSpec");
    assert!(
        degraded["message"].as_str().unwrap().contains("emptyDir"),
        "{degraded}"
    );
}
