//! Starting a bot and the stand-in on loopback listeners, and the requests the tests share.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use octomesh_platform_common::{AccessClaims, Guard, TokenVerifier};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::standin::{self, StandIn};
use crate::{Bot, BotConfig};

/// A directory removed when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "octomesh-bot-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temporary directory");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Serves `router` on a loopback port until `stop` fires; its base URL.
async fn serve(router: axum::Router) -> (String, oneshot::Sender<()>, JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
            .expect("serves");
    });
    (url, stop, task)
}

/// The stand-in, served.
pub(crate) struct StandInServer {
    pub(crate) state: Arc<StandIn>,
    pub(crate) url: String,
    _stop: oneshot::Sender<()>,
}

impl StandInServer {
    pub(crate) async fn start() -> StandInServer {
        let state = Arc::new(StandIn::default());
        let (url, stop, _) = serve(standin::router(Arc::clone(&state))).await;
        StandInServer {
            state,
            url,
            _stop: stop,
        }
    }
}

/// Tokens of the fake verifier: `alice` (a user of tenant `demo`), `reader` (read-only, `demo`),
/// `admin` (a user of the system tenant), `service` (a service token: any tenant).
pub(crate) fn token_guard() -> Guard {
    let claims = |sub: Option<&str>, tenant: &str, scope: &str| AccessClaims {
        iss: "http://identity.test".into(),
        sub: sub.map(str::to_owned),
        aud: vec!["octoAPI".into()],
        exp: u64::MAX / 2,
        iat: 0,
        nbf: 0,
        jti: "jti".into(),
        client_id: "test".into(),
        scope: scope.into(),
        tenant_id: tenant.into(),
        allowed_tenants: tenant.into(),
        role: Vec::new(),
        preferred_username: None,
        name: None,
        email: None,
        groups: Vec::new(),
    };
    Guard::new(Some(TokenVerifier::Local(Arc::new(
        move |token: &str| match token {
            "alice" => Some(claims(Some("alice"), "demo", "octo_api")),
            "reader" => Some(claims(Some("reader"), "demo", "octo_api.read_only")),
            "admin" => Some(claims(Some("admin"), "octosystem", "octo_api")),
            "service" => Some(claims(None, "octosystem", "octo_api")),
            _ => None,
        },
    ))))
}

/// A bot served over `dir`, reaching the stand-in.
pub(crate) struct Harness {
    pub(crate) url: String,
    pub(crate) bot: Arc<Bot>,
    pub(crate) http: reqwest::Client,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Harness {
    pub(crate) async fn start(
        dir: &Path,
        standin: &StandInServer,
        guard: Guard,
        configure: impl FnOnce(&mut BotConfig),
    ) -> Harness {
        let mut config = BotConfig::new(dir.to_owned(), &standin.url, &standin.url);
        configure(&mut config);
        let bot = Bot::open(config).expect("the bot opens");
        let (url, stop, task) = serve(crate::router(guard, Arc::clone(&bot))).await;
        Harness {
            url,
            bot,
            http: reqwest::Client::new(),
            stop,
            task,
        }
    }

    /// Stops serving and drops the bot (its lock is free again).
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("the server stops");
        let weak = Arc::downgrade(&self.bot);
        drop(self.bot);
        for _ in 0..200 {
            if weak.upgrade().is_none() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the bot is still held after it stopped");
    }

    pub(crate) fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// `POST {path}` with `body`: the job id of a 200, or panics with the answer.
    pub(crate) async fn enqueue(&self, path: &str, body: Option<Value>) -> String {
        let (status, answer) = self.post(path, body, None).await;
        assert_eq!(status, 200, "enqueue {path}: {answer}");
        answer["jobId"].as_str().expect("a jobId").to_owned()
    }

    /// `POST {path}` with `body` and `token`: status and JSON answer.
    pub(crate) async fn post(
        &self,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self.http.post(self.at(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request).await
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        answer(self.http.get(self.at(path))).await
    }

    /// Polls `GET {prefix}/jobs?id=` until the job has `status`; the job.
    pub(crate) async fn wait(&self, prefix: &str, id: &str, status: &str) -> Value {
        let mut last = Value::Null;
        for _ in 0..500 {
            let (code, job) = self.get(&format!("{prefix}/jobs?id={id}")).await;
            assert_eq!(code, 200, "{job}");
            if job["status"] == status {
                return job;
            }
            last = job;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("job {id} did not reach {status}: {last}");
    }
}

/// Status and JSON (or `Null`) of a request.
pub(crate) async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("the bot answers");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("a body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}
