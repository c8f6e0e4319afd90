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

use octomesh_platform::{PlatformOptions, ServiceKind, ServiceUrls};

use crate::cli::UpArgs;

/// Set on children: stop when stdin reaches its end (the parent closed it or exited).
pub(crate) const EXIT_WITH_PARENT: &str = "OCTOMESH_EXIT_WITH_PARENT";

/// How long a child may take to start listening (the platform may seed the demo tenant first).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// The running children.
pub struct Children {
    /// The platform services' base URLs, when `up` started them (no backends named).
    pub platform_urls: Option<ServiceUrls>,
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
        addresses: &[(ServiceKind, SocketAddr)],
        options: &PlatformOptions,
    ) -> anyhow::Result<Children> {
        let data_dir: &Path = &options.data_dir;
        let mut children = Children {
            platform_urls: None,
            worker_urls: Vec::new(),
            children: Vec::new(),
            socket_dir: crate::stack::private_socket_dir()?,
        };
        if !args.backends.any() {
            let mut urls = ServiceUrls::local_defaults("127.0.0.1");
            let mut command: Vec<OsString> = vec!["platform".into()];
            let mut probes = Vec::new();
            for (kind, address) in addresses {
                let address = concrete(*address)?;
                urls.set(*kind, &format!("http://{address}"));
                command.extend(["--listen".into(), format!("{kind}={address}").into()]);
                probes.push(address);
            }
            command.extend(["--data-dir".into(), data_dir.as_os_str().to_owned()]);
            if let Some(mcp_url) = &options.mcp_url {
                command.extend(["--mcp-url".into(), mcp_url.into()]);
            }
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
                .wait_until("platform", || {
                    let probes = probes.clone();
                    async move {
                        for probe in probes {
                            if tokio::net::TcpStream::connect(probe).await.is_err() {
                                return false;
                            }
                        }
                        true
                    }
                })
                .await?;
            children.platform_urls = Some(urls);
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
            if let Some(urls) = &children.platform_urls {
                for (variable, kind) in BACKEND_VARIABLES {
                    command.env(variable, urls.of(kind));
                }
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

/// The variable of each backend's URL, as workers read them.
const BACKEND_VARIABLES: [(&str, ServiceKind); 5] = [
    ("OCTOMESH_IDENTITY_URL", ServiceKind::Identity),
    ("OCTOMESH_ASSET_URL", ServiceKind::AssetRepository),
    ("OCTOMESH_BOT_URL", ServiceKind::Bot),
    ("OCTOMESH_COMMUNICATION_URL", ServiceKind::Communication),
    ("OCTOMESH_REPORTING_URL", ServiceKind::Reporting),
];

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
