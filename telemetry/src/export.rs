//! The OTLP span exporter, configured by the standard `OTEL_*` environment variables.

use std::ffi::OsStr;

use opentelemetry_otlp::{SpanExporter, WithHttpConfig as _};

/// Whether the environment asks for span export: an OTLP endpoint is set (or
/// `OTEL_TRACES_EXPORTER=otlp`), `OTEL_TRACES_EXPORTER` is not `none` and the SDK is not disabled.
pub(crate) fn requested(var: impl Fn(&str) -> Option<String>) -> bool {
    let is = |name: &str, value: &str| {
        var(name).is_some_and(|set| set.trim().eq_ignore_ascii_case(value))
    };
    if is("OTEL_SDK_DISABLED", "true") || is("OTEL_TRACES_EXPORTER", "none") {
        return false;
    }
    let endpoint = |name: &str| var(name).is_some_and(|set| !set.trim().is_empty());
    is("OTEL_TRACES_EXPORTER", "otlp")
        || endpoint("OTEL_EXPORTER_OTLP_ENDPOINT")
        || endpoint("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
}

/// The transport `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    Grpc,
    HttpProtobuf,
}

pub(crate) fn protocol(var: impl Fn(&str) -> Option<String>) -> Result<Protocol, String> {
    let chosen = var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        .or_else(|| var("OTEL_EXPORTER_OTLP_PROTOCOL"))
        .unwrap_or_else(|| "grpc".to_owned());
    match chosen.trim() {
        "grpc" => Ok(Protocol::Grpc),
        "http/protobuf" => Ok(Protocol::HttpProtobuf),
        other => Err(format!(
            "OTEL_EXPORTER_OTLP_PROTOCOL `{other}` is not supported: use `grpc` or `http/protobuf`"
        )),
    }
}

/// Builds the exporter. The gRPC transport needs a Tokio runtime: call this inside one.
pub(crate) fn exporter(protocol: Protocol) -> Result<SpanExporter, String> {
    let built = match protocol {
        Protocol::Grpc => SpanExporter::builder().with_tonic().build(),
        Protocol::HttpProtobuf => SpanExporter::builder()
            .with_http()
            .with_http_client(crate::http_client::ReqwestClient::new())
            .build(),
    };
    built.map_err(|error| format!("cannot set up the OTLP exporter: {error}"))
}

/// `std::env::var` for the names above (lossy: these values are ASCII by definition).
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var_os(OsStr::new(name)).map(|value| value.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn export_needs_an_endpoint_and_can_be_switched_off() {
        assert!(!requested(vars(&[])));
        assert!(requested(vars(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://127.0.0.1:4317"
        )])));
        assert!(requested(vars(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://c:4318/v1/traces"
        )])));
        assert!(requested(vars(&[("OTEL_TRACES_EXPORTER", "otlp")])));
        assert!(!requested(vars(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"),
            ("OTEL_TRACES_EXPORTER", "none"),
        ])));
        assert!(!requested(vars(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"),
            ("OTEL_SDK_DISABLED", "TRUE"),
        ])));
    }

    #[test]
    fn the_protocol_defaults_to_grpc_and_unknown_ones_are_named() {
        assert_eq!(protocol(vars(&[])), Ok(Protocol::Grpc));
        assert_eq!(
            protocol(vars(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")])),
            Ok(Protocol::HttpProtobuf)
        );
        assert_eq!(
            protocol(vars(&[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
            ])),
            Ok(Protocol::Grpc)
        );
        let refused = protocol(vars(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]));
        assert!(refused.unwrap_err().contains("http/json"));
    }
}
