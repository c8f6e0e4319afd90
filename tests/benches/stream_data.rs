//! The stream-data benchmark, one table: 1,000 series × 10,000 points (one a minute, ~7 days) of
//! the demo's `Demo/Sensor` `LastValue` in a `RawArchive`; each measurement end to end beside its
//! floor, the storage engine (`SeriesStore`) queried directly in this process on a store filled
//! with the same batches, and the ratio of the two:
//!
//! 1. ingest: batches of 100,000 points POSTed to `…/v1/streamdata/archives/{rtId}/points` over
//!    HTTP (a few in flight) vs `SeriesStore::write` of the same batches;
//! 2. `query_stream_data_downsampling` of one series over its whole range into 600 buckets (avg)
//!    end to end (MCP client → gateway → gRPC worker → GraphQL over HTTP → store) vs
//!    `SeriesStore::downsample`;
//! 3. `query_stream_data_grouping` by `rtId`, one avg, all series over one day vs the same
//!    computation with `SeriesStore::scan` per series;
//! 4. `execute_stream_data_query` replaying a persisted `DownsamplingSdQuery` (the whole range into
//!    600 buckets) for one series vs `SeriesStore::downsample`.
//!
//! The ratio is end-to-end time over floor time (for ingest: floor rate over end-to-end rate).
//! Targets: ingest ≥ 500,000 points/s, downsampling p50 < 50 ms, grouped average < 2 s, and each
//! end-to-end figure within 2× of its floor. With requests in flight together, the platform may
//! write batches out of order: the same points, chunked a little differently (the last line).
//!
//!   cargo bench -p octomesh-tests --bench stream_data                  # 10,000,000 points
//!   STREAM_BENCH_SERIES=100 STREAM_BENCH_POINTS=1000 cargo bench -p octomesh-tests --bench stream_data

/// The allocator of the `octomesh-mcp` binary, so that the in-process stack runs as it does there.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use octomesh_asset_repository::demo::demo_rt_id;
use octomesh_asset_repository::series::query::{Accumulator, Bucket, Function};
use octomesh_asset_repository::series::store::MAX_BATCH;
use octomesh_asset_repository::series::{Point, SeriesStore};
use octomesh_asset_repository::store::format_rfc3339_ms;
use octomesh_tests::{McpClient, TestStack};
use serde_json::{Value, json};

const START_MS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const STEP_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
const BUCKETS: usize = 600;
/// Ingest requests in flight at once.
const IN_FLIGHT: usize = 2;
const DOWNSAMPLE_RUNS: usize = 30;
const GROUPING_RUNS: usize = 5;
const TENANT: &str = "demo";
const COLUMN: &str = "LastValue";

/// Targets: ingest rate, downsampling p50, grouped average, and end to end / floor.
const INGEST_TARGET: f64 = 500_000.0;
const DOWNSAMPLE_TARGET_MS: f64 = 50.0;
const GROUPING_TARGET_MS: f64 = 2_000.0;
const RATIO_TARGET: f64 = 2.0;

fn value(series: usize, index: usize) -> f64 {
    ((series * 7 + index * 13) % 1000) as f64 / 10.0
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var_os(name)
        .and_then(|value| value.into_string().ok())
        .and_then(|value| value.trim().replace('_', "").parse().ok())
        .filter(|value| *value > 0)
        .unwrap_or(default)
}

/// The ingest batches: every series at `per_batch` consecutive timestamps (time order, as data
/// arrives), at most [`MAX_BATCH`] points each.
struct Layout {
    series: Vec<String>,
    points: usize,
    per_batch: usize,
}

impl Layout {
    fn batches(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        (0..self.points)
            .step_by(self.per_batch)
            .map(|first| first..(first + self.per_batch).min(self.points))
    }

    fn batch_points(&self, indexes: std::ops::Range<usize>) -> Vec<Point> {
        indexes
            .flat_map(|index| {
                self.series
                    .iter()
                    .enumerate()
                    .map(move |(series, name)| Point {
                        series: name.clone(),
                        ts: START_MS + index as i64 * STEP_MS,
                        values: vec![Some(value(series, index))],
                    })
            })
            .collect()
    }

    /// The REST body of a batch: `{"points":[{"rtId":…,"timestamp":ms,"values":{"LastValue":v}}…]}`.
    fn batch_body(&self, indexes: std::ops::Range<usize>) -> Vec<u8> {
        let mut body = String::with_capacity(indexes.len() * self.series.len() * 90 + 16);
        body.push_str("{\"points\":[");
        let mut first = true;
        for index in indexes {
            let ts = START_MS + index as i64 * STEP_MS;
            for (series, name) in self.series.iter().enumerate() {
                if !first {
                    body.push(',');
                }
                first = false;
                let _ = write!(
                    body,
                    "{{\"rtId\":\"{name}\",\"timestamp\":{ts},\"values\":{{\"{COLUMN}\":{}}}}}",
                    value(series, index)
                );
            }
        }
        body.push_str("]}");
        body.into_bytes()
    }
}

fn main() {
    let n_series = env_usize("STREAM_BENCH_SERIES", 1_000);
    let n_points = env_usize("STREAM_BENCH_POINTS", 10_000);
    let total = n_series * n_points;
    let layout = Layout {
        series: (0..n_series).map(|idx| demo_rt_id(3, idx)).collect(),
        points: n_points,
        per_batch: (MAX_BATCH / n_series).max(1),
    };
    assert!(
        layout.per_batch * n_series <= MAX_BATCH,
        "STREAM_BENCH_SERIES is at most {MAX_BATCH}"
    );
    let batch_size = layout.per_batch * n_series;
    let end_ms = START_MS + n_points as i64 * STEP_MS;
    // One day in the middle of the range (from day 3 when there are 7).
    let day_from = START_MS + (3 * DAY_MS).min((end_ms - START_MS - DAY_MS).max(0));
    let day_to = day_from + DAY_MS;
    let downsampled = |run: usize| (run * 37) % n_series;

    let dir = std::env::temp_dir().join(format!("octomesh-stream-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");

    // The floor: the storage engine in this process, on its own database opened as the platform
    // opens a tenant's (`Platform::series`), filled with the same batches. Only `write` is timed.
    let floor = {
        let db = rusqlite::Connection::open(dir.join("floor.series.sqlite")).expect("opens");
        db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .expect("pragmas");
        SeriesStore::open(db).expect("the store opens")
    };
    let floor_archive = "floor-archive";
    let mut floor_ingest = Duration::ZERO;
    for indexes in layout.batches() {
        let points = layout.batch_points(indexes);
        let started = Instant::now();
        floor.write(floor_archive, 1, &points).expect("written");
        floor_ingest += started.elapsed();
    }

    // The end-to-end bodies, rendered before the clock starts (the client's JSON is not the
    // platform's cost).
    let bodies: Vec<Vec<u8>> = layout
        .batches()
        .map(|indexes| layout.batch_body(indexes))
        .collect();
    let body_bytes: usize = bodies.iter().map(Vec::len).sum();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let stack = TestStack::platform(&dir.join("platform"), true).await;
        let embedded = stack.platform.as_ref().expect("the platform runs");
        let mut client = stack.tenant_client(TENANT);
        client.initialize().await;

        // The archive, as tests/it/stream.rs makes one: create_entity, then activate_archive.
        let created = client
            .call_tool(
                "create_entity",
                json!({"ckTypeId": "System.StreamData/RawArchive", "entityData": [
                    {"AttributePath": "TargetCkTypeId", "Value": "Demo/Sensor"},
                    {"AttributePath": "Columns", "Value": [{"Path": COLUMN, "Required": true, "Indexed": false}]},
                    {"AttributePath": "Status", "Value": "Created"},
                    {"AttributePath": "RecomputeInProgress", "Value": false}]}),
            )
            .await;
        let archive = created["structuredContent"]["entity"]["rtId"]
            .as_str()
            .unwrap_or_else(|| panic!("an archive: {created}"))
            .to_owned();
        let activated = client
            .call_tool("activate_archive", json!({"archiveRtId": archive}))
            .await;
        assert_eq!(
            activated["structuredContent"]["archive"]["status"], "Activated",
            "{activated}"
        );

        // 1. Ingest over HTTP.
        let http = reqwest::Client::new();
        let url = format!(
            "{}/{TENANT}/v1/streamdata/archives/{archive}/points",
            embedded.urls.asset_repository
        );
        let started = Instant::now();
        let written: usize = futures_util::stream::iter(bodies)
            .map(|body| {
                let request = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body);
                async move {
                    let response = request.send().await.expect("the platform answers");
                    let status = response.status();
                    let answer: Value = response.json().await.expect("a JSON answer");
                    assert!(status.is_success(), "{status}: {answer}");
                    answer["written"].as_u64().expect("a count") as usize
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .fold(0, |sum, written| async move { sum + written })
            .await;
        let e2e_ingest = started.elapsed();
        assert_eq!(written, total);

        let series_store = embedded
            .asset_store()
            .expect("the asset repository runs in this process")
            .series(TENANT)
            .expect("the tenant's stream data");
        let e2e_stats = series_store.stats(&archive).expect("stats");
        let floor_stats = floor.stats(floor_archive).expect("stats");
        assert_eq!(
            e2e_stats.points + e2e_stats.pending_points,
            floor_stats.points + floor_stats.pending_points,
            "both stores hold the same points"
        );

        // 2. Downsampling one series over its whole range.
        let from = format_rfc3339_ms(START_MS);
        let to = format_rfc3339_ms(end_ms);
        let downsample_arguments = |series: &str| {
            json!({"archiveRtId": archive, "aggregations": [{"function": "avg", "attributePath": COLUMN}],
                   "from": from, "to": to, "limit": BUCKETS, "sourceRtIds": [series]})
        };
        let floor_downsample = |series: &str| {
            floor
                .downsample(
                    floor_archive,
                    &[series.to_owned()],
                    0,
                    Function::Avg,
                    START_MS,
                    end_ms,
                    BUCKETS,
                )
                .expect("downsampled")
        };
        let (mut e2e_downsample, mut floor_downsample_times) = time_against_floor(
            &client,
            "query_stream_data_downsampling",
            &downsample_arguments,
            &|run| layout.series[downsampled(run)].as_str(),
            &floor_downsample,
        )
        .await;

        // 3. A grouped average over every series for one day.
        let grouping_arguments = json!({"archiveRtId": archive, "groupByAttributePaths": ["rtId"],
            "aggregations": [{"function": "avg", "attributePath": COLUMN}],
            "from": format_rfc3339_ms(day_from), "to": format_rfc3339_ms(day_to)});
        let floor_grouping = || {
            let ids = floor.series_ids(floor_archive).expect("series");
            ids.into_iter()
                .map(|id| {
                    let mut accumulator = Accumulator::default();
                    floor
                        .scan(floor_archive, &id, day_from, day_to, |ts, values| {
                            if let Some(Some(value)) = values.first() {
                                accumulator.add(ts, *value);
                            }
                        })
                        .expect("scanned");
                    (id, accumulator.result(Function::Avg))
                })
                .collect::<Vec<_>>()
        };
        client
            .call_tool("query_stream_data_grouping", grouping_arguments.clone())
            .await;
        floor_grouping();
        let mut e2e_grouping = Vec::with_capacity(GROUPING_RUNS);
        let mut floor_grouping_times = Vec::with_capacity(GROUPING_RUNS);
        for _ in 0..GROUPING_RUNS {
            let started = Instant::now();
            let result = client
                .call_tool("query_stream_data_grouping", grouping_arguments.clone())
                .await;
            e2e_grouping.push(started.elapsed());
            let started = Instant::now();
            let groups = floor_grouping();
            floor_grouping_times.push(started.elapsed());
            assert_eq!(result["isError"], false, "{result}");
            let rows = result["structuredContent"]["rows"]
                .as_array()
                .unwrap_or_else(|| panic!("rows: {result}"));
            assert_eq!(rows.len(), n_series);
            for (row, (id, average)) in rows.iter().zip(&groups) {
                assert_eq!(row["rtId"], *id);
                assert!(close(row["avg_LastValue"].as_f64(), *average), "{row} vs {average:?}");
            }
        }

        // 4. A persisted downsampling query (a `System/DownsamplingSdQuery` entity: the whole
        // range into 600 buckets), replayed for one series at a time.
        let persisted = client
            .call_tool(
                "create_entity",
                json!({"ckTypeId": "System/DownsamplingSdQuery", "entityData": [
                    {"AttributePath": "Name", "Value": "whole range"},
                    {"AttributePath": "QueryCkTypeId", "Value": "Demo/Sensor"},
                    {"AttributePath": "ArchiveRtId", "Value": archive},
                    {"AttributePath": "From", "Value": from},
                    {"AttributePath": "To", "Value": to},
                    {"AttributePath": "Limit", "Value": BUCKETS},
                    {"AttributePath": "Columns", "Value": [{"AttributePath": COLUMN, "AggregationType": "Average"}]}]}),
            )
            .await;
        let query_id = persisted["structuredContent"]["entity"]["rtId"]
            .as_str()
            .unwrap_or_else(|| panic!("a persisted query: {persisted}"))
            .to_owned();
        let replay_arguments =
            |series: &str| json!({"queryRtId": query_id, "sourceRtIdsOverride": [series]});
        let (mut e2e_replay, mut floor_replay) = time_against_floor(
            &client,
            "execute_stream_data_query",
            &replay_arguments,
            &|run| layout.series[downsampled(run)].as_str(),
            &floor_downsample,
        )
        .await;

        let e2e_rate = total as f64 / e2e_ingest.as_secs_f64();
        let floor_rate = total as f64 / floor_ingest.as_secs_f64();
        let (e2e_ds_p50, e2e_ds_p99) = percentiles(&mut e2e_downsample);
        let (floor_ds_p50, floor_ds_p99) = percentiles(&mut floor_downsample_times);
        let (e2e_group_p50, _) = percentiles(&mut e2e_grouping);
        let (floor_group_p50, _) = percentiles(&mut floor_grouping_times);
        let yes = |met: bool| if met { "yes" } else { "**no**" };

        println!(
            "| stream data: {n_series} series × {n_points} points = {total} points | end to end | floor: `SeriesStore` in process | end to end / floor | target | target met | ≤ {RATIO_TARGET}× floor |"
        );
        println!("|---|---:|---:|---:|---|---|---|");
        let ingest_ratio = floor_rate / e2e_rate;
        println!(
            "| 1. ingest: POST …/points, {} batches of {batch_size} ({IN_FLIGHT} in flight, {:.0} MB of JSON) vs `SeriesStore::write` | {} points/s ({:.1} s) | {} points/s ({:.1} s) | {ingest_ratio:.2}× | ≥ {} points/s | {} | {} |",
            layout.batches().count(),
            body_bytes as f64 / 1e6,
            thousands(e2e_rate),
            e2e_ingest.as_secs_f64(),
            thousands(floor_rate),
            floor_ingest.as_secs_f64(),
            thousands(INGEST_TARGET),
            yes(e2e_rate >= INGEST_TARGET),
            yes(ingest_ratio <= RATIO_TARGET),
        );
        let ds_ratio = ms(e2e_ds_p50) / ms(floor_ds_p50).max(1e-9);
        println!(
            "| 2. `query_stream_data_downsampling`: 1 series, whole range, {BUCKETS} buckets (avg), p50 of {DOWNSAMPLE_RUNS} vs `SeriesStore::downsample` | {:.2} ms | {:.2} ms | {ds_ratio:.2}× | p50 < {DOWNSAMPLE_TARGET_MS} ms | {} | {} |",
            ms(e2e_ds_p50),
            ms(floor_ds_p50),
            yes(ms(e2e_ds_p50) < DOWNSAMPLE_TARGET_MS),
            yes(ds_ratio <= RATIO_TARGET),
        );
        let ds99_ratio = ms(e2e_ds_p99) / ms(floor_ds_p99).max(1e-9);
        println!(
            "| 2. the same, p99 | {:.2} ms | {:.2} ms | {ds99_ratio:.2}× | | | {} |",
            ms(e2e_ds_p99),
            ms(floor_ds_p99),
            yes(ds99_ratio <= RATIO_TARGET),
        );
        let group_ratio = ms(e2e_group_p50) / ms(floor_group_p50).max(1e-9);
        println!(
            "| 3. `query_stream_data_grouping` by rtId: avg of {n_series} series over one day, p50 of {GROUPING_RUNS} vs `SeriesStore::scan` per series | {:.1} ms | {:.1} ms | {group_ratio:.2}× | < {GROUPING_TARGET_MS} ms | {} | {} |",
            ms(e2e_group_p50),
            ms(floor_group_p50),
            yes(ms(e2e_group_p50) < GROUPING_TARGET_MS),
            yes(group_ratio <= RATIO_TARGET),
        );
        let (e2e_replay_p50, _) = percentiles(&mut e2e_replay);
        let (floor_replay_p50, _) = percentiles(&mut floor_replay);
        let replay_ratio = ms(e2e_replay_p50) / ms(floor_replay_p50).max(1e-9);
        println!(
            "| 4. `execute_stream_data_query`: a persisted DownsamplingSdQuery (whole range, {BUCKETS} buckets, avg) replayed per series, p50 of {DOWNSAMPLE_RUNS} vs `SeriesStore::downsample` | {:.2} ms | {:.2} ms | {replay_ratio:.2}× | (as 2) | {} | {} |",
            ms(e2e_replay_p50),
            ms(floor_replay_p50),
            yes(ms(e2e_replay_p50) < DOWNSAMPLE_TARGET_MS),
            yes(replay_ratio <= RATIO_TARGET),
        );
        println!(
            "(stores after ingest — end to end: {} chunks, {} points pending in open blocks; floor: {} chunks, {} pending)",
            e2e_stats.chunks, e2e_stats.pending_points, floor_stats.chunks, floor_stats.pending_points
        );
        drop(series_store);
        stack.stop().await;
    });
    drop(floor);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `DOWNSAMPLE_RUNS` calls of `tool` (one series each, after one to warm the pools and caches),
/// each beside the floor's downsampling of the same series; every answer is checked against the
/// floor's buckets. Returns the end-to-end and the floor durations.
async fn time_against_floor<'a>(
    client: &McpClient,
    tool: &str,
    arguments: &dyn Fn(&str) -> Value,
    series: &dyn Fn(usize) -> &'a str,
    floor: &dyn Fn(&str) -> Vec<Bucket>,
) -> (Vec<Duration>, Vec<Duration>) {
    client.call_tool(tool, arguments(series(0))).await;
    floor(series(0));
    let mut e2e = Vec::with_capacity(DOWNSAMPLE_RUNS);
    let mut floor_times = Vec::with_capacity(DOWNSAMPLE_RUNS);
    for run in 0..DOWNSAMPLE_RUNS {
        let one = series(run);
        let started = Instant::now();
        let result = client.call_tool(tool, arguments(one)).await;
        e2e.push(started.elapsed());
        let started = Instant::now();
        let buckets = floor(one);
        floor_times.push(started.elapsed());
        assert_eq!(result["isError"], false, "{result}");
        let rows = result["structuredContent"]["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("rows: {result}"));
        assert_eq!(rows.len(), BUCKETS);
        for (row, bucket) in rows.iter().zip(&buckets) {
            assert!(
                close(row["avg_LastValue"].as_f64(), bucket.value),
                "{row} vs {bucket:?}"
            );
        }
    }
    (e2e, floor_times)
}

/// The same answer, up to the order of a floating-point sum.
fn close(left: Option<f64>, right: Option<f64>) -> bool {
    match (left, right) {
        (Some(left), Some(right)) => (left - right).abs() <= 1e-9 * left.abs().max(right.abs()),
        (left, right) => left.is_none() && right.is_none(),
    }
}

fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |fraction: f64| samples[((samples.len() as f64 - 1.0) * fraction).round() as usize];
    (at(0.5), at(0.99))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// `1234567.8` → `1,234,568`.
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (idx, digit) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
