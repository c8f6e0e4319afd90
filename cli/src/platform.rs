//! The embedded OctoMesh platform: `octomesh-mcp platform [--service NAME]`, and the one `up`
//! starts. Every service gets a listener of its own; the services find each other by URL.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use octomesh_asset_repository::store::Platform as AssetStore;
use octomesh_platform::{PlatformOptions, RunningPlatform, ServiceKind, ServiceUrls};
use tokio::net::TcpListener;

use crate::backends::Backends;
use crate::cli::{ListenSpec, PlatformArgs};

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

/// Where each of `services` listens: the `SERVICE=ADDR` given, else a bare `ADDR` (for the only
/// service, or the discovery service), else `default` for the service (its IP taken from a bare
/// address when one was given).
pub fn listen_addresses(
    services: &[ServiceKind],
    given: &[ListenSpec],
    default: impl Fn(ServiceKind) -> SocketAddr,
) -> anyhow::Result<Vec<(ServiceKind, SocketAddr)>> {
    let bare: Vec<SocketAddr> = given
        .iter()
        .filter(|spec| spec.service.is_none())
        .map(|spec| spec.address)
        .collect();
    anyhow::ensure!(
        bare.len() <= 1,
        "more than one listen address without a service: write SERVICE=IP:PORT, e.g. identity=127.0.0.1:5003"
    );
    let bare_for = match services {
        [only] => Some(*only),
        _ => Some(ServiceKind::Discovery),
    };
    for spec in given {
        if let Some(service) = spec.service {
            anyhow::ensure!(
                services.contains(&service),
                "a listen address is given for {service}, which this process does not run"
            );
        }
    }
    Ok(services
        .iter()
        .map(|&kind| {
            let named = given
                .iter()
                .find(|spec| spec.service == Some(kind))
                .map(|spec| spec.address);
            let address = named
                .or_else(|| bare.first().copied().filter(|_| bare_for == Some(kind)))
                .unwrap_or_else(|| {
                    let mut address = default(kind);
                    if let Some(ip) = bare.first().map(SocketAddr::ip) {
                        address.set_ip(ip);
                    }
                    address
                });
            (kind, address)
        })
        .collect())
}

/// A running embedded platform (some or all of its services, in this process).
pub struct EmbeddedPlatform {
    /// Every service's base URL.
    pub urls: ServiceUrls,
    /// The `admin` password when this start created the account and drew it.
    pub new_admin_password: Option<String>,
    running: RunningPlatform,
}

impl EmbeddedPlatform {
    /// Binds a listener for each of `addresses` and starts those services; `elsewhere` says
    /// where the services not run here are.
    pub async fn start(
        addresses: &[(ServiceKind, SocketAddr)],
        elsewhere: &Backends,
        options: &PlatformOptions,
    ) -> anyhow::Result<EmbeddedPlatform> {
        let mut listeners = Vec::new();
        for (kind, address) in addresses {
            let listener = TcpListener::bind(address)
                .await
                .with_context(|| format!("the {kind} service cannot listen on {address}"))?;
            listeners.push((*kind, listener));
        }
        let mut urls = ServiceUrls::local_defaults("127.0.0.1");
        for (kind, url) in [
            (ServiceKind::Identity, &elsewhere.identity),
            (ServiceKind::AssetRepository, &elsewhere.asset_repository),
            (ServiceKind::Bot, &elsewhere.bot),
            (ServiceKind::Communication, &elsewhere.communication),
            (ServiceKind::Reporting, &elsewhere.reporting),
        ] {
            if let Some(url) = url {
                urls.set(kind, url);
            }
        }
        let running = octomesh_platform::start(listeners, urls, options).await?;
        Ok(EmbeddedPlatform {
            urls: running.urls.clone(),
            new_admin_password: running.new_admin_password.clone(),
            running,
        })
    }

    /// Every service on loopback at a free port, all in this process (what `up` runs).
    pub async fn start_all_local(options: &PlatformOptions) -> anyhow::Result<EmbeddedPlatform> {
        let loopback = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
        let addresses: Vec<_> = ServiceKind::ALL
            .into_iter()
            .map(|kind| (kind, loopback))
            .collect();
        EmbeddedPlatform::start(&addresses, &Backends::default(), options).await
    }

    /// The asset repository's store, when it runs in this process.
    pub fn asset_store(&self) -> Option<&Arc<AssetStore>> {
        self.running.asset_store.as_ref()
    }

    /// The identity service, when it runs in this process.
    pub fn identity(&self) -> Option<&Arc<octomesh_identity::Identity>> {
        self.running.identity.as_ref()
    }

    /// The backends as the workers see them.
    pub fn backends(&self) -> Backends {
        backends_of(&self.urls)
    }

    /// Stops serving; the data directory is released when the last handle drops.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.running.stop().await
    }
}

/// The workers' view of `urls`.
pub fn backends_of(urls: &ServiceUrls) -> Backends {
    Backends {
        identity: Some(urls.identity.clone()),
        asset_repository: Some(urls.asset_repository.clone()),
        bot: Some(urls.bot.clone()),
        communication: Some(urls.communication.clone()),
        reporting: Some(urls.reporting.clone()),
    }
}

/// `octomesh-mcp platform`.
pub async fn serve(args: PlatformArgs) -> anyhow::Result<()> {
    let stop = crate::signal::shutdown();
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    let services = if args.services.is_empty() {
        ServiceKind::ALL.to_vec()
    } else {
        let mut services = args.services.clone();
        services.sort();
        services.dedup();
        services
    };
    let addresses = listen_addresses(&services, &args.listen, |kind| {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), kind.default_port())
    })?;
    if args.no_auth {
        for (kind, address) in &addresses {
            anyhow::ensure!(
                address.ip().is_loopback(),
                "--no-auth serves only on a loopback address, not {address} ({kind})"
            );
        }
        eprintln!("WARNING: --no-auth: the platform accepts every caller (loopback only).");
    }
    let elsewhere = args.backends.resolve().await?;
    let options = PlatformOptions {
        data_dir: data_dir.clone(),
        demo: args.demo,
        admin_password: args.admin_password.clone(),
        enforce_auth: !args.no_auth,
        mcp_url: args.mcp_url.clone(),
    };
    let embedded = EmbeddedPlatform::start(&addresses, &elsewhere, &options).await?;
    // A child of `up --processes` leaves the banner to `up`, but a drawn password is shown once.
    if std::env::var_os(crate::signal::EXIT_WITH_PARENT).is_none() {
        println!("OctoMesh platform, data in {}", data_dir.display());
        print_services(&embedded.urls, &services);
    }
    print_new_admin(&embedded);
    stop.await;
    embedded.stop().await
}

/// One line per service of `services`, with its base URL.
pub fn print_services(urls: &ServiceUrls, services: &[ServiceKind]) {
    for &kind in services {
        let hint = match kind {
            ServiceKind::Identity => "  (/.well-known/openid-configuration)",
            ServiceKind::AssetRepository => "  (GraphQL at /tenants/{tenantId}/GraphQL)",
            ServiceKind::Discovery => "  (GET /{tenantId}/_configuration)",
            _ => "",
        };
        println!("  {:<17} {}{hint}", format!("{kind}:"), urls.of(kind));
    }
}

/// Shows a drawn admin password, once: it is stored only as a hash.
pub fn print_new_admin(embedded: &EmbeddedPlatform) {
    if let Some(password) = &embedded.new_admin_password {
        println!("  new account: user `admin`, password `{password}` (shown once; keep it)");
    }
}
