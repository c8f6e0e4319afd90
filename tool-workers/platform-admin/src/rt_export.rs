//! `export_runtime_model_by_query` and `export_runtime_model_by_deep_graph` (Low): the bot
//! service's export jobs, whose `RtEntities.zip` (runtime-model YAML that `import_runtime_model`
//! takes back) is handed out as the caller's download.

use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::AdminCtx;
use crate::jobs::{FileJobDone, JobRequest, run_to_download};

/// Default wait of the export jobs, in minutes.
const EXPORT_WAIT_MINUTES: u32 = 10;
/// The download's default name.
const EXPORT_FILE: &str = "export.zip";
/// Most origins one deep-graph export takes.
const MAX_ORIGINS: usize = 1_000;

/// A runtime id argument: 24 hex digits.
pub(crate) fn rt_id_argument<'a>(field: &str, value: &'a str) -> Result<&'a str, ToolError> {
    let value = value.trim();
    if value.len() == 24 && value.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Ok(value);
    }
    Err(ToolError::InvalidArguments(if value.is_empty() {
        format!("`{field}` is required: a runtime id (24 hex digits).")
    } else {
        format!("`{field}` '{value}' is not a runtime id: it has 24 hex digits.")
    }))
}

/// Export the runtime entities a persisted query selects as `RtEntities.zip` (runtime-model YAML,
/// re-importable with `import_runtime_model`), published as a download: the result's
/// `downloadUrl` works with plain HTTP for this caller until `expiresAtUtc`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ExportRuntimeModelByQuery {
    /// The runtime id of the persisted query (a System/Query entity).
    query_id: String,
    /// The download's file name (default `export.zip`).
    file_name: Option<String>,
    /// How long to wait for the export, in minutes (default 10, at most 240).
    #[schemars(range(min = 1, max = 240))]
    wait_timeout_minutes: Option<u32>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for ExportRuntimeModelByQuery {
    const NAME: &'static str = "export_runtime_model_by_query";
    const TITLE: &'static str = "Export runtime entities by query";
    const RISK: Risk = Risk::Low;
    const TIMEOUT: std::time::Duration = crate::waiting::JOB_TOOL_TIMEOUT;
    const LONG_RUNNING: bool = true;
    type Ctx = AdminCtx;
    type Output = Envelope<FileJobDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let query_id = rt_id_argument("queryId", &self.query_id)?;
        run_to_download(
            ctx,
            scope,
            self.tenant_id.as_deref(),
            JobRequest {
                kind: "export-runtime-model-by-query",
                query: Vec::new(),
                body: Some(json!({"queryId": query_id})),
            },
            self.file_name.as_deref().or(Some(EXPORT_FILE)),
            EXPORT_FILE,
            self.wait_timeout_minutes,
            EXPORT_WAIT_MINUTES,
        )
        .await
    }
}

/// Export the deep graph from the given entities of one CK type — the origins and every entity
/// their associations reach, with the associations — as `RtEntities.zip` (runtime-model YAML,
/// re-importable with `import_runtime_model`), published as a download for this caller.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ExportRuntimeModelByDeepGraph {
    /// The runtime ids of the origin entities (1 to 1,000).
    origin_rt_ids: Vec<String>,
    /// The CK type of the origins, e.g. `Industry.Basic/Machine`.
    origin_ck_type_id: String,
    /// The download's file name (default `export.zip`).
    file_name: Option<String>,
    /// How long to wait for the export, in minutes (default 10, at most 240).
    #[schemars(range(min = 1, max = 240))]
    wait_timeout_minutes: Option<u32>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for ExportRuntimeModelByDeepGraph {
    const NAME: &'static str = "export_runtime_model_by_deep_graph";
    const TITLE: &'static str = "Export a deep graph of runtime entities";
    const RISK: Risk = Risk::Low;
    const TIMEOUT: std::time::Duration = crate::waiting::JOB_TOOL_TIMEOUT;
    const LONG_RUNNING: bool = true;
    type Ctx = AdminCtx;
    type Output = Envelope<FileJobDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        if self.origin_rt_ids.is_empty() || self.origin_rt_ids.len() > MAX_ORIGINS {
            return Err(ToolError::InvalidArguments(format!(
                "`originRtIds` takes 1 to {MAX_ORIGINS} runtime ids, not {}.",
                self.origin_rt_ids.len()
            )));
        }
        let origins = self
            .origin_rt_ids
            .iter()
            .enumerate()
            .map(|(index, id)| rt_id_argument(&format!("originRtIds[{index}]"), id))
            .collect::<Result<Vec<_>, _>>()?;
        let ck_type = self.origin_ck_type_id.trim();
        if ck_type.is_empty() || !ck_type.contains('/') || ck_type.len() > 256 {
            return Err(ToolError::InvalidArguments(format!(
                "`originCkTypeId` '{ck_type}' is not a CK type id: write Model/Type, e.g. Industry.Basic/Machine (get_available_types lists them)."
            )));
        }
        run_to_download(
            ctx,
            scope,
            self.tenant_id.as_deref(),
            JobRequest {
                kind: "export-runtime-model-by-deep-graph",
                query: Vec::new(),
                body: Some(json!({"originRtIds": origins, "originCkTypeId": ck_type})),
            },
            self.file_name.as_deref().or(Some(EXPORT_FILE)),
            EXPORT_FILE,
            self.wait_timeout_minutes,
            EXPORT_WAIT_MINUTES,
        )
        .await
    }
}
