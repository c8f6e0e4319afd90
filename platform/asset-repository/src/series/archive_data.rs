//! The archive-data file (upstream's AB#4230 format, adapted to what this store holds): a zip of
//! `metadata.json` and `data.ndjson`, one row per line.
//!
//! `metadata.json`: `{formatVersion: 1, exportedAtUtc, sourceTenantId, archive: {rtId,
//! rtWellKnownName, kind: raw|timeRange|rollup, targetCkTypeId, columns: [{path, indexed,
//! required}], rollupAggregations?: [{sourcePath, function, target}], period?}, window: {fromUtc,
//! toUtc} | null, rowCount}`.
//!
//! Rows, by kind (timestamps RFC 3339 UTC with milliseconds; Unix milliseconds are read too;
//! column values a number or `null`, keyed by the column's path):
//! - raw: `{rtid, timestamp, ckTypeId, <columns>}`;
//! - timeRange: `{window_start, window_end, rtid, ckTypeId, <columns>}`;
//! - rollup: `{window_start, rtid, ckTypeId, <storage columns>}` (export only: rollup rows are
//!   the orchestrator's to write).
//!
//! Upstream rows also carry `rtWellKnownName`, `rtCreationDateTime` and `rtChangedDateTime` of
//! the entity a row belongs to, and windowed rows `was_updated`; this store keeps points by
//! series (the entity's rtId), time and values only, so rows hold just those (an import
//! ignores the upstream keys).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Point;
use super::archives::Archive;
use crate::store::{format_rfc3339_ms, parse_rfc3339_ms};

/// The version of the format this writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The zip's entries.
pub const METADATA_ENTRY: &str = "metadata.json";
pub const DATA_ENTRY: &str = "data.ndjson";

/// What an archive is, as the file says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    Raw,
    TimeRange,
    Rollup,
}

impl Kind {
    pub fn of(archive: &Archive) -> Kind {
        if archive.rollup.is_some() {
            Kind::Rollup
        } else if archive.time_range {
            Kind::TimeRange
        } else {
            Kind::Raw
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub format_version: u32,
    pub exported_at_utc: String,
    pub source_tenant_id: String,
    pub archive: ArchiveMetadata,
    pub window: Option<Window>,
    pub row_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveMetadata {
    pub rt_id: String,
    pub rt_well_known_name: Option<String>,
    pub kind: Kind,
    pub target_ck_type_id: String,
    pub columns: Vec<Column>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollup_aggregations: Option<Vec<Aggregation>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Column {
    pub path: String,
    pub indexed: bool,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Aggregation {
    pub source_path: String,
    pub function: String,
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    pub from_utc: String,
    pub to_utc: String,
}

/// The archive's description for the file; `attributes` are the archive entity's.
pub fn archive_metadata(
    archive: &Archive,
    well_known_name: Option<String>,
    attributes: &Map<String, Value>,
) -> ArchiveMetadata {
    let flag =
        |column: &Value, name: &str| column.get(name).and_then(Value::as_bool).unwrap_or(false);
    let declared: Vec<&Value> = attributes
        .get("Columns")
        .and_then(Value::as_array)
        .map(|columns| columns.iter().collect())
        .unwrap_or_default();
    let columns = archive
        .columns
        .iter()
        .map(|path| {
            let column = declared
                .iter()
                .find(|column| column.get("Path").and_then(Value::as_str) == Some(path));
            Column {
                path: path.clone(),
                indexed: column.is_some_and(|column| flag(column, "Indexed")),
                required: column.is_some_and(|column| flag(column, "Required")),
            }
        })
        .collect();
    let rollup = archive.rollup();
    ArchiveMetadata {
        rt_id: archive.rt_id.clone(),
        rt_well_known_name: well_known_name,
        kind: Kind::of(archive),
        target_ck_type_id: archive.target_ck_type.clone(),
        columns,
        rollup_aggregations: rollup.map(|rollup| {
            rollup
                .aggregations
                .iter()
                .map(|aggregation| Aggregation {
                    source_path: aggregation.source_path.clone(),
                    function: aggregation.function.name().to_owned(),
                    target: aggregation.target.clone(),
                })
                .collect()
        }),
        period: match rollup {
            Some(rollup) => Some(format!("{}ms", rollup.bucket_ms)),
            None => attributes
                .get("Period")
                .and_then(Value::as_str)
                .map(str::to_owned),
        },
    }
}

/// Why an archive cannot take a file's rows: the first difference, named.
pub fn schema_mismatch(file: &ArchiveMetadata, target: &ArchiveMetadata) -> Option<String> {
    if file.kind != target.kind {
        return Some(format!(
            "the file holds a {:?} archive, the target is a {:?} archive",
            file.kind, target.kind
        ));
    }
    if file.target_ck_type_id != target.target_ck_type_id {
        return Some(format!(
            "the file's archive is of `{}`, the target's of `{}`",
            file.target_ck_type_id, target.target_ck_type_id
        ));
    }
    let paths = |meta: &ArchiveMetadata| {
        meta.columns
            .iter()
            .map(|column| column.path.clone())
            .collect::<Vec<_>>()
    };
    if paths(file) != paths(target) {
        return Some(format!(
            "the file's columns are [{}], the target's [{}]",
            paths(file).join(", "),
            paths(target).join(", ")
        ));
    }
    None
}

/// One stored point as a row.
pub fn row(archive: &Archive, series: &str, ts: i64, values: &[Option<f64>]) -> Map<String, Value> {
    let mut row = Map::new();
    match Kind::of(archive) {
        Kind::Raw => {
            row.insert("rtid".into(), series.into());
            row.insert("timestamp".into(), format_rfc3339_ms(ts).into());
        }
        Kind::TimeRange => {
            row.insert("window_start".into(), format_rfc3339_ms(ts).into());
            let end = values.get(archive.columns.len()).copied().flatten();
            row.insert(
                "window_end".into(),
                end.map_or(Value::Null, |end| format_rfc3339_ms(end as i64).into()),
            );
            row.insert("rtid".into(), series.into());
        }
        Kind::Rollup => {
            row.insert("window_start".into(), format_rfc3339_ms(ts).into());
            row.insert("rtid".into(), series.into());
        }
    }
    row.insert("ckTypeId".into(), archive.target_ck_type.clone().into());
    for (column, path) in archive.columns.iter().enumerate() {
        let value = values.get(column).copied().flatten();
        row.insert(path.clone(), value.map_or(Value::Null, Value::from));
    }
    row
}

/// Keys a row may hold besides the columns (upstream's among them).
const ROW_KEYS: [&str; 9] = [
    "rtid",
    "timestamp",
    "window_start",
    "window_end",
    "ckTypeId",
    "rtWellKnownName",
    "rtCreationDateTime",
    "rtChangedDateTime",
    "was_updated",
];

fn stamp(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::String(text) => parse_rfc3339_ms(text),
        Value::Number(number) => number.as_i64(),
        _ => None,
    }
}

/// A line of `data.ndjson` as the point it stores into `archive` (raw or time-range).
pub fn parse_row(archive: &Archive, line: &str) -> Result<Point, String> {
    let row: Map<String, Value> =
        serde_json::from_str(line).map_err(|error| format!("not a JSON object: {error}"))?;
    let series = match row.get("rtid") {
        Some(Value::String(rt_id)) if !rt_id.is_empty() && rt_id.len() <= 256 => rt_id.clone(),
        _ => return Err("`rtid` must be the entity's rtId (a non-empty string)".into()),
    };
    if let Some(ck_type) = row.get("ckTypeId")
        && ck_type.as_str() != Some(archive.target_ck_type.as_str())
    {
        return Err(format!(
            "`ckTypeId` is {ck_type}, the archive's target type is `{}`",
            archive.target_ck_type
        ));
    }
    let mut values = vec![None; archive.storage_columns()];
    let ts = if archive.time_range {
        let (Some(start), Some(end)) =
            (stamp(row.get("window_start")), stamp(row.get("window_end")))
        else {
            return Err("`window_start` and `window_end` must be RFC 3339 date-times (or Unix milliseconds)".into());
        };
        if end <= start {
            return Err("`window_end` must be after `window_start`".into());
        }
        values[archive.columns.len()] = Some(end as f64);
        start
    } else {
        stamp(row.get("timestamp"))
            .ok_or("`timestamp` must be an RFC 3339 date-time (or Unix milliseconds)")?
    };
    for (key, value) in &row {
        if ROW_KEYS.contains(&key.as_str()) {
            continue;
        }
        let Some(column) = archive.columns.iter().position(|path| path == key) else {
            return Err(format!(
                "`{key}` is not a column of the archive; its columns are {}",
                archive.columns.join(", ")
            ));
        };
        values[column] = match value {
            Value::Null => None,
            Value::Number(number) => number.as_f64(),
            other => {
                return Err(format!(
                    "column `{key}` holds {other}; stream data holds numbers or null"
                ));
            }
        };
    }
    Ok(Point { series, ts, values })
}

/// The series and timestamps of `points` that `existing` already holds are dropped; returns
/// how many were.
pub fn drop_existing(points: &mut Vec<Point>, existing: &HashSet<(String, i64)>) -> usize {
    let before = points.len();
    points.retain(|point| !existing.contains(&(point.series.clone(), point.ts)));
    before - points.len()
}
