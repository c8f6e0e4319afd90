//! Every request to a backend service goes through [`send`]: an HTTP client span (OpenTelemetry
//! HTTP conventions) whose trace context travels in the `traceparent` header.

use tracing::Instrument as _;
use tracing::field::Empty;

/// Sends `request` inside a client span. The URL on the span has no query string, and headers
/// (the bearer token among them) are never recorded.
pub(crate) async fn send(request: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
    let (client, request) = request.build_split();
    let mut request = request?;
    let url = request.url();
    let span = tracing::info_span!(
        "http.client",
        otel.name = %request.method(),
        otel.kind = "client",
        otel.status_code = Empty,
        http.request.method = %request.method(),
        server.address = url.host_str(),
        server.port = url.port_or_known_default(),
        url.full = %format_args!("{}://{}{}", url.scheme(), url.authority(), url.path()),
        http.response.status_code = Empty,
        error.type = Empty,
    );
    if let Some(parent) = octomesh_telemetry::trace_parent(&span) {
        parent.write_headers(request.headers_mut());
    }
    let outcome = client.execute(request).instrument(span.clone()).await;
    match &outcome {
        Ok(response) => {
            let status = response.status();
            span.record("http.response.status_code", status.as_u16());
            if status.is_client_error() || status.is_server_error() {
                span.record("error.type", status.as_u16());
                span.record("otel.status_code", "error");
            }
        }
        Err(error) => {
            let kind = if error.is_timeout() {
                "timeout"
            } else if error.is_connect() {
                "connect"
            } else {
                "request"
            };
            span.record("error.type", kind);
            span.record("otel.status_code", "error");
        }
    }
    outcome
}
