//! `query_stream_data_downsampling`, `query_stream_data_aggregation`, `query_stream_data_grouping`.

use octomesh_octo_client::dto::{
    AggregationColumnDto, FieldFilterCriteriaDto, SortColumnDto, columns,
};
use octomesh_octo_client::stream_data::Window;
use octomesh_octo_client::types::Sort;
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::AggregationCtx;

/// Rows of the answer.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rows {
    pub archive_rt_id: String,
    pub row_count: usize,
    /// One object per row: column name → value (`null` where a bucket or group has no data).
    pub rows: Vec<Map<String, Value>>,
}

impl Rows {
    pub(crate) fn new(archive_rt_id: String, rows: Vec<Map<String, Value>>) -> Rows {
        Rows {
            archive_rt_id,
            row_count: rows.len(),
            rows,
        }
    }
}

fn window(
    from: String,
    to: String,
    source_rt_ids: Option<Vec<String>>,
    filters: Option<FieldFilterCriteriaDto>,
) -> Result<Window, ToolError> {
    Ok(Window {
        from,
        to,
        rt_ids: source_rt_ids.unwrap_or_default(),
        filter: filters
            .map(FieldFilterCriteriaDto::into_group)
            .transpose()?,
    })
}

/// Aggregate [from, to) of an archive into at most `limit` equally spaced time buckets (empty
/// buckets are null): a row per bucket with `timestamp` (its start) and each aggregation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct QueryStreamDataDownsampling {
    /// The archive (an Activated `System.StreamData` archive entity).
    archive_rt_id: String,
    /// What to compute per bucket.
    aggregations: Vec<AggregationColumnDto>,
    /// Window start, RFC 3339 (inclusive).
    from: String,
    /// Window end, RFC 3339 (exclusive).
    to: String,
    /// Buckets, 1 to 10,000 (default 100).
    limit: Option<u32>,
    /// Only these series (entity rtIds); default all.
    source_rt_ids: Option<Vec<String>>,
    /// Only the points that pass: conditions on a column, on `rtId` or on `timestamp`.
    filters: Option<FieldFilterCriteriaDto>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for QueryStreamDataDownsampling {
    const NAME: &'static str = "query_stream_data_downsampling";
    const TITLE: &'static str = "Downsample stream data";
    const RISK: Risk = Risk::Low;
    type Ctx = AggregationCtx;
    type Output = Envelope<Rows>;

    async fn call(
        self,
        ctx: &AggregationCtx,
        scope: &CallScope,
    ) -> Result<Self::Output, ToolError> {
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let limit = self.limit.unwrap_or(100);
        let rows = session
            .downsample(
                &self.archive_rt_id,
                &columns(self.aggregations)?,
                &window(self.from, self.to, self.source_rt_ids, self.filters)?,
                limit,
            )
            .await?;
        Ok(Envelope::success(
            Some(tenant),
            Rows::new(self.archive_rt_id, rows),
        ))
    }
}

/// Compute scalar aggregations over an archive's points in [from, to).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct QueryStreamDataAggregation {
    /// The archive.
    archive_rt_id: String,
    /// What to compute.
    aggregations: Vec<AggregationColumnDto>,
    /// Window start, RFC 3339 (inclusive).
    from: String,
    /// Window end, RFC 3339 (exclusive).
    to: String,
    /// Only these series (entity rtIds); default all.
    source_rt_ids: Option<Vec<String>>,
    /// Only the points that pass: conditions on a column, on `rtId` or on `timestamp`.
    filters: Option<FieldFilterCriteriaDto>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for QueryStreamDataAggregation {
    const NAME: &'static str = "query_stream_data_aggregation";
    const TITLE: &'static str = "Aggregate stream data";
    const RISK: Risk = Risk::Low;
    type Ctx = AggregationCtx;
    type Output = Envelope<Rows>;

    async fn call(
        self,
        ctx: &AggregationCtx,
        scope: &CallScope,
    ) -> Result<Self::Output, ToolError> {
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let rows = session
            .aggregate(
                &self.archive_rt_id,
                &columns(self.aggregations)?,
                &window(self.from, self.to, self.source_rt_ids, self.filters)?,
            )
            .await?;
        Ok(Envelope::success(
            Some(tenant),
            Rows::new(self.archive_rt_id, rows),
        ))
    }
}

/// Compute aggregations per group over [from, to); stream data groups by `rtId` (the series).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct QueryStreamDataGrouping {
    /// The archive.
    archive_rt_id: String,
    /// `["rtId"]`.
    group_by_attribute_paths: Vec<String>,
    /// What to compute per group.
    aggregations: Vec<AggregationColumnDto>,
    /// Window start, RFC 3339 (inclusive).
    from: String,
    /// Window end, RFC 3339 (exclusive).
    to: String,
    /// Only these series (entity rtIds); default all.
    source_rt_ids: Option<Vec<String>>,
    /// Only the points that pass: conditions on a column, on `rtId` or on `timestamp`.
    filters: Option<FieldFilterCriteriaDto>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for QueryStreamDataGrouping {
    const NAME: &'static str = "query_stream_data_grouping";
    const TITLE: &'static str = "Group stream data";
    const RISK: Risk = Risk::Low;
    type Ctx = AggregationCtx;
    type Output = Envelope<Rows>;

    async fn call(
        self,
        ctx: &AggregationCtx,
        scope: &CallScope,
    ) -> Result<Self::Output, ToolError> {
        if self.group_by_attribute_paths.is_empty() {
            return Err(ToolError::InvalidArguments(
                "`groupByAttributePaths` is empty: group stream data by [\"rtId\"]".into(),
            ));
        }
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let rows = session
            .aggregate_grouped(
                &self.archive_rt_id,
                &self.group_by_attribute_paths,
                &columns(self.aggregations)?,
                &window(self.from, self.to, self.source_rt_ids, self.filters)?,
            )
            .await?;
        Ok(Envelope::success(
            Some(tenant),
            Rows::new(self.archive_rt_id, rows),
        ))
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StorageStats {
    pub count: usize,
    pub archives: Vec<octomesh_octo_client::stream_data::ArchiveStorageStats>,
}

/// Storage figures of archives: points (rows), series, chunks, size on disk, first and last
/// timestamp, and whether each is healthy (Activated).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetArchiveStorageStats {
    /// The archives, 1 to 100.
    archive_rt_ids: Vec<String>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for GetArchiveStorageStats {
    const NAME: &'static str = "get_archive_storage_stats";
    const TITLE: &'static str = "Archive storage stats";
    const RISK: Risk = Risk::Low;
    type Ctx = AggregationCtx;
    type Output = Envelope<StorageStats>;

    async fn call(
        self,
        ctx: &AggregationCtx,
        scope: &CallScope,
    ) -> Result<Self::Output, ToolError> {
        if self.archive_rt_ids.is_empty() || self.archive_rt_ids.len() > 100 {
            return Err(ToolError::InvalidArguments(
                "`archiveRtIds` names 1 to 100 archives".into(),
            ));
        }
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let archives = session.archives_storage_stats(&self.archive_rt_ids).await?;
        Ok(Envelope::success(
            Some(tenant),
            StorageStats {
                count: archives.len(),
                archives,
            },
        ))
    }
}

/// Read raw rows (`rtId`, `timestamp`, columns) of an archive, optionally in [from, to),
/// filtered, sorted (default by timestamp) and limited.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct QueryStreamDataSimple {
    /// The archive.
    archive_rt_id: String,
    /// The columns to return (default: all of the archive's).
    column_paths: Option<Vec<String>>,
    /// Window start, RFC 3339 (inclusive; default: the beginning).
    from: Option<String>,
    /// Window end, RFC 3339 (exclusive; default: the end).
    to: Option<String>,
    /// Rows, 1 to 10,000 (default 1,000).
    limit: Option<u32>,
    /// Sort columns: a column, `timestamp` or `rtId`, `asc` or `desc`.
    sort: Option<Vec<SortColumnDto>>,
    /// Only the rows that pass: conditions on a column, on `rtId` or on `timestamp`.
    filters: Option<FieldFilterCriteriaDto>,
    /// Only these series (entity rtIds); default all.
    source_rt_ids: Option<Vec<String>>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for QueryStreamDataSimple {
    const NAME: &'static str = "query_stream_data_simple";
    const TITLE: &'static str = "Read stream data rows";
    const RISK: Risk = Risk::Low;
    type Ctx = AggregationCtx;
    type Output = Envelope<Rows>;

    async fn call(
        self,
        ctx: &AggregationCtx,
        scope: &CallScope,
    ) -> Result<Self::Output, ToolError> {
        let limit = self.limit.unwrap_or(1000);
        if !(1..=10_000).contains(&limit) {
            return Err(ToolError::InvalidArguments(format!(
                "`limit` must be 1 to 10000, not {limit}"
            )));
        }
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let window = Window {
            from: self.from.unwrap_or_default(),
            to: self.to.unwrap_or_default(),
            rt_ids: self.source_rt_ids.unwrap_or_default(),
            filter: self
                .filters
                .map(FieldFilterCriteriaDto::into_group)
                .transpose()?,
        };
        let sort: Vec<Sort> = self
            .sort
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        let rows = session
            .simple(
                &self.archive_rt_id,
                self.column_paths.as_deref(),
                &window,
                &sort,
                limit,
            )
            .await?;
        Ok(Envelope::success(
            Some(tenant),
            Rows::new(self.archive_rt_id, rows),
        ))
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RollupMetadata {
    /// `rtId`, `sourceArchiveRtId`, `bucketSizeMs`, `bucketAlignment`, `referenceTimeZone`,
    /// `lastAggregatedBucketEnd`, `logicalPaths`, and `columns` (`column`, `function`,
    /// `sourcePath`, `logicalPath`, `rawArchiveRtId`).
    pub metadata: Value,
}

/// How to query a rollup archive: its bucket size and, per stored column, the function and the
/// logical attribute path it aggregates (followed through rollups of rollups; AVG is stored as
/// `_sum` and `_count` columns).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct GetRollupQueryMetadata {
    /// The rollup archive.
    rollup_rt_id: String,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for GetRollupQueryMetadata {
    const NAME: &'static str = "get_rollup_query_metadata";
    const TITLE: &'static str = "Rollup query metadata";
    const RISK: Risk = Risk::Low;
    type Ctx = AggregationCtx;
    type Output = Envelope<RollupMetadata>;

    async fn call(
        self,
        ctx: &AggregationCtx,
        scope: &CallScope,
    ) -> Result<Self::Output, ToolError> {
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let metadata = session.rollup_query_metadata(&self.rollup_rt_id).await?;
        Ok(Envelope::success(Some(tenant), RollupMetadata { metadata }))
    }
}
