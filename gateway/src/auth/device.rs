//! The gateway as an OAuth client of its authority: the device flow for the `authenticate` tools,
//! refresh, and RFC 8693 token exchange for calls in another tenant. Client id
//! `octo-mcpServices-device`, tenant chosen with `acr_values=tenant:{id}`.

use serde::Deserialize;

use super::Authority;

/// The MCP server's device client id at the authority.
pub(crate) const DEVICE_CLIENT: &str = "octo-mcpServices-device";
const SCOPES: &str = "openid profile email role octo_api offline_access";

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct DeviceStart {
    pub(crate) device_code: String,
    pub(crate) user_code: String,
    pub(crate) verification_uri: String,
    #[serde(default)]
    pub(crate) verification_uri_complete: Option<String>,
    pub(crate) expires_in: u64,
    #[serde(default = "default_interval")]
    pub(crate) interval: u64,
}

fn default_interval() -> u64 {
    5
}

/// Tokens from the token endpoint.
#[derive(Clone, Deserialize)]
pub(crate) struct Tokens {
    pub(crate) access_token: String,
    #[serde(default)]
    pub(crate) refresh_token: Option<String>,
    #[serde(default = "default_lifetime")]
    pub(crate) expires_in: u64,
}

fn default_lifetime() -> u64 {
    300
}

/// How a device poll ended.
pub(crate) enum Poll {
    Pending,
    SlowDown,
    Denied,
    Expired,
    Done(Tokens),
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct Endpoints {
    token_endpoint: String,
    #[serde(default)]
    device_authorization_endpoint: Option<String>,
}

impl Authority {
    async fn endpoints(&self) -> Result<Endpoints, String> {
        self.http
            .get(format!(
                "{}/.well-known/openid-configuration",
                self.config.authority
            ))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|_| "the sign-in service is unreachable".to_owned())?
            .json()
            .await
            .map_err(|_| "the sign-in service's discovery document is not valid".to_owned())
    }

    async fn token_request(
        &self,
        form: &[(&str, &str)],
    ) -> Result<Result<Tokens, ErrorBody>, String> {
        let endpoint = self.endpoints().await?.token_endpoint;
        let response = self
            .http
            .post(endpoint)
            .form(form)
            .send()
            .await
            .map_err(|_| "the sign-in service is unreachable".to_owned())?;
        let success = response.status().is_success();
        let bytes = response
            .bytes()
            .await
            .map_err(|_| "the sign-in service's answer broke off".to_owned())?;
        if success {
            serde_json::from_slice(&bytes)
                .map(Ok)
                .map_err(|_| "the sign-in service's token answer is not valid".to_owned())
        } else {
            serde_json::from_slice(&bytes)
                .map(Err)
                .map_err(|_| "the sign-in service refused the request".to_owned())
        }
    }

    /// Starts a device sign-in for `tenant`.
    pub(crate) async fn start_device(&self, tenant: &str) -> Result<DeviceStart, String> {
        let endpoint = self
            .endpoints()
            .await?
            .device_authorization_endpoint
            .ok_or("the sign-in service offers no device flow")?;
        let acr = format!("tenant:{tenant}");
        let response = self
            .http
            .post(endpoint)
            .form(&[
                ("client_id", DEVICE_CLIENT),
                ("scope", SCOPES),
                ("acr_values", &acr),
            ])
            .send()
            .await
            .map_err(|_| "the sign-in service is unreachable".to_owned())?;
        if !response.status().is_success() {
            let body: Option<ErrorBody> = response.json().await.ok();
            return Err(format!(
                "the sign-in service refused to start a device sign-in: {}",
                body.map_or_else(
                    || "no reason given".to_owned(),
                    |body| body.error_description.unwrap_or(body.error)
                )
            ));
        }
        response
            .json()
            .await
            .map_err(|_| "the sign-in service's device answer is not valid".to_owned())
    }

    pub(crate) async fn poll_device(&self, device_code: &str) -> Result<Poll, String> {
        let answer = self
            .token_request(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", DEVICE_CLIENT),
                ("device_code", device_code),
            ])
            .await?;
        Ok(match answer {
            Ok(tokens) => Poll::Done(tokens),
            Err(body) => match body.error.as_str() {
                "authorization_pending" => Poll::Pending,
                "slow_down" => Poll::SlowDown,
                "access_denied" => Poll::Denied,
                "expired_token" => Poll::Expired,
                other => {
                    return Err(format!(
                        "the sign-in failed ({other}): {}",
                        body.error_description.unwrap_or_default()
                    ));
                }
            },
        })
    }

    pub(crate) async fn refresh(&self, refresh_token: &str) -> Result<Tokens, String> {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", DEVICE_CLIENT),
            ("refresh_token", refresh_token),
        ])
        .await?
        .map_err(|body| {
            format!(
                "the session's sign-in could not be renewed ({})",
                body.error
            )
        })
    }

    /// RFC 8693: a token for `tenant` in exchange for the session's.
    pub(crate) async fn exchange(&self, token: &str, tenant: &str) -> Result<Tokens, String> {
        let acr = format!("tenant:{tenant}");
        self.token_request(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("client_id", DEVICE_CLIENT),
            ("subject_token", token),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
            ("acr_values", &acr),
        ])
        .await?
        .map_err(|body| {
            format!(
                "no token for tenant `{tenant}`: {}",
                body.error_description.unwrap_or(body.error)
            )
        })
    }
}
