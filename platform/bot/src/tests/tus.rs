//! The TUS endpoint against the tus 1.0.0 rules, and the jobs that consume its uploads.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use octomesh_platform_common::Guard;
use reqwest::Method;
use tokio::io::AsyncWriteExt as _;

use super::harness::{Harness, StandInServer, TempDir, token_guard};

fn metadata(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{key} {}", STANDARD.encode(value)))
        .collect::<Vec<_>>()
        .join(",")
}

impl Harness {
    pub(super) fn tus(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.at(path))
            .header("Tus-Resumable", "1.0.0")
    }

    /// Creates an upload of `length` bytes at `collection`; its absolute URL.
    async fn create_upload(
        &self,
        collection: &str,
        length: u64,
        meta: &[(&str, &str)],
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .tus(Method::POST, collection)
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", metadata(meta));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("answers")
    }

    pub(super) async fn upload(
        &self,
        collection: &str,
        bytes: &[u8],
        meta: &[(&str, &str)],
    ) -> String {
        let created = self
            .create_upload(collection, bytes.len() as u64, meta, None)
            .await;
        assert_eq!(created.status(), 201);
        let location = created.headers()["location"].to_str().unwrap().to_owned();
        let patched = self
            .http
            .patch(&location)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", "0")
            .header("Content-Type", "application/offset+octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(patched.status(), 204);
        location
    }
}

fn file_id(location: &str) -> &str {
    location.rsplit('/').next().unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name}: {:?}", response.headers()))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn tus_creates_heads_and_patches_with_offsets_checked() {
    let dir = TempDir::new("tus");
    let standin = StandInServer::start().await;
    let bot = Harness::start(&dir.0, &standin, Guard::new(None), |_| {}).await;

    let options = bot
        .http
        .request(Method::OPTIONS, bot.at("/system/v1/tus-upload"))
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), 204);
    assert_eq!(header(&options, "tus-resumable"), "1.0.0");
    assert_eq!(header(&options, "tus-version"), "1.0.0");
    assert_eq!(header(&options, "tus-extension"), "creation,termination");
    assert_eq!(header(&options, "tus-max-size"), "10737418240");

    let unversioned = bot
        .http
        .post(bot.at("/system/v1/tus-upload"))
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(unversioned.status(), 412);
    assert_eq!(header(&unversioned, "tus-version"), "1.0.0");
    assert_eq!(header(&unversioned, "tus-resumable"), "1.0.0");

    let no_tenant = bot
        .create_upload("/system/v1/tus-upload", 10, &[("fileName", "a.gz")], None)
        .await;
    assert_eq!(no_tenant.status(), 400);
    let no_length = bot
        .tus(Method::POST, "/system/v1/tus-upload")
        .send()
        .await
        .unwrap();
    assert_eq!(no_length.status(), 400);

    let created = bot
        .create_upload(
            "/system/v1/tus-upload",
            10,
            &[("tenantId", "demo"), ("fileName", "dump.tar.gz")],
            None,
        )
        .await;
    assert_eq!(created.status(), 201);
    assert_eq!(header(&created, "tus-resumable"), "1.0.0");
    let location = header(&created, "location").to_owned();
    assert!(
        location.starts_with(&format!("{}/system/v1/tus-upload/", bot.url)),
        "{location}"
    );
    assert_eq!(file_id(&location).len(), 32);

    let head = bot.http.head(&location).header("Tus-Resumable", "1.0.0");
    let head = head.send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "upload-offset"), "0");
    assert_eq!(header(&head, "upload-length"), "10");
    assert_eq!(header(&head, "cache-control"), "no-store");
    assert_eq!(header(&head, "tus-resumable"), "1.0.0");
    let echoed = crate::tus::metadata::Metadata::parse(header(&head, "upload-metadata")).unwrap();
    assert_eq!(echoed.text("fileName"), Some("dump.tar.gz"));

    let patch = |offset: &str, content_type: &str, body: &'static [u8]| {
        bot.http
            .patch(&location)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset)
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let wrong = patch("5", "application/offset+octet-stream", b"56789")
        .await
        .unwrap();
    assert_eq!(wrong.status(), 409);
    assert_eq!(header(&wrong, "tus-resumable"), "1.0.0");
    let wrong_type = patch("0", "application/octet-stream", b"0123")
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    let first = patch("0", "application/offset+octet-stream", b"0123")
        .await
        .unwrap();
    assert_eq!(first.status(), 204);
    assert_eq!(header(&first, "upload-offset"), "4");
    let rest = patch("4", "application/offset+octet-stream", b"456789")
        .await
        .unwrap();
    assert_eq!(rest.status(), 204);
    assert_eq!(header(&rest, "upload-offset"), "10");
    let beyond = patch("10", "application/offset+octet-stream", b"x")
        .await
        .unwrap();
    assert_eq!(beyond.status(), 413);
    assert_eq!(
        std::fs::read(dir.0.join("bot/tus").join(file_id(&location))).unwrap(),
        b"0123456789"
    );

    // X-HTTP-Method-Override: a POST that is a HEAD.
    let overridden = bot
        .http
        .post(&location)
        .header("Tus-Resumable", "1.0.0")
        .header("X-HTTP-Method-Override", "HEAD")
        .send()
        .await
        .unwrap();
    assert_eq!(overridden.status(), 200);
    assert_eq!(header(&overridden, "upload-offset"), "10");

    let deleted = bot
        .http
        .delete(&location)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = bot.http.head(&location).header("Tus-Resumable", "1.0.0");
    let gone = gone.send().await.unwrap();
    assert_eq!(gone.status(), 404);
    assert_eq!(header(&gone, "tus-resumable"), "1.0.0");
    assert!(!dir.0.join("bot/tus").join(file_id(&location)).exists());
}

#[tokio::test]
async fn an_interrupted_patch_keeps_what_arrived_and_resumes() {
    let dir = TempDir::new("tus-resume");
    let standin = StandInServer::start().await;
    let bot = Harness::start(&dir.0, &standin, Guard::new(None), |_| {}).await;
    let bytes: Vec<u8> = (0..200_000u32).map(|index| (index % 251) as u8).collect();
    let created = bot
        .create_upload("/demo/v1/tus-upload", bytes.len() as u64, &[], None)
        .await;
    assert_eq!(created.status(), 201);
    let location = header(&created, "location").to_owned();
    assert!(location.contains("/demo/v1/tus-upload/"), "{location}");
    let path = location.strip_prefix(&bot.url).unwrap().to_owned();

    // A PATCH that breaks off after 80,000 of its 200,000 bytes.
    let address = bot.url.strip_prefix("http://").unwrap();
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {address}\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: {}\r\n\r\n",
        bytes.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&bytes[..80_000]).await.unwrap();
    socket.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(socket);

    let head = bot.http.head(&location).header("Tus-Resumable", "1.0.0");
    let head = head.send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "upload-offset"), "80000");
    let rest = bot
        .http
        .patch(&location)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "80000")
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes[80_000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 204);
    assert_eq!(header(&rest, "upload-offset"), "200000");

    // The whole upload is restored, then deleted.
    let id = bot
        .enqueue(
            &format!(
                "/demo/v1/jobs/restore-from-upload?tusFileId={}&databaseName=demo_restored&replace=true",
                file_id(&location)
            ),
            None,
        )
        .await;
    let job = bot.wait("/demo/v1", &id, "Succeeded").await;
    assert_eq!(job["output"]["bytes"], 200_000);
    let seen = standin.state.last("restore");
    assert_eq!(seen.body.as_ref(), bytes.as_slice());
    assert_eq!(seen.query["databaseName"], "demo_restored");
    assert_eq!(seen.query["replace"], "true");
    assert_eq!(seen.query["restoreArchiveData"], "false");
    assert!(!seen.query.contains_key("oldDatabaseName"));
    let gone = bot.http.head(&location).header("Tus-Resumable", "1.0.0");
    assert_eq!(gone.send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn uploads_over_the_limit_are_refused() {
    let dir = TempDir::new("tus-limit");
    let standin = StandInServer::start().await;
    let bot = Harness::start(&dir.0, &standin, Guard::new(None), |config| {
        config.max_upload_bytes = 1000;
    })
    .await;
    let too_large = bot
        .create_upload("/system/v1/tus-upload", 1001, &[("tenantId", "demo")], None)
        .await;
    assert_eq!(too_large.status(), 413);
    assert_eq!(header(&too_large, "tus-resumable"), "1.0.0");
    let fits = bot
        .create_upload("/system/v1/tus-upload", 1000, &[("tenantId", "demo")], None)
        .await;
    assert_eq!(fits.status(), 201);
}

#[tokio::test]
async fn uploads_belong_to_their_tenant() {
    let dir = TempDir::new("tus-tenant");
    let standin = StandInServer::start().await;
    let bot = Harness::start(&dir.0, &standin, token_guard(), |_| {}).await;

    // No token, a read-only token, a token for another tenant: refused.
    let anonymous = bot
        .create_upload("/system/v1/tus-upload", 3, &[("tenantId", "demo")], None)
        .await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(header(&anonymous, "tus-resumable"), "1.0.0");
    let reader = bot
        .create_upload("/demo/v1/tus-upload", 3, &[], Some("reader"))
        .await;
    assert_eq!(reader.status(), 403);
    let elsewhere = bot
        .create_upload(
            "/system/v1/tus-upload",
            3,
            &[("tenantId", "plant")],
            Some("alice"),
        )
        .await;
    assert_eq!(elsewhere.status(), 403);
    // A tenant's user uploads through the system path for its own tenant.
    let own = bot
        .create_upload(
            "/system/v1/tus-upload",
            3,
            &[("tenantId", "demo")],
            Some("alice"),
        )
        .await;
    assert_eq!(own.status(), 201);
    // The system tenant's user uploads for a tenant about to be restored.
    let admin = bot
        .create_upload(
            "/system/v1/tus-upload",
            3,
            &[("tenantId", "fresh")],
            Some("admin"),
        )
        .await;
    assert_eq!(admin.status(), 201);
    let mismatch = bot
        .create_upload(
            "/demo/v1/tus-upload",
            3,
            &[("tenantId", "plant")],
            Some("alice"),
        )
        .await;
    assert_eq!(mismatch.status(), 400);

    // `plant`'s upload, complete, made by a service.
    let plant = bot
        .create_upload(
            "/system/v1/tus-upload",
            3,
            &[("tenantId", "plant")],
            Some("service"),
        )
        .await;
    let plant = header(&plant, "location").to_owned();
    let patched = bot
        .http
        .patch(&plant)
        .bearer_auth("service")
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "0")
        .header("Content-Type", "application/offset+octet-stream")
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    let head = bot
        .http
        .head(&plant)
        .bearer_auth("alice")
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 403);

    let bot = &bot;
    let restore = |token: &'static str, upload: String| {
        let path =
            format!("/demo/v1/jobs/restore-from-upload?tusFileId={upload}&databaseName=demo");
        async move { bot.post(&path, None, Some(token)).await }
    };
    let (code, answer) = restore("alice", file_id(&plant).to_owned()).await;
    assert_eq!(code, 404);
    assert_eq!(
        answer["message"],
        format!(
            "Upload file not found for tus file ID '{}'. Ensure the upload completed successfully.",
            file_id(&plant)
        )
    );
    let (code, _) = restore("alice", "0".repeat(32)).await;
    assert_eq!(code, 404);
    // Alice's own upload is not complete yet.
    let own = header(&own, "location").to_owned();
    let (code, answer) = restore("alice", file_id(&own).to_owned()).await;
    assert_eq!(code, 400);
    assert!(
        answer["message"].as_str().unwrap().contains("0 of 3 bytes"),
        "{answer}"
    );
    let empty = bot
        .create_upload("/demo/v1/tus-upload", 0, &[], Some("alice"))
        .await;
    let empty = header(&empty, "location").to_owned();
    let (code, answer) = restore("alice", file_id(&empty).to_owned()).await;
    assert_eq!(code, 400);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("is empty (0 bytes)"),
        "{answer}"
    );
    // The job routes are the tenant's too.
    let (code, _) = bot
        .post("/plant/v1/jobs/run-fixup-scripts", None, Some("alice"))
        .await;
    assert_eq!(code, 403);
    let (code, _) = bot
        .post("/demo/v1/jobs/run-fixup-scripts", None, Some("reader"))
        .await;
    assert_eq!(code, 403);
    // The system tenant restores `plant`'s upload into `plant`.
    let (code, answer) = bot
        .post(
            &format!(
                "/octosystem/v1/jobs/restore-from-upload?tenantId=plant&tusFileId={}&databaseName=plant",
                file_id(&plant)
            ),
            None,
            Some("service"),
        )
        .await;
    assert_eq!(code, 200, "{answer}");
}
