//! Files, tenants and jobs end to end, with nothing but tools and plain HTTP on the URLs they
//! return: a CK library and a deep-graph export move into another tenant, a tenant is dumped and
//! restored elsewhere and answers the same, and every job-waiting tool reports progress. A restore
//! without `confirm`, and restores of truncated, corrupt and foreign archives, are refused with
//! the reason, and nothing is created.

use std::collections::BTreeMap;

use octomesh_gateway::{AuthMode, FileTransferConfig};
use octomesh_tests::stack::TEST_ADMIN_PASSWORD;
use octomesh_tests::tools::{ok, refused};
use octomesh_tests::transfers::{curl_bytes, upload};
use octomesh_tests::{McpClient, TestStack};
use serde_json::{Value, json};

fn structured(result: &Value) -> &Value {
    &result["structuredContent"]
}

/// Calls `tool` with a progress token: its result and the progress notifications it sent first.
async fn with_progress(client: &McpClient, tool: &str, arguments: Value) -> (Value, Vec<Value>) {
    let reply = client
        .request(
            "tools/call",
            json!({"name": tool, "arguments": arguments, "_meta": {"progressToken": "job"}}),
        )
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let progress = reply
        .messages
        .iter()
        .filter(|message| message["method"] == "notifications/progress")
        .map(|message| message["params"].clone())
        .collect::<Vec<_>>();
    let result = reply.last()["result"].clone();
    assert_eq!(result["isError"], false, "{tool}: {result:#}");
    (result, progress)
}

/// The download a tool published, fetched with plain curl.
fn download(published: &Value) -> Vec<u8> {
    let url = published["downloadUrl"].as_str().expect("a download URL");
    assert!(url.starts_with("http://"), "an absolute URL: {url}");
    let (status, bytes) = curl_bytes(&[url]);
    assert_eq!(status, 200, "{url}");
    assert_eq!(bytes.len() as u64, published["sizeBytes"].as_u64().unwrap());
    bytes
}

/// Every entity of `ck_type` in the client's tenant: id → attributes.
async fn entities(client: &McpClient, tenant: &str, ck_type: &str) -> BTreeMap<String, Value> {
    let list = ok(
        client,
        "query_entities",
        json!({"ckTypeId": ck_type, "limit": 1000, "tenantId": tenant}),
    )
    .await;
    list["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entity| {
            (
                entity["rtId"].as_str().unwrap().to_owned(),
                entity["attributes"].clone(),
            )
        })
        .collect()
}

/// The ids `rt_id` (of `ck_type`) reaches along `role` in `direction`.
async fn related(
    client: &McpClient,
    tenant: &str,
    (ck_type, rt_id): (&str, &str),
    role: &str,
    direction: &str,
    target_type: &str,
) -> Vec<String> {
    let list = ok(
        client,
        "navigate_associations",
        json!({"ckTypeId": ck_type, "rtId": rt_id, "ckRoleId": role, "direction": direction,
               "targetTypeId": target_type, "limit": 1000, "tenantId": tenant}),
    )
    .await;
    let mut ids = list["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entity| entity["rtId"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    ids.sort();
    ids
}

/// Creates child tenant `tenant` of the system tenant with the tool.
async fn create_tenant(system: &McpClient, tenant: &str) {
    ok(
        system,
        "create_tenant",
        json!({"childTenantId": tenant, "database": tenant}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_moves_models_and_tenants_with_tools_and_plain_http() {
    let dir = std::env::temp_dir().join(format!("octomesh-it-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let transfers = dir.join("transfers");
    let stack =
        TestStack::platform_with(&dir, true, Some(AuthMode::Required), None, move |config| {
            config.file_transfer = Some(FileTransferConfig::in_dir(transfers));
        })
        .await;
    let system = stack
        .signed_in("admin", TEST_ADMIN_PASSWORD, "octosystem")
        .await;
    create_tenant(&system, "graph").await;
    // A member account of the demo tenant: its identity data goes into the dump.
    stack.add_user("operator", "operator-pass", "demo");
    // A token lists the tenants that existed when it was issued: sign in after creating them.
    let demo = stack.signed_in("admin", TEST_ADMIN_PASSWORD, "demo").await;
    let graph = stack.signed_in("admin", TEST_ADMIN_PASSWORD, "graph").await;

    // 1. The demo CK library, uploaded as a zip of its folder, imports into `graph`.
    let library = octomesh_tests::transfers::zip_folder(
        &octomesh_tests::repo_root().join("platform/asset-repository/fixtures/demo"),
        "demo",
    );
    let transfer = upload(&graph, &dir, "demo.zip", &library).await;
    let (_, progress) =
        with_progress(&graph, "import_ck_model", json!({"transferId": transfer})).await;
    assert!(
        !progress.is_empty(),
        "the import reports progress while it waits"
    );

    // 2. A deep graph from one sensor (its machines, their site) exports as RtEntities.zip …
    let sensors = entities(&demo, "demo", "Demo/Sensor").await;
    let (sensor, _) = sensors.iter().next().expect("the demo has sensors");
    let (exported, progress) = with_progress(
        &demo,
        "export_runtime_model_by_deep_graph",
        json!({"originRtIds": [sensor], "originCkTypeId": "Demo/Sensor", "fileName": "graph.zip"}),
    )
    .await;
    assert!(
        !progress.is_empty(),
        "the export reports progress while it waits"
    );
    let exported = structured(&exported);
    assert_eq!(exported["fileName"], "graph.zip");
    let zip = download(exported);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.clone())).unwrap();
    assert!(
        archive.by_name("RtEntities.yaml").is_ok(),
        "RtEntities.yaml inside"
    );

    // … and imports into `graph`, with the same entities, attributes and associations.
    let transfer = upload(&graph, &dir, "RtEntities.zip", &zip).await;
    ok(
        &graph,
        "import_runtime_model",
        json!({"transferId": transfer, "importStrategy": "InsertOnly"}),
    )
    .await;
    let copied = entities(&graph, "graph", "Demo/Sensor").await;
    assert_eq!(copied.get(sensor.as_str()), sensors.get(sensor.as_str()));
    let machines_there = related(
        &demo,
        "demo",
        ("Demo/Sensor", sensor),
        "System/ParentChild",
        "Outbound",
        "Demo/Machine",
    )
    .await;
    assert!(!machines_there.is_empty());
    assert_eq!(
        related(
            &graph,
            "graph",
            ("Demo/Sensor", sensor),
            "System/ParentChild",
            "Outbound",
            "Demo/Machine"
        )
        .await,
        machines_there
    );
    let demo_machines = entities(&demo, "demo", "Demo/Machine").await;
    for (id, attributes) in entities(&graph, "graph", "Demo/Machine").await {
        assert_eq!(Some(&attributes), demo_machines.get(&id), "machine {id}");
    }

    // 3. The demo tenant dumps (with its stream data) into one archive …
    let (dumped, progress) = with_progress(
        &demo,
        "dump_tenant",
        json!({"targetTenantId": "demo", "includeArchiveData": true}),
    )
    .await;
    assert!(
        !progress.is_empty(),
        "the dump reports progress while it waits"
    );
    let dumped = structured(&dumped);
    let backup = download(dumped);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(backup.clone())).unwrap();
    let manifest: Value =
        serde_json::from_reader(archive.by_name("manifest.json").unwrap()).unwrap();
    assert_eq!(manifest["sourceTenantId"], "demo", "{manifest}");
    assert_eq!(manifest["formatVersion"], 1, "{manifest}");
    assert!(
        manifest["entries"].to_string().contains("identity.json"),
        "the tenant's accounts are in the dump: {manifest}"
    );

    // … which restores only with confirm …
    let transfer = upload(&system, &dir, "demo.octobak", &backup).await;
    let restore = json!({"transferId": transfer, "targetTenantId": "copy", "databaseName": "copy",
                         "restoreArchiveData": true});
    let text = refused(&system, "restore_tenant", restore.clone()).await;
    assert!(text.contains("confirm"), "{text}");
    let tenants = ok(&system, "get_tenants", json!({})).await.to_string();
    assert!(!tenants.contains("\"copy\""), "nothing restored: {tenants}");

    // … as another tenant that answers the same.
    let mut confirmed = restore.clone();
    confirmed["confirm"] = json!(true);
    let (restored, progress) = with_progress(&system, "restore_tenant", confirmed).await;
    assert!(
        !progress.is_empty(),
        "the restore reports progress while it waits"
    );
    assert_eq!(structured(&restored)["targetTenantId"], "copy");
    let copy = stack.signed_in("admin", TEST_ADMIN_PASSWORD, "copy").await;
    // The demo tenant's member is a member of the restored tenant too.
    let operator = stack.signed_in("operator", "operator-pass", "copy").await;
    assert_eq!(
        entities(&operator, "copy", "Demo/Site").await,
        entities(&demo, "demo", "Demo/Site").await
    );
    for ck_type in ["Demo/Site", "Demo/Machine", "Demo/Sensor"] {
        assert_eq!(
            entities(&copy, "copy", ck_type).await,
            entities(&demo, "demo", ck_type).await,
            "{ck_type}"
        );
    }
    assert_eq!(
        related(
            &copy,
            "copy",
            ("Demo/Sensor", sensor),
            "System/ParentChild",
            "Outbound",
            "Demo/Machine"
        )
        .await,
        machines_there
    );

    // 4. Truncated, corrupt and foreign archives are refused with the reason; nothing is created.
    let mut corrupt = backup.clone();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0x55;
    let foreign = octomesh_tests::transfers::zip_folder(
        &octomesh_tests::repo_root().join("platform/asset-repository/fixtures/demo"),
        "demo",
    );
    for (name, bytes) in [
        ("truncated.octobak", backup[..backup.len() / 3].to_vec()),
        ("corrupt.octobak", corrupt),
        ("foreign.octobak", foreign),
    ] {
        let transfer = upload(&system, &dir, name, &bytes).await;
        let text = refused(
            &system,
            "restore_tenant",
            json!({"transferId": transfer, "targetTenantId": "broken", "databaseName": "broken",
                   "confirm": true}),
        )
        .await;
        assert!(text.contains("failed"), "{name}: {text}");
        let tenants = ok(&system, "get_tenants", json!({})).await.to_string();
        assert!(
            !tenants.contains("\"broken\""),
            "{name}: nothing restored: {tenants}"
        );
    }
    stack.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_tus_upload_is_resumed_by_a_real_client_and_restores() {
    use octomesh_tests::peers::{assert_ok, run};
    let dir = std::env::temp_dir().join(format!("octomesh-it-tus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let transfers = dir.join("transfers");
    let stack =
        TestStack::platform_with(&dir, true, Some(AuthMode::Required), None, move |config| {
            config.file_transfer = Some(FileTransferConfig::in_dir(transfers));
        })
        .await;
    let platform = stack.platform.as_ref().unwrap();
    let demo = stack.signed_in("admin", TEST_ADMIN_PASSWORD, "demo").await;
    let dumped = ok(&demo, "dump_tenant", json!({"targetTenantId": "demo"})).await;
    let file = dir.join("demo.octobak");
    std::fs::write(&file, download(&dumped)).unwrap();
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(
        size > 3 * 32 * 1024,
        "the dump spans several chunks: {size} bytes"
    );

    let tokens = octomesh_tests::oauth::sign_in(
        &platform.urls.identity,
        "admin",
        TEST_ADMIN_PASSWORD,
        Some("tenant:octosystem"),
    )
    .await;
    let token = tokens["access_token"].as_str().unwrap();
    let bot = platform.urls.bot.clone();
    let script = "tests/peers/tus_upload.py";
    let path = file.to_str().unwrap();
    // tuspy sends two chunks and stops, as an interrupted client does …
    let started = run(
        "PEER_FILES_PY",
        script,
        &[
            "start",
            &format!("{bot}/system/v1/tus-upload"),
            token,
            path,
            "replica",
            "2",
        ],
        &[],
    )
    .await;
    assert_ok("tuspy start", &started);
    let started: Value =
        serde_json::from_str(started.output.trim().lines().last().unwrap()).unwrap();
    assert_eq!(started["offset"], 2 * 32 * 1024, "{started}");
    let url = started["url"].as_str().unwrap();
    // … and a new client resumes where the server says the upload stands.
    let resumed = run("PEER_FILES_PY", script, &["resume", url, token, path], &[]).await;
    assert_ok("tuspy resume", &resumed);
    let resumed: Value =
        serde_json::from_str(resumed.output.trim().lines().last().unwrap()).unwrap();
    assert_eq!(resumed["resumedAt"], 2 * 32 * 1024, "{resumed}");
    assert_eq!(resumed["offset"], size, "{resumed}");

    // The resumed upload restores as a new tenant through the bot's job.
    let file_id = url.rsplit('/').next().unwrap();
    let http = reqwest::Client::new();
    let enqueued: Value = http
        .post(format!("{bot}/octosystem/v1/jobs/restore-from-upload"))
        .query(&[
            ("tusFileId", file_id),
            ("tenantId", "replica"),
            ("databaseName", "replica"),
        ])
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = enqueued["jobId"]
        .as_str()
        .unwrap_or_else(|| panic!("{enqueued}"));
    let mut status = Value::Null;
    for _ in 0..200 {
        status = http
            .get(format!("{bot}/octosystem/v1/jobs"))
            .query(&[("id", job)])
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if status["status"] == "Succeeded" || status["status"] == "Failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status["status"], "Succeeded", "{status}");
    let replica = stack
        .signed_in("admin", TEST_ADMIN_PASSWORD, "replica")
        .await;
    assert_eq!(
        entities(&replica, "replica", "Demo/Sensor").await,
        entities(&demo, "demo", "Demo/Sensor").await
    );
    stack.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// The rtId of the entity `create_entity` made.
async fn created(client: &McpClient, ck_type: &str, data: Value) -> String {
    let made = ok(
        client,
        "create_entity",
        json!({"ckTypeId": ck_type, "entityData": data}),
    )
    .await;
    made["entity"]["rtId"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_fixups_and_archive_data_run_as_jobs_and_each_job_tool_stays_in_its_tenant() {
    use octomesh_tests::archives::activated_archive;
    let dir = std::env::temp_dir().join(format!("octomesh-it-jobs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let transfers = dir.join("transfers");
    let stack =
        TestStack::platform_with(&dir, true, Some(AuthMode::Required), None, move |config| {
            config.file_transfer = Some(FileTransferConfig::in_dir(transfers));
        })
        .await;
    let platform = stack.platform.as_ref().unwrap();
    stack.add_user("viewer", "viewer-pass", "demo");
    let admin = stack.signed_in("admin", TEST_ADMIN_PASSWORD, "demo").await;
    let viewer = stack.signed_in("viewer", "viewer-pass", "demo").await;

    // A persisted query's entities export and name every machine.
    let query = created(
        &admin,
        "System/SimpleRtQuery",
        json!([{"AttributePath": "Name", "Value": "all machines"},
               {"AttributePath": "QueryCkTypeId", "Value": "Demo/Machine"},
               {"AttributePath": "Columns", "Value": ["Name"]}]),
    )
    .await;
    let exported = ok(
        &admin,
        "export_runtime_model_by_query",
        json!({"queryId": query}),
    )
    .await;
    assert_eq!(exported["fileName"], "export.zip");
    let zip = download(&exported);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let yaml = std::io::read_to_string(archive.by_name("RtEntities.yaml").unwrap()).unwrap();
    let machines = entities(&admin, "demo", "Demo/Machine").await;
    for id in machines.keys() {
        assert!(yaml.contains(id.as_str()), "machine {id} exported");
    }

    // A fixup script renames a machine; it is marked applied with its output.
    let (machine, _) = machines.iter().next().unwrap();
    let fixup = created(
        &admin,
        "System.Bot/Fixup",
        json!([{"AttributePath": "Name", "Value": "rename"},
               {"AttributePath": "Enabled", "Value": true},
               {"AttributePath": "Order", "Value": 1},
               {"AttributePath": "IsApplied", "Value": false},
               {"AttributePath": "Script", "Value":
                   format!("set_attribute(\"{machine}\", \"Name\", \"Renamed\"); print(\"renamed\");")}]),
    )
    .await;
    let text = refused(&admin, "run_fixup_scripts", json!({})).await;
    assert!(text.contains("confirm"), "{text}");
    let ran = ok(&admin, "run_fixup_scripts", json!({"confirm": true})).await;
    let report = &ran["report"]["ran"][0];
    assert_eq!(report["rtId"], fixup.as_str(), "{ran}");
    assert_eq!(report["isSuccess"], true, "{ran}");
    assert!(
        report["output"].as_str().unwrap().contains("renamed"),
        "{ran}"
    );
    let renamed = entities(&admin, "demo", "Demo/Machine").await;
    assert_eq!(renamed[machine.as_str()]["Name"], "Renamed");
    let again = ok(&admin, "run_fixup_scripts", json!({"confirm": true})).await;
    assert_eq!(
        again["report"]["ran"],
        json!([]),
        "an applied fixup runs once: {again}"
    );

    // An archive's rows export and import into a disabled archive of the same schema.
    let source = activated_archive(&admin, "System.StreamData/RawArchive", &[]).await;
    let sensor = entities(&admin, "demo", "Demo/Sensor")
        .await
        .into_keys()
        .next()
        .unwrap();
    let points: Vec<Value> = (0..50)
        .map(|minute: i64| {
            json!({"rtId": sensor, "timestamp": 1_767_225_600_000_i64 + minute * 60_000,
                                  "values": {"LastValue": minute as f64}})
        })
        .collect();
    let written: Value = reqwest::Client::new()
        .post(format!(
            "{}/demo/v1/streamdata/archives/{source}/points",
            platform.urls.asset_repository
        ))
        .bearer_auth(admin.bearer.clone().unwrap())
        .json(&json!({"points": points}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(written["written"], 50, "{written}");
    let exported = ok(
        &admin,
        "export_archive_data",
        json!({"archiveRtId": source, "fromUtc": "2026-01-01T00:00:00Z", "toUtc": "2026-01-01T00:30:00Z"}),
    )
    .await;
    let rows = download(&exported);
    let target = activated_archive(&admin, "System.StreamData/RawArchive", &[]).await;
    let transfer = upload(&admin, &dir, "rows.zip", &rows).await;
    let text = refused(
        &admin,
        "import_archive_data",
        json!({"archiveRtId": target, "transferId": transfer}),
    )
    .await;
    assert!(
        text.contains("disable"),
        "an active archive takes no import: {text}"
    );
    ok(&admin, "disable_archive", json!({"archiveRtId": target})).await;
    let imported = ok(
        &admin,
        "import_archive_data",
        json!({"archiveRtId": target, "transferId": transfer}),
    )
    .await;
    assert_eq!(
        imported["report"]["rowsImported"], 30,
        "the window's rows: {imported}"
    );

    // Every job tool refuses a tenant the caller may not use, and names a bad field.
    let upload_id = upload(&viewer, &dir, "x.zip", b"PK").await;
    for (tool, arguments, field) in [
        (
            "dump_tenant",
            json!({"targetTenantId": "demo"}),
            "targetTenantId",
        ),
        (
            "restore_tenant",
            json!({"transferId": upload_id, "targetTenantId": "demo", "databaseName": "demo", "confirm": true}),
            "transferId",
        ),
        (
            "export_runtime_model_by_query",
            json!({"queryId": query}),
            "queryId",
        ),
        (
            "export_runtime_model_by_deep_graph",
            json!({"originRtIds": [machine], "originCkTypeId": "Demo/Machine"}),
            "originRtIds",
        ),
        (
            "export_archive_data",
            json!({"archiveRtId": source}),
            "archiveRtId",
        ),
        (
            "import_archive_data",
            json!({"archiveRtId": target, "transferId": upload_id}),
            "archiveRtId",
        ),
        ("run_fixup_scripts", json!({"confirm": true}), ""),
    ] {
        let mut elsewhere = arguments.clone();
        elsewhere["tenantId"] = json!("octosystem");
        if tool == "dump_tenant" {
            elsewhere["targetTenantId"] = json!("octosystem");
        }
        let result = viewer.call_tool(tool, elsewhere.clone()).await;
        assert_eq!(
            result["isError"], true,
            "{tool} for another tenant: {result}"
        );
        if field.is_empty() {
            continue;
        }
        let mut bad = arguments;
        bad[field] = match field {
            "originRtIds" => json!([]),
            _ => json!(" "),
        };
        let text = refused(&admin, tool, bad).await;
        assert!(text.contains(&format!("`{field}`")), "{tool}: {text}");
    }
    stack.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
