//! The gateway's static configuration, typed and validated by the binary before it gets here.

use std::net::SocketAddr;
use std::time::Duration;

use crate::session::SessionKey;

/// Everything the gateway needs at start-up.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Where clients reach the gateway.
    pub listen: SocketAddr,
    /// The public URL of the MCP endpoint when behind a proxy, e.g. `https://mcp.example.com/mcp`.
    /// Its origin and host are allowed in `Origin` and `Host`.
    pub public_url: Option<String>,
    /// Seals session ids; share it between replicas.
    pub session_key: SessionKey,
    /// How long a session id stays valid.
    pub session_lifetime: Duration,
    /// Remote workers, e.g. `http://127.0.0.1:50051`. Their families are learned from `ListTools`.
    pub worker_urls: Vec<String>,
    /// Extra browser origins allowed to call the gateway, e.g. `https://claude.ai`.
    pub allowed_origins: Vec<String>,
    /// Extra `Host` values accepted (DNS-rebinding protection), e.g. `mcp.internal:8080`.
    pub allowed_hosts: Vec<String>,
    /// Largest accepted request body; larger ones get 413.
    pub max_body_bytes: usize,
    /// The longest a tool call may run.
    pub call_timeout: Duration,
    /// Tools per `tools/list` page.
    pub tools_page_size: usize,
    /// How often workers are probed and the catalog refreshed.
    pub refresh_interval: Duration,
    /// How often workers are probed while one of them is down (or has not answered yet).
    pub recovery_interval: Duration,
    /// Interval of SSE keep-alive comments.
    pub keep_alive: Duration,
    /// The OAuth authority to trust; `None`: no authentication (loopback experiments).
    pub auth: Option<crate::auth::AuthConfig>,
    /// `redis://…` of the shared store of device-flow sign-ins (needed with several replicas);
    /// `None`: in memory.
    pub token_store: Option<String>,
    /// The file-transfer side channel (`/file-transfer/…`); `None`: not served.
    pub file_transfer: Option<FileTransferConfig>,
}

/// Where transfers are kept and how big and long-lived they may be.
#[derive(Debug, Clone)]
pub struct FileTransferConfig {
    /// Where transfers are kept: a local directory or an S3-compatible bucket.
    pub store: octomesh_file_transfer::StoreLocation,
    /// The key that seals transfer URLs; `None`: derived from the session key (what `up` and
    /// the workers it starts share). Replicas and workers of a cluster are given the same one.
    pub key: Option<octomesh_file_transfer::TransferKey>,
    /// The largest upload or download, in bytes.
    pub max_bytes: u64,
    /// How long a transfer URL works.
    pub ttl: Duration,
    /// How often expired transfers are deleted.
    pub sweep_interval: Duration,
}

impl FileTransferConfig {
    /// Transfers in `dir`: 5 GiB at most, 30 minutes, swept every 5 minutes.
    pub fn in_dir(dir: std::path::PathBuf) -> FileTransferConfig {
        FileTransferConfig::at(octomesh_file_transfer::StoreLocation::Local(dir))
    }

    /// Transfers at `store`: 5 GiB at most, 30 minutes, swept every 5 minutes.
    pub fn at(store: octomesh_file_transfer::StoreLocation) -> FileTransferConfig {
        FileTransferConfig {
            store,
            key: None,
            max_bytes: 5 * 1024 * 1024 * 1024,
            ttl: Duration::from_secs(30 * 60),
            sweep_interval: Duration::from_secs(5 * 60),
        }
    }

    /// The key that seals this channel's URLs, given the gateway's `session_key`.
    pub fn key_for(&self, session_key: &crate::SessionKey) -> octomesh_file_transfer::TransferKey {
        self.key.clone().unwrap_or_else(|| {
            octomesh_file_transfer::TransferKey::derived_from_session_key(&session_key.to_bytes())
        })
    }
}

impl GatewayConfig {
    /// Defaults for a gateway on `listen`, with a fresh random session key.
    pub fn new(listen: SocketAddr) -> GatewayConfig {
        GatewayConfig {
            listen,
            public_url: None,
            session_key: SessionKey::random(),
            session_lifetime: Duration::from_secs(24 * 3600),
            worker_urls: Vec::new(),
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            max_body_bytes: 4 * 1024 * 1024,
            call_timeout: Duration::from_secs(300),
            tools_page_size: 500,
            refresh_interval: Duration::from_secs(10),
            recovery_interval: Duration::from_secs(1),
            keep_alive: Duration::from_secs(15),
            auth: None,
            token_store: None,
            file_transfer: None,
        }
    }

    /// The key that seals this gateway's transfer URLs, for the workers that publish downloads
    /// (`None` without a file-transfer channel).
    pub fn file_transfer_key(&self) -> Option<octomesh_file_transfer::TransferKey> {
        self.file_transfer
            .as_ref()
            .map(|transfers| transfers.key_for(&self.session_key))
    }
}
