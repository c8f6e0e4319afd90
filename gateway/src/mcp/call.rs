//! `tools/call`: dispatch to the owning family, relay progress, logs and client requests, answer.
//!
//! The reply is JSON when the call finishes before it has anything else to say (the common case),
//! and an SSE stream as soon as a progress, log or client-request message must go out first.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use octomesh_proto::v1;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::dispatch::{self, CallEvent};
use crate::hub::PendingClientRequest;
use crate::mcp::builtin;
use crate::mcp::error::{McpFailure, error_result, tool_failure};
use crate::mcp::handler::{Env, Reply, error_reply};
use crate::mcp::jsonrpc::{self, RequestId, code};
use crate::mcp::log_level::LogLevel;
use crate::resume::Frame;
use crate::state::AppState;

pub(crate) async fn tools_call(env: Env, id: RequestId, mut params: Map<String, Value>) -> Reply {
    let name = match params.remove("name") {
        Some(Value::String(name)) => name,
        _ => {
            return error_reply(
                &id,
                code::INVALID_PARAMS,
                "Invalid params: tools/call needs `name`, the tool's name as a string.",
            );
        }
    };
    let arguments = match params.remove("arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(arguments)) => arguments,
        Some(_) => {
            return error_reply(
                &id,
                code::INVALID_PARAMS,
                "Invalid params: `arguments` must be an object.",
            );
        }
    };
    let meta = match params.remove("_meta") {
        Some(Value::Object(meta)) => Some(meta),
        _ => None,
    };
    let catalog = env.state.catalog();
    let Some(tool) = catalog.tool(&name) else {
        return error_reply(
            &id,
            code::INVALID_PARAMS,
            &format!(
                "Invalid params: unknown tool `{name}`. Call tools/list to see the available tools."
            ),
        );
    };
    let started = std::time::Instant::now();
    if tool.pool.family == builtin::FAMILY {
        let result = builtin::call(&name, arguments, &catalog, &env, &id)
            .await
            .unwrap_or_else(|| error_result("unknown built-in tool"));
        let ok = result["isError"] != json!(true);
        if !ok {
            crate::mcp::trace::record_tool_error();
        }
        env.state.stats.record(&name, started.elapsed(), ok);
        return Reply::Json(jsonrpc::result(&id, result));
    }
    let progress_token = meta
        .as_ref()
        .and_then(|meta| meta.get("progressToken"))
        .filter(|token| token.is_string() || token.is_number())
        .cloned();
    let mut context = env.call_context(&id);
    // A tool that declares a longer bound than the call timeout (one waiting for a platform job)
    // runs to its own bound; the worker enforces it.
    let own_bound = Duration::from_secs(u64::from(tool.spec.max_duration_secs));
    context.timeout = context.timeout.map(|timeout| timeout.max(own_bound));
    let call_tenant = arguments
        .get("tenantId")
        .and_then(Value::as_str)
        .filter(|tenant| !tenant.is_empty())
        .or(env.tenant.as_deref());
    if let Some(tenant) = call_tenant {
        crate::mcp::trace::record_tenant(tenant);
    }
    let session_uid = env.session.as_ref().map(|session| session.session_uid);
    match crate::auth::resolve::call_token(&env.state, &env.caller, session_uid, call_tenant).await
    {
        Ok(token) => {
            // A session signed in with the device flow: the principal is its sign-in's subject.
            if context.principal.is_none() {
                context.principal = token.as_deref().and_then(crate::auth::resolve::subject_of);
            }
            context.access_token = token;
        }
        Err(message) => {
            env.state.stats.record(&name, started.elapsed(), false);
            crate::mcp::trace::record_tool_error();
            return Reply::Json(jsonrpc::result(&id, error_result(&message)));
        }
    }
    let start = v1::CallToolRequest {
        name: name.clone(),
        arguments_json: serde_json::to_vec(&arguments).expect("objects encode"),
        call_id: env.state.hub.next_call_id(),
        validate_only: false,
    };
    let events = dispatch::call(Arc::clone(&tool.pool), tool.spec.idempotent, context, start);
    let mut frames = relay(env, id, events, progress_token, Finished { name, started });
    match frames.next().await {
        Some(Frame::Final(message)) => Reply::Json(message),
        Some(first) => Reply::Stream(
            futures_util::stream::once(async move { first })
                .chain(frames)
                .boxed(),
        ),
        None => Reply::Stream(futures_util::stream::empty().boxed()),
    }
}

/// Removes the call from the hub when its stream ends or is dropped (client gone).
struct Tracked {
    state: Arc<AppState>,
    session: [u8; 16],
    request_key: String,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.state.hub.untrack_call(self.session, &self.request_key);
    }
}

/// What to record when a call finishes.
struct Finished {
    name: String,
    started: std::time::Instant,
}

/// Turns call events into MCP messages, ending with the response.
fn relay(
    env: Env,
    id: RequestId,
    mut events: BoxStream<'static, CallEvent>,
    progress_token: Option<Value>,
    finished: Finished,
) -> BoxStream<'static, Frame> {
    let state = Arc::clone(&env.state);
    let session_uid = env.session.as_ref().map(|session| session.session_uid);
    let stateless = env.version.is_stateless();
    let log_threshold = env.log_threshold();
    let stream = async_stream::stream! {
        let (cancelled, _tracked) = match session_uid {
            Some(session) => {
                let token = state.hub.track_call(session, id.key());
                (token, Some(Tracked { state: Arc::clone(&state), session, request_key: id.key().to_owned() }))
            }
            None => (tokio_util::sync::CancellationToken::new(), None),
        };
        let mut last_progress = f64::NEG_INFINITY;
        loop {
            let event = tokio::select! {
                biased;
                _ = cancelled.cancelled() => {
                    // The client cancelled: the worker's call is dropped with `events`.
                    crate::mcp::trace::record_error(code::REQUEST_CANCELLED);
                    yield Frame::Final(jsonrpc::error(Some(&id), code::REQUEST_CANCELLED, "Request cancelled by the client.", None));
                    return;
                }
                event = events.next() => event,
            };
            let Some(event) = event else {
                crate::mcp::trace::record_tool_error();
                yield Frame::Final(jsonrpc::result(&id, error_result("The call ended without a result.")));
                return;
            };
            match event {
                CallEvent::Progress(progress) => {
                    let Some(token) = &progress_token else { continue };
                    if progress.progress <= last_progress {
                        continue;
                    }
                    last_progress = progress.progress;
                    let mut params = json!({"progressToken": token, "progress": progress.progress});
                    if let Some(total) = progress.total {
                        params["total"] = json!(total);
                    }
                    if !progress.message.is_empty() {
                        params["message"] = json!(progress.message);
                    }
                    yield Frame::Message(jsonrpc::notification("notifications/progress", params));
                }
                CallEvent::Log(log) => {
                    let level = LogLevel::from_proto(log.level);
                    if log_threshold.is_none_or(|threshold| level < threshold) {
                        continue;
                    }
                    let data: Box<RawValue> = serde_json::from_slice(&log.data_json)
                        .unwrap_or_else(|_| serde_json::value::to_raw_value(&Value::Null).expect("null encodes"));
                    let mut params = json!({"level": level.as_str(), "data": data});
                    if !log.logger.is_empty() {
                        params["logger"] = json!(log.logger);
                    }
                    yield Frame::Message(jsonrpc::notification("notifications/message", params));
                }
                CallEvent::Release { retry_after_ms } => {
                    yield Frame::Release { retry_ms: retry_after_ms };
                }
                CallEvent::ClientRequest { request, route } => {
                    let Some(session) = session_uid.filter(|_| !stateless) else {
                        let refusal = json!({"code": code::METHOD_NOT_FOUND, "message": "This transport cannot carry requests to the client."});
                        route.deliver(v1::ClientResponse { id: request.id, result_json: Vec::new(), error_json: refusal.to_string().into_bytes() }).await;
                        continue;
                    };
                    let params: Box<RawValue> = serde_json::from_slice(&request.params_json)
                        .unwrap_or_else(|_| serde_json::value::to_raw_value(&json!({})).expect("objects encode"));
                    let server_request_id = state.hub.next_server_request_id();
                    state.hub.await_client(session, server_request_id.clone(), PendingClientRequest { worker_request_id: request.id, route });
                    yield Frame::Message(jsonrpc::request(&server_request_id, &request.method, params));
                }
                CallEvent::Result(result) => {
                    state.stats.record(&finished.name, finished.started.elapsed(), !result.is_error);
                    if result.is_error {
                        crate::mcp::trace::record_tool_error();
                    }
                    yield Frame::Final(jsonrpc::result(&id, tool_result(&result)));
                    return;
                }
                CallEvent::Failure { code: error_code, message } => {
                    state.stats.record(&finished.name, finished.started.elapsed(), false);
                    let message = match tool_failure(error_code, &message) {
                        McpFailure::ToolResult(result) => {
                            crate::mcp::trace::record_tool_error();
                            jsonrpc::result(&id, result)
                        }
                        McpFailure::Protocol { code, message } => {
                            crate::mcp::trace::record_error(code);
                            jsonrpc::error(Some(&id), code, &message, None)
                        }
                    };
                    yield Frame::Final(message);
                    return;
                }
            }
        }
    };
    stream.boxed()
}

/// The MCP `CallToolResult` from the worker's parts: the worker's JSON is checked, not rebuilt.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolResultJson<'a> {
    content: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    structured_content: Option<&'a RawValue>,
    is_error: bool,
}

fn tool_result(result: &v1::ToolResult) -> ToolResultJson<'_> {
    let empty: &RawValue = serde_json::from_str("[]").expect("a literal parses");
    ToolResultJson {
        content: raw_json(&result.content_json).unwrap_or(empty),
        structured_content: raw_json(&result.structured_json),
        is_error: result.is_error,
    }
}

/// `bytes` as JSON text, if it is valid JSON.
fn raw_json(bytes: &[u8]) -> Option<&RawValue> {
    serde_json::from_str(std::str::from_utf8(bytes).ok()?).ok()
}
