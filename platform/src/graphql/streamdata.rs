//! `streamData { transientStreamDataQuery { downsampling aggregation groupingAggregation } }` over
//! the chunk store, answering in the asset repository's tabular shape:
//! `{ totalCount items { columns { attributePath attributeValueType } rows { items { cells { items
//! { attributePath value } } } } } }`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::connection::unknown_field;
use super::exec::{Args, FieldError, Object, Out};
use super::input::store_error;
use crate::series::SeriesStore;
use crate::series::archives::{self, Archive, ArchiveStatus};
use crate::series::query::{Accumulator, Function};
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
            other => Err(unknown_field("StreamDataQuery", other)),
        }
    }
}

struct Transient<'t> {
    tenant: &'t Tenant,
    series: Option<&'t SeriesStore>,
}

/// `AggregationInputTypes` and the lowercase names of the MCP tools.
fn function(name: &str) -> Result<Function, FieldError> {
    Ok(match name.to_ascii_uppercase().as_str() {
        "COUNT" => Function::Count,
        "SUM" => Function::Sum,
        "AVG" | "AVERAGE" => Function::Avg,
        "MIN" | "MINIMUM" => Function::Min,
        "MAX" | "MAXIMUM" => Function::Max,
        "FIRST" => Function::First,
        "LAST" => Function::Last,
        other => {
            return Err(FieldError::invalid(format!(
                "`{other}` is not an aggregation: COUNT, SUM, AVG, MIN, MAX, FIRST or LAST"
            )));
        }
    })
}

fn function_name(function: Function) -> &'static str {
    match function {
        Function::Count => "count",
        Function::Sum => "sum",
        Function::Avg => "avg",
        Function::Min => "min",
        Function::Max => "max",
        Function::First => "first",
        Function::Last => "last",
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ColumnInput {
    attribute_path: String,
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

fn table(columns: &[(String, &str)], rows: Vec<Vec<Value>>) -> Value {
    json!({
        "totalCount": rows.len(),
        "items": [{
            "columns": columns.iter().map(|(path, kind)| json!({"attributePath": path, "attributeValueType": kind})).collect::<Vec<_>>(),
            "rows": {"items": rows.into_iter().map(|cells| json!({"cells": {"items":
                cells.into_iter().zip(columns).map(|(value, (path, _))| json!({"attributePath": path, "value": value})).collect::<Vec<_>>()
            }})).collect::<Vec<_>>()},
        }],
    })
}

impl Transient<'_> {
    fn archive(&self, args: &Args) -> Result<(Archive, &SeriesStore), FieldError> {
        let store = self
            .series
            .ok_or_else(|| FieldError::invalid("stream data is not available here"))?;
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
            let index = Self::column_index(archive, &input.attribute_path)?;
            let alias = input.alias.unwrap_or_else(|| {
                format!(
                    "{}_{}",
                    function_name(function),
                    input.attribute_path.replace('.', "_")
                )
            });
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

impl Object for Transient<'_> {
    fn type_name(&self) -> &'static str {
        "TransientStreamDataQuery"
    }

    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError> {
        match name {
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
                let series = Self::series(&archive, store, args)?;
                let mut columns = vec![("timestamp".to_owned(), "DATE_TIME")];
                let mut per_column = Vec::new();
                for (header, index, function) in &specs {
                    per_column.push(
                        store
                            .downsample(&archive.rt_id, &series, *index, *function, from, to, limit)
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
