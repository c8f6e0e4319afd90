//! The file-transfer benchmark, one table: a file of `FILE_BENCH_GIB` GiB (default 5) moved
//! through the gateway's `/file-transfer` channel on loopback with curl, beside its floor — the
//! same bytes moved by the transfer store in this process, with no HTTP — and the ratio:
//!
//! 1. upload: `curl -T FILE uploadUrl` (the URL `prepare_file_upload` returned) vs
//!    `TransferStore::register_download` reading the same file;
//! 2. download: `curl -o /dev/null downloadUrl` vs reading the stored bytes through the store.
//!
//! The gateway runs in this process (as in `up`), so the resident-memory growth measured over
//! each transfer is the gateway's. Targets: at least 500 MB/s each way, RSS growth under 32 MiB.
//!
//!   cargo bench -p octomesh-tests --bench file_transfer
//!   FILE_BENCH_GIB=1 cargo bench -p octomesh-tests --bench file_transfer

/// The allocator of the `octomesh-mcp` binary, so that the in-process stack runs as it does there.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt as _;
use octomesh_file_transfer::{TransferKey, TransferStore};
use octomesh_gateway::{FileTransferConfig, SessionKey};
use octomesh_tests::TestStack;
use serde_json::json;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const MB_TARGET: f64 = 500.0;
const RSS_TARGET_MIB: f64 = 32.0;

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

/// Runs curl and returns the seconds it took and the HTTP status.
fn curl(args: &[&str]) -> (f64, String) {
    let started = Instant::now();
    let output = Command::new("curl")
        .args(["-sS", "-w", "%{http_code}"])
        .args(args)
        .output()
        .expect("curl runs");
    (
        started.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn mb_per_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / 1e6 / seconds
}

/// Samples this process's RSS every few milliseconds while `work` runs; returns the peak growth
/// in MiB.
fn peak_growth<T>(work: impl FnOnce() -> T) -> (T, f64) {
    let before = rss_kib();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let stop = std::sync::Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut peak = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(rss_kib());
                std::thread::sleep(Duration::from_millis(5));
            }
            peak
        })
    };
    let result = work();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.join().unwrap_or(before);
    (result, peak.saturating_sub(before) as f64 / 1024.0)
}

fn main() {
    let gib: u64 = std::env::var_os("FILE_BENCH_GIB")
        .and_then(|value| value.into_string().ok())
        .and_then(|value| value.trim().parse().ok())
        .filter(|gib| *gib > 0)
        .unwrap_or(5);
    let size = gib * 1024 * 1024 * 1024;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = std::env::temp_dir().join(format!("octomesh-bench-transfer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    // A sparse file: `size` bytes to send, none to write first.
    let file = dir.join("payload.bin");
    std::fs::File::create(&file)
        .and_then(|created| created.set_len(size))
        .expect("the payload file");
    let transfers = dir.join("transfers");
    let key = SessionKey::from_base64(KEY).expect("a key");
    let key_bytes: [u8; 32] = std::array::from_fn(|at| at as u8);

    let stack = runtime.block_on(TestStack::with({
        let transfers = transfers.clone();
        move |config| {
            config.session_key = key;
            let mut channel = FileTransferConfig::in_dir(transfers);
            channel.max_bytes = u64::MAX;
            // The store this bench opens for the floor seals with the same key.
            channel.key = Some(TransferKey::new(key_bytes));
            config.file_transfer = Some(channel);
        }
    }));
    let mut client = stack.tenant_client("bench");
    runtime.block_on(client.initialize());
    let prepared = runtime
        .block_on(client.call_tool("prepare_file_upload", json!({"fileName": "payload.bin"})));
    let url = prepared["structuredContent"]["uploadUrl"]
        .as_str()
        .expect("an upload URL")
        .to_owned();

    // 1. Upload through the gateway, then the store's floor.
    let ((upload_seconds, status), upload_rss) =
        peak_growth(|| curl(&["-o", "/dev/null", "-T", file.to_str().unwrap(), &url]));
    assert!(status.ends_with("200"), "the upload answered {status}");
    let store = TransferStore::local(
        &transfers,
        TransferKey::new(key_bytes),
        u64::MAX,
        Duration::from_secs(3600),
    )
    .expect("the store");
    let started = Instant::now();
    let published = runtime.block_on(async {
        let reader = tokio::fs::File::open(&file).await.expect("the payload");
        let chunks = tokio_util::io::ReaderStream::with_capacity(reader, 1024 * 1024);
        store
            .register_download("bench", "anonymous", "payload.bin", chunks)
            .await
            .expect("the floor write")
    });
    let upload_floor = started.elapsed().as_secs_f64();

    // 2. Download through the gateway, then the store's floor.
    let download_url = format!(
        "{}/file-transfer/download/{}",
        stack.base(),
        published.token
    );
    let ((download_seconds, status), download_rss) =
        peak_growth(|| curl(&["-o", "/dev/null", &download_url]));
    assert!(status.ends_with("200"), "the download answered {status}");
    let started = Instant::now();
    let read = runtime.block_on(async {
        let download = store
            .download(&published.token, None, false)
            .await
            .expect("the floor read");
        download
            .body
            .expect("a body")
            .try_fold(0u64, |total, chunk| async move {
                Ok(total + chunk.len() as u64)
            })
            .await
            .expect("the bytes")
    });
    let download_floor = started.elapsed().as_secs_f64();
    assert_eq!(read, size);

    let rows = [
        (
            "upload (curl -T through the gateway)",
            upload_seconds,
            upload_floor,
            upload_rss,
        ),
        (
            "download (curl through the gateway)",
            download_seconds,
            download_floor,
            download_rss,
        ),
    ];
    println!("\n{gib} GiB through /file-transfer on loopback (2 vCPU):\n");
    println!("| transfer | end to end | floor (store, no HTTP) | ratio | RSS growth | targets |");
    println!("|---|---:|---:|---:|---:|---|");
    for (name, seconds, floor, rss) in rows {
        let rate = mb_per_s(size, seconds);
        println!(
            "| {name} | {rate:.0} MB/s | {:.0} MB/s | {:.2}× | {rss:.1} MiB | ≥ {MB_TARGET} MB/s {}, < {RSS_TARGET_MIB} MiB {} |",
            mb_per_s(size, floor),
            seconds / floor,
            if rate >= MB_TARGET { "met" } else { "NOT met" },
            if rss < RSS_TARGET_MIB {
                "met"
            } else {
                "NOT met"
            },
        );
    }
    runtime.block_on(stack.stop());
    let _ = std::fs::remove_dir_all(dir);
}
