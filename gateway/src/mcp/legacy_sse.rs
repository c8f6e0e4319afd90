//! The legacy HTTP+SSE transport of revision 2024-11-05: `GET /sse` opens the stream and names the
//! POST endpoint; `POST /messages?sessionId=…` carries client messages, answered on the stream.
//!
//! The stream lives on the replica that holds the connection, so a POST that reaches another replica
//! finds no stream and gets 404 (a shared fan-in store is the multi-replica answer; see
//! ARCHITECTURE.md). Deleting this file removes the transport.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};

use crate::auth::Caller;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::mcp::handler::{self, Env, Reply};
use crate::mcp::jsonrpc::{self, Incoming};
use crate::mcp::sse;
use crate::mcp::version::ProtocolVersion;
use crate::resume::Frame;
use crate::state::AppState;
use crate::tenant::TenantRoute;

/// Messages a legacy stream may queue before its sender waits.
const STREAM_BUFFER: usize = 64;

pub(crate) async fn open_root(State(state): State<Arc<AppState>>) -> Response {
    open(state, None)
}

pub(crate) async fn open_tenant(
    State(state): State<Arc<AppState>>,
    Path(tenant): Path<String>,
) -> Response {
    match TenantRoute::parse(&tenant) {
        Ok(tenant) => open(state, Some(tenant.into_inner())),
        Err(invalid) => invalid.into_response(),
    }
}

fn open(state: Arc<AppState>, tenant: Option<String>) -> Response {
    let (session_id, session) = state.sealer.mint(ProtocolVersion::V2024_11_05);
    state.hub.session_started();
    let (sender, receiver) = mpsc::channel::<String>(STREAM_BUFFER);
    state.hub.attach_stream(session.session_uid, sender.clone());
    let endpoint = match &tenant {
        Some(tenant) => format!("/{tenant}/messages?sessionId={session_id}"),
        None => format!("/messages?sessionId={session_id}"),
    };
    let guard = Detach {
        state: Arc::clone(&state),
        session: session.session_uid,
        sender,
    };
    let first = futures_util::stream::once(async move { sse::named_event("endpoint", &endpoint) });
    let messages = tokio_stream::wrappers::ReceiverStream::new(receiver).map(move |message| {
        let _keep = &guard;
        sse::named_event("message", &message)
    });
    sse::response(
        first.chain(messages).boxed(),
        Some(state.config.keep_alive),
        state.shutdown.clone(),
        &[],
    )
}

struct Detach {
    state: Arc<AppState>,
    session: [u8; 16],
    sender: mpsc::Sender<String>,
}

impl Drop for Detach {
    fn drop(&mut self) {
        self.state.hub.detach_stream(self.session, &self.sender);
    }
}

#[derive(Deserialize)]
pub(crate) struct SessionQuery {
    #[serde(rename = "sessionId")]
    session_id: String,
}

pub(crate) async fn post_root(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<SessionQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    post(state, None, caller, query, headers, body).await
}

pub(crate) async fn post_tenant(
    State(state): State<Arc<AppState>>,
    Path(tenant): Path<String>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<SessionQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match TenantRoute::parse(&tenant) {
        Ok(tenant) => {
            post(
                state,
                Some(tenant.into_inner()),
                caller,
                query,
                headers,
                body,
            )
            .await
        }
        Err(invalid) => invalid.into_response(),
    }
}

async fn post(
    state: Arc<AppState>,
    tenant: Option<String>,
    caller: Caller,
    query: SessionQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let session = match state.sealer.open(&query.session_id) {
        Ok(session) if !state.hub.is_terminated(session.session_uid) => session,
        _ => {
            return sse::text_response(
                StatusCode::NOT_FOUND,
                "Session not found: open a new stream with GET /sse.",
            );
        }
    };
    let session_uid = session.session_uid;
    let Some(stream) = state.hub.stream(session.session_uid) else {
        return sse::text_response(
            StatusCode::NOT_FOUND,
            "Session not found: its stream is closed; open a new one with GET /sse.",
        );
    };
    let message = match jsonrpc::parse(&body) {
        Ok(message) => message,
        Err(error) => {
            let json = jsonrpc::error(error.id.as_ref(), error.code, &error.message, None);
            return sse::json_response(StatusCode::BAD_REQUEST, json, &[]);
        }
    };
    let env = Env {
        state: Arc::clone(&state),
        session: Some(session),
        version: ProtocolVersion::V2024_11_05,
        tenant,
        caller,
        request_log_level: None,
        trace_parent: octomesh_telemetry::TraceParent::from_headers(&headers),
    };
    match message {
        Incoming::Request { id, method, params } => {
            // Answer on the stream, off this request, so the POST returns at once.
            tokio::spawn(async move {
                match handler::handle_request(env, id, &method, params).await {
                    Reply::Json(json) => {
                        let _ = stream.send(json).await;
                    }
                    Reply::Stream(mut frames) => {
                        while let Some(frame) = frames.next().await {
                            let message = match frame {
                                Frame::Message(message) | Frame::Final(message) => message,
                                Frame::Release { .. } => continue,
                            };
                            if stream.send(message).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
        Incoming::Notification { method, params } => {
            if method == "notifications/cancelled"
                && let Some(request_id) = params.get("requestId")
            {
                state.hub.cancel_call(session_uid, &request_id.to_string());
            }
        }
        Incoming::Response { id, result, error } => {
            crate::mcp::streamable_http::deliver_client_response(&env, &id, result, error).await;
        }
    }
    sse::text_response(StatusCode::ACCEPTED, "Accepted")
}
