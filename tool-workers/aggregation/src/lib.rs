//! The aggregation family (`aggregation`): stream-data queries over archives (simple rows,
//! downsampling, aggregation, grouping, storage stats, rollup metadata), aggregations over
//! runtime entities, and persisted-query replay, through the asset repository's GraphQL.

mod persisted;
mod resolve;
mod runtime;
mod stream;

use octomesh_worker_runtime::Registry;

/// The family's name.
pub const FAMILY: &str = "aggregation";

/// What the family's tools share: the asset repository client.
pub type AggregationCtx = octomesh_octo_client::AssetContext;

/// The family, reaching the asset repository at `asset_url`.
pub fn registry(asset_url: Option<&str>) -> Result<Registry<AggregationCtx>, String> {
    Ok(Registry::new(FAMILY, AggregationCtx::new(asset_url)?)
        .tool::<stream::QueryStreamDataDownsampling>()
        .tool::<stream::QueryStreamDataAggregation>()
        .tool::<stream::QueryStreamDataGrouping>()
        .tool::<stream::GetArchiveStorageStats>()
        .tool::<stream::QueryStreamDataSimple>()
        .tool::<stream::GetRollupQueryMetadata>()
        .tool::<runtime::QueryEntitiesAggregation>()
        .tool::<runtime::QueryEntitiesGrouping>()
        .tool::<persisted::ExecuteRuntimeQuery>()
        .tool::<persisted::ExecuteStreamDataQuery>()
        .tool::<resolve::ResolveSeriesQuery>())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_family_declares_its_tools_cleanly() {
        let registry = super::registry(None).unwrap();
        assert_eq!(registry.lint(), Vec::<String>::new());
        assert_eq!(registry.tool_specs().len(), 11);
    }
}
