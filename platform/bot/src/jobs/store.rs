//! The jobs, durable: one record per job in `bot/jobs/{id}.json`, replaced atomically on every
//! change of state, and written before the enqueue is answered. Results are `bot/results/{id}`.
//! Opening the store finds what a stopped service left: `Enqueued` jobs are queued again,
//! `Processing` ones are failed (they are never run twice).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::record::{JobStatus, StoredJob};
use crate::files::{remove_if_there, write_atomic};
use crate::ids::JobId;

/// What a job that was running when the service stopped says.
pub(crate) const STOPPED_REASON: &str =
    "the bot service stopped while this job ran; it was not run again — start it again";

/// Why a job was not deleted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DeleteRefusal {
    Running,
    Storage(String),
}

pub(crate) struct JobStore {
    jobs_dir: PathBuf,
    results_dir: PathBuf,
    jobs: Mutex<HashMap<JobId, StoredJob>>,
}

impl JobStore {
    /// Opens `dir/jobs` and `dir/results`; answers the store and the jobs to queue again, oldest
    /// first.
    pub(crate) fn open(dir: &Path) -> Result<(JobStore, Vec<JobId>), String> {
        let jobs_dir = dir.join("jobs");
        let results_dir = dir.join("results");
        for path in [&jobs_dir, &results_dir] {
            std::fs::create_dir_all(path)
                .map_err(|error| format!("cannot create {}: {error}", path.display()))?;
        }
        let entries = std::fs::read_dir(&jobs_dir)
            .map_err(|error| format!("cannot read {}: {error}", jobs_dir.display()))?;
        let mut jobs = HashMap::new();
        for entry in entries {
            let path = entry
                .map_err(|error| format!("cannot read {}: {error}", jobs_dir.display()))?
                .path();
            if path.extension().and_then(|ext| ext.to_str()) != Some("json") {
                continue;
            }
            let parsed = std::fs::read(&path)
                .map_err(|error| error.to_string())
                .and_then(|bytes| {
                    serde_json::from_slice::<StoredJob>(&bytes).map_err(|error| error.to_string())
                });
            match parsed {
                Ok(job) => {
                    jobs.insert(job.job.id.clone(), job);
                }
                Err(problem) => {
                    tracing::warn!(path = %path.display(), %problem, "A job record does not read; it is left as it is.")
                }
            }
        }
        let store = JobStore {
            jobs_dir,
            results_dir,
            jobs: Mutex::new(HashMap::new()),
        };
        let mut queued = Vec::new();
        for (id, mut job) in jobs {
            match job.job.status {
                JobStatus::Processing => {
                    job.fail(STOPPED_REASON, STOPPED_REASON);
                    let _ = remove_if_there(&store.partial_result_path(&id));
                    store.write(&job)?;
                    tracing::warn!(job = %id, kind = job.job.kind.name(), "A job was running when the bot service stopped; it is failed, not run again.");
                }
                JobStatus::Enqueued => queued.push((job.job.created_at, id.clone())),
                JobStatus::Succeeded | JobStatus::Failed => {}
            }
            store.lock().insert(id, job);
        }
        queued.sort();
        Ok((store, queued.into_iter().map(|(_, id)| id).collect()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, StoredJob>> {
        self.jobs.lock().expect("never poisoned")
    }

    fn record_path(&self, id: &JobId) -> PathBuf {
        self.jobs_dir.join(format!("{id}.json"))
    }

    /// Where a job's result file is.
    pub(crate) fn result_path(&self, id: &JobId) -> PathBuf {
        self.results_dir.join(id.as_str())
    }

    /// Where a job's result is written until it is complete.
    pub(crate) fn partial_result_path(&self, id: &JobId) -> PathBuf {
        self.results_dir.join(format!("{id}.part"))
    }

    pub(crate) fn results_dir(&self) -> &Path {
        &self.results_dir
    }

    fn write(&self, job: &StoredJob) -> Result<(), String> {
        let path = self.record_path(&job.job.id);
        let bytes = serde_json::to_vec_pretty(job).expect("a job serialises");
        write_atomic(&path, &bytes)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))
    }

    /// Keeps a new job: written to disk first.
    pub(crate) fn insert(&self, job: StoredJob) -> Result<(), String> {
        let mut jobs = self.lock();
        self.write(&job)?;
        jobs.insert(job.job.id.clone(), job);
        Ok(())
    }

    pub(crate) fn get(&self, id: &JobId) -> Option<StoredJob> {
        self.lock().get(id).cloned()
    }

    /// Every job.
    pub(crate) fn all(&self) -> Vec<StoredJob> {
        self.lock().values().cloned().collect()
    }

    /// Changes the job `id` with `change`, written to disk when `persist`; `None` when there is no
    /// such job (deleted meanwhile).
    pub(crate) fn update<R>(
        &self,
        id: &JobId,
        persist: bool,
        change: impl FnOnce(&mut StoredJob) -> R,
    ) -> Option<R> {
        let mut jobs = self.lock();
        let job = jobs.get_mut(id)?;
        let answer = change(job);
        if persist && let Err(problem) = self.write(job) {
            tracing::error!(job = %id, %problem, "A job record cannot be written.");
        }
        Some(answer)
    }

    /// Moves an `Enqueued` job to `Processing` (written) and answers it; `None` when it is not
    /// enqueued (deleted, or already run).
    pub(crate) fn start(&self, id: &JobId) -> Option<StoredJob> {
        self.update(id, true, |job| {
            (job.job.status == JobStatus::Enqueued).then(|| {
                job.set_status(JobStatus::Processing);
                job.clone()
            })
        })
        .flatten()
    }

    /// Deletes a job that is not running, its record and its result; `Ok(false)`: no such job.
    pub(crate) fn delete(&self, id: &JobId) -> Result<bool, DeleteRefusal> {
        let mut jobs = self.lock();
        let Some(job) = jobs.get(id) else {
            return Ok(false);
        };
        if job.job.status == JobStatus::Processing {
            return Err(DeleteRefusal::Running);
        }
        let storage = |error: std::io::Error| DeleteRefusal::Storage(error.to_string());
        remove_if_there(&self.record_path(id)).map_err(storage)?;
        jobs.remove(id);
        remove_if_there(&self.result_path(id)).map_err(storage)?;
        Ok(true)
    }
}
