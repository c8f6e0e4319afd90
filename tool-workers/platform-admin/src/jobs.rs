//! Bot-service jobs as the tools run them: start one for the call's tenant, wait for it while
//! telling the client how far it is (`notifications/progress` on every poll — the original polls
//! silently every 2 s), and hand out what it made.

use octomesh_octo_client::{BotClient, BotJob};
use octomesh_worker_runtime::{CallScope, ToolError};

use crate::AdminCtx;
use crate::waiting::Polled;

/// One call's way to the bot service: the client, the tenant the call acts on, the caller's token.
pub(crate) struct BotCall<'a> {
    pub bot: &'a BotClient,
    pub tenant: &'a str,
    pub token: Option<&'a str>,
}

/// A job to start.
pub(crate) struct JobRequest {
    /// The route's last segment: `dump-repository`, `restore-from-upload`, …
    pub kind: &'static str,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<serde_json::Value>,
}

impl AdminCtx {
    /// The bot service for a call acting on `tenant_argument` (else the endpoint's tenant).
    pub(crate) fn bot<'a>(
        &'a self,
        scope: &'a CallScope,
        tenant_argument: Option<&'a str>,
    ) -> Result<BotCall<'a>, ToolError> {
        let bot = self.bot.as_ref().ok_or_else(|| {
            ToolError::Backend(
                "this worker does not know where the bot service is: start it with --bot-url or --platform-url".into(),
            )
        })?;
        Ok(BotCall {
            bot,
            tenant: crate::call_tenant(scope, tenant_argument)?,
            token: scope.context().access_token.as_deref(),
        })
    }
}

impl BotCall<'_> {
    /// Starts `request` and waits for it (at most `minutes`, default `default_minutes`); the
    /// finished job. A failed job is an error naming the job and why.
    pub(crate) async fn run(
        &self,
        scope: &CallScope,
        request: JobRequest,
        minutes: Option<u32>,
        default_minutes: u32,
    ) -> Result<BotJob, ToolError> {
        let job_id = self
            .bot
            .enqueue(
                self.tenant,
                request.kind,
                &request.query,
                request.body.as_ref(),
                self.token,
            )
            .await?;
        scope
            .progress(
                0.0,
                None,
                format!("job {job_id} ({}) started", request.kind),
            )
            .await;
        self.wait(scope, &job_id, minutes.unwrap_or(default_minutes))
            .await
    }

    /// Polls job `job_id` until it is final, reporting progress on every poll.
    async fn wait(
        &self,
        scope: &CallScope,
        job_id: &str,
        minutes: u32,
    ) -> Result<BotJob, ToolError> {
        crate::waiting::until_final(scope, job_id, minutes, || async {
            let job = self.bot.job(self.tenant, job_id, self.token).await?;
            Ok(match job.status() {
                "Succeeded" => Polled::Done(job),
                "Failed" => {
                    let why = job
                        .error_message
                        .or(job.reason)
                        .unwrap_or_else(|| "(no reason given)".into());
                    Polled::Failed(format!("job {job_id} failed: {why}"))
                }
                status => Polled::Running {
                    status: status.to_owned(),
                    progress: job.progress.as_ref().map(|progress| {
                        (
                            progress.done as f64,
                            progress.total.map(|total| total as f64),
                        )
                    }),
                    detail: job.progress.and_then(|progress| progress.message),
                },
            })
        })
        .await
    }

    /// Publishes the result file of finished job `job` as the caller's download, named
    /// `file_name` (else the job's own name, else `fallback`).
    pub(crate) async fn publish_result(
        &self,
        ctx: &AdminCtx,
        scope: &CallScope,
        job: &BotJob,
        file_name: Option<&str>,
        fallback: &str,
    ) -> Result<crate::transfer_io::PublishedFile, ToolError> {
        let download = self.bot.download(self.tenant, &job.id, self.token).await?;
        let name = file_name
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .or(download.file_name)
            .or_else(|| job.result.as_ref().map(|result| result.file_name.clone()))
            .unwrap_or_else(|| fallback.to_owned());
        crate::transfer_io::publish(ctx, scope, self.tenant, &name, download.body).await
    }

    /// Sends the caller's upload `transfer_id` to the bot's TUS endpoint as an upload for tenant
    /// `owner` (the call's tenant, or — a restore's new tenant — another, through the system
    /// route) with `metadata`; the bot's file id. The upload itself stays until the job that reads
    /// it succeeded.
    pub(crate) async fn upload(
        &self,
        ctx: &AdminCtx,
        scope: &CallScope,
        transfer_id: &str,
        owner: &str,
        metadata: &[(&str, &str)],
    ) -> Result<String, ToolError> {
        let (meta, body) =
            crate::transfer_io::take_upload(ctx, scope, self.tenant, transfer_id).await?;
        let size = meta.size.unwrap_or_default();
        if size == 0 {
            return Err(ToolError::InvalidArguments(format!(
                "`transferId` '{}': the upload is empty (0 bytes); PUT the file again to a new upload URL",
                transfer_id.trim()
            )));
        }
        let mut all = vec![("tenantId", owner), ("fileName", meta.file_name.as_str())];
        all.extend_from_slice(metadata);
        scope
            .progress(
                0.0,
                Some(size as f64),
                format!(
                    "sending '{}' ({size} bytes) to the bot service",
                    meta.file_name
                ),
            )
            .await;
        Ok(self
            .bot
            .tus_upload(
                if owner == self.tenant {
                    self.tenant
                } else {
                    "system"
                },
                &all,
                size,
                body,
                self.token,
            )
            .await?)
    }
}

/// What a job that makes a file answers: the job and the download.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FileJobDone {
    pub job_id: String,
    #[serde(flatten)]
    pub file: crate::transfer_io::PublishedFile,
}

/// Runs `request` for the call's tenant and publishes its file as the caller's download
/// (`file_name`, else the job's name, else `fallback`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_to_download(
    ctx: &AdminCtx,
    scope: &CallScope,
    tenant: Option<&str>,
    request: JobRequest,
    file_name: Option<&str>,
    fallback: &str,
    minutes: Option<u32>,
    default_minutes: u32,
) -> Result<octomesh_worker_runtime::Envelope<FileJobDone>, ToolError> {
    let call = ctx.bot(scope, tenant)?;
    let job = call.run(scope, request, minutes, default_minutes).await?;
    let file = call
        .publish_result(ctx, scope, &job, file_name, fallback)
        .await?;
    let message = format!(
        "'{}' is ready ({} bytes): GET it from downloadUrl before {}.",
        file.file_name, file.size_bytes, file.expires_at_utc
    );
    Ok(octomesh_worker_runtime::Envelope::success(
        Some(call.tenant),
        FileJobDone {
            job_id: job.id,
            file,
        },
    )
    .with_message(message))
}
