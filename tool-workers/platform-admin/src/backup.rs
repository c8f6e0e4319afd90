//! `dump_tenant` (Medium) and `restore_tenant` (High, confirm): a tenant's consistent snapshot —
//! its entities and CK libraries, with `includeArchiveData` its stream data — as one `.octobak`
//! archive with a manifest, made by the bot service's `dump-repository` job and handed out as a
//! download; and the way back, from an upload, through the bot's TUS endpoint and its
//! `restore-from-upload` job. A truncated, corrupt, foreign or wrong-version archive is refused
//! with the reason, and nothing is created.

use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AdminCtx;
use crate::jobs::JobRequest;
use crate::transfer_io::PublishedFile;

/// Default wait of the backup jobs, in minutes.
const BACKUP_WAIT_MINUTES: u32 = 30;

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DumpDone {
    pub job_id: String,
    pub target_tenant_id: String,
    pub includes_archive_data: bool,
    #[serde(flatten)]
    pub file: PublishedFile,
}

/// A tenant id argument: required, trimmed, of OctoMesh's form.
fn tenant_argument<'a>(field: &str, value: &'a str) -> Result<&'a str, ToolError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ToolError::InvalidArguments(format!(
            "`{field}` is required: the id of the tenant (get_tenants lists them)."
        )));
    }
    if value.len() > 128
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ToolError::InvalidArguments(format!(
            "`{field}` '{value}' is not a tenant id: letters, digits, '-', '_' and '.', at most 128."
        )));
    }
    Ok(value)
}

/// Create a consistent dump of a tenant (its entities and construction kit, with
/// `includeArchiveData` also its stream data) as one `.octobak` archive with a manifest, and
/// publish it as a download: the result's `downloadUrl` works with plain HTTP (`curl -o`), for this
/// caller, until `expiresAtUtc`. Restore it with `restore_tenant`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DumpTenant {
    /// The tenant to dump.
    target_tenant_id: String,
    /// The download's file name (default: the bot's, `{tenant}-{timestamp}.octobak`).
    file_name: Option<String>,
    /// Also dump the tenant's stream data (archives, rollups, points).
    #[serde(default)]
    include_archive_data: bool,
    /// How long to wait for the dump, in minutes (default 30, at most 240).
    #[schemars(range(min = 1, max = 240))]
    wait_timeout_minutes: Option<u32>,
    /// The tenant whose rights the call uses (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for DumpTenant {
    const NAME: &'static str = "dump_tenant";
    const TITLE: &'static str = "Dump a tenant";
    const RISK: Risk = Risk::Medium;
    const TIMEOUT: std::time::Duration = crate::waiting::JOB_TOOL_TIMEOUT;
    const LONG_RUNNING: bool = true;
    type Ctx = AdminCtx;
    type Output = Envelope<DumpDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let target = tenant_argument("targetTenantId", &self.target_tenant_id)?;
        // The dump runs on the target's own route, so the caller's token must reach it.
        let call = ctx.bot(scope, Some(target))?;
        let job = call
            .run(
                scope,
                JobRequest {
                    kind: "dump-repository",
                    query: vec![("includeArchiveData", self.include_archive_data.to_string())],
                    body: None,
                },
                self.wait_timeout_minutes,
                BACKUP_WAIT_MINUTES,
            )
            .await?;
        let fallback = format!("{target}.octobak");
        let file = call
            .publish_result(ctx, scope, &job, self.file_name.as_deref(), &fallback)
            .await?;
        let message = format!(
            "Tenant '{target}' dumped ({} bytes{}). GET the file from downloadUrl before {}.",
            file.size_bytes,
            if self.include_archive_data {
                ", with its stream data"
            } else {
                ""
            },
            file.expires_at_utc
        );
        Ok(Envelope::success(
            self.tenant_id
                .as_deref()
                .or(scope.context().tenant.as_deref()),
            DumpDone {
                job_id: job.id,
                target_tenant_id: target.to_owned(),
                includes_archive_data: self.include_archive_data,
                file,
            },
        )
        .with_message(message))
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestoreDone {
    pub job_id: String,
    pub target_tenant_id: String,
    pub database_name: String,
    /// What the restore reported: entities, associations, CK models, archives, warnings.
    pub report: Option<serde_json::Value>,
}

/// Restore a tenant from a dump uploaded with `prepare_file_upload` (a `.octobak` archive that
/// `dump_tenant` made): as a new tenant, or over an existing one (its data is replaced once the
/// restored data is in place). Restoring a tenant other than the endpoint's needs the system
/// tenant (`tenantId: octosystem`). Requires `confirm: true`. A truncated, corrupt, foreign or
/// wrong-version archive is refused with the reason, and nothing is created.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RestoreTenant {
    /// The upload holding the dump (from prepare_file_upload).
    transfer_id: String,
    /// The tenant to restore into (created when it does not exist).
    target_tenant_id: String,
    /// The database the restored tenant gets (e.g. the tenant id).
    database_name: String,
    /// The database name inside the dump, when it must be checked (default: the dump's own).
    old_database_name: Option<String>,
    /// Restore the dump's stream data too (when it has some).
    #[serde(default)]
    restore_archive_data: bool,
    /// Must be true.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// How long to wait for the restore, in minutes (default 30, at most 240).
    #[schemars(range(min = 1, max = 240))]
    wait_timeout_minutes: Option<u32>,
    /// The tenant whose rights the call uses (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for RestoreTenant {
    const NAME: &'static str = "restore_tenant";
    const TITLE: &'static str = "Restore a tenant";
    const RISK: Risk = Risk::High;
    const TIMEOUT: std::time::Duration = crate::waiting::JOB_TOOL_TIMEOUT;
    const LONG_RUNNING: bool = true;
    type Ctx = AdminCtx;
    type Output = Envelope<RestoreDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let target = tenant_argument("targetTenantId", &self.target_tenant_id)?;
        let database = tenant_argument("databaseName", &self.database_name)?;
        let old_database = self
            .old_database_name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| tenant_argument("oldDatabaseName", name))
            .transpose()?;
        let call = ctx.bot(scope, self.tenant_id.as_deref())?;
        let tus_file_id = call
            .upload(
                ctx,
                scope,
                &self.transfer_id,
                target,
                &[("databaseName", database)],
            )
            .await?;
        let mut query = vec![
            ("tusFileId", tus_file_id),
            ("tenantId", target.to_owned()),
            ("databaseName", database.to_owned()),
            ("restoreArchiveData", self.restore_archive_data.to_string()),
            // `confirm` is the caller's consent to replace an existing tenant too.
            ("replace", "true".to_owned()),
        ];
        if let Some(old) = old_database {
            query.push(("oldDatabaseName", old.to_owned()));
        }
        let job = call
            .run(
                scope,
                JobRequest {
                    kind: "restore-from-upload",
                    query,
                    body: None,
                },
                self.wait_timeout_minutes,
                BACKUP_WAIT_MINUTES,
            )
            .await?;
        crate::transfer_io::drop_upload(ctx, scope, &self.transfer_id).await;
        let message = format!("Tenant '{target}' restored into database '{database}'.");
        Ok(Envelope::success(
            Some(call.tenant),
            RestoreDone {
                job_id: job.id,
                target_tenant_id: target.to_owned(),
                database_name: database.to_owned(),
                report: job.output,
            },
        )
        .with_message(message))
    }
}
