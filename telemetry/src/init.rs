//! Installs the process's `tracing` subscriber: the log layer on stderr and the OpenTelemetry
//! layer, with the OTLP exporter when the environment asks for one.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer as _, fmt};

use crate::export;

/// How log lines are written on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable text.
    Text,
    /// One JSON object per line (for Kubernetes log collectors).
    Json,
}

/// The installed telemetry; [`Telemetry::shutdown`] flushes the spans not yet exported.
pub struct Telemetry {
    /// Present when spans are exported.
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported over OTLP.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Exports what is still buffered and stops the exporter. Blocks: call it outside async code,
    /// while the Tokio runtime that built the exporter is still alive.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(error) = provider.shutdown()
        {
            eprintln!("octomesh-mcp: the last spans could not be exported: {error}");
        }
    }
}

/// Installs logging and tracing for a process whose role is `service_name` (the OTLP
/// `service.name`, unless `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` names one).
///
/// Levels come from `RUST_LOG` (default `info`). Spans of this project's crates are exported when
/// an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT`, …), sampled by
/// `OTEL_TRACES_SAMPLER` (default: parent-based, always on). Call it inside a Tokio runtime: the
/// gRPC exporter needs one. A second call in the same process only returns a handle.
pub fn init(service_name: &str, format: LogFormat) -> Telemetry {
    let mut problems = Vec::new();
    let exporter = if export::requested(export::env) {
        match export::protocol(export::env).and_then(export::exporter) {
            Ok(exporter) => Some(exporter),
            Err(problem) => {
                problems.push(problem);
                None
            }
        }
    } else {
        None
    };
    let provider = exporter.map(|exporter| {
        SdkTracerProvider::builder()
            .with_resource(resource(service_name))
            .with_batch_exporter(exporter)
            .build()
    });
    // Without an exporter there is no OpenTelemetry layer at all: it would cost a fifth of the
    // gateway's throughput for spans nobody receives (bench/README.md). Log lines then carry the
    // caller's trace id when it sent one (`adopt`).
    let otel = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("octomesh-mcp"))
            // Parents come from the `tracing` span tree; no OpenTelemetry context is attached on
            // every poll of an instrumented future.
            .with_context_activation(false)
            // Only the semantic-convention attributes the spans declare: no source locations,
            // threads, targets or busy/idle timings.
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_tracked_inactivity(false)
            .with_filter(filter_fn(|metadata| {
                metadata.is_span() && metadata.target().starts_with("octomesh")
            }))
    });
    let levels = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = match format {
        LogFormat::Text => fmt::layer().with_writer(std::io::stderr).boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .with_ansi(false)
            .with_writer(std::io::stderr)
            .boxed(),
    }
    .with_filter(crate::log_levels::Levels { base: levels });
    let _ = tracing_subscriber::registry()
        .with(otel)
        .with(logs)
        .try_init();
    for problem in problems {
        tracing::warn!("{problem}; spans are not exported");
    }
    Telemetry { provider }
}

/// The resource of every span: `service.name` defaults to the role's name.
fn resource(service_name: &str) -> Resource {
    let named_by_env = export::env("OTEL_SERVICE_NAME").is_some_and(|name| !name.is_empty())
        || export::env("OTEL_RESOURCE_ATTRIBUTES").is_some_and(|attributes| {
            attributes
                .split(',')
                .any(|pair| pair.trim_start().starts_with("service.name="))
        });
    let builder = Resource::builder();
    if named_by_env {
        builder.build()
    } else {
        builder.with_service_name(service_name.to_owned()).build()
    }
}
