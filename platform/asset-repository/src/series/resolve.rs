//! Resolution-aware series routing (`resolveSeriesQuery`): a base archive and its rollups form a
//! ladder of resolutions of one logical series; given a window, a target point count and the
//! aggregation the caller needs, pick the rung to downsample — the coarsest rollup that stores
//! that aggregation of the path and is still fine enough, else say truthfully why not.

use super::archives::{self, Archive};
use super::calendar::Alignment;
use super::rollup::{Rollup, RollupFunction};
use crate::store::{StoreError, Tenant};

/// The outcome class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// A fine-enough rollup (or the raw archive that fits) answers at the target.
    Ok,
    /// Only coarser rollups store the aggregation: fewer points than asked.
    ResolutionLimited,
    /// No rollup stores the aggregation and the base has no declared grain.
    UnknownBaseGrain,
    /// No rollup stores the aggregation and the base (of a declared period) does not fit.
    NoSuitableRollup,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Ok => "Ok",
            Signal::ResolutionLimited => "ResolutionLimited",
            Signal::UnknownBaseGrain => "UnknownBaseGrain",
            Signal::NoSuitableRollup => "NoSuitableRollup",
        }
    }
}

/// The decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    pub archive_rt_id: String,
    /// Width of one output bucket, ms.
    pub effective_bucket_ms: i64,
    /// Points the downsampling query should ask for (its `limit`).
    pub points: i64,
    /// The function the downsampling query must use.
    pub reducing_function: RollupFunction,
    /// The columns of the chosen archive to downsample (a rollup's AVG: `_sum` and `_count`).
    pub columns: Vec<String>,
    pub signal: Signal,
    /// The deliverable count when below the target.
    pub actual_points: Option<i64>,
    pub diagnostic: String,
}

/// One rung: a rollup that stores `function` of the logical path in `columns`.
struct Rung {
    archive: String,
    grain_ms: i64,
    columns: Vec<String>,
}

/// The nominal width of a rollup's buckets (calendar buckets vary; a month counts 30 days).
fn grain(rollup: &Rollup) -> i64 {
    match rollup.alignment {
        Alignment::FixedSize => rollup.bucket_ms,
        Alignment::CalendarDay => 86_400_000,
        Alignment::Iso8601Week => 7 * 86_400_000,
        Alignment::CalendarMonth => 30 * 86_400_000,
        Alignment::CalendarYear => 365 * 86_400_000,
    }
}

/// What a rollup's column holds: the function of a logical path, followed down the chain (a
/// rollup of a rollup keeps the function when it re-aggregates correctly: Sum of sums or counts,
/// Min of mins, Max of maxes, First of firsts, Last of lasts).
fn column_meaning(
    tenant: &Tenant,
    rollup: &Rollup,
    column: &str,
    depth: usize,
) -> Option<(String, RollupFunction, &'static str)> {
    let aggregation = rollup
        .aggregations
        .iter()
        .find(|aggregation| aggregation.columns().iter().any(|name| name == column))?;
    let part = match aggregation.function {
        RollupFunction::Avg if column.ends_with("_sum") => "sum",
        RollupFunction::Avg => "count",
        _ => "",
    };
    let source = archives::load(tenant, &rollup.source).ok()?;
    let Some(parent) = source.rollup() else {
        return Some((aggregation.source_path.clone(), aggregation.function, part));
    };
    if depth > 8 {
        return None;
    }
    let (path, inner, inner_part) =
        column_meaning(tenant, parent, &aggregation.source_path, depth + 1)?;
    use RollupFunction as F;
    let kept = match (aggregation.function, inner, inner_part) {
        (F::Sum, F::Avg, "sum") => (F::Avg, "sum"),
        (F::Sum, F::Avg, "count") => (F::Avg, "count"),
        (F::Sum, F::Sum, _) => (F::Sum, ""),
        (F::Sum, F::Count, _) => (F::Count, ""),
        (F::Min, F::Min, _) => (F::Min, ""),
        (F::Max, F::Max, _) => (F::Max, ""),
        (F::First, F::First, _) => (F::First, ""),
        (F::Last, F::Last, _) => (F::Last, ""),
        _ => return None,
    };
    Some((path, kept.0, kept.1))
}

/// The rollups (transitively) of `base` that store `function` of `path`.
fn rungs(
    tenant: &Tenant,
    base: &Archive,
    path: &str,
    function: RollupFunction,
) -> Result<Vec<Rung>, StoreError> {
    let mut found = Vec::new();
    let mut queue = vec![base.rt_id.clone()];
    let mut seen = Vec::new();
    while let Some(source) = queue.pop() {
        if seen.contains(&source) || seen.len() > 256 {
            continue;
        }
        seen.push(source.clone());
        for archive in archives::rollups_of(tenant, &source)? {
            queue.push(archive.rt_id.clone());
            let Some(rollup) = archive.rollup() else {
                continue;
            };
            if archive.status != archives::ArchiveStatus::Activated {
                continue;
            }
            let mut columns = Vec::new();
            let mut avg_parts = (None, None);
            for column in rollup.columns() {
                let Some((logical, meaning, part)) = column_meaning(tenant, rollup, &column, 0)
                else {
                    continue;
                };
                if !logical.eq_ignore_ascii_case(path) || meaning != function {
                    continue;
                }
                match part {
                    "sum" => avg_parts.0 = Some(column),
                    "count" => avg_parts.1 = Some(column),
                    _ => columns = vec![column],
                }
            }
            if let (Some(sum), Some(count)) = avg_parts {
                columns = vec![sum, count];
            }
            if !columns.is_empty() {
                found.push(Rung {
                    archive: archive.rt_id.clone(),
                    grain_ms: grain(rollup),
                    columns,
                });
            }
        }
    }
    Ok(found)
}

/// Picks the archive to downsample for `function` of `path` over [from, to) in about
/// `target_points` points.
pub fn resolve(
    tenant: &Tenant,
    base_rt_id: &str,
    (from, to): (i64, i64),
    path: &str,
    function: RollupFunction,
    target_points: i64,
) -> Result<Resolution, StoreError> {
    if from >= to {
        return Err(StoreError::InvalidQuery(vec![
            "the window is empty: `from` must be before `to`".into(),
        ]));
    }
    if !(1..=10_000).contains(&target_points) {
        return Err(StoreError::InvalidQuery(vec![format!(
            "`targetPoints` must be 1 to 10000, not {target_points}"
        )]));
    }
    if matches!(
        function,
        RollupFunction::TimeWeightedAvg | RollupFunction::StateDuration
    ) {
        return Err(StoreError::InvalidQuery(vec![format!(
            "`{}` is not a downsampling function: ask for Avg, Min, Max, Sum, Count, First or Last",
            function.name()
        )]));
    }
    let base = archives::load(tenant, base_rt_id)?;
    if base.rollup.is_some() {
        return Err(StoreError::InvalidQuery(vec![format!(
            "`{base_rt_id}` is a rollup: name the base (raw) archive of the series"
        )]));
    }
    if !base
        .columns
        .iter()
        .any(|column| column.eq_ignore_ascii_case(path))
    {
        return Err(StoreError::InvalidQuery(vec![format!(
            "`{path}` is not a column of the base archive; its columns are {}",
            base.columns.join(", ")
        )]));
    }
    let span = to - from;
    let ideal = span / target_points;
    let mut eligible = rungs(tenant, &base, path, function)?;
    eligible.sort_by_key(|rung| rung.grain_ms);
    if let Some(rung) = eligible.iter().rev().find(|rung| rung.grain_ms <= ideal) {
        return Ok(Resolution {
            archive_rt_id: rung.archive.clone(),
            effective_bucket_ms: ideal,
            points: target_points,
            reducing_function: function,
            columns: rung.columns.clone(),
            signal: Signal::Ok,
            actual_points: None,
            diagnostic: format!(
                "the rollup with {} ms buckets is the coarsest that stores {} of {path} and is fine enough for {target_points} points",
                rung.grain_ms,
                function.name()
            ),
        });
    }
    // A base of a declared period that fits is finer than any coarser rollup.
    let base_native = base.period_ms.map(|period| span / period);
    if let (Some(native), Some(period)) = (base_native, base.period_ms)
        && native <= target_points
    {
        return Ok(Resolution {
            archive_rt_id: base.rt_id.clone(),
            effective_bucket_ms: period,
            points: native.max(1),
            reducing_function: function,
            columns: vec![path.to_owned()],
            signal: Signal::Ok,
            actual_points: None,
            diagnostic: format!(
                "the base archive's {period} ms rows give {native} points (<= {target_points}); no reduction needed"
            ),
        });
    }
    if let Some(rung) = eligible.first() {
        let actual = (span / rung.grain_ms).max(1);
        return Ok(Resolution {
            archive_rt_id: rung.archive.clone(),
            effective_bucket_ms: rung.grain_ms,
            points: actual,
            reducing_function: function,
            columns: rung.columns.clone(),
            signal: Signal::ResolutionLimited,
            actual_points: Some(actual),
            diagnostic: format!(
                "the finest rollup storing {} of {path} has {} ms buckets: {actual} of {target_points} points",
                function.name(),
                rung.grain_ms
            ),
        });
    }
    if let Some(native) = base_native {
        return Ok(Resolution {
            archive_rt_id: base.rt_id.clone(),
            effective_bucket_ms: base.period_ms.unwrap_or(0),
            points: native,
            reducing_function: function,
            columns: vec![path.to_owned()],
            signal: Signal::NoSuitableRollup,
            actual_points: Some(native),
            diagnostic: format!(
                "no rollup stores {} of {path}; the base archive would return {native} points (> {target_points}): create a matching rollup (create_rollup_archive) or query the base explicitly",
                function.name()
            ),
        });
    }
    // Raw archives have no declared grain. The engine reduces raw points exactly with any
    // function, so the base is returned for downsampling at the target, with the signal.
    Ok(Resolution {
        archive_rt_id: base.rt_id.clone(),
        effective_bucket_ms: ideal,
        points: target_points,
        reducing_function: function,
        columns: vec![path.to_owned()],
        signal: Signal::UnknownBaseGrain,
        actual_points: None,
        diagnostic: format!(
            "no rollup stores {} of {path}; the raw archive has no declared grain — downsampling it reads every raw point of the window (exact, but the largest scan)",
            function.name()
        ),
    })
}
