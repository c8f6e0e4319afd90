//! Stream data over the asset repository's GraphQL `streamData.transientStreamDataQuery`:
//! downsampling, aggregation and grouped aggregation, answered as rows of column name → value.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::asset::TenantSession;
use crate::error::ClientError;

/// One aggregated column: `function` (count, sum, avg, min, max, first, last) of `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregationColumn {
    pub function: String,
    pub path: String,
    pub alias: Option<String>,
}

/// A window and the series to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// RFC 3339.
    pub from: String,
    pub to: String,
    /// Only these series (entity rtIds); empty: all.
    pub rt_ids: Vec<String>,
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
            transient_stream_data_query: Map<String, Value>,
        }
        let query = format!(
            "query Stream($archive: String!, $columns: [StreamDataQueryColumnInput], $from: DateTime!, $to: DateTime!, $rtIds: [String], $limit: Int, $groupBy: [String]) {{ streamData {{ transientStreamDataQuery {{ {field}({arguments}) {{ {TABLE} }} }} }} }}"
        );
        let data: Data = self.run(&query, variables).await?;
        let table = data
            .stream_data
            .transient_stream_data_query
            .get(field)
            .cloned()
            .unwrap_or(Value::Null);
        let table: Table = serde_json::from_value(table).map_err(|error| {
            ClientError::Unavailable(format!(
                "the stream-data answer has an unexpected shape: {error}"
            ))
        })?;
        Ok(rows(table))
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
            json!({"archive": archive, "columns": columns_input(columns), "from": window.from, "to": window.to,
                   "rtIds": window.rt_ids, "limit": limit}),
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
            json!({"archive": archive, "columns": columns_input(columns), "from": window.from, "to": window.to, "rtIds": window.rt_ids}),
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
            json!({"archive": archive, "groupBy": group_by, "columns": columns_input(columns), "from": window.from,
                   "to": window.to, "rtIds": window.rt_ids}),
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
