//! [`AssetContext`]: what tool families that use the asset repository share, and how a call
//! finds its tenant (the `tenantId` argument, else the `/{tenantId}/mcp` route) and its token.

use octomesh_worker_runtime::{CallScope, ToolError};

use crate::{AssetClient, TenantSession};

/// The asset repository client, when one is configured.
pub struct AssetContext {
    asset: Option<AssetClient>,
}

impl AssetContext {
    pub fn new(asset_url: Option<&str>) -> Result<AssetContext, String> {
        let asset = asset_url
            .map(AssetClient::new)
            .transpose()
            .map_err(|error| error.to_string())?;
        Ok(AssetContext { asset })
    }

    /// The asset repository client, the tenant of the call and the caller's token, for REST calls.
    pub fn rest<'a>(
        &'a self,
        scope: &'a CallScope,
        tenant_argument: Option<&'a str>,
    ) -> Result<(&'a AssetClient, &'a str, Option<&'a str>), ToolError> {
        let (tenant, _) = self.session(scope, tenant_argument)?;
        let asset = self.asset.as_ref().expect("session() checked it");
        Ok((asset, tenant, scope.context().access_token.as_deref()))
    }

    /// The tenant of the call (the `tenantId` argument, else the `/{tenantId}/mcp` route) and a
    /// session against it with the caller's token.
    pub fn session<'a>(
        &'a self,
        scope: &'a CallScope,
        tenant_argument: Option<&'a str>,
    ) -> Result<(&'a str, TenantSession<'a>), ToolError> {
        let asset = self.asset.as_ref().ok_or_else(|| {
            ToolError::Backend(
                "this worker has no asset repository configured: start it with --asset-url (or OCTOMESH_ASSET_URL)".into(),
            )
        })?;
        let context = scope.context();
        let tenant = tenant_argument
            .filter(|tenant| !tenant.is_empty())
            .or(context.tenant.as_deref())
            .ok_or_else(|| {
                ToolError::InvalidArguments(
                    "No tenant: pass `tenantId`, or connect to the tenant's endpoint /{tenantId}/mcp.".into(),
                )
            })?;
        let session = asset.tenant(tenant, context.access_token.as_deref())?;
        Ok((tenant, session))
    }
}
