//! The platform-administration family (`platform-admin`), mirroring octo-cli's commands over the
//! OctoMesh REST contracts. So far: stream-data administration — the archive lifecycle, the
//! tenant switch, rollups and their recompute jobs (issue 5) — `reconfigure_log_level` on any of
//! the platform's services, and the tenant lifecycle.

mod archives;
mod diagnostics;
mod model_io;
mod reporting;
mod rollups;
mod tenants;

use octomesh_octo_client::{AssetContext, Backends};
use octomesh_worker_runtime::Registry;

/// The family's name.
pub const FAMILY: &str = "platform-admin";

/// What the family's tools share: the asset repository client, where every other service is, and
/// the file-transfer store (uploads to import).
pub struct AdminCtx {
    pub(crate) asset: AssetContext,
    pub(crate) backends: Backends,
    pub(crate) transfers: Option<octomesh_file_transfer::TransferStore>,
}

/// The family, reaching the platform's services at `backends` and the file-transfer store in
/// `transfer_dir` (the gateway's).
pub fn registry(
    backends: &Backends,
    transfer_dir: Option<&std::path::Path>,
) -> Result<Registry<AdminCtx>, String> {
    let transfers = transfer_dir
        .map(|dir| {
            // This family only takes uploads (by id, tenant and caller): it seals no URL, so it
            // needs no session key.
            let mut key = [0u8; 32];
            getrandom::getrandom(&mut key).map_err(|error| error.to_string())?;
            octomesh_file_transfer::TransferStore::local(
                dir,
                octomesh_file_transfer::TransferKey::new(key),
                u64::MAX,
                std::time::Duration::from_secs(30 * 60),
            )
            .map_err(|error| error.to_string())
        })
        .transpose()?;
    let ctx = AdminCtx {
        asset: AssetContext::new(backends.asset_repository.as_deref())?,
        backends: backends.clone(),
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
        .tool::<reporting::EnableReporting>()
        .tool::<reporting::DisableReporting>())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_family_declares_its_tools_cleanly() {
        let registry = super::registry(&Default::default(), None).unwrap();
        assert_eq!(registry.lint(), Vec::<String>::new());
        assert_eq!(registry.tool_specs().len(), 28);
    }
}
