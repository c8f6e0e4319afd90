//! The tool families this binary can serve, by name.

use std::sync::Arc;

use octomesh_proto::ToolHost;

use crate::backends::Backends;

/// Every family name, for help and error messages.
pub const FAMILIES: [&str; 4] = [
    octomesh_tools_aggregation::FAMILY,
    octomesh_tools_ck::FAMILY,
    octomesh_tools_platform_admin::FAMILY,
    octomesh_tools_fixtures::FAMILY,
];

/// The registry of family `name`, as a host, reaching the backends in `backends` (and the
/// gateway's file-transfer store through `transfers`).
pub fn host(
    name: &str,
    backends: &Backends,
    transfers: Option<&octomesh_tools_platform_admin::Transfers>,
) -> anyhow::Result<Arc<dyn ToolHost>> {
    match name {
        octomesh_tools_ck::FAMILY => Ok(Arc::new(
            octomesh_tools_ck::registry(backends.asset_repository.as_deref())
                .map_err(anyhow::Error::msg)?,
        )),
        octomesh_tools_aggregation::FAMILY => Ok(Arc::new(
            octomesh_tools_aggregation::registry(backends.asset_repository.as_deref())
                .map_err(anyhow::Error::msg)?,
        )),
        octomesh_tools_platform_admin::FAMILY => Ok(Arc::new(
            octomesh_tools_platform_admin::registry(backends, transfers.cloned())
                .map_err(anyhow::Error::msg)?,
        )),
        octomesh_tools_fixtures::FAMILY => Ok(Arc::new(octomesh_tools_fixtures::registry())),
        other => anyhow::bail!(
            "unknown tool family `{other}`; this build serves: {}",
            FAMILIES.join(", ")
        ),
    }
}

/// The families `up` starts.
pub fn for_up(fixtures: bool) -> Vec<&'static str> {
    FAMILIES
        .into_iter()
        .filter(|family| fixtures || *family != octomesh_tools_fixtures::FAMILY)
        .collect()
}
