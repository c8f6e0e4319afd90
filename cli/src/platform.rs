//! The embedded OctoMesh platform: `octomesh-mcp platform`, and the one `up` starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use octomesh_platform::demo::{DEMO_TENANT, DemoOutcome, DemoSize};
use octomesh_platform::identity::Identity;
use octomesh_platform::store::Platform;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cli::PlatformArgs;

/// The data directory when none is given: `$XDG_DATA_HOME/octomesh-mcp`, else
/// `~/.local/share/octomesh-mcp`, else `./octomesh-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(data_home) = std::env::var_os("XDG_DATA_HOME").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(data_home).join("octomesh-mcp");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(home).join(".local/share/octomesh-mcp");
    }
    PathBuf::from("octomesh-data")
}

/// A running embedded platform.
pub struct EmbeddedPlatform {
    /// The asset repository's base URL (also the identity service's issuer).
    pub url: String,
    pub platform: Arc<Platform>,
    pub identity: Arc<Identity>,
    /// The `admin` password when this start created the account and drew it.
    pub new_admin_password: Option<String>,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl EmbeddedPlatform {
    /// Opens `data_dir`, seeds the demo tenant when asked, and serves on `listen`.
    pub async fn start(
        data_dir: &Path,
        listen: SocketAddr,
        demo: bool,
        admin_password: Option<&str>,
        enforce_auth: bool,
    ) -> anyhow::Result<EmbeddedPlatform> {
        let dir = data_dir.to_path_buf();
        let platform = tokio::task::spawn_blocking(move || {
            Platform::open(&dir, octomesh_platform::builtin::builtin_libraries())
        })
        .await?
        .with_context(|| format!("cannot open the data directory {}", data_dir.display()))?;
        let platform = Arc::new(platform);
        if demo {
            let seeding = Arc::clone(&platform);
            let outcome = tokio::task::spawn_blocking(move || {
                octomesh_platform::demo::seed(&seeding, DEMO_TENANT, DemoSize::default())
            })
            .await?
            .context("cannot seed the demo tenant")?;
            match outcome {
                DemoOutcome::Created { entities } => {
                    tracing::info!(tenant = DEMO_TENANT, entities, "Demo tenant created.")
                }
                DemoOutcome::AlreadyThere => {
                    tracing::info!(tenant = DEMO_TENANT, "Demo tenant already there.")
                }
            }
        }
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("the platform cannot listen on {listen}"))?;
        let url = format!("http://{}", listener.local_addr()?);
        let (identity, first_run) =
            Identity::open(data_dir, &url, Arc::clone(&platform), admin_password)
                .context("cannot open the identity service")?;
        let identity = Arc::new(identity);
        let (stop, mut stop_rx) = watch::channel(false);
        let task = tokio::spawn(octomesh_platform::http::serve(
            listener,
            Arc::clone(&platform),
            Arc::clone(&identity),
            enforce_auth,
            async move {
                let _ = stop_rx.wait_for(|stop| *stop).await;
            },
        ));
        Ok(EmbeddedPlatform {
            url,
            platform,
            identity,
            new_admin_password: first_run.admin_password,
            stop,
            task,
        })
    }

    /// Stops serving; the data directory is released when the last handle drops.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.task.await??;
        Ok(())
    }
}

/// `octomesh-mcp platform`.
pub async fn serve(args: PlatformArgs) -> anyhow::Result<()> {
    let stop = crate::signal::shutdown();
    let data_dir = args.data_dir.unwrap_or_else(default_data_dir);
    if args.no_auth {
        anyhow::ensure!(
            args.listen.ip().is_loopback(),
            "--no-auth serves only on a loopback address, not {}",
            args.listen
        );
        eprintln!("WARNING: --no-auth: the asset repository accepts every caller (loopback only).");
    }
    let embedded = EmbeddedPlatform::start(
        &data_dir,
        args.listen,
        args.demo,
        args.admin_password.as_deref(),
        !args.no_auth,
    )
    .await?;
    tracing::info!(url = %embedded.url, data_dir = %data_dir.display(), "Platform serving.");
    println!(
        "OctoMesh platform (asset repository and identity) at {}",
        embedded.url
    );
    println!("  GraphQL:  {}/tenants/{{tenantId}}/GraphQL", embedded.url);
    println!(
        "  identity: {}/.well-known/openid-configuration",
        embedded.url
    );
    println!("  data:     {}", data_dir.display());
    print_new_admin(&embedded);
    stop.await;
    embedded.stop().await
}

/// Shows a drawn admin password, once: it is stored only as a hash.
pub fn print_new_admin(embedded: &EmbeddedPlatform) {
    if let Some(password) = &embedded.new_admin_password {
        println!("  new account: user `admin`, password `{password}` (shown once; keep it)");
    }
}
