//! The shape every service shares: which service it is, the routes each one has (`/healthz`,
//! `reconfigureLogLevel`), a JSON 404 that names the service (so a request sent to the wrong
//! base URL says so), the server span, and serving until shutdown.

use axum::Router;
use axum::extract::{Query, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, middleware};
use octomesh_telemetry::log_levels::{self, LogLevel};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{Guard, check};

/// The OctoMesh services the platform runs, each at a base URL of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKind {
    Identity,
    AssetRepository,
    Bot,
    Communication,
    Reporting,
    /// The platform services' `GET /{tenantId}/_configuration`: where the others are.
    Discovery,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 6] = [
        ServiceKind::Identity,
        ServiceKind::AssetRepository,
        ServiceKind::Bot,
        ServiceKind::Communication,
        ServiceKind::Reporting,
        ServiceKind::Discovery,
    ];

    /// The name on the command line (`platform --service NAME`) and in logs.
    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::Identity => "identity",
            ServiceKind::AssetRepository => "asset-repository",
            ServiceKind::Bot => "bot",
            ServiceKind::Communication => "communication",
            ServiceKind::Reporting => "reporting",
            ServiceKind::Discovery => "discovery",
        }
    }

    /// `NAME` (also `asset`, `assets`, `communication-controller`, `platform`), any case.
    pub fn parse(name: &str) -> Result<ServiceKind, String> {
        let lower = name.trim().to_ascii_lowercase();
        let found = match lower.as_str() {
            "asset" | "assets" | "assetrepository" => Some(ServiceKind::AssetRepository),
            "communicationcontroller" | "communication-controller" => {
                Some(ServiceKind::Communication)
            }
            "platform" => Some(ServiceKind::Discovery),
            _ => ServiceKind::ALL
                .into_iter()
                .find(|kind| kind.name() == lower),
        };
        found.ok_or_else(|| {
            format!(
                "unknown service `{name}`; the platform runs: {}",
                ServiceKind::ALL.map(ServiceKind::name).join(", ")
            )
        })
    }

    /// The service's title in messages.
    pub fn title(self) -> &'static str {
        match self {
            ServiceKind::Identity => "identity service",
            ServiceKind::AssetRepository => "asset repository",
            ServiceKind::Bot => "bot service",
            ServiceKind::Communication => "communication controller",
            ServiceKind::Reporting => "reporting service",
            ServiceKind::Discovery => "platform discovery service",
        }
    }

    /// The `tracing` target of the service's crate: its logger for `reconfigureLogLevel`.
    pub fn log_target(self) -> &'static str {
        match self {
            ServiceKind::Identity => "octomesh_identity",
            ServiceKind::AssetRepository => "octomesh_asset_repository",
            ServiceKind::Bot => "octomesh_bot",
            ServiceKind::Communication => "octomesh_communication",
            ServiceKind::Reporting => "octomesh_reporting",
            ServiceKind::Discovery => "octomesh_platform",
        }
    }

    /// OctoMesh's local development port of the service.
    pub fn default_port(self) -> u16 {
        match self {
            ServiceKind::Identity => 5003,
            ServiceKind::AssetRepository => 5001,
            ServiceKind::Bot => 5009,
            ServiceKind::Communication => 5015,
            ServiceKind::Reporting => 5007,
            ServiceKind::Discovery => 5000,
        }
    }

    /// Where `reconfigureLogLevel` lives: tenant-scoped on the identity service, system-scoped
    /// elsewhere (the OctoMesh SDK's paths).
    pub fn diagnostics_route(self) -> &'static str {
        match self {
            ServiceKind::Identity => "/{tenant}/v1/diagnostics/reconfigureLogLevel",
            _ => "/system/v1/diagnostics/reconfigureLogLevel",
        }
    }
}

impl std::fmt::Display for ServiceKind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

/// The routes every service has, guarded by `guard` (but `/healthz`).
pub fn common_routes(kind: ServiceKind, guard: Guard) -> Router {
    let diagnostics = Router::new()
        .route(
            kind.diagnostics_route(),
            post(move |query| reconfigure_log_level(kind, query)),
        )
        .layer(middleware::from_fn_with_state(guard, check));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(diagnostics)
}

/// `service` completed: a 404 that names the service, and the server span on every request.
pub fn finish(kind: ServiceKind, service: Router) -> Router {
    service
        .fallback(move |request: Request| async move { not_here(kind, &request) })
        .layer(middleware::from_fn(crate::trace::server_span))
}

fn not_here(kind: ServiceKind, request: &Request) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"message": format!(
            "The {} has no route {} {}: check the service's base URL (GET /{{tenantId}}/_configuration of the platform lists them).",
            kind.title(),
            request.method(),
            request.uri().path()
        )})),
    )
        .into_response()
}

/// The query of `reconfigureLogLevel`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogLevelQuery {
    logger_name: Option<String>,
    min_log_level: Option<String>,
    max_log_level: Option<String>,
}

/// `POST …/diagnostics/reconfigureLogLevel?loggerName=&minLogLevel=&maxLogLevel=`: 204, or 400
/// saying what is wrong.
async fn reconfigure_log_level(kind: ServiceKind, Query(query): Query<LogLevelQuery>) -> Response {
    match apply_log_level(kind, &query) {
        Ok((target, min, max)) => {
            tracing::info!(service = %kind, %target, min = min.name(), max = max.name(), "Log level reconfigured.");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(message) => {
            (StatusCode::BAD_REQUEST, Json(json!({"message": message}))).into_response()
        }
    }
}

fn apply_log_level(
    kind: ServiceKind,
    query: &LogLevelQuery,
) -> Result<(String, LogLevel, LogLevel), String> {
    let names = LogLevel::ALL.map(|(_, name)| name).join(", ");
    let level = |value: &Option<String>, field: &str| {
        let value = value
            .as_deref()
            .ok_or_else(|| format!("{field} is required: one of {names} (or 0-6)"))?;
        LogLevel::parse(value)
            .ok_or_else(|| format!("{field} `{value}` is not a level: use one of {names} (or 0-6)"))
    };
    let min = level(&query.min_log_level, "minLogLevel")?;
    let max = level(&query.max_log_level, "maxLogLevel")?;
    let target = logger_target(kind, query.logger_name.as_deref().unwrap_or("*"))?;
    log_levels::set_level(&target, min, max)?;
    Ok((target, min, max))
}

/// The `tracing` target a logger name stands for on `kind`: `*` (and OctoMesh's `Meshmakers.*`)
/// is the whole service; `Graphql.Exec` or `graphql::exec` is that module of the service.
fn logger_target(kind: ServiceKind, logger: &str) -> Result<String, String> {
    let logger = logger.trim();
    if logger.len() > 128
        || !logger
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"_.:*".contains(&byte))
    {
        return Err(format!(
            "loggerName `{logger}` is not a logger: use `*` for the whole service, or a module such as `graphql.exec`"
        ));
    }
    let module = logger
        .trim_end_matches('*')
        .trim_end_matches('.')
        .trim_end_matches(':');
    let root = kind.log_target();
    if module.is_empty() || module.eq_ignore_ascii_case("meshmakers") {
        return Ok(root.to_owned());
    }
    let module = module.replace('.', "::").to_ascii_lowercase();
    if module.starts_with(root) {
        return Ok(module);
    }
    Ok(format!("{root}::{module}"))
}

/// Serves `service` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::{ServiceKind, logger_target};

    #[test]
    fn services_are_named_as_on_the_command_line() {
        for kind in ServiceKind::ALL {
            assert_eq!(ServiceKind::parse(kind.name()), Ok(kind));
        }
        assert_eq!(
            ServiceKind::parse("Asset"),
            Ok(ServiceKind::AssetRepository)
        );
        let unknown = ServiceKind::parse("mail").expect_err("unknown");
        assert!(unknown.contains("identity, asset-repository"), "{unknown}");
    }

    #[test]
    fn logger_names_map_to_the_service_targets() {
        let bot = ServiceKind::Bot;
        assert_eq!(logger_target(bot, "*").as_deref(), Ok("octomesh_bot"));
        assert_eq!(
            logger_target(bot, "Meshmakers.*").as_deref(),
            Ok("octomesh_bot")
        );
        assert_eq!(
            logger_target(ServiceKind::AssetRepository, "Graphql.Exec").as_deref(),
            Ok("octomesh_asset_repository::graphql::exec")
        );
        assert!(logger_target(bot, "a b").is_err());
    }
}
