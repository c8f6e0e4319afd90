//! The file-transfer store on a real S3-compatible server (moto's server mode, from PyPI): `up
//! --processes --file-transfer-store s3://bucket/prefix` with the standard AWS variables; uploads
//! land in the bucket, the worker processes read them there and publish downloads there, and
//! ranged downloads are answered from it — nothing is kept in the data directory.

use std::time::Duration;

use octomesh_tests::McpClient;
use octomesh_tests::process::{Proc, free_port};
use octomesh_tests::samples::TINY_LIBRARY;
use octomesh_tests::transfers::{curl, curl_bytes, files_in, upload};
use serde_json::{Value, json};

/// moto's S3 server on `port`, killed when dropped.
async fn moto(port: u16, log: &std::path::Path) -> tokio::process::Child {
    let child =
        tokio::process::Command::new(octomesh_tests::peers::installed("files/bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(std::process::Stdio::null())
            .stdout(std::fs::File::create(log).unwrap())
            .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
            .kill_on_drop(true)
            .spawn()
            .expect("moto_server starts");
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto_server did not listen on {port}");
}

fn ok(result: &Value) -> &Value {
    assert_eq!(result["isError"], false, "{result:#}");
    &result["structuredContent"]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_live_in_an_s3_bucket_for_the_gateway_and_the_worker_processes() {
    let dir = std::env::temp_dir().join(format!("octomesh-it-s3-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let s3_port = free_port();
    let _moto = moto(s3_port, &dir.join("moto.log")).await;
    let s3 = format!("http://127.0.0.1:{s3_port}");
    assert_eq!(
        curl(&["-X", "PUT", &format!("{s3}/transfers")]).0,
        200,
        "the bucket is made"
    );

    let port = free_port();
    let data = dir.join("data");
    let endpoint = s3.clone();
    let up = Proc::start_with_env(
        &[
            "up".into(),
            "--processes".into(),
            "--no-auth".into(),
            "--demo".into(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
            "--data-dir".into(),
            data.display().to_string(),
            "--file-transfer-store".into(),
            "s3://transfers/mcp".into(),
        ],
        port,
        "warn",
        &dir.join("up.log"),
        &[
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
        ],
    )
    .await;
    let mut client = McpClient::new(&format!("http://127.0.0.1:{port}/demo/mcp"));
    client.initialize().await;

    // An upload goes to the bucket; the platform-admin worker process imports it from there.
    let transfer = upload(&client, &dir, "tiny.yaml", TINY_LIBRARY.as_bytes()).await;
    let (_, listing) = curl(&[&format!(
        "{s3}/transfers?list-type=2&prefix=mcp/transfers/{transfer}/"
    )]);
    assert!(
        listing.contains(&format!("mcp/transfers/{transfer}/data")),
        "{listing}"
    );
    let imported = client
        .call_tool("import_ck_model", json!({"transferId": transfer}))
        .await;
    ok(&imported);

    // A dump is published to the bucket by the worker and answered from it, whole and in ranges.
    let dumped = client
        .call_tool("dump_tenant", json!({"targetTenantId": "demo"}))
        .await;
    let dumped = ok(&dumped);
    let url = dumped["downloadUrl"].as_str().unwrap();
    let id = dumped["transferId"].as_str().unwrap();
    let (_, listing) = curl(&[&format!(
        "{s3}/transfers?list-type=2&prefix=mcp/transfers/{id}/"
    )]);
    assert!(
        listing.contains(&format!("mcp/transfers/{id}/data")),
        "{listing}"
    );
    let (status, whole) = curl_bytes(&[url]);
    assert_eq!(status, 200);
    assert_eq!(whole.len() as u64, dumped["sizeBytes"].as_u64().unwrap());
    assert_eq!(&whole[..2], b"PK", "a zip archive");
    let (status, first) = curl_bytes(&["-r", "0-99", url]);
    assert_eq!((status, first.as_slice()), (206, &whole[..100]));
    let (status, last) = curl_bytes(&["-r", "-50", url]);
    assert_eq!((status, last.as_slice()), (206, &whole[whole.len() - 50..]));
    let middle = whole.len() / 2;
    let (status, part) = curl_bytes(&["-r", &format!("{middle}-{}", middle + 999), url]);
    assert_eq!(
        (status, part.as_slice()),
        (206, &whole[middle..middle + 1000])
    );
    let (status, _) = curl_bytes(&["-r", &format!("{}-", whole.len() + 10), url]);
    assert_eq!(status, 416);

    // Nothing of the transfers is in the data directory.
    let local = files_in(&data.join("file-transfer"));
    assert!(local.is_empty(), "no local transfers: {local:?}");
    drop(up);
    let _ = std::fs::remove_dir_all(dir);
}
