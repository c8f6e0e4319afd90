//! The tenant dump-and-restore benchmark, one table: a tenant with `TENANT_BACKUP_ENTITIES`
//! entities (default 1,000,000: the demo's plant scaled up, sites → machines → sensors along
//! `System/ParentChild`, some sensors also `Demo/Monitors` another machine) and a `RawArchive`
//! with `TENANT_BACKUP_POINTS` points (default 10,000,000: 1,000 sensors' `LastValue`, one a
//! minute), then, in one run:
//!
//! 1. the dump as the asset repository makes it, `Platform::dump` with the archive data, and its
//!    restore as a new tenant (`Platform::restore`), in this process: both times, the archive's
//!    size, and restore / dump (the target: at most 2×);
//! 2. the same over the asset repository's HTTP routes with curl (`GET …/tenants/{id}/dump`,
//!    `POST …/tenants/{id}/restore`), what the bot's jobs call;
//! 3. the whole path an agent takes through MCP: `dump_tenant` (the bot's job, published as a
//!    download), `curl` of the download, `prepare_file_upload` + `curl -T`, `restore_tenant`
//!    (the upload to the bot's TUS endpoint and its restore job). `TENANT_BACKUP_MCP=0` leaves it
//!    out.
//!
//! Every restore is checked: the restored tenant holds as many entities and associations, and
//! its archive as many points, as the source. Seeding (through the store, in this process) is
//! not measured. Peak RSS is this process's (the whole platform runs in it), sampled every 5 ms
//! over each step.
//!
//!   cargo bench -p octomesh-tests --bench tenant_backup          # 1,000,000 entities, 10 M points
//!   TENANT_BACKUP_ENTITIES=100000 TENANT_BACKUP_POINTS=1000000 cargo bench -p octomesh-tests --bench tenant_backup

/// The allocator of the `octomesh-mcp` binary, so that the in-process stack runs as it does there.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use octomesh_asset_repository::demo::{DemoSize, demo_rt_id, seed};
use octomesh_asset_repository::series::Point;
use octomesh_asset_repository::series::store::MAX_BATCH;
use octomesh_asset_repository::store::{Platform, RestoreRequest};
use octomesh_gateway::FileTransferConfig;
use octomesh_tests::{McpClient, TestStack};
use serde_json::{Value, json};

const TENANT: &str = "bench";
const COLUMN: &str = "LastValue";
const START_MS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const STEP_MS: i64 = 60_000;
/// Sensors that carry points.
const SERIES: usize = 1_000;
/// The target: a restore takes at most this many times the dump.
const RATIO_TARGET: f64 = 2.0;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var_os(name)
        .and_then(|value| value.into_string().ok())
        .and_then(|value| value.trim().replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn value(series: usize, index: usize) -> f64 {
    ((series * 7 + index * 13) % 1000) as f64 / 10.0
}

/// The demo's plant scaled to about `entities`: 24 sensors a machine, up to 1,000 machines a site.
fn plant_size(entities: usize) -> DemoSize {
    let machines_per_site = (entities / 25).clamp(1, 1_000);
    let per_site = 1 + 25 * machines_per_site;
    DemoSize {
        sites: ((entities as f64 / per_site as f64).round() as usize).max(1),
        machines_per_site,
        sensors_per_machine: 24,
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.split_whitespace().next())
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

/// This process's RSS over a step, sampled every 5 ms: the peak and its growth, in MiB.
struct RssWatch {
    before: u64,
    stop: Arc<std::sync::atomic::AtomicBool>,
    sampler: std::thread::JoinHandle<u64>,
}

impl RssWatch {
    fn start() -> RssWatch {
        let before = rss_kib();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sampler = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut peak = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    peak = peak.max(rss_kib());
                    std::thread::sleep(Duration::from_millis(5));
                }
                peak.max(rss_kib())
            })
        };
        RssWatch {
            before,
            stop,
            sampler,
        }
    }

    /// (peak, growth over the step's start) in MiB.
    fn finish(self) -> (f64, f64) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let peak = self.sampler.join().unwrap_or(self.before);
        (
            peak as f64 / 1024.0,
            peak.saturating_sub(self.before) as f64 / 1024.0,
        )
    }
}

/// One measured step.
struct Step {
    name: String,
    seconds: f64,
    /// Whether the rates (entities/s, points/s) apply to it.
    rated: bool,
    rss: Option<(f64, f64)>,
    note: String,
}

/// Runs `work`, timed, with the RSS watched.
async fn measured<T>(work: impl std::future::Future<Output = T>) -> (T, f64, (f64, f64)) {
    let watch = RssWatch::start();
    let started = Instant::now();
    let result = work.await;
    let seconds = started.elapsed().as_secs_f64();
    (result, seconds, watch.finish())
}

/// Runs `work` on the blocking pool (the platform's calls are synchronous).
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work)
        .await
        .expect("the work runs")
}

/// Runs curl; returns its HTTP status and its output (`-o` given by the caller, or none).
fn curl(args: &[&str]) -> (u16, String) {
    let output = Command::new("curl")
        .args(["-sS", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    (
        status.trim().parse().unwrap_or(0),
        format!("{body}{}", String::from_utf8_lossy(&output.stderr)),
    )
}

/// What tenant `tenant` holds: entities, associations, points in `archive`; `data_dir` is the
/// platform's.
fn holdings(platform: &Platform, data_dir: &Path, tenant: &str, archive: &str) -> (u64, u64, u64) {
    let handle = platform.tenant(tenant).expect("the tenant");
    let entities = handle.count_entities().expect("counted");
    drop(handle);
    let associations = association_count(platform, data_dir, tenant);
    let stats = platform
        .series(tenant)
        .expect("its stream data")
        .stats(archive)
        .expect("stats");
    (entities, associations, stats.points + stats.pending_points)
}

/// Associations of `tenant`, counted on its database file (read only).
fn association_count(platform: &Platform, data_dir: &Path, tenant: &str) -> u64 {
    let database = platform.entry(tenant).expect("bound").database;
    let db = rusqlite::Connection::open_with_flags(
        data_dir.join("tenants").join(format!("{database}.sqlite")),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("opens");
    db.query_row("SELECT COUNT(*) FROM associations", [], |row| {
        row.get::<_, i64>(0)
    })
    .expect("counted") as u64
}

fn ok(result: &Value, what: &str) -> Result<Value, String> {
    if result["isError"] == false {
        Ok(result["structuredContent"].clone())
    } else {
        Err(format!("{what} failed: {}", result["structuredContent"]))
    }
}

fn main() {
    let n_entities = env_usize("TENANT_BACKUP_ENTITIES", 1_000_000).max(26);
    let n_points = env_usize("TENANT_BACKUP_POINTS", 10_000_000);
    let with_mcp = env_usize("TENANT_BACKUP_MCP", 1) != 0;
    let size = plant_size(n_entities);
    let sensors = size.sites * size.machines_per_site * size.sensors_per_machine;
    let n_series = SERIES.min(sensors);
    let per_series = n_points.div_ceil(n_series);
    let dir = std::env::temp_dir().join(format!("octomesh-backup-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("files")).expect("a scratch directory");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(&dir, size, n_series, per_series, with_mcp));
    let _ = std::fs::remove_dir_all(&dir);
}

async fn run(dir: &Path, size: DemoSize, n_series: usize, per_series: usize, with_mcp: bool) {
    let transfers = dir.join("transfers");
    let data_dir = dir.join("platform");
    let stack = TestStack::platform_with(&data_dir, false, None, None, move |config| {
        let mut channel = FileTransferConfig::in_dir(transfers);
        channel.max_bytes = u64::MAX;
        config.file_transfer = Some(channel);
    })
    .await;
    let embedded = stack.platform.as_ref().expect("the platform runs");
    let platform = Arc::clone(embedded.asset_store().expect("in process"));
    let asset_url = embedded.urls.asset_repository.clone();

    // Seeding (not measured): the plant in one transaction, the archive through MCP as
    // stream_data.rs makes one, its points through the store.
    let seeding = Instant::now();
    {
        let platform = Arc::clone(&platform);
        blocking(move || seed(&platform, TENANT, size).expect("the plant is created")).await;
    }
    let mut client = stack.tenant_client(TENANT);
    client.initialize().await;
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
    {
        let platform = Arc::clone(&platform);
        let archive = archive.clone();
        blocking(move || {
            let store = platform.series(TENANT).expect("the tenant's stream data");
            let series: Vec<String> = (0..n_series).map(|idx| demo_rt_id(3, idx)).collect();
            let per_batch = (MAX_BATCH / n_series).max(1);
            for first in (0..per_series).step_by(per_batch) {
                let points: Vec<Point> = (first..(first + per_batch).min(per_series))
                    .flat_map(|index| {
                        series.iter().enumerate().map(move |(idx, name)| Point {
                            series: name.clone(),
                            ts: START_MS + index as i64 * STEP_MS,
                            values: vec![Some(value(idx, index))],
                        })
                    })
                    .collect();
                store.write(&archive, 1, &points).expect("written");
            }
            // Steady state: the open blocks folded into chunks, as the store does when idle.
            store.flush(Duration::ZERO).expect("flushed");
        })
        .await;
    }
    let source = {
        let platform = Arc::clone(&platform);
        let archive = archive.clone();
        let data_dir = data_dir.clone();
        blocking(move || holdings(&platform, &data_dir, TENANT, &archive)).await
    };
    let (n_entities, n_associations, n_points) = source;
    assert_eq!(n_points as usize, n_series * per_series);
    let seeded_secs = seeding.elapsed().as_secs_f64();
    let check = |tenant: &'static str| {
        let platform = Arc::clone(&platform);
        let archive = archive.clone();
        let data_dir = data_dir.clone();
        async move {
            let restored = blocking(move || holdings(&platform, &data_dir, tenant, &archive)).await;
            assert_eq!(
                restored, source,
                "{tenant} holds what {TENANT} holds (entities, associations, points)"
            );
        }
    };

    let mut steps = Vec::new();
    // 1. In process: Platform::dump, Platform::restore.
    let (dump, dump_secs, rss) = measured({
        let platform = Arc::clone(&platform);
        let files = dir.join("files");
        blocking(move || platform.dump(TENANT, true, &files).expect("the dump"))
    })
    .await;
    let archive_bytes = dump.size_bytes;
    let entry_sizes: Vec<String> = dump
        .manifest
        .entries
        .iter()
        .map(|entry| format!("{} {:.1} MB", entry.name, entry.size_bytes as f64 / 1e6))
        .collect();
    assert_eq!(dump.manifest.counts.entities, n_entities);
    assert_eq!(dump.manifest.counts.points, Some(n_points));
    steps.push(Step {
        name: "1a. dump: `Platform::dump(includeArchiveData)` (VACUUM INTO ×2, deflate, SHA-256)"
            .into(),
        seconds: dump_secs,
        rated: true,
        rss: Some(rss),
        note: format!(
            "archive {:.1} MB (uncompressed: {})",
            archive_bytes as f64 / 1e6,
            entry_sizes.join(", ")
        ),
    });
    let request = |tenant: &str| RestoreRequest {
        tenant_id: tenant.to_owned(),
        database_name: tenant.to_owned(),
        old_database_name: None,
        restore_archive_data: true,
        replace: false,
    };
    let (report, restore_secs, rss) = measured({
        let platform = Arc::clone(&platform);
        let path = dump.path().to_owned();
        let request = request("restored");
        blocking(move || platform.restore(&path, &request).expect("the restore"))
    })
    .await;
    assert_eq!(report.entities, n_entities);
    check("restored").await;
    steps.push(Step {
        name: "1b. restore as a new tenant: `Platform::restore(restoreArchiveData)` (inflate + SHA-256, integrity_check, CK opened, rename)".into(),
        seconds: restore_secs,
        rated: true,
        rss: Some(rss),
        note: "counts match".into(),
    });
    let ratio = restore_secs / dump_secs;

    // 2. The asset repository's HTTP routes, with curl.
    let http_file = dir.join("files/http.octobak");
    let dump_url = format!("{asset_url}/system/v1/tenants/{TENANT}/dump?includeArchiveData=true");
    let ((status, answer), seconds, rss) = measured(blocking({
        let http_file = http_file.clone();
        move || curl(&["-o", http_file.to_str().expect("UTF-8"), &dump_url])
    }))
    .await;
    assert_eq!(status, 200, "{answer}");
    steps.push(Step {
        name: format!(
            "2a. `GET /system/v1/tenants/{TENANT}/dump?includeArchiveData=true` (curl -o)"
        ),
        seconds,
        rated: true,
        rss: Some(rss),
        note: format!(
            "{:.1} MB",
            std::fs::metadata(&http_file).map_or(0, |meta| meta.len()) as f64 / 1e6
        ),
    });
    let restore_url = format!(
        "{asset_url}/system/v1/tenants/restoredhttp/restore?databaseName=restoredhttp&restoreArchiveData=true"
    );
    let ((status, answer), seconds, rss) = measured(blocking({
        let http_file = http_file.clone();
        move || {
            curl(&[
                "-X",
                "POST",
                "-H",
                "content-type: application/octet-stream",
                "-T",
                http_file.to_str().expect("UTF-8"),
                &restore_url,
            ])
        }
    }))
    .await;
    assert!((200..300).contains(&status), "{status}: {answer}");
    check("restoredhttp").await;
    let _ = std::fs::remove_file(&http_file);
    steps.push(Step {
        name: "2b. `POST /system/v1/tenants/{id}/restore?restoreArchiveData=true` (curl -T)".into(),
        seconds,
        rated: true,
        rss: Some(rss),
        note: "counts match".into(),
    });
    drop(dump);

    // 3. Through MCP, as an agent does it.
    let mut mcp_failure = None;
    if with_mcp {
        match through_mcp(&stack, &client, dir, &mut steps).await {
            Ok(()) => check("restoredmcp").await,
            Err(error) => mcp_failure = Some(error),
        }
    }

    let entities_and_points = (n_entities + n_points) as f64;
    println!(
        "\ntenant dump and restore: {n_entities} entities ({} sites × {} machines × {} sensors, {n_associations} associations), {n_points} points ({n_series} series × {per_series}) in one RawArchive; 2 vCPU; seeded in {seeded_secs:.0} s (not measured)\n",
        size.sites, size.machines_per_site, size.sensors_per_machine
    );
    println!("| step | time | entities/s | points/s | peak RSS (growth) | notes |");
    println!("|---|---:|---:|---:|---:|---|");
    for step in &steps {
        let (entities_rate, points_rate) = if step.rated {
            (
                thousands(n_entities as f64 / step.seconds),
                thousands(n_points as f64 / step.seconds),
            )
        } else {
            (String::new(), String::new())
        };
        let rss = step.rss.map_or(String::new(), |(peak, growth)| {
            format!("{peak:.0} MiB (+{growth:.0})")
        });
        println!(
            "| {} | {:.2} s | {entities_rate} | {points_rate} | {rss} | {} |",
            step.name, step.seconds, step.note
        );
    }
    if let Some(failure) = &mcp_failure {
        println!("| 3. through MCP | failed | | | | {failure} |");
    }
    println!(
        "| archive size | {:.1} MB | | | | {:.2} bytes per entity + point |",
        archive_bytes as f64 / 1e6,
        archive_bytes as f64 / entities_and_points
    );
    println!(
        "| restore / dump (1b / 1a) | {ratio:.2}× | | | | target ≤ {RATIO_TARGET}×: {} |",
        if ratio <= RATIO_TARGET {
            "met"
        } else {
            "**NOT met**"
        }
    );
    println!(
        "\nverdict: restore takes {ratio:.2}× the dump ({restore_secs:.1} s / {dump_secs:.1} s): the ≤ {RATIO_TARGET}× target is {}",
        if ratio <= RATIO_TARGET {
            "met"
        } else {
            "NOT met"
        }
    );
    drop(client);
    drop(platform);
    stack.stop().await;
}

/// `dump_tenant` → curl the download → `prepare_file_upload` + `curl -T` → `restore_tenant`, each
/// step timed into `steps`.
async fn through_mcp(
    stack: &TestStack,
    client: &McpClient,
    dir: &Path,
    steps: &mut Vec<Step>,
) -> Result<(), String> {
    let mut system = stack.tenant_client("octosystem");
    system.initialize().await;
    let started = Instant::now();
    let (dumped, seconds, rss) = measured(client.call_tool(
        "dump_tenant",
        json!({"targetTenantId": TENANT, "includeArchiveData": true}),
    ))
    .await;
    let dumped = ok(&dumped, "dump_tenant")?;
    steps.push(Step {
        name: "3a. `dump_tenant` (bot job → asset repository → published download)".into(),
        seconds,
        rated: true,
        rss: Some(rss),
        note: format!(
            "{:.1} MB",
            dumped["sizeBytes"].as_u64().unwrap_or(0) as f64 / 1e6
        ),
    });
    let file = dir.join("files/mcp.octobak");
    let url = dumped["downloadUrl"]
        .as_str()
        .ok_or("no downloadUrl")?
        .to_owned();
    let ((status, answer), seconds, rss) = measured(blocking({
        let file = file.clone();
        move || curl(&["-o", file.to_str().expect("UTF-8"), &url])
    }))
    .await;
    if status != 200 {
        return Err(format!("the download answered {status}: {answer}"));
    }
    steps.push(Step {
        name: "3b. curl -o downloadUrl".into(),
        seconds,
        rated: false,
        rss: Some(rss),
        note: String::new(),
    });
    let prepared = ok(
        &system
            .call_tool("prepare_file_upload", json!({"fileName": "bench.octobak"}))
            .await,
        "prepare_file_upload",
    )?;
    let upload_url = prepared["uploadUrl"]
        .as_str()
        .ok_or("no uploadUrl")?
        .to_owned();
    let transfer = prepared["transferId"]
        .as_str()
        .ok_or("no transferId")?
        .to_owned();
    let ((status, answer), seconds, rss) = measured(blocking({
        let file = file.clone();
        move || {
            curl(&[
                "-o",
                "/dev/null",
                "-T",
                file.to_str().expect("UTF-8"),
                &upload_url,
            ])
        }
    }))
    .await;
    if status != 200 {
        return Err(format!("the upload answered {status}: {answer}"));
    }
    let _ = std::fs::remove_file(&file);
    steps.push(Step {
        name: "3c. curl -T uploadUrl (from `prepare_file_upload`)".into(),
        seconds,
        rated: false,
        rss: Some(rss),
        note: String::new(),
    });
    let (restored, seconds, rss) = measured(system.call_tool(
        "restore_tenant",
        json!({"transferId": transfer, "targetTenantId": "restoredmcp", "databaseName": "restoredmcp",
               "restoreArchiveData": true, "confirm": true}),
    ))
    .await;
    ok(&restored, "restore_tenant")?;
    steps.push(Step {
        name: "3d. `restore_tenant` (upload → bot TUS → restore job → asset repository)".into(),
        seconds,
        rated: true,
        rss: Some(rss),
        note: "counts match".into(),
    });
    steps.push(Step {
        name: "3. through MCP, 3a–3d together".into(),
        seconds: started.elapsed().as_secs_f64(),
        rated: true,
        rss: None,
        note: String::new(),
    });
    Ok(())
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
