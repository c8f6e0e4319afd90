//! Real OTLP receivers for trace tests: the team's OTLP/gRPC sink (grpcio + opentelemetry-proto,
//! one JSON line per span) and the third-party collector rotel.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use tokio::process::Child;

use crate::process::free_port;

/// `tests/peers/otlp_sink.py` on a free port, writing spans to a file.
pub struct SpanSink {
    pub port: u16,
    spans: PathBuf,
    _child: Child,
}

impl SpanSink {
    /// Starts the sink and waits until it listens. Its files live in `dir`.
    pub async fn start(dir: &Path) -> SpanSink {
        let port = free_port();
        let spans = dir.join("spans.jsonl");
        let child = crate::peers::spawn(
            &format!(
                "\"$PEER_OBS_PY\" tests/peers/otlp_sink.py 127.0.0.1:{port} '{}'",
                spans.display()
            ),
            &dir.join("sink.log"),
        );
        wait_listening(port, "the OTLP sink").await;
        SpanSink {
            port,
            spans,
            _child: child,
        }
    }

    /// The `OTEL_EXPORTER_OTLP_ENDPOINT` for it.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<Span> {
        std::fs::read_to_string(&self.spans)
            .unwrap_or_default()
            .lines()
            .map(|line| Span(serde_json::from_str(line).expect("the sink writes JSON lines")))
            .collect()
    }
}

/// rotel (`rotel-agent`) receiving OTLP/gRPC and OTLP/HTTP, logging every span it gets.
pub struct Rotel {
    pub grpc_port: u16,
    pub http_port: u16,
    log: PathBuf,
    _child: Child,
}

impl Rotel {
    pub async fn start(dir: &Path) -> Rotel {
        let (grpc_port, http_port) = (free_port(), free_port());
        let log = dir.join("rotel.log");
        let child = crate::peers::spawn(
            &format!(
                "\"$PEER_ROTEL\" start --otlp-grpc-endpoint 127.0.0.1:{grpc_port} \
                 --otlp-http-endpoint 127.0.0.1:{http_port} --exporter blackhole \
                 --debug-log traces --debug-log-verbosity detailed --pid-file '{}'",
                dir.join("rotel.pid").display()
            ),
            &log,
        );
        wait_listening(grpc_port, "rotel (gRPC)").await;
        wait_listening(http_port, "rotel (HTTP)").await;
        Rotel {
            grpc_port,
            http_port,
            log,
            _child: child,
        }
    }

    /// What rotel logged (its detailed dump of each span received).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

async fn wait_listening(port: u16, what: &str) {
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "{what} did not listen on {port} within 10 s (peers installed? bash .ci/install-peers.sh)"
    );
}

/// One received span, as the sink wrote it (proto3 JSON plus hex ids and the resource).
#[derive(Clone)]
pub struct Span(pub Value);

impl Span {
    pub fn name(&self) -> &str {
        self.0["name"].as_str().unwrap_or_default()
    }

    /// `SPAN_KIND_SERVER`, `SPAN_KIND_CLIENT`, `SPAN_KIND_INTERNAL`, …
    pub fn kind(&self) -> &str {
        self.0["kind"].as_str().unwrap_or_default()
    }

    pub fn trace_id(&self) -> &str {
        self.0["traceIdHex"].as_str().unwrap_or_default()
    }

    pub fn span_id(&self) -> &str {
        self.0["spanIdHex"].as_str().unwrap_or_default()
    }

    pub fn parent_id(&self) -> &str {
        self.0["parentSpanIdHex"].as_str().unwrap_or_default()
    }

    pub fn service(&self) -> &str {
        self.0["resource"]["service.name"]["stringValue"]
            .as_str()
            .unwrap_or_default()
    }

    /// An attribute as text (strings as they are, numbers as digits).
    pub fn attribute(&self, key: &str) -> Option<String> {
        let value = self.0["attributes"]
            .as_array()?
            .iter()
            .find(|attribute| attribute["key"] == key)?
            .get("value")?
            .clone();
        value
            .get("stringValue")
            .or_else(|| value.get("intValue"))
            .or_else(|| value.get("boolValue"))
            .map(|inner| match inner {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            })
    }

    /// Whether the span's status is an error.
    pub fn is_error(&self) -> bool {
        self.0["status"]["code"] == "STATUS_CODE_ERROR"
    }
}

impl std::fmt::Debug for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} [{}] {} {}<-{} {}",
            self.service(),
            self.kind(),
            self.name(),
            self.span_id(),
            self.parent_id(),
            self.trace_id()
        )
    }
}
