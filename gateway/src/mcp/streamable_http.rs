//! Streamable HTTP: `POST`/`GET`/`DELETE` on `/mcp` and `/{tenantId}/mcp`.
//!
//! Sessionful revisions (2025-03-26 … 2025-11-25) get a sealed `Mcp-Session-Id` on `initialize`;
//! the stateless 2026-07-28 revision is recognised by its `MCP-Protocol-Version` header and never
//! gets a session. This file only frames: every method is answered by `handler`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::auth::Caller;
use crate::hub::SessionUid;
use crate::mcp::handler::{self, Env, Reply};
use crate::mcp::jsonrpc::{self, Incoming, RequestId, code};
use crate::mcp::sse;
use crate::mcp::stateless;
use crate::mcp::version::ProtocolVersion;
use crate::resume::{self, CallBuffer, Frame};
use crate::session::SessionClaims;
use crate::state::AppState;
use crate::tenant::TenantRoute;

pub(crate) const SESSION_HEADER: &str = "mcp-session-id";
pub(crate) const VERSION_HEADER: &str = "mcp-protocol-version";

pub(crate) async fn post_root(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    post(state, None, caller, headers, body).await
}

pub(crate) async fn post_tenant(
    State(state): State<Arc<AppState>>,
    Path(tenant): Path<String>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match TenantRoute::parse(&tenant) {
        Ok(tenant) => post(state, Some(tenant.into_inner()), caller, headers, body).await,
        Err(invalid) => invalid.into_response(),
    }
}

pub(crate) async fn get_root(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    get(state, headers)
}

pub(crate) async fn get_tenant(
    State(state): State<Arc<AppState>>,
    Path(_tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    get(state, headers)
}

pub(crate) async fn delete_root(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Response {
    delete(state, headers)
}

pub(crate) async fn delete_tenant(
    State(state): State<Arc<AppState>>,
    Path(_tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    delete(state, headers)
}

/// What the client's `Accept` header allows.
struct Accepts {
    json: bool,
    sse: bool,
}

fn accepts(headers: &HeaderMap) -> Accepts {
    let Some(accept) = headers
        .get(http::header::ACCEPT)
        .and_then(|value| value.to_str().ok())
    else {
        return Accepts {
            json: true,
            sse: true,
        };
    };
    let any = accept.contains("*/*");
    Accepts {
        json: any || accept.contains("application/json"),
        sse: any || accept.contains("text/event-stream"),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn rpc_error(status: StatusCode, id: Option<&RequestId>, code: i64, message: &str) -> Response {
    sse::json_response(status, jsonrpc::error(id, code, message, None), &[])
}

async fn post(
    state: Arc<AppState>,
    tenant: Option<String>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let accept = accepts(&headers);
    if !accept.json && !accept.sse {
        return rpc_error(
            StatusCode::NOT_ACCEPTABLE,
            None,
            code::INVALID_REQUEST,
            "Not Acceptable: the client must accept application/json and text/event-stream.",
        );
    }
    if let Some(content_type) = header(&headers, "content-type")
        && !content_type.starts_with("application/json")
    {
        return rpc_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            code::INVALID_REQUEST,
            "Unsupported Media Type: send the JSON-RPC message as application/json.",
        );
    }
    let message = match jsonrpc::parse(&body) {
        Ok(message) => message,
        Err(error) => {
            return rpc_error(
                StatusCode::BAD_REQUEST,
                error.id.as_ref(),
                error.code,
                &error.message,
            );
        }
    };
    let header_version = header(&headers, VERSION_HEADER).map(str::trim);

    // `initialize` starts a sessionful conversation whatever headers came with it.
    if let Incoming::Request { id, method, params } = &message
        && method == "initialize"
    {
        return initialize(
            &state,
            tenant,
            caller,
            id.clone(),
            params.clone(),
            &accept,
            &headers,
        )
        .await;
    }
    match header_version.map(ProtocolVersion::parse) {
        Some(Some(version)) if version.is_stateless() => {
            return post_stateless(state, tenant, caller, headers, message, version, &accept).await;
        }
        Some(None) if header(&headers, SESSION_HEADER).is_none() => {
            // Without a session this may be a newer stateless client: answer in its terms.
            let refusal = stateless::unsupported(header_version.unwrap_or_default());
            return sse::json_response(
                StatusCode::BAD_REQUEST,
                jsonrpc::error(
                    request_id(&message),
                    refusal.code,
                    &refusal.message,
                    refusal.data.as_ref(),
                ),
                &[],
            );
        }
        Some(None) => {
            return rpc_error(
                StatusCode::BAD_REQUEST,
                request_id(&message),
                code::INVALID_REQUEST,
                &format!(
                    "Bad Request: unsupported MCP-Protocol-Version `{}`; supported: {}.",
                    header_version.unwrap_or_default(),
                    ProtocolVersion::supported_names().join(", ")
                ),
            );
        }
        _ => {}
    }
    let session = match open_session(&state, &headers, request_id(&message)) {
        Ok(session) => session,
        Err(response) => return *response,
    };
    let version = header_version
        .and_then(ProtocolVersion::parse)
        .unwrap_or(session.protocol_version);
    let resumable =
        (session.protocol_version >= ProtocolVersion::V2025_11_25).then_some(session.session_uid);
    let env = Env {
        state: Arc::clone(&state),
        session: Some(session),
        version,
        tenant,
        caller: caller.clone(),
        request_log_level: None,
        trace_parent: octomesh_telemetry::TraceParent::from_headers(&headers),
    };
    match message {
        Incoming::Request { id, method, params } => {
            let reply = handler::handle_request(env, id, &method, params).await;
            reply_response(&state, reply, &accept, resumable, &[]).await
        }
        Incoming::Notification { method, params } => {
            notification(&env, &method, &params);
            StatusCode::ACCEPTED.into_response_empty()
        }
        Incoming::Response { id, result, error } => {
            deliver_client_response(&env, &id, result, error).await;
            StatusCode::ACCEPTED.into_response_empty()
        }
    }
}

trait EmptyResponse {
    fn into_response_empty(self) -> Response;
}

impl EmptyResponse for StatusCode {
    fn into_response_empty(self) -> Response {
        let mut response = Response::new(axum::body::Body::empty());
        *response.status_mut() = self;
        response
    }
}

fn request_id(message: &Incoming) -> Option<&RequestId> {
    match message {
        Incoming::Request { id, .. } | Incoming::Response { id, .. } => Some(id),
        Incoming::Notification { .. } => None,
    }
}

/// The session named by `Mcp-Session-Id`: 400 when missing, 404 when unknown, forged, expired or ended.
fn open_session(
    state: &AppState,
    headers: &HeaderMap,
    id: Option<&RequestId>,
) -> Result<SessionClaims, Box<Response>> {
    let Some(session_id) = header(headers, SESSION_HEADER) else {
        return Err(Box::new(rpc_error(
            StatusCode::BAD_REQUEST,
            id,
            code::INVALID_REQUEST,
            "Bad Request: Mcp-Session-Id header is required. Send `initialize` first to start a session.",
        )));
    };
    let not_found = |why: &str| {
        Box::new(rpc_error(
            StatusCode::NOT_FOUND,
            id,
            -32001,
            &format!("Session not found: {why}. Send `initialize` to start a new session."),
        ))
    };
    match state.sealer.open(session_id) {
        Ok(session) if state.hub.is_terminated(session.session_uid) => {
            Err(not_found("the session was ended"))
        }
        Ok(session) => Ok(session),
        Err(error) => Err(not_found(&error.to_string())),
    }
}

async fn initialize(
    state: &Arc<AppState>,
    tenant: Option<String>,
    caller: Caller,
    id: RequestId,
    params: Map<String, Value>,
    accept: &Accepts,
    headers: &HeaderMap,
) -> Response {
    if !params.get("protocolVersion").is_some_and(Value::is_string) {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            Some(&id),
            code::INVALID_PARAMS,
            "Invalid params: initialize needs `protocolVersion` (a string).",
        );
    }
    let requested = params
        .get("protocolVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let version = handler::negotiate(requested);
    let (session_id, session) = state.sealer.mint(version);
    state.hub.session_started();
    let env = Env {
        state: Arc::clone(state),
        session: Some(session),
        version,
        tenant,
        caller: caller.clone(),
        request_log_level: None,
        trace_parent: octomesh_telemetry::TraceParent::from_headers(headers),
    };
    let reply = handler::handle_request(env, id, "initialize", params).await;
    reply_response(state, reply, accept, None, &[(SESSION_HEADER, session_id)]).await
}

async fn post_stateless(
    state: Arc<AppState>,
    tenant: Option<String>,
    caller: Caller,
    headers: HeaderMap,
    message: Incoming,
    version: ProtocolVersion,
    accept: &Accepts,
) -> Response {
    let (method, params, id) = match &message {
        Incoming::Request { id, method, params } => (method, params, Some(id)),
        Incoming::Notification { method, params } => (method, params, None),
        Incoming::Response { id, .. } => {
            return rpc_error(
                StatusCode::BAD_REQUEST,
                Some(id),
                code::INVALID_REQUEST,
                "Invalid request: clients must not POST responses in protocol revision 2026-07-28.",
            );
        }
    };
    let accepted =
        match stateless::validate(&headers, version.as_str(), method, params, id.is_some()) {
            Ok(accepted) => accepted,
            Err(refusal) => {
                let status = if refusal.not_found {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::BAD_REQUEST
                };
                return sse::json_response(
                    status,
                    jsonrpc::error(id, refusal.code, &refusal.message, refusal.data.as_ref()),
                    &[],
                );
            }
        };
    let Incoming::Request { id, method, params } = message else {
        return StatusCode::ACCEPTED.into_response_empty();
    };
    let env = Env {
        state: Arc::clone(&state),
        session: None,
        version,
        tenant,
        caller,
        request_log_level: accepted.log_level,
        trace_parent: octomesh_telemetry::TraceParent::from_headers(&headers),
    };
    let unknown = !matches!(
        method.as_str(),
        "server/discover"
            | "tools/list"
            | "tools/call"
            | "resources/list"
            | "resources/templates/list"
            | "resources/read"
            | "prompts/list"
            | "prompts/get"
            | "completion/complete"
    );
    if unknown {
        return rpc_error(
            StatusCode::NOT_FOUND,
            Some(&id),
            code::METHOD_NOT_FOUND,
            &format!("Method not found: `{method}`."),
        );
    }
    let reply = handler::handle_request(env, id, &method, params).await;
    reply_response(&state, reply, accept, None, &[]).await
}

/// Frames a reply as JSON or SSE, as the client accepts.
async fn reply_response(
    state: &Arc<AppState>,
    reply: Reply,
    accept: &Accepts,
    resumable: Option<SessionUid>,
    extra: &[(&'static str, String)],
) -> Response {
    match reply {
        Reply::Json(json) => sse::json_response(StatusCode::OK, json, extra),
        Reply::Stream(frames) if accept.sse => {
            let body = match resumable {
                Some(session) => resumable_stream(state, session, frames).boxed(),
                None => frames
                    .filter_map(|frame| async move {
                        match frame {
                            Frame::Message(message) | Frame::Final(message) => {
                                Some(sse::event(&message))
                            }
                            Frame::Release { .. } => None,
                        }
                    })
                    .boxed(),
            };
            // Calls in flight drain on shutdown: their streams end with their response.
            sse::response(
                body,
                Some(state.config.keep_alive),
                CancellationToken::new(),
                extra,
            )
        }
        Reply::Stream(frames) => {
            // A JSON-only client gets the final response alone; related messages are dropped.
            let last = frames
                .fold(String::new(), |last, frame| async move {
                    match frame {
                        Frame::Final(message) => message,
                        _ => last,
                    }
                })
                .await;
            sse::json_response(StatusCode::OK, last, extra)
        }
    }
}

/// Detaches the call from this connection: its frames go to a buffer the response follows, so the
/// client can drop the connection (or be released) and resume with `Last-Event-ID`.
fn resumable_stream(
    state: &Arc<AppState>,
    session: SessionUid,
    frames: futures_util::stream::BoxStream<'static, Frame>,
) -> impl futures_util::Stream<Item = bytes::Bytes> + Send + 'static {
    let buffer = Arc::new(CallBuffer::new(stream_token()));
    state.hub.keep_buffer(session, Arc::clone(&buffer));
    let pump_state = Arc::clone(state);
    let pump_buffer = Arc::clone(&buffer);
    tokio::spawn(async move {
        resume::pump(Arc::clone(&pump_buffer), frames).await;
        // Keep the finished call a while for a client that resumes late.
        tokio::time::sleep(RESUME_GRACE).await;
        pump_state.hub.drop_buffer(session, &pump_buffer.token);
    });
    resume::follow(buffer, 0, true)
}

/// How long a finished call's messages stay available for a resume.
const RESUME_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

fn stream_token() -> String {
    use chacha20poly1305::aead::OsRng;
    use chacha20poly1305::aead::rand_core::RngCore;
    let mut bytes = [0u8; 9];
    OsRng.fill_bytes(&mut bytes);
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
}

/// Handles a client notification.
fn notification(env: &Env, method: &str, params: &Map<String, Value>) {
    if method == "notifications/cancelled"
        && let Some(session) = &env.session
        && let Some(request_id) = params.get("requestId")
    {
        env.state
            .hub
            .cancel_call(session.session_uid, &request_id.to_string());
    }
}

/// Routes a client's answer to the call that asked.
pub(crate) async fn deliver_client_response(
    env: &Env,
    id: &RequestId,
    result: Option<Value>,
    error: Option<Value>,
) {
    let Some(session) = &env.session else { return };
    let Ok(Value::String(server_id)) = serde_json::from_str::<Value>(id.key()) else {
        return;
    };
    let Some(pending) = env.state.hub.take_pending(session.session_uid, &server_id) else {
        tracing::debug!(id = %server_id, "A client response matched no pending request.");
        return;
    };
    let answer = octomesh_proto::v1::ClientResponse {
        id: pending.worker_request_id,
        result_json: result
            .map(|result| result.to_string().into_bytes())
            .unwrap_or_default(),
        error_json: error
            .map(|error| error.to_string().into_bytes())
            .unwrap_or_default(),
    };
    pending.route.deliver(answer).await;
}

/// `GET`: the session's stream of server-initiated messages.
fn get(state: Arc<AppState>, headers: HeaderMap) -> Response {
    if header(&headers, VERSION_HEADER)
        .and_then(ProtocolVersion::parse)
        .is_some_and(ProtocolVersion::is_stateless)
    {
        return sse::text_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed: revision 2026-07-28 has no GET stream.",
        );
    }
    if !accepts(&headers).sse {
        return sse::text_response(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable: GET needs Accept: text/event-stream.",
        );
    }
    let session = match open_session(&state, &headers, None) {
        Ok(session) => session,
        Err(response) => return *response,
    };
    if let Some(buffer) = header(&headers, "last-event-id")
        .and_then(resume::parse_event_id)
        .and_then(|(token, seq)| {
            state
                .hub
                .buffer(session.session_uid, token)
                .map(|buffer| (buffer, seq))
        })
    {
        // A resume: replay the call's messages after the client's last one, then follow it live.
        let (buffer, seq) = buffer;
        let frames = resume::follow(buffer, seq, false).boxed();
        return sse::response(
            frames,
            Some(state.config.keep_alive),
            CancellationToken::new(),
            &[],
        );
    }
    let (sender, receiver) = tokio::sync::mpsc::channel::<String>(16);
    state.hub.attach_stream(session.session_uid, sender.clone());
    let detach = DetachOnDrop {
        state: Arc::clone(&state),
        session: session.session_uid,
        sender,
    };
    let frames = tokio_stream::wrappers::ReceiverStream::new(receiver)
        .map(move |message| {
            let _keep = &detach;
            sse::event(&message)
        })
        .boxed();
    sse::response(
        frames,
        Some(state.config.keep_alive),
        state.shutdown.clone(),
        &[],
    )
}

struct DetachOnDrop {
    state: Arc<AppState>,
    session: [u8; 16],
    sender: tokio::sync::mpsc::Sender<String>,
}

impl Drop for DetachOnDrop {
    fn drop(&mut self) {
        self.state.hub.detach_stream(self.session, &self.sender);
    }
}

/// `DELETE`: ends the session.
fn delete(state: Arc<AppState>, headers: HeaderMap) -> Response {
    if header(&headers, VERSION_HEADER)
        .and_then(ProtocolVersion::parse)
        .is_some_and(ProtocolVersion::is_stateless)
    {
        return sse::text_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed: revision 2026-07-28 has no sessions.",
        );
    }
    match open_session(&state, &headers, None) {
        Ok(session) => {
            state
                .hub
                .terminate(session.session_uid, state.config.session_lifetime);
            StatusCode::OK.into_response_empty()
        }
        Err(invalid) => invalid.into_response(),
    }
}
