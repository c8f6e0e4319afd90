//! Retention: old results, uploads and job records are swept, and a download says so.

use std::time::{Duration, SystemTime};

use octomesh_platform_common::Guard;

use super::harness::{Harness, StandInServer, TempDir};
use crate::Swept;

#[tokio::test]
async fn retention_removes_old_results_and_says_so() {
    let dir = TempDir::new("retention");
    let standin = StandInServer::start().await;
    let bot = Harness::start(&dir.0, &standin, Guard::new(None), |_| {}).await;

    let id = bot.enqueue("/demo/v1/jobs/dump-repository", None).await;
    bot.wait("/demo/v1", &id, "Succeeded").await;
    let upload = bot
        .http
        .post(bot.at("/demo/v1/tus-upload"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "5")
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    let location = upload.headers()["location"].to_str().unwrap().to_owned();

    // Within the retention nothing goes.
    let hour = Duration::from_secs(3600);
    assert_eq!(bot.bot.sweep(SystemTime::now() + hour), Swept::default());
    assert_eq!(
        bot.bot.sweep(SystemTime::now() + 5 * hour),
        Swept {
            results: 1,
            uploads: 1,
            jobs: 0
        }
    );
    assert!(!dir.0.join(format!("bot/results/{id}")).exists());
    let (code, answer) = bot.get(&format!("/demo/v1/jobs/download?id={id}")).await;
    assert_eq!(code, 404);
    let message = answer["message"].as_str().unwrap();
    assert!(message.contains("was removed at"), "{message}");
    assert!(message.contains("kept for 4 h"), "{message}");
    let head = bot
        .http
        .head(&location)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 404);

    // The record goes after a week.
    assert_eq!(bot.get(&format!("/demo/v1/jobs?id={id}")).await.0, 200);
    assert_eq!(bot.bot.sweep(SystemTime::now() + 8 * 24 * hour).jobs, 1);
    assert_eq!(bot.get(&format!("/demo/v1/jobs?id={id}")).await.0, 404);
}

#[tokio::test]
async fn the_sweep_runs_on_its_interval() {
    let dir = TempDir::new("sweeper");
    let standin = StandInServer::start().await;
    let bot = Harness::start(&dir.0, &standin, Guard::new(None), |config| {
        config.retention = Duration::from_millis(1);
        config.sweep_interval = Duration::from_millis(50);
    })
    .await;
    let id = bot.enqueue("/demo/v1/jobs/dump-repository", None).await;
    bot.wait("/demo/v1", &id, "Succeeded").await;
    for _ in 0..200 {
        let (code, answer) = bot.get(&format!("/demo/v1/jobs/download?id={id}")).await;
        if code == 404 {
            assert!(
                answer["message"].as_str().unwrap().contains("removed"),
                "{answer}"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the sweep never removed the result");
}
