//! The platform-administration family (`platform-admin`), mirroring octo-cli's commands over the
//! OctoMesh REST contracts. So far: stream-data administration — the archive lifecycle, the
//! tenant switch, rollups and their recompute jobs (issue 5) — `reconfigure_log_level` on any of
//! the platform's services, and the tenant lifecycle.

mod archive_data;
mod archives;
mod backup;
mod diagnostics;
mod fixups;
mod identity;
mod jobs;
mod model_io;
mod reporting;
mod rollups;
mod rt_export;
mod tenants;
mod transfer_io;
mod waiting;

use octomesh_octo_client::{AssetContext, Backends, IdentityClient};
use octomesh_worker_runtime::{CallScope, Registry, ToolError};

/// The family's name.
pub const FAMILY: &str = "platform-admin";

/// The file-transfer store the family takes uploads from and publishes downloads to (the
/// gateway's: same objects, same key).
#[derive(Clone)]
pub struct Transfers {
    pub store: octomesh_file_transfer::TransferStore,
    /// Whether the store seals with the gateway's key, so the download URLs it makes open; a
    /// worker started without the key only takes uploads.
    pub publishes: bool,
}

/// What the family's tools share: the asset repository client, where every other service is, and
/// the file-transfer store.
pub struct AdminCtx {
    pub(crate) asset: AssetContext,
    pub(crate) backends: Backends,
    /// The bot service (jobs: dump, restore, exports, fixups), when known.
    pub(crate) bot: Option<octomesh_octo_client::BotClient>,
    /// The identity service (users, roles, groups), when known.
    pub(crate) identity: Option<IdentityClient>,
    pub(crate) transfers: Option<Transfers>,
}

/// The family, reaching the platform's services at `backends` and the gateway's file-transfer
/// store through `transfers`.
pub fn registry(
    backends: &Backends,
    transfers: Option<Transfers>,
) -> Result<Registry<AdminCtx>, String> {
    let ctx = AdminCtx {
        asset: AssetContext::new(backends.asset_repository.as_deref())?,
        backends: backends.clone(),
        bot: backends
            .bot
            .as_deref()
            .map(octomesh_octo_client::BotClient::new)
            .transpose()
            .map_err(|error| error.to_string())?,
        identity: backends
            .identity
            .as_deref()
            .map(IdentityClient::new)
            .transpose()
            .map_err(|error| error.to_string())?,
        transfers,
    };
    Ok(Registry::new(FAMILY, ctx)
        .tool::<archives::ActivateArchive>()
        .tool::<archives::DisableArchive>()
        .tool::<archives::EnableArchive>()
        .tool::<archives::RetryArchiveActivation>()
        .tool::<archives::DeleteArchive>()
        .tool::<rollups::EnableStreamData>()
        .tool::<rollups::DisableStreamData>()
        .tool::<rollups::CreateRollupArchive>()
        .tool::<rollups::ListRollupsForArchive>()
        .tool::<rollups::FreezeRollupArchive>()
        .tool::<rollups::UnfreezeRollupArchive>()
        .tool::<rollups::RewindRollupWatermark>()
        .tool::<rollups::BackfillRollupArchive>()
        .tool::<rollups::RecomputeArchive>()
        .tool::<rollups::ListRecomputeJobs>()
        .tool::<diagnostics::ReconfigureLogLevel>()
        .tool::<tenants::GetTenants>()
        .tool::<tenants::CreateTenant>()
        .tool::<tenants::DeleteTenant>()
        .tool::<tenants::CleanTenant>()
        .tool::<tenants::AttachTenant>()
        .tool::<tenants::DetachTenant>()
        .tool::<tenants::ClearTenantCache>()
        .tool::<tenants::UpdateSystemCkModel>()
        .tool::<model_io::ImportCkModel>()
        .tool::<model_io::ImportRuntimeModel>()
        .tool::<rt_export::ExportRuntimeModelByQuery>()
        .tool::<rt_export::ExportRuntimeModelByDeepGraph>()
        .tool::<backup::DumpTenant>()
        .tool::<backup::RestoreTenant>()
        .tool::<fixups::RunFixupScripts>()
        .tool::<archive_data::ExportArchiveData>()
        .tool::<archive_data::ImportArchiveData>()
        .tool::<reporting::EnableReporting>()
        .tool::<reporting::DisableReporting>()
        .tool::<identity::GetUsers>()
        .tool::<identity::CreateUser>()
        .tool::<identity::UpdateUser>()
        .tool::<identity::DeleteUser>()
        .tool::<identity::ResetUserPassword>()
        .tool::<identity::AddUserToRole>()
        .tool::<identity::RemoveUserFromRole>()
        .tool::<identity::GetRoles>()
        .tool::<identity::CreateRole>()
        .tool::<identity::UpdateRole>()
        .tool::<identity::DeleteRole>()
        .tool::<identity::GetGroups>()
        .tool::<identity::GetGroup>()
        .tool::<identity::CreateGroup>()
        .tool::<identity::UpdateGroup>()
        .tool::<identity::DeleteGroup>()
        .tool::<identity::UpdateGroupRoles>()
        .tool::<identity::AddUserToGroup>()
        .tool::<identity::RemoveUserFromGroup>()
        .tool::<identity::AddGroupToGroup>()
        .tool::<identity::RemoveGroupFromGroup>()
        .tool::<identity::GetEmailDomainGroupRules>()
        .tool::<identity::GetEmailDomainGroupRule>()
        .tool::<identity::CreateEmailDomainGroupRule>()
        .tool::<identity::UpdateEmailDomainGroupRule>()
        .tool::<identity::DeleteEmailDomainGroupRule>()
        .tool::<identity::GetExternalTenantUserMappings>()
        .tool::<identity::GetExternalTenantUserMapping>()
        .tool::<identity::CreateExternalTenantUserMapping>()
        .tool::<identity::UpdateExternalTenantUserMapping>()
        .tool::<identity::DeleteExternalTenantUserMapping>()
        .tool::<identity::GetAdminProvisioningMappings>()
        .tool::<identity::CreateAdminProvisioningMapping>()
        .tool::<identity::ProvisionCurrentUserAsAdmin>()
        .tool::<identity::DeleteAdminProvisioningMapping>())
}

/// The tenant a call acts on: the `tenantId` argument, else the endpoint's `/{tenantId}/mcp`.
pub(crate) fn call_tenant<'a>(
    scope: &'a CallScope,
    tenant_argument: Option<&'a str>,
) -> Result<&'a str, ToolError> {
    tenant_argument
        .map(str::trim)
        .filter(|tenant| !tenant.is_empty())
        .or(scope.context().tenant.as_deref())
        .ok_or_else(|| {
            ToolError::InvalidArguments(
                "No tenant: pass `tenantId`, or connect to the tenant's endpoint /{tenantId}/mcp."
                    .into(),
            )
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_family_declares_its_tools_cleanly() {
        let registry = super::registry(&Default::default(), None).unwrap();
        assert_eq!(registry.lint(), Vec::<String>::new());
        assert_eq!(registry.tool_specs().len(), 70);
    }
}
