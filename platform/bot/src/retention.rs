//! Retention: results and uploads are kept `retention` (upstream's `FileRetentionHours`, 4 h),
//! job records `job_retention` after they end. A sweep runs every `sweep_interval`; a job whose
//! result it removed says so on download.

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use crate::Bot;
use crate::files::remove_if_there;
use crate::ids::JobId;
use crate::jobs::record::JobStatus;
use crate::time::Utc;

/// What one sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub results: usize,
    pub uploads: usize,
    pub jobs: usize,
}

/// `4 h`, `30 min`, `5 s`.
pub(crate) fn describe(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 3600 && seconds.is_multiple_of(3600) {
        format!("{} h", seconds / 3600)
    } else if seconds >= 60 && seconds.is_multiple_of(60) {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

impl Bot {
    /// Removes what is older than its retention at `now`.
    pub fn sweep(&self, now: SystemTime) -> Swept {
        let mut swept = Swept::default();
        let retention = self.config.retention;
        let jobs = self.jobs.all();
        for stored in &jobs {
            let job = &stored.job;
            if job.status.is_final()
                && job
                    .state_changed_at
                    .older_than(self.config.job_retention, now)
            {
                if self.jobs.delete(&job.id) == Ok(true) {
                    swept.jobs += 1;
                }
                continue;
            }
            if job.status == JobStatus::Succeeded
                && job.result.is_some()
                && stored.result_removed_at.is_none()
                && job.state_changed_at.older_than(retention, now)
            {
                match remove_if_there(&self.jobs.result_path(&job.id)) {
                    Ok(()) => {
                        self.jobs.update(&job.id, true, |stored| {
                            stored.result_removed_at = Some(Utc::now());
                        });
                        swept.results += 1;
                    }
                    Err(error) => {
                        tracing::warn!(job = %job.id, %error, "An old result cannot be removed.")
                    }
                }
            }
        }
        // Leftovers no job accounts for (a result of a deleted record, a partial file).
        if let Ok(entries) = std::fs::read_dir(self.jobs.results_dir()) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let id = name
                    .to_str()
                    .map(|name| name.trim_end_matches(".part"))
                    .and_then(JobId::parse);
                let running = id
                    .as_ref()
                    .and_then(|id| self.jobs.get(id))
                    .is_some_and(|job| {
                        job.job.status == JobStatus::Processing
                            || (job.job.status == JobStatus::Succeeded
                                && job.result_removed_at.is_none())
                    });
                let old = entry
                    .metadata()
                    .and_then(|metadata| metadata.modified())
                    .ok()
                    .and_then(|modified| now.duration_since(modified).ok())
                    .is_some_and(|age| age > retention);
                if !running && old && remove_if_there(&entry.path()).is_ok() {
                    swept.results += 1;
                }
            }
        }
        let in_use: Vec<_> = self
            .jobs
            .all()
            .into_iter()
            .filter(|job| !job.job.status.is_final())
            .filter_map(|job| job.request.upload().cloned())
            .collect();
        for (id, info) in self.uploads.all() {
            if info.created_at.older_than(retention, now) && !in_use.contains(&id) {
                match self.uploads.delete(&id) {
                    Ok(()) => swept.uploads += 1,
                    Err(error) => {
                        tracing::warn!(upload = %id, %error, "An old upload cannot be removed.")
                    }
                }
            }
        }
        if swept != Swept::default() {
            tracing::info!(
                results = swept.results,
                uploads = swept.uploads,
                jobs = swept.jobs,
                "Retention sweep removed old files."
            );
        }
        swept
    }
}

/// Sweeps every `interval` until the bot is dropped.
pub(crate) fn spawn(bot: Weak<Bot>, interval: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(10)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(bot) = bot.upgrade() else {
                return;
            };
            let sweeping = Arc::clone(&bot);
            drop(bot);
            let _ = tokio::task::spawn_blocking(move || sweeping.sweep(SystemTime::now())).await;
        }
    });
}
