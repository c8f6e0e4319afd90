//! The file-transfer channel with plain curl: `prepare_file_upload` returns an absolute URL that
//! `curl -T` fills once; downloads answer ranges, `HEAD`, `ETag` and `Content-Disposition`;
//! capability misuse — a reused, guessed, tampered or expired URL, another tenant, another user's
//! cancel — is refused; an upload over the cap leaves nothing behind.

use std::time::Duration;

use octomesh_file_transfer::{TransferKey, TransferStore};
use octomesh_gateway::{AuthMode, FileTransferConfig, SessionKey};
use octomesh_tests::TestStack;
use octomesh_tests::stack::TEST_ADMIN_PASSWORD;
use octomesh_tests::transfers::{curl, curl_bytes, files_in, upload};
use serde_json::{Value, json};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// The bytes `KEY` encodes: 0, 1, …, 31.
const KEY_BYTES: [u8; 32] = {
    let mut bytes = [0u8; 32];
    let mut at = 0;
    while at < 32 {
        bytes[at] = at as u8;
        at += 1;
    }
    bytes
};
const CAP: u64 = 8 * 1024 * 1024;

fn structured(result: &Value) -> &Value {
    &result["structuredContent"]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_downloads_work_with_curl_and_only_for_their_owner() {
    let dir = std::env::temp_dir().join(format!("octomesh-it-transfers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let transfers = dir.join("transfers");
    let config_dir = transfers.clone();
    let stack =
        TestStack::platform_with(&dir, true, Some(AuthMode::Required), None, move |config| {
            config.session_key = SessionKey::from_base64(KEY).unwrap();
            let mut channel = FileTransferConfig::in_dir(config_dir);
            channel.max_bytes = CAP;
            config.file_transfer = Some(channel);
        })
        .await;
    stack.add_user("operator", "operator-pass", "demo");
    let admin = stack.signed_in("admin", TEST_ADMIN_PASSWORD, "demo").await;
    let operator = stack.signed_in("operator", "operator-pass", "demo").await;

    // 1. An upload: an absolute URL, filled once with plain curl.
    let prepared = admin
        .call_tool("prepare_file_upload", json!({"fileName": "plant.zip"}))
        .await;
    let answer = structured(&prepared);
    assert_eq!(answer["isSuccess"], true, "{prepared}");
    assert_eq!(answer["tenantId"], "demo");
    assert_eq!(answer["maxBytes"], CAP);
    let url = answer["uploadUrl"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{}/file-transfer/upload/", stack.base())),
        "{url}"
    );
    assert!(answer["expiresAtUtc"].as_str().unwrap().ends_with('Z'));
    let transfer_id = answer["transferId"].as_str().unwrap().to_owned();
    assert_eq!(transfer_id.len(), 32, "128 random bits");
    let file = dir.join("plant.zip");
    let content: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &content).unwrap();
    let (status, body) = curl(&["-T", file.to_str().unwrap(), &url]);
    assert_eq!(status, 200, "{body}");
    let received: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(received["sizeBytes"], content.len());
    assert_eq!(received["transferId"], transfer_id.as_str());
    let (status, body) = curl(&["-T", file.to_str().unwrap(), &url]);
    assert_eq!(status, 409, "an upload URL works once: {body}");

    // 2. Made-up and tampered URLs are nobody's.
    let guessed = format!("{}/file-transfer/upload/{}", stack.base(), "A".repeat(200));
    assert_eq!(curl(&["-T", file.to_str().unwrap(), &guessed]).0, 404);
    let mut tampered = url.clone().into_bytes();
    let at = tampered.len() - 10;
    tampered[at] = if tampered[at] == b'x' { b'y' } else { b'x' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(curl(&["-T", file.to_str().unwrap(), &tampered]).0, 404);
    let as_download = url.replace("/upload/", "/download/");
    assert_eq!(
        curl(&[&as_download]).0,
        404,
        "an upload URL downloads nothing"
    );

    // 3. Another tenant, another user: refused.
    let elsewhere = operator
        .call_tool(
            "prepare_file_upload",
            json!({"fileName": "x.zip", "tenantId": "octosystem"}),
        )
        .await;
    assert_eq!(elsewhere["isError"], true, "{elsewhere}");
    let text = structured(&elsewhere)["errorMessage"].as_str().unwrap();
    assert!(
        text.contains("`tenantId`") && text.contains("octosystem"),
        "{text}"
    );
    let not_yours = operator
        .call_tool("cancel_file_transfer", json!({"transferId": transfer_id}))
        .await;
    assert_eq!(not_yours["isError"], true, "{not_yours}");
    assert!(
        structured(&not_yours)["errorMessage"]
            .as_str()
            .unwrap()
            .contains("belongs to another user")
    );
    let missing = admin
        .call_tool("prepare_file_upload", json!({"fileName": " "}))
        .await;
    assert!(
        structured(&missing)["errorMessage"]
            .as_str()
            .unwrap()
            .contains("fileName is required")
    );

    // 4. Over the cap: 413 naming it, nothing kept.
    let big = dir.join("big.bin");
    std::fs::write(&big, vec![7u8; CAP as usize + 1]).unwrap();
    let prepared = admin
        .call_tool("prepare_file_upload", json!({"fileName": "big.bin"}))
        .await;
    let big_url = structured(&prepared)["uploadUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let big_id = structured(&prepared)["transferId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = curl(&["-T", big.to_str().unwrap(), &big_url]);
    assert_eq!(status, 413, "{body}");
    assert!(body.contains(&CAP.to_string()), "{body}");
    // Streamed without a length: refused while it arrives.
    let (status, body) = curl(&[
        "-T",
        big.to_str().unwrap(),
        "-H",
        "Transfer-Encoding: chunked",
        &big_url,
    ]);
    // The gateway answers 413 while the body still arrives; curl may see the connection close first.
    assert!(status == 413 || status == 0, "{status}: {body}");
    let kept: Vec<_> = files_in(&transfers.join("transfers").join(&big_id));
    assert_eq!(
        kept.iter()
            .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
            .collect::<Vec<_>>(),
        vec!["meta.json".to_owned()],
        "only the reservation remains"
    );

    // 5. Downloads, published by another holder of the key (as a worker or a replica would).
    let publisher = TransferStore::local(
        &transfers,
        TransferKey::derived_from_session_key(&KEY_BYTES),
        CAP,
        Duration::from_secs(60),
    )
    .unwrap();
    let chunks = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from(
        content.clone(),
    ))]);
    let published = publisher
        .register_download("demo", "admin", "RtEntities ü.zip", chunks)
        .await
        .unwrap();
    let download = format!(
        "{}/file-transfer/download/{}",
        stack.base(),
        published.token
    );
    let (status, body) = curl_bytes(&["-r", "100-199", &download]);
    assert_eq!(status, 206);
    assert_eq!(body, &content[100..200]);
    let (status, body) = curl_bytes(&["-H", "Range: bytes=-50", &download]);
    assert_eq!(status, 206);
    assert_eq!(body, &content[content.len() - 50..]);
    let (status, _) = curl(&["-H", &format!("Range: bytes={}-", content.len()), &download]);
    assert_eq!(status, 416);
    let (status, headers) = curl(&["-I", &download]);
    assert_eq!(status, 200);
    let headers = headers.to_ascii_lowercase();
    for expected in [
        format!("content-length: {}", content.len()),
        "accept-ranges: bytes".to_owned(),
        format!("etag: \"{}\"", published.transfer_id),
        "content-disposition: attachment; filename=\"rtentities _.zip\"; filename*=utf-8''rtentities%20%c3%bc.zip".to_owned(),
    ] {
        assert!(headers.contains(&expected), "{expected} in {headers}");
    }
    let etag = format!("\"{}\"", published.transfer_id);
    assert_eq!(
        curl(&["-H", &format!("If-None-Match: {etag}"), &download]).0,
        304
    );
    let (status, whole) = curl_bytes(&[&download]);
    assert_eq!(status, 200);
    assert!(whole == content, "the whole file comes back as it was");

    // 6. Expired URLs are gone; cancelled transfers too.
    let short = TransferStore::local(
        &transfers,
        TransferKey::derived_from_session_key(&KEY_BYTES),
        CAP,
        Duration::from_secs(1),
    )
    .unwrap();
    let expiring = short
        .prepare_upload("demo", "admin", "late.zip")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let late = format!("{}/file-transfer/upload/{}", stack.base(), expiring.token);
    assert_eq!(curl(&["-T", file.to_str().unwrap(), &late]).0, 410);
    let cancelled = admin
        .call_tool(
            "cancel_file_transfer",
            json!({"transferId": published.transfer_id}),
        )
        .await;
    assert_eq!(structured(&cancelled)["cancelled"], true, "{cancelled}");
    assert_eq!(curl(&[&download]).0, 404);
    let again = admin
        .call_tool(
            "cancel_file_transfer",
            json!({"transferId": published.transfer_id}),
        )
        .await;
    assert_eq!(structured(&again)["cancelled"], false, "{again}");

    stack.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process runs");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .expect("VmRSS")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gigabyte_upload_to_up_streams_with_flat_memory() {
    use octomesh_tests::McpClient;
    use octomesh_tests::process::{Proc, free_port};
    let dir = std::env::temp_dir().join(format!("octomesh-it-gigabyte-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let up = Proc::start(
        &[
            "up".into(),
            "--no-auth".into(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
            "--data-dir".into(),
            dir.join("data").display().to_string(),
        ],
        port,
    )
    .await;
    let mut client = McpClient::new(&format!("http://127.0.0.1:{port}/octosystem/mcp"));
    client.initialize().await;
    let prepared = client
        .call_tool("prepare_file_upload", json!({"fileName": "big.bin"}))
        .await;
    let url = structured(&prepared)["uploadUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    // A sparse file: 1 GiB to send, nothing to write first.
    let file = dir.join("big.bin");
    let gib: u64 = 1024 * 1024 * 1024;
    std::fs::File::create(&file).unwrap().set_len(gib).unwrap();
    let pid = up.child.id().unwrap();
    let before = rss_kib(pid);
    let started = std::time::Instant::now();
    let (status, body) = curl(&["-T", file.to_str().unwrap(), &url]);
    let took = started.elapsed();
    assert_eq!(status, 200, "{body}");
    let received: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(received["sizeBytes"], gib);
    let after = rss_kib(pid);
    println!(
        "1 GiB upload through up: {:.0} MB/s, RSS {before} KiB → {after} KiB",
        gib as f64 / 1e6 / took.as_secs_f64()
    );
    assert!(
        after.saturating_sub(before) < 64 * 1024,
        "memory stays flat: RSS grew from {before} KiB to {after} KiB"
    );
    let stored = dir
        .join("data/file-transfer/transfers")
        .join(received["transferId"].as_str().unwrap())
        .join("data");
    assert_eq!(std::fs::metadata(stored).unwrap().len(), gib);
    drop(up);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_import_from_uploads_of_their_own_tenant_and_caller() {
    use octomesh_tests::samples::{GADGETS, TINY_LIBRARY};
    let dir = std::env::temp_dir().join(format!("octomesh-it-imports-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let transfers = dir.join("transfers");
    let stack =
        TestStack::platform_with(&dir, false, Some(AuthMode::Required), None, move |config| {
            config.file_transfer = Some(FileTransferConfig::in_dir(transfers));
        })
        .await;
    let platform = stack.platform.as_ref().unwrap();
    platform
        .asset_store()
        .unwrap()
        .create_tenant("lab")
        .unwrap();
    stack.add_user("operator", "operator-pass", "lab");
    let admin = stack.signed_in("admin", TEST_ADMIN_PASSWORD, "lab").await;
    let operator = stack.signed_in("operator", "operator-pass", "lab").await;

    // Another caller's upload, or an upload of another tenant, is not yours to import.
    let operators = upload(&operator, &dir, "tiny.yaml", TINY_LIBRARY.as_bytes()).await;
    let refused = admin
        .call_tool("import_ck_model", json!({"transferId": operators}))
        .await;
    let text = structured(&refused)["errorMessage"].as_str().unwrap();
    assert!(
        text.contains("`transferId`") && text.contains("another user"),
        "{text}"
    );
    let admins = upload(&admin, &dir, "tiny.yaml", TINY_LIBRARY.as_bytes()).await;
    let elsewhere = admin
        .call_tool(
            "import_ck_model",
            json!({"transferId": admins, "tenantId": "octosystem"}),
        )
        .await;
    assert_eq!(elsewhere["isError"], true, "{elsewhere}");
    let text = structured(&elsewhere)["errorMessage"].as_str().unwrap();
    assert!(
        text.contains("another tenant") || text.contains("not for tenant"),
        "{text}"
    );

    // A broken library is refused and its upload kept for another try.
    let broken = upload(
        &admin,
        &dir,
        "broken.yaml",
        b"modelId: Broken-1.0.0\ntypes: [{typeId: X, derivedFromCkTypeId: Nowhere/Thing}]\n",
    )
    .await;
    let failed = admin
        .call_tool("import_ck_model", json!({"transferId": broken}))
        .await;
    assert_eq!(failed["isError"], true, "{failed}");
    assert!(
        structured(&failed)["errorMessage"]
            .as_str()
            .unwrap()
            .contains("failed"),
        "{failed}"
    );
    let kept = admin
        .call_tool("cancel_file_transfer", json!({"transferId": broken}))
        .await;
    assert_eq!(
        structured(&kept)["cancelled"],
        true,
        "a failed import keeps the upload"
    );

    // A missing transfer id is named.
    for tool in [
        "import_ck_model",
        "import_runtime_model",
        "cancel_file_transfer",
    ] {
        let blank = admin.call_tool(tool, json!({"transferId": " "})).await;
        assert_eq!(blank["isError"], true, "{blank}");
        let text = structured(&blank)["errorMessage"].as_str().unwrap();
        assert!(text.contains("`transferId` is required"), "{tool}: {text}");
    }

    // The library, then its entities.
    let imported = admin
        .call_tool("import_ck_model", json!({"transferId": admins}))
        .await;
    let answer = structured(&imported);
    assert_eq!(answer["isSuccess"], true, "{imported}");
    assert_eq!(answer["state"], "Succeeded");
    assert_eq!(answer["fileName"], "tiny.yaml");
    let models = admin.call_tool("get_available_models", json!({})).await;
    assert!(models.to_string().contains("Tiny"), "{models}");
    let spent = admin
        .call_tool("cancel_file_transfer", json!({"transferId": admins}))
        .await;
    assert_eq!(
        structured(&spent)["cancelled"],
        false,
        "a successful import drops the upload"
    );
    let gadgets = upload(&admin, &dir, "gadgets.yaml", GADGETS.as_bytes()).await;
    let imported = admin
        .call_tool(
            "import_runtime_model",
            json!({"transferId": gadgets, "importStrategy": "InsertOnly"}),
        )
        .await;
    assert_eq!(structured(&imported)["isSuccess"], true, "{imported}");
    let found = admin
        .call_tool("query_entities", json!({"ckTypeId": "Tiny/Gadget"}))
        .await;
    assert_eq!(structured(&found)["totalCount"], 2, "{found}");
    stack.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upstream_libraries_and_the_pv_sample_import_as_they_are_through_uploads() {
    let dir = std::env::temp_dir().join(format!("octomesh-it-upstream-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let transfers = dir.join("transfers");
    let stack = TestStack::platform_with(&dir, false, None, None, move |config| {
        config.file_transfer = Some(FileTransferConfig::in_dir(transfers));
    })
    .await;
    let platform = stack.platform.as_ref().unwrap();
    platform.asset_store().unwrap().create_tenant("pv").unwrap();
    let mut client = stack.tenant_client("pv");
    client.initialize().await;
    let fixtures = octomesh_tests::repo_root().join("platform/asset-repository/fixtures/octomesh");
    for library in ["Basic", "Industry.Basic", "Industry.Energy"] {
        let archive =
            octomesh_tests::transfers::zip_folder(&fixtures.join("ck").join(library), library);
        let transfer = upload(&client, &dir, &format!("{library}.zip"), &archive).await;
        let imported = client
            .call_tool("import_ck_model", json!({"transferId": transfer}))
            .await;
        assert_eq!(
            structured(&imported)["isSuccess"],
            true,
            "{library}: {imported}"
        );
    }
    // The sample, zipped as upstream's exports are.
    let sample = fixtures.join("rt/pv/rt-pv.yaml");
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer
        .start_file("rt-pv.yaml", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut writer, &std::fs::read(&sample).unwrap()).unwrap();
    let transfer = upload(
        &client,
        &dir,
        "rt-pv.zip",
        &writer.finish().unwrap().into_inner(),
    )
    .await;
    let imported = client
        .call_tool("import_runtime_model", json!({"transferId": transfer}))
        .await;
    assert_eq!(structured(&imported)["isSuccess"], true, "{imported}");
    assert!(
        structured(&imported)["message"]
            .as_str()
            .unwrap()
            .starts_with("created "),
        "{imported}"
    );
    let trees = client
        .call_tool("query_entities", json!({"ckTypeId": "Basic/Tree"}))
        .await;
    assert!(
        structured(&trees)["totalCount"].as_u64().unwrap() >= 1,
        "{trees}"
    );
    stack.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
