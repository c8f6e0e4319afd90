//! Where the OctoMesh backend services are: a URL per service, or one `--platform-url` whose
//! `_configuration` names them (explicit URLs win over it).

use std::time::Duration;

use anyhow::Context as _;
pub use octomesh_octo_client::Backends;
use octomesh_octo_client::discovery::PlatformConfiguration;

use crate::cli::BackendOptions;

/// How long to wait for the platform's discovery endpoint at start-up (it may start after us).
const DISCOVERY_PATIENCE: Duration = Duration::from_secs(30);

/// The tenant whose `_configuration` is read.
const SYSTEM_TENANT: &str = "octosystem";

impl BackendOptions {
    /// Whether any backend is named (then `up` starts no embedded platform).
    pub fn any(&self) -> bool {
        self.platform_url.is_some()
            || self.identity_url.is_some()
            || self.asset_url.is_some()
            || self.bot_url.is_some()
            || self.communication_url.is_some()
            || self.reporting_url.is_some()
    }

    /// The URLs given on their own, checked.
    fn explicit(&self) -> anyhow::Result<Backends> {
        let check = |flag: &str, url: &Option<String>| -> anyhow::Result<Option<String>> {
            url.as_deref().map(|url| http_url(flag, url)).transpose()
        };
        Ok(Backends {
            identity: check("--identity-url", &self.identity_url)?,
            asset_repository: check("--asset-url", &self.asset_url)?,
            bot: check("--bot-url", &self.bot_url)?,
            communication: check("--communication-url", &self.communication_url)?,
            reporting: check("--reporting-url", &self.reporting_url)?,
        })
    }

    /// The backends: the URLs given, and for the others what `--platform-url`'s
    /// `_configuration` says (read with retries for a while: the platform may start later).
    pub async fn resolve(&self) -> anyhow::Result<Backends> {
        let mut backends = self.explicit()?;
        let Some(platform) = &self.platform_url else {
            return Ok(backends);
        };
        let platform = http_url("--platform-url", platform)?;
        let started = tokio::time::Instant::now();
        let configuration = loop {
            match PlatformConfiguration::fetch(&platform, SYSTEM_TENANT).await {
                Ok(configuration) => break configuration,
                Err(error) if started.elapsed() < DISCOVERY_PATIENCE => {
                    tracing::debug!(%error, "The platform's discovery endpoint is not there yet.");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(error) => {
                    return Err(error).with_context(|| {
                        format!(
                            "cannot read the service URLs from --platform-url {platform} (GET {platform}/{SYSTEM_TENANT}/_configuration) within {DISCOVERY_PATIENCE:?}; give each service's URL instead (--asset-url, --identity-url, …)"
                        )
                    });
                }
            }
        };
        backends.fill_from(configuration);
        tracing::info!(?backends, %platform, "Backends read from the platform's configuration.");
        Ok(backends)
    }
}

/// `url` when it is an absolute http(s) URL, without its trailing `/`.
fn http_url(flag: &str, url: &str) -> anyhow::Result<String> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(trimmed.to_owned())
        }
        _ => anyhow::bail!("{flag} `{url}` is not an http(s) URL, e.g. http://127.0.0.1:5001"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_urls_win_and_bad_ones_are_named() {
        let options = BackendOptions {
            asset_url: Some("http://assets.example/".into()),
            ..BackendOptions::default()
        };
        let mut backends = options.explicit().expect("valid");
        backends.fill_from(PlatformConfiguration {
            issuer: Some("http://id.example".into()),
            asset_services: Some("http://elsewhere.example".into()),
            ..PlatformConfiguration::default()
        });
        assert_eq!(
            backends.asset_repository.as_deref(),
            Some("http://assets.example")
        );
        assert_eq!(backends.identity.as_deref(), Some("http://id.example"));
        let bad = BackendOptions {
            bot_url: Some("bots.example".into()),
            ..BackendOptions::default()
        };
        let error = bad.explicit().expect_err("not a URL").to_string();
        assert!(error.contains("--bot-url"), "{error}");
    }
}
