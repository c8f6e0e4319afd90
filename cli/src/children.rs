//! `up --processes`: the platform and every worker family as child processes of this binary, so
//! one machine runs the same process layout as a cluster (each with its own `service.name` in
//! traces). Children stop when their stdin closes: when `up` stops, or dies.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use octomesh_proto::address::WorkerAddress;
use tokio::process::{Child, Command};

use crate::cli::UpArgs;

/// Set on children: stop when stdin reaches its end (the parent closed it or exited).
pub(crate) const EXIT_WITH_PARENT: &str = "OCTOMESH_EXIT_WITH_PARENT";

/// How long a child may take to start listening (the platform may seed the demo tenant first).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The running children.
pub struct Children {
    /// The platform process's base URL, when `up` started one (no `--asset-url`).
    pub platform_url: Option<String>,
    /// Where the workers listen, for the gateway's `--worker`.
    pub worker_urls: Vec<String>,
    children: Vec<(String, Child)>,
    socket_dir: PathBuf,
}

impl Children {
    /// Starts the platform (unless `--asset-url` names one) and one worker per family, and waits
    /// until each listens.
    pub async fn start(
        args: &UpArgs,
        families: &[&str],
        data_dir: &Path,
    ) -> anyhow::Result<Children> {
        let mut children = Children {
            platform_url: None,
            worker_urls: Vec::new(),
            children: Vec::new(),
            socket_dir: crate::stack::private_socket_dir()?,
        };
        if args.asset_url.is_none() {
            let listen = concrete(args.platform_listen)?;
            let mut command = vec![
                "platform".into(),
                "--listen".into(),
                listen.to_string().into(),
            ];
            command.extend(["--data-dir".into(), data_dir.as_os_str().to_owned()]);
            if args.demo {
                command.push("--demo".into());
            }
            if args.no_auth {
                command.push("--no-auth".into());
            }
            let mut platform = spawn(command)?;
            if let Some(password) = &args.admin_password {
                platform.env("OCTOMESH_ADMIN_PASSWORD", password);
            }
            let child = platform
                .spawn()
                .context("cannot start the platform process")?;
            children.children.push(("platform".to_owned(), child));
            children
                .wait_until("platform", || async move {
                    tokio::net::TcpStream::connect(listen).await.is_ok()
                })
                .await?;
            children.platform_url = Some(format!("http://{listen}"));
        }
        for family in families {
            let socket = children.socket_dir.join(format!("{family}.sock"));
            let address = WorkerAddress::Unix(socket.clone());
            let mut command = spawn(vec![
                "worker".into(),
                "--family".into(),
                (*family).into(),
                "--listen".into(),
                address.to_string().into(),
            ])?;
            if let Some(url) = args.asset_url.as_ref().or(children.platform_url.as_ref()) {
                command.env("OCTOMESH_ASSET_URL", url);
            }
            let child = command
                .spawn()
                .with_context(|| format!("cannot start the {family} worker process"))?;
            children.children.push((format!("worker {family}"), child));
            children
                .wait_until(family, || {
                    let socket = socket.clone();
                    async move { tokio::net::UnixStream::connect(socket).await.is_ok() }
                })
                .await?;
            children.worker_urls.push(address.to_string());
        }
        Ok(children)
    }

    /// Waits until `ready` holds, failing early when the last child started has exited.
    async fn wait_until<F, Fut>(&mut self, what: &str, ready: F) -> anyhow::Result<()>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let started = tokio::time::Instant::now();
        while !ready().await {
            let (_, child) = self.children.last_mut().expect("a child was just started");
            if let Some(status) = child.try_wait()? {
                anyhow::bail!(
                    "the {what} process exited while starting ({status}); see its log above"
                );
            }
            if started.elapsed() > START_TIMEOUT {
                anyhow::bail!(
                    "the {what} process did not start listening within {START_TIMEOUT:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Ok(())
    }

    /// Closes each child's stdin (it drains and flushes its spans), waits up to `drain` for all
    /// of them, then kills what is left; workers stop before the platform they call.
    pub async fn stop(mut self, drain: Duration) {
        self.children.reverse();
        for (_, child) in &mut self.children {
            drop(child.stdin.take());
        }
        for (name, child) in &mut self.children {
            if tokio::time::timeout(drain, child.wait()).await.is_err() {
                tracing::warn!(process = %name, "Still running after the drain period; killed.");
                let _ = child.kill().await;
            }
        }
        let _ = std::fs::remove_dir_all(&self.socket_dir);
    }
}

/// `octomesh-mcp ARGS` as a child that stops with its parent.
fn spawn(args: Vec<OsString>) -> anyhow::Result<Command> {
    let binary = std::env::current_exe().context("cannot find this program's own path")?;
    let mut command = Command::new(binary);
    command
        .args(args)
        .env(EXIT_WITH_PARENT, "1")
        .stdin(Stdio::piped())
        .kill_on_drop(true);
    Ok(command)
}

/// `address` with port 0 replaced by a port free right now.
fn concrete(address: SocketAddr) -> anyhow::Result<SocketAddr> {
    if address.port() != 0 {
        return Ok(address);
    }
    let probe = std::net::TcpListener::bind(address)
        .with_context(|| format!("cannot find a free port on {}", address.ip()))?;
    Ok(probe.local_addr()?)
}
