//! A service's own access token for calling another service (the bot's and the reporting
//! service's calls of the asset repository): client credentials of its well-known client
//! (`octo-botServices`, `octo-reportingServices`) at the identity service's token endpoint, kept
//! until shortly before it expires. Neither the secret nor the token is ever logged or shown.

use std::time::{Duration, Instant};

use serde::Deserialize;

/// A token is renewed this long before it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(60);
/// Largest token answer read.
const MAX_TOKEN_ANSWER: usize = 64 * 1024;

/// Where a service's token comes from.
pub struct ServiceToken {
    token_url: String,
    client_id: &'static str,
    /// `None`: no token is sent (`--no-auth`).
    secret: Option<String>,
    http: reqwest::Client,
    cached: tokio::sync::Mutex<Option<Cached>>,
}

struct Cached {
    token: String,
    renew_at: Instant,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl ServiceToken {
    /// The token of client `client_id` with `secret` (`None`: no token, `--no-auth`) at the
    /// identity service `identity_url`.
    pub fn new(
        identity_url: &str,
        client_id: &'static str,
        secret: Option<String>,
    ) -> ServiceToken {
        ServiceToken {
            token_url: format!("{}/connect/token", identity_url.trim_end_matches('/')),
            client_id,
            secret,
            http: crate::fetch::client(Duration::from_secs(15)),
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// Whether the service authenticates at all.
    pub fn enabled(&self) -> bool {
        self.secret.is_some()
    }

    /// The token to send (`None` without a secret); one fetch at a time.
    pub async fn get(&self) -> Result<Option<String>, String> {
        let Some(secret) = &self.secret else {
            return Ok(None);
        };
        let mut cached = self.cached.lock().await;
        if let Some(current) = cached.as_ref()
            && Instant::now() < current.renew_at
        {
            return Ok(Some(current.token.clone()));
        }
        let request = self.http.post(&self.token_url).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id),
            ("client_secret", secret.as_str()),
            ("scope", "octo_api"),
        ]);
        let answer: TokenAnswer = crate::fetch::json(request, MAX_TOKEN_ANSWER)
            .await
            .map_err(|problem| {
                format!(
                    "{} cannot get its token from the identity service at {}: {problem}",
                    self.client_id, self.token_url
                )
            })?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(300));
        let renew_at = Instant::now() + lifetime.saturating_sub(RENEW_BEFORE).max(lifetime / 2);
        *cached = Some(Cached {
            token: answer.access_token.clone(),
            renew_at,
        });
        Ok(Some(answer.access_token))
    }

    /// Forgets the token (the asset repository refused it).
    pub async fn forget(&self) {
        *self.cached.lock().await = None;
    }
}
