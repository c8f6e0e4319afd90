//! The server span of one MCP request (OpenTelemetry MCP and GenAI semantic conventions).
//!
//! Attribute values are names and ids only: tool arguments, results and tokens are never recorded.

use octomesh_telemetry::TraceParent;
use serde_json::{Map, Value};
use tracing::Span;
use tracing::field::Empty;

use crate::mcp::handler::Env;
use crate::mcp::jsonrpc::RequestId;

/// Opens the span of a request. Its parent is the caller's `params._meta.traceparent` when there
/// is one, else the HTTP `traceparent` header, else nothing (a new trace).
pub(crate) fn request_span(
    env: &Env,
    id: &RequestId,
    method: &str,
    params: &Map<String, Value>,
) -> Span {
    let tool = (method == "tools/call")
        .then(|| params.get("name").and_then(Value::as_str))
        .flatten()
        .filter(|name| name.len() <= 128);
    let name = match tool {
        Some(tool) => format!("{method} {tool}"),
        None => method.to_owned(),
    };
    let session = env
        .session
        .as_ref()
        .map(|session| hex(&session.session_uid));
    let span = tracing::info_span!(
        "mcp.request",
        otel.name = %name,
        otel.kind = "server",
        otel.status_code = Empty,
        trace_id = Empty,
        mcp.method.name = %method,
        mcp.session.id = session.as_deref(),
        mcp.protocol.version = env.version.as_str(),
        jsonrpc.request.id = id.key().trim_matches('"'),
        network.protocol.name = "http",
        network.transport = "tcp",
        gen_ai.operation.name = tool.map(|_| "execute_tool"),
        gen_ai.tool.name = tool,
        octomesh.tenant = Empty,
        error.type = Empty,
        rpc.response.status_code = Empty,
    );
    let meta_parent = params
        .get("_meta")
        .and_then(Value::as_object)
        .and_then(|meta| {
            TraceParent::new(
                meta.get("traceparent").and_then(Value::as_str),
                meta.get("tracestate").and_then(Value::as_str),
            )
        });
    octomesh_telemetry::adopt(&span, meta_parent.as_ref().or(env.trace_parent.as_ref()));
    // A call names its tenant itself once its arguments are read (`record_tenant`).
    if tool.is_none()
        && let Some(tenant) = &env.tenant
    {
        span.record("octomesh.tenant", tenant.as_str());
    }
    span
}

/// Marks the current request span as failed with a JSON-RPC error `code`.
pub(crate) fn record_error(code: i64) {
    let span = Span::current();
    span.record("error.type", tracing::field::display(code));
    span.record("rpc.response.status_code", tracing::field::display(code));
    span.record("otel.status_code", "error");
}

/// Marks the current request span's tool call as failed (`isError: true`).
pub(crate) fn record_tool_error() {
    let span = Span::current();
    span.record("error.type", "tool_error");
    span.record("otel.status_code", "error");
}

/// Names the tenant a call ran against (its `tenantId` argument may override the route's).
pub(crate) fn record_tenant(tenant: &str) {
    Span::current().record("octomesh.tenant", tenant);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
