//! How the bot service is set up: where its data lives, where the asset repository and the
//! identity service are, its own client secret, and the limits of its files.

use std::path::PathBuf;
use std::time::Duration;

/// The bot's client id at the identity service (client credentials).
pub const BOT_CLIENT_ID: &str = "octo-botServices";

/// The environment variable `platform --service bot` reads its client secret from.
pub const CLIENT_SECRET_ENV: &str = "OCTOMESH_BOT_CLIENT_SECRET";

/// Upstream's `FileRetentionHours`: results and uploads are kept 4 hours.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(4 * 3600);
/// Job records are kept a week after they end.
pub const DEFAULT_JOB_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Upstream's hourly `cleanup-stale-files`.
pub const DEFAULT_SWEEP_INTERVAL: Duration = Duration::from_secs(3600);
/// Upstream's `MaxUploadSizeBytes`: 10 GiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024 * 1024;
/// Jobs run at the same time.
pub const DEFAULT_CONCURRENCY: usize = 2;

/// The bot service's configuration.
#[derive(Clone)]
pub struct BotConfig {
    /// The platform's data directory; the bot keeps `bot/` in it and holds `bot.lock`.
    pub data_dir: PathBuf,
    /// The asset repository's base URL (jobs are carried out through its routes).
    pub asset_url: String,
    /// The identity service's base URL (the bot's token comes from `{identity}/connect/token`).
    pub identity_url: String,
    /// The secret of the client `octo-botServices`; `None`: the bot sends no token (`--no-auth`).
    pub client_secret: Option<String>,
    /// How long result files and uploads are kept.
    pub retention: Duration,
    /// How long the records of ended jobs are kept.
    pub job_retention: Duration,
    /// How often old files are swept.
    pub sweep_interval: Duration,
    /// The largest TUS upload (`Tus-Max-Size`), and the largest result file.
    pub max_upload_bytes: u64,
    /// Jobs run at the same time.
    pub concurrency: usize,
    /// The bot's public base URL, for the absolute `Location` of a new upload (default: from the
    /// request's `Host`).
    pub public_url: Option<String>,
}

impl BotConfig {
    /// The defaults for a bot over `data_dir` that reaches the asset repository and the identity
    /// service at these base URLs.
    pub fn new(data_dir: PathBuf, asset_url: &str, identity_url: &str) -> BotConfig {
        BotConfig {
            data_dir,
            asset_url: asset_url.trim_end_matches('/').to_owned(),
            identity_url: identity_url.trim_end_matches('/').to_owned(),
            client_secret: None,
            retention: DEFAULT_RETENTION,
            job_retention: DEFAULT_JOB_RETENTION,
            sweep_interval: DEFAULT_SWEEP_INTERVAL,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            concurrency: DEFAULT_CONCURRENCY,
            public_url: None,
        }
    }
}

impl std::fmt::Debug for BotConfig {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("BotConfig")
            .field("data_dir", &self.data_dir)
            .field("asset_url", &self.asset_url)
            .field("identity_url", &self.identity_url)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("retention", &self.retention)
            .field("job_retention", &self.job_retention)
            .field("sweep_interval", &self.sweep_interval)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("concurrency", &self.concurrency)
            .field("public_url", &self.public_url)
            .finish()
    }
}
