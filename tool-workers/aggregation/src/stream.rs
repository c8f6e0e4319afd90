//! `query_stream_data_downsampling`, `query_stream_data_aggregation`, `query_stream_data_grouping`.

use octomesh_octo_client::stream_data::{AggregationColumn, Window};
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::AggregationCtx;

/// `count`, `sum`, `avg`, `min`, `max`, `first` or `last`.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AggregationFunction {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    First,
    Last,
}

impl AggregationFunction {
    fn name(self) -> &'static str {
        match self {
            AggregationFunction::Count => "count",
            AggregationFunction::Sum => "sum",
            AggregationFunction::Avg => "avg",
            AggregationFunction::Min => "min",
            AggregationFunction::Max => "max",
            AggregationFunction::First => "first",
            AggregationFunction::Last => "last",
        }
    }
}

/// An aggregated column: `{"function": "avg", "attributePath": "LastValue", "alias": "mean"}`
/// (default alias `<function>_<path>`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AggregationColumnDto {
    function: AggregationFunction,
    attribute_path: String,
    alias: Option<String>,
}

/// Most columns one query aggregates.
const MAX_COLUMNS: usize = 32;

fn columns(dtos: Vec<AggregationColumnDto>) -> Result<Vec<AggregationColumn>, ToolError> {
    if dtos.is_empty() || dtos.len() > MAX_COLUMNS {
        return Err(ToolError::InvalidArguments(format!(
            "`aggregations` needs 1 to {MAX_COLUMNS} columns"
        )));
    }
    Ok(dtos
        .into_iter()
        .map(|dto| AggregationColumn {
            function: dto.function.name().to_owned(),
            path: dto.attribute_path,
            alias: dto.alias,
        })
        .collect())
}

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
    fn new(archive_rt_id: String, rows: Vec<Map<String, Value>>) -> Rows {
        Rows {
            archive_rt_id,
            row_count: rows.len(),
            rows,
        }
    }
}

fn window(from: String, to: String, source_rt_ids: Option<Vec<String>>) -> Window {
    Window {
        from,
        to,
        rt_ids: source_rt_ids.unwrap_or_default(),
    }
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
                &window(self.from, self.to, self.source_rt_ids),
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
                &window(self.from, self.to, self.source_rt_ids),
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
                &window(self.from, self.to, self.source_rt_ids),
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
