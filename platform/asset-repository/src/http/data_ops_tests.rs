//! Runtime-model exports, archive-data export/import and fixup runs through the router.

use std::io::{Read as _, Write as _};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::ck::load::LibraryFiles;
use crate::store::{Direction, EntityInput, Platform, Tenant};

struct DataDir(std::path::PathBuf);

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn setup(name: &str) -> (DataDir, Arc<Platform>, axum::Router) {
    let dir = DataDir(
        std::env::temp_dir().join(format!("octomesh-dataops-{name}-{}", std::process::id())),
    );
    let _ = std::fs::remove_dir_all(&dir.0);
    let platform = Arc::new(Platform::open(&dir.0, crate::builtin::builtin_libraries()).unwrap());
    let router = super::router(
        Arc::clone(&platform),
        octomesh_platform_common::Guard::new(None),
    );
    (dir, platform, router)
}

async fn send(
    router: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, Vec<u8>, String, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 30)
        .await
        .unwrap();
    (status, bytes.to_vec(), content_type, disposition)
}

fn post_json(path: &str, body: Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

/// A library with one type holding an attribute of every value type.
fn probe_library() -> LibraryFiles {
    let files = [
        (
            "ckModel.yaml",
            "$schema: https://schemas.meshmakers.cloud/construction-kit-meta.schema.json\nmodelId: Probe-1.0.0\ndependencies:\n  - System-[2.0,3.0)\n",
        ),
        (
            "attributes/probe.yaml",
            "attributes:\n  - {id: Text, valueType: String}\n  - {id: Count, valueType: Int}\n  - {id: Big, valueType: Int64}\n  - {id: Ratio, valueType: Double}\n  - {id: Flag, valueType: Boolean}\n  - {id: At, valueType: DateTime}\n  - {id: AtOffset, valueType: DateTimeOffset}\n  - {id: Span, valueType: TimeSpan}\n  - {id: Tags, valueType: StringArray}\n  - {id: Numbers, valueType: IntArray}\n  - {id: Level, valueType: Enum, valueCkEnumId: '${this}/Level'}\n  - {id: Spot, valueType: Record, valueCkRecordId: '${this}/Spot'}\n  - {id: Spots, valueType: RecordArray, valueCkRecordId: '${this}/Spot'}\n  - {id: Blob, valueType: Binary}\n  - {id: Where, valueType: GeospatialPoint}\n  - {id: Label, valueType: String}\n  - {id: Weight, valueType: Double}\n",
        ),
        (
            "enums/probe.yaml",
            "enums:\n  - enumId: Level\n    values:\n      - {key: 0, name: Low}\n      - {key: 7, name: High}\n",
        ),
        (
            "records/probe.yaml",
            "records:\n  - recordId: Spot\n    attributes:\n      - {id: '${this}/Label', name: Label}\n      - {id: '${this}/Weight', name: Weight, isOptional: true}\n",
        ),
        (
            "types/probe.yaml",
            "types:\n  - typeId: Thing\n    derivedFromCkTypeId: '${System}/Entity'\n    attributes:\n      - {id: '${System}/Name', name: Name}\n      - {id: '${this}/Text', name: Text, isOptional: true}\n      - {id: '${this}/Count', name: Count, isOptional: true}\n      - {id: '${this}/Big', name: Big, isOptional: true}\n      - {id: '${this}/Ratio', name: Ratio, isOptional: true}\n      - {id: '${this}/Flag', name: Flag, isOptional: true}\n      - {id: '${this}/At', name: At, isOptional: true}\n      - {id: '${this}/AtOffset', name: AtOffset, isOptional: true}\n      - {id: '${this}/Span', name: Span, isOptional: true}\n      - {id: '${this}/Tags', name: Tags, isOptional: true}\n      - {id: '${this}/Numbers', name: Numbers, isOptional: true}\n      - {id: '${this}/Level', name: Level, isOptional: true}\n      - {id: '${this}/Spot', name: Spot, isOptional: true}\n      - {id: '${this}/Spots', name: Spots, isOptional: true}\n      - {id: '${this}/Blob', name: Blob, isOptional: true}\n      - {id: '${this}/Where', name: Where, isOptional: true}\n      - {id: '${this}/Text', name: OtherText, isOptional: true}\n  - typeId: Other\n    derivedFromCkTypeId: '${System}/Entity'\n    attributes:\n      - {id: '${System}/Name', name: Name}\n",
        ),
    ];
    LibraryFiles {
        root: "probe".into(),
        files: files
            .iter()
            .map(|(path, text)| (path.into(), (*text).to_owned()))
            .collect(),
    }
}

fn thing(name: &str, attributes: Value, related: &[&str]) -> EntityInput {
    let mut pairs: Vec<(String, Value)> = vec![("Name".into(), json!(name))];
    pairs.extend(
        attributes
            .as_object()
            .unwrap()
            .iter()
            .map(|(key, value)| (key.clone(), value.clone())),
    );
    EntityInput {
        ck_type: "Probe/Thing".into(),
        rt_id: None,
        well_known_name: Some(format!("wk-{name}")),
        attributes: pairs,
        associations: related
            .iter()
            .map(|target| {
                (
                    "System/Related".into(),
                    (*target).to_owned(),
                    "Probe/Thing".into(),
                )
            })
            .collect(),
    }
}

/// A → B → C (System/Related), A with a value of every attribute type.
fn seed_graph(tenant: &Tenant) -> [String; 3] {
    let c = tenant
        .create_entity(thing("C", json!({"Flag": false}), &[]))
        .unwrap()
        .rt_id;
    let b = tenant
        .create_entity(thing("B", json!({"Flag": true, "Text": "123"}), &[&c]))
        .unwrap()
        .rt_id;
    let every = json!({
        "Text": "multi\nline: - \"quoted\" # not a comment",
        "OtherText": "true",
        "Count": 42, "Big": 9_007_199_254_740_000i64, "Ratio": 1.0, "Flag": true,
        "At": "2026-01-31T12:00:00.123Z", "AtOffset": "2026-01-31T12:00:00+02:00", "Span": "01:30:00",
        "Tags": ["a", "null", "007"], "Numbers": [1, -2, 3],
        "Level": "High",
        "Spot": {"Label": "x: y", "Weight": 0.5},
        "Spots": [{"Label": "first"}, {"Label": "second", "Weight": -1.25}],
        "Blob": "aGVsbG8=", "Where": {"latitude": 47.8, "longitude": 13.04},
    });
    let a = tenant
        .create_entity(thing("A", every, &[&b]))
        .unwrap()
        .rt_id;
    [a, b, c]
}

async fn import_rt(router: &axum::Router, tenant: &str, zip: &[u8]) -> Value {
    let boundary = "octomesh-dataops-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"RtEntities.zip\"\r\nContent-Type: application/zip\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(zip);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post(format!("/{tenant}/v1/Models/ImportRt"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let (status, bytes, _, _) = send(router, request).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let job_id = json_of(&bytes)["jobId"].as_str().unwrap().to_owned();
    for _ in 0..200 {
        let (_, bytes, _, _) = send(
            router,
            Request::get(format!("/{tenant}/v1/jobs?id={job_id}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        let job = json_of(&bytes);
        if job["state"] != "Running" && job["state"] != "Queued" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the import job did not end");
}

fn zip_entry(zip: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The entity in both tenants: same type, name, attributes and outbound associations.
fn assert_same(source: &Tenant, copy: &Tenant, rt_id: &str) {
    let (a, b) = (
        source.get_entity(rt_id).unwrap().unwrap(),
        copy.get_entity(rt_id).unwrap().unwrap(),
    );
    assert_eq!(
        (&a.ck_type, &a.well_known_name, &a.attributes),
        (&b.ck_type, &b.well_known_name, &b.attributes)
    );
}

fn outbound(tenant: &Tenant, rt_id: &str) -> Vec<String> {
    tenant
        .association_ends(rt_id, Some(Direction::Outbound))
        .unwrap()
        .into_iter()
        .map(|end| format!("{} {} {}", end.role, end.other_rt_id, end.other_ck_type))
        .collect()
}

#[tokio::test]
async fn a_deep_graph_export_imports_into_another_tenant_as_the_same_entities() {
    let (_dir, platform, router) = setup("deep");
    let source = platform.create_tenant("source").unwrap();
    let copy = platform.create_tenant("copy").unwrap();
    for tenant in [&source, &copy] {
        tenant.import_ck(&probe_library()).unwrap();
    }
    let [a, b, c] = seed_graph(&source);
    let path = "/system/v1/tenants/source/export/runtime-model/by-deep-graph";
    let (status, zip, content_type, disposition) = send(
        &router,
        post_json(
            path,
            json!({"originRtIds": [a], "originCkTypeId": "Probe/Thing"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&zip));
    assert_eq!(content_type, "application/zip");
    assert_eq!(disposition, "attachment; filename=\"RtEntities.zip\"");
    let yaml = zip_entry(&zip, "RtEntities.yaml");
    assert!(
        yaml.starts_with("$schema: https://schemas.meshmakers.cloud/runtime-model.schema.json\n"),
        "{yaml}"
    );
    assert!(yaml.contains("- Probe-1.0.0"), "{yaml}");
    assert!(yaml.contains("id: System/Name"), "{yaml}");
    assert!(yaml.contains("ckRecordId: Probe/Spot"), "{yaml}");

    let job = import_rt(&router, "copy", &zip).await;
    assert_eq!(job["state"], "Succeeded", "{job}\n{yaml}");
    for rt_id in [&a, &b, &c] {
        assert_same(&source, &copy, rt_id);
        assert_eq!(outbound(&source, rt_id), outbound(&copy, rt_id));
    }
    assert_eq!(outbound(&copy, &a).len(), 1);
    assert_eq!(
        copy.get_entity(&a).unwrap().unwrap().attributes["Level"],
        json!(7)
    );

    // Refusals name what was wrong.
    let missing = "0123456789abcdef01234567";
    let (status, body, _, _) = send(
        &router,
        post_json(
            path,
            json!({"originRtIds": [missing], "originCkTypeId": "Probe/Thing"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        json_of(&body)["message"]
            .as_str()
            .unwrap()
            .contains(missing)
    );
    let (status, body, _, _) = send(
        &router,
        post_json(
            path,
            json!({"originRtIds": [a], "originCkTypeId": "Probe/Other"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        json_of(&body)["message"]
            .as_str()
            .unwrap()
            .contains("is a `Probe/Thing`")
    );
    let (status, _, _, _) = send(
        &router,
        post_json(
            path,
            json!({"originRtIds": [], "originCkTypeId": "Probe/Thing"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _, _) = send(
        &router,
        post_json(path, json!({"originRtIds": [a], "originCkTypeId": " "})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_query_export_holds_what_the_persisted_query_selects_and_reimports() {
    let (_dir, platform, router) = setup("query");
    let source = platform.create_tenant("source").unwrap();
    let copy = platform.create_tenant("copy").unwrap();
    for tenant in [&source, &copy] {
        tenant.import_ck(&probe_library()).unwrap();
    }
    let [a, b, c] = seed_graph(&source);
    let query = source
        .create_entity(EntityInput {
            ck_type: "System/SimpleRtQuery".into(),
            rt_id: None,
            well_known_name: None,
            attributes: vec![
                ("Name".into(), json!("flagged")),
                ("QueryCkTypeId".into(), json!("Probe/Thing")),
                ("Columns".into(), json!(["Name"])),
                (
                    "FieldFilter".into(),
                    json!([{"AttributePath": "Flag", "Operator": 0, "ComparisonValue": "true"}]),
                ),
                (
                    "Sorting".into(),
                    json!([{"AttributePath": "Name", "SortOrder": 2}]),
                ),
            ],
            associations: Vec::new(),
        })
        .unwrap()
        .rt_id;
    let path = "/system/v1/tenants/source/export/runtime-model/by-query";
    let (status, zip, _, _) = send(&router, post_json(path, json!({"queryId": query}))).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&zip));
    let yaml = zip_entry(&zip, "RtEntities.yaml");
    // B before A (sorted by name, descending); C is not flagged.
    let (at_a, at_b) = (
        yaml.find(&format!("rtId: {a}")).unwrap(),
        yaml.find(&format!("rtId: {b}")).unwrap(),
    );
    assert!(at_b < at_a, "{yaml}");
    assert!(!yaml.contains(&format!("rtId: {c}")), "{yaml}");
    let job = import_rt(&router, "copy", &zip).await;
    assert_eq!(job["state"], "Succeeded", "{job}\n{yaml}");
    assert_same(&source, &copy, &a);
    assert_same(&source, &copy, &b);
    assert_eq!(
        outbound(&copy, &a),
        outbound(&source, &a),
        "A → B is inside the export"
    );
    assert!(
        outbound(&copy, &b).is_empty(),
        "B → C leaves the export, so it is left out"
    );
    assert!(copy.get_entity(&c).unwrap().is_none());

    let unknown = "fedcba9876543210fedcba98";
    let (status, body, _, _) = send(&router, post_json(path, json!({"queryId": unknown}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        json_of(&body)["message"]
            .as_str()
            .unwrap()
            .contains(unknown)
    );
    source
        .update_entity(&query, None, vec![("QueryCkTypeId".into(), Value::Null)])
        .unwrap();
    let (status, body, _, _) = send(&router, post_json(path, json!({"queryId": query}))).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(String::from_utf8_lossy(&body).contains("QueryCkTypeId"));
}

fn raw_archive(tenant: &Tenant, columns: &[&str], status: &str) -> String {
    let columns: Vec<Value> = columns
        .iter()
        .map(|path| json!({"Path": path, "Required": false, "Indexed": false}))
        .collect();
    tenant
        .create_entity(EntityInput {
            ck_type: "System.StreamData/RawArchive".into(),
            rt_id: None,
            well_known_name: Some("sensor-values".into()),
            attributes: vec![
                ("TargetCkTypeId".into(), json!("Demo/Sensor")),
                ("Columns".into(), Value::Array(columns)),
                ("Status".into(), json!(status)),
                ("RecomputeInProgress".into(), json!(false)),
            ],
            associations: Vec::new(),
        })
        .unwrap()
        .rt_id
}

fn points_of(
    platform: &Platform,
    tenant: &str,
    archive: &str,
) -> Vec<(String, i64, Vec<Option<f64>>)> {
    let store = platform.series(tenant).unwrap();
    let mut points = Vec::new();
    for series in store.series_ids(archive).unwrap() {
        store
            .scan(archive, &series, i64::MIN, i64::MAX, |ts, values| {
                points.push((series.clone(), ts, values.to_vec()))
            })
            .unwrap();
    }
    points
}

fn import_request(tenant: &str, archive: &str, mode: &str, zip: Vec<u8>) -> Request<Body> {
    Request::post(format!(
        "/system/v1/tenants/{tenant}/streamdata/archives/{archive}/import?mode={mode}"
    ))
    .header("content-type", "application/zip")
    .body(Body::from(zip))
    .unwrap()
}

/// `zip` with its `data.ndjson` replaced by `data`.
fn with_data(zip: &[u8], data: &str) -> Vec<u8> {
    let metadata = zip_entry(zip, "metadata.json");
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer
        .start_file("metadata.json", zip::write::SimpleFileOptions::default())
        .unwrap();
    writer.write_all(metadata.as_bytes()).unwrap();
    writer
        .start_file("data.ndjson", zip::write::SimpleFileOptions::default())
        .unwrap();
    writer.write_all(data.as_bytes()).unwrap();
    writer.finish().unwrap().into_inner()
}

#[tokio::test]
async fn archive_data_exports_and_imports_into_a_disabled_archive_of_another_tenant() {
    let (_dir, platform, router) = setup("archive");
    let size = crate::demo::DemoSize {
        sites: 1,
        machines_per_site: 1,
        sensors_per_machine: 2,
    };
    crate::demo::seed(&platform, "demo", size).unwrap();
    crate::demo::seed(&platform, "copy", size).unwrap();
    let (source, copy) = (
        platform.tenant("demo").unwrap(),
        platform.tenant("copy").unwrap(),
    );
    let from_archive = raw_archive(&source, &["LastValue"], "Created");
    crate::series::archives::transition(
        &source,
        &from_archive,
        crate::series::archives::Transition::Activate,
    )
    .unwrap();
    let sensors = [crate::demo::demo_rt_id(3, 0), crate::demo::demo_rt_id(3, 1)];
    let points: Vec<crate::series::Point> = (0..50)
        .flat_map(|minute: i64| {
            sensors.iter().map(move |sensor| crate::series::Point {
                series: sensor.clone(),
                ts: 1_767_225_600_000 + minute * 60_000,
                values: vec![if minute == 7 {
                    None
                } else {
                    Some(minute as f64 + 0.25)
                }],
            })
        })
        .collect();
    platform
        .series("demo")
        .unwrap()
        .write(&from_archive, 1, &points)
        .unwrap();

    let export = format!("/system/v1/tenants/demo/streamdata/archives/{from_archive}/export");
    let (status, zip, content_type, disposition) =
        send(&router, Request::get(&export).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&zip));
    assert_eq!(content_type, "application/zip");
    assert!(
        disposition.starts_with("attachment; filename=\"export-sensor-values-"),
        "{disposition}"
    );
    let metadata: Value = serde_json::from_str(&zip_entry(&zip, "metadata.json")).unwrap();
    assert_eq!(metadata["formatVersion"], 1);
    assert_eq!(metadata["rowCount"], 100);
    assert_eq!(metadata["archive"]["kind"], "raw");
    assert_eq!(
        metadata["archive"]["columns"],
        json!([{"path": "LastValue", "indexed": false, "required": false}])
    );
    assert_eq!(metadata["window"], Value::Null);
    let data = zip_entry(&zip, "data.ndjson");
    let first: Value = serde_json::from_str(data.lines().next().unwrap()).unwrap();
    assert_eq!(first["ckTypeId"], "Demo/Sensor");
    assert!(first["timestamp"].as_str().unwrap().ends_with('Z'));

    // A window is half-open.
    let (_, windowed, _, _) = send(
        &router,
        Request::get(format!(
            "{export}?fromUtc=2026-01-01T00:10:00Z&toUtc=2026-01-01T00:20:00Z"
        ))
        .body(Body::empty())
        .unwrap(),
    )
    .await;
    let windowed: Value = serde_json::from_str(&zip_entry(&windowed, "metadata.json")).unwrap();
    assert_eq!(windowed["rowCount"], 20, "{windowed}");
    let (status, _, _, _) = send(
        &router,
        Request::get(format!(
            "{export}?fromUtc=2026-01-02T00:00:00Z&toUtc=2026-01-01T00:00:00Z"
        ))
        .body(Body::empty())
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Into an active archive: refused, saying what to do.
    let target = raw_archive(&copy, &["LastValue"], "Created");
    crate::series::archives::transition(
        &copy,
        &target,
        crate::series::archives::Transition::Activate,
    )
    .unwrap();
    let (status, body, _, _) = send(
        &router,
        import_request("copy", &target, "InsertOnly", zip.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        json_of(&body)["message"],
        format!("archive {target} is Activated; disable it first (disable_archive)")
    );
    crate::series::archives::transition(
        &copy,
        &target,
        crate::series::archives::Transition::Disable,
    )
    .unwrap();

    // A bad line refuses everything, naming the line.
    let mut lines: Vec<&str> = data.lines().collect();
    lines[2] = "{\"rtid\": \"x\", \"timestamp\": \"yesterday\"}";
    let broken = with_data(&zip, &(lines.join("\n") + "\n"));
    let (status, body, _, _) =
        send(&router, import_request("copy", &target, "Upsert", broken)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        json_of(&body)["message"]
            .as_str()
            .unwrap()
            .contains("line 3"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(points_of(&platform, "copy", &target).is_empty());

    // Schema mismatch: other columns.
    let other = raw_archive(&copy, &["LastValue", "HighLimit"], "Created");
    crate::series::archives::transition(
        &copy,
        &other,
        crate::series::archives::Transition::Activate,
    )
    .ok();
    crate::series::archives::transition(
        &copy,
        &other,
        crate::series::archives::Transition::Disable,
    )
    .ok();
    let (status, body, _, _) = send(
        &router,
        import_request("copy", &other, "InsertOnly", zip.clone()),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(
        json_of(&body)["message"]
            .as_str()
            .unwrap()
            .contains("columns")
    );

    // The import gives the same points.
    let (status, body, _, _) = send(
        &router,
        import_request("copy", &target, "InsertOnly", zip.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        json_of(&body),
        json!({"rowsImported": 100, "rowsSkipped": 0, "archiveRtId": target})
    );
    assert_eq!(
        points_of(&platform, "copy", &target),
        points_of(&platform, "demo", &from_archive)
    );

    // InsertOnly keeps existing rows (skipped); Upsert replaces them.
    let (_, body, _, _) = send(
        &router,
        import_request("copy", &target, "InsertOnly", zip.clone()),
    )
    .await;
    assert_eq!(json_of(&body)["rowsImported"], 0);
    assert_eq!(json_of(&body)["rowsSkipped"], 100);
    let (_, body, _, _) = send(
        &router,
        import_request("copy", &target, "Upsert", zip.clone()),
    )
    .await;
    assert_eq!(json_of(&body)["rowsImported"], 100);
    assert_eq!(points_of(&platform, "copy", &target).len(), 100);
}

#[tokio::test]
async fn the_fixup_route_runs_due_fixups_and_answers_what_ran() {
    let (_dir, platform, router) = setup("fixups");
    let tenant = platform.create_tenant("plant").unwrap();
    let fixup = tenant
        .create_entity(EntityInput {
            ck_type: "System.Bot/Fixup".into(),
            rt_id: None,
            well_known_name: None,
            attributes: vec![
                ("Enabled".into(), json!(true)),
                ("Name".into(), json!("hello")),
                ("Order".into(), json!(1)),
                ("Script".into(), json!("print(\"hi \" + 40 + 2);")),
                ("IsApplied".into(), json!(false)),
            ],
            associations: Vec::new(),
        })
        .unwrap()
        .rt_id;
    let (status, body, _, _) = send(
        &router,
        post_json("/system/v1/tenants/plant/fixups/run", json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        json_of(&body),
        json!({"ran": [{"rtId": fixup, "name": "hello", "order": 1, "isSuccess": true, "output": "hi 402\n", "error": null}], "skipped": 0})
    );
    let (_, body, _, _) = send(
        &router,
        post_json("/system/v1/tenants/plant/fixups/run", json!({})),
    )
    .await;
    assert_eq!(json_of(&body), json!({"ran": [], "skipped": 0}));
}
