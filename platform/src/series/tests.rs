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
