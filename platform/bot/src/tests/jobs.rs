//! Jobs end to end: enqueue, run through the stand-in, status, download, delete, restart.

use std::time::Duration;

use octomesh_platform_common::Guard;
use serde_json::json;

use super::harness::{Harness, StandInServer, TempDir};
use super::standin::{BOT_TOKEN, dump_archive, dump_bytes};
use crate::jobs::kinds::JobRequest;
use crate::jobs::record::{JobStatus, StoredJob};
use crate::jobs::store::STOPPED_REASON;

#[tokio::test]
async fn a_dump_runs_and_its_result_downloads() {
    let dir = TempDir::new("dump");
    let standin = StandInServer::start().await;
    let bot = Harness::start(&dir.0, &standin, Guard::new(None), |_| {}).await;

    let id = bot
        .enqueue(
            "/slow/v1/jobs/dump-repository?includeArchiveData=true",
            None,
        )
        .await;
    // Durable before the answer: the record is on disk.
    let record = dir.0.join(format!("bot/jobs/{id}.json"));
    assert!(record.exists(), "{} is written", record.display());
    let running = bot.wait("/slow/v1", &id, "Processing").await;
    assert_eq!(running["kind"], "dump-repository");
    assert_eq!(running["tenantId"], "slow");
    let (code, refusal) = bot.get(&format!("/slow/v1/jobs/download?id={id}")).await;
    assert_eq!(code, 400);
    assert_eq!(
        refusal["message"],
        format!("The job with id: {id} is not in a final state.")
    );

    standin.state.gate.add_permits(1);
    let done = bot.wait("/slow/v1", &id, "Succeeded").await;
    assert_eq!(done["result"]["fileName"], "slow-dump.octobak");
    assert_eq!(done["result"]["contentType"], "application/zip");
    assert_eq!(done["progress"]["done"], dump_archive("slow").len());
    let size = done["result"]["sizeBytes"].as_u64().unwrap();
    assert_eq!(
        standin.state.last("dump").query["includeArchiveData"],
        "true"
    );
    // Without a secret the bot sends no token.
    assert_eq!(standin.state.last("dump").authorization, None);

    let response = bot
        .http
        .get(bot.at(&format!("/slow/v1/jobs/download?id={id}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/zip");
    assert_eq!(headers["content-length"], size.to_string().as_str());
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"slow-dump.octobak\""),
        "{headers:?}"
    );
    // The asset repository's archive with the tenant's identity data added and listed.
    let body = response.bytes().await.expect("the file");
    assert_eq!(body.len() as u64, size);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body)).expect("a ZIP");
    let read = |archive: &mut zip::ZipArchive<_>, name: &str| {
        std::io::read_to_string(archive.by_name(name).expect(name)).unwrap()
    };
    assert_eq!(
        read(&mut archive, "repository.sqlite").into_bytes(),
        dump_bytes("slow")
    );
    let identity: serde_json::Value =
        serde_json::from_str(&read(&mut archive, "identity.json")).unwrap();
    assert_eq!(identity, super::standin::identity_document("slow"));
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&mut archive, "manifest.json")).unwrap();
    let listed = manifest["entries"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{manifest}");
    assert_eq!(listed[1]["name"], "identity.json");
    assert_eq!(manifest["counts"]["identityAccounts"], 1);
    let last = archive.len() - 1;
    assert_eq!(
        archive.by_index(last).unwrap().name().unwrap(),
        "manifest.json",
        "the manifest is last"
    );
    assert_eq!(standin.state.count("dump", "slow"), 1);
}

#[tokio::test]
async fn an_asset_refusal_fails_the_job_with_its_message() {
    let dir = TempDir::new("refusal");
    let standin = StandInServer::start().await;
    let bot = Harness::start(&dir.0, &standin, Guard::new(None), |_| {}).await;

    let id = bot
        .enqueue("/system/v1/jobs/dump-repository?tenantId=missing", None)
        .await;
    let failed = bot.wait("/system/v1", &id, "Failed").await;
    assert_eq!(failed["errorMessage"], "Tenant 'missing' does not exist.");
    let reason = failed["reason"].as_str().expect("a reason");
    assert!(reason.contains("404"), "{reason}");
    let (code, refusal) = bot
        .get(&format!(
            "/system/v1/jobs/download?tenantId=missing&id={id}"
        ))
        .await;
    assert_eq!(code, 400);
    assert_eq!(
        refusal["message"],
        format!("The job with id: {id} has failed: Tenant 'missing' does not exist.")
    );
    // Nothing is left of the partial result.
    let results: Vec<_> = std::fs::read_dir(dir.0.join("bot/results"))
        .expect("the results directory")
        .collect();
    assert!(results.is_empty(), "{results:?}");
}

#[tokio::test]
async fn enqueue_names_what_is_wrong() {
    let dir = TempDir::new("enqueue");
    let standin = StandInServer::start().await;
    let bot = Harness::start(&dir.0, &standin, Guard::new(None), |_| {}).await;

    let (code, answer) = bot.post("/demo/v1/jobs/make-coffee", None, None).await;
    assert_eq!(code, 404);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("dump-repository"),
        "{answer}"
    );
    let (code, answer) = bot
        .post("/system/v1/jobs/run-fixup-scripts", None, None)
        .await;
    assert_eq!(code, 400);
    assert_eq!(
        answer["message"],
        "tenantId is required: send ?tenantId=<the tenant>"
    );
    let (code, answer) = bot
        .post(
            "/demo/v1/jobs/export-archive-data?archiveRtId=xyz",
            None,
            None,
        )
        .await;
    assert_eq!(code, 400);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("archiveRtId `xyz` is not an rtId"),
        "{answer}"
    );
    let (code, answer) = bot.get("/demo/v1/jobs?id=").await;
    assert_eq!(code, 400, "{answer}");
    assert!(
        std::fs::read_dir(dir.0.join("bot/jobs"))
            .unwrap()
            .next()
            .is_none()
    );
}

#[tokio::test]
async fn every_kind_reaches_its_asset_route() {
    let dir = TempDir::new("kinds");
    let standin = StandInServer::start().await;
    let bot = Harness::start(&dir.0, &standin, Guard::new(None), |_| {}).await;
    let query = "665f1c2ab3e4d5f60718293a";

    let id = bot
        .enqueue(
            "/demo/v1/jobs/export-runtime-model-by-query",
            Some(json!({"queryId": query})),
        )
        .await;
    let job = bot.wait("/demo/v1", &id, "Succeeded").await;
    assert_eq!(job["result"]["fileName"], "RtEntities.zip");
    let file = bot
        .http
        .get(bot.at(&format!("/demo/v1/jobs/download?id={id}")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(file, format!("ZIP of query {query}").as_bytes());

    let id = bot
        .enqueue(
            "/demo/v1/jobs/export-runtime-model-by-deep-graph",
            Some(json!({"originRtIds": [query], "originCkTypeId": "Basic/Tree"})),
        )
        .await;
    bot.wait("/demo/v1", &id, "Succeeded").await;
    let sent: serde_json::Value =
        serde_json::from_slice(&standin.state.last("by-deep-graph").body).unwrap();
    assert_eq!(
        sent,
        json!({"originRtIds": [query], "originCkTypeId": "Basic/Tree"})
    );

    let id = bot
        .enqueue(
            &format!("/demo/v1/jobs/export-archive-data?archiveRtId={query}&fromUtc=2026-07-01T02:00:00%2B02:00"),
            None,
        )
        .await;
    let job = bot.wait("/demo/v1", &id, "Succeeded").await;
    assert!(
        job["result"]["fileName"]
            .as_str()
            .unwrap()
            .starts_with(&format!("export-{query}-")),
        "{job}"
    );
    let seen = standin.state.last("archive-export");
    assert_eq!(seen.query["fromUtc"], "2026-07-01T00:00:00Z");
    assert!(!seen.query.contains_key("toUtc"));

    let location = bot
        .upload("/demo/v1/tus-upload", b"rows", &[("fileName", "rows.zip")])
        .await;
    let upload = location.rsplit('/').next().unwrap();
    let id = bot
        .enqueue(
            &format!("/system/v1/jobs/import-archive-data-from-upload?tenantId=demo&tusFileId={upload}&archiveRtId={query}&mode=upsert"),
            None,
        )
        .await;
    let job = bot.wait("/system/v1", &id, "Succeeded").await;
    assert_eq!(
        job["output"],
        json!({"archiveRtId": query, "mode": "Upsert", "bytes": 4})
    );
    let seen = standin.state.last("archive-import");
    assert_eq!(
        (seen.tenant.as_str(), seen.body.as_ref()),
        ("demo", b"rows".as_slice())
    );
    assert!(
        !dir.0.join("bot/tus").join(upload).exists(),
        "the upload is deleted"
    );

    let id = bot.enqueue("/demo/v1/jobs/run-fixup-scripts", None).await;
    let job = bot.wait("/demo/v1", &id, "Succeeded").await;
    assert_eq!(job["output"], json!({"applied": 2, "failed": 0}));
    assert!(job.get("result").is_none(), "{job}");
    let (code, answer) = bot.get(&format!("/demo/v1/jobs/download?id={id}")).await;
    assert_eq!(code, 404);
    assert!(
        answer["message"].as_str().unwrap().contains("output"),
        "{answer}"
    );
}

#[tokio::test]
async fn status_download_and_delete_stay_within_the_tenant() {
    let dir = TempDir::new("isolation");
    let standin = StandInServer::start().await;
    let bot = Harness::start(&dir.0, &standin, Guard::new(None), |_| {}).await;

    let id = bot.enqueue("/demo/v1/jobs/dump-repository", None).await;
    bot.wait("/demo/v1", &id, "Succeeded").await;
    let (code, answer) = bot.get(&format!("/plant/v1/jobs?id={id}")).await;
    assert_eq!(code, 404);
    assert_eq!(answer["message"], format!("There is no job with id: {id}."));
    let (code, _) = bot.get(&format!("/plant/v1/jobs/download?id={id}")).await;
    assert_eq!(code, 404);
    let (code, _) = bot
        .get(&format!("/system/v1/jobs/download?tenantId=plant&id={id}"))
        .await;
    assert_eq!(code, 404);
    let (code, _) = bot
        .get(&format!("/system/v1/jobs/download?tenantId=demo&id={id}"))
        .await;
    assert_eq!(code, 200);
    let (code, job) = bot.get(&format!("/system/v1/jobs?id={id}")).await;
    assert_eq!((code, job["tenantId"].as_str()), (200, Some("demo")));

    let delete = |path: String| {
        let request = bot.http.delete(bot.at(&path));
        super::harness::answer(request)
    };
    assert_eq!(
        delete(format!("/plant/v1/jobs/{id}")).await,
        (200, json!(false))
    );
    assert!(dir.0.join(format!("bot/results/{id}")).exists());
    assert_eq!(
        delete(format!("/demo/v1/jobs/{id}")).await,
        (200, json!(true))
    );
    assert!(!dir.0.join(format!("bot/results/{id}")).exists());
    assert!(!dir.0.join(format!("bot/jobs/{id}.json")).exists());
    assert_eq!(
        delete(format!("/system/v1/jobs/{id}")).await,
        (200, json!(false))
    );
    assert_eq!(bot.get(&format!("/demo/v1/jobs?id={id}")).await.0, 404);
}

#[tokio::test]
async fn a_running_job_is_not_deleted() {
    let dir = TempDir::new("delete");
    let standin = StandInServer::start().await;
    let bot = Harness::start(&dir.0, &standin, Guard::new(None), |_| {}).await;

    let id = bot.enqueue("/slow/v1/jobs/dump-repository", None).await;
    bot.wait("/slow/v1", &id, "Processing").await;
    let (code, answer) =
        super::harness::answer(bot.http.delete(bot.at(&format!("/slow/v1/jobs/{id}")))).await;
    assert_eq!(code, 409);
    assert!(
        answer["message"].as_str().unwrap().contains("is running"),
        "{answer}"
    );
    standin.state.gate.add_permits(1);
    bot.wait("/slow/v1", &id, "Succeeded").await;
}

#[tokio::test]
async fn the_bot_sends_its_own_token_and_reuses_it() {
    let dir = TempDir::new("token");
    let standin = StandInServer::start().await;
    standin
        .state
        .require_token
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let bot = Harness::start(&dir.0, &standin, Guard::new(None), |config| {
        config.client_secret = Some("s3cret".into());
    })
    .await;
    for tenant in ["demo", "plant"] {
        let id = bot
            .enqueue(&format!("/{tenant}/v1/jobs/run-fixup-scripts"), None)
            .await;
        bot.wait(&format!("/{tenant}/v1"), &id, "Succeeded").await;
    }
    assert_eq!(
        standin.state.last("fixups").authorization.as_deref(),
        Some(format!("Bearer {BOT_TOKEN}").as_str())
    );
    let requests = standin.state.token_requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "one token for both jobs: {requests:?}");
    let form = &requests[0];
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], "octo-botServices");
    assert_eq!(form["client_secret"], "s3cret");
    assert_eq!(form["scope"], "octo_api");
    // The secret is nowhere in the bot's records.
    let debug = format!("{:?}", bot.bot);
    assert!(!debug.contains("s3cret"), "{debug}");
}

#[tokio::test]
async fn a_restart_runs_enqueued_jobs_once_and_fails_running_ones() {
    let dir = TempDir::new("restart");
    let standin = StandInServer::start().await;
    let jobs = dir.0.join("bot/jobs");
    std::fs::create_dir_all(&jobs).unwrap();
    let enqueued = StoredJob::enqueued(JobRequest::RunFixupScripts {
        tenant_id: "demo".into(),
    });
    let mut running = StoredJob::enqueued(JobRequest::RunFixupScripts {
        tenant_id: "plant".into(),
    });
    running.set_status(JobStatus::Processing);
    for job in [&enqueued, &running] {
        std::fs::write(
            jobs.join(format!("{}.json", job.job.id)),
            serde_json::to_vec(job).unwrap(),
        )
        .unwrap();
    }

    let bot = Harness::start(&dir.0, &standin, Guard::new(None), |_| {}).await;
    let ran = bot
        .wait("/system/v1", enqueued.job.id.as_str(), "Succeeded")
        .await;
    assert_eq!(ran["output"]["applied"], 2);
    let failed = bot
        .wait("/system/v1", running.job.id.as_str(), "Failed")
        .await;
    assert_eq!(failed["reason"], STOPPED_REASON);
    assert_eq!(failed["errorMessage"], STOPPED_REASON);
    bot.stop().await;

    // Opened again: nothing runs a second time.
    let again = Harness::start(&dir.0, &standin, Guard::new(None), |_| {}).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        again
            .get(&format!("/system/v1/jobs?id={}", enqueued.job.id))
            .await
            .1["status"],
        "Succeeded"
    );
    assert_eq!(standin.state.count("fixups", "demo"), 1);
    assert_eq!(standin.state.count("fixups", "plant"), 0);
}

#[tokio::test]
async fn the_data_directory_is_the_bots_alone() {
    let dir = TempDir::new("lock");
    let standin = StandInServer::start().await;
    let _bot = Harness::start(&dir.0, &standin, Guard::new(None), |_| {}).await;
    let refused = crate::Bot::open(crate::BotConfig::new(dir.0.clone(), "http://a", "http://i"))
        .expect_err("locked");
    assert!(refused.contains("in use"), "{refused}");
}
