//! The platform-administration family (`platform-admin`), mirroring octo-cli's commands over the
//! OctoMesh REST contracts. So far: stream-data administration — the archive lifecycle, the
//! tenant switch, rollups and their recompute jobs (issue 5).

mod archives;
mod rollups;

use octomesh_worker_runtime::Registry;

/// The family's name.
pub const FAMILY: &str = "platform-admin";

/// What the family's tools share: the asset repository client.
pub type AdminCtx = octomesh_octo_client::AssetContext;

/// The family, reaching the asset repository at `asset_url`.
pub fn registry(asset_url: Option<&str>) -> Result<Registry<AdminCtx>, String> {
    Ok(Registry::new(FAMILY, AdminCtx::new(asset_url)?)
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
        .tool::<rollups::ListRecomputeJobs>())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_family_declares_its_tools_cleanly() {
        let registry = super::registry(None).unwrap();
        assert_eq!(registry.lint(), Vec::<String>::new());
        assert_eq!(registry.tool_specs().len(), 15);
    }
}
