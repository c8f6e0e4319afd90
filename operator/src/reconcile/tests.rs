//! `reconcile` against kube's mock service (tower-test) answering like an API server that keeps
//! objects in memory: applies store and echo, gets and lists read, creates refuse duplicates,
//! deletes remove. (No kube-apiserver can run here.)

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use kube::Client;
use kube::client::Body;
use kube::runtime::controller::Action;
use octomesh_crds::McpDeployment;
use octomesh_crds::mcpdeployment::Topology;
use serde_json::{Value, json};

use super::{Context, backoff, error_policy, reconcile};

#[derive(Debug, Clone)]
struct Call {
    method: String,
    path: String,
    query: String,
    body: Value,
}

#[derive(Default)]
struct FakeApi {
    objects: BTreeMap<String, Value>,
    calls: Vec<Call>,
    /// Answer 500 to requests of this method whose path contains this text.
    fail: Option<(String, String)>,
}

fn status(code: u16, reason: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": reason, "reason": reason, "code": code})
}

fn matches_selector(object: &Value, selector: &str) -> bool {
    selector
        .split(',')
        .filter(|term| !term.is_empty())
        .all(|term| {
            let (key, value) = term.split_once('=').unwrap_or((term, ""));
            object["metadata"]["labels"][key] == value
        })
}

fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| {
            value
                .replace("%3D", "=")
                .replace("%2C", ",")
                .replace("%2F", "/")
        })
    })
}

impl FakeApi {
    fn answer(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        self.calls.push(Call {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            body: body.clone(),
        });
        if let Some((fail_method, fail_path)) = &self.fail
            && fail_method == method
            && path.contains(fail_path.as_str())
        {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                status(500, "InternalError"),
            );
        }
        match method {
            "GET" if self.objects.contains_key(path) => {
                (StatusCode::OK, self.objects[path].clone())
            }
            "GET" => {
                // A collection?
                let prefix = format!("{path}/");
                let selector = query_value(query, "labelSelector").unwrap_or_default();
                let items: Vec<Value> = self
                    .objects
                    .iter()
                    .filter(|(key, _)| {
                        key.starts_with(&prefix) && !key[prefix.len()..].contains('/')
                    })
                    .map(|(_, object)| object.clone())
                    .filter(|object| matches_selector(object, &selector))
                    .collect();
                // /api/v1/namespaces/NS/PLURAL and /apis/GROUP/VERSION/namespaces/NS/PLURAL.
                let segments = path.split('/').count();
                let is_collection = (path.starts_with("/api/") && segments == 6)
                    || (path.starts_with("/apis/") && segments == 7);
                if is_collection {
                    (
                        StatusCode::OK,
                        json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "1"}, "items": items}),
                    )
                } else {
                    (StatusCode::NOT_FOUND, status(404, "NotFound"))
                }
            }
            "POST" => {
                let key = format!("{path}/{}", body["metadata"]["name"].as_str().unwrap());
                if self.objects.contains_key(&key) {
                    return (StatusCode::CONFLICT, status(409, "AlreadyExists"));
                }
                self.objects.insert(key, body.clone());
                (StatusCode::CREATED, body)
            }
            "PATCH" if path.ends_with("/status") => {
                let key = path.trim_end_matches("/status").to_owned();
                let object = self.objects.entry(key).or_insert_with(|| json!({}));
                object["status"] = body["status"].clone();
                (StatusCode::OK, object.clone())
            }
            "PATCH" => {
                let mut stored = body.clone();
                if let Some(previous) = self.objects.get(path) {
                    stored["status"] = previous["status"].clone();
                }
                self.objects.insert(path.into(), stored.clone());
                (StatusCode::OK, stored)
            }
            "DELETE" => match self.objects.remove(path) {
                Some(object) => (StatusCode::OK, object),
                None => (StatusCode::NOT_FOUND, status(404, "NotFound")),
            },
            _ => (
                StatusCode::METHOD_NOT_ALLOWED,
                status(405, "MethodNotAllowed"),
            ),
        }
    }

    fn calls(&self, method: &str, path_part: &str) -> Vec<&Call> {
        self.calls
            .iter()
            .filter(|call| call.method == method && call.path.contains(path_part))
            .collect()
    }
}

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

/// A client whose requests the fake answers.
fn client(fake: Arc<Mutex<FakeApi>>) -> Client {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    tokio::spawn(async move {
        while let Some((request, send)) = handle.next_request().await {
            let (parts, body) = request.into_parts();
            let bytes = body.collect_bytes().await.unwrap_or_default();
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let (code, answer) = fake.lock().unwrap().answer(
                parts.method.as_str(),
                parts.uri.path(),
                parts.uri.query().unwrap_or(""),
                body,
            );
            send.send_response(
                Response::builder()
                    .status(code)
                    .header("content-type", "application/json")
                    .body(Body::from(serde_json::to_vec(&answer).unwrap()))
                    .unwrap(),
            );
        }
    });
    Client::new(service, "octomesh")
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
        assert_eq!(
            fake.calls("POST", "/secrets").len(),
            1,
            "the session key is created"
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
        1,
        "the key is made once"
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
