//! Model imports from an uploaded file: `import_ck_model` and `import_runtime_model` take the
//! transfer a client filled through `prepare_file_upload` — only one of this tenant, prepared by
//! this caller — post it to the asset repository's `Models/ImportCk` / `Models/ImportRt`, and wait
//! for the import job, reporting progress while they wait. The upload is dropped once the import
//! succeeded (kept for another try when it failed).

use std::time::Duration;

use futures_util::TryStreamExt as _;
use octomesh_octo_client::{AssetClient, ImportStrategy, JobStatus};
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AdminCtx;
use crate::waiting::Polled;

/// The largest upload an import takes (the asset repository's request limit).
const MAX_IMPORT_BYTES: u64 = 300_000_000;

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImportDone {
    pub job_id: String,
    /// `Succeeded` (a failed import is an error result).
    pub state: String,
    pub transfer_id: String,
    pub file_name: String,
    pub size_bytes: u64,
}

/// The runtime-model import's handling of entities that exist already.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
pub(crate) enum ImportStrategyDto {
    /// Refuse the import when an entity exists already.
    #[default]
    InsertOnly,
    /// Replace entities that exist.
    Upsert,
}

/// The bytes and name of the caller's upload `transfer_id` in `tenant`.
async fn upload_of(
    ctx: &AdminCtx,
    scope: &CallScope,
    tenant: &str,
    transfer_id: &str,
) -> Result<(String, Vec<u8>), ToolError> {
    let (meta, body) = crate::transfer_io::take_upload(ctx, scope, tenant, transfer_id).await?;
    let size = meta.size.unwrap_or_default();
    if size > MAX_IMPORT_BYTES {
        return Err(ToolError::InvalidArguments(format!(
            "`transferId` '{}': the file has {size} bytes; an import takes at most {MAX_IMPORT_BYTES}.",
            transfer_id.trim()
        )));
    }
    let bytes = body
        .try_fold(
            Vec::with_capacity(size as usize),
            |mut all, chunk| async move {
                all.extend_from_slice(&chunk);
                Ok(all)
            },
        )
        .await
        .map_err(|error| ToolError::Backend(format!("the upload cannot be read: {error}")))?;
    Ok((meta.file_name, bytes))
}

/// Waits for `job_id`, reporting progress every poll; a failed job is an error naming its errors.
async fn wait(
    asset: &AssetClient,
    scope: &CallScope,
    tenant: &str,
    job_id: &str,
    minutes: Option<u32>,
    token: Option<&str>,
) -> Result<JobStatus, ToolError> {
    crate::waiting::until_final(scope, job_id, minutes.unwrap_or(10), || async {
        let status = asset.job(tenant, job_id, token).await?;
        Ok(match status.state.as_str() {
            "Succeeded" => Polled::Done(status),
            "Failed" => {
                let mut reason = status.message.unwrap_or_else(|| "the import failed".into());
                if !status.errors.is_empty() {
                    reason.push_str(": ");
                    reason.push_str(&status.errors.join("; "));
                }
                Polled::Failed(format!(
                    "job {job_id} failed, nothing was imported: {reason}"
                ))
            }
            state => Polled::Running {
                status: state.to_owned(),
                progress: None,
                detail: None,
            },
        })
    })
    .await
}

/// What an import posts.
enum Import {
    Ck,
    Runtime(ImportStrategy),
}

/// Posts the caller's upload `transfer_id` as `what`, waits for the job, drops the upload.
async fn import(
    ctx: &AdminCtx,
    scope: &CallScope,
    what: Import,
    transfer_id: &str,
    wait_minutes: Option<u32>,
    tenant: Option<&str>,
) -> Result<Envelope<ImportDone>, ToolError> {
    let (asset, tenant, token) = ctx.asset.rest(scope, tenant)?;
    let (file_name, bytes) = upload_of(ctx, scope, tenant, transfer_id).await?;
    let size_bytes = bytes.len() as u64;
    let job_id = match what {
        Import::Ck => asset.import_ck(tenant, &file_name, bytes, token).await?,
        Import::Runtime(strategy) => {
            asset
                .import_rt(tenant, &file_name, bytes, strategy, token)
                .await?
        }
    };
    scope
        .progress(
            0.0,
            None,
            format!("job {job_id} started ({size_bytes} bytes to import)"),
        )
        .await;
    let status = wait(asset, scope, tenant, &job_id, wait_minutes, token).await?;
    crate::transfer_io::drop_upload(ctx, scope, transfer_id).await;
    let message = status
        .message
        .clone()
        .unwrap_or_else(|| format!("'{file_name}' imported"));
    Ok(Envelope::success(
        Some(tenant),
        ImportDone {
            job_id,
            state: status.state,
            transfer_id: transfer_id.trim().to_owned(),
            file_name,
            size_bytes,
        },
    )
    .with_message(message))
}

/// Import a construction-kit model from an uploaded file: a zip of a library folder, or one
/// compiled YAML/JSON file. Its dependencies must be installed already.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ImportCkModel {
    /// The upload's id (prepare_file_upload, then PUT the file).
    #[schemars(length(min = 1, max = 64))]
    transfer_id: String,
    /// How long to wait for the import job, in minutes (default 10, at most 240).
    #[schemars(range(min = 1, max = 240))]
    wait_timeout_minutes: Option<u32>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for ImportCkModel {
    const NAME: &'static str = "import_ck_model";
    const TITLE: &'static str = "Import a CK model from an upload";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<ImportDone>;
    const TIMEOUT: Duration = crate::waiting::JOB_TOOL_TIMEOUT;
    const LONG_RUNNING: bool = true;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        import(
            ctx,
            scope,
            Import::Ck,
            &self.transfer_id,
            self.wait_timeout_minutes,
            self.tenant_id.as_deref(),
        )
        .await
    }
}

/// Import a runtime model (entities and associations, YAML or JSON) from an uploaded file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ImportRuntimeModel {
    /// The upload's id (prepare_file_upload, then PUT the file).
    #[schemars(length(min = 1, max = 64))]
    transfer_id: String,
    /// InsertOnly (default: refuse entities that exist) or Upsert (replace them).
    #[serde(default)]
    import_strategy: ImportStrategyDto,
    /// How long to wait for the import job, in minutes (default 10, at most 240).
    #[schemars(range(min = 1, max = 240))]
    wait_timeout_minutes: Option<u32>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for ImportRuntimeModel {
    const NAME: &'static str = "import_runtime_model";
    const TITLE: &'static str = "Import a runtime model from an upload";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<ImportDone>;
    const TIMEOUT: Duration = crate::waiting::JOB_TOOL_TIMEOUT;
    const LONG_RUNNING: bool = true;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let strategy = match self.import_strategy {
            ImportStrategyDto::InsertOnly => ImportStrategy::InsertOnly,
            ImportStrategyDto::Upsert => ImportStrategy::Upsert,
        };
        import(
            ctx,
            scope,
            Import::Runtime(strategy),
            &self.transfer_id,
            self.wait_timeout_minutes,
            self.tenant_id.as_deref(),
        )
        .await
    }
}
