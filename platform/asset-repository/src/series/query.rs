//! Queries over the chunk store: aggregation functions, downsampling a window into exactly `limit`
//! buckets (empty ones null), and an aggregate per series. Points are folded as they are read.

use super::SeriesStore;
use super::filter::RowFilter;
use crate::store::StoreError;

/// Aggregation functions of the stream-data queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    First,
    Last,
}

impl Function {
    /// `AggregationInputTypes` names and the MCP tools' lowercase ones.
    pub fn parse(name: &str) -> Option<Function> {
        Some(match name.to_ascii_lowercase().as_str() {
            "count" => Function::Count,
            "sum" => Function::Sum,
            "avg" | "average" => Function::Avg,
            "min" | "minimum" => Function::Min,
            "max" | "maximum" => Function::Max,
            "first" => Function::First,
            "last" => Function::Last,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Function::Count => "count",
            Function::Sum => "sum",
            Function::Avg => "avg",
            Function::Min => "min",
            Function::Max => "max",
            Function::First => "first",
            Function::Last => "last",
        }
    }
}

/// Most buckets one downsampling returns.
pub const MAX_BUCKETS: usize = 10_000;

/// A running aggregate of values.
#[derive(Debug, Clone, Copy, Default)]
pub struct Accumulator {
    count: u64,
    sum: f64,
    min: Option<f64>,
    max: Option<f64>,
    first: Option<(i64, f64)>,
    last: Option<(i64, f64)>,
}

impl Accumulator {
    pub fn add(&mut self, ts: i64, value: f64) {
        self.count += 1;
        self.sum += value;
        self.min = Some(self.min.map_or(value, |min| min.min(value)));
        self.max = Some(self.max.map_or(value, |max| max.max(value)));
        if self.first.is_none_or(|(first, _)| ts < first) {
            self.first = Some((ts, value));
        }
        if self.last.is_none_or(|(last, _)| ts >= last) {
            self.last = Some((ts, value));
        }
    }

    /// The function's value; `None` for an empty window (but `Count` is 0).
    pub fn result(&self, function: Function) -> Option<f64> {
        if self.count == 0 {
            return (function == Function::Count).then_some(0.0);
        }
        Some(match function {
            Function::Count => self.count as f64,
            Function::Sum => self.sum,
            Function::Avg => self.sum / self.count as f64,
            Function::Min => self.min?,
            Function::Max => self.max?,
            Function::First => self.first?.1,
            Function::Last => self.last?.1,
        })
    }
}

/// One bucket of a downsampled series: [start, end) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub start: i64,
    pub end: i64,
    pub value: Option<f64>,
}

fn check_window(from: i64, to: i64) -> Result<(), StoreError> {
    if from >= to {
        return Err(StoreError::Invalid(vec![format!(
            "the window is empty: `from` ({from}) must be before `to` ({to})"
        )]));
    }
    Ok(())
}

/// The start of bucket `idx` of `limit` over [from, to): the first millisecond `t` with
/// `(t - from) · limit ≥ (to - from) · idx`, so that bucket boundaries agree exactly with the index
/// `⌊(t - from) · limit / (to - from)⌋` each point is folded into; widths differ by at most 1 ms.
fn boundary(from: i64, to: i64, limit: usize, idx: usize) -> i64 {
    let span = i128::from(to - from);
    let limit = limit as i128;
    from + ((span * idx as i128 + limit - 1) / limit) as i64
}

impl SeriesStore {
    /// Downsamples `column` of the given series (merged) over [from, to) into exactly `limit`
    /// buckets.
    #[allow(clippy::too_many_arguments)]
    pub fn downsample(
        &self,
        archive: &str,
        series: &[String],
        column: usize,
        function: Function,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Vec<Bucket>, StoreError> {
        self.downsample_where(archive, series, column, function, (from, to), limit, None)
    }

    /// [`SeriesStore::downsample`] over the rows that pass `filter`.
    #[allow(clippy::too_many_arguments)]
    pub fn downsample_where(
        &self,
        archive: &str,
        series: &[String],
        column: usize,
        function: Function,
        (from, to): (i64, i64),
        limit: usize,
        filter: Option<&RowFilter>,
    ) -> Result<Vec<Bucket>, StoreError> {
        check_window(from, to)?;
        if limit == 0 || limit > MAX_BUCKETS {
            return Err(StoreError::Invalid(vec![format!(
                "`limit` must be 1 to {MAX_BUCKETS}, not {limit}"
            )]));
        }
        if (to - from) < limit as i64 {
            return Err(StoreError::Invalid(vec![format!(
                "the window of {} ms is too short for {limit} buckets of at least 1 ms",
                to - from
            )]));
        }
        let mut buckets = vec![Accumulator::default(); limit];
        let span = i128::from(to - from);
        // The bucket of a point is ⌊(ts − from) · limit / span⌋; in 64 bits when that cannot
        // overflow (every window up to ~29,000 years at 10,000 buckets).
        let narrow = (to - from)
            .checked_mul(limit as i64)
            .map(|_| (to - from, limit as i64));
        for name in series {
            self.scan(archive, name, from, to, |ts, values| {
                if filter.is_some_and(|filter| !filter.matches(name, ts, values)) {
                    return;
                }
                if let Some(Some(value)) = values.get(column) {
                    let idx = match narrow {
                        Some((span, limit)) => ((ts - from) * limit / span) as usize,
                        None => ((i128::from(ts - from) * limit as i128) / span) as usize,
                    };
                    buckets[idx.min(limit - 1)].add(ts, *value);
                }
            })?;
        }
        Ok(buckets
            .iter()
            .enumerate()
            .map(|(idx, accumulator)| Bucket {
                start: boundary(from, to, limit, idx),
                end: boundary(from, to, limit, idx + 1),
                value: accumulator.result(function),
            })
            .collect())
    }

    /// `function` of `column` over [from, to), per series.
    pub fn aggregate_per_series(
        &self,
        archive: &str,
        series: &[String],
        column: usize,
        function: Function,
        from: i64,
        to: i64,
    ) -> Result<Vec<(String, Option<f64>)>, StoreError> {
        check_window(from, to)?;
        series
            .iter()
            .map(|name| {
                let mut accumulator = Accumulator::default();
                self.scan(archive, name, from, to, |ts, values| {
                    if let Some(Some(value)) = values.get(column) {
                        accumulator.add(ts, *value);
                    }
                })?;
                Ok((name.clone(), accumulator.result(function)))
            })
            .collect()
    }
}
