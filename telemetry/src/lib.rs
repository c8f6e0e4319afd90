//! Telemetry shared by every role: `tracing` to stderr (text or JSON, each line with its trace
//! id), OpenTelemetry spans exported over OTLP when the standard `OTEL_*` variables ask for it,
//! and W3C trace-context propagation over HTTP headers and gRPC metadata.
//!
//! Spans are ordinary `tracing` spans; the OpenTelemetry layer turns the ones of this project's
//! crates into OTLP spans. Without an OTLP endpoint there is no such layer: nothing is recorded or
//! exported, and a caller's trace id still reaches the logs (and, from the gateway, the workers).

mod attributes;
mod export;
mod http_client;
mod in_span;
mod init;
pub mod log_levels;
mod payloads;
pub mod propagation;

pub use attributes::{is_recorded, set_attributes, set_error};
pub use in_span::InSpan;
pub use init::{LogFormat, Telemetry, init};
pub use opentelemetry::KeyValue;
pub use payloads::{payload_excerpt, payloads_recorded, record_payloads};
pub use propagation::{TraceParent, adopt, trace_parent};
