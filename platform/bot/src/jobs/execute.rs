//! Carrying one job out: its asset repository route called with the bot's token, the upload
//! streamed as the body or the answer streamed into the result file, progress kept as bytes
//! move (written at most every second), and the job's end recorded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use reqwest::header;
use tokio::io::AsyncWriteExt as _;

use super::kinds::{Answer, AssetCall, Body};
use super::record::{JobStatus, Progress, ResultFile};
use super::store::JobStore;
use crate::Bot;
use crate::asset::CallFailure;
use crate::ids::JobId;

/// Longest a job may run (upstream's dump and restore timeout).
const JOB_TIMEOUT: Duration = Duration::from_secs(3600);
/// Largest JSON answer kept as a job's `output`.
const MAX_OUTPUT_BYTES: usize = 1024 * 1024;
/// Least time between two writes of a job's progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

enum Outcome {
    File(ResultFile),
    Json(serde_json::Value),
}

/// Runs the job `id` if it is still enqueued.
pub(crate) async fn run(bot: &Bot, id: &JobId) {
    let Some(job) = bot.jobs.start(id) else {
        return;
    };
    let kind = job.job.kind;
    tracing::info!(job = %id, kind = kind.name(), tenant = %job.job.tenant_id, "Job started.");
    let call = job.request.call(job.job.created_at);
    let outcome =
        match tokio::time::timeout(JOB_TIMEOUT, carry_out(bot, id, &call, kind.title())).await {
            Ok(outcome) => outcome,
            Err(_) => Err(CallFailure::new(
                "the job took too long",
                format!(
                    "{} did not finish within {} minutes",
                    kind.title(),
                    JOB_TIMEOUT.as_secs() / 60
                ),
            )),
        };
    let outcome = match outcome {
        Ok(outcome) => with_identity_data(bot, id, &job, outcome).await,
        failed => failed,
    };
    if let Some(upload) = job.request.upload()
        && let Err(error) = bot.uploads.delete(upload)
    {
        tracing::warn!(job = %id, upload = %upload, %error, "The job's upload cannot be deleted.");
    }
    if outcome.is_err() {
        let _ = crate::files::remove_if_there(&bot.jobs.partial_result_path(id));
    }
    let ended = bot.jobs.update(id, true, |stored| match outcome {
        Ok(outcome) => {
            match outcome {
                Outcome::File(result) => stored.job.result = Some(result),
                Outcome::Json(output) => stored.job.output = Some(output),
            }
            stored.set_status(JobStatus::Succeeded);
            Ok(())
        }
        Err(failure) => {
            let message = failure.message.clone();
            stored.fail(failure.reason, failure.message);
            Err(message)
        }
    });
    match ended {
        Some(Ok(())) => tracing::info!(job = %id, kind = kind.name(), "Job succeeded."),
        Some(Err(message)) => {
            tracing::warn!(job = %id, kind = kind.name(), %message, "Job failed.")
        }
        None => {}
    }
}

/// A dump gets the tenant's identity data; a restore gives the restored tenant the backup's
/// accounts (a failure there is a warning of the restore, whose data is in place by then).
async fn with_identity_data(
    bot: &Bot,
    id: &JobId,
    job: &super::record::StoredJob,
    outcome: Outcome,
) -> Result<Outcome, CallFailure> {
    let tenant = &job.job.tenant_id;
    match (job.job.kind, outcome) {
        (super::kinds::JobKind::DumpRepository, Outcome::File(mut result)) => {
            result.size_bytes =
                super::identity_data::add_to_dump(bot, &bot.jobs.result_path(id), tenant).await?;
            Ok(Outcome::File(result))
        }
        (super::kinds::JobKind::RestoreFromUpload, Outcome::Json(mut output)) => {
            let Some(upload) = job.request.upload() else {
                return Ok(Outcome::Json(output));
            };
            let path = bot.uploads.data_path(upload);
            match super::identity_data::restore_from(bot, &path, tenant).await {
                Ok(Some(answer)) if output.is_object() => output["identity"] = answer,
                Ok(_) => {}
                Err(failure) => {
                    tracing::warn!(job = %id, message = %failure.message, "The restored tenant's accounts were not granted.");
                    if let Some(warnings) = output["warnings"].as_array_mut() {
                        warnings.push(serde_json::json!(format!(
                            "the tenant's accounts were not restored: {}",
                            failure.message
                        )));
                    }
                }
            }
            Ok(Outcome::Json(output))
        }
        (_, outcome) => Ok(outcome),
    }
}

/// Records progress in memory at once and on disk at most every second.
struct ProgressSink {
    jobs: Arc<JobStore>,
    id: JobId,
    written: Option<Instant>,
}

impl ProgressSink {
    fn new(jobs: Arc<JobStore>, id: JobId) -> ProgressSink {
        ProgressSink {
            jobs,
            id,
            written: None,
        }
    }

    fn report(&mut self, done: u64, total: Option<u64>, message: &str) {
        let persist = self
            .written
            .is_none_or(|written| written.elapsed() >= PROGRESS_EVERY);
        if persist {
            self.written = Some(Instant::now());
        }
        self.jobs.update(&self.id, persist, |stored| {
            stored.job.progress = Some(Progress {
                done,
                total,
                message: Some(message.to_owned()),
            });
        });
    }
}

async fn carry_out(
    bot: &Bot,
    id: &JobId,
    call: &AssetCall,
    what: &str,
) -> Result<Outcome, CallFailure> {
    let request = bot
        .asset
        .request(call.method.clone(), &call.path)
        .await?
        .query(&call.query);
    let request = match &call.body {
        Body::None => request,
        Body::Json(body) => request.json(body),
        Body::Upload(upload) => {
            let gone = || {
                CallFailure::new(
                    "the upload is gone",
                    format!(
                        "the upload {upload} is gone (deleted, or removed after {}): upload the file again",
                        crate::retention::describe(bot.config.retention)
                    ),
                )
            };
            let info = bot
                .uploads
                .info(upload)
                .filter(|info| info.is_complete())
                .ok_or_else(gone)?;
            let file = tokio::fs::File::open(bot.uploads.data_path(upload))
                .await
                .map_err(|_| gone())?;
            let total = info.length;
            let mut sink = ProgressSink::new(Arc::clone(&bot.jobs), id.clone());
            sink.report(0, Some(total), "sending the upload to the asset repository");
            let mut sent = 0u64;
            let stream =
                tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024).map(move |chunk| {
                    if let Ok(bytes) = &chunk {
                        sent += bytes.len() as u64;
                        sink.report(
                            sent,
                            Some(total),
                            "sending the upload to the asset repository",
                        );
                    }
                    chunk
                });
            request
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .header(header::CONTENT_LENGTH, total)
                .body(reqwest::Body::wrap_stream(stream))
        }
    };
    let response = bot.asset.send(request, what).await?;
    match &call.answer {
        Answer::Json => read_output(response, what).await.map(Outcome::Json),
        Answer::File {
            default_name,
            named_by_answer,
        } => {
            let file_name = named_by_answer
                .then(|| {
                    response
                        .headers()
                        .get(header::CONTENT_DISPOSITION)
                        .and_then(|value| value.to_str().ok())
                        .and_then(crate::disposition::file_name)
                })
                .flatten()
                .unwrap_or_else(|| default_name.clone());
            receive_file(bot, id, response, what)
                .await
                .map(|size_bytes| {
                    Outcome::File(ResultFile {
                        file_name,
                        content_type: "application/zip".into(),
                        size_bytes,
                    })
                })
        }
    }
}

fn broken(what: &str, problem: impl std::fmt::Display) -> CallFailure {
    CallFailure::new(
        "the asset repository's answer broke off",
        format!("{what}: the asset repository's answer broke off: {problem}"),
    )
}

async fn read_output(
    mut response: reqwest::Response,
    what: &str,
) -> Result<serde_json::Value, CallFailure> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| broken(what, error.without_url()))?
    {
        if body.len() + chunk.len() > MAX_OUTPUT_BYTES {
            return Err(CallFailure::new(
                "the asset repository's answer is too large",
                format!(
                    "{what}: the asset repository answered more than {MAX_OUTPUT_BYTES} bytes of JSON"
                ),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_slice(&body).map_err(|error| {
        CallFailure::new(
            "the asset repository's answer is not JSON",
            format!("{what}: the asset repository's answer is not JSON: {error}"),
        )
    })
}

/// Streams the answer into the job's result file; its size.
async fn receive_file(
    bot: &Bot,
    id: &JobId,
    mut response: reqwest::Response,
    what: &str,
) -> Result<u64, CallFailure> {
    let storage = |error: std::io::Error| {
        tracing::error!(job = %id, %error, "A job's result cannot be written.");
        CallFailure::new(
            "the bot service cannot write the result",
            "the bot service cannot write the result file; see its log",
        )
    };
    let partial = bot.jobs.partial_result_path(id);
    let mut file = tokio::fs::File::create(&partial).await.map_err(storage)?;
    let total = response.content_length();
    let max = bot.config.max_upload_bytes;
    let mut sink = ProgressSink::new(Arc::clone(&bot.jobs), id.clone());
    let mut received = 0u64;
    sink.report(0, total, "receiving from the asset repository");
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| broken(what, error.without_url()))?
    {
        received += chunk.len() as u64;
        if received > max {
            return Err(CallFailure::new(
                "the result is too large",
                format!("{what}: the asset repository sent more than {max} bytes"),
            ));
        }
        file.write_all(&chunk).await.map_err(storage)?;
        sink.report(received, total, "receiving from the asset repository");
    }
    file.flush().await.map_err(storage)?;
    file.sync_all().await.map_err(storage)?;
    drop(file);
    sink.written = None;
    sink.report(received, Some(received), "received");
    tokio::fs::rename(&partial, bot.jobs.result_path(id))
        .await
        .map_err(storage)?;
    Ok(received)
}
