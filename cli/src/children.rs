//! `up --processes`: the platform and every worker family as child processes of this binary, so
//! one machine runs the same process layout as a cluster (each with its own `service.name` in
//! traces). This file decides what the children are ([`ChildSpec`]s); `supervise/` keeps them
//! running. Children stop when their stdin closes: when `up` stops, or dies.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use octomesh_proto::address::WorkerAddress;

use crate::cli::UpArgs;
use crate::supervise::{Backoff, ChildSpec, Probe, Supervisor};

/// Set on children: stop when stdin reaches its end (the parent closed it or exited).
pub(crate) const EXIT_WITH_PARENT: &str = "OCTOMESH_EXIT_WITH_PARENT";

/// The running children.
pub struct Children {
    /// The platform process's base URL, when `up` started one (no `--asset-url`).
    pub platform_url: Option<String>,
    /// Where the workers listen, for the gateway's `--worker`.
    pub worker_urls: Vec<String>,
    supervisor: Supervisor,
    socket_dir: PathBuf,
}

impl Children {
    /// Starts the platform (unless `--asset-url` names one) and one worker per family, each once
    /// the previous one listens, and keeps them running.
    pub async fn start(
        args: &UpArgs,
        families: &[&str],
        data_dir: &Path,
    ) -> anyhow::Result<Children> {
        let socket_dir = crate::stack::private_socket_dir()?;
        let mut specs = Vec::new();
        let mut platform_url = None;
        if args.asset_url.is_none() {
            // A fixed port, so a restarted platform is where the workers and the gateway look.
            let listen = concrete(args.platform_listen)?;
            specs.push(platform(args, listen, data_dir)?);
            platform_url = Some(format!("http://{listen}"));
        }
        let asset_url = args.asset_url.as_ref().or(platform_url.as_ref());
        let mut worker_urls = Vec::new();
        for family in families {
            // A restarted worker binds the same path (the runtime replaces the stale file).
            let socket = socket_dir.join(format!("{family}.sock"));
            worker_urls.push(WorkerAddress::Unix(socket.clone()).to_string());
            specs.push(worker(family, socket, asset_url)?);
        }
        let supervisor = match Supervisor::start(specs, Backoff::default()).await {
            Ok(supervisor) => supervisor,
            Err(error) => {
                let _ = std::fs::remove_dir_all(&socket_dir);
                return Err(error);
            }
        };
        Ok(Children {
            platform_url,
            worker_urls,
            supervisor,
            socket_dir,
        })
    }

    /// No child is restarted from now on (`up` is stopping); they keep serving until [`stop`].
    ///
    /// [`stop`]: Children::stop
    pub fn stop_restarting(&self) {
        self.supervisor.stop_restarting();
    }

    /// Stops supervision, closes each child's stdin (it drains and flushes its spans), waits up
    /// to `drain` for all of them, then kills what is left; workers stop before the platform.
    pub async fn stop(self, drain: Duration) {
        self.supervisor.stop(drain).await;
        let _ = std::fs::remove_dir_all(&self.socket_dir);
    }
}

/// `octomesh-mcp platform` on `listen` over `data_dir`.
fn platform(args: &UpArgs, listen: SocketAddr, data_dir: &Path) -> anyhow::Result<ChildSpec> {
    let mut command: Vec<OsString> = vec![
        "platform".into(),
        "--listen".into(),
        listen.to_string().into(),
        "--data-dir".into(),
        data_dir.as_os_str().to_owned(),
    ];
    if args.demo {
        command.push("--demo".into());
    }
    if args.no_auth {
        command.push("--no-auth".into());
    }
    let spec = ChildSpec::this_binary("platform", command, Probe::Tcp(listen))?;
    Ok(match &args.admin_password {
        Some(password) => spec.with_env("OCTOMESH_ADMIN_PASSWORD", password),
        None => spec,
    })
}

/// `octomesh-mcp worker --family FAMILY` on the Unix socket `socket`, reaching the asset
/// repository at `asset_url`.
fn worker(family: &str, socket: PathBuf, asset_url: Option<&String>) -> anyhow::Result<ChildSpec> {
    let address = WorkerAddress::Unix(socket.clone());
    let spec = ChildSpec::this_binary(
        format!("worker {family}"),
        vec![
            "worker".into(),
            "--family".into(),
            family.into(),
            "--listen".into(),
            address.to_string().into(),
        ],
        Probe::Unix(socket),
    )?;
    Ok(match asset_url {
        Some(url) => spec.with_env("OCTOMESH_ASSET_URL", url),
        None => spec,
    })
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
