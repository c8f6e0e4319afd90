//! `up --processes` keeps its children running: a killed worker or platform is restarted, the
//! gateway uses it again and `/readyz` is ready again within seconds; stopping `up` leaves no
//! child behind, and none is restarted on the way out.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use octomesh_tests::McpClient;
use octomesh_tests::client::first_text;
use octomesh_tests::process::{Proc, free_port};
use octomesh_tests::procfs::{self, ProcInfo};
use serde_json::json;

/// The longest a killed child may take until its tools answer again (a deadline, not a benchmark).
const RECOVERY: Duration = Duration::from_secs(10);

/// How `/proc` shows the children of `up`.
const FIXTURES_WORKER: &str = "worker --family fixtures";
/// The platform service the `ck` tools need.
const PLATFORM: &str = "platform --service asset-repository";

/// `up --processes --fixtures --no-auth` over a fresh data directory, logging into it.
struct Up {
    proc: Proc,
    dir: PathBuf,
}

impl Up {
    async fn start(name: &str) -> Up {
        let dir = std::env::temp_dir().join(format!("octomesh-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let (port, platform_port) = (free_port(), free_port());
        let proc = Proc::start_with_env(
            &[
                "up".into(),
                "--processes".into(),
                "--fixtures".into(),
                "--no-auth".into(),
                "--listen".into(),
                format!("127.0.0.1:{port}"),
                "--platform-listen".into(),
                format!("127.0.0.1:{platform_port}"),
                "--data-dir".into(),
                dir.join("data").display().to_string(),
            ],
            port,
            "info",
            &dir.join("up.log"),
            &[("OCTOMESH_ADMIN_PASSWORD", "supervision-test-pass-4k2j")],
        )
        .await;
        Up { proc, dir }
    }

    fn pid(&self) -> u32 {
        self.proc.child.id().expect("up runs")
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.proc.port)
    }

    /// The running child of `up` whose command line contains `command`.
    fn child(&self, command: &str) -> Option<ProcInfo> {
        procfs::children_of(self.pid())
            .into_iter()
            .find(|child| child.command_line.contains(command))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("up.log")).unwrap_or_default()
    }

    async fn client(&self, tenant: Option<&str>) -> McpClient {
        let url = match tenant {
            Some(tenant) => format!("{}/{tenant}/mcp", self.base()),
            None => format!("{}/mcp", self.base()),
        };
        let mut client = McpClient::new(&url);
        client.initialize().await;
        client
    }

    async fn is_ready(&self) -> bool {
        reqwest::get(format!("{}/readyz", self.base()))
            .await
            .is_ok_and(|response| response.status() == 200)
    }

    /// Kills the child running `command` with SIGKILL; returns it and when it was killed.
    fn kill(&self, command: &str) -> (ProcInfo, Instant) {
        let child = self
            .child(command)
            .unwrap_or_else(|| panic!("up runs a child `{command}`"));
        procfs::signal(child.pid, "KILL");
        (child, Instant::now())
    }

    /// Waits until `holds` does, at most until [`RECOVERY`] after `since`; returns the time taken.
    async fn recovers<F, Fut>(&self, since: Instant, what: &str, mut holds: F) -> Duration
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        while !holds().await {
            assert!(
                since.elapsed() < RECOVERY,
                "{what} not within {RECOVERY:?} of the kill; up's log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        since.elapsed()
    }

    /// After `killed` died: a new child runs the same command, and up logged the death and restart.
    fn restarted(&self, killed: &ProcInfo, command: &str) {
        let restarted = self
            .child(command)
            .unwrap_or_else(|| panic!("no `{command}` child after the restart"));
        assert_ne!(restarted.pid, killed.pid, "a new process");
        assert_eq!(
            restarted.command_line, killed.command_line,
            "the same arguments"
        );
        let log = self.log();
        assert!(
            log.contains("Child process died") && log.contains("killed by signal 9 (SIGKILL)"),
            "the death is logged:\n{log}"
        );
        assert!(
            log.contains("Child process restarted and serving."),
            "the restart is logged:\n{log}"
        );
    }

    async fn terminate(self) -> std::process::ExitStatus {
        let status = self.proc.terminate(Duration::from_secs(60)).await;
        let _ = std::fs::remove_dir_all(&self.dir);
        status
    }
}

/// Whether `tool` answers on `client` without an error.
async fn answers(client: &McpClient, tool: &str, arguments: serde_json::Value) -> bool {
    let reply = client
        .request("tools/call", json!({"name": tool, "arguments": arguments}))
        .await;
    reply.status == 200 && reply.last()["result"]["isError"] == false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_is_restarted_and_its_tools_answer_again() {
    let up = Up::start("supervise-worker").await;
    let client = up.client(None).await;
    let echo = || answers(&client, "echo", json!({"message": "back"}));
    assert!(echo().await, "echo answers before the kill");

    let (killed, at) = up.kill(FIXTURES_WORKER);
    // The restart waits 250 ms, so a call right away finds no worker: nothing ran, and the
    // gateway marks the endpoint down.
    let first = client
        .call_tool("echo", json!({"message": "too early"}))
        .await;
    let refused = first_text(&first).contains("Nothing was done; try again shortly");
    let down = !up.is_ready().await;
    assert!(
        !refused || down,
        "a refused call marks the endpoint down: /readyz is not ready"
    );
    // No call from here until ready: only the gateway's own probes can bring `/readyz` back.
    let ready = up
        .recovers(at, "/readyz ready again", || up.is_ready())
        .await;
    let answered = up.recovers(at, "echo answering again", echo).await;
    println!(
        "fixtures worker killed: /readyz ready again after {ready:?} (the call right after the \
         kill was refused: {refused}, /readyz down then: {down}), echo answered after {answered:?}"
    );
    up.restarted(&killed, FIXTURES_WORKER);
    assert!(up.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_platform_is_restarted_on_its_data_directory_and_the_ck_tools_answer_again() {
    let up = Up::start("supervise-platform").await;
    let client = up.client(Some("octosystem")).await;
    let models = || answers(&client, "get_available_models", json!({}));
    assert!(
        models().await,
        "get_available_models answers before the kill"
    );

    let (killed, at) = up.kill(PLATFORM);
    let answered = up
        .recovers(at, "get_available_models answering again", models)
        .await;
    let ready = up
        .recovers(at, "/readyz ready again", || up.is_ready())
        .await;
    println!(
        "platform killed: get_available_models answered again after {answered:?}, /readyz ready after {ready:?}"
    );
    up.restarted(&killed, PLATFORM);
    assert!(up.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_every_child_and_restarts_none() {
    let up = Up::start("supervise-stop").await;
    let up_pid = up.pid();
    let children = procfs::children_of(up_pid);
    let services = octomesh_platform::ServiceKind::ALL
        .map(|kind| format!("platform --service {} ", kind.name()));
    let mut expected: Vec<&str> = services.iter().map(String::as_str).collect();
    expected.extend([FIXTURES_WORKER, "worker --family ck"]);
    for command in expected {
        assert!(
            children
                .iter()
                .any(|child| child.command_line.contains(command)),
            "a `{command}` child among {children:#?}"
        );
    }
    // What a child of this `up` has on its command line: the data directory or the socket directory.
    let marks = [
        up.dir.join("data").display().to_string(),
        format!("octomesh-mcp-{up_pid}-"),
    ];
    let status = up.terminate().await;
    assert!(status.success(), "up exited with {status}");
    for child in &children {
        assert!(!procfs::is_running(child.pid), "{child:?} outlived up");
    }
    let left: Vec<ProcInfo> = procfs::processes()
        .into_iter()
        .filter(|process| {
            process.parent == up_pid || marks.iter().any(|mark| process.command_line.contains(mark))
        })
        .collect();
    assert!(left.is_empty(), "re-spawned or left behind: {left:#?}");
}
