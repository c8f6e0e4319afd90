//! Running services of the platform in this process, each on its own listener.
//!
//! Each service is opened on its own part of the data directory and reaches the others only at
//! their base URLs: the asset repository checks tokens against the identity service's published
//! keys, and the identity service lists tenants through the asset repository's REST contract.
//! So the same code serves one service per process (`platform --service NAME`) or all of them.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use octomesh_asset_repository::demo::{DEMO_TENANT, DemoOutcome, DemoSize};
use octomesh_asset_repository::store::Platform as AssetStore;
use octomesh_identity::{Identity, TenantDirectory};
use octomesh_platform_common::{Guard, ServiceKind, TokenVerifier};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::discovery::TenantConfiguration;
use crate::urls::ServiceUrls;

/// How the services are run.
#[derive(Debug, Clone)]
pub struct PlatformOptions {
    /// Where each service keeps its data (a part of its own).
    pub data_dir: PathBuf,
    /// Seed the `demo` tenant in the asset repository unless it exists.
    pub demo: bool,
    /// The `admin` password a new identity store gets (default: drawn and shown once).
    pub admin_password: Option<String>,
    /// Whether services need the identity service's tokens (`false`: `--no-auth`).
    pub enforce_auth: bool,
    /// The MCP endpoint, for `_configuration`'s `mcpServices`.
    pub mcp_url: Option<String>,
}

/// Services running in this process.
pub struct RunningPlatform {
    /// Every service's base URL: those running here, and those elsewhere it was told of.
    pub urls: ServiceUrls,
    /// The `admin` password when the identity service created the account and drew it.
    pub new_admin_password: Option<String>,
    /// The asset repository's store, when it runs here.
    pub asset_store: Option<Arc<AssetStore>>,
    /// The identity service, when it runs here.
    pub identity: Option<Arc<Identity>>,
    stop: watch::Sender<bool>,
    tasks: Vec<(ServiceKind, JoinHandle<std::io::Result<()>>)>,
}

impl RunningPlatform {
    /// The services running in this process.
    pub fn services(&self) -> impl Iterator<Item = ServiceKind> + '_ {
        self.tasks.iter().map(|(kind, _)| *kind)
    }

    /// Stops every service (requests in flight finish) and waits for them.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        for (kind, task) in self.tasks {
            task.await
                .with_context(|| format!("the {kind} service panicked"))?
                .with_context(|| format!("the {kind} service failed"))?;
        }
        Ok(())
    }
}

/// Starts a service on each of `listeners`. `urls` says where the services not run here are;
/// those run here get their listener's address.
pub async fn start(
    listeners: Vec<(ServiceKind, TcpListener)>,
    mut urls: ServiceUrls,
    options: &PlatformOptions,
) -> anyhow::Result<RunningPlatform> {
    for (kind, listener) in &listeners {
        urls.set(*kind, &format!("http://{}", listener.local_addr()?));
    }
    let (stop, stop_rx) = watch::channel(false);
    let shutdown = move || {
        let mut stop_rx = stop_rx.clone();
        async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        }
    };
    let verifier = options
        .enforce_auth
        .then(|| TokenVerifier::remote(&urls.identity));
    let guard = Guard::new(verifier);
    let mut running = RunningPlatform {
        urls: urls.clone(),
        new_admin_password: None,
        asset_store: None,
        identity: None,
        stop,
        tasks: Vec::new(),
    };
    // The asset repository first: opening it (and seeding the demo tenant) takes the longest;
    // the bot and reporting last: they take their client secrets from the identity service when
    // that runs here.
    let mut listeners = listeners;
    listeners.sort_by_key(|(kind, _)| {
        (
            *kind != ServiceKind::AssetRepository,
            matches!(kind, ServiceKind::Bot | ServiceKind::Reporting),
        )
    });
    for (kind, listener) in listeners {
        let task = match kind {
            ServiceKind::AssetRepository => {
                let store = open_asset_store(options).await?;
                running.asset_store = Some(Arc::clone(&store));
                tokio::spawn(octomesh_asset_repository::http::serve(
                    listener,
                    store,
                    guard.clone(),
                    shutdown(),
                ))
            }
            ServiceKind::Identity => {
                let data_dir = options.data_dir.clone();
                let issuer = urls.identity.clone();
                let tenants = TenantDirectory::asset_repository(&urls.asset_repository);
                let password = options.admin_password.clone();
                let (identity, first_run) = tokio::task::spawn_blocking(move || {
                    Identity::open(&data_dir, &issuer, tenants, password.as_deref())
                })
                .await?
                .context("cannot open the identity service")?;
                running.new_admin_password = first_run.admin_password;
                let identity = Arc::new(identity);
                running.identity = Some(Arc::clone(&identity));
                tokio::spawn(octomesh_identity::serve(
                    listener,
                    identity,
                    options.enforce_auth,
                    shutdown(),
                ))
            }
            ServiceKind::Bot => {
                let bot = open_bot(options, &urls, running.identity.as_deref())?;
                serve(
                    listener,
                    octomesh_bot::router(guard.clone(), bot),
                    shutdown(),
                )
            }
            ServiceKind::Communication => serve(
                listener,
                octomesh_communication::router(guard.clone()),
                shutdown(),
            ),
            ServiceKind::Reporting => {
                let data_dir = options.data_dir.clone();
                let switch =
                    tokio::task::spawn_blocking(move || octomesh_reporting::open(&data_dir))
                        .await?
                        .map_err(anyhow::Error::msg)
                        .context("cannot open the reporting service")?;
                let secret = service_secret(
                    options,
                    running.identity.as_deref(),
                    octomesh_reporting::REPORTING_CLIENT_ID,
                    octomesh_reporting::CLIENT_SECRET_ENV,
                );
                let installer = octomesh_reporting::ModelInstaller::new(
                    &urls.asset_repository,
                    &urls.identity,
                    secret,
                );
                serve(
                    listener,
                    octomesh_reporting::router(guard.clone(), switch, Some(installer)),
                    shutdown(),
                )
            }
            ServiceKind::Discovery => serve(
                listener,
                crate::discovery::router(
                    TenantConfiguration::new(&urls, options.mcp_url.as_deref()),
                    guard.clone(),
                ),
                shutdown(),
            ),
        };
        tracing::info!(service = %kind, url = urls.of(kind), "Platform service serving.");
        running.tasks.push((kind, task));
    }
    Ok(running)
}

fn serve(
    listener: TcpListener,
    router: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> JoinHandle<std::io::Result<()>> {
    tokio::spawn(octomesh_platform_common::serve(listener, router, shutdown))
}

/// The client secret of service client `client_id` (the bot's, the reporting service's): the
/// identity service's when it runs here, else the environment variable `env`; `None` with
/// `--no-auth` (no token at all).
// The variable is read here rather than in the binary's configuration: only `platform --service
// bot|reporting` needs it, and a secret passed as a flag would show in the process list.
#[allow(clippy::disallowed_methods)]
fn service_secret(
    options: &PlatformOptions,
    identity: Option<&Identity>,
    client_id: &str,
    env: &str,
) -> Option<String> {
    if !options.enforce_auth {
        return None;
    }
    let secret = identity
        .and_then(|identity| identity.service_client_secret(client_id))
        .or_else(|| {
            std::env::var(env)
                .ok()
                .filter(|secret| !secret.trim().is_empty())
        });
    if secret.is_none() {
        tracing::warn!(
            "Service client {client_id} has no secret, so the asset repository will refuse its calls: set {env} to the identity service's identity/clients/{client_id}.secret."
        );
    }
    secret
}

/// Opens the bot service over the data directory. It reaches the asset repository and the identity
/// service at their URLs, as client `octo-botServices` (see [`service_secret`]).
fn open_bot(
    options: &PlatformOptions,
    urls: &ServiceUrls,
    identity: Option<&Identity>,
) -> anyhow::Result<Arc<octomesh_bot::Bot>> {
    let mut config = octomesh_bot::BotConfig::new(
        options.data_dir.clone(),
        &urls.asset_repository,
        &urls.identity,
    );
    config.client_secret = service_secret(
        options,
        identity,
        octomesh_bot::BOT_CLIENT_ID,
        octomesh_bot::CLIENT_SECRET_ENV,
    );
    octomesh_bot::Bot::open(config)
        .map_err(anyhow::Error::msg)
        .context("cannot open the bot service")
}

/// Opens the asset repository's part of the data directory, seeding the demo tenant when asked.
async fn open_asset_store(options: &PlatformOptions) -> anyhow::Result<Arc<AssetStore>> {
    let data_dir = options.data_dir.clone();
    let store = tokio::task::spawn_blocking(move || {
        AssetStore::open(
            &data_dir,
            octomesh_asset_repository::builtin::builtin_libraries(),
        )
    })
    .await?
    .with_context(|| {
        format!(
            "cannot open the asset repository's data in {}",
            options.data_dir.display()
        )
    })?;
    let store = Arc::new(store);
    if options.demo {
        let seeding = Arc::clone(&store);
        let outcome = tokio::task::spawn_blocking(move || {
            octomesh_asset_repository::demo::seed(&seeding, DEMO_TENANT, DemoSize::default())
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
    Ok(store)
}
