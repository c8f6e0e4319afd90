//! `streamData { transientStreamDataQuery { downsampling aggregation groupingAggregation } }` over
//! the chunk store, answering in the asset repository's tabular shape:
//! `{ totalCount items { columns { attributePath attributeValueType } rows { items { cells { items
//! { attributePath value } } } } } }`.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::connection::unknown_field;
use super::exec::{Args, FieldError, Object, Out};
use super::input::{filter_group, store_error};
use crate::series::SeriesStore;
use crate::series::archives::{self, Archive, ArchiveStatus};
use crate::series::filter::RowFilter;
use crate::series::query::{Accumulator, Function};
use crate::series::resolve;
use crate::series::rollup::RollupFunction;
use crate::store::{Tenant, format_rfc3339_ms, parse_rfc3339_ms};

pub(crate) struct StreamDataQuery<'t> {
    pub tenant: &'t Tenant,
    pub series: Option<std::sync::Arc<SeriesStore>>,
}

impl Object for StreamDataQuery<'_> {
    fn type_name(&self) -> &'static str {
        "StreamDataQuery"
    }

    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError> {
        match name {
            "transientStreamDataQuery" => Ok(Out::object(Transient {
                tenant: self.tenant,
                series: self.series.as_deref(),
            })),
            "archivesStorageStats" => {
                let store = self
                    .series
                    .as_deref()
                    .ok_or_else(|| FieldError::invalid("stream data is not available here"))?;
                let ids: Vec<String> = args.require("rtIds")?;
                if ids.is_empty() || ids.len() > 100 {
                    return Err(FieldError::invalid("`rtIds` names 1 to 100 archives"));
                }
                let mut items = Vec::new();
                for id in ids {
                    let archive = archives::load(self.tenant, &id).map_err(store_error)?;
                    let stats = store.stats(&id).map_err(store_error)?;
                    items.push(json!({
                        "rtId": id,
                        "status": archive.status.name(),
                        "healthy": archive.status == ArchiveStatus::Activated,
                        "rowCount": stats.points + stats.pending_points,
                        "pendingRowCount": stats.pending_points,
                        "seriesCount": stats.series,
                        "chunkCount": stats.chunks,
                        "sizeBytes": stats.bytes,
                        "firstTimestamp": stats.first_ts.map(format_rfc3339_ms),
                        "lastTimestamp": stats.last_ts.map(format_rfc3339_ms),
                    }));
                }
                Ok(Out::leaf(Value::Array(items)))
            }
            "rollupsFor" => {
                let rt_id: String = args.require("rtId")?;
                archives::load(self.tenant, &rt_id).map_err(store_error)?;
                let rollups = archives::rollups_of(self.tenant, &rt_id).map_err(store_error)?;
                Ok(Out::leaf(Value::Array(
                    rollups.iter().map(rollup_json).collect(),
                )))
            }
            "resolveSeriesQuery" => {
                let input: ResolveInput = args.require("input")?;
                let function =
                    RollupFunction::parse(&input.required_aggregation).ok_or_else(|| {
                        FieldError::invalid(format!(
                            "`{}` is not an aggregation: Avg, Min, Max, Sum, Count, First or Last",
                            input.required_aggregation
                        ))
                    })?;
                let window = (
                    parse_rfc3339_ms(&input.from).ok_or_else(|| {
                        FieldError::invalid("`from` must be an RFC 3339 date-time")
                    })?,
                    parse_rfc3339_ms(&input.to)
                        .ok_or_else(|| FieldError::invalid("`to` must be an RFC 3339 date-time"))?,
                );
                let resolution = resolve::resolve(
                    self.tenant,
                    &input.base_archive_rt_id,
                    window,
                    &input.source_path,
                    function,
                    input.target_points.unwrap_or(600),
                )
                .map_err(store_error)?;
                Ok(Out::leaf(json!({
                    "archiveRtId": resolution.archive_rt_id,
                    "effectiveBucketMs": resolution.effective_bucket_ms,
                    "points": resolution.points,
                    "reducingFunction": resolution.reducing_function.name(),
                    "columns": resolution.columns,
                    "signal": resolution.signal.name(),
                    "actualPoints": resolution.actual_points,
                    "diagnostic": resolution.diagnostic,
                })))
            }
            "rollupQueryMetadata" => {
                let rt_id: String = args.require("rtId")?;
                Ok(Out::leaf(rollup_metadata(self.tenant, &rt_id)?))
            }
            other => Err(unknown_field("StreamDataQuery", other)),
        }
    }
}

/// A rollup: its schedule, progress and columns.
fn rollup_json(archive: &Archive) -> Value {
    let rollup = archive.rollup();
    json!({
        "rtId": archive.rt_id,
        "status": archive.status.name(),
        "sourceArchiveRtId": rollup.map(|rollup| &rollup.source),
        "bucketSizeMs": rollup.map(|rollup| rollup.bucket_ms),
        "watermarkLagMs": rollup.map(|rollup| rollup.lag_ms),
        "bucketAlignment": rollup.map(|rollup| rollup.alignment.name()),
        "referenceTimeZone": rollup.and_then(|rollup| rollup.zone.clone()),
        "lastAggregatedBucketEnd": rollup.and_then(|rollup| rollup.watermark).map(format_rfc3339_ms),
        "frozenUntil": rollup.and_then(|rollup| rollup.frozen_until).map(format_rfc3339_ms),
        "columns": archive.columns,
        "problem": archive.rollup.as_ref().and_then(|rollup| rollup.as_ref().err()),
    })
}

/// `rollupQueryMetadata`: the bucket size and, per stored column, the function and the logical
/// attribute path it aggregates — followed through rollups of rollups down to the raw archive.
fn rollup_metadata(tenant: &Tenant, rt_id: &str) -> Result<Value, FieldError> {
    let archive = archives::load(tenant, rt_id).map_err(store_error)?;
    let Some(rollup) = archive.rollup() else {
        return Err(FieldError::invalid(format!(
            "`{rt_id}` is a `{}`, not a rollup archive",
            archive.ck_type
        )));
    };
    let mut columns = Vec::new();
    for aggregation in &rollup.aggregations {
        // Follow the source path down the chain.
        let mut path = aggregation.source_path.clone();
        let mut source = archives::load(tenant, &rollup.source).map_err(store_error)?;
        let mut hops = 0;
        while let Some(parent) = source.rollup().filter(|_| hops < 16) {
            hops += 1;
            let Some(origin) = parent
                .aggregations
                .iter()
                .find(|candidate| candidate.columns().contains(&path))
            else {
                break;
            };
            path = origin.source_path.clone();
            source = archives::load(tenant, &parent.source).map_err(store_error)?;
        }
        for column in aggregation.columns() {
            columns.push(json!({
                "column": column,
                "function": aggregation.function.name(),
                "sourcePath": aggregation.source_path,
                "logicalPath": path,
                "rawArchiveRtId": source.rt_id,
            }));
        }
    }
    let mut logical: Vec<Value> = Vec::new();
    for column in &columns {
        if !logical.contains(&column["logicalPath"]) {
            logical.push(column["logicalPath"].clone());
        }
    }
    Ok(json!({
        "rtId": archive.rt_id,
        "sourceArchiveRtId": rollup.source,
        "bucketSizeMs": rollup.bucket_ms,
        "bucketAlignment": rollup.alignment.name(),
        "referenceTimeZone": rollup.zone,
        "lastAggregatedBucketEnd": rollup.watermark.map(format_rfc3339_ms),
        "logicalPaths": logical,
        "columns": columns,
    }))
}

/// `ResolveSeriesQueryInput`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResolveInput {
    base_archive_rt_id: String,
    from: String,
    to: String,
    source_path: String,
    required_aggregation: String,
    #[serde(default)]
    target_points: Option<i64>,
}

struct Transient<'t> {
    tenant: &'t Tenant,
    series: Option<&'t SeriesStore>,
}

/// `AggregationInputTypes` and the lowercase names of the MCP tools.
fn function(name: &str) -> Result<Function, FieldError> {
    Function::parse(name).ok_or_else(|| {
        FieldError::invalid(format!(
            "`{name}` is not an aggregation: COUNT, SUM, AVG, MIN, MAX, FIRST or LAST"
        ))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ColumnInput {
    #[serde(default)]
    attribute_path: Option<String>,
    #[serde(default)]
    aggregation_type: Option<String>,
    #[serde(default)]
    alias: Option<String>,
}

fn time(args: &Args, name: &str) -> Result<i64, FieldError> {
    let value: Value = args.require(name)?;
    match &value {
        Value::String(text) => parse_rfc3339_ms(text),
        Value::Number(number) => number.as_i64(),
        _ => None,
    }
    .ok_or_else(|| {
        FieldError::invalid(format!("`{name}` must be an RFC 3339 date-time or Unix ms"))
    })
}

/// The asset repository's tabular answer: `{ totalCount items [{ columns rows { items [{ cells {
/// items [{ attributePath value }] } }] } }] }`. Built in place: values move in, nothing is copied.
pub(super) fn table(columns: &[(String, &str)], rows: Vec<Vec<Value>>) -> Value {
    fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
        let mut map = Map::with_capacity(N);
        for (key, value) in fields {
            map.insert(key.to_owned(), value);
        }
        Value::Object(map)
    }
    let names: Vec<Value> = columns
        .iter()
        .map(|(path, _)| Value::String(path.clone()))
        .collect();
    let total = rows.len();
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|cells| {
            let cells: Vec<Value> = cells
                .into_iter()
                .zip(&names)
                .map(|(value, name)| object([("attributePath", name.clone()), ("value", value)]))
                .collect();
            object([("cells", object([("items", Value::Array(cells))]))])
        })
        .collect();
    let headers: Vec<Value> = columns
        .iter()
        .map(|(path, kind)| {
            object([
                ("attributePath", Value::String(path.clone())),
                ("attributeValueType", Value::String((*kind).to_owned())),
            ])
        })
        .collect();
    object([
        ("totalCount", Value::from(total)),
        (
            "items",
            Value::Array(vec![object([
                ("columns", Value::Array(headers)),
                ("rows", object([("items", Value::Array(rows))])),
            ])]),
        ),
    ])
}

impl Transient<'_> {
    fn archive(&self, args: &Args) -> Result<(Archive, &SeriesStore), FieldError> {
        let store = self
            .series
            .ok_or_else(|| FieldError::invalid("stream data is not available here"))?;
        store.ensure_enabled().map_err(store_error)?;
        let rt_id: String = args.require("archiveRtId")?;
        let archive = archives::load(self.tenant, &rt_id).map_err(store_error)?;
        if archive.status != ArchiveStatus::Activated {
            return Err(FieldError::invalid(format!(
                "archive `{rt_id}` is {}: it answers queries only while Activated",
                archive.status.name()
            )));
        }
        Ok((archive, store))
    }

    fn column_index(archive: &Archive, path: &str) -> Result<usize, FieldError> {
        archive
            .columns
            .iter()
            .position(|column| column == path)
            .ok_or_else(|| {
                FieldError::invalid(format!(
                    "`{path}` is not a column of the archive; its columns are {}",
                    archive.columns.join(", ")
                ))
            })
    }

    fn series(
        archive: &Archive,
        store: &SeriesStore,
        args: &Args,
    ) -> Result<Vec<String>, FieldError> {
        match args.get::<Vec<String>>("rtIds")? {
            Some(ids) if !ids.is_empty() => Ok(ids),
            _ => store.series_ids(&archive.rt_id).map_err(store_error),
        }
    }

    /// Aggregation columns with unique aliases (default `<function>_<path>`, or `count`).
    fn columns(
        archive: &Archive,
        args: &Args,
    ) -> Result<Vec<(String, usize, Function)>, FieldError> {
        let inputs: Vec<ColumnInput> = args.require("columnPaths")?;
        if inputs.is_empty() {
            return Err(FieldError::invalid(
                "`columnPaths` needs at least one column",
            ));
        }
        let mut columns: Vec<(String, usize, Function)> = Vec::new();
        for input in inputs {
            let function = function(input.aggregation_type.as_deref().unwrap_or("AVG"))?;
            let Some(path) = input.attribute_path else {
                return Err(FieldError::invalid(
                    "stream data aggregates a column: give each column its `attributePath`",
                ));
            };
            let index = Self::column_index(archive, &path)?;
            let alias = input
                .alias
                .unwrap_or_else(|| format!("{}_{}", function.name(), path.replace('.', "_")));
            if columns.iter().any(|(existing, _, _)| *existing == alias) {
                return Err(FieldError::invalid(format!(
                    "alias `{alias}` is used twice: give the columns distinct aliases"
                )));
            }
            columns.push((alias, index, function));
        }
        Ok(columns)
    }
}

impl Transient<'_> {
    fn filter(archive: &Archive, args: &Args) -> Result<Option<RowFilter>, FieldError> {
        filter_group(args)?
            .map(|group| RowFilter::compile(&group, &archive.columns))
            .transpose()
            .map_err(store_error)
    }

    /// `simple`: the rows of [from, to) (default: all time), filtered, sorted (default by
    /// timestamp) and cut to `limit`.
    fn simple(&self, args: &Args) -> Result<Value, FieldError> {
        let (archive, store) = self.archive(args)?;
        let paths: Vec<String> = args
            .get("columnPaths")?
            .unwrap_or_else(|| archive.columns.clone());
        let indexes: Vec<usize> = paths
            .iter()
            .map(|path| Self::column_index(&archive, path))
            .collect::<Result<_, _>>()?;
        let from = args
            .get::<Value>("from")?
            .map(|_| time(args, "from"))
            .transpose()?;
        let to = args
            .get::<Value>("to")?
            .map(|_| time(args, "to"))
            .transpose()?;
        let (from, to) = (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX));
        if from >= to {
            return Err(FieldError::invalid(
                "the window is empty: `from` must be before `to`",
            ));
        }
        let limit: usize = args.get("limit")?.unwrap_or(1000);
        if limit == 0 || limit > MAX_SIMPLE_ROWS {
            return Err(FieldError::invalid(format!(
                "`limit` must be 1 to {MAX_SIMPLE_ROWS}, not {limit}"
            )));
        }
        let sort: Vec<(String, bool)> = args
            .get::<Vec<Value>>("sortOrder")?
            .unwrap_or_default()
            .iter()
            .map(|sort| {
                let path = sort
                    .get("attributePath")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let descending = sort
                    .get("sortOrder")
                    .and_then(Value::as_str)
                    .is_some_and(|order| order.eq_ignore_ascii_case("DESCENDING"));
                (path.to_owned(), descending)
            })
            .collect();
        let keys: Vec<(Option<usize>, bool, bool)> = sort
            .iter()
            .map(|(path, descending)| match path.as_str() {
                "timestamp" | "Timestamp" => Ok((None, false, *descending)),
                "rtId" | "RtId" => Ok((None, true, *descending)),
                column => Ok((
                    Some(Self::column_index(&archive, column)?),
                    false,
                    *descending,
                )),
            })
            .collect::<Result<_, FieldError>>()?;
        let filter = Self::filter(&archive, args)?;
        let series = Self::series(&archive, store, args)?;
        let mut rows: Vec<(usize, i64, Vec<Option<f64>>)> = Vec::new();
        for (series_idx, name) in series.iter().enumerate() {
            store
                .scan(&archive.rt_id, name, from, to, |ts, values| {
                    if rows.len() <= MAX_SCANNED_ROWS
                        && filter
                            .as_ref()
                            .is_none_or(|filter| filter.matches(name, ts, values))
                    {
                        rows.push((series_idx, ts, values.to_vec()));
                    }
                })
                .map_err(store_error)?;
            if rows.len() > MAX_SCANNED_ROWS {
                return Err(FieldError::invalid(format!(
                    "more than {MAX_SCANNED_ROWS} rows match: narrow the window, the series or the filter (or aggregate or downsample instead)"
                )));
            }
        }
        rows.sort_by(|a, b| {
            for (column, by_series, descending) in &keys {
                let order = match (column, by_series) {
                    (Some(idx), _) => a.2[*idx]
                        .partial_cmp(&b.2[*idx])
                        .unwrap_or(std::cmp::Ordering::Equal),
                    (None, true) => series[a.0].cmp(&series[b.0]),
                    (None, false) => a.1.cmp(&b.1),
                };
                let order = if *descending { order.reverse() } else { order };
                if order != std::cmp::Ordering::Equal {
                    return order;
                }
            }
            a.1.cmp(&b.1).then(a.0.cmp(&b.0))
        });
        rows.truncate(limit);
        let mut headers = vec![
            ("rtId".to_owned(), "STRING"),
            ("timestamp".to_owned(), "DATE_TIME"),
        ];
        // A time-range row's window end is stored after the columns.
        let window_end = archive.time_range.then_some(archive.columns.len());
        if window_end.is_some() {
            headers.push(("to".to_owned(), "DATE_TIME"));
        }
        headers.extend(paths.iter().map(|path| (path.clone(), "DOUBLE")));
        let cells = rows
            .into_iter()
            .map(|(series_idx, ts, values)| {
                let mut cells = vec![json!(series[series_idx]), json!(format_rfc3339_ms(ts))];
                if let Some(end) = window_end {
                    cells.push(json!(values[end].map(|end| format_rfc3339_ms(end as i64))));
                }
                cells.extend(indexes.iter().map(|idx| json!(values[*idx])));
                cells
            })
            .collect();
        Ok(table(&headers, cells))
    }
}

/// Most rows `simple` returns, and most it sorts.
const MAX_SIMPLE_ROWS: usize = 10_000;
const MAX_SCANNED_ROWS: usize = 1_000_000;

impl Object for Transient<'_> {
    fn type_name(&self) -> &'static str {
        "TransientStreamDataQuery"
    }

    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError> {
        match name {
            "simple" => Ok(Out::leaf(self.simple(args)?)),
            "downsampling" => {
                let (archive, store) = self.archive(args)?;
                let limit: usize = args.require("limit")?;
                let (from, to) = (time(args, "from")?, time(args, "to")?);
                // Plain paths take `aggregationType` (default AVG) and keep their path as the
                // header; objects name their own function and alias.
                let default = args
                    .get::<String>("aggregationType")?
                    .unwrap_or_else(|| "AVG".into());
                let plain = args.get::<Vec<String>>("columnPaths").ok().flatten();
                let specs: Vec<(String, usize, Function)> = match plain {
                    Some(paths) => paths
                        .iter()
                        .map(|path| {
                            Ok((
                                path.clone(),
                                Self::column_index(&archive, path)?,
                                function(&default)?,
                            ))
                        })
                        .collect::<Result<_, FieldError>>()?,
                    None => Self::columns(&archive, args)?,
                };
                let filter = Self::filter(&archive, args)?;
                let series = Self::series(&archive, store, args)?;
                let mut columns = vec![("timestamp".to_owned(), "DATE_TIME")];
                let mut per_column = Vec::new();
                for (header, index, function) in &specs {
                    per_column.push(
                        store
                            .downsample_where(
                                &archive.rt_id,
                                &series,
                                *index,
                                *function,
                                (from, to),
                                limit,
                                filter.as_ref(),
                            )
                            .map_err(store_error)?,
                    );
                    columns.push((header.clone(), "DOUBLE"));
                }
                let rows = (0..limit)
                    .map(|bucket| {
                        let start = per_column
                            .first()
                            .map_or(from, |buckets| buckets[bucket].start);
                        std::iter::once(json!(format_rfc3339_ms(start)))
                            .chain(
                                per_column
                                    .iter()
                                    .map(|buckets| json!(buckets[bucket].value)),
                            )
                            .collect()
                    })
                    .collect();
                Ok(Out::leaf(table(&columns, rows)))
            }
            "aggregation" | "groupingAggregation" => {
                let (archive, store) = self.archive(args)?;
                let columns = Self::columns(&archive, args)?;
                let (from, to) = (time(args, "from")?, time(args, "to")?);
                if from >= to {
                    return Err(FieldError::invalid(
                        "the window is empty: `from` must be before `to`",
                    ));
                }
                let filter = Self::filter(&archive, args)?;
                let series = Self::series(&archive, store, args)?;
                let grouped = name == "groupingAggregation";
                if grouped {
                    let by: Vec<String> = args
                        .get("groupByColumnPaths")?
                        .unwrap_or_else(|| vec!["rtId".into()]);
                    if by != ["rtId"] {
                        return Err(FieldError::invalid(
                            "stream data groups by `rtId` (the series)",
                        ));
                    }
                }
                let groups: Vec<Vec<String>> = if grouped {
                    series.iter().map(|id| vec![id.clone()]).collect()
                } else {
                    vec![series.clone()]
                };
                let mut rows = Vec::new();
                for group in &groups {
                    let mut accumulators = vec![Accumulator::default(); columns.len()];
                    for id in group {
                        store
                            .scan(&archive.rt_id, id, from, to, |ts, values| {
                                if filter
                                    .as_ref()
                                    .is_some_and(|filter| !filter.matches(id, ts, values))
                                {
                                    return;
                                }
                                for (slot, (_, index, _)) in accumulators.iter_mut().zip(&columns) {
                                    if let Some(Some(value)) = values.get(*index) {
                                        slot.add(ts, *value);
                                    }
                                }
                            })
                            .map_err(store_error)?;
                    }
                    let mut cells: Vec<Value> = if grouped {
                        vec![json!(group[0])]
                    } else {
                        Vec::new()
                    };
                    cells.extend(accumulators.iter().zip(&columns).map(
                        |(accumulator, (_, _, function))| json!(accumulator.result(*function)),
                    ));
                    rows.push(cells);
                }
                let mut headers: Vec<(String, &str)> = if grouped {
                    vec![("rtId".to_owned(), "STRING")]
                } else {
                    Vec::new()
                };
                headers.extend(
                    columns
                        .iter()
                        .map(|(alias, _, _)| (alias.clone(), "DOUBLE")),
                );
                Ok(Out::leaf(table(&headers, rows)))
            }
            other => Err(unknown_field("TransientStreamDataQuery", other)),
        }
    }
}
