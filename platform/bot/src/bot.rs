//! The bot service: its part of the data directory (locked), the job store, the uploads, the
//! asset repository's client, and the tasks that run jobs and sweep old files.

use std::sync::Arc;

use octomesh_platform_common::data_dir::ServiceDir;
use tokio::sync::mpsc;

use crate::asset::AssetClient;
use crate::config::BotConfig;
use crate::ids::JobId;
use crate::jobs::store::JobStore;
use crate::tus::store::UploadStore;

/// The running bot service.
pub struct Bot {
    /// The configuration (without the client secret, which only the asset client holds).
    pub(crate) config: BotConfig,
    pub(crate) jobs: Arc<JobStore>,
    pub(crate) uploads: UploadStore,
    pub(crate) asset: AssetClient,
    queue: mpsc::UnboundedSender<JobId>,
    _dir: ServiceDir,
}

impl std::fmt::Debug for Bot {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Bot")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Bot {
    /// Opens (creating) `{data_dir}/bot`, holding `{data_dir}/bot.lock`, and starts the runner —
    /// jobs left `Enqueued` are queued again, jobs left `Processing` are failed — and the sweep.
    /// Call it inside a Tokio runtime; both tasks end when the bot is dropped.
    pub fn open(mut config: BotConfig) -> Result<Arc<Bot>, String> {
        let dir = ServiceDir::open(&config.data_dir, crate::SERVICE.name(), "bot")?;
        let (jobs, queued) = JobStore::open(&dir.path)?;
        let uploads = UploadStore::open(&dir.path.join("tus"))?;
        let asset = AssetClient::new(
            &config.asset_url,
            &config.identity_url,
            config.client_secret.take(),
        );
        let (queue, receiver) = mpsc::unbounded_channel();
        let bot = Arc::new(Bot {
            jobs: Arc::new(jobs),
            uploads,
            asset,
            queue,
            _dir: dir,
            config,
        });
        if !queued.is_empty() {
            tracing::info!(
                jobs = queued.len(),
                "Jobs enqueued before the bot service stopped are queued again."
            );
        }
        for id in queued {
            bot.queue(id);
        }
        crate::jobs::runner::spawn(Arc::downgrade(&bot), receiver, bot.config.concurrency);
        crate::retention::spawn(Arc::downgrade(&bot), bot.config.sweep_interval);
        Ok(bot)
    }

    /// Queues a job that is kept `Enqueued`.
    pub(crate) fn queue(&self, id: JobId) {
        // The runner lives as long as the bot: a send cannot fail while `self` exists.
        let _ = self.queue.send(id);
    }
}
