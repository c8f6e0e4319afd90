//! A stand-in of the asset repository's routes the bot calls, following their contract: file
//! answers with `Content-Disposition`, JSON answers, `{"message"}` refusals. It counts calls and
//! keeps what it was sent, and can hold a dump until a test lets it go.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{Value, json};

/// The token the stand-in identity service issues.
pub(crate) const BOT_TOKEN: &str = "bot-token-1";

pub(crate) struct StandIn {
    /// Calls per `"{route} {tenant}"`.
    pub(crate) calls: Mutex<HashMap<String, usize>>,
    /// Every request's query, body and `Authorization`, in order.
    pub(crate) seen: Mutex<Vec<Seen>>,
    /// Token requests (their forms).
    pub(crate) token_requests: Mutex<Vec<HashMap<String, String>>>,
    /// Dumps of tenant `slow` wait for a permit.
    pub(crate) gate: tokio::sync::Semaphore,
    /// Refuse requests without the bot's token.
    pub(crate) require_token: std::sync::atomic::AtomicBool,
    pub(crate) dumps_in_flight: AtomicUsize,
}

#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) route: String,
    pub(crate) tenant: String,
    pub(crate) query: HashMap<String, String>,
    pub(crate) body: Bytes,
    pub(crate) authorization: Option<String>,
}

impl Default for StandIn {
    fn default() -> StandIn {
        StandIn {
            calls: Mutex::default(),
            seen: Mutex::default(),
            token_requests: Mutex::default(),
            gate: tokio::sync::Semaphore::new(0),
            require_token: Default::default(),
            dumps_in_flight: AtomicUsize::new(0),
        }
    }
}

impl StandIn {
    pub(crate) fn count(&self, route: &str, tenant: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .get(&format!("{route} {tenant}"))
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn last(&self, route: &str) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|seen| seen.route == route)
            .cloned()
            .unwrap_or_else(|| panic!("the stand-in saw no {route}"))
    }

    /// Records the call; a refusal when the token is required and missing.
    #[allow(clippy::result_large_err)]
    fn record(
        &self,
        route: &str,
        tenant: &str,
        query: HashMap<String, String>,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<(), Response> {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        *self
            .calls
            .lock()
            .unwrap()
            .entry(format!("{route} {tenant}"))
            .or_default() += 1;
        self.seen.lock().unwrap().push(Seen {
            route: route.to_owned(),
            tenant: tenant.to_owned(),
            query,
            body,
            authorization: authorization.clone(),
        });
        if self.require_token.load(Ordering::SeqCst)
            && authorization.as_deref() != Some(&format!("Bearer {BOT_TOKEN}"))
        {
            return Err(refuse(
                StatusCode::UNAUTHORIZED,
                "Not authenticated: send a bearer token of the platform's identity service.",
            ));
        }
        if tenant == "missing" {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                "Tenant 'missing' does not exist.",
            ));
        }
        Ok(())
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"message": message, "details": []}))).into_response()
}

/// The database bytes inside `tenant`'s dump.
pub(crate) fn dump_bytes(tenant: &str) -> Vec<u8> {
    format!("DUMP of {tenant};").repeat(10_000).into_bytes()
}

/// `tenant`'s dump as the asset repository gives it: a ZIP of the database and a manifest.
pub(crate) fn dump_archive(tenant: &str) -> Vec<u8> {
    use std::io::Write as _;
    let database = dump_bytes(tenant);
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    writer.start_file("repository.sqlite", options).unwrap();
    writer.write_all(&database).unwrap();
    writer.start_file("manifest.json", options).unwrap();
    let manifest = json!({"format": "octomesh-tenant-backup", "formatVersion": 1, "sourceTenantId": tenant,
        "counts": {"entities": 1}, "entries": [{"name": "repository.sqlite", "sizeBytes": database.len(), "sha256": "00"}]});
    writer.write_all(manifest.to_string().as_bytes()).unwrap();
    writer.finish().unwrap().into_inner()
}

/// The member accounts the stand-in identity service has for every tenant.
pub(crate) fn identity_document(tenant: &str) -> serde_json::Value {
    json!({"format": "octomesh-tenant-identity", "formatVersion": 1, "tenantId": tenant,
           "users": [{"username": "alice", "displayName": "Alice", "roles": ["DashboardViewer"],
                      "groups": [], "passwordHash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}]})
}

async fn identity_export(
    State(standin): Shared,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = standin.record(
        "identity-export",
        &tenant,
        HashMap::new(),
        &headers,
        Bytes::new(),
    ) {
        return refusal;
    }
    Json(identity_document(&tenant)).into_response()
}

async fn identity_import(
    State(standin): Shared,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refusal) = standin.record("identity-import", &tenant, HashMap::new(), &headers, body)
    {
        return refusal;
    }
    Json(json!({"tenantId": tenant, "created": 1, "granted": 0})).into_response()
}

type Shared = State<Arc<StandIn>>;
type Q = Query<HashMap<String, String>>;

async fn dump(
    State(standin): Shared,
    Path(tenant): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = standin.record("dump", &tenant, query, &headers, Bytes::new()) {
        return refusal;
    }
    if tenant == "slow" {
        standin.dumps_in_flight.fetch_add(1, Ordering::SeqCst);
        standin.gate.acquire().await.expect("open").forget();
    }
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{tenant}-dump.octobak\""),
            ),
        ],
        dump_archive(&tenant),
    )
        .into_response()
}

async fn restore(
    State(standin): Shared,
    Path(tenant): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let size = body.len();
    let database = query.get("databaseName").cloned();
    if let Err(refusal) = standin.record("restore", &tenant, query, &headers, body) {
        return refusal;
    }
    Json(json!({"tenantId": tenant, "databaseName": database, "bytes": size})).into_response()
}

async fn export_by_query(
    State(standin): Shared,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Err(refusal) = standin.record("by-query", &tenant, HashMap::new(), &headers, body) {
        return refusal;
    }
    format!(
        "ZIP of query {}",
        request["queryId"].as_str().unwrap_or("?")
    )
    .into_response()
}

async fn export_by_deep_graph(
    State(standin): Shared,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refusal) = standin.record("by-deep-graph", &tenant, HashMap::new(), &headers, body) {
        return refusal;
    }
    "ZIP of a deep graph".into_response()
}

async fn archive_export(
    State(standin): Shared,
    Path((tenant, archive)): Path<(String, String)>,
    Query(query): Q,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = standin.record("archive-export", &tenant, query, &headers, Bytes::new()) {
        return refusal;
    }
    format!("ZIP of archive {archive}").into_response()
}

async fn archive_import(
    State(standin): Shared,
    Path((tenant, archive)): Path<(String, String)>,
    Query(query): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let size = body.len();
    let mode = query.get("mode").cloned();
    if let Err(refusal) = standin.record("archive-import", &tenant, query, &headers, body) {
        return refusal;
    }
    Json(json!({"archiveRtId": archive, "mode": mode, "bytes": size})).into_response()
}

async fn fixups(
    State(standin): Shared,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = standin.record("fixups", &tenant, HashMap::new(), &headers, Bytes::new())
    {
        return refusal;
    }
    Json(json!({"applied": 2, "failed": 0})).into_response()
}

async fn token(State(standin): Shared, Form(form): Form<HashMap<String, String>>) -> Response {
    standin.token_requests.lock().unwrap().push(form);
    Json(json!({"access_token": BOT_TOKEN, "token_type": "Bearer", "expires_in": 3600}))
        .into_response()
}

/// The stand-in's routes (the asset repository's, and the identity service's token endpoint).
pub(crate) fn router(standin: Arc<StandIn>) -> Router {
    let tenants = "/system/v1/tenants/{tenant}";
    Router::new()
        .route(&format!("{tenants}/dump"), get(dump))
        .route(&format!("{tenants}/restore"), post(restore))
        .route(
            &format!("{tenants}/export/runtime-model/by-query"),
            post(export_by_query),
        )
        .route(
            &format!("{tenants}/export/runtime-model/by-deep-graph"),
            post(export_by_deep_graph),
        )
        .route(
            &format!("{tenants}/streamdata/archives/{{archive}}/export"),
            get(archive_export),
        )
        .route(
            &format!("{tenants}/streamdata/archives/{{archive}}/import"),
            post(archive_import),
        )
        .route(&format!("{tenants}/fixups/run"), post(fixups))
        .route(
            &format!("{tenants}/identity"),
            get(identity_export).post(identity_import),
        )
        .route("/connect/token", post(token))
        .with_state(standin)
}
