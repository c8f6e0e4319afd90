//! The platform's discovery contract, `GET {platform}/{tenantId}/_configuration`: where each
//! OctoMesh service is. Workers and the gateway given only `--platform-url` read their backends
//! from it.

use std::time::Duration;

use serde::Deserialize;

use crate::ClientError;

/// Largest discovery document accepted.
const MAX_BYTES: usize = 64 * 1024;

/// The service URLs of `_configuration` (upstream's `TenantConfigurationDto`), each without its
/// trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformConfiguration {
    /// The identity service (the OpenID issuer).
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub asset_services: Option<String>,
    #[serde(default)]
    pub bot_services: Option<String>,
    #[serde(default)]
    pub communication_services: Option<String>,
    #[serde(default)]
    pub reporting_services: Option<String>,
    #[serde(default)]
    pub system_tenant_id: Option<String>,
}

impl PlatformConfiguration {
    /// Reads `{platform}/{tenant}/_configuration`.
    pub async fn fetch(
        platform_url: &str,
        tenant: &str,
    ) -> Result<PlatformConfiguration, ClientError> {
        let url = format!(
            "{}/{tenant}/_configuration",
            platform_url.trim_end_matches('/')
        );
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| ClientError::Unavailable(error.without_url().to_string()))?;
        let response =
            client.get(&url).send().await.map_err(|error| {
                ClientError::Unavailable(format!("{url}: {}", error.without_url()))
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(ClientError::Unavailable(format!("{url} answered {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|error| ClientError::Unavailable(format!("{url}: {}", error.without_url())))?;
        if body.len() > MAX_BYTES {
            return Err(ClientError::Unavailable(format!(
                "{url} sent more than {MAX_BYTES} bytes"
            )));
        }
        let mut configuration: PlatformConfiguration =
            serde_json::from_slice(&body).map_err(|error| {
                ClientError::Unavailable(format!("{url} is not a platform configuration: {error}"))
            })?;
        for url in [
            &mut configuration.issuer,
            &mut configuration.asset_services,
            &mut configuration.bot_services,
            &mut configuration.communication_services,
            &mut configuration.reporting_services,
        ] {
            if let Some(value) = url.as_mut() {
                let trimmed = value.trim_end_matches('/').to_owned();
                if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
                    return Err(ClientError::Unavailable(format!(
                        "the platform configuration names `{trimmed}`, which is not an http(s) URL"
                    )));
                }
                *value = trimmed;
            }
        }
        Ok(configuration)
    }
}
