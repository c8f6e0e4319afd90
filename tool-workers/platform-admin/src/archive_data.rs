//! `export_archive_data` (Low) and `import_archive_data` (Medium): an archive's rows as a ZIP
//! (`metadata.json` + `data.ndjson`, §4.8 of the dossier) made by the bot service's
//! `export-archive-data` job and handed out as a download; and the way back from an upload into a
//! **Disabled** archive whose schema matches, through the bot's TUS endpoint and its
//! `import-archive-data-from-upload` job.

use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AdminCtx;
use crate::jobs::{FileJobDone, JobRequest, run_to_download};
use crate::rt_export::rt_id_argument;

/// Default wait of the archive-data jobs, in minutes.
const ARCHIVE_WAIT_MINUTES: u32 = 30;
/// The download's default name.
const ARCHIVE_FILE: &str = "archive-export.zip";

/// An optional instant argument, passed on as given (the bot service checks its form and order).
fn instant_argument(field: &str, value: Option<&str>) -> Result<Option<String>, ToolError> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    if value.len() > 40 || !value.contains('T') {
        return Err(ToolError::InvalidArguments(format!(
            "`{field}` '{value}' is not an ISO-8601 UTC timestamp: write e.g. 2026-05-11T14:00:00Z."
        )));
    }
    Ok(Some(value.to_owned()))
}

/// Export the rows of an archive (a CkArchive entity), optionally only those in
/// [`fromUtc`, `toUtc`), as a ZIP published as a download for this caller. Import it with
/// `import_archive_data` into a Disabled archive of the same schema.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ExportArchiveData {
    /// The archive's runtime id.
    archive_rt_id: String,
    /// ISO-8601 UTC, inclusive (default: the first row).
    from_utc: Option<String>,
    /// ISO-8601 UTC, exclusive (default: after the last row).
    to_utc: Option<String>,
    /// The download's file name (default `archive-export.zip`).
    file_name: Option<String>,
    /// How long to wait for the export, in minutes (default 30, at most 240).
    #[schemars(range(min = 1, max = 240))]
    wait_timeout_minutes: Option<u32>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for ExportArchiveData {
    const NAME: &'static str = "export_archive_data";
    const TITLE: &'static str = "Export an archive's data";
    const RISK: Risk = Risk::Low;
    const TIMEOUT: std::time::Duration = crate::waiting::JOB_TOOL_TIMEOUT;
    const LONG_RUNNING: bool = true;
    type Ctx = AdminCtx;
    type Output = Envelope<FileJobDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let archive = rt_id_argument("archiveRtId", &self.archive_rt_id)?;
        let mut query = vec![("archiveRtId", archive.to_owned())];
        if let Some(from) = instant_argument("fromUtc", self.from_utc.as_deref())? {
            query.push(("fromUtc", from));
        }
        if let Some(to) = instant_argument("toUtc", self.to_utc.as_deref())? {
            query.push(("toUtc", to));
        }
        run_to_download(
            ctx,
            scope,
            self.tenant_id.as_deref(),
            JobRequest {
                kind: "export-archive-data",
                query,
                body: None,
            },
            self.file_name.as_deref().or(Some(ARCHIVE_FILE)),
            ARCHIVE_FILE,
            self.wait_timeout_minutes,
            ARCHIVE_WAIT_MINUTES,
        )
        .await
    }
}

/// How an archive import treats rows that exist already.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
pub(crate) enum ArchiveImportMode {
    /// Refuse rows that exist already (raw archives).
    #[default]
    InsertOnly,
    /// Replace rows that exist (windowed archives).
    Upsert,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArchiveImportDone {
    pub job_id: String,
    pub archive_rt_id: String,
    /// What the import reported (rows imported, …).
    pub report: Option<serde_json::Value>,
}

/// Import an archive-data ZIP (from `export_archive_data`, uploaded with `prepare_file_upload`)
/// into an archive. The archive must be **Disabled** (`disable_archive`) and have the same schema;
/// enable it again afterwards.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ImportArchiveData {
    /// The target archive's runtime id.
    archive_rt_id: String,
    /// The upload holding the ZIP (from prepare_file_upload).
    transfer_id: String,
    /// InsertOnly (default) or Upsert.
    #[serde(default)]
    mode: ArchiveImportMode,
    /// How long to wait for the import, in minutes (default 30, at most 240).
    #[schemars(range(min = 1, max = 240))]
    wait_timeout_minutes: Option<u32>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for ImportArchiveData {
    const NAME: &'static str = "import_archive_data";
    const TITLE: &'static str = "Import an archive's data";
    const RISK: Risk = Risk::Medium;
    const TIMEOUT: std::time::Duration = crate::waiting::JOB_TOOL_TIMEOUT;
    const LONG_RUNNING: bool = true;
    type Ctx = AdminCtx;
    type Output = Envelope<ArchiveImportDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let archive = rt_id_argument("archiveRtId", &self.archive_rt_id)?;
        let call = ctx.bot(scope, self.tenant_id.as_deref())?;
        let tus_file_id = call
            .upload(
                ctx,
                scope,
                &self.transfer_id,
                call.tenant,
                &[("archiveRtId", archive)],
            )
            .await?;
        let mode = match self.mode {
            ArchiveImportMode::InsertOnly => "InsertOnly",
            ArchiveImportMode::Upsert => "Upsert",
        };
        let job = call
            .run(
                scope,
                JobRequest {
                    kind: "import-archive-data-from-upload",
                    query: vec![
                        ("tusFileId", tus_file_id),
                        ("archiveRtId", archive.to_owned()),
                        ("mode", mode.to_owned()),
                    ],
                    body: None,
                },
                self.wait_timeout_minutes,
                ARCHIVE_WAIT_MINUTES,
            )
            .await?;
        crate::transfer_io::drop_upload(ctx, scope, &self.transfer_id).await;
        Ok(Envelope::success(
            Some(call.tenant),
            ArchiveImportDone {
                job_id: job.id,
                archive_rt_id: archive.to_owned(),
                report: job.output,
            },
        )
        .with_message(format!("Archive data imported into {archive} ({mode}).")))
    }
}
