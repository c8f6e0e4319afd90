//! Span attributes set only on spans that are recorded (exported): without an OTLP endpoint no
//! attribute is even built, so instrumentation costs next to nothing.

use opentelemetry::trace::{Status, TraceContextExt as _};
use opentelemetry::{KeyValue, Value};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Whether `span` is recorded, i.e. sampled for export.
pub fn is_recorded(span: &Span) -> bool {
    span.context().span().is_recording()
}

/// Sets the attributes `attributes` builds on `span`, when the span is recorded.
pub fn set_attributes<I>(span: &Span, attributes: impl FnOnce() -> I)
where
    I: IntoIterator<Item = KeyValue>,
{
    if !is_recorded(span) {
        return;
    }
    for attribute in attributes() {
        span.set_attribute(attribute.key, attribute.value);
    }
}

/// Marks `span` as failed: `error.type` and an error status.
pub fn set_error(span: &Span, error_type: impl Into<Value>) {
    if !is_recorded(span) {
        return;
    }
    span.set_attribute("error.type", error_type.into());
    span.set_status(Status::error(""));
}
