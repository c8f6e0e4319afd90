//! The stream-data archive lifecycle: `activate_archive`, `disable_archive`, `enable_archive`,
//! `retry_archive_activation`, `delete_archive` (High risk, confirm).

use octomesh_octo_client::{ArchiveInfo, ArchiveStep};
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AdminCtx;

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArchiveResult {
    pub archive: ArchiveInfo,
}

/// One lifecycle step, shared by the four step tools.
async fn step(
    ctx: &AdminCtx,
    scope: &CallScope,
    tenant: Option<&str>,
    rt_id: &str,
    step: ArchiveStep,
) -> Result<Envelope<ArchiveResult>, ToolError> {
    let (asset, tenant, token) = ctx.asset.rest(scope, tenant)?;
    let archive = asset.archive_step(tenant, rt_id, step, token).await?;
    let message = format!("archive {} is {}", archive.rt_id, archive.status);
    Ok(Envelope::success(Some(tenant), ArchiveResult { archive }).with_message(message))
}

/// Declares a lifecycle tool: the argument struct and its `Tool` impl around [`step`].
macro_rules! step_tool {
    ($type:ident, $name:literal, $title:literal, $step:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub(crate) struct $type {
            /// The archive's rtId.
            archive_rt_id: String,
            /// The tenant (default: the endpoint's tenant).
            tenant_id: Option<String>,
        }

        impl Tool for $type {
            const NAME: &'static str = $name;
            const TITLE: &'static str = $title;
            const RISK: Risk = Risk::Medium;
            type Ctx = AdminCtx;
            type Output = Envelope<ArchiveResult>;

            async fn call(
                self,
                ctx: &AdminCtx,
                scope: &CallScope,
            ) -> Result<Self::Output, ToolError> {
                step(
                    ctx,
                    scope,
                    self.tenant_id.as_deref(),
                    &self.archive_rt_id,
                    $step,
                )
                .await
            }
        }
    };
}

step_tool!(
    ActivateArchive,
    "activate_archive",
    "Activate archive",
    ArchiveStep::Activate,
    "Activate a Created archive: its definition (target CK type, numeric columns) is checked and it starts taking points and answering queries; an unusable definition leaves it Failed with the reason."
);
step_tool!(
    DisableArchive,
    "disable_archive",
    "Disable archive",
    ArchiveStep::Disable,
    "Disable an Activated archive: writes and queries are refused, the data is kept."
);
step_tool!(
    EnableArchive,
    "enable_archive",
    "Enable archive",
    ArchiveStep::Enable,
    "Re-enable a Disabled archive (Disabled → Activated)."
);
step_tool!(
    RetryArchiveActivation,
    "retry_archive_activation",
    "Retry archive activation",
    ArchiveStep::Retry,
    "Retry the activation of a Failed archive after fixing its definition."
);

/// Delete an archive: its points are dropped and the archive entity is archived. Requires
/// `confirm: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DeleteArchive {
    /// The archive's rtId.
    archive_rt_id: String,
    /// Must be true: the points cannot be recovered.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Deleted {
    pub archive_rt_id: String,
}

impl Tool for DeleteArchive {
    const NAME: &'static str = "delete_archive";
    const TITLE: &'static str = "Delete archive";
    const RISK: Risk = Risk::High;
    type Ctx = AdminCtx;
    type Output = Envelope<Deleted>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let (asset, tenant, token) = ctx.asset.rest(scope, self.tenant_id.as_deref())?;
        asset
            .delete_archive(tenant, &self.archive_rt_id, token)
            .await?;
        let message = format!("deleted archive {} and its points", self.archive_rt_id);
        Ok(Envelope::success(
            Some(tenant),
            Deleted {
                archive_rt_id: self.archive_rt_id,
            },
        )
        .with_message(message))
    }
}
