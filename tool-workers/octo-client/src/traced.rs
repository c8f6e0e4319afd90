//! Every request to a backend service goes through [`send`]: an HTTP client span (OpenTelemetry
//! HTTP conventions) whose trace context travels in the `traceparent` header.

use octomesh_telemetry::KeyValue;
use tracing::Instrument as _;

/// Sends `request` inside a client span. The URL on the span has no query string, and headers
/// (the bearer token among them) are never recorded.
pub(crate) async fn send(request: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
    let (client, request) = request.build_split();
    let mut request = request?;
    let span = tracing::info_span!(
        "http.client",
        otel.name = %request.method(),
        otel.kind = "client",
    );
    octomesh_telemetry::set_attributes(&span, || {
        let url = request.url();
        let mut attributes = vec![
            KeyValue::new("http.request.method", request.method().to_string()),
            KeyValue::new(
                "url.full",
                format!("{}://{}{}", url.scheme(), url.authority(), url.path()),
            ),
        ];
        if let Some(host) = url.host_str() {
            attributes.push(KeyValue::new("server.address", host.to_owned()));
        }
        if let Some(port) = url.port_or_known_default() {
            attributes.push(KeyValue::new("server.port", i64::from(port)));
        }
        attributes
    });
    if let Some(parent) = octomesh_telemetry::trace_parent(&span) {
        parent.write_headers(request.headers_mut());
    }
    let outcome = client.execute(request).instrument(span.clone()).await;
    match &outcome {
        Ok(response) => {
            let status = response.status();
            octomesh_telemetry::set_attributes(&span, || {
                [KeyValue::new(
                    "http.response.status_code",
                    i64::from(status.as_u16()),
                )]
            });
            if status.is_client_error() || status.is_server_error() {
                octomesh_telemetry::set_error(&span, status.as_u16().to_string());
            }
        }
        Err(error) => {
            octomesh_telemetry::set_error(&span, TransportFailure::of(error).error_type());
        }
    }
    outcome
}

/// Why a request got no answer, without the URL (which may carry a tenant or a query string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportFailure {
    Timeout,
    Connect,
    Other,
}

impl TransportFailure {
    pub(crate) fn of(error: &reqwest::Error) -> TransportFailure {
        if error.is_timeout() {
            TransportFailure::Timeout
        } else if error.is_connect() {
            TransportFailure::Connect
        } else {
            TransportFailure::Other
        }
    }

    /// For messages.
    pub(crate) fn text(self) -> &'static str {
        match self {
            TransportFailure::Timeout => "timed out",
            TransportFailure::Connect => "connection refused",
            TransportFailure::Other => "transport error",
        }
    }

    /// For the span's `error.type`.
    pub(crate) fn error_type(self) -> &'static str {
        match self {
            TransportFailure::Timeout => "timeout",
            TransportFailure::Connect => "connect",
            TransportFailure::Other => "request",
        }
    }
}
