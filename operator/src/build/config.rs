//! The ConfigMap every role reads as environment variables (`envFrom`): the same settings the
//! binary takes as `OCTOMESH_*` flags, and the standard `OTEL_*` variables.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use octomesh_crds::mcpdeployment::{AuthMode, OtlpProtocol, Topology};

use super::{Context, WORKER_PORT};

/// The host of an http(s) URL.
pub(crate) fn host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                host
            } else {
                authority
            }
        });
    (!host.is_empty()).then_some(host)
}

/// Where the gateway finds each family.
pub(crate) fn worker_urls(context: &Context<'_>) -> Vec<String> {
    let spec = &context.resource.spec;
    spec.families
        .iter()
        .enumerate()
        .map(|(idx, family)| match spec.topology {
            Topology::Distributed => format!(
                "http://{}.{}.svc:{WORKER_PORT}",
                context.names.workers(family.name),
                context.namespace
            ),
            Topology::Sidecar => format!("http://127.0.0.1:{}", WORKER_PORT + idx as i32),
        })
        .collect()
}

pub(super) fn config_map(context: &Context<'_>) -> ConfigMap {
    let spec = &context.resource.spec;
    let mut data = BTreeMap::new();
    let mut set = |key: &str, value: String| {
        data.insert(key.to_owned(), value);
    };
    set("OCTOMESH_LOG_FORMAT", "json".into());
    set(
        "OCTOMESH_PUBLIC_URL",
        format!("{}/mcp", spec.public_url.trim_end_matches('/')),
    );
    let mut hosts: Vec<&str> = host(&spec.public_url).into_iter().collect();
    if let Some(ingress) = &spec.gateway.ingress
        && !hosts.contains(&ingress.host.as_str())
    {
        hosts.push(&ingress.host);
    }
    set("OCTOMESH_ALLOWED_HOSTS", hosts.join(","));
    // Each backend on its own, as the binary's --identity-url, --asset-url, … read them.
    let backends = &spec.backends;
    set("OCTOMESH_IDENTITY_URL", backends.identity.clone());
    set("OCTOMESH_ASSET_URL", backends.asset_repository.clone());
    for (key, url) in [
        ("OCTOMESH_BOT_URL", &backends.bot),
        ("OCTOMESH_COMMUNICATION_URL", &backends.communication),
        ("OCTOMESH_REPORTING_URL", &backends.reporting),
    ] {
        if let Some(url) = url {
            set(key, url.clone());
        }
    }
    set("OCTOMESH_AUTH_AUTHORITY", spec.auth.authority.clone());
    set(
        "OCTOMESH_AUTH_MODE",
        match spec.auth.mode {
            AuthMode::Required => "required",
            AuthMode::Optional => "optional",
        }
        .into(),
    );
    if let Some(audience) = &spec.auth.audience {
        set("OCTOMESH_AUTH_AUDIENCE", audience.clone());
    }
    set("OCTOMESH_WORKERS", worker_urls(context).join(","));
    // The file-transfer settings are not here: only the gateway and the platform-admin workers
    // get them (transfers.rs), as a worker of another family would open the store for nothing.
    if let Some(telemetry) = &spec.telemetry {
        set(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            telemetry.otlp_endpoint.clone(),
        );
        set(
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            match telemetry.protocol {
                OtlpProtocol::Grpc => "grpc",
                OtlpProtocol::HttpProtobuf => "http/protobuf",
            }
            .into(),
        );
        set("OTEL_TRACES_SAMPLER", "parentbased_traceidratio".into());
        set(
            "OTEL_TRACES_SAMPLER_ARG",
            telemetry.sampling_ratio.to_string(),
        );
        set(
            "OTEL_RESOURCE_ATTRIBUTES",
            format!(
                "deployment.environment.name={},k8s.namespace.name={}",
                context.names.environment, context.namespace
            ),
        );
    }
    ConfigMap {
        metadata: context.meta(context.names.config(), "config", None),
        data: Some(data),
        ..ConfigMap::default()
    }
}
