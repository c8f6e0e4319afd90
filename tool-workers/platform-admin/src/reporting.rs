//! `enable_reporting` and `disable_reporting` (High, confirm): the reporting service's switch
//! for the call's tenant, `POST {reporting}/{tenantId}/v1/reporting/enable|disable`.

use octomesh_octo_client::ServiceClient;
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AdminCtx;

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReportingState {
    pub enabled: bool,
}

/// Switches reporting for the call's tenant.
async fn switch(
    ctx: &AdminCtx,
    scope: &CallScope,
    tenant: Option<&str>,
    on: bool,
) -> Result<Envelope<ReportingState>, ToolError> {
    let context = scope.context();
    let tenant = tenant
        .filter(|tenant| !tenant.is_empty())
        .or(context.tenant.as_deref())
        .ok_or_else(|| {
            ToolError::InvalidArguments(
                "No tenant: pass `tenantId`, or connect to the tenant's endpoint /{tenantId}/mcp."
                    .into(),
            )
        })?;
    let url = ctx.backends.reporting.as_deref().ok_or_else(|| {
        ToolError::Backend(
            "this worker does not know where the reporting service is: start it with --reporting-url or --platform-url".into(),
        )
    })?;
    let action = if on { "enable" } else { "disable" };
    ServiceClient::new("the reporting service", url)?
        .post_empty(
            &format!("{tenant}/v1/reporting/{action}"),
            &[],
            context.access_token.as_deref(),
        )
        .await?;
    let message = format!("Reporting {action}d for tenant '{tenant}'.");
    Ok(Envelope::success(Some(tenant), ReportingState { enabled: on }).with_message(message))
}

/// Enable the reporting service for the tenant.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EnableReporting {
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for EnableReporting {
    const NAME: &'static str = "enable_reporting";
    const TITLE: &'static str = "Enable reporting";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<ReportingState>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        switch(ctx, scope, self.tenant_id.as_deref(), true).await
    }
}

/// Disable the reporting service for the tenant. Requires `confirm: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DisableReporting {
    /// Must be true.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for DisableReporting {
    const NAME: &'static str = "disable_reporting";
    const TITLE: &'static str = "Disable reporting";
    const RISK: Risk = Risk::High;
    type Ctx = AdminCtx;
    type Output = Envelope<ReportingState>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        switch(ctx, scope, self.tenant_id.as_deref(), false).await
    }
}
