//! `run_fixup_scripts` (High, confirm): the bot service's `run-fixup-scripts` job over the
//! tenant's `System.Bot/Fixup` entities (enabled, not yet applied, by `Order`), run in the asset
//! repository's sandboxed script engine. Unlike the original, which returns at once, the tool
//! waits for the run and answers what each script did.

use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AdminCtx;
use crate::jobs::JobRequest;

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FixupsDone {
    pub job_id: String,
    /// Each script run (rtId, name, order, isSuccess, output, error) and how many were skipped.
    pub report: Option<serde_json::Value>,
}

/// Run the tenant's pending fixup scripts (`System.Bot/Fixup` entities with `Enabled: true` and
/// `IsApplied: false`, by `Order`); each is marked applied with its output or error. Create them
/// with `create_entity` (set `IsApplied: false`: it defaults to true). Requires `confirm: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RunFixupScripts {
    /// Must be true.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// How long to wait for the run, in minutes (default 10, at most 240).
    #[schemars(range(min = 1, max = 240))]
    wait_timeout_minutes: Option<u32>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for RunFixupScripts {
    const NAME: &'static str = "run_fixup_scripts";
    const TITLE: &'static str = "Run fixup scripts";
    const RISK: Risk = Risk::High;
    const TIMEOUT: std::time::Duration = crate::waiting::JOB_TOOL_TIMEOUT;
    const LONG_RUNNING: bool = true;
    type Ctx = AdminCtx;
    type Output = Envelope<FixupsDone>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let call = ctx.bot(scope, self.tenant_id.as_deref())?;
        let job = call
            .run(
                scope,
                JobRequest {
                    kind: "run-fixup-scripts",
                    query: Vec::new(),
                    body: None,
                },
                self.wait_timeout_minutes,
                10,
            )
            .await?;
        let ran = job
            .output
            .as_ref()
            .and_then(|output| output.get("ran"))
            .and_then(serde_json::Value::as_array)
            .map_or(0, Vec::len);
        Ok(Envelope::success(
            Some(call.tenant),
            FixupsDone {
                job_id: job.id,
                report: job.output,
            },
        )
        .with_message(format!("{ran} fixup script(s) ran.")))
    }
}
