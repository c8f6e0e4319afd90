//! What enabling reporting does to a tenant besides the switch: the reporting service's CK model
//! (`System.Reporting`, service-managed) is installed there, through the asset repository's
//! `POST system/v1/tenants/{tenantId}/models/service-managed/System.Reporting`, with the reporting
//! service's own client-credentials token (`octo-reportingServices`). Disabling keeps the model:
//! the tenant's report entities stay readable.

use std::time::Duration;

use octomesh_platform_common::service_token::ServiceToken;

/// The reporting service's well-known client.
pub const REPORTING_CLIENT_ID: &str = "octo-reportingServices";
/// Where `platform --service reporting` alone reads its client secret.
pub const CLIENT_SECRET_ENV: &str = "OCTOMESH_REPORTING_CLIENT_SECRET";
/// The model enabling installs.
pub const REPORTING_MODEL: &str = "System.Reporting";
/// Largest answer read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The asset repository, as the reporting service reaches it.
pub struct ModelInstaller {
    asset_url: String,
    token: ServiceToken,
    http: reqwest::Client,
}

impl ModelInstaller {
    /// The asset repository at `asset_url`, with a token from the identity service at
    /// `identity_url` for `secret` (`None`: no token, `--no-auth`).
    pub fn new(asset_url: &str, identity_url: &str, secret: Option<String>) -> ModelInstaller {
        ModelInstaller {
            asset_url: asset_url.trim_end_matches('/').to_owned(),
            token: ServiceToken::new(identity_url, REPORTING_CLIENT_ID, secret),
            http: octomesh_platform_common::fetch::client(Duration::from_secs(60)),
        }
    }

    /// Installs the reporting model in `tenant` (nothing changes when it is there); why not, in
    /// words for the caller.
    pub async fn install(&self, tenant: &str) -> Result<(), String> {
        let token = self.token.get().await?;
        let mut request = self.http.post(format!(
            "{}/system/v1/tenants/{tenant}/models/service-managed/{REPORTING_MODEL}",
            self.asset_url
        ));
        if let Some(token) = &token {
            request = request.bearer_auth(token);
        }
        match octomesh_platform_common::fetch::json::<serde_json::Value>(request, MAX_ANSWER_BYTES)
            .await
        {
            Ok(_) => Ok(()),
            Err(problem) => {
                self.token.forget().await;
                Err(format!(
                    "the asset repository did not install {REPORTING_MODEL} in tenant `{tenant}`: {problem}"
                ))
            }
        }
    }
}
