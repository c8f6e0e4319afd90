//! The server span of each platform request (OpenTelemetry HTTP conventions), continuing the
//! caller's trace from its `traceparent` header. Health probes get no span.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use octomesh_telemetry::{KeyValue, TraceParent};
use tracing::Instrument as _;
use tracing::field::Empty;

pub(crate) async fn server_span(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    if route.as_deref() == Some("/healthz") {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let span = tracing::info_span!(
        "http.server",
        otel.name = %match &route {
            Some(route) => format!("{method} {route}"),
            None => method.to_string(),
        },
        otel.kind = "server",
        trace_id = Empty,
    );
    octomesh_telemetry::adopt(&span, TraceParent::from_headers(request.headers()).as_ref());
    octomesh_telemetry::set_attributes(&span, || {
        let path = request.uri().path();
        let mut attributes = vec![
            KeyValue::new("http.request.method", method.to_string()),
            KeyValue::new("url.path", path.to_owned()),
        ];
        if let Some(route) = &route {
            attributes.push(KeyValue::new("http.route", route.clone()));
        }
        if let Some(tenant) = tenant(route.as_deref(), path) {
            attributes.push(KeyValue::new("octomesh.tenant", tenant.to_owned()));
        }
        attributes
    });
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    octomesh_telemetry::set_attributes(&span, || {
        [KeyValue::new(
            "http.response.status_code",
            i64::from(status.as_u16()),
        )]
    });
    if status.is_server_error() {
        octomesh_telemetry::set_error(&span, status.as_u16().to_string());
    }
    response
}

/// The tenant segment of `path` when the route has one (`/{tenant}/v1/…`, `/tenants/{tenant}/…`).
fn tenant<'a>(route: Option<&str>, path: &'a str) -> Option<&'a str> {
    let index = route?
        .split('/')
        .position(|segment| segment == "{tenant}")?;
    path.split('/').nth(index)
}

#[cfg(test)]
mod tests {
    use super::tenant;

    #[test]
    fn the_tenant_comes_from_its_route_segment() {
        assert_eq!(
            tenant(Some("/{tenant}/v1/jobs"), "/demo/v1/jobs"),
            Some("demo")
        );
        assert_eq!(
            tenant(Some("/tenants/{tenant}/GraphQL"), "/tenants/acme/GraphQL"),
            Some("acme")
        );
        assert_eq!(tenant(Some("/connect/token"), "/connect/token"), None);
        assert_eq!(tenant(None, "/x"), None);
    }
}
