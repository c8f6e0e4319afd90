//! The server span of one MCP request (OpenTelemetry MCP and GenAI semantic conventions).
//!
//! Attribute values are names and ids only: tool arguments, results and tokens are never recorded.
//! Attributes are built only when the span is exported (`octomesh_telemetry::set_attributes`).

use octomesh_telemetry::{KeyValue, TraceParent};
use serde_json::{Map, Value};
use tracing::Span;
use tracing::field::Empty;

use crate::mcp::handler::Env;
use crate::mcp::jsonrpc::RequestId;

/// Opens the span of a request, and returns it with the caller's trace context: its
/// `params._meta.traceparent` when there is one, else the HTTP `traceparent` header, else none
/// (a new trace).
pub(crate) fn request_span(
    env: &Env,
    id: &RequestId,
    method: &str,
    params: &Map<String, Value>,
) -> (Span, Option<TraceParent>) {
    let tool = (method == "tools/call")
        .then(|| params.get("name").and_then(Value::as_str))
        .flatten()
        .filter(|name| name.len() <= 128);
    let span = tracing::info_span!(
        "mcp.request",
        otel.name = %SpanName(method, tool),
        otel.kind = "server",
        trace_id = Empty,
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
    let parent = meta_parent.or_else(|| env.trace_parent.clone());
    octomesh_telemetry::adopt(&span, parent.as_ref());
    octomesh_telemetry::set_attributes(&span, || {
        let mut attributes = vec![
            KeyValue::new("mcp.method.name", method.to_owned()),
            KeyValue::new("mcp.protocol.version", env.version.as_str()),
            KeyValue::new("jsonrpc.request.id", id.key().trim_matches('"').to_owned()),
            KeyValue::new("network.protocol.name", "http"),
            KeyValue::new("network.transport", "tcp"),
        ];
        if let Some(session) = &env.session {
            attributes.push(KeyValue::new("mcp.session.id", hex(&session.session_uid)));
        }
        match tool {
            Some(tool) => {
                attributes.push(KeyValue::new("gen_ai.operation.name", "execute_tool"));
                attributes.push(KeyValue::new("gen_ai.tool.name", tool.to_owned()));
            }
            // A call names its tenant itself once its arguments are read (`record_tenant`).
            None => {
                if let Some(tenant) = &env.tenant {
                    attributes.push(KeyValue::new("octomesh.tenant", tenant.clone()));
                }
            }
        }
        attributes
    });
    (span, parent)
}

/// `{mcp.method.name} {target}`, formatted only if a layer asks for the field.
struct SpanName<'a>(&'a str, Option<&'a str>);

impl std::fmt::Display for SpanName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            Some(tool) => write!(f, "{} {tool}", self.0),
            None => f.write_str(self.0),
        }
    }
}

/// Marks the current request span as failed with a JSON-RPC error `code`.
pub(crate) fn record_error(code: i64) {
    let span = Span::current();
    octomesh_telemetry::set_attributes(&span, || {
        [KeyValue::new("rpc.response.status_code", code.to_string())]
    });
    octomesh_telemetry::set_error(&span, code.to_string());
}

/// Marks the current request span's tool call as failed (`isError: true`).
pub(crate) fn record_tool_error() {
    octomesh_telemetry::set_error(&Span::current(), "tool_error");
}

/// Names the tenant a call ran against (its `tenantId` argument may override the route's).
pub(crate) fn record_tenant(tenant: &str) {
    octomesh_telemetry::set_attributes(&Span::current(), || {
        [KeyValue::new("octomesh.tenant", tenant.to_owned())]
    });
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
