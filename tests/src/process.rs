//! The real binary as separate processes (for multi-replica and worker-failure tests).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// The `octomesh-mcp` binary next to this test binary (`cargo build --bin octomesh-mcp` makes it).
pub fn binary() -> PathBuf {
    let test_exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = test_exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binaries live in target/<profile>/deps");
    let binary = profile_dir.join("octomesh-mcp");
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build --bin octomesh-mcp` first",
        binary.display()
    );
    binary
}

/// A free loopback port (bound and released; good enough for tests on one machine).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// A child process that is killed when dropped.
pub struct Proc {
    pub child: Child,
    pub port: u16,
}

impl Proc {
    /// Starts `octomesh-mcp ARGS` and waits until `port` accepts connections.
    pub async fn start(args: &[String], port: u16) -> Proc {
        Proc::spawn(args, port, "warn", &[], Stdio::null(), Stdio::inherit()).await
    }

    /// Like [`Proc::start_logged`], with extra environment variables.
    pub async fn start_with_env(
        args: &[String],
        port: u16,
        level: &str,
        log: &std::path::Path,
        env: &[(&str, &str)],
    ) -> Proc {
        let file = std::fs::File::create(log).expect("the log file");
        let copy = file.try_clone().expect("a second handle");
        Proc::spawn(args, port, level, env, Stdio::from(copy), Stdio::from(file)).await
    }

    /// Asks the process to stop (SIGTERM, as Kubernetes does) and waits up to `limit` for it.
    pub async fn terminate(mut self, limit: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().expect("the process is running");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM could not be sent to {pid}");
        tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("octomesh-mcp did not stop within {limit:?} of SIGTERM"))
            .expect("the exit status is readable")
    }

    /// Like [`Proc::start`], logging at `level` with stdout and stderr into `log`.
    pub async fn start_logged(
        args: &[String],
        port: u16,
        level: &str,
        log: &std::path::Path,
    ) -> Proc {
        let file = std::fs::File::create(log).expect("the log file");
        let copy = file.try_clone().expect("a second handle");
        Proc::spawn(args, port, level, &[], Stdio::from(copy), Stdio::from(file)).await
    }

    async fn spawn(
        args: &[String],
        port: u16,
        level: &str,
        env: &[(&str, &str)],
        stdout: Stdio,
        stderr: Stdio,
    ) -> Proc {
        let child = Command::new(binary())
            .args(args)
            .env("RUST_LOG", level)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .expect("the binary starts");
        // Up to 60 s: `up --processes --demo` seeds the demo tenant before it listens.
        for _ in 0..2400 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Proc { child, port };
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("octomesh-mcp {args:?} did not listen on {port}");
    }

    pub async fn worker(family: &str) -> Proc {
        let port = free_port();
        let args = [
            "worker",
            "--family",
            family,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ]
        .map(str::to_owned);
        Proc::start(&args, port).await
    }

    pub async fn gateway(workers: &[u16], session_key: &str) -> Proc {
        let port = free_port();
        let mut args: Vec<String> = [
            "gateway",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--session-key",
            session_key,
        ]
        .map(str::to_owned)
        .to_vec();
        for worker in workers {
            args.push("--worker".into());
            args.push(format!("http://127.0.0.1:{worker}"));
        }
        Proc::start(&args, port).await
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}
