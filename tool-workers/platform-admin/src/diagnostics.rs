//! `reconfigure_log_level`: the log level of one of the platform's services, changed at run time
//! through that service's own `diagnostics/reconfigureLogLevel` (system-scoped on the asset
//! repository, bot, communication controller and reporting service; tenant-scoped on the identity
//! service), at the base URL this worker was given for it.

use octomesh_octo_client::ServiceClient;
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AdminCtx;

/// The services whose level can be changed, by the names the original accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Identity,
    AssetRepository,
    Communication,
    Reporting,
    Bot,
}

impl Service {
    const ALLOWED: &'static str = "Identity, AssetRepository, Communication, Reporting, Bot";

    fn parse(name: &str) -> Result<Service, ToolError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "identity" => Ok(Service::Identity),
            "assetrepository" | "asset" => Ok(Service::AssetRepository),
            "communicationcontroller" | "communication" => Ok(Service::Communication),
            "reporting" => Ok(Service::Reporting),
            "bot" => Ok(Service::Bot),
            _ => Err(ToolError::InvalidArguments(format!(
                "Unknown serviceName '{name}'. Allowed: {}.",
                Service::ALLOWED
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Service::Identity => "Identity",
            Service::AssetRepository => "AssetRepository",
            Service::Communication => "Communication",
            Service::Reporting => "Reporting",
            Service::Bot => "Bot",
        }
    }

    /// The base URL this worker has for the service, and the flag that would give it.
    fn url(self, ctx: &AdminCtx) -> (Option<&str>, &'static str) {
        let backends = &ctx.backends;
        let (url, flag) = match self {
            Service::Identity => (&backends.identity, "--identity-url"),
            Service::AssetRepository => (&backends.asset_repository, "--asset-url"),
            Service::Communication => (&backends.communication, "--communication-url"),
            Service::Reporting => (&backends.reporting, "--reporting-url"),
            Service::Bot => (&backends.bot, "--bot-url"),
        };
        (url.as_deref(), flag)
    }
}

/// A level as OctoMesh's `LogLevelDto` names it, or its number.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
enum LogLevelDto {
    /// `Trace`, `Debug`, `Info`, `Warn`, `Error`, `Fatal` or `Off`.
    Name(String),
    /// 0 (`Trace`) … 6 (`Off`).
    Number(u8),
}

const LEVELS: [&str; 7] = ["Trace", "Debug", "Info", "Warn", "Error", "Fatal", "Off"];

impl LogLevelDto {
    /// The level's name, or what is wrong with `field`.
    fn resolve(&self, field: &str) -> Result<&'static str, ToolError> {
        let found = match self {
            LogLevelDto::Name(name) => LEVELS
                .iter()
                .find(|level| level.eq_ignore_ascii_case(name.trim())),
            LogLevelDto::Number(number) => LEVELS.get(usize::from(*number)),
        };
        found.copied().ok_or_else(|| {
            ToolError::InvalidArguments(format!(
                "`{field}` must be one of {} (or 0-6), not {}.",
                LEVELS.join(", "),
                match self {
                    LogLevelDto::Name(name) => format!("`{name}`"),
                    LogLevelDto::Number(number) => number.to_string(),
                }
            ))
        })
    }
}

/// Reconfigure the log level of a backend service at run time: the levels `minLogLevel` to
/// `maxLogLevel` are shown for `loggerName` (`*`: the whole service) on `serviceName`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ReconfigureLogLevel {
    /// Identity, AssetRepository, Communication, Reporting or Bot (any case).
    service_name: String,
    /// The logger: `*` for the whole service, or one of its modules (e.g. `graphql.exec`).
    #[schemars(length(min = 1, max = 128))]
    logger_name: String,
    /// The most verbose level shown.
    min_log_level: LogLevelDto,
    /// The most severe level shown (usually `Fatal`).
    max_log_level: LogLevelDto,
    /// The tenant (default: the endpoint's tenant); the identity service's route is per tenant.
    tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogLevelSet {
    pub service_name: &'static str,
    pub logger_name: String,
    pub min_log_level: &'static str,
    pub max_log_level: &'static str,
}

impl Tool for ReconfigureLogLevel {
    const NAME: &'static str = "reconfigure_log_level";
    const TITLE: &'static str = "Reconfigure a service's log level";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<LogLevelSet>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let service = Service::parse(&self.service_name)?;
        let min = self.min_log_level.resolve("minLogLevel")?;
        let max = self.max_log_level.resolve("maxLogLevel")?;
        let logger = self.logger_name.trim();
        if logger.is_empty() {
            return Err(ToolError::InvalidArguments(
                "`loggerName` is required: `*` for the whole service, or a module such as `graphql.exec`.".into(),
            ));
        }
        let (url, flag) = service.url(ctx);
        let url = url.ok_or_else(|| {
            ToolError::Backend(format!(
                "this worker does not know where the {} service is: start it with {flag} or --platform-url",
                service.name()
            ))
        })?;
        let context = scope.context();
        let tenant = self
            .tenant_id
            .as_deref()
            .filter(|tenant| !tenant.is_empty())
            .or(context.tenant.as_deref());
        let path = match (service, tenant) {
            (Service::Identity, Some(tenant)) => {
                format!("{tenant}/v1/diagnostics/reconfigureLogLevel")
            }
            (Service::Identity, None) => {
                return Err(ToolError::InvalidArguments(
                    "No tenant: the identity service's log level is set per tenant; pass `tenantId`, or connect to /{tenantId}/mcp.".into(),
                ));
            }
            _ => "system/v1/diagnostics/reconfigureLogLevel".to_owned(),
        };
        let client = ServiceClient::new(&format!("the {} service", service.name()), url)?;
        client
            .post_empty(
                &path,
                &[
                    ("loggerName", logger),
                    ("minLogLevel", min),
                    ("maxLogLevel", max),
                ],
                context.access_token.as_deref(),
            )
            .await?;
        let message = format!(
            "Log level for '{logger}' on '{}' set to [{min}..{max}].",
            service.name()
        );
        let tenant = match service {
            Service::Bot => None,
            _ => tenant,
        };
        Ok(Envelope::success(
            tenant,
            LogLevelSet {
                service_name: service.name(),
                logger_name: logger.to_owned(),
                min_log_level: min,
                max_log_level: max,
            },
        )
        .with_message(message))
    }
}
