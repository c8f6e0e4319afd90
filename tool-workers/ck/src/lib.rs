//! The generic construction-kit family (`ck`): runtime entity CRUD, association navigation and
//! CK schema discovery over any CK type, with the names and parameters of the original server's
//! tools. Every tool reaches the asset repository through `octomesh-octo-client` (GraphQL).
//!
//! The catalog's tool-management tools (`list_available_tools`, `get_tool_details`,
//! `get_tool_statistics`, `validate_tool_parameters`) describe the whole server, which only the
//! gateway sees, so the gateway answers them; `Echo` is here.

mod associations;
mod dto;
mod echo;
mod entities;
mod schema;

use octomesh_worker_runtime::Registry;

/// What the family's tools share: the asset repository client.
pub type CkCtx = octomesh_octo_client::AssetContext;

/// The family's name.
pub const FAMILY: &str = "ck";

/// The family, reaching the asset repository at `asset_url` (none: every tool says how to
/// configure it).
pub fn registry(asset_url: Option<&str>) -> Result<Registry<CkCtx>, String> {
    let ctx = CkCtx::new(asset_url)?;
    Ok(Registry::new(FAMILY, ctx)
        .tool::<entities::QueryEntities>()
        .tool::<entities::QueryEntitiesSimple>()
        .tool::<entities::GetEntityById>()
        .tool::<entities::CreateEntity>()
        .tool::<entities::UpdateEntity>()
        .tool::<entities::DeleteEntity>()
        .tool::<associations::NavigateAssociations>()
        .tool::<associations::GetAssociationTree>()
        .tool::<schema::GetAvailableModels>()
        .tool::<schema::GetAvailableTypes>()
        .tool::<schema::GetTypeSchema>()
        .tool::<schema::SearchTypes>()
        .tool::<schema::GetAvailableArchivePaths>()
        .tool::<echo::Echo>())
}

#[cfg(test)]
mod tests;
