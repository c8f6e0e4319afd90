//! Stream data over the asset repository's GraphQL `streamData.transientStreamDataQuery`:
//! downsampling, aggregation and grouped aggregation, answered as rows of column name → value.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::asset::TenantSession;
use crate::error::ClientError;

/// One aggregated column: `function` (count, sum, avg, min, max, first, last) of `path` (none:
/// count rows), answered under `alias`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregationColumn {
    pub function: String,
    pub path: Option<String>,
    pub alias: String,
}

/// A window and the series to read.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// RFC 3339.
    pub from: String,
    pub to: String,
    /// Only these series (entity rtIds); empty: all.
    pub rt_ids: Vec<String>,
    /// Only the rows that pass (conditions on columns, `rtId` or `timestamp`).
    pub filter: Option<crate::types::FilterGroup>,
}

impl Window {
    fn variables(&self, archive: &str) -> Value {
        // An empty bound is no bound (`simple` reads all time).
        let bound = |text: &String| (!text.is_empty()).then(|| text.clone());
        json!({"archive": archive, "from": bound(&self.from), "to": bound(&self.to), "rtIds": self.rt_ids,
               "filter": self.filter.as_ref().map(crate::types::FilterGroup::to_input)})
    }
}

#[derive(Deserialize)]
struct Table {
    items: Vec<TableItem>,
}

#[derive(Deserialize)]
struct TableItem {
    rows: Rows,
}

#[derive(Deserialize)]
struct Rows {
    items: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    cells: Cells,
}

#[derive(Deserialize)]
struct Cells {
    items: Vec<Cell>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cell {
    attribute_path: String,
    value: Value,
}

fn rows(table: Table) -> Vec<Map<String, Value>> {
    table
        .items
        .into_iter()
        .flat_map(|item| item.rows.items)
        .map(|row| {
            row.cells
                .items
                .into_iter()
                .map(|cell| (cell.attribute_path, cell.value))
                .collect()
        })
        .collect()
}

fn columns_input(columns: &[AggregationColumn]) -> Vec<Value> {
    columns
        .iter()
        .map(|column| {
            json!({"attributePath": column.path, "aggregationType": column.function.to_uppercase(), "alias": column.alias})
        })
        .collect()
}

/// `base` with the fields of `extra` added.
fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

const TABLE: &str = "items { rows { items { cells { items { attributePath value } } } } }";

impl TenantSession<'_> {
    async fn stream_table(
        &self,
        field: &str,
        arguments: &str,
        variables: Value,
    ) -> Result<Vec<Map<String, Value>>, ClientError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            stream_data: StreamData,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct StreamData {
            transient_stream_data_query: Transient,
        }
        /// The field is aliased `result`, so the table decodes in one pass.
        #[derive(Deserialize)]
        struct Transient {
            result: Table,
        }
        let query = format!(
            "query Stream($archive: String!, $columns: [StreamDataQueryColumnInput], $paths: [String], $from: DateTime, $to: DateTime, $rtIds: [String], $limit: Int, $groupBy: [String], $filter: FieldFilterGroup, $sort: [Sort]) {{ streamData {{ transientStreamDataQuery {{ result: {field}({arguments}, fieldFilterGroup: $filter) {{ {TABLE} }} }} }} }}"
        );
        let data: Data = self.run(&query, variables).await?;
        Ok(rows(data.stream_data.transient_stream_data_query.result))
    }

    /// `limit` buckets over the window; a row per bucket: `timestamp` and each column's alias.
    pub async fn downsample(
        &self,
        archive: &str,
        columns: &[AggregationColumn],
        window: &Window,
        limit: u32,
    ) -> Result<Vec<Map<String, Value>>, ClientError> {
        self.stream_table(
            "downsampling",
            "archiveRtId: $archive, columnPaths: $columns, from: $from, to: $to, rtIds: $rtIds, limit: $limit",
            with(window.variables(archive), json!({"columns": columns_input(columns), "limit": limit})),
        )
        .await
    }

    /// One row: each column's alias → its aggregate over the window.
    pub async fn aggregate(
        &self,
        archive: &str,
        columns: &[AggregationColumn],
        window: &Window,
    ) -> Result<Vec<Map<String, Value>>, ClientError> {
        self.stream_table(
            "aggregation",
            "archiveRtId: $archive, columnPaths: $columns, from: $from, to: $to, rtIds: $rtIds",
            with(
                window.variables(archive),
                json!({"columns": columns_input(columns)}),
            ),
        )
        .await
    }

    /// Raw rows of the window: `rtId`, `timestamp` and each of `paths` (default all columns),
    /// sorted (default by timestamp), at most `limit`.
    pub async fn simple(
        &self,
        archive: &str,
        paths: Option<&[String]>,
        window: &Window,
        sort: &[crate::types::Sort],
        limit: u32,
    ) -> Result<Vec<Map<String, Value>>, ClientError> {
        let sort: Vec<Value> = sort
            .iter()
            .map(|sort| json!({"attributePath": sort.attribute_path,
                               "sortOrder": if sort.descending { "DESCENDING" } else { "ASCENDING" }}))
            .collect();
        self.stream_table(
            "simple",
            "archiveRtId: $archive, columnPaths: $paths, from: $from, to: $to, rtIds: $rtIds, limit: $limit, sortOrder: $sort",
            with(window.variables(archive), json!({"paths": paths, "sort": sort, "limit": limit})),
        )
        .await
    }

    /// A row per group (`group_by`: `rtId`).
    pub async fn aggregate_grouped(
        &self,
        archive: &str,
        group_by: &[String],
        columns: &[AggregationColumn],
        window: &Window,
    ) -> Result<Vec<Map<String, Value>>, ClientError> {
        self.stream_table(
            "groupingAggregation",
            "archiveRtId: $archive, groupByColumnPaths: $groupBy, columnPaths: $columns, from: $from, to: $to, rtIds: $rtIds",
            with(window.variables(archive), json!({"groupBy": group_by, "columns": columns_input(columns)})),
        )
        .await
    }
}

/// What an archive holds, as `streamData.archivesStorageStats` reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveStorageStats {
    pub rt_id: String,
    pub status: String,
    /// Activated (taking points and answering queries).
    pub healthy: bool,
    pub row_count: u64,
    /// Points not yet written as chunks (counted in `rowCount`).
    pub pending_row_count: u64,
    pub series_count: u64,
    pub chunk_count: u64,
    pub size_bytes: u64,
    pub first_timestamp: Option<String>,
    pub last_timestamp: Option<String>,
}

impl TenantSession<'_> {
    /// Storage figures of archives.
    pub async fn archives_storage_stats(
        &self,
        rt_ids: &[String],
    ) -> Result<Vec<ArchiveStorageStats>, ClientError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            stream_data: StreamData,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct StreamData {
            archives_storage_stats: Vec<ArchiveStorageStats>,
        }
        let data: Data = self
            .run(
                "query Stats($rtIds: [String]!) { streamData { archivesStorageStats(rtIds: $rtIds) { rtId status healthy rowCount pendingRowCount seriesCount chunkCount sizeBytes firstTimestamp lastTimestamp } } }",
                json!({"rtIds": rt_ids}),
            )
            .await?;
        Ok(data.stream_data.archives_storage_stats)
    }
}

impl TenantSession<'_> {
    /// `streamData.rollupQueryMetadata`: bucket size and the logical paths behind each column.
    pub async fn rollup_query_metadata(&self, rt_id: &str) -> Result<Value, ClientError> {
        let data: Value = self
            .run(
                "query Meta($rtId: String!) { streamData { rollupQueryMetadata(rtId: $rtId) } }",
                json!({"rtId": rt_id}),
            )
            .await?;
        Ok(data["streamData"]["rollupQueryMetadata"].clone())
    }

    /// `runtime.transientQuery.aggregation|groupingAggregation` over entities of `ck_type`: a
    /// row per group (one row without `group_by`).
    pub async fn aggregate_entities(
        &self,
        ck_type: &str,
        group_by: &[String],
        columns: &[AggregationColumn],
        filter: Option<&crate::types::FilterGroup>,
    ) -> Result<Vec<Map<String, Value>>, ClientError> {
        let field = if group_by.is_empty() {
            "aggregation"
        } else {
            "groupingAggregation"
        };
        let query = format!(
            "query Aggregate($ckId: String!, $columns: [AggregationColumnInput], $groupBy: [String], $filter: FieldFilterGroup) {{ runtime {{ transientQuery {{ {field}(ckId: $ckId, columnPaths: $columns, groupByColumnPaths: $groupBy, fieldFilterGroup: $filter) {{ {TABLE} }} }} }} }}"
        );
        let mut data: Value = self
            .run(
                &query,
                json!({"ckId": ck_type, "columns": columns_input(columns), "groupBy": group_by,
                       "filter": filter.map(crate::types::FilterGroup::to_input)}),
            )
            .await?;
        let table: Table = serde_json::from_value(data["runtime"]["transientQuery"][field].take())
            .map_err(|error| {
                ClientError::Unavailable(format!(
                    "the aggregation answer has an unexpected shape: {error}"
                ))
            })?;
        Ok(rows(table))
    }
}

/// `streamData.resolveSeriesQuery`'s decision.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeriesResolution {
    /// The archive to downsample: a rollup, or the base archive.
    pub archive_rt_id: String,
    /// Width of one output bucket, ms.
    pub effective_bucket_ms: i64,
    /// The `limit` to downsample with.
    pub points: i64,
    /// The function to downsample with.
    pub reducing_function: String,
    /// The columns of that archive to downsample (a rollup's AVG: `_sum` and `_count`, then
    /// divide the sums).
    pub columns: Vec<String>,
    /// `Ok`, `ResolutionLimited` (fewer points than asked), `UnknownBaseGrain` (no rollup
    /// stores the aggregation: the raw archive, read whole) or `NoSuitableRollup` (none does and
    /// the base, of a declared period, would give `actualPoints`).
    pub signal: String,
    pub actual_points: Option<i64>,
    pub diagnostic: String,
}

/// What to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesRequest {
    pub base_archive_rt_id: String,
    pub from: String,
    pub to: String,
    pub source_path: String,
    pub required_aggregation: String,
    pub target_points: u32,
}

impl TenantSession<'_> {
    /// Picks the archive and resolution to query a series at.
    pub async fn resolve_series_query(
        &self,
        request: &SeriesRequest,
    ) -> Result<SeriesResolution, ClientError> {
        let data: Value = self
            .run(
                "query Resolve($input: ResolveSeriesQueryInput!) { streamData { resolveSeriesQuery(input: $input) } }",
                json!({"input": {
                    "baseArchiveRtId": request.base_archive_rt_id, "from": request.from, "to": request.to,
                    "sourcePath": request.source_path, "requiredAggregation": request.required_aggregation,
                    "targetPoints": request.target_points,
                }}),
            )
            .await?;
        serde_json::from_value(data["streamData"]["resolveSeriesQuery"].clone()).map_err(|error| {
            ClientError::Unavailable(format!(
                "the resolver's answer has an unexpected shape: {error}"
            ))
        })
    }
}
