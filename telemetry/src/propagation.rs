//! W3C trace context (`traceparent`, `tracestate`) in and out of a process.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::{TraceContextExt as _, TraceId};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Header (and gRPC metadata) names.
pub const TRACEPARENT: &str = "traceparent";
pub const TRACESTATE: &str = "tracestate";

/// Longest `tracestate` accepted from the network (the W3C limit is 32 members of ≤ 256 chars).
const MAX_TRACESTATE: usize = 512;

/// A trace context as it travels between processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceParent {
    pub traceparent: String,
    pub tracestate: Option<String>,
}

impl TraceParent {
    /// From `traceparent`/`tracestate` values received from the network; `None` when absent.
    /// Validity is checked when the context is used.
    pub fn new(traceparent: Option<&str>, tracestate: Option<&str>) -> Option<TraceParent> {
        let traceparent = traceparent?.trim();
        // version-traceid-spanid-flags is 55 characters; later versions may append fields.
        if traceparent.len() < 55 || traceparent.len() > 256 {
            return None;
        }
        Some(TraceParent {
            traceparent: traceparent.to_owned(),
            tracestate: tracestate
                .filter(|state| !state.is_empty() && state.len() <= MAX_TRACESTATE)
                .map(str::to_owned),
        })
    }

    /// From HTTP request headers.
    pub fn from_headers(headers: &http::HeaderMap) -> Option<TraceParent> {
        let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        TraceParent::new(text(TRACEPARENT), text(TRACESTATE))
    }

    /// Sets both headers on an outgoing request.
    pub fn write_headers(&self, headers: &mut http::HeaderMap) {
        if let Ok(value) = http::HeaderValue::from_str(&self.traceparent) {
            headers.insert(TRACEPARENT, value);
        }
        if let Some(state) = &self.tracestate
            && let Ok(value) = http::HeaderValue::from_str(state)
        {
            headers.insert(TRACESTATE, value);
        }
    }

    /// The OpenTelemetry context this parent stands for, when it is a valid W3C trace context.
    fn context(&self) -> Option<opentelemetry::Context> {
        let mut carrier = HashMap::with_capacity(2);
        carrier.insert(TRACEPARENT.to_owned(), self.traceparent.clone());
        if let Some(state) = &self.tracestate {
            carrier.insert(TRACESTATE.to_owned(), state.clone());
        }
        let context = TraceContextPropagator::new().extract(&carrier);
        context.span().span_context().is_valid().then_some(context)
    }
}

/// Makes `parent` (when it is a valid trace context) the parent of `span`, and records the span's
/// trace id in its `trace_id` field so every log line inside it carries the id. Call it before the
/// span is first entered. Invalid parents are ignored: the span starts a trace of its own.
/// Without export (no OpenTelemetry layer) the field gets the parent's trace id, if any.
pub fn adopt(span: &Span, parent: Option<&TraceParent>) {
    let parent = parent.and_then(TraceParent::context);
    if let Some(context) = &parent {
        let _ = span.set_parent(context.clone());
    }
    let own = span.context().span().span_context().trace_id();
    let trace_id = if own != TraceId::INVALID {
        Some(own)
    } else {
        parent.map(|context| context.span().span_context().trace_id())
    };
    if let Some(trace_id) = trace_id.filter(|id| *id != TraceId::INVALID) {
        span.record("trace_id", tracing::field::display(trace_id));
    }
}

/// The trace context to send to the next hop so that its spans are children of `span`; `None`
/// when spans are not exported.
pub fn trace_parent(span: &Span) -> Option<TraceParent> {
    let context = span.context();
    let span_ref = context.span();
    let span_context = span_ref.span_context();
    if !span_context.is_valid() {
        return None;
    }
    let state = span_context.trace_state().header();
    Some(TraceParent {
        traceparent: format!(
            "00-{}-{}-{:02x}",
            span_context.trace_id(),
            span_context.span_id(),
            span_context.trace_flags().to_u8()
        ),
        tracestate: (!state.is_empty()).then_some(state),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn parents_are_bounded_and_validated() {
        assert!(TraceParent::new(None, None).is_none());
        assert!(TraceParent::new(Some("00-abc"), None).is_none());
        let long = format!("{PARENT}-{}", "x".repeat(300));
        assert!(TraceParent::new(Some(&long), None).is_none());
        let parent = TraceParent::new(Some(PARENT), Some("a=1")).expect("a W3C example parses");
        assert!(parent.context().is_some());
        let zeros = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
        let invalid = TraceParent::new(Some(zeros), None).expect("well-formed length");
        assert!(
            invalid.context().is_none(),
            "an all-zero trace id is invalid"
        );
        let huge_state = "k=".to_owned() + &"v".repeat(600);
        let parent = TraceParent::new(Some(PARENT), Some(&huge_state)).expect("parent kept");
        assert_eq!(
            parent.tracestate, None,
            "an oversized tracestate is dropped"
        );
    }

    #[test]
    fn headers_round_trip() {
        let mut headers = http::HeaderMap::new();
        let parent = TraceParent::new(Some(PARENT), Some("vendor=x")).expect("parses");
        parent.write_headers(&mut headers);
        assert_eq!(TraceParent::from_headers(&headers), Some(parent));
    }
}
