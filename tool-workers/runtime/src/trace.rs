//! The spans a worker opens: the gRPC server span of a call and the tool's own span
//! (OpenTelemetry gRPC and GenAI `execute_tool` conventions). Arguments and results are recorded
//! only when payload recording is switched on (`--trace-payloads`), and then truncated.
//! Attributes are built only for spans that are exported.

use octomesh_proto::CallContext;
use octomesh_proto::v1::call_tool_down::Event;
use octomesh_telemetry::{KeyValue, TraceParent};
use tracing::Span;
use tracing::field::Empty;

/// The worker service's full name.
const SERVICE: &str = "octomesh.mcp.worker.v1.ToolWorker";

/// The server span of one gRPC call, child of the gateway's client span (from the metadata).
pub(crate) fn server_span(method: &'static str, context: &CallContext) -> Span {
    let span = tracing::info_span!(
        "grpc.server",
        otel.name = %format_args!("{SERVICE}/{method}"),
        otel.kind = "server",
        trace_id = Empty,
    );
    let parent = TraceParent::new(
        context.traceparent.as_deref(),
        context.tracestate.as_deref(),
    );
    octomesh_telemetry::adopt(&span, parent.as_ref());
    octomesh_telemetry::set_attributes(&span, || {
        let mut attributes = vec![
            KeyValue::new("rpc.system", "grpc"),
            KeyValue::new("rpc.service", SERVICE),
            KeyValue::new("rpc.method", method),
        ];
        if let Some(tenant) = &context.tenant {
            attributes.push(KeyValue::new("octomesh.tenant", tenant.clone()));
        }
        attributes
    });
    span
}

/// Records the gRPC status a server span ended with.
pub(crate) fn record_status(span: &Span, code: tonic::Code) {
    octomesh_telemetry::set_attributes(span, || {
        [KeyValue::new("rpc.grpc.status_code", code as i64)]
    });
    if code != tonic::Code::Ok {
        octomesh_telemetry::set_error(span, format!("{code:?}"));
    }
}

/// The span of one tool execution, child of the current span (the gRPC server span, or the
/// gateway's request span when the family runs in its process).
pub(crate) fn tool_span(tool: &'static str, context: &CallContext, arguments: &[u8]) -> Span {
    let span = tracing::info_span!(
        "tool",
        otel.name = %format_args!("execute_tool {tool}"),
        otel.kind = "internal",
    );
    octomesh_telemetry::set_attributes(&span, || {
        let mut attributes = vec![
            KeyValue::new("gen_ai.operation.name", "execute_tool"),
            KeyValue::new("gen_ai.tool.name", tool),
            KeyValue::new("gen_ai.tool.type", "function"),
        ];
        if let Some(tenant) = &context.tenant {
            attributes.push(KeyValue::new("octomesh.tenant", tenant.clone()));
        }
        if octomesh_telemetry::payloads_recorded() {
            attributes.push(KeyValue::new(
                "gen_ai.tool.call.arguments",
                octomesh_telemetry::payload_excerpt(arguments),
            ));
        }
        attributes
    });
    span
}

/// Records how the tool ended: its outcome label as `error.type` unless it succeeded, and the
/// result when payloads are recorded.
pub(crate) fn record_outcome(span: &Span, outcome: &'static str, event: &Event) {
    if outcome != "ok" {
        octomesh_telemetry::set_error(span, outcome);
    }
    if octomesh_telemetry::payloads_recorded()
        && let Event::Result(result) = event
    {
        let shown = if result.structured_json.is_empty() {
            &result.content_json
        } else {
            &result.structured_json
        };
        octomesh_telemetry::set_attributes(span, || {
            [KeyValue::new(
                "gen_ai.tool.call.result",
                octomesh_telemetry::payload_excerpt(shown),
            )]
        });
    }
}
