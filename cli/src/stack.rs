//! Starting the roles: a worker, a gateway, or the whole stack on one machine.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use octomesh_gateway::{AuthConfig, AuthMode, Gateway, GatewayConfig, SessionKey};
use octomesh_proto::ToolHost;
use octomesh_proto::address::WorkerAddress;
use octomesh_worker_runtime::grpc::WorkerListener;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::backends::Backends;
use crate::cli::{AuthModeArg, GatewayArgs, GatewayOptions, UpArgs, WorkerArgs, WorkerTransport};
use crate::families;
use crate::platform::EmbeddedPlatform;
use octomesh_platform::{PlatformOptions, ServiceKind};

/// `octomesh-mcp worker`.
pub async fn worker(args: WorkerArgs) -> anyhow::Result<()> {
    let stop = crate::signal::shutdown();
    let backends = args.backends.resolve().await?;
    let transfers = crate::transfers::of_worker(&args.transfers)?;
    let host = families::host(&args.family, &backends, transfers.as_ref())?;
    let listener = WorkerListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!(family = %args.family, listen = %listener.address()?, "Worker serving.");
    octomesh_worker_runtime::grpc::serve(host, listener, stop).await?;
    Ok(())
}

/// `octomesh-mcp gateway`.
pub async fn gateway(args: GatewayArgs) -> anyhow::Result<()> {
    let stop = crate::signal::shutdown();
    let mut config = gateway_config(args.listen, &args.gateway)?;
    config.worker_urls = args.workers;
    let authority = match args.auth_authority {
        Some(authority) => Some(authority),
        None => args.backends.resolve().await?.identity,
    };
    config.auth = auth_config(authority.as_deref(), &args.gateway);
    if config.auth.is_none() {
        tracing::warn!("No --auth-authority: the gateway accepts every caller.");
    }
    let drain = Duration::from_secs(args.gateway.drain_secs);
    let gateway = Gateway::new(config, Vec::new())?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!(listen = %listener.local_addr()?, "Gateway serving.");
    serve_with_drain(gateway, listener, drain, stop).await
}

/// `octomesh-mcp up`: the embedded platform (unless backends are named), workers on private
/// sockets (or in-process), then the gateway.
pub async fn up(args: UpArgs) -> anyhow::Result<()> {
    let stop = crate::signal::shutdown();
    let families = families::for_up(args.fixtures);
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(crate::platform::default_data_dir);
    let external = args.backends.any();
    anyhow::ensure!(
        !(external && args.demo),
        "--demo seeds the embedded platform, which `up` does not start when backends are named (--platform-url, --asset-url, …)"
    );
    let addresses =
        crate::platform::listen_addresses(&ServiceKind::ALL, &args.platform_listen, |_| {
            SocketAddr::from(([127, 0, 0, 1], 0))
        })?;
    let options = PlatformOptions {
        data_dir: data_dir.clone(),
        demo: args.demo,
        admin_password: args.admin_password.clone(),
        enforce_auth: !args.no_auth,
        mcp_url: (args.listen.port() != 0).then(|| format!("http://{}/mcp", args.listen)),
    };
    // The gateway's file-transfer store and key; the families that take uploads and publish
    // downloads use them too.
    let mut gateway = gateway_config(args.listen, &args.gateway)?;
    let transfer_store = args
        .gateway
        .transfers
        .file_transfer_store
        .clone()
        .unwrap_or_else(|| {
            octomesh_file_transfer::StoreLocation::Local(data_dir.join("file-transfer"))
        });
    gateway.file_transfer = Some(crate::transfers::gateway_channel(
        transfer_store.clone(),
        &args.gateway.transfers,
    )?);
    let children = match args.processes {
        true => {
            let key = gateway
                .file_transfer_key()
                .expect("the channel was just configured");
            Some(
                crate::children::Children::start(
                    &args,
                    &families,
                    &addresses,
                    &options,
                    (&transfer_store, &key),
                )
                .await?,
            )
        }
        false => None,
    };
    let embedded = match (external, &children) {
        (false, None) => {
            Some(EmbeddedPlatform::start(&addresses, &Backends::default(), &options).await?)
        }
        _ => None,
    };
    // The platform this `up` started, in its process or as children.
    let platform_urls = match (&embedded, &children) {
        (Some(platform), _) => Some(platform.urls.clone()),
        (None, Some(children)) => children.platform_urls.clone(),
        (None, None) => None,
    };
    let backends = match &platform_urls {
        Some(urls) => crate::platform::backends_of(urls),
        None => args.backends.resolve().await?,
    };
    if args.no_auth {
        anyhow::ensure!(
            args.listen.ip().is_loopback(),
            "--no-auth serves only on a loopback address, not {}",
            args.listen
        );
        eprintln!("WARNING: --no-auth: every call is accepted without sign-in (loopback only).");
    } else {
        let authority = args.auth_authority.clone().or(backends.identity.clone());
        gateway.auth = auth_config(authority.as_deref(), &args.gateway);
    }
    if let Some(children) = &children {
        gateway.worker_urls = children.worker_urls.clone();
    }
    let stack = Stack::start(StackOptions {
        listen: args.listen,
        // With child processes the gateway only connects to them.
        families: match children {
            Some(_) => Vec::new(),
            None => families.clone(),
        },
        in_process: args.in_process,
        worker_transport: args.worker_transport,
        gateway,
        backends: backends.clone(),
    })
    .await?;
    let url = format!("http://{}/mcp", stack.address);
    println!("octomesh-mcp is up: {url}");
    println!("  families: {}", families.join(", "));
    match &platform_urls {
        Some(urls) => {
            println!("  platform services (data in {}):", data_dir.display());
            crate::platform::print_services(urls, &ServiceKind::ALL);
            if let Some(platform) = &embedded {
                crate::platform::print_new_admin(platform);
            }
            if args.demo {
                println!(
                    "  demo tenant: {url_base}/demo/mcp  (try: get_available_types, then query_entities on Demo/Machine)",
                    url_base = format_args!("http://{}", stack.address)
                );
            }
        }
        None => println!("  backends: {}", backends_summary(&backends)),
    }
    if children.is_some() {
        println!(
            "  processes: each platform service and each worker family as a child, restarted when it dies, stopped with this one"
        );
    }
    println!("  register it with Claude Code:  claude mcp add --transport http octomesh {url}");
    println!(
        "  legacy SSE clients:            http://{}/sse",
        stack.address
    );
    println!("  stop with Ctrl-C");
    stop.await;
    // A child that dies while the gateway drains stays dead: `up` is going away.
    if let Some(children) = &children {
        children.stop_restarting();
    }
    stack
        .stop(Duration::from_secs(args.gateway.drain_secs))
        .await?;
    if let Some(platform) = embedded {
        platform.stop().await?;
    }
    if let Some(children) = children {
        children
            .stop(Duration::from_secs(args.gateway.drain_secs))
            .await;
    }
    Ok(())
}

/// `identity http://…, asset-repository http://…` for the backends that are known.
fn backends_summary(backends: &Backends) -> String {
    [
        ("identity", &backends.identity),
        ("asset-repository", &backends.asset_repository),
        ("bot", &backends.bot),
        ("communication", &backends.communication),
        ("reporting", &backends.reporting),
    ]
    .into_iter()
    .filter_map(|(name, url)| url.as_ref().map(|url| format!("{name} {url}")))
    .collect::<Vec<_>>()
    .join(", ")
}

/// The gateway's OAuth configuration for `authority`, if any.
fn auth_config(authority: Option<&str>, options: &GatewayOptions) -> Option<AuthConfig> {
    let mut auth = AuthConfig::new(
        authority?,
        match options.auth_mode {
            AuthModeArg::Required => AuthMode::Required,
            AuthModeArg::Optional => AuthMode::Optional,
        },
    );
    auth.audience = options.auth_audience.clone();
    Some(auth)
}

fn gateway_config(listen: SocketAddr, options: &GatewayOptions) -> anyhow::Result<GatewayConfig> {
    let mut config = GatewayConfig::new(listen);
    if let Some(key) = &options.session_key {
        config.session_key = SessionKey::from_base64(key).map_err(anyhow::Error::msg)?;
    }
    config.public_url = options.public_url.clone();
    config.allowed_origins = options.allowed_origins.clone();
    config.allowed_hosts = options.allowed_hosts.clone();
    config.max_body_bytes = options.max_body_bytes;
    config.call_timeout = Duration::from_secs(options.call_timeout_secs.max(1));
    config.tools_page_size = options.tools_page_size.max(1);
    config.session_lifetime = Duration::from_secs(options.session_hours.max(1) * 3600);
    config.token_store = options.redis_url.clone();
    config.file_transfer = options
        .transfers
        .file_transfer_store
        .clone()
        .map(|store| crate::transfers::gateway_channel(store, &options.transfers))
        .transpose()?;
    Ok(config)
}

async fn serve_with_drain(
    gateway: Gateway,
    listener: TcpListener,
    drain: Duration,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let serving = tokio::spawn(gateway.serve(listener, async move {
        let _ = stop_rx.wait_for(|stop| *stop).await;
    }));
    stop.await;
    let _ = stop_tx.send(true);
    match tokio::time::timeout(drain, serving).await {
        Ok(result) => result??,
        Err(_) => tracing::warn!("Calls still running after the drain period; exiting."),
    }
    Ok(())
}

/// What to start in one process.
pub struct StackOptions {
    pub listen: SocketAddr,
    pub families: Vec<&'static str>,
    /// Serve families in the gateway's process with no gRPC hop.
    pub in_process: bool,
    /// How the gateway reaches the workers.
    pub worker_transport: WorkerTransport,
    pub gateway: GatewayConfig,
    /// Where the families reach the backend services.
    pub backends: Backends,
}

/// A gateway and its workers running in this process.
pub struct Stack {
    /// Where the gateway listens.
    pub address: SocketAddr,
    /// Where each worker listens (empty when in-process).
    pub worker_addresses: Vec<WorkerAddress>,
    /// The private directory of the workers' Unix sockets, removed on stop.
    socket_dir: Option<PathBuf>,
    gateway: Gateway,
    stop_gateway: watch::Sender<bool>,
    stop_workers: watch::Sender<bool>,
    gateway_task: JoinHandle<Result<(), octomesh_gateway::GatewayError>>,
    worker_tasks: Vec<JoinHandle<()>>,
}

impl Stack {
    /// Binds everything, waits until the gateway has seen every worker, and returns.
    pub async fn start(options: StackOptions) -> anyhow::Result<Stack> {
        let (stop_workers, workers_rx) = watch::channel(false);
        let (stop_gateway, gateway_rx) = watch::channel(false);
        let mut config = options.gateway;
        let mut in_process: Vec<Arc<dyn ToolHost>> = Vec::new();
        let mut worker_addresses = Vec::new();
        let mut worker_tasks = Vec::new();
        let socket_dir = match options.worker_transport {
            WorkerTransport::Unix if !options.in_process && !options.families.is_empty() => {
                Some(crate::socket_dir::private_socket_dir()?)
            }
            _ => None,
        };
        // The families take uploads from and publish downloads to the gateway's store.
        let transfers = crate::transfers::of_gateway(&config)?;
        for family in &options.families {
            let host = families::host(family, &options.backends, transfers.as_ref())?;
            if options.in_process {
                in_process.push(host);
                continue;
            }
            let bind_address = match &socket_dir {
                Some(dir) => WorkerAddress::Unix(dir.join(format!("{family}.sock"))),
                None => {
                    WorkerAddress::Tcp("127.0.0.1:0".parse().expect("a literal address parses"))
                }
            };
            let listener = WorkerListener::bind(&bind_address).await?;
            let address = listener.address()?;
            config.worker_urls.push(address.to_string());
            worker_addresses.push(address);
            let mut stop_rx = workers_rx.clone();
            worker_tasks.push(tokio::spawn(async move {
                let shutdown = async move {
                    let _ = stop_rx.wait_for(|stop| *stop).await;
                };
                if let Err(error) =
                    octomesh_worker_runtime::grpc::serve(host, listener, shutdown).await
                {
                    tracing::error!(%error, "Worker stopped with an error.");
                }
            }));
        }
        let listener = TcpListener::bind(options.listen)
            .await
            .with_context(|| format!("cannot listen on {}", options.listen))?;
        let address = listener.local_addr()?;
        let gateway = Gateway::new(config, in_process)?;
        let mut stop_rx = gateway_rx;
        let gateway_task = tokio::spawn(gateway.clone().serve(listener, async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        }));
        // The gateway probes its workers before it serves; wait until it has seen them all.
        for _ in 0..100 {
            if gateway.is_ready() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            gateway.refresh().await;
        }
        Ok(Stack {
            address,
            worker_addresses,
            socket_dir,
            gateway,
            stop_gateway,
            stop_workers,
            gateway_task,
            worker_tasks,
        })
    }

    /// The running gateway (for probes and counters).
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// Stops accepting, lets calls in flight finish (at most `drain`), stops the workers.
    pub async fn stop(self, drain: Duration) -> anyhow::Result<()> {
        let _ = self.stop_gateway.send(true);
        match tokio::time::timeout(drain, self.gateway_task).await {
            Ok(result) => result??,
            Err(_) => tracing::warn!("Calls still running after the drain period; exiting."),
        }
        let _ = self.stop_workers.send(true);
        for task in self.worker_tasks {
            let _ = tokio::time::timeout(drain, task).await;
        }
        if let Some(dir) = self.socket_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        Ok(())
    }
}
