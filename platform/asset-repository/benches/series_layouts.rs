//! Time-series storage layouts on SQLite, measured side by side before the stream-data engine is
//! built on one of them (issue 5): ingest of 1,000 series × 10,000 points arriving in time order
//! (each batch holds one timestamp of every series), downsampling one series over its whole range
//! into 600 buckets, and an average per series over one day.
//!
//!   cargo bench -p octomesh-platform --bench series_layouts            # 10,000,000 points
//!   POINTS_PER_SERIES=1000 cargo bench -p octomesh-platform --bench series_layouts
//!
//! Layouts: `rowid` — a plain table with an index on (series, ts); `clustered` — a WITHOUT ROWID
//! table whose primary key (series, ts) is the storage order; `chunks` — per series, blocks of 1,024
//! points (delta-encoded timestamps and raw f64 values in one BLOB), the classic TSDB layout; and
//! `engine` — the stream-data store built on chunks (`platform::series`: batch log, open blocks,
//! chunks; each batch is one durable write).

use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

const SERIES: i64 = 1000;
const STEP_MS: i64 = 60_000;
const START_MS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const BUCKETS: i64 = 600;
const CHUNK: usize = 1024;
const QUERIES: usize = 20;

fn value(series: i64, index: i64) -> f64 {
    ((series * 7 + index * 13) % 1000) as f64 / 10.0
}

fn open(path: &std::path::Path) -> Connection {
    let _ = std::fs::remove_file(path);
    let db = Connection::open(path).expect("opens");
    db.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;",
    )
    .expect("pragmas");
    db
}

struct Figures {
    ingest: Duration,
    downsample: Vec<Duration>,
    day_average: Vec<Duration>,
    bytes: u64,
}

/// Inserts rows batch by batch (one timestamp of every series per batch, 100 batches per
/// transaction).
fn ingest_rows(db: &Connection, points: i64, sql: &str) -> Duration {
    let started = Instant::now();
    for first in (0..points).step_by(100) {
        db.execute_batch("BEGIN").unwrap();
        {
            let mut insert = db.prepare_cached(sql).unwrap();
            for index in first..(first + 100).min(points) {
                let ts = START_MS + index * STEP_MS;
                for series in 0..SERIES {
                    insert
                        .execute(params![series, ts, value(series, index)])
                        .unwrap();
                }
            }
        }
        db.execute_batch("COMMIT").unwrap();
    }
    started.elapsed()
}

fn row_queries(db: &Connection, points: i64, figures: &mut Figures) {
    let end = START_MS + points * STEP_MS;
    let width = (end - START_MS) / BUCKETS + 1;
    for query in 0..QUERIES {
        let series = (query as i64 * 37) % SERIES;
        let started = Instant::now();
        let mut statement = db
            .prepare_cached("SELECT (ts - ?2) / ?3 AS bucket, avg(v) FROM points WHERE series = ?1 AND ts >= ?2 AND ts < ?4 GROUP BY bucket")
            .unwrap();
        let buckets: Vec<(i64, f64)> = statement
            .query_map(params![series, START_MS, width, end], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        figures.downsample.push(started.elapsed());
        assert!(buckets.len() as i64 <= BUCKETS && !buckets.is_empty());
    }
    let day = 24 * 3600 * 1000;
    for query in 0..QUERIES.min(5) {
        let from = START_MS + (query as i64 % 3) * 3_600_000;
        let started = Instant::now();
        let mut statement = db
            .prepare_cached("SELECT avg(v) FROM points WHERE series = ?1 AND ts >= ?2 AND ts < ?3")
            .unwrap();
        let mut total = 0.0;
        for series in 0..SERIES {
            let average: Option<f64> = statement
                .query_row(params![series, from, from + day], |row| row.get(0))
                .unwrap();
            total += average.unwrap_or(0.0);
        }
        figures.day_average.push(started.elapsed());
        assert!(total > 0.0);
    }
}

fn rows(layout: &str, points: i64, dir: &std::path::Path) -> Figures {
    let path = dir.join(format!("{layout}.sqlite"));
    let db = open(&path);
    let schema = if layout == "rowid" {
        "CREATE TABLE points (series INTEGER NOT NULL, ts INTEGER NOT NULL, v REAL); CREATE UNIQUE INDEX points_by_series ON points (series, ts);"
    } else {
        "CREATE TABLE points (series INTEGER NOT NULL, ts INTEGER NOT NULL, v REAL, PRIMARY KEY (series, ts)) WITHOUT ROWID;"
    };
    db.execute_batch(schema).unwrap();
    let ingest = ingest_rows(
        &db,
        points,
        "INSERT OR REPLACE INTO points (series, ts, v) VALUES (?1, ?2, ?3)",
    );
    db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    let mut figures = Figures {
        ingest,
        downsample: Vec::new(),
        day_average: Vec::new(),
        bytes: std::fs::metadata(&path).map_or(0, |meta| meta.len()),
    };
    row_queries(&db, points, &mut figures);
    figures
}

fn encode(timestamps: &[i64], values: &[f64]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(timestamps.len() * 12);
    let mut previous = 0;
    for ts in timestamps {
        let delta = ts - previous;
        previous = *ts;
        // Variable-length delta: timestamps at a steady step cost one or a few bytes.
        let mut rest = delta as u64;
        loop {
            let byte = (rest & 0x7f) as u8;
            rest >>= 7;
            if rest == 0 {
                blob.push(byte);
                break;
            }
            blob.push(byte | 0x80);
        }
    }
    for value in values {
        blob.extend_from_slice(&value.to_le_bytes());
    }
    blob
}

fn decode(blob: &[u8], count: usize) -> (Vec<i64>, Vec<f64>) {
    let mut timestamps = Vec::with_capacity(count);
    let mut at = 0;
    let mut previous = 0i64;
    for _ in 0..count {
        let mut delta = 0u64;
        let mut shift = 0;
        loop {
            let byte = blob[at];
            at += 1;
            delta |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        previous += delta as i64;
        timestamps.push(previous);
    }
    let values = blob[at..]
        .chunks_exact(8)
        .take(count)
        .map(|bytes| f64::from_le_bytes(bytes.try_into().expect("8 bytes")))
        .collect();
    (timestamps, values)
}

/// Reads the chunks of `series` overlapping [from, to) and folds every point in range.
fn scan(db: &Connection, series: i64, from: i64, to: i64, mut each: impl FnMut(i64, f64)) {
    let mut statement = db
        .prepare_cached(
            "SELECT count, data FROM chunks WHERE series = ?1 AND last_ts >= ?2 AND first_ts < ?3",
        )
        .unwrap();
    let mut rows = statement.query(params![series, from, to]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        let count: i64 = row.get(0).unwrap();
        let blob = row.get_ref(1).unwrap().as_blob().unwrap();
        let (timestamps, values) = decode(blob, count as usize);
        for (ts, value) in timestamps.into_iter().zip(values) {
            if ts >= from && ts < to {
                each(ts, value);
            }
        }
    }
}

fn chunks(points: i64, dir: &std::path::Path) -> Figures {
    let path = dir.join("chunks.sqlite");
    let db = open(&path);
    db.execute_batch(
        "CREATE TABLE chunks (series INTEGER NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, count INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (series, first_ts)) WITHOUT ROWID;",
    )
    .unwrap();
    let started = Instant::now();
    // Points arrive in time order; each series' open block fills in memory and is written whole.
    let mut open_blocks: Vec<(Vec<i64>, Vec<f64>)> = (0..SERIES)
        .map(|_| (Vec::with_capacity(CHUNK), Vec::with_capacity(CHUNK)))
        .collect();
    let flush = |db: &Connection, series: i64, block: &mut (Vec<i64>, Vec<f64>)| {
        if block.0.is_empty() {
            return;
        }
        db.prepare_cached("INSERT OR REPLACE INTO chunks (series, first_ts, last_ts, count, data) VALUES (?1, ?2, ?3, ?4, ?5)")
            .unwrap()
            .execute(params![series, block.0[0], block.0[block.0.len() - 1], block.0.len() as i64, encode(&block.0, &block.1)])
            .unwrap();
        block.0.clear();
        block.1.clear();
    };
    db.execute_batch("BEGIN").unwrap();
    for index in 0..points {
        let ts = START_MS + index * STEP_MS;
        for series in 0..SERIES {
            let block = &mut open_blocks[series as usize];
            block.0.push(ts);
            block.1.push(value(series, index));
            if block.0.len() == CHUNK {
                flush(&db, series, block);
            }
        }
        if index % 100 == 99 {
            db.execute_batch("COMMIT; BEGIN").unwrap();
        }
    }
    for (series, block) in open_blocks.iter_mut().enumerate() {
        flush(&db, series as i64, block);
    }
    db.execute_batch("COMMIT").unwrap();
    let ingest = started.elapsed();
    db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    let mut figures = Figures {
        ingest,
        downsample: Vec::new(),
        day_average: Vec::new(),
        bytes: std::fs::metadata(&path).map_or(0, |meta| meta.len()),
    };
    let end = START_MS + points * STEP_MS;
    let width = (end - START_MS) / BUCKETS + 1;
    for query in 0..QUERIES {
        let series = (query as i64 * 37) % SERIES;
        let started = Instant::now();
        let mut sums = vec![(0.0, 0u32); BUCKETS as usize];
        scan(&db, series, START_MS, end, |ts, value| {
            let bucket = &mut sums[((ts - START_MS) / width) as usize];
            bucket.0 += value;
            bucket.1 += 1;
        });
        let averages: Vec<Option<f64>> = sums
            .iter()
            .map(|(sum, count)| (*count > 0).then(|| sum / f64::from(*count)))
            .collect();
        figures.downsample.push(started.elapsed());
        assert!(averages.iter().any(Option::is_some));
    }
    let day = 24 * 3600 * 1000;
    for query in 0..QUERIES.min(5) {
        let from = START_MS + (query as i64 % 3) * 3_600_000;
        let started = Instant::now();
        let mut total = 0.0;
        for series in 0..SERIES {
            let (mut sum, mut count) = (0.0, 0u32);
            scan(&db, series, from, from + day, |_, value| {
                sum += value;
                count += 1;
            });
            if count > 0 {
                total += sum / f64::from(count);
            }
        }
        figures.day_average.push(started.elapsed());
        assert!(total > 0.0);
    }
    figures
}

/// The stream-data engine itself (`platform::series`): batch log + open blocks + chunks.
fn engine(points: i64, dir: &std::path::Path) -> Figures {
    use octomesh_asset_repository::series::{Point, SeriesStore};
    let path = dir.join("engine.sqlite");
    let store = SeriesStore::open(open(&path)).expect("the store opens");
    let names: Vec<String> = (0..SERIES).map(|series| format!("{series:024x}")).collect();
    let started = Instant::now();
    for index in 0..points {
        let ts = START_MS + index * STEP_MS;
        let batch: Vec<Point> = (0..SERIES)
            .map(|series| Point {
                series: names[series as usize].clone(),
                ts,
                values: vec![Some(value(series, index))],
            })
            .collect();
        store.write("archive", 1, &batch).expect("written");
    }
    store.flush(Duration::ZERO).expect("flushed");
    let ingest = started.elapsed();
    let mut figures = Figures {
        ingest,
        downsample: Vec::new(),
        day_average: Vec::new(),
        bytes: std::fs::metadata(&path).map_or(0, |meta| meta.len()),
    };
    let end = START_MS + points * STEP_MS;
    let width = (end - START_MS) / BUCKETS + 1;
    for query in 0..QUERIES {
        let series = &names[((query as i64 * 37) % SERIES) as usize];
        let started = Instant::now();
        let mut sums = vec![(0.0, 0u32); BUCKETS as usize];
        store
            .scan("archive", series, START_MS, end, |ts, values| {
                let bucket = &mut sums[((ts - START_MS) / width) as usize];
                bucket.0 += values[0].unwrap_or(0.0);
                bucket.1 += 1;
            })
            .expect("scanned");
        figures.downsample.push(started.elapsed());
        assert!(sums.iter().any(|(_, count)| *count > 0));
    }
    for query in 0..QUERIES.min(5) {
        let from = START_MS + (query as i64 % 3) * 3_600_000;
        let day = 24 * 3600 * 1000;
        let started = Instant::now();
        let mut total = 0.0;
        for name in &names {
            let (mut sum, mut count) = (0.0, 0u32);
            store
                .scan("archive", name, from, from + day, |_, values| {
                    sum += values[0].unwrap_or(0.0);
                    count += 1;
                })
                .expect("scanned");
            if count > 0 {
                total += sum / f64::from(count);
            }
        }
        figures.day_average.push(started.elapsed());
        assert!(total > 0.0);
    }
    figures
}

fn p50(samples: &mut [Duration]) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

fn main() {
    let points: i64 = std::env::vars()
        .find(|(key, _)| key == "POINTS_PER_SERIES")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(10_000);
    let dir = std::env::temp_dir().join(format!("octomesh-series-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let total = points * SERIES;
    println!(
        "| layout ({SERIES} series × {points} points = {total}) | ingest points/s | downsample 1 series → {BUCKETS} buckets p50 | avg per series over 1 day p50 | file size |"
    );
    println!("|---|---:|---:|---:|---:|");
    for layout in ["rowid", "clustered", "chunks", "engine"] {
        let mut figures = match layout {
            "chunks" => chunks(points, &dir),
            "engine" => engine(points, &dir),
            _ => rows(layout, points, &dir),
        };
        println!(
            "| {layout} | {:.0} | {:.2} ms | {:.1} ms | {:.0} MiB |",
            total as f64 / figures.ingest.as_secs_f64(),
            p50(&mut figures.downsample),
            p50(&mut figures.day_average),
            figures.bytes as f64 / (1024.0 * 1024.0)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
