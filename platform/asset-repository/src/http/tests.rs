//! The REST contract through the router, without a socket.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use crate::ck::load::LibraryFiles;
use crate::ck::tests::fixtures;
use crate::store::Platform;

struct DataDir(std::path::PathBuf);

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn setup(name: &str) -> (DataDir, Arc<Platform>, axum::Router) {
    let dir =
        DataDir(std::env::temp_dir().join(format!("octomesh-http-{name}-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    let platform = Arc::new(Platform::open(&dir.0, crate::builtin::builtin_libraries()).unwrap());
    let router = super::router(
        Arc::clone(&platform),
        octomesh_platform_common::Guard::new(None),
    );
    (dir, platform, router)
}

async fn call(router: &axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn multipart(file_name: &str, content: &str) -> (String, Body) {
    let boundary = "octomesh-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/yaml\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    (
        format!("multipart/form-data; boundary={boundary}"),
        Body::from(body),
    )
}

#[tokio::test]
async fn tenants_are_listed_created_and_deleted() {
    let (_dir, _platform, router) = setup("tenants");
    let post = Request::post("/octosystem/v1/tenants?childTenantId=plant-a&databaseName=plant-a")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&router, post).await.0, StatusCode::CREATED);
    let (status, tenants) = call(
        &router,
        Request::get("/octosystem/v1/tenants")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tenants.as_array().unwrap().len(), 2);
    let again = Request::post("/octosystem/v1/tenants?childTenantId=plant-a")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&router, again).await.0, StatusCode::CONFLICT);
    let bad = Request::post("/octosystem/v1/tenants?childTenantId=Bad%20Name")
        .body(Body::empty())
        .unwrap();
    let (status, body) = call(&router, bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("is not a tenant id"),
        "{body}"
    );
    let delete = Request::delete("/octosystem/v1/tenants?childTenantId=plant-a")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&router, delete).await.0, StatusCode::OK);
    let system = Request::delete("/octosystem/v1/tenants?childTenantId=octosystem")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&router, system).await.0, StatusCode::BAD_REQUEST);
    let unknown = Request::get("/nobody/v1/tenants")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&router, unknown).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_runtime_model_upload_runs_as_a_job_that_reports_its_outcome() {
    let (_dir, platform, router) = setup("import");
    let tenant = platform.create_tenant("pv").unwrap();
    for name in ["Basic", "Industry.Basic", "Industry.Energy"] {
        tenant
            .import_ck(&LibraryFiles::read_dir(&fixtures().join(name)).unwrap())
            .unwrap();
    }
    let sample = std::fs::read_to_string(fixtures().join("../rt/pv/rt-pv.yaml")).unwrap();
    let (content_type, body) = multipart("rt-pv.yaml", &sample);
    let request = Request::post("/pv/v1/Models/ImportRt?importStrategy=0")
        .header("content-type", content_type)
        .body(body)
        .unwrap();
    let (status, answer) = call(&router, request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let job_id = answer["jobId"].as_str().unwrap().to_owned();
    let job = wait_for(&router, "pv", &job_id).await;
    assert_eq!(job["state"], "Succeeded", "{job}");
    assert!(
        job["message"].as_str().unwrap().starts_with("created"),
        "{job}"
    );
    assert!(tenant.count_entities().unwrap() > 0);

    // The same upload again with InsertOnly fails as a whole, and says why.
    let (content_type, body) = multipart("rt-pv.yaml", &sample);
    let request = Request::post("/pv/v1/Models/ImportRt?importStrategy=InsertOnly")
        .header("content-type", content_type)
        .body(body)
        .unwrap();
    let job_id = call(&router, request).await.1["jobId"]
        .as_str()
        .unwrap()
        .to_owned();
    let job = wait_for(&router, "pv", &job_id).await;
    assert_eq!(job["state"], "Failed");
    assert!(
        job["errors"][0]
            .as_str()
            .unwrap()
            .contains("already exists; import with Upsert"),
        "{job}"
    );

    // A zip must hold a runtime model; a broken one is refused saying so.
    let (content_type, body) = multipart("model.zip", "PK");
    let request = Request::post("/pv/v1/Models/ImportRt")
        .header("content-type", content_type)
        .body(body)
        .unwrap();
    let (status, answer) = call(&router, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer.to_string().contains("zip"), "{answer}");
    let (content_type, body) = multipart("rt.yaml", &sample);
    let request = Request::post("/pv/v1/Models/ImportRt?importStrategy=Merge")
        .header("content-type", content_type)
        .body(body)
        .unwrap();
    let (status, answer) = call(&router, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("InsertOnly (0) or Upsert (1)")
    );
    let missing = Request::get("/pv/v1/jobs?id=999")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&router, missing).await.0, StatusCode::NOT_FOUND);
}

async fn wait_for(router: &axum::Router, tenant: &str, job_id: &str) -> Value {
    for _ in 0..200 {
        let request = Request::get(format!("/{tenant}/v1/jobs?id={job_id}"))
            .body(Body::empty())
            .unwrap();
        let (_, job) = call(router, request).await;
        if job["state"] == "Succeeded" || job["state"] == "Failed" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job {job_id} did not finish");
}

fn multipart_bytes(file_name: &str, content: &[u8]) -> (String, Body) {
    let boundary = "octomesh-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary={boundary}"),
        Body::from(body),
    )
}

/// A library folder zipped under `prefix/`, as a user zips a checkout.
fn zip_library(library: &LibraryFiles, prefix: &str) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, text) in &library.files {
        writer
            .start_file(format!("{prefix}/{}", path.display()), options)
            .unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A library's files merged into one compiled document.
fn compile(library: &LibraryFiles) -> String {
    let mut document = serde_yaml::Mapping::new();
    for (path, text) in &library.files {
        let serde_yaml::Value::Mapping(mapping) = serde_yaml::from_str(text).unwrap() else {
            panic!("{} is a mapping", path.display());
        };
        for (key, value) in mapping {
            match (document.get_mut(&key), value) {
                (Some(serde_yaml::Value::Sequence(items)), serde_yaml::Value::Sequence(more)) => {
                    items.extend(more)
                }
                (_, value) => {
                    document.insert(key, value);
                }
            }
        }
    }
    serde_yaml::to_string(&document).unwrap()
}

async fn import_ck(router: &axum::Router, tenant: &str, file_name: &str, bytes: &[u8]) -> Value {
    let (content_type, body) = multipart_bytes(file_name, bytes);
    let request = Request::post(format!("/{tenant}/v1/Models/ImportCk"))
        .header("content-type", content_type)
        .body(body)
        .unwrap();
    let (status, answer) = call(router, request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    wait_for(router, tenant, answer["jobId"].as_str().unwrap()).await
}

#[tokio::test]
async fn ck_libraries_import_from_a_zip_or_a_compiled_file_as_jobs() {
    let (_dir, platform, router) = setup("import-ck");
    let tenant = platform.create_tenant("plant").unwrap();
    let basic = LibraryFiles::read_dir(&fixtures().join("Basic")).unwrap();
    let industry = LibraryFiles::read_dir(&fixtures().join("Industry.Basic")).unwrap();

    // Industry.Basic depends on Basic: refused while Basic is missing, and nothing installed.
    let job = import_ck(
        &router,
        "plant",
        "industry.yaml",
        compile(&industry).as_bytes(),
    )
    .await;
    assert_eq!(job["state"], "Failed", "{job}");
    assert!(job["errors"].to_string().contains("Basic"), "{job}");
    assert_eq!(tenant.installed_model("Industry.Basic").unwrap(), None);

    let job = import_ck(
        &router,
        "plant",
        "basic.zip",
        &zip_library(&basic, "Basic/ConstructionKit"),
    )
    .await;
    assert_eq!(job["state"], "Succeeded", "{job}");
    assert!(
        job["message"]
            .as_str()
            .unwrap()
            .starts_with("installed Basic-"),
        "{job}"
    );
    let job = import_ck(
        &router,
        "plant",
        "industry.yaml",
        compile(&industry).as_bytes(),
    )
    .await;
    assert_eq!(job["state"], "Succeeded", "{job}");
    assert!(tenant.installed_model("Industry.Basic").unwrap().is_some());

    // A broken reference names the file and the element.
    let mut broken = LibraryFiles::read_dir(&fixtures().join("../../plant")).unwrap();
    let machine = broken
        .files
        .get_mut(std::path::Path::new("types/machine.yaml"))
        .unwrap();
    *machine = machine.replace("${this}/Speed", "${this}/Sped");
    let job = import_ck(
        &router,
        "plant",
        "plant.zip",
        &zip_library(&broken, "plant"),
    )
    .await;
    assert_eq!(job["state"], "Failed", "{job}");
    let errors = job["errors"].to_string();
    assert!(
        errors.contains("machine.yaml") && errors.contains("Sped"),
        "{errors}"
    );

    let job = import_ck(&router, "plant", "junk.zip", b"PK\x03\x04 not really").await;
    assert_eq!(job["state"], "Failed");
    assert!(
        job["errors"][0]
            .as_str()
            .unwrap()
            .contains("not a readable zip"),
        "{job}"
    );
    let job = import_ck(
        &router,
        "plant",
        "empty.zip",
        &zip_library(&LibraryFiles::default(), "x"),
    )
    .await;
    assert!(
        job["errors"][0]
            .as_str()
            .unwrap()
            .contains("no ckModel.yaml"),
        "{job}"
    );
}

#[tokio::test]
async fn graphql_answers_over_http() {
    let (_dir, platform, router) = setup("graphql");
    crate::demo::seed(
        &platform,
        "demo",
        crate::demo::DemoSize {
            sites: 1,
            machines_per_site: 2,
            sensors_per_machine: 1,
        },
    )
    .unwrap();
    let request = Request::post("/tenants/demo/GraphQL")
        .header("content-type", "application/json")
        .body(Body::from(
            serde_json::json!({"query": "{ runtime { runtimeEntities(ckId: \"Demo/Machine\") { totalCount } } }"})
                .to_string(),
        ))
        .unwrap();
    let (status, answer) = call(&router, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer["data"]["runtime"]["runtimeEntities"]["totalCount"], 2,
        "{answer}"
    );
    let request = Request::post("/tenants/nobody/GraphQL")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"query": "{ runtime { __typename } }"}"#))
        .unwrap();
    let (_, answer) = call(&router, request).await;
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{answer}"
    );
}

/// A platform router that needs the identity service's tokens, and tokens for it.
fn guarded(
    name: &str,
) -> (
    DataDir,
    Arc<Platform>,
    Arc<octomesh_identity::Identity>,
    axum::Router,
) {
    let (dir, platform, _) = setup(name);
    crate::demo::seed(
        &platform,
        "demo",
        crate::demo::DemoSize {
            sites: 1,
            machines_per_site: 1,
            sensors_per_machine: 1,
        },
    )
    .unwrap();
    platform.create_tenant("other").unwrap();
    let (identity, _) = octomesh_identity::Identity::open(
        &dir.0,
        "http://127.0.0.1:5003",
        octomesh_identity::TenantDirectory::fixed(&["octosystem", "demo", "other"]),
        Some("admin-password"),
    )
    .unwrap();
    let identity = Arc::new(identity);
    identity
        .users()
        .create(
            "reader",
            "reader-pass",
            "Reader",
            None,
            &[],
            &["demo".to_owned()],
        )
        .unwrap();
    let own = Arc::clone(&identity);
    let verifier = octomesh_platform_common::TokenVerifier::Local(Arc::new(move |token: &str| {
        own.verify(token)
    }));
    let router = super::router(
        Arc::clone(&platform),
        octomesh_platform_common::Guard::new(Some(verifier)),
    );
    (dir, platform, identity, router)
}

fn token(identity: &octomesh_identity::Identity, user: &str, scope: &str) -> String {
    identity
        .issue_user_token(
            octomesh_identity::clients::MCP_DEVICE_CLIENT,
            user,
            scope,
            None,
        )
        .unwrap()
}

fn graphql(tenant: &str, token: Option<&str>, query: &str) -> Request<Body> {
    let mut request = Request::post(format!("/tenants/{tenant}/GraphQL"))
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request
        .body(Body::from(serde_json::json!({"query": query}).to_string()))
        .unwrap()
}

#[tokio::test]
async fn every_route_needs_a_token_for_its_tenant_and_scope() {
    let (_dir, _platform, identity, router) = guarded("guarded");
    let count = "{ runtime { runtimeEntities(ckId: \"Demo/Site\") { totalCount } } }";
    let create = "mutation { runtime { runtimeEntities { create(entities: [{ckTypeId: \"Demo/Site\", attributes: [{attributeName: \"Name\", value: \"X\"}, {attributeName: \"Country\", value: \"AT\"}]}]) { rtId } } } }";

    let (status, _) = call(&router, graphql("demo", None, count)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(&router, graphql("demo", Some("not-a-token"), count)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let read_only = token(&identity, "reader", "openid octo_api.read_only");
    let (status, answer) = call(&router, graphql("demo", Some(&read_only), count)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer["data"]["runtime"]["runtimeEntities"]["totalCount"], 1,
        "{answer}"
    );
    let (_, refused) = call(&router, graphql("demo", Some(&read_only), create)).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "AUTH_NOT_AUTHORIZED",
        "{refused}"
    );
    let (status, _) = call(&router, graphql("other", Some(&read_only), count)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a token of tenant demo cannot touch tenant other"
    );
    let upload = Request::post("/demo/v1/Models/ImportRt")
        .header("authorization", format!("Bearer {read_only}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&router, upload).await.0, StatusCode::FORBIDDEN);

    let writer = token(&identity, "reader", "openid octo_api");
    let (_, created) = call(&router, graphql("demo", Some(&writer), create)).await;
    assert!(
        created["data"]["runtime"]["runtimeEntities"]["create"][0]["rtId"].is_string(),
        "{created}"
    );
    let health = Request::get("/healthz").body(Body::empty()).unwrap();
    assert_eq!(call(&router, health).await.0, StatusCode::OK);
}

#[tokio::test]
async fn stream_data_archives_take_points_and_downsample_them() {
    let (_dir, platform, router) = setup("streamdata");
    crate::demo::seed(
        &platform,
        "demo",
        crate::demo::DemoSize {
            sites: 1,
            machines_per_site: 1,
            sensors_per_machine: 2,
        },
    )
    .unwrap();
    let tenant = platform.tenant("demo").unwrap();
    let archive = tenant
        .create_entity(crate::store::EntityInput {
            ck_type: "System.StreamData/RawArchive".into(),
            rt_id: None,
            well_known_name: None,
            attributes: vec![
                ("TargetCkTypeId".into(), serde_json::json!("Demo/Sensor")),
                (
                    "Columns".into(),
                    serde_json::json!([{"Path": "LastValue", "Required": true, "Indexed": false}]),
                ),
                ("Status".into(), serde_json::json!("Created")),
                ("RecomputeInProgress".into(), serde_json::json!(false)),
            ],
            associations: Vec::new(),
        })
        .unwrap()
        .rt_id;
    let base = format!("/demo/v1/streamdata/archives/{archive}");
    let post_json = |path: String, body: serde_json::Value| {
        Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let sensors = [crate::demo::demo_rt_id(3, 0), crate::demo::demo_rt_id(3, 1)];
    let points: Vec<serde_json::Value> = (0..100)
        .flat_map(|minute: i64| {
            sensors.iter().enumerate().map(move |(idx, sensor)| {
                serde_json::json!({"rtId": sensor, "timestamp": 1_767_225_600_000i64 + minute * 60_000,
                                   "values": {"LastValue": (minute + idx as i64 * 1000) as f64}})
            })
        })
        .collect();

    // Not yet activated: refused.
    let (status, answer) = call(
        &router,
        post_json(
            format!("{base}/points"),
            serde_json::json!({"points": points.clone()}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["message"].as_str().unwrap().contains("is Created"),
        "{answer}"
    );
    let (status, activated) = call(
        &router,
        post_json(format!("{base}/activate"), serde_json::json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{activated}");
    assert_eq!(activated["status"], "Activated");

    let (status, written) = call(
        &router,
        post_json(
            format!("{base}/points"),
            serde_json::json!({"points": points}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{written}");
    assert_eq!(written["written"], 200);
    let (status, bad) = call(
        &router,
        post_json(format!("{base}/points"), serde_json::json!({"points": [{"rtId": sensors[0], "timestamp": "2026-01-01T00:00:00Z", "values": {"Speed": 1.0}}]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        bad["message"]
            .as_str()
            .unwrap()
            .contains("`Speed` is not a column"),
        "{bad}"
    );

    // 100 minutes into 10 buckets of 10 minutes: the first sensor's average is 4.5, 14.5, …
    let query = format!(
        "{base}/downsample?column=LastValue&function=avg&from=2026-01-01T00:00:00Z&to=2026-01-01T01:40:00Z&limit=10&rtIds={}",
        sensors[0]
    );
    let (status, downsampled) =
        call(&router, Request::get(query).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{downsampled}");
    let values: Vec<f64> = downsampled["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|bucket| bucket["value"].as_f64().unwrap())
        .collect();
    assert_eq!(
        values,
        (0..10)
            .map(|bucket| bucket as f64 * 10.0 + 4.5)
            .collect::<Vec<_>>()
    );

    let (status, _) = call(
        &router,
        Request::delete(base.clone()).body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &router,
        post_json(format!("{base}/enable"), serde_json::json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a deleted archive is gone");
    let mut left = 0;
    platform
        .series("demo")
        .unwrap()
        .scan(&archive, &sensors[0], 0, i64::MAX, |_, _| left += 1)
        .unwrap();
    assert_eq!(left, 0, "its points are dropped");
}
