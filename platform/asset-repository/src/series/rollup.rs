//! Rollup archives: bucketed aggregations of another archive's columns. A rollup row is stored at
//! its bucket's start and covers [start, next boundary). AVG is stored as `_sum` and `_count`
//! columns and TimeWeightedAvg as `_integral` (value·ms) and `_duration` (ms covered), so that
//! rollups of rollups stay exact; the other functions store one column each.

use serde_json::{Map, Value};

use super::calendar::{Alignment, Calendar};
use super::query::{Accumulator, Function};
use crate::store::parse_rfc3339_ms;

/// The rollup archive type.
pub const ROLLUP_TYPE: &str = "System.StreamData/RollupArchive";

/// How far back TimeWeightedAvg and StateDuration look for the value holding at a bucket's start.
pub const DEFAULT_CARRY_LOOKBACK_MS: i64 = 35 * 86_400_000;

/// `CkRollupFunction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupFunction {
    Avg,
    Min,
    Max,
    Sum,
    Count,
    TimeWeightedAvg,
    StateDuration,
    First,
    Last,
}

impl RollupFunction {
    fn from_json(value: &Value) -> Option<RollupFunction> {
        use RollupFunction as F;
        const ALL: [RollupFunction; 9] = [
            F::Avg,
            F::Min,
            F::Max,
            F::Sum,
            F::Count,
            F::TimeWeightedAvg,
            F::StateDuration,
            F::First,
            F::Last,
        ];
        match value {
            Value::Number(key) => ALL.get(usize::try_from(key.as_u64()?).ok()?).copied(),
            Value::String(name) => ALL
                .into_iter()
                .find(|function| function.name().eq_ignore_ascii_case(name)),
            _ => None,
        }
    }

    /// A function by name (`Avg`/`average`, `min`/`minimum`, … in any case).
    pub fn parse(name: &str) -> Option<RollupFunction> {
        let name = match name.to_ascii_lowercase().as_str() {
            "average" => "avg".to_owned(),
            "minimum" => "min".to_owned(),
            "maximum" => "max".to_owned(),
            other => other.to_owned(),
        };
        RollupFunction::from_json(&Value::String(name))
    }

    pub fn name(self) -> &'static str {
        match self {
            RollupFunction::Avg => "Avg",
            RollupFunction::Min => "Min",
            RollupFunction::Max => "Max",
            RollupFunction::Sum => "Sum",
            RollupFunction::Count => "Count",
            RollupFunction::TimeWeightedAvg => "TimeWeightedAvg",
            RollupFunction::StateDuration => "StateDuration",
            RollupFunction::First => "First",
            RollupFunction::Last => "Last",
        }
    }

    /// Whether the function carries the last value forward across time (LOCF).
    fn carries(self) -> bool {
        matches!(
            self,
            RollupFunction::TimeWeightedAvg | RollupFunction::StateDuration
        )
    }
}

/// One `CkRollupAggregation`.
#[derive(Debug, Clone, PartialEq)]
pub struct RollupAggregation {
    pub source_path: String,
    pub function: RollupFunction,
    /// The storage column (AVG and TimeWeightedAvg: the base of their two columns).
    pub target: String,
    /// StateDuration: the state counted.
    pub comparison: Option<f64>,
}

impl RollupAggregation {
    /// The storage columns this aggregation fills, in order.
    pub fn columns(&self) -> Vec<String> {
        match self.function {
            RollupFunction::Avg => vec![
                format!("{}_sum", self.target),
                format!("{}_count", self.target),
            ],
            RollupFunction::TimeWeightedAvg => vec![
                format!("{}_integral", self.target),
                format!("{}_duration", self.target),
            ],
            _ => vec![self.target.clone()],
        }
    }
}

/// A rollup's definition and progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    pub source: String,
    pub bucket_ms: i64,
    pub lag_ms: i64,
    pub alignment: Alignment,
    pub zone: Option<String>,
    pub carry_lookback_ms: i64,
    pub aggregations: Vec<RollupAggregation>,
    /// `LastAggregatedBucketEnd`: buckets before it are done.
    pub watermark: Option<i64>,
    /// Buckets ending at or before it are never rewritten.
    pub frozen_until: Option<i64>,
}

fn time(attributes: &Map<String, Value>, name: &str) -> Option<i64> {
    attributes
        .get(name)
        .and_then(Value::as_str)
        .and_then(parse_rfc3339_ms)
}

impl Rollup {
    /// Reads the rollup attributes of an archive entity; problems are described, not fatal, so
    /// that a broken rollup can still be listed (activation refuses it).
    pub fn from_attributes(attributes: &Map<String, Value>) -> Result<Rollup, String> {
        let number = |name: &str| attributes.get(name).and_then(Value::as_i64);
        let mut aggregations = Vec::new();
        for (idx, record) in attributes
            .get("Aggregations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let source_path = record
                .get("SourcePath")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("aggregation {idx} has no `SourcePath`"))?
                .to_owned();
            let function = record
                .get("Function")
                .and_then(RollupFunction::from_json)
                .ok_or_else(|| {
                    format!(
                        "aggregation {idx} has no valid `Function` (Avg, Min, Max, Sum, Count, TimeWeightedAvg, StateDuration, First, Last)"
                    )
                })?;
            let target = record
                .get("TargetColumnName")
                .and_then(Value::as_str)
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    format!("{source_path}_{}", function.name()).to_ascii_lowercase()
                });
            let comparison = match record.get("ComparisonValue").and_then(Value::as_str) {
                None => None,
                Some(text) => Some(match text.trim().to_ascii_lowercase().as_str() {
                    "true" => 1.0,
                    "false" => 0.0,
                    other => other.parse::<f64>().map_err(|_| {
                        format!("aggregation {idx}: `ComparisonValue` `{text}` is not a number or a boolean (states are numbers here)")
                    })?,
                }),
            };
            if function == RollupFunction::StateDuration && comparison.is_none() {
                return Err(format!(
                    "aggregation {idx}: StateDuration needs a `ComparisonValue`"
                ));
            }
            aggregations.push(RollupAggregation {
                source_path,
                function,
                target,
                comparison,
            });
        }
        let alignment = match number("BucketAlignment") {
            None => Alignment::FixedSize,
            Some(key) => Alignment::from_key(key)
                .ok_or_else(|| format!("`BucketAlignment` {key} is not a BucketAlignment key"))?,
        };
        Ok(Rollup {
            source: attributes
                .get("SourceArchiveRtId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            bucket_ms: number("BucketSizeMs").unwrap_or(0),
            lag_ms: number("WatermarkLagMs").unwrap_or(300_000),
            alignment,
            zone: attributes
                .get("ReferenceTimeZone")
                .and_then(Value::as_str)
                .filter(|zone| !zone.is_empty())
                .map(str::to_owned),
            carry_lookback_ms: number("CarryLookbackMs").unwrap_or(DEFAULT_CARRY_LOOKBACK_MS),
            aggregations,
            watermark: time(attributes, "LastAggregatedBucketEnd"),
            frozen_until: time(attributes, "FrozenUntil"),
        })
    }

    pub fn calendar(&self) -> Result<Calendar, String> {
        Calendar::new(self.alignment, self.bucket_ms, self.zone.as_deref())
    }

    /// The storage columns, in order.
    pub fn columns(&self) -> Vec<String> {
        self.aggregations
            .iter()
            .flat_map(RollupAggregation::columns)
            .collect()
    }

    /// How far before a range the source must be read (for the carried value).
    pub fn lookback_ms(&self) -> i64 {
        if self
            .aggregations
            .iter()
            .any(|aggregation| aggregation.function.carries())
        {
            self.carry_lookback_ms.max(0)
        } else {
            0
        }
    }

    /// Folds one source series into rollup rows for the buckets of [from, to) (`from` a bucket
    /// start). `points` are in time order and may start before `from` (carried values);
    /// `source_columns[i]` is the source column of aggregation `i`. A bucket yields a row when
    /// it holds a point or a carried value covers part of it.
    pub fn fold(
        &self,
        calendar: &Calendar,
        source_columns: &[usize],
        points: &[(i64, Vec<Option<f64>>)],
        from: i64,
        to: i64,
    ) -> Vec<(i64, Vec<Option<f64>>)> {
        let carries = self.lookback_ms() > 0;
        let mut rows = Vec::new();
        let mut at = points.partition_point(|(ts, _)| *ts < from);
        // The last value of each aggregation's column before the current bucket.
        let mut carry: Vec<Option<(i64, f64)>> = source_columns
            .iter()
            .map(|column| {
                points[..at]
                    .iter()
                    .rev()
                    .find_map(|(ts, values)| values[*column].map(|value| (*ts, value)))
            })
            .collect();
        let mut start = from;
        while start < to {
            let carrying = carries
                && carry
                    .iter()
                    .flatten()
                    .any(|(ts, _)| start - ts <= self.carry_lookback_ms);
            if !carrying {
                // Nothing carries into this bucket: skip straight to the bucket of the next point.
                match points.get(at) {
                    Some((ts, _)) if *ts < to => start = start.max(calendar.start_of(*ts)),
                    _ => break,
                }
            }
            let end = calendar.next(start);
            let stop = at + points[at..].partition_point(|(ts, _)| *ts < end);
            let bucket = &points[at..stop];
            let mut values = Vec::new();
            let mut any = !bucket.is_empty();
            for ((aggregation, column), carried) in
                self.aggregations.iter().zip(source_columns).zip(&mut carry)
            {
                let mut samples = bucket
                    .iter()
                    .filter_map(|(ts, values)| values[*column].map(|value| (*ts, value)));
                if aggregation.function.carries() {
                    let opening = carried
                        .filter(|(ts, _)| start - ts <= self.carry_lookback_ms)
                        .map(|(_, value)| value);
                    let (integral, duration, held) =
                        locf(opening, samples.clone(), start, end, aggregation.comparison);
                    any |= duration > 0;
                    if let Some(last) = samples.next_back() {
                        *carried = Some(last);
                    }
                    match aggregation.function {
                        RollupFunction::TimeWeightedAvg => {
                            values.push((duration > 0).then_some(integral));
                            values.push((duration > 0).then_some(duration as f64));
                        }
                        _ => values.push((duration > 0).then_some(held as f64)),
                    }
                    continue;
                }
                let mut accumulator = Accumulator::default();
                for (ts, value) in samples {
                    accumulator.add(ts, value);
                }
                match aggregation.function {
                    RollupFunction::Avg => {
                        values.push(accumulator.result(Function::Sum));
                        values.push(accumulator.result(Function::Count));
                    }
                    RollupFunction::Min => values.push(accumulator.result(Function::Min)),
                    RollupFunction::Max => values.push(accumulator.result(Function::Max)),
                    RollupFunction::Sum => values.push(accumulator.result(Function::Sum)),
                    RollupFunction::Count => values.push(accumulator.result(Function::Count)),
                    RollupFunction::First => values.push(accumulator.result(Function::First)),
                    RollupFunction::Last => values.push(accumulator.result(Function::Last)),
                    RollupFunction::TimeWeightedAvg | RollupFunction::StateDuration => {
                        unreachable!("carried functions are handled above")
                    }
                }
            }
            if any {
                rows.push((start, values));
            }
            at = stop;
            start = end;
        }
        rows
    }
}

/// Last observation carried forward over [start, end): the integral of the value over time
/// (value·ms), the milliseconds covered, and the milliseconds the value equalled `state`.
fn locf(
    opening: Option<f64>,
    samples: impl Iterator<Item = (i64, f64)>,
    start: i64,
    end: i64,
    state: Option<f64>,
) -> (f64, i64, i64) {
    let mut integral = 0.0;
    let mut duration = 0;
    let mut held = 0;
    let mut current: Option<(i64, f64)> = opening.map(|value| (start, value));
    let mut close = |from: i64, to: i64, value: f64| {
        let width = to - from;
        integral += value * width as f64;
        duration += width;
        if state == Some(value) {
            held += width;
        }
    };
    for (ts, value) in samples {
        if let Some((since, previous)) = current {
            close(since, ts, previous);
        }
        current = Some((ts, value));
    }
    if let Some((since, value)) = current {
        close(since, end, value);
    }
    (integral, duration, held)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rollup(aggregations: Value, alignment: i64, zone: Option<&str>) -> Rollup {
        let mut attributes = json!({
            "SourceArchiveRtId": "a", "BucketSizeMs": 3_600_000, "WatermarkLagMs": 0,
            "BucketAlignment": alignment, "Aggregations": aggregations,
        });
        if let Some(zone) = zone {
            attributes["ReferenceTimeZone"] = json!(zone);
        }
        Rollup::from_attributes(attributes.as_object().unwrap()).unwrap()
    }

    #[test]
    fn columns_follow_the_functions() {
        let rollup = rollup(
            json!([{"SourcePath": "Power", "Function": 0}, {"SourcePath": "Power", "Function": "Max", "TargetColumnName": "peak"},
                   {"SourcePath": "On", "Function": 5}]),
            0,
            None,
        );
        assert_eq!(
            rollup.columns(),
            [
                "power_avg_sum",
                "power_avg_count",
                "peak",
                "on_timeweightedavg_integral",
                "on_timeweightedavg_duration"
            ]
        );
        let missing = Rollup::from_attributes(
            json!({"Aggregations": [{"SourcePath": "On", "Function": "StateDuration"}]})
                .as_object()
                .unwrap(),
        );
        assert!(missing.unwrap_err().contains("ComparisonValue"));
    }

    #[test]
    fn hourly_buckets_with_carried_values() {
        let rollup = rollup(
            json!([{"SourcePath": "v", "Function": "Avg"}, {"SourcePath": "v", "Function": "TimeWeightedAvg"},
                   {"SourcePath": "v", "Function": "StateDuration", "ComparisonValue": "1"}]),
            0,
            None,
        );
        let calendar = rollup.calendar().unwrap();
        let hour = 3_600_000;
        // v = 1 from 00:00, 0 from 00:30, nothing in hour 1 (carried 0), 1 at 02:15.
        let points = vec![
            (0, vec![Some(1.0)]),
            (hour / 2, vec![Some(0.0)]),
            (2 * hour + hour / 4, vec![Some(1.0)]),
        ];
        let rows = rollup.fold(&calendar, &[0, 0, 0], &points, 0, 3 * hour);
        assert_eq!(rows.len(), 3);
        // Hour 0: avg (1+0)/2; integral 1·30 min; covered 60 min; state 1 held 30 min.
        assert_eq!(
            rows[0].1,
            vec![
                Some(1.0),
                Some(2.0),
                Some(1_800_000.0),
                Some(3_600_000.0),
                Some(1_800_000.0)
            ]
        );
        // Hour 1: no point, the carried 0 covers it.
        assert_eq!(rows[1].0, hour);
        assert_eq!(
            rows[1].1,
            vec![None, Some(0.0), Some(0.0), Some(3_600_000.0), Some(0.0)]
        );
        // Hour 2: 0 for 15 min, then 1 for 45 min.
        assert_eq!(rows[2].1[2], Some(2_700_000.0));
        assert_eq!(rows[2].1[4], Some(2_700_000.0));
    }
}
