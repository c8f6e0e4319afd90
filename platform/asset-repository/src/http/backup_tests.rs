//! `system/v1/tenants/{tenantId}/dump` and `…/restore` through the router: the download's
//! headers and body, the restore's answer and refusals, the upload cap, and the guard (only the
//! system tenant's tokens).

use std::io::Read;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

use crate::store::Platform;

struct DataDir(std::path::PathBuf);

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn setup(
    name: &str,
    verifier: bool,
) -> (
    DataDir,
    Arc<Platform>,
    Option<Arc<octomesh_identity::Identity>>,
    axum::Router,
) {
    let dir = DataDir(std::env::temp_dir().join(format!(
        "octomesh-http-backup-{name}-{}",
        std::process::id()
    )));
    let _ = std::fs::remove_dir_all(&dir.0);
    let platform = Arc::new(Platform::open(&dir.0, crate::builtin::builtin_libraries()).unwrap());
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
    let (identity, guard) = if verifier {
        let (identity, _) = octomesh_identity::Identity::open(
            &dir.0,
            "http://127.0.0.1:5003",
            octomesh_identity::TenantDirectory::fixed(&["octosystem", "demo"]),
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
        let verifier =
            octomesh_platform_common::TokenVerifier::Local(Arc::new(move |token: &str| {
                own.verify(token)
            }));
        (
            Some(identity),
            octomesh_platform_common::Guard::new(Some(verifier)),
        )
    } else {
        (None, octomesh_platform_common::Guard::new(None))
    };
    let router = super::router(Arc::clone(&platform), guard);
    (dir, platform, identity, router)
}

/// The answer's status, headers and whole body.
async fn send(
    router: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 << 20).await.unwrap();
    (parts.status, parts.headers, bytes.to_vec())
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

fn restore(path_and_query: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(path_and_query)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn a_tenant_dumps_as_a_download_and_restores_from_the_raw_body() {
    let (dir, platform, _, router) = setup("routes", false);
    let (status, headers, body) = send(
        &router,
        Request::get("/system/v1/tenants/demo/dump?includeArchiveData=true")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers[header::CONTENT_TYPE], "application/zip");
    assert_eq!(
        headers[header::CONTENT_LENGTH],
        body.len().to_string().as_str()
    );
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    let pattern =
        regex_lite::Regex::new(r#"^attachment; filename="demo-\d{8}-\d{6}\.octobak"$"#).unwrap();
    assert!(pattern.is_match(disposition), "{disposition}");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body.clone())).unwrap();
    let mut manifest = String::new();
    zip.by_name("manifest.json")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    let manifest = json(manifest.as_bytes());
    assert_eq!(manifest["format"], "octomesh-tenant-backup");
    assert_eq!(manifest["sourceTenantId"], "demo");
    assert_eq!(manifest["counts"]["entities"], 4);
    assert_eq!(manifest["includesArchiveData"], true, "{manifest}");
    let transfer = dir.0.join("tenants").join(".transfer");
    assert_eq!(
        std::fs::read_dir(&transfer).unwrap().count(),
        0,
        "the dump is deleted once sent"
    );

    let (status, _, answer) = send(
        &router,
        Request::get("/system/v1/tenants/nobody/dump")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        json(&answer)["message"]
            .as_str()
            .unwrap()
            .contains("nobody")
    );
    let (status, _, _) = send(
        &router,
        Request::get("/system/v1/tenants/demo/dump?includeArchiveData=maybe")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _, answer) = send(
        &router,
        restore(
            "/system/v1/tenants/copy/restore?databaseName=copy-db&restoreArchiveData=true",
            body.clone(),
        ),
    )
    .await;
    let answer = json(&answer);
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["tenantId"], "copy");
    assert_eq!(answer["databaseName"], "copy-db");
    assert_eq!(answer["sourceTenantId"], "demo");
    assert_eq!(answer["entities"], 4);
    assert_eq!(answer["associations"], manifest["counts"]["associations"]);
    assert_eq!(answer["ckModels"], manifest["ckModels"]);
    assert_eq!(answer["restoredArchiveData"], true);
    assert_eq!(answer["archives"], 0);
    assert_eq!(answer["warnings"], serde_json::json!([]));
    assert_eq!(
        platform.tenant("copy").unwrap().count_entities().unwrap(),
        4
    );

    // Again: the tenant exists now.
    let (status, _, answer) = send(
        &router,
        restore(
            "/system/v1/tenants/copy/restore?databaseName=copy-db",
            body.clone(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        json(&answer)["message"],
        "tenant copy exists: restore over it only with replace=true (the tool's confirm)"
    );
    let (status, _, answer) = send(
        &router,
        restore(
            "/system/v1/tenants/copy/restore?databaseName=copy-db&replace=true",
            body.clone(),
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer)
    );

    // Refusals: no database name, not a backup, more than the cap.
    let (status, _, answer) = send(
        &router,
        restore("/system/v1/tenants/third/restore", body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        json(&answer)["message"]
            .as_str()
            .unwrap()
            .contains("`databaseName` is required")
    );
    let (status, _, answer) = send(
        &router,
        restore(
            "/system/v1/tenants/third/restore?databaseName=third",
            b"hello".to_vec(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        json(&answer)["message"]
            .as_str()
            .unwrap()
            .contains("not an OctoMesh tenant backup"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let huge = Request::post("/system/v1/tenants/third/restore?databaseName=third")
        .header(header::CONTENT_LENGTH, (11u64 << 30).to_string())
        .body(Body::from(body.clone()))
        .unwrap();
    let (status, _, answer) = send(&router, huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        json(&answer)["message"]
            .as_str()
            .unwrap()
            .contains("10 GiB")
    );
    assert!(platform.entry("third").is_none());
    assert_eq!(
        std::fs::read_dir(&transfer).unwrap().count(),
        0,
        "uploads are deleted"
    );
}

#[tokio::test]
async fn an_upload_past_the_cap_is_refused_as_it_streams() {
    let (dir, _platform, _, _) = setup("cap", false);
    let path = dir.0.join("upload.bin");
    let refused = super::backup::receive(Body::from(vec![7u8; 20]), &path, 10).await;
    assert!(
        matches!(refused, Err(super::backup::Received::TooLarge)),
        "{refused:?}"
    );
    super::backup::receive(Body::from(vec![7u8; 10]), &path, 10)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), vec![7u8; 10]);
}

#[tokio::test]
async fn only_the_system_tenants_tokens_dump_and_restore() {
    let (_dir, _platform, identity, router) = setup("guard", true);
    let identity = identity.unwrap();
    let dump = |token: Option<String>| {
        let mut request = Request::get("/system/v1/tenants/demo/dump");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        request.body(Body::empty()).unwrap()
    };
    assert_eq!(send(&router, dump(None)).await.0, StatusCode::UNAUTHORIZED);
    let demo = identity
        .issue_user_token(
            octomesh_identity::clients::MCP_DEVICE_CLIENT,
            "reader",
            "openid octo_api",
            None,
        )
        .unwrap();
    assert_eq!(
        send(&router, dump(Some(demo.clone()))).await.0,
        StatusCode::FORBIDDEN,
        "a token of tenant demo cannot dump, not even its own tenant"
    );
    let restore = Request::post("/system/v1/tenants/demo/restore?databaseName=demo&replace=true")
        .header(header::AUTHORIZATION, format!("Bearer {demo}"))
        .body(Body::from("x"))
        .unwrap();
    assert_eq!(send(&router, restore).await.0, StatusCode::FORBIDDEN);
    let system = identity
        .issue_user_token(
            octomesh_identity::clients::MCP_DEVICE_CLIENT,
            "admin",
            "openid octo_api",
            Some("octosystem"),
        )
        .unwrap();
    let (status, _, body) = send(&router, dump(Some(system))).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
}
