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
            let kind = if error.is_timeout() {
                "timeout"
            } else if error.is_connect() {
                "connect"
            } else {
                "request"
            };
            octomesh_telemetry::set_error(&span, kind);
        }
    }
    outcome
}
