//! Archives are runtime entities of `System.StreamData/Archive` subtypes (`RawArchive`, …): a target
//! CK type, columns (`CkArchiveColumn` records: attribute paths of the target type) and a status.
//! The lifecycle is Created → Activated ⇄ Disabled, and Failed (retry) when activation finds the
//! definition unusable; each transition is one versioned entity update.

use serde_json::{Value, json};

use super::rollup::{ROLLUP_TYPE, Rollup};
use crate::ck::model::{ElementId, ValueType};
use crate::store::{
    EntityQuery, FieldFilter, FilterGroup, FilterOperator, Logic, StoreError, Tenant,
};

/// The abstract base type of archives.
pub const ARCHIVE_TYPE: &str = "System.StreamData/Archive";

/// `CkArchiveStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveStatus {
    Created,
    Activated,
    Disabled,
    Failed,
}

impl ArchiveStatus {
    fn key(self) -> i64 {
        match self {
            ArchiveStatus::Created => 0,
            ArchiveStatus::Activated => 1,
            ArchiveStatus::Disabled => 2,
            ArchiveStatus::Failed => 3,
        }
    }

    pub(crate) fn from_key(key: i64) -> Option<ArchiveStatus> {
        Some(match key {
            0 => ArchiveStatus::Created,
            1 => ArchiveStatus::Activated,
            2 => ArchiveStatus::Disabled,
            3 => ArchiveStatus::Failed,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ArchiveStatus::Created => "Created",
            ArchiveStatus::Activated => "Activated",
            ArchiveStatus::Disabled => "Disabled",
            ArchiveStatus::Failed => "Failed",
        }
    }
}

/// What an operator asks of an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Activate,
    Disable,
    Enable,
    Retry,
}

/// An archive as the engine uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Archive {
    pub rt_id: String,
    pub ck_type: String,
    pub target_ck_type: String,
    /// Attribute paths of the target type, in column order.
    pub columns: Vec<String>,
    pub status: ArchiveStatus,
    pub version: u64,
    /// A rollup's definition (or why it cannot be read); `None` for other archives.
    pub rollup: Option<Result<Rollup, String>>,
    /// A `TimeRangeArchive`: each row holds a [from, to) window (stored at `from`, with `to` in
    /// a trailing storage column).
    pub time_range: bool,
    /// The declared window length of a time-range archive (`Period`), when it is a fixed one.
    pub period_ms: Option<i64>,
}

/// The time-range archive type.
pub const TIME_RANGE_TYPE: &str = "System.StreamData/TimeRangeArchive";

impl Archive {
    /// Values stored per point: the columns, and a time-range archive's window end.
    pub fn storage_columns(&self) -> usize {
        self.columns.len() + usize::from(self.time_range)
    }

    /// The rollup definition of a rollup archive that reads cleanly.
    pub fn rollup(&self) -> Option<&Rollup> {
        self.rollup.as_ref().and_then(|rollup| rollup.as_ref().ok())
    }
}

fn invalid(message: String) -> StoreError {
    StoreError::Invalid(vec![message])
}

/// Reads archive `rt_id` of `tenant`.
pub fn load(tenant: &Tenant, rt_id: &str) -> Result<Archive, StoreError> {
    let entity = tenant
        .get_entity(rt_id)?
        .filter(|entity| !entity.archived)
        .ok_or_else(|| StoreError::NotFound(rt_id.to_owned()))?;
    let is_archive = {
        let catalog = tenant.catalog();
        let base = ElementId::parse(ARCHIVE_TYPE).expect("a literal id");
        ElementId::parse(&entity.ck_type).is_some_and(|id| catalog.derives_from(&id, &base))
    };
    if !is_archive {
        return Err(invalid(format!(
            "`{rt_id}` is a `{}`, not an archive",
            entity.ck_type
        )));
    }
    let attributes = &entity.attributes;
    let columns = attributes
        .get("Columns")
        .and_then(Value::as_array)
        .map(|columns| {
            columns
                .iter()
                .filter_map(|column| column.get("Path").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let status = attributes
        .get("Status")
        .and_then(Value::as_i64)
        .and_then(ArchiveStatus::from_key)
        .unwrap_or(ArchiveStatus::Created);
    let rollup = (entity.ck_type == ROLLUP_TYPE).then(|| Rollup::from_attributes(attributes));
    let time_range = entity.ck_type == TIME_RANGE_TYPE;
    let period_ms = attributes
        .get("Period")
        .and_then(Value::as_str)
        .and_then(period_ms);
    Ok(Archive {
        rollup,
        time_range,
        period_ms,
        rt_id: entity.rt_id,
        ck_type: entity.ck_type,
        target_ck_type: attributes
            .get("TargetCkTypeId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        columns,
        status,
        version: entity.version,
    })
}

/// A `TimeSpan` as milliseconds: ISO 8601 (`PT15M`, `P1D`; days of 24 hours) or .NET
/// (`[d.]hh:mm:ss[.fff]`). Months and years have no fixed length: `None`.
pub fn period_ms(text: &str) -> Option<i64> {
    if text.starts_with('P') || text.starts_with("-P") {
        let span: jiff::Span = text.parse().ok()?;
        let total = span
            .total((
                jiff::Unit::Millisecond,
                jiff::SpanRelativeTo::days_are_24_hours(),
            ))
            .ok()?;
        return Some(total as i64).filter(|ms| *ms > 0);
    }
    let (days, clock) = match text.split_once('.') {
        Some((days, clock)) if clock.contains(':') => (days.parse::<i64>().ok()?, clock),
        _ => (0, text),
    };
    let mut parts = clock.split(':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next()?.parse().ok()?;
    let ms = ((days * 24 + hours) * 60 + minutes) * 60_000 + (seconds * 1000.0).round() as i64;
    Some(ms).filter(|ms| *ms > 0)
}

/// The rollups whose source is `source` (not deleted), in creation order.
pub fn rollups_of(tenant: &Tenant, source: &str) -> Result<Vec<Archive>, StoreError> {
    let mut query = EntityQuery::of_type(ROLLUP_TYPE);
    query.limit = crate::store::MAX_LIMIT;
    query.filter = Some(FilterGroup {
        logic: Logic::And,
        fields: vec![FieldFilter {
            attribute_path: "SourceArchiveRtId".into(),
            operator: FilterOperator::Equals,
            value: Some(json!(source)),
            second_value: None,
        }],
        nested: Vec::new(),
    });
    tenant
        .query_entities(&query)?
        .entities
        .iter()
        .map(|entity| load(tenant, &entity.rt_id))
        .collect()
}

/// Why a rollup cannot run: its definition, its source, or a source column.
fn rollup_problem(tenant: &Tenant, archive: &Archive, rollup: &Rollup) -> Option<String> {
    if rollup.aggregations.is_empty() {
        return Some("the rollup has no aggregations".into());
    }
    if let Err(problem) = rollup.calendar() {
        return Some(problem);
    }
    if rollup.source == archive.rt_id {
        return Some("a rollup cannot aggregate itself".into());
    }
    let source = match load(tenant, &rollup.source) {
        Ok(source) => source,
        Err(_) => {
            return Some(format!(
                "the source archive `{}` does not exist",
                rollup.source
            ));
        }
    };
    for aggregation in &rollup.aggregations {
        if !source.columns.contains(&aggregation.source_path) {
            return Some(format!(
                "`{}` is not a column of the source archive; its columns are {}",
                aggregation.source_path,
                source.columns.join(", ")
            ));
        }
    }
    if let Some(parent) = source.rollup()
        && rollup.alignment == super::calendar::Alignment::FixedSize
        && parent.alignment == super::calendar::Alignment::FixedSize
        && (parent.bucket_ms <= 0 || rollup.bucket_ms % parent.bucket_ms != 0)
    {
        return Some(format!(
            "the bucket size {} ms is not a multiple of the source rollup's {} ms",
            rollup.bucket_ms, parent.bucket_ms
        ));
    }
    let mut columns = rollup.columns();
    columns.sort();
    if columns.windows(2).any(|pair| pair[0] == pair[1]) {
        return Some(
            "two aggregations write the same column: give them distinct `TargetColumnName`s".into(),
        );
    }
    None
}

/// Why an archive cannot hold data: its target type or a column does not work.
fn definition_problem(tenant: &Tenant, archive: &Archive) -> Option<String> {
    match &archive.rollup {
        Some(Err(problem)) => return Some(problem.clone()),
        Some(Ok(rollup)) => return rollup_problem(tenant, archive, rollup),
        None => {}
    }
    let catalog = tenant.catalog();
    let Some(target) =
        ElementId::parse(&archive.target_ck_type).filter(|id| catalog.ck_type(id).is_some())
    else {
        return Some(format!(
            "the target type `{}` is not installed",
            archive.target_ck_type
        ));
    };
    if archive.columns.is_empty() {
        return Some("the archive has no columns".into());
    }
    let paths = catalog.attribute_paths(&target, 5);
    for column in &archive.columns {
        match paths.iter().find(|(path, _)| path == column) {
            None => {
                return Some(format!(
                    "column `{column}` is not an attribute path of `{}`",
                    archive.target_ck_type
                ));
            }
            Some((_, value_type))
                if !matches!(
                    value_type,
                    ValueType::Int | ValueType::Int64 | ValueType::Double | ValueType::Boolean
                ) =>
            {
                return Some(format!(
                    "column `{column}` is not numeric: stream data holds numbers"
                ));
            }
            Some(_) => {}
        }
    }
    None
}

/// Applies `transition` to archive `rt_id`; refused transitions say which are allowed.
pub fn transition(
    tenant: &Tenant,
    rt_id: &str,
    transition: Transition,
) -> Result<Archive, StoreError> {
    let archive = load(tenant, rt_id)?;
    use ArchiveStatus as S;
    let allowed = matches!(
        (transition, archive.status),
        (Transition::Activate, S::Created)
            | (Transition::Disable, S::Activated)
            | (Transition::Enable, S::Disabled)
            | (Transition::Retry, S::Failed)
    );
    if !allowed {
        let hint = match archive.status {
            S::Created => "activate it",
            S::Activated => "disable it",
            S::Disabled => "enable it",
            S::Failed => "retry its activation",
        };
        return Err(invalid(format!(
            "archive `{rt_id}` is {}: {transition:?} does not apply; you can {hint}",
            archive.status.name()
        )));
    }
    let target = match transition {
        Transition::Disable => S::Disabled,
        Transition::Activate | Transition::Enable | Transition::Retry => {
            if definition_problem(tenant, &archive).is_some() {
                S::Failed
            } else {
                S::Activated
            }
        }
    };
    let mut changes = vec![("Status".into(), json!(target.key()))];
    // A rollup's columns and target type follow from its aggregations and source when it is
    // activated, and stay fixed afterwards.
    if let (S::Activated, Some(rollup), Transition::Activate | Transition::Retry) =
        (target, archive.rollup(), transition)
    {
        let columns: Vec<Value> = rollup
            .columns()
            .into_iter()
            .map(|name| json!({"Path": name, "Required": false, "Indexed": false}))
            .collect();
        changes.push(("Columns".into(), Value::Array(columns)));
        if let Ok(source) = load(tenant, &rollup.source) {
            changes.push(("TargetCkTypeId".into(), json!(source.target_ck_type)));
        }
    }
    tenant.update_entity(rt_id, Some(archive.version), changes)?;
    if target == S::Failed {
        let problem = definition_problem(tenant, &archive).unwrap_or_default();
        return Err(invalid(format!(
            "archive `{rt_id}` could not be activated ({problem}); it is Failed: fix the definition, then retry"
        )));
    }
    load(tenant, rt_id)
}
