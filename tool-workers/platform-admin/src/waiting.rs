//! Waiting for a platform job (an asset-repository import, a bot job): poll until the job is
//! final, backing off from 20 ms to 1 s, and tell the client how far it is on every poll
//! (`notifications/progress` — the original polls silently every 2 s). Progress only grows: the
//! job's own count when it gives one, else the seconds waited.

use std::future::Future;
use std::time::Duration;

use octomesh_worker_runtime::{CallScope, ToolError};

/// The longest wait a caller may ask for, in minutes.
pub(crate) const MAX_WAIT_MINUTES: u32 = 240;

/// The bound a job-waiting tool declares: its longest wait plus time to hand out the result. The
/// gateway lets such a call run this long whatever its own call timeout.
pub(crate) const JOB_TOOL_TIMEOUT: Duration =
    Duration::from_secs(MAX_WAIT_MINUTES as u64 * 60 + 600);

/// What one poll found.
pub(crate) enum Polled<T> {
    /// The job succeeded: what it made.
    Done(T),
    /// The job failed: the whole error message for the caller.
    Failed(String),
    /// Still going.
    Running {
        status: String,
        /// Work done and the total, when the job counts them.
        progress: Option<(f64, Option<f64>)>,
        detail: Option<String>,
    },
}

/// Polls `job_id` with `poll` until it is final, at most `minutes` (clamped to 1..=240).
pub(crate) async fn until_final<T, F, Fut>(
    scope: &CallScope,
    job_id: &str,
    minutes: u32,
    mut poll: F,
) -> Result<T, ToolError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Polled<T>, ToolError>>,
{
    let minutes = minutes.clamp(1, MAX_WAIT_MINUTES);
    let started = tokio::time::Instant::now();
    let deadline = started + Duration::from_secs(u64::from(minutes) * 60);
    let mut pause = Duration::from_millis(20);
    let mut reported = 0.0_f64;
    loop {
        let last_status = match poll().await? {
            Polled::Done(done) => return Ok(done),
            Polled::Failed(message) => return Err(ToolError::InvalidArguments(message)),
            Polled::Running {
                status,
                progress,
                detail,
            } => {
                let (value, total) = progress.unwrap_or((started.elapsed().as_secs_f64(), None));
                if value >= reported {
                    reported = value;
                    let message = match detail {
                        Some(detail) => format!("job {job_id} is {status}: {detail}"),
                        None => format!("job {job_id} is {status}"),
                    };
                    scope.progress(value, total, message).await;
                }
                status
            }
        };
        if tokio::time::Instant::now() + pause > deadline {
            return Err(ToolError::Backend(format!(
                "job {job_id} did not complete within {minutes} minutes (last status: {last_status}); \
                 it goes on in the platform: ask again with a longer waitTimeoutMinutes (at most {MAX_WAIT_MINUTES})"
            )));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}
