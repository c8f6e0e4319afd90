//! The platform-administration family (`platform-admin`), mirroring octo-cli's commands over the
//! OctoMesh REST contracts. So far: stream-data administration — the archive lifecycle, the
//! tenant switch, rollups and their recompute jobs (issue 5) — `reconfigure_log_level` on any of
//! the platform's services, and the tenant lifecycle.

mod archives;
mod diagnostics;
mod rollups;
mod tenants;

use octomesh_octo_client::{AssetContext, Backends};
use octomesh_worker_runtime::Registry;

/// The family's name.
pub const FAMILY: &str = "platform-admin";

/// What the family's tools share: the asset repository client, and where every other service is.
pub struct AdminCtx {
    pub(crate) asset: AssetContext,
    pub(crate) backends: Backends,
}

/// The family, reaching the platform's services at `backends`.
pub fn registry(backends: &Backends) -> Result<Registry<AdminCtx>, String> {
    let ctx = AdminCtx {
        asset: AssetContext::new(backends.asset_repository.as_deref())?,
        backends: backends.clone(),
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
        .tool::<tenants::UpdateSystemCkModel>())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_family_declares_its_tools_cleanly() {
        let registry = super::registry(&Default::default()).unwrap();
        assert_eq!(registry.lint(), Vec::<String>::new());
        assert_eq!(registry.tool_specs().len(), 24);
    }
}
