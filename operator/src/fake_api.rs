//! A fake Kubernetes API server for tests, behind kube's mock service (tower-test): it keeps objects
//! in memory — applies store and echo, gets and lists read (label selectors honoured), creates refuse
//! duplicates, replaces check the resourceVersion, deletes remove — and records every call.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use http::{Request, Response, StatusCode};
use kube::Client;
use kube::client::Body;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Value,
}

#[derive(Default)]
pub(crate) struct FakeApi {
    pub objects: BTreeMap<String, Value>,
    pub calls: Vec<Call>,
    /// Answer 500 to requests of this method whose path contains this text.
    pub fail: Option<(String, String)>,
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
                let mut body = body;
                body["metadata"]["resourceVersion"] = json!("1");
                self.objects.insert(key, body.clone());
                (StatusCode::CREATED, body)
            }
            "PUT" => {
                let Some(current) = self.objects.get(path) else {
                    return (StatusCode::NOT_FOUND, status(404, "NotFound"));
                };
                let version = current["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or("0");
                if body["metadata"]["resourceVersion"].as_str() != Some(version) {
                    return (StatusCode::CONFLICT, status(409, "Conflict"));
                }
                let next = version.parse::<u64>().unwrap_or(0) + 1;
                let mut body = body;
                body["metadata"]["resourceVersion"] = json!(next.to_string());
                self.objects.insert(path.into(), body.clone());
                (StatusCode::OK, body)
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

    pub(crate) fn calls(&self, method: &str, path_part: &str) -> Vec<&Call> {
        self.calls
            .iter()
            .filter(|call| call.method == method && call.path.contains(path_part))
            .collect()
    }
}

/// A client whose requests the fake answers.
pub(crate) fn client(fake: Arc<Mutex<FakeApi>>) -> Client {
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
