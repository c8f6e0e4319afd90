//! The one MCP method handler every transport calls.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use octomesh_proto::v1;
use octomesh_proto::{CallContext, HostError};
use octomesh_telemetry::InSpan;
use serde_json::{Map, Value, json};
use tracing::Instrument as _;

use crate::mcp::call;
use crate::mcp::error::lookup_failure;
use crate::mcp::jsonrpc::{self, RequestId, code};
use crate::mcp::log_level::LogLevel;
use crate::mcp::version::ProtocolVersion;
use crate::resume::Frame;
use crate::session::SessionClaims;
use crate::state::AppState;

pub(crate) const SERVER_NAME: &str = "octomesh-mcp";
pub(crate) const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The request's surroundings, as the transport established them.
pub(crate) struct Env {
    pub(crate) state: Arc<AppState>,
    /// The session, for sessionful revisions.
    pub(crate) session: Option<SessionClaims>,
    pub(crate) version: ProtocolVersion,
    /// The tenant of the `/{tenantId}/mcp` route.
    pub(crate) tenant: Option<String>,
    /// Who is calling (the bearer token's subject and the token itself).
    pub(crate) caller: crate::auth::Caller,
    /// 2026-07-28: the request's `_meta` log level; no log messages without it.
    pub(crate) request_log_level: Option<LogLevel>,
    /// The caller's W3C trace context: the HTTP request's, then (in `handle_request`) the one in
    /// `params._meta` when present.
    pub(crate) trace_parent: Option<octomesh_telemetry::TraceParent>,
}

impl Env {
    /// Log messages at or above this level reach the client; `None` sends none.
    pub(crate) fn log_threshold(&self) -> Option<LogLevel> {
        if self.version.is_stateless() {
            return self.request_log_level;
        }
        match &self.session {
            Some(session) => Some(
                self.state
                    .hub
                    .log_level(session.session_uid)
                    .unwrap_or(LogLevel::Debug),
            ),
            None => Some(LogLevel::Debug),
        }
    }

    pub(crate) fn call_context(&self, request_id: &RequestId) -> CallContext {
        CallContext {
            tenant: self.tenant.clone(),
            principal: self.caller.principal.clone(),
            access_token: self.caller.token.clone(),
            timeout: Some(self.state.config.call_timeout),
            request_id: Some(request_id.key().to_owned()),
            // The caller's; the gRPC client span puts its own in place when spans are exported.
            traceparent: self
                .trace_parent
                .as_ref()
                .map(|parent| parent.traceparent.clone()),
            tracestate: self
                .trace_parent
                .as_ref()
                .and_then(|parent| parent.tracestate.clone()),
            // Only with a file-transfer channel: the tools that publish downloads build URLs on it.
            public_base: self
                .state
                .transfers
                .is_some()
                .then(|| self.state.public_base()),
        }
    }
}

/// How a request is answered.
pub(crate) enum Reply {
    /// One JSON-RPC response.
    Json(String),
    /// Related messages (progress, logs, client requests), then the response last.
    Stream(BoxStream<'static, Frame>),
}

pub(crate) fn error_reply(id: &RequestId, code: i64, message: &str) -> Reply {
    crate::mcp::trace::record_error(code);
    Reply::Json(jsonrpc::error(Some(id), code, message, None))
}

/// Answers one request, inside its server span (which lasts as long as a streamed reply).
pub(crate) async fn handle_request(
    mut env: Env,
    id: RequestId,
    method: &str,
    params: Map<String, Value>,
) -> Reply {
    let (span, parent) = crate::mcp::trace::request_span(&env, &id, method, &params);
    env.trace_parent = parent;
    match answer(env, id, method, params)
        .instrument(span.clone())
        .await
    {
        Reply::Json(message) => Reply::Json(message),
        Reply::Stream(frames) => Reply::Stream(InSpan::new(frames, span).boxed()),
    }
}

async fn answer(env: Env, id: RequestId, method: &str, params: Map<String, Value>) -> Reply {
    match method {
        "ping" => Reply::Json(jsonrpc::result(&id, json!({}))),
        "initialize" => {
            let requested = params
                .get("protocolVersion")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let version = negotiate(requested);
            Reply::Json(jsonrpc::result(&id, initialize_result(version)))
        }
        "server/discover" => Reply::Json(jsonrpc::result(&id, discover_result(&env))),
        "tools/list" => tools_list(&env, &id, &params),
        "tools/call" => call::tools_call(env, id, params).await,
        "resources/list" => resources_list(&env, &id),
        "resources/templates/list" => templates_list(&env, &id),
        "resources/read" => resources_read(&env, &id, &params).await,
        "resources/subscribe" | "resources/unsubscribe" => {
            match params.get("uri").and_then(Value::as_str) {
                Some(_) => Reply::Json(jsonrpc::result(&id, json!({}))),
                None => error_reply(
                    &id,
                    code::INVALID_PARAMS,
                    "Invalid params: `uri` (a string) is required.",
                ),
            }
        }
        "prompts/list" => prompts_list(&env, &id),
        "prompts/get" => prompts_get(&env, &id, &params).await,
        "logging/setLevel" => set_level(&env, &id, &params),
        "completion/complete" => Reply::Json(jsonrpc::result(
            &id,
            json!({"completion": {"values": [], "total": 0, "hasMore": false}}),
        )),
        _ => error_reply(
            &id,
            code::METHOD_NOT_FOUND,
            &format!("Method not found: `{method}` is not supported by this server."),
        ),
    }
}

/// The version a sessionful client gets: its own if we speak it, else our newest sessionful one.
pub(crate) fn negotiate(requested: &str) -> ProtocolVersion {
    match ProtocolVersion::parse(requested) {
        Some(version) if !version.is_stateless() => version,
        _ => ProtocolVersion::LATEST_SESSIONFUL,
    }
}

fn capabilities() -> Value {
    json!({
        "tools": {"listChanged": false},
        "resources": {"subscribe": true, "listChanged": false},
        "prompts": {"listChanged": false},
        "logging": {},
        "completions": {},
    })
}

fn server_info() -> Value {
    json!({"name": SERVER_NAME, "title": "OctoMesh MCP", "version": SERVER_VERSION})
}

const INSTRUCTIONS: &str = "Tools for the OctoMesh industrial data platform. Tools that destroy \
data need `confirm: true`; `get_tool_risk_metadata` lists the risk class of every tool.";

pub(crate) fn initialize_result(version: ProtocolVersion) -> Value {
    json!({
        "protocolVersion": version.as_str(),
        "capabilities": capabilities(),
        "serverInfo": server_info(),
        "instructions": INSTRUCTIONS,
    })
}

fn discover_result(_env: &Env) -> Value {
    json!({
        "resultType": "complete",
        "supportedVersions": ProtocolVersion::supported_names()
            .into_iter()
            .filter(|name| *name != "2024-11-05")
            .collect::<Vec<_>>(),
        "capabilities": capabilities(),
        "instructions": INSTRUCTIONS,
        "ttlMs": 60_000,
        "cacheScope": "public",
        "_meta": {"io.modelcontextprotocol/serverInfo": server_info()},
    })
}

/// Adds the fields 2026-07-28 requires on list and read results.
fn with_cache_fields(env: &Env, mut result: Map<String, Value>) -> Value {
    if env.version.is_stateless() {
        result.insert("resultType".into(), json!("complete"));
        result.insert("ttlMs".into(), json!(60_000));
        result.insert("cacheScope".into(), json!("public"));
    }
    Value::Object(result)
}

fn tools_list(env: &Env, id: &RequestId, params: &Map<String, Value>) -> Reply {
    let catalog = env.state.catalog();
    let n_tools = catalog.tools_json.len();
    let offset = match params.get("cursor") {
        None | Some(Value::Null) => 0,
        Some(Value::String(cursor)) => match decode_cursor(cursor) {
            Some(offset) if offset <= n_tools => offset,
            _ => {
                return error_reply(
                    id,
                    code::INVALID_PARAMS,
                    "Invalid params: `cursor` is not a cursor this server issued. Start again without one.",
                );
            }
        },
        Some(_) => {
            return error_reply(
                id,
                code::INVALID_PARAMS,
                "Invalid params: `cursor` must be a string.",
            );
        }
    };
    let page_size = env.state.config.tools_page_size.max(1);
    let end = (offset + page_size).min(n_tools);
    let page = &catalog.tools_json[offset..end];
    let mut result = Map::new();
    result.insert(
        "tools".into(),
        serde_json::to_value(page).expect("tools encode"),
    );
    if end < n_tools {
        result.insert("nextCursor".into(), json!(encode_cursor(end)));
    }
    Reply::Json(jsonrpc::result(id, with_cache_fields(env, result)))
}

fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("tools:{offset}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    text.strip_prefix("tools:")?.parse().ok()
}

fn resources_list(env: &Env, id: &RequestId) -> Reply {
    let catalog = env.state.catalog();
    let resources: Vec<Value> = catalog
        .resources
        .iter()
        .map(|(spec, _)| {
            let mut resource = json!({"uri": spec.uri, "name": spec.name});
            put_if(&mut resource, "title", &spec.title);
            put_if(&mut resource, "description", &spec.description);
            put_if(&mut resource, "mimeType", &spec.mime_type);
            resource
        })
        .collect();
    let mut result = Map::new();
    result.insert("resources".into(), Value::Array(resources));
    Reply::Json(jsonrpc::result(id, with_cache_fields(env, result)))
}

fn templates_list(env: &Env, id: &RequestId) -> Reply {
    let catalog = env.state.catalog();
    let templates: Vec<Value> = catalog
        .resource_templates
        .iter()
        .map(|(spec, _)| {
            let mut template = json!({"uriTemplate": spec.uri_template, "name": spec.name});
            put_if(&mut template, "title", &spec.title);
            put_if(&mut template, "description", &spec.description);
            put_if(&mut template, "mimeType", &spec.mime_type);
            template
        })
        .collect();
    let mut result = Map::new();
    result.insert("resourceTemplates".into(), Value::Array(templates));
    Reply::Json(jsonrpc::result(id, with_cache_fields(env, result)))
}

fn prompts_list(env: &Env, id: &RequestId) -> Reply {
    let catalog = env.state.catalog();
    let prompts: Vec<Value> = catalog
        .prompts
        .iter()
        .map(|(spec, _)| {
            let arguments: Vec<Value> = spec
                .arguments
                .iter()
                .map(|argument| {
                    let mut value = json!({"name": argument.name, "required": argument.required});
                    put_if(&mut value, "description", &argument.description);
                    value
                })
                .collect();
            let mut prompt = json!({"name": spec.name, "arguments": arguments});
            put_if(&mut prompt, "title", &spec.title);
            put_if(&mut prompt, "description", &spec.description);
            prompt
        })
        .collect();
    let mut result = Map::new();
    result.insert("prompts".into(), Value::Array(prompts));
    Reply::Json(jsonrpc::result(id, with_cache_fields(env, result)))
}

fn put_if(object: &mut Value, key: &str, text: &str) {
    if !text.is_empty() {
        object[key] = json!(text);
    }
}

async fn resources_read(env: &Env, id: &RequestId, params: &Map<String, Value>) -> Reply {
    let Some(uri) = params.get("uri").and_then(Value::as_str) else {
        return error_reply(
            id,
            code::INVALID_PARAMS,
            "Invalid params: `uri` (a string) is required.",
        );
    };
    let stateless = env.version.is_stateless();
    let Some(pool) = env.state.catalog().resource_pool(uri) else {
        let (code, message) = lookup_failure(
            v1::ErrorCode::NotFound,
            &format!(
                "Resource not found: `{uri}`. Call resources/list or resources/templates/list."
            ),
            stateless,
        );
        return error_reply(id, code, &message);
    };
    let Some((_, endpoint)) = pool.pick(&[]) else {
        return error_reply(
            id,
            code::INTERNAL_ERROR,
            "No worker serves this resource right now.",
        );
    };
    let context = env.call_context(id);
    let request = v1::ReadResourceRequest {
        uri: uri.to_owned(),
    };
    match endpoint.host.read_resource(context, request).await {
        Ok(response) => {
            let contents: Value =
                serde_json::from_slice(&response.contents_json).unwrap_or(json!([]));
            let mut result = Map::new();
            result.insert("contents".into(), contents);
            Reply::Json(jsonrpc::result(id, with_cache_fields(env, result)))
        }
        Err(error) => host_error_reply(id, error, stateless),
    }
}

async fn prompts_get(env: &Env, id: &RequestId, params: &Map<String, Value>) -> Reply {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return error_reply(
            id,
            code::INVALID_PARAMS,
            "Invalid params: `name` (a string) is required.",
        );
    };
    let arguments = match params.get("arguments") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(arguments)) => serde_json::to_vec(arguments).expect("objects encode"),
        Some(_) => {
            return error_reply(
                id,
                code::INVALID_PARAMS,
                "Invalid params: `arguments` must be an object of strings.",
            );
        }
    };
    let Some(pool) = env.state.catalog().prompt_pool(name) else {
        return error_reply(
            id,
            code::INVALID_PARAMS,
            &format!("Invalid params: unknown prompt `{name}`. Call prompts/list."),
        );
    };
    let Some((_, endpoint)) = pool.pick(&[]) else {
        return error_reply(
            id,
            code::INTERNAL_ERROR,
            "No worker serves this prompt right now.",
        );
    };
    let request = v1::GetPromptRequest {
        name: name.to_owned(),
        arguments_json: arguments,
    };
    match endpoint
        .host
        .get_prompt(env.call_context(id), request)
        .await
    {
        Ok(response) => {
            let messages: Value =
                serde_json::from_slice(&response.messages_json).unwrap_or(json!([]));
            let mut result = json!({"messages": messages});
            put_if(&mut result, "description", &response.description);
            if env.version.is_stateless() {
                result["resultType"] = json!("complete");
            }
            Reply::Json(jsonrpc::result(id, result))
        }
        Err(error) => host_error_reply(id, error, env.version.is_stateless()),
    }
}

fn host_error_reply(id: &RequestId, error: HostError, stateless: bool) -> Reply {
    match error {
        HostError::Status { code, message } => {
            let (code, message) = lookup_failure(code, &message, stateless);
            error_reply(id, code, &message)
        }
        HostError::Unavailable(message) | HostError::Broken(message) => error_reply(
            id,
            code::INTERNAL_ERROR,
            &format!("The worker could not answer: {message}. Try again shortly."),
        ),
    }
}

fn set_level(env: &Env, id: &RequestId, params: &Map<String, Value>) -> Reply {
    let Some(level) = params
        .get("level")
        .and_then(Value::as_str)
        .and_then(LogLevel::parse)
    else {
        return error_reply(
            id,
            code::INVALID_PARAMS,
            &format!(
                "Invalid params: `level` must be one of {}.",
                LogLevel::names()
            ),
        );
    };
    if let Some(session) = &env.session {
        env.state.hub.set_log_level(
            session.session_uid,
            level,
            env.state.config.session_lifetime,
        );
    }
    Reply::Json(jsonrpc::result(id, json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("garbage!"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("other:1")), None);
    }

    #[test]
    fn unknown_and_stateless_versions_negotiate_to_the_newest_sessionful_one() {
        assert_eq!(negotiate("2025-06-18"), ProtocolVersion::V2025_06_18);
        assert_eq!(negotiate("2024-11-05"), ProtocolVersion::V2024_11_05);
        assert_eq!(negotiate("1999-01-01"), ProtocolVersion::V2025_11_25);
        assert_eq!(negotiate("2026-07-28"), ProtocolVersion::V2025_11_25);
    }
}
