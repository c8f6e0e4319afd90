//! The rollup orchestrator: closes buckets as time passes (up to now − `WatermarkLagMs`, and for a
//! rollup of a rollup never past its source's watermark), runs recompute jobs (`RecomputeJob`
//! entities, so queued work survives a restart), and serves the operator's freeze, unfreeze,
//! rewind and backfill.
//!
//! Rows are written before the watermark moves: a crash in between only makes the next run
//! recompute the same buckets, which replaces them (writes are idempotent on the bucket start).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::SeriesStore;
use super::archives::{self, Archive, ArchiveStatus};
use super::calendar::Calendar;
use super::rollup::{ROLLUP_TYPE, Rollup};
use super::store::{MAX_BATCH, Point};
use crate::store::{
    EntityInput, EntityQuery, FieldFilter, FilterGroup, FilterOperator, Logic, Platform,
    StoreError, StoredEntity, Tenant, format_rfc3339_ms,
};

/// The job type.
pub const JOB_TYPE: &str = "System.StreamData/RecomputeJob";

/// `CkRecomputeJobState` keys.
const PENDING: i64 = 0;
const RUNNING: i64 = 1;
const COMPLETED: i64 = 3;
const FAILED: i64 = 4;

/// `CkRecomputeTrigger`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Manual,
    /// Found by the orchestrator: late points below a rollup's watermark.
    Periodic,
    /// A recomputed rollup's own rollups follow it.
    ChainPropagation,
}

/// Most buckets of one series folded at once.
const BUCKETS_PER_WINDOW: i64 = 100_000;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Buckets written.
    pub rows: u64,
    /// Source series read.
    pub series: u64,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

fn invalid(message: String) -> StoreError {
    StoreError::Invalid(vec![message])
}

/// Loads a rollup archive with a definition that reads cleanly.
pub fn load_rollup(
    tenant: &Tenant,
    rt_id: &str,
) -> Result<(Archive, Rollup, Calendar), StoreError> {
    let archive = archives::load(tenant, rt_id)?;
    let rollup = match &archive.rollup {
        None => {
            return Err(invalid(format!(
                "`{rt_id}` is a `{}`, not a rollup archive",
                archive.ck_type
            )));
        }
        Some(Err(problem)) => return Err(invalid(format!("rollup `{rt_id}`: {problem}"))),
        Some(Ok(rollup)) => rollup.clone(),
    };
    let calendar = rollup.calendar().map_err(invalid)?;
    Ok((archive, rollup, calendar))
}

/// The first bucket boundary at or after `ms`.
fn ceil(calendar: &Calendar, ms: i64) -> i64 {
    let start = calendar.start_of(ms);
    if start == ms {
        ms
    } else {
        calendar.next(start)
    }
}

/// The last boundary this rollup may close at `now`.
fn cutoff(
    tenant: &Tenant,
    rollup: &Rollup,
    calendar: &Calendar,
    now: i64,
) -> Result<i64, StoreError> {
    let mut cut = calendar.start_of(now.saturating_sub(rollup.lag_ms.max(0)));
    let source = archives::load(tenant, &rollup.source)?;
    if let Some(parent) = source.rollup() {
        // A rollup of a rollup waits for its source's buckets.
        cut = cut.min(
            parent
                .watermark
                .map_or(i64::MIN, |mark| calendar.start_of(mark)),
        );
    }
    Ok(cut)
}

/// Re-aggregates the buckets of [from, to) (`from` a boundary) from the source: the rollup's rows
/// there are replaced; buckets ending at or before `FrozenUntil` are left alone.
fn compute(
    store: &SeriesStore,
    (archive, rollup, calendar): (&Archive, &Rollup, &Calendar),
    source: &Archive,
    from: i64,
    to: i64,
    scope: Option<&str>,
) -> Result<Progress, StoreError> {
    let from = match rollup.frozen_until {
        Some(frozen) => from.max(calendar.start_of(frozen)),
        None => from,
    };
    let mut progress = Progress::default();
    if from >= to {
        return Ok(progress);
    }
    let source_columns: Vec<usize> = rollup
        .aggregations
        .iter()
        .map(|aggregation| {
            source
                .columns
                .iter()
                .position(|column| *column == aggregation.source_path)
                .ok_or_else(|| {
                    invalid(format!(
                        "`{}` is no longer a column of the source archive",
                        aggregation.source_path
                    ))
                })
        })
        .collect::<Result<_, _>>()?;
    let columns = rollup.columns().len();
    let series = match scope {
        Some(one) => vec![one.to_owned()],
        None => store.series_ids(&source.rt_id)?,
    };
    store.delete_range(&archive.rt_id, scope, from, to)?;
    // Long ranges of small buckets go in windows, so that one series' points and rows in memory
    // stay bounded (a window boundary is a bucket boundary).
    let step = match calendar.alignment() {
        super::calendar::Alignment::FixedSize => {
            rollup.bucket_ms.saturating_mul(BUCKETS_PER_WINDOW)
        }
        _ => i64::MAX,
    };
    let mut batch: Vec<Point> = Vec::new();
    let mut window_from = from;
    while window_from < to {
        let window_to = window_from.saturating_add(step).min(to);
        for name in &series {
            let mut points = Vec::new();
            store.scan(
                &source.rt_id,
                name,
                window_from.saturating_sub(rollup.lookback_ms()),
                window_to,
                |ts, values| points.push((ts, values.to_vec())),
            )?;
            for (ts, values) in
                rollup.fold(calendar, &source_columns, &points, window_from, window_to)
            {
                batch.push(Point {
                    series: name.clone(),
                    ts,
                    values,
                });
                if batch.len() == MAX_BATCH {
                    store.write(&archive.rt_id, columns, &batch)?;
                    progress.rows += batch.len() as u64;
                    batch.clear();
                }
            }
        }
        window_from = window_to;
    }
    progress.series = series.len() as u64;
    store.write(&archive.rt_id, columns, &batch)?;
    progress.rows += batch.len() as u64;
    Ok(progress)
}

fn set_watermark(tenant: &Tenant, archive: &Archive, mark: Option<i64>) -> Result<(), StoreError> {
    tenant.update_entity(
        &archive.rt_id,
        Some(archive.version),
        vec![(
            "LastAggregatedBucketEnd".into(),
            mark.map_or(Value::Null, |mark| json!(format_rfc3339_ms(mark))),
        )],
    )?;
    Ok(())
}

/// Closes the buckets between the watermark (or the source's first point) and the cutoff.
pub fn advance(
    tenant: &Tenant,
    store: &SeriesStore,
    rt_id: &str,
    now: i64,
) -> Result<Progress, StoreError> {
    let (archive, rollup, calendar) = load_rollup(tenant, rt_id)?;
    if archive.status != ArchiveStatus::Activated {
        return Ok(Progress::default());
    }
    let source = archives::load(tenant, &rollup.source)?;
    let cut = cutoff(tenant, &rollup, &calendar, now)?;
    let start = match rollup.watermark {
        Some(mark) => mark,
        None => match store.stats(&source.rt_id)?.first_ts {
            Some(first) => calendar.start_of(first),
            None => return Ok(Progress::default()),
        },
    };
    if start >= cut {
        return Ok(Progress::default());
    }
    let progress = compute(
        store,
        (&archive, &rollup, &calendar),
        &source,
        start,
        cut,
        None,
    )?;
    set_watermark(tenant, &archive, Some(cut))?;
    Ok(progress)
}

/// A rollup to create (`createRollupArchive`'s input).
#[derive(Debug, Clone, Default)]
pub struct NewRollup {
    pub bucket_ms: i64,
    pub lag_ms: Option<i64>,
    /// A `BucketAlignment` name.
    pub alignment: Option<String>,
    pub zone: Option<String>,
    pub carry_lookback_ms: Option<i64>,
    pub aggregations: Vec<NewAggregation>,
    pub well_known_name: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewAggregation {
    pub source_path: String,
    /// A `CkRollupFunction` name.
    pub function: String,
    pub target: Option<String>,
    pub comparison: Option<String>,
}

/// Creates a rollup of `source` and activates it; a definition that cannot activate is refused
/// and nothing stays behind.
pub fn create_rollup(
    tenant: &Tenant,
    source: &str,
    request: NewRollup,
) -> Result<Archive, StoreError> {
    let source_archive = archives::load(tenant, source)?;
    if request.aggregations.is_empty() || request.aggregations.len() > 64 {
        return Err(invalid("`aggregations` holds 1 to 64 entries".into()));
    }
    let aggregations: Vec<Value> = request
        .aggregations
        .into_iter()
        .map(|aggregation| {
            let mut record =
                json!({"SourcePath": aggregation.source_path, "Function": aggregation.function});
            if let Some(name) = aggregation.target {
                record["TargetColumnName"] = json!(name);
            }
            if let Some(value) = aggregation.comparison {
                record["ComparisonValue"] = json!(value);
            }
            record
        })
        .collect();
    let mut attributes = vec![
        (
            "TargetCkTypeId".into(),
            json!(source_archive.target_ck_type),
        ),
        ("Columns".into(), json!([])),
        ("Status".into(), json!("Created")),
        ("RecomputeInProgress".into(), json!(false)),
        ("SourceArchiveRtId".into(), json!(source)),
        ("BucketSizeMs".into(), json!(request.bucket_ms)),
        (
            "WatermarkLagMs".into(),
            json!(request.lag_ms.unwrap_or(300_000)),
        ),
        ("Aggregations".into(), Value::Array(aggregations)),
    ];
    if let Some(alignment) = request.alignment {
        attributes.push(("BucketAlignment".into(), json!(alignment)));
    }
    if let Some(zone) = request.zone {
        attributes.push(("ReferenceTimeZone".into(), json!(zone)));
    }
    if let Some(lookback) = request.carry_lookback_ms {
        attributes.push(("CarryLookbackMs".into(), json!(lookback)));
    }
    let created = tenant.create_entity(EntityInput {
        rt_id: None,
        ck_type: ROLLUP_TYPE.into(),
        well_known_name: request.well_known_name,
        attributes,
        associations: Vec::new(),
    })?;
    archives::transition(tenant, &created.rt_id, archives::Transition::Activate).inspect_err(|_| {
        let _ = tenant.delete_entity(&created.rt_id, None, crate::store::DeleteMode::Erase);
    })
}

/// Sets `FrozenUntil`; it only moves forward.
pub fn freeze(tenant: &Tenant, rt_id: &str, until: i64) -> Result<Archive, StoreError> {
    let (archive, rollup, _) = load_rollup(tenant, rt_id)?;
    if let Some(current) = rollup.frozen_until.filter(|current| until < *current) {
        return Err(invalid(format!(
            "rollup `{rt_id}` is frozen until {}; freezing only moves forward",
            format_rfc3339_ms(current)
        )));
    }
    tenant.update_entity(
        rt_id,
        Some(archive.version),
        vec![("FrozenUntil".into(), json!(format_rfc3339_ms(until)))],
    )?;
    archives::load(tenant, rt_id)
}

/// Clears `FrozenUntil`. When the source no longer holds the frozen range, later recomputes
/// would leave gaps there: that needs `accept_gaps`.
pub fn unfreeze(
    tenant: &Tenant,
    store: &SeriesStore,
    rt_id: &str,
    accept_gaps: bool,
) -> Result<Archive, StoreError> {
    let (archive, rollup, _) = load_rollup(tenant, rt_id)?;
    if let Some(frozen) = rollup.frozen_until {
        let kept = store.stats(&archive.rt_id)?.first_ts;
        let source_first = store.stats(&rollup.source)?.first_ts;
        let truncated = match (kept, source_first) {
            (Some(kept), Some(first)) => kept < first.min(frozen),
            (Some(kept), None) => kept < frozen,
            _ => false,
        };
        if truncated && !accept_gaps {
            return Err(invalid(format!(
                "the source of rollup `{rt_id}` no longer holds all of the frozen range (up to {}): a recompute there would leave gaps. Call again with acceptGaps=true to unfreeze anyway",
                format_rfc3339_ms(frozen)
            )));
        }
    }
    tenant.update_entity(
        rt_id,
        Some(archive.version),
        vec![("FrozenUntil".into(), Value::Null)],
    )?;
    archives::load(tenant, rt_id)
}

/// Moves the watermark back to `to_bucket_end` (truncated to a boundary); the orchestrator then
/// aggregates the range again.
pub fn rewind(tenant: &Tenant, rt_id: &str, to_bucket_end: i64) -> Result<Archive, StoreError> {
    let (archive, rollup, calendar) = load_rollup(tenant, rt_id)?;
    let target = calendar.start_of(to_bucket_end);
    match rollup.watermark {
        Some(mark) if target > mark => {
            return Err(invalid(format!(
                "rollup `{rt_id}` has aggregated up to {}; a rewind moves the watermark back, not to {}",
                format_rfc3339_ms(mark),
                format_rfc3339_ms(target)
            )));
        }
        None => {
            return Err(invalid(format!(
                "rollup `{rt_id}` has not aggregated anything yet: there is nothing to rewind"
            )));
        }
        Some(_) => {}
    }
    set_watermark(tenant, &archive, Some(target))?;
    archives::load(tenant, rt_id)
}

fn job_query(filter: Vec<FieldFilter>) -> EntityQuery {
    let mut query = EntityQuery::of_type(JOB_TYPE);
    query.limit = crate::store::MAX_LIMIT;
    query.filter = Some(FilterGroup {
        logic: Logic::And,
        fields: filter,
        nested: Vec::new(),
    });
    query
}

fn equals(path: &str, value: Value) -> FieldFilter {
    FieldFilter {
        attribute_path: path.into(),
        operator: FilterOperator::Equals,
        value: Some(value),
        second_value: None,
    }
}

/// Queues a recompute of [from, to) (optionally one series); a pending job of the same rollup
/// and scope is widened instead of queueing another.
pub fn queue_job(
    tenant: &Tenant,
    rt_id: &str,
    from: i64,
    to: i64,
    scope: Option<&str>,
    trigger: Trigger,
) -> Result<StoredEntity, StoreError> {
    if from >= to {
        return Err(invalid(format!(
            "the range is empty: `from` ({}) must be before `to` ({})",
            format_rfc3339_ms(from),
            format_rfc3339_ms(to)
        )));
    }
    load_rollup(tenant, rt_id)?;
    let pending = tenant.query_entities(&job_query(vec![
        equals("ArchiveRtId", json!(rt_id)),
        equals("State", json!(PENDING)),
    ]))?;
    let time = |name: &str, job: &StoredEntity| {
        job.attributes
            .get(name)
            .and_then(Value::as_str)
            .and_then(crate::store::parse_rfc3339_ms)
    };
    if let Some(job) = pending
        .entities
        .iter()
        .find(|job| job.attributes.get("RtIdScope").and_then(Value::as_str) == scope)
    {
        let start = time("RangeStart", job).map_or(from, |start| start.min(from));
        let end = time("RangeEnd", job).map_or(to, |end| end.max(to));
        return tenant.update_entity(
            &job.rt_id,
            Some(job.version),
            vec![
                ("RangeStart".into(), json!(format_rfc3339_ms(start))),
                ("RangeEnd".into(), json!(format_rfc3339_ms(end))),
            ],
        );
    }
    let mut attributes = vec![
        ("ArchiveRtId".into(), json!(rt_id)),
        ("State".into(), json!(PENDING)),
        ("Trigger".into(), json!(trigger as i64)),
        ("RangeStart".into(), json!(format_rfc3339_ms(from))),
        ("RangeEnd".into(), json!(format_rfc3339_ms(to))),
    ];
    if let Some(scope) = scope {
        attributes.push(("RtIdScope".into(), json!(scope)));
    }
    tenant.create_entity(EntityInput {
        rt_id: None,
        ck_type: JOB_TYPE.into(),
        well_known_name: None,
        attributes,
        associations: Vec::new(),
    })
}

/// Queues a recompute of the rollup over its source's whole history; `None` when the source
/// holds nothing.
pub fn backfill(
    tenant: &Tenant,
    store: &SeriesStore,
    rt_id: &str,
    now: i64,
) -> Result<Option<StoredEntity>, StoreError> {
    let (_, rollup, calendar) = load_rollup(tenant, rt_id)?;
    let Some(first) = store.stats(&rollup.source)?.first_ts else {
        return Ok(None);
    };
    let from = calendar.start_of(first);
    queue_job(
        tenant,
        rt_id,
        from,
        now.max(from + 1),
        None,
        Trigger::Manual,
    )
    .map(Some)
}

/// The newest jobs of a rollup (at most 50), newest first.
pub fn jobs_of(tenant: &Tenant, rt_id: &str) -> Result<Vec<StoredEntity>, StoreError> {
    let mut jobs = tenant
        .query_entities(&job_query(vec![equals("ArchiveRtId", json!(rt_id))]))?
        .entities;
    jobs.sort_by(|a, b| b.created.cmp(&a.created).then(b.rt_id.cmp(&a.rt_id)));
    jobs.truncate(50);
    Ok(jobs)
}

/// Runs one job: recomputes its range (capped at what the rollup may close now), moves the
/// watermark when the job reached past it, queues the rollup's own rollups, and records the
/// outcome on the job.
pub fn run_job(
    tenant: &Tenant,
    store: &SeriesStore,
    job: &StoredEntity,
    now: i64,
) -> Result<Progress, StoreError> {
    let started = now_ms();
    let text = |name: &str| job.attributes.get(name).and_then(Value::as_str);
    let rt_id = text("ArchiveRtId").unwrap_or_default().to_owned();
    let scope = text("RtIdScope").map(str::to_owned);
    let job = tenant.update_entity(
        &job.rt_id,
        Some(job.version),
        vec![
            ("State".into(), json!(RUNNING)),
            ("StartedAt".into(), json!(format_rfc3339_ms(started))),
        ],
    )?;
    let outcome = (|| -> Result<(Progress, Option<(i64, i64)>), StoreError> {
        let (archive, rollup, calendar) = load_rollup(tenant, &rt_id)?;
        if archive.status != ArchiveStatus::Activated {
            return Err(invalid(format!(
                "rollup `{rt_id}` is {}: it recomputes only while Activated",
                archive.status.name()
            )));
        }
        let source = archives::load(tenant, &rollup.source)?;
        let parse = |name: &str| text(name).and_then(crate::store::parse_rfc3339_ms);
        let (Some(from), Some(to)) = (parse("RangeStart"), parse("RangeEnd")) else {
            return Err(invalid("the job has no valid range".into()));
        };
        let cut = cutoff(tenant, &rollup, &calendar, now)?;
        let (from, to) = (calendar.start_of(from), ceil(&calendar, to).min(cut));
        let progress = compute(
            store,
            (&archive, &rollup, &calendar),
            &source,
            from,
            to,
            scope.as_deref(),
        )?;
        if scope.is_none() && to > rollup.watermark.unwrap_or(i64::MIN) {
            set_watermark(tenant, &archive, Some(to))?;
        }
        Ok((progress, (from < to).then_some((from, to))))
    })();
    let finished = now_ms();
    let mut changes = vec![
        ("FinishedAt".into(), json!(format_rfc3339_ms(finished))),
        (
            "DurationMs".into(),
            json!((finished - started).min(i64::from(i32::MAX))),
        ),
    ];
    match &outcome {
        Ok((progress, range)) => {
            changes.push(("State".into(), json!(COMPLETED)));
            changes.push((
                "RowsProcessed".into(),
                json!(progress.rows.min(i32::MAX as u64)),
            ));
            changes.push((
                "WindowsProcessed".into(),
                json!(progress.series.min(i32::MAX as u64)),
            ));
            if let Some((from, to)) = range {
                for dependent in archives::rollups_of(tenant, &rt_id)? {
                    let behind = dependent
                        .rollup()
                        .and_then(|rollup| rollup.watermark)
                        .is_some_and(|mark| mark > *from);
                    if dependent.status == ArchiveStatus::Activated && behind {
                        queue_job(
                            tenant,
                            &dependent.rt_id,
                            *from,
                            *to,
                            scope.as_deref(),
                            Trigger::ChainPropagation,
                        )?;
                    }
                }
            }
        }
        Err(error) => {
            changes.push(("State".into(), json!(FAILED)));
            changes.push(("ErrorReason".into(), json!(error.to_string())));
        }
    }
    tenant.update_entity(&job.rt_id, Some(job.version), changes)?;
    outcome.map(|(progress, _)| progress)
}

/// After points were written to `source` over [first, last]: rollups that already aggregated part
/// of that range get a recompute job for it.
pub fn note_late_points(
    tenant: &Tenant,
    source: &str,
    first: i64,
    last: i64,
) -> Result<(), StoreError> {
    for dependent in archives::rollups_of(tenant, source)? {
        let Some(mark) = dependent.rollup().and_then(|rollup| rollup.watermark) else {
            continue;
        };
        if dependent.status == ArchiveStatus::Activated && first < mark {
            queue_job(
                tenant,
                &dependent.rt_id,
                first,
                (last + 1).min(mark),
                None,
                Trigger::Periodic,
            )?;
        }
    }
    Ok(())
}

/// How many rollups stand between `archive` and a raw archive (bounded).
fn depth(tenant: &Tenant, archive: &Archive) -> usize {
    let mut depth = 0;
    let mut source = archive.rollup().map(|rollup| rollup.source.clone());
    while let Some(id) = source.filter(|_| depth < 16) {
        depth += 1;
        source = archives::load(tenant, &id)
            .ok()
            .and_then(|archive| archive.rollup().map(|rollup| rollup.source.clone()));
    }
    depth
}

/// One pass over a tenant: pending jobs, then every activated rollup, sources before their
/// rollups. Failures are logged and retried on the next pass.
pub fn tick_tenant(tenant: &Tenant, store: &SeriesStore, now: i64) {
    let jobs = tenant.query_entities(&job_query(vec![FieldFilter {
        attribute_path: "State".into(),
        operator: FilterOperator::In,
        value: Some(json!([PENDING, RUNNING])),
        second_value: None,
    }]));
    for job in jobs.map(|page| page.entities).unwrap_or_default() {
        if let Err(error) = run_job(tenant, store, &job, now) {
            tracing::warn!(job = %job.rt_id, %error, "A rollup recompute job failed.");
        }
    }
    let mut query = EntityQuery::of_type(ROLLUP_TYPE);
    query.limit = crate::store::MAX_LIMIT;
    query.filter = Some(FilterGroup {
        logic: Logic::And,
        fields: vec![equals("Status", json!(1))],
        nested: Vec::new(),
    });
    let Ok(page) = tenant.query_entities(&query) else {
        return;
    };
    let mut rollups: Vec<Archive> = page
        .entities
        .iter()
        .filter_map(|entity| archives::load(tenant, &entity.rt_id).ok())
        .collect();
    rollups.sort_by_cached_key(|archive| depth(tenant, archive));
    for archive in rollups {
        if let Err(error) = advance(tenant, store, &archive.rt_id, now) {
            tracing::warn!(rollup = %archive.rt_id, %error, "A rollup could not advance.");
        }
    }
}

/// Whether a tenant has any rollup or job (so that idle tenants' stores stay closed).
fn has_rollups(tenant: &Tenant) -> bool {
    [ROLLUP_TYPE, JOB_TYPE].iter().any(|ck_type| {
        let mut query = EntityQuery::of_type(*ck_type);
        query.limit = 1;
        tenant
            .query_entities(&query)
            .is_ok_and(|page| page.total_count > 0)
    })
}

/// Runs the orchestrator (until the task is aborted): a pass every `every`, and at once when
/// [`Platform::wake_rollups`] is called.
pub async fn run(platform: Arc<Platform>, every: Duration) {
    let wake = platform.rollup_wake();
    // Held weakly between passes, so that stopping the server releases the data directory.
    let weak = Arc::downgrade(&platform);
    drop(platform);
    loop {
        let Some(pass) = weak.upgrade() else {
            return;
        };
        let _ = tokio::task::spawn_blocking(move || {
            let now = now_ms();
            for id in pass.tenant_ids().unwrap_or_default() {
                let Ok(tenant) = pass.tenant(&id) else {
                    continue;
                };
                if !has_rollups(&tenant) {
                    continue;
                }
                if let Ok(store) = pass.series(&id) {
                    tick_tenant(&tenant, &store, now);
                }
            }
        })
        .await;
        let _ = tokio::time::timeout(every, wake.notified()).await;
    }
}
