//! The chunk store against an oracle: shuffled, repeated and late points, flushes at random
//! moments, a restart with unflushed points.

use std::collections::BTreeMap;
use std::time::Duration;

use rusqlite::Connection;

use super::codec::{Block, decode, encode};
use super::{Point, SeriesStore};

/// A deterministic sequence of numbers.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (self.0 >> 33) % bound
    }
}

#[test]
fn blocks_encode_and_decode_with_gaps() {
    let mut block = Block::with_columns(2);
    block.upsert(30, &[Some(3.0), None]);
    block.upsert(10, &[Some(1.0), Some(-1.5)]);
    block.upsert(20, &[None, None]);
    block.upsert(10, &[Some(1.25), Some(-1.5)]);
    assert_eq!(block.timestamps, [10, 20, 30]);
    let decoded = decode(&encode(&block)).unwrap();
    assert_eq!(decoded, block);
    assert_eq!(
        decode(&encode(&block)[..5]),
        None,
        "a truncated chunk does not decode"
    );
}

type Oracle = BTreeMap<(String, i64), Vec<Option<f64>>>;

fn check(store: &SeriesStore, oracle: &Oracle, series: &[&str], from: i64, to: i64) {
    for name in series {
        let mut seen = Vec::new();
        store
            .scan("archive", name, from, to, |ts, values| {
                seen.push((ts, values.to_vec()))
            })
            .unwrap();
        let expected: Vec<(i64, Vec<Option<f64>>)> = oracle
            .range((name.to_string(), from)..(name.to_string(), to))
            .map(|((_, ts), values)| (*ts, values.clone()))
            .collect();
        assert_eq!(seen, expected, "series {name} in [{from}, {to})");
    }
}

#[test]
fn shuffled_repeated_and_late_points_read_back_as_the_oracle_says_across_a_restart() {
    let dir = std::env::temp_dir().join(format!("octomesh-series-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("series.sqlite");
    let series = ["a", "b", "c"];
    let mut oracle = Oracle::new();
    let mut random = Lcg(42);
    {
        let store = SeriesStore::open(Connection::open(&path).unwrap()).unwrap();
        for round in 0..60 {
            let points: Vec<Point> = (0..100)
                .map(|_| {
                    let name = series[random.next(3) as usize];
                    let ts = random.next(4000) as i64 * 1000;
                    let value = if random.next(10) == 0 {
                        None
                    } else {
                        Some(random.next(1000) as f64 / 4.0)
                    };
                    Point {
                        series: name.to_owned(),
                        ts,
                        values: vec![value, Some(round as f64)],
                    }
                })
                .collect();
            for point in &points {
                oracle.insert((point.series.clone(), point.ts), point.values.clone());
            }
            store.write("archive", 2, &points).unwrap();
            if round % 7 == 3 && round < 50 {
                store.flush(Duration::ZERO).unwrap();
            }
        }
        check(&store, &oracle, &series, 0, 4_000_000);
        check(&store, &oracle, &series, 1_234_000, 2_345_000);
        assert!(
            store.pending_log_rows().unwrap() > 0,
            "some points are only in the log"
        );
    }
    // A restart replays the log: nothing is lost.
    let store = SeriesStore::open(Connection::open(&path).unwrap()).unwrap();
    check(&store, &oracle, &series, 0, 4_000_000);
    store.flush(Duration::ZERO).unwrap();
    assert_eq!(
        store.pending_log_rows().unwrap(),
        0,
        "flushed: the log is folded in"
    );
    check(&store, &oracle, &series, 0, 4_000_000);
    let refused = store.write(
        "archive",
        2,
        &[Point {
            series: "a".into(),
            ts: 1,
            values: vec![None],
        }],
    );
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("has 1 values; the archive has 2 columns")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn full_blocks_become_chunks_of_at_most_1024_points() {
    let db = Connection::open_in_memory().unwrap();
    let store = SeriesStore::open(db).unwrap();
    let points: Vec<Point> = (0..3000)
        .map(|ts| Point {
            series: "s".into(),
            ts,
            values: vec![Some(ts as f64)],
        })
        .collect();
    store.write("archive", 1, &points).unwrap();
    let mut sum = 0.0;
    let mut count = 0;
    store
        .scan("archive", "s", 0, 3000, |_, values| {
            sum += values[0].unwrap();
            count += 1;
        })
        .unwrap();
    assert_eq!(count, 3000);
    assert_eq!(sum, (0..3000).sum::<i64>() as f64);
    assert_eq!(store.pending_log_rows().unwrap(), 0);
}

mod queries {
    use rusqlite::Connection;

    use super::super::query::{Function, MAX_BUCKETS};
    use super::super::{Point, SeriesStore};
    use super::Lcg;

    /// Points of two series, and the same points for the oracle.
    fn store_with_points() -> (SeriesStore, Vec<Point>) {
        let store = SeriesStore::open(Connection::open_in_memory().unwrap()).unwrap();
        let mut random = Lcg(7);
        let points: Vec<Point> = (0..5000)
            .map(|_| {
                let series = if random.next(2) == 0 { "x" } else { "y" };
                let ts = random.next(100_000) as i64;
                let value = (random.next(5) != 0).then(|| random.next(10_000) as f64 / 100.0);
                Point {
                    series: series.into(),
                    ts,
                    values: vec![value],
                }
            })
            .collect();
        // Later points at the same (series, ts) replace earlier ones, in the store and here.
        let mut latest = std::collections::BTreeMap::new();
        for point in &points {
            latest.insert((point.series.clone(), point.ts), point.clone());
        }
        store.write("a", 1, &points).unwrap();
        (store, latest.into_values().collect())
    }

    fn oracle(
        points: &[Point],
        series: &[&str],
        from: i64,
        to: i64,
        function: Function,
    ) -> Option<f64> {
        let mut values: Vec<(i64, f64)> = points
            .iter()
            .filter(|point| {
                series.contains(&point.series.as_str()) && point.ts >= from && point.ts < to
            })
            .filter_map(|point| point.values[0].map(|value| (point.ts, value)))
            .collect();
        values.sort_by_key(|(ts, _)| *ts);
        if values.is_empty() {
            return (function == Function::Count).then_some(0.0);
        }
        let sum: f64 = values.iter().map(|(_, value)| value).sum();
        Some(match function {
            Function::Count => values.len() as f64,
            Function::Sum => sum,
            Function::Avg => sum / values.len() as f64,
            Function::Min => values
                .iter()
                .map(|(_, value)| *value)
                .fold(f64::INFINITY, f64::min),
            Function::Max => values
                .iter()
                .map(|(_, value)| *value)
                .fold(f64::NEG_INFINITY, f64::max),
            Function::First => values[0].1,
            Function::Last => values[values.len() - 1].1,
        })
    }

    fn close(a: Option<f64>, b: Option<f64>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
            (None, None) => true,
            _ => false,
        }
    }

    const FUNCTIONS: [Function; 7] = [
        Function::Count,
        Function::Sum,
        Function::Avg,
        Function::Min,
        Function::Max,
        Function::First,
        Function::Last,
    ];

    #[test]
    fn downsampling_gives_exactly_limit_buckets_that_match_the_oracle() {
        let (store, points) = store_with_points();
        let series = ["x".to_owned(), "y".to_owned()];
        for (from, to, limit) in [
            (0, 100_000, 600),
            (12_345, 67_891, 7),
            (99_990, 100_010, 20),
            (0, 1_000_000, 3),
        ] {
            for function in FUNCTIONS {
                let buckets = store
                    .downsample("a", &series, 0, function, from, to, limit)
                    .unwrap();
                assert_eq!(buckets.len(), limit);
                assert_eq!(buckets[0].start, from);
                assert_eq!(buckets[limit - 1].end, to);
                for pair in buckets.windows(2) {
                    assert_eq!(
                        pair[0].end, pair[1].start,
                        "the buckets partition the window"
                    );
                }
                for bucket in &buckets {
                    let expected = oracle(&points, &["x", "y"], bucket.start, bucket.end, function);
                    assert!(
                        close(bucket.value, expected),
                        "{function:?} [{}, {}): {:?} vs {expected:?}",
                        bucket.start,
                        bucket.end,
                        bucket.value
                    );
                }
            }
        }
        // Beyond the data every bucket is empty: null, and count 0.
        let empty = store
            .downsample("a", &series, 0, Function::Avg, 200_000, 300_000, 10)
            .unwrap();
        assert!(empty.iter().all(|bucket| bucket.value.is_none()));
    }

    #[test]
    fn aggregates_per_series_match_the_oracle() {
        let (store, points) = store_with_points();
        let series = ["x".to_owned(), "y".to_owned(), "nobody".to_owned()];
        for function in FUNCTIONS {
            let rows = store
                .aggregate_per_series("a", &series, 0, function, 10_000, 90_000)
                .unwrap();
            for (name, value) in rows {
                let expected = oracle(&points, &[name.as_str()], 10_000, 90_000, function);
                assert!(
                    close(value, expected),
                    "{function:?} {name}: {value:?} vs {expected:?}"
                );
            }
        }
    }

    #[test]
    fn bad_windows_and_limits_are_refused_with_the_reason() {
        let (store, _) = store_with_points();
        let series = ["x".to_owned()];
        let message = |result: Result<
            Vec<super::super::query::Bucket>,
            crate::store::StoreError,
        >| result.unwrap_err().to_string();
        assert!(
            message(store.downsample("a", &series, 0, Function::Avg, 10, 10, 5))
                .contains("must be before")
        );
        assert!(
            message(store.downsample("a", &series, 0, Function::Avg, 0, 10, 0))
                .contains("`limit` must be 1")
        );
        assert!(
            message(store.downsample(
                "a",
                &series,
                0,
                Function::Avg,
                0,
                10_000_000,
                MAX_BUCKETS + 1
            ))
            .contains("`limit` must be 1")
        );
        assert!(
            message(store.downsample("a", &series, 0, Function::Avg, 0, 5, 10))
                .contains("too short")
        );
    }
}

mod lifecycle {
    use serde_json::json;

    use super::super::archives::{ArchiveStatus, Transition, load, transition};
    use crate::demo::{DEMO_TENANT, DemoSize, seed};
    use crate::store::{EntityInput, Platform};

    fn archive(columns: &[&str]) -> EntityInput {
        EntityInput {
            ck_type: "System.StreamData/RawArchive".into(),
            rt_id: None,
            well_known_name: None,
            attributes: vec![
                ("TargetCkTypeId".into(), json!("Demo/Sensor")),
                (
                    "Columns".into(),
                    json!(
                        columns
                            .iter()
                            .map(|path| json!({"Path": path, "Required": true, "Indexed": false}))
                            .collect::<Vec<_>>()
                    ),
                ),
                ("Status".into(), json!("Created")),
                ("RecomputeInProgress".into(), json!(false)),
            ],
            associations: Vec::new(),
        }
    }

    #[test]
    fn archives_move_through_their_lifecycle_and_fail_on_a_bad_definition() {
        let dir = std::env::temp_dir().join(format!("octomesh-archives-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let platform = Platform::open(&dir, crate::builtin::builtin_libraries()).unwrap();
        seed(
            &platform,
            DEMO_TENANT,
            DemoSize {
                sites: 1,
                machines_per_site: 1,
                sensors_per_machine: 1,
            },
        )
        .unwrap();
        let tenant = platform.tenant(DEMO_TENANT).unwrap();

        let good = tenant
            .create_entity(archive(&["LastValue", "HighLimit"]))
            .unwrap()
            .rt_id;
        let loaded = load(&tenant, &good).unwrap();
        assert_eq!(loaded.columns, ["LastValue", "HighLimit"]);
        assert_eq!(loaded.status, ArchiveStatus::Created);
        assert_eq!(
            transition(&tenant, &good, Transition::Activate)
                .unwrap()
                .status,
            ArchiveStatus::Activated
        );
        let again = transition(&tenant, &good, Transition::Activate)
            .unwrap_err()
            .to_string();
        assert!(
            again.contains("is Activated") && again.contains("disable it"),
            "{again}"
        );
        assert_eq!(
            transition(&tenant, &good, Transition::Disable)
                .unwrap()
                .status,
            ArchiveStatus::Disabled
        );
        assert_eq!(
            transition(&tenant, &good, Transition::Enable)
                .unwrap()
                .status,
            ArchiveStatus::Activated
        );

        let bad = tenant.create_entity(archive(&["Name"])).unwrap().rt_id;
        let failed = transition(&tenant, &bad, Transition::Activate)
            .unwrap_err()
            .to_string();
        assert!(
            failed.contains("`Name` is not numeric") && failed.contains("retry"),
            "{failed}"
        );
        assert_eq!(load(&tenant, &bad).unwrap().status, ArchiveStatus::Failed);
        tenant
            .update_entity(
                &bad,
                None,
                vec![(
                    "Columns".into(),
                    json!([{"Path": "LowLimit", "Required": true, "Indexed": false}]),
                )],
            )
            .unwrap();
        assert_eq!(
            transition(&tenant, &bad, Transition::Retry).unwrap().status,
            ArchiveStatus::Activated
        );

        let sensor = crate::demo::demo_rt_id(3, 0);
        assert!(
            load(&tenant, &sensor)
                .unwrap_err()
                .to_string()
                .contains("not an archive")
        );
        drop(tenant);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
