//! Rollups against an oracle computed from the generated points: hourly functions, Vienna
//! calendar days across the change to summer time, a rollup of a rollup, late points, freeze,
//! rewind, and refused definitions.

use std::collections::BTreeMap;

use serde_json::json;

use super::SeriesStore;
use super::archives::{Transition, load, transition};
use super::orchestrator::{
    NewAggregation, NewRollup, advance, create_rollup, freeze, jobs_of, note_late_points, rewind,
    tick_tenant,
};
use super::store::Point;
use crate::demo::{DEMO_TENANT, DemoSize, seed};
use crate::store::{EntityInput, Platform, Tenant, parse_rfc3339_ms};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;

fn ms(text: &str) -> i64 {
    parse_rfc3339_ms(text).unwrap()
}

fn value(series: usize, minute: i64) -> f64 {
    ((minute * 7 + series as i64 * 13) % 101) as f64 - 50.0
}

struct Fixture {
    _platform: Platform,
    dir: std::path::PathBuf,
    tenant: std::sync::Arc<Tenant>,
    store: std::sync::Arc<SeriesStore>,
    raw: String,
    series: Vec<String>,
    start: i64,
    minutes: i64,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A raw archive with two series, a point a minute for three days from 2026-03-28 (Vienna
/// switches to summer time on the 29th).
fn fixture(name: &str) -> Fixture {
    let dir = std::env::temp_dir().join(format!("octomesh-rollups-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let platform = Platform::open(&dir, crate::builtin::builtin_libraries()).unwrap();
    seed(
        &platform,
        DEMO_TENANT,
        DemoSize {
            sites: 1,
            machines_per_site: 1,
            sensors_per_machine: 2,
        },
    )
    .unwrap();
    let tenant = platform.tenant(DEMO_TENANT).unwrap();
    let store = platform.series(DEMO_TENANT).unwrap();
    let raw = tenant
        .create_entity(EntityInput {
            ck_type: "System.StreamData/RawArchive".into(),
            rt_id: None,
            well_known_name: None,
            attributes: vec![
                ("TargetCkTypeId".into(), json!("Demo/Sensor")),
                (
                    "Columns".into(),
                    json!([{"Path": "LastValue", "Required": true, "Indexed": false}]),
                ),
                ("Status".into(), json!("Created")),
                ("RecomputeInProgress".into(), json!(false)),
            ],
            associations: Vec::new(),
        })
        .unwrap()
        .rt_id;
    transition(&tenant, &raw, Transition::Activate).unwrap();
    let series = vec!["s0".to_owned(), "s1".to_owned()];
    let start = ms("2026-03-28T00:00:00Z");
    let minutes = 3 * 24 * 60;
    let points: Vec<Point> = (0..minutes)
        .flat_map(|minute| {
            series.iter().enumerate().map(move |(idx, name)| Point {
                series: name.clone(),
                ts: start + minute * MINUTE,
                values: vec![Some(value(idx, minute))],
            })
        })
        .collect();
    store.write(&raw, 1, &points).unwrap();
    Fixture {
        _platform: platform,
        dir,
        tenant,
        store,
        raw,
        series,
        start,
        minutes,
    }
}

fn aggregation(path: &str, function: &str) -> NewAggregation {
    NewAggregation {
        source_path: path.into(),
        function: function.into(),
        ..NewAggregation::default()
    }
}

/// The rows of `archive`'s `series` as (ts → values).
fn rows(fixture: &Fixture, archive: &str, series: &str) -> BTreeMap<i64, Vec<Option<f64>>> {
    let mut rows = BTreeMap::new();
    fixture
        .store
        .scan(archive, series, i64::MIN, i64::MAX, |ts, values| {
            rows.insert(ts, values.to_vec());
        })
        .unwrap();
    rows
}

/// The oracle: the values of series `idx` in [from, to).
fn source_values(fixture: &Fixture, idx: usize, from: i64, to: i64) -> Vec<f64> {
    (0..fixture.minutes)
        .filter(|minute| {
            let ts = fixture.start + minute * MINUTE;
            ts >= from && ts < to
        })
        .map(|minute| value(idx, minute))
        .collect()
}

#[test]
fn hourly_functions_and_vienna_days_match_the_oracle() {
    let fixture = fixture("hourly");
    let tenant = &fixture.tenant;
    let hourly = create_rollup(
        tenant,
        &fixture.raw,
        NewRollup {
            bucket_ms: HOUR,
            lag_ms: Some(0),
            aggregations: ["Avg", "Min", "Max", "Count", "First", "Last", "Sum"]
                .iter()
                .map(|function| aggregation("LastValue", function))
                .collect(),
            ..NewRollup::default()
        },
    )
    .unwrap();
    assert_eq!(
        hourly.columns,
        [
            "lastvalue_avg_sum",
            "lastvalue_avg_count",
            "lastvalue_min",
            "lastvalue_max",
            "lastvalue_count",
            "lastvalue_first",
            "lastvalue_last",
            "lastvalue_sum"
        ]
    );
    let daily = create_rollup(
        tenant,
        &fixture.raw,
        NewRollup {
            bucket_ms: 86_400_000,
            lag_ms: Some(0),
            alignment: Some("CalendarDay".into()),
            zone: Some("Europe/Vienna".into()),
            aggregations: vec![
                aggregation("LastValue", "Sum"),
                aggregation("LastValue", "Count"),
            ],
            ..NewRollup::default()
        },
    )
    .unwrap();
    // A day rollup of the hourly one: sums of the stored sums and counts give exact averages.
    let chained = create_rollup(
        tenant,
        &hourly.rt_id,
        NewRollup {
            bucket_ms: 86_400_000,
            lag_ms: Some(0),
            aggregations: vec![
                aggregation("lastvalue_avg_sum", "Sum"),
                aggregation("lastvalue_avg_count", "Sum"),
            ],
            ..NewRollup::default()
        },
    )
    .unwrap();

    let end = fixture.start + fixture.minutes * MINUTE;
    // Half an hour into the last hour: that hour is not closed yet.
    let now = end - 30 * MINUTE;
    tick_tenant(tenant, &fixture.store, now);
    let hourly_after = load(tenant, &hourly.rt_id).unwrap();
    assert_eq!(hourly_after.rollup().unwrap().watermark, Some(end - HOUR));

    for (idx, series) in fixture.series.iter().enumerate() {
        let rows = rows(&fixture, &hourly.rt_id, series);
        assert_eq!(rows.len() as i64, 3 * 24 - 1, "hours of {series}");
        for (start, values) in &rows {
            let expected = source_values(&fixture, idx, *start, start + HOUR);
            let sum: f64 = expected.iter().sum();
            let min = expected.iter().copied().fold(f64::INFINITY, f64::min);
            let max = expected.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(
                values,
                &vec![
                    Some(sum),
                    Some(expected.len() as f64),
                    Some(min),
                    Some(max),
                    Some(expected.len() as f64),
                    Some(expected[0]),
                    Some(*expected.last().unwrap()),
                    Some(sum)
                ],
                "hour {start} of {series}"
            );
        }
        // Vienna days: the 28th starts at 23:00 UTC on the 27th; the 29th has 23 hours.
        let days = self::rows(&fixture, &daily.rt_id, series);
        let starts: Vec<i64> = days.keys().copied().collect();
        assert_eq!(
            starts,
            [
                ms("2026-03-27T23:00:00Z"),
                ms("2026-03-28T23:00:00Z"),
                ms("2026-03-29T22:00:00Z")
            ]
        );
        let day_29 = source_values(&fixture, idx, starts[1], starts[2]);
        assert_eq!(day_29.len(), 23 * 60);
        assert_eq!(
            days[&starts[1]],
            vec![Some(day_29.iter().sum()), Some(day_29.len() as f64)]
        );
    }
    // The chained rollup waits for the hourly watermark; its days are UTC days.
    let chained_rows = rows(&fixture, &chained.rt_id, "s1");
    assert_eq!(
        chained_rows.len(),
        2,
        "the third day is not closed upstream"
    );
    let day = ms("2026-03-29T00:00:00Z");
    let expected = source_values(&fixture, 1, day, day + 86_400_000);
    assert_eq!(
        chained_rows[&day],
        vec![Some(expected.iter().sum()), Some(expected.len() as f64)]
    );

    // A late correction below the watermark queues a recompute; the next pass applies it and
    // propagates to the chained rollup.
    let late = ms("2026-03-29T10:30:00Z");
    fixture
        .store
        .write(
            &fixture.raw,
            1,
            &[Point {
                series: "s1".into(),
                ts: late,
                values: vec![Some(1000.0)],
            }],
        )
        .unwrap();
    note_late_points(tenant, &fixture.raw, late, late).unwrap();
    assert_eq!(jobs_of(tenant, &hourly.rt_id).unwrap().len(), 1);
    tick_tenant(tenant, &fixture.store, now);
    tick_tenant(tenant, &fixture.store, now);
    let hour = rows(&fixture, &hourly.rt_id, "s1")[&ms("2026-03-29T10:00:00Z")].clone();
    assert_eq!(hour[3], Some(1000.0), "the max saw the correction");
    let corrected: f64 = source_values(&fixture, 1, day, day + 86_400_000)
        .iter()
        .sum::<f64>()
        - value(1, (late - fixture.start) / MINUTE)
        + 1000.0;
    assert_eq!(
        rows(&fixture, &chained.rt_id, "s1")[&day][0],
        Some(corrected)
    );
    let job = &jobs_of(tenant, &hourly.rt_id).unwrap()[0];
    assert_eq!(job.attributes["State"], json!(3), "{job:?}");
}

#[test]
fn freeze_rewind_and_refused_definitions() {
    let fixture = fixture("freeze");
    let tenant = &fixture.tenant;
    let hourly = create_rollup(
        tenant,
        &fixture.raw,
        NewRollup {
            bucket_ms: HOUR,
            lag_ms: Some(0),
            aggregations: vec![aggregation("LastValue", "Max")],
            ..NewRollup::default()
        },
    )
    .unwrap();
    let end = fixture.start + fixture.minutes * MINUTE;
    advance(tenant, &fixture.store, &hourly.rt_id, end).unwrap();
    let before = rows(&fixture, &hourly.rt_id, "s0");
    assert_eq!(before.len() as i64, 72);

    // Frozen hours keep their rows even when the source changes and the range is recomputed.
    let frozen = fixture.start + 24 * HOUR;
    freeze(tenant, &hourly.rt_id, frozen).unwrap();
    let refused = freeze(tenant, &hourly.rt_id, frozen - HOUR)
        .unwrap_err()
        .to_string();
    assert!(refused.contains("only moves forward"), "{refused}");
    let early = fixture.start + 5 * HOUR;
    let later = fixture.start + 30 * HOUR;
    fixture
        .store
        .write(
            &fixture.raw,
            1,
            &[
                Point {
                    series: "s0".into(),
                    ts: early,
                    values: vec![Some(500.0)],
                },
                Point {
                    series: "s0".into(),
                    ts: later,
                    values: vec![Some(600.0)],
                },
            ],
        )
        .unwrap();
    rewind(
        tenant,
        &hourly.rt_id,
        fixture.start + 2 * HOUR + 17 * MINUTE,
    )
    .unwrap();
    assert_eq!(
        load(tenant, &hourly.rt_id)
            .unwrap()
            .rollup()
            .unwrap()
            .watermark,
        Some(fixture.start + 2 * HOUR),
        "truncated to the bucket boundary"
    );
    let forward = rewind(tenant, &hourly.rt_id, end + HOUR)
        .unwrap_err()
        .to_string();
    assert!(forward.contains("moves the watermark back"), "{forward}");
    advance(tenant, &fixture.store, &hourly.rt_id, end).unwrap();
    let after = rows(&fixture, &hourly.rt_id, "s0");
    assert_eq!(
        after[&(fixture.start + 5 * HOUR)],
        before[&(fixture.start + 5 * HOUR)],
        "frozen"
    );
    assert_eq!(
        after[&(fixture.start + 30 * HOUR)],
        vec![Some(600.0)],
        "recomputed"
    );

    // Definitions that cannot run are refused, and nothing stays behind.
    let count = |tenant: &Tenant| {
        tenant
            .query_entities(&crate::store::EntityQuery::of_type(
                super::rollup::ROLLUP_TYPE,
            ))
            .unwrap()
            .total_count
    };
    let existing = count(tenant);
    for (request, problem) in [
        (
            NewRollup {
                bucket_ms: HOUR,
                aggregations: vec![aggregation("Nope", "Avg")],
                ..NewRollup::default()
            },
            "`Nope` is not a column of the source archive",
        ),
        (
            NewRollup {
                bucket_ms: HOUR,
                alignment: Some("CalendarDay".into()),
                zone: Some("Mars/Olympus".into()),
                aggregations: vec![aggregation("LastValue", "Avg")],
                ..NewRollup::default()
            },
            "not an IANA time zone",
        ),
        (
            NewRollup {
                bucket_ms: 0,
                aggregations: vec![aggregation("LastValue", "Avg")],
                ..NewRollup::default()
            },
            "must be positive",
        ),
        (
            NewRollup {
                bucket_ms: HOUR,
                aggregations: vec![
                    aggregation("LastValue", "Max"),
                    aggregation("LastValue", "Max"),
                ],
                ..NewRollup::default()
            },
            "same column",
        ),
    ] {
        let error = create_rollup(tenant, &fixture.raw, request)
            .unwrap_err()
            .to_string();
        assert!(error.contains(problem), "{error}");
    }
    let chained = create_rollup(
        tenant,
        &hourly.rt_id,
        NewRollup {
            bucket_ms: 90 * MINUTE,
            aggregations: vec![aggregation("lastvalue_max", "Max")],
            ..NewRollup::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(chained.contains("not a multiple"), "{chained}");
    assert_eq!(count(tenant), existing);
}
