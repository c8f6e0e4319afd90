//! `up --processes`: each platform service and every worker family as a child process of this
//! binary, so one machine runs the same process layout as a cluster (each with its own
//! `service.name` in traces). This file decides what the children are ([`ChildSpec`]s);
//! `supervise/` keeps them running. Children stop when their stdin closes: when `up` stops, or
//! dies.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use octomesh_platform::{PlatformOptions, ServiceKind, ServiceUrls};
use octomesh_proto::address::WorkerAddress;

use crate::cli::UpArgs;
use crate::supervise::{Backoff, ChildSpec, Probe, Supervisor};

/// The variable of each backend's URL, as every role reads them.
const BACKEND_VARIABLES: [(&str, ServiceKind); 5] = [
    ("OCTOMESH_IDENTITY_URL", ServiceKind::Identity),
    ("OCTOMESH_ASSET_URL", ServiceKind::AssetRepository),
    ("OCTOMESH_BOT_URL", ServiceKind::Bot),
    ("OCTOMESH_COMMUNICATION_URL", ServiceKind::Communication),
    ("OCTOMESH_REPORTING_URL", ServiceKind::Reporting),
];

/// The running children.
pub struct Children {
    /// The platform services' base URLs, when `up` started them (no backends named).
    pub platform_urls: Option<ServiceUrls>,
    /// Where the workers listen, for the gateway's `--worker`.
    pub worker_urls: Vec<String>,
    supervisor: Supervisor,
    socket_dir: PathBuf,
}

impl Children {
    /// Starts each platform service (unless backends are named) and one worker per family, each
    /// once the previous one listens, and keeps them running.
    pub async fn start(
        args: &UpArgs,
        families: &[&str],
        addresses: &[(ServiceKind, SocketAddr)],
        options: &PlatformOptions,
        (transfer_store, transfer_key): (
            &octomesh_file_transfer::StoreLocation,
            &octomesh_file_transfer::TransferKey,
        ),
    ) -> anyhow::Result<Children> {
        let socket_dir = crate::socket_dir::private_socket_dir()?;
        let mut specs = Vec::new();
        let mut platform_urls = None;
        if !args.backends.any() {
            // Fixed ports, so a restarted service is where the others, the workers and the
            // gateway look.
            let mut urls = ServiceUrls::local_defaults("127.0.0.1");
            let mut fixed = Vec::new();
            for (kind, address) in addresses {
                let address = concrete(*address)?;
                urls.set(*kind, &format!("http://{address}"));
                fixed.push((*kind, address));
            }
            // The asset repository first: the identity service lists its tenants.
            fixed.sort_by_key(|(kind, _)| *kind != ServiceKind::AssetRepository);
            for (kind, address) in fixed {
                specs.push(service(kind, address, &urls, args, options)?);
            }
            platform_urls = Some(urls);
        }
        let mut worker_urls = Vec::new();
        for family in families {
            // A restarted worker binds the same path (the runtime replaces the stale file).
            let socket = socket_dir.join(format!("{family}.sock"));
            worker_urls.push(WorkerAddress::Unix(socket.clone()).to_string());
            specs.push(
                worker(family, socket, platform_urls.as_ref())?
                    .with_env("OCTOMESH_FILE_TRANSFER_STORE", transfer_store.to_string())
                    .with_env("OCTOMESH_FILE_TRANSFER_KEY", transfer_key.to_base64()),
            );
        }
        let supervisor = match Supervisor::start(specs, Backoff::default()).await {
            Ok(supervisor) => supervisor,
            Err(error) => {
                let _ = std::fs::remove_dir_all(&socket_dir);
                return Err(error);
            }
        };
        Ok(Children {
            platform_urls,
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

/// `octomesh-mcp platform --service KIND` on `address`, told where every other service is.
fn service(
    kind: ServiceKind,
    address: SocketAddr,
    urls: &ServiceUrls,
    args: &UpArgs,
    options: &PlatformOptions,
) -> anyhow::Result<ChildSpec> {
    let mut command: Vec<OsString> = vec![
        "platform".into(),
        "--service".into(),
        kind.name().into(),
        "--listen".into(),
        address.to_string().into(),
        "--data-dir".into(),
        options.data_dir.as_os_str().to_owned(),
    ];
    if let Some(mcp_url) = &options.mcp_url {
        command.extend(["--mcp-url".into(), mcp_url.into()]);
    }
    if args.demo && kind == ServiceKind::AssetRepository {
        command.push("--demo".into());
    }
    if args.no_auth {
        command.push("--no-auth".into());
    }
    let mut spec = ChildSpec::this_binary(kind.name(), command, Probe::Tcp(address))?;
    for (variable, other) in BACKEND_VARIABLES {
        spec = spec.with_env(variable, urls.of(other));
    }
    Ok(match &args.admin_password {
        Some(password) if kind == ServiceKind::Identity => {
            spec.with_env("OCTOMESH_ADMIN_PASSWORD", password)
        }
        _ => spec,
    })
}

/// `octomesh-mcp worker --family FAMILY` on the Unix socket `socket`, reaching the platform's
/// services at `urls` (or the backends named in `up`'s own environment and flags).
fn worker(family: &str, socket: PathBuf, urls: Option<&ServiceUrls>) -> anyhow::Result<ChildSpec> {
    let address = WorkerAddress::Unix(socket.clone());
    let mut spec = ChildSpec::this_binary(
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
    if let Some(urls) = urls {
        for (variable, kind) in BACKEND_VARIABLES {
            spec = spec.with_env(variable, urls.of(kind));
        }
    }
    Ok(spec)
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
