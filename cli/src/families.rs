//! The tool families this binary can serve, by name.

use std::sync::Arc;

use octomesh_proto::ToolHost;

/// Every family name, for help and error messages.
pub const FAMILIES: [&str; 1] = [octomesh_tools_fixtures::FAMILY];

/// The registry of family `name`, as a host.
pub fn host(name: &str) -> anyhow::Result<Arc<dyn ToolHost>> {
    match name {
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
