//! The platform-administration family (`platform-admin`), mirroring octo-cli's commands over the
//! OctoMesh REST contracts. So far: the stream-data archive lifecycle (issue 5).

mod archives;

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
        .tool::<archives::DeleteArchive>())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_family_declares_its_tools_cleanly() {
        let registry = super::registry(None).unwrap();
        assert_eq!(registry.lint(), Vec::<String>::new());
        assert_eq!(registry.tool_specs().len(), 5);
    }
}
