//! The command line: every flag has an environment variable, parsed once here.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use octomesh_platform::ServiceKind;
use octomesh_proto::address::WorkerAddress;

/// OctoMesh MCP server: AI assistants' reach over the OctoMesh industrial data platform.
#[derive(Debug, Parser)]
#[command(name = "octomesh-mcp", version, about)]
pub struct Cli {
    /// Log format on stderr: human-readable text, or JSON lines (for Kubernetes).
    #[arg(long, global = true, env = "OCTOMESH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Put tool arguments and results (their first 4 KiB) on trace spans. Off by default: they
    /// may hold business data.
    #[arg(long, global = true, env = "OCTOMESH_TRACE_PAYLOADS")]
    pub trace_payloads: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorkerTransport {
    Unix,
    Tcp,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl From<LogFormat> for octomesh_telemetry::LogFormat {
    fn from(format: LogFormat) -> octomesh_telemetry::LogFormat {
        match format {
            LogFormat::Text => octomesh_telemetry::LogFormat::Text,
            LogFormat::Json => octomesh_telemetry::LogFormat::Json,
        }
    }
}

impl Cli {
    /// The OTLP `service.name` of this process's role (unless `OTEL_SERVICE_NAME` overrides it).
    pub fn service_name(&self) -> String {
        match &self.command {
            // With child processes, this one is the gateway.
            Command::Up(args) if args.processes => "octomesh-mcp-gateway".to_owned(),
            Command::Up(_) => "octomesh-mcp".to_owned(),
            Command::Gateway(_) => "octomesh-mcp-gateway".to_owned(),
            Command::Worker(args) => format!("octomesh-mcp-worker-{}", args.family),
            Command::Platform(args) if args.services.len() == 1 => {
                format!("octomesh-{}", args.services[0].name())
            }
            Command::Platform(_) => "octomesh-platform".to_owned(),
            Command::Operator(_) => "octomesh-mcp-operator".to_owned(),
            Command::Crdgen(_) => "octomesh-mcp-crdgen".to_owned(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start everything on this machine: gateway and workers on loopback.
    Up(UpArgs),
    /// Run the MCP gateway in front of remote workers.
    Gateway(GatewayArgs),
    /// Run one tool-worker family over gRPC.
    Worker(WorkerArgs),
    /// Run the embedded OctoMesh platform: identity, asset repository, bot, communication,
    /// reporting and discovery, each on its own port (or `--service NAME` alone).
    Platform(PlatformArgs),
    /// Print the McpDeployment CustomResourceDefinition (YAML) for `kubectl apply -f -`.
    Crdgen(CrdgenArgs),
    /// Run the Kubernetes operator: reconcile every McpDeployment of the cluster (in-cluster
    /// service account, or the current kubeconfig context); replicas elect a leader.
    Operator(OperatorArgs),
}

#[derive(Debug, Args)]
pub struct OperatorArgs {
    /// The namespace of the leader lease (the operator's own; the chart passes the pod's).
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    pub namespace: String,
    /// This replica's name in the leader lease (default: the host name).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
    /// Where /healthz, /readyz and /metrics are served.
    #[arg(long, env = "OCTOMESH_OPERATOR_LISTEN", default_value = "0.0.0.0:8081")]
    pub listen: SocketAddr,
}

#[derive(Debug, Args)]
pub struct CrdgenArgs {
    /// Print the Helm chart's values.schema.json instead (environments checked against the CRD).
    #[arg(long)]
    pub values_schema: bool,
}

/// Where the OctoMesh backend services are (the `{asset}`, `{identity}`, … of the platform's URL
/// scheme, the `backends` of an McpDeployment): each on its own, or read from the platform's
/// discovery endpoint (`--platform-url`); a URL given on its own wins over the discovered one.
#[derive(Debug, Clone, Default, Args)]
pub struct BackendOptions {
    /// The platform services' base URL; the other URLs are read from its
    /// `GET /octosystem/_configuration`, e.g. https://platform.example.com.
    #[arg(long, env = "OCTOMESH_PLATFORM_URL")]
    pub platform_url: Option<String>,
    /// The identity service's base URL (the OpenID issuer), e.g. https://connect.example.com.
    #[arg(long, env = "OCTOMESH_IDENTITY_URL")]
    pub identity_url: Option<String>,
    /// The asset repository's base URL, e.g. https://assets.example.com.
    #[arg(long, env = "OCTOMESH_ASSET_URL")]
    pub asset_url: Option<String>,
    /// The bot service's base URL, e.g. https://bots.example.com.
    #[arg(long, env = "OCTOMESH_BOT_URL")]
    pub bot_url: Option<String>,
    /// The communication controller's base URL, e.g. https://communication.example.com.
    #[arg(long, env = "OCTOMESH_COMMUNICATION_URL")]
    pub communication_url: Option<String>,
    /// The reporting service's base URL, e.g. https://reporting.example.com.
    #[arg(long, env = "OCTOMESH_REPORTING_URL")]
    pub reporting_url: Option<String>,
}

/// Where one platform service listens: `SERVICE=IP:PORT`, or `IP:PORT` alone for the only service
/// run (or, with several, the discovery service; the others then listen on the same IP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenSpec {
    pub service: Option<ServiceKind>,
    pub address: SocketAddr,
}

impl ListenSpec {
    pub fn parse(text: &str) -> Result<ListenSpec, String> {
        let (service, address) = match text.split_once('=') {
            Some((service, address)) => (Some(ServiceKind::parse(service)?), address),
            None => (None, text),
        };
        let address = address.trim().parse().map_err(|_| {
            format!("`{address}` is not an address: give IP:PORT, e.g. 127.0.0.1:5001")
        })?;
        Ok(ListenSpec { service, address })
    }
}

#[derive(Debug, Args)]
pub struct PlatformArgs {
    /// Run only this service (repeatable): identity, asset-repository, bot, communication,
    /// reporting, discovery. Default: all of them, each on its own port.
    #[arg(long = "service", env = "OCTOMESH_PLATFORM_SERVICES", value_delimiter = ',', value_parser = ServiceKind::parse)]
    pub services: Vec<ServiceKind>,
    /// Where a service listens (repeatable): `SERVICE=IP:PORT`, or `IP:PORT` for the only service
    /// run. Default: 127.0.0.1 and OctoMesh's ports (identity 5003, asset-repository 5001, bot
    /// 5009, communication 5015, reporting 5007, discovery 5000).
    #[arg(long = "listen", env = "OCTOMESH_PLATFORM_LISTEN", value_delimiter = ',', value_parser = ListenSpec::parse)]
    pub listen: Vec<ListenSpec>,
    /// Where tenants' databases live (default: $XDG_DATA_HOME/octomesh-mcp or
    /// ~/.local/share/octomesh-mcp).
    #[arg(long, env = "OCTOMESH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seed the `demo` tenant (sites, machines, sensors) unless it exists.
    #[arg(long, env = "OCTOMESH_DEMO")]
    pub demo: bool,
    /// The password of the `admin` account a new data directory gets (default: drawn and shown
    /// once).
    #[arg(long, env = "OCTOMESH_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Serve without checking tokens (loopback experiments only).
    #[arg(long, env = "OCTOMESH_NO_AUTH")]
    pub no_auth: bool,
    /// The MCP endpoint, for `_configuration`'s `mcpServices`.
    #[arg(long, env = "OCTOMESH_MCP_URL")]
    pub mcp_url: Option<String>,
    /// Where the services not run by this process are (`--identity-url`, `--asset-url`, …).
    #[command(flatten)]
    pub backends: BackendOptions,
}

/// Options shared by `up` and `gateway`.
#[derive(Debug, Args)]
pub struct GatewayOptions {
    /// Base64 of 32 random bytes that seals session ids; give every replica the same key
    /// (`head -c 32 /dev/urandom | base64`). Without it a random key is used and sessions end
    /// with the process.
    #[arg(long, env = "OCTOMESH_SESSION_KEY", hide_env_values = true)]
    pub session_key: Option<String>,
    /// Public URL of the MCP endpoint when behind a proxy, e.g. https://mcp.example.com/mcp.
    #[arg(long, env = "OCTOMESH_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Extra browser origin allowed to call the gateway (repeatable), e.g. https://claude.ai.
    #[arg(
        long = "allowed-origin",
        env = "OCTOMESH_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
    /// Extra Host header value accepted (repeatable), e.g. mcp.internal:8080.
    #[arg(
        long = "allowed-host",
        env = "OCTOMESH_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Largest request body in bytes; larger ones get 413.
    #[arg(long, env = "OCTOMESH_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Longest a tool call may run, in seconds. A tool that waits for a platform job (dump,
    /// restore, imports, exports) is bounded by its waitTimeoutMinutes argument instead.
    #[arg(long, env = "OCTOMESH_CALL_TIMEOUT_SECS", default_value_t = 300)]
    pub call_timeout_secs: u64,
    /// Tools per tools/list page.
    #[arg(long, env = "OCTOMESH_TOOLS_PAGE_SIZE", default_value_t = 500)]
    pub tools_page_size: usize,
    /// How long a session id stays valid, in hours.
    #[arg(long, env = "OCTOMESH_SESSION_HOURS", default_value_t = 24)]
    pub session_hours: u64,
    /// How long to let calls in flight finish on shutdown, in seconds.
    #[arg(long, env = "OCTOMESH_DRAIN_SECS", default_value_t = 30)]
    pub drain_secs: u64,
    /// `redis://[:password@]host:port[/db]` of the shared store of device-flow sign-ins (needed
    /// with several gateway replicas; values are sealed with the session key).
    #[arg(long, env = "OCTOMESH_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    #[command(flatten)]
    pub transfers: FileTransferOptions,
    /// The audience bearer tokens must carry (default: not checked).
    #[arg(long, env = "OCTOMESH_AUTH_AUDIENCE")]
    pub auth_audience: Option<String>,
    /// `required`: every MCP request needs a bearer token; `optional`: requests without one are
    /// anonymous (the device-flow tools sign sessions in). A token that is sent is always checked.
    #[arg(long, env = "OCTOMESH_AUTH_MODE", value_enum, default_value_t = AuthModeArg::Optional)]
    pub auth_mode: AuthModeArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthModeArg {
    Required,
    Optional,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Where the MCP endpoint listens. Loopback by default: nothing is exposed to the network.
    #[arg(long, env = "OCTOMESH_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Also serve the test fixtures (the conformance suite's tools, resources and prompts, `echo`).
    #[arg(long, env = "OCTOMESH_FIXTURES")]
    pub fixtures: bool,
    /// Serve workers inside the gateway process with no gRPC hop (for comparison; the default
    /// runs each family as a real gRPC worker).
    #[arg(long, conflicts_with = "processes")]
    pub in_process: bool,
    /// Run the platform and each worker family as separate child processes (the process layout
    /// of a cluster, each with its own `service.name` in traces); they stop with `up`.
    #[arg(long, env = "OCTOMESH_UP_PROCESSES")]
    pub processes: bool,
    /// How the gateway reaches its workers: a private Unix socket (only this user can connect), or
    /// a loopback TCP port.
    #[arg(long, env = "OCTOMESH_WORKER_TRANSPORT", value_enum, default_value_t = WorkerTransport::Unix)]
    pub worker_transport: WorkerTransport,
    /// Where the embedded platform keeps its data (default: $XDG_DATA_HOME/octomesh-mcp or
    /// ~/.local/share/octomesh-mcp). Data persists across restarts.
    #[arg(long, env = "OCTOMESH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seed a `demo` tenant (sites → machines → sensors, about 3,000 entities) unless it exists.
    #[arg(long, env = "OCTOMESH_DEMO")]
    pub demo: bool,
    /// Where the embedded platform's services listen (repeatable): `SERVICE=IP:PORT`, or `IP:PORT`
    /// for the discovery service. Default: loopback, free ports.
    #[arg(long = "platform-listen", env = "OCTOMESH_PLATFORM_LISTEN", value_delimiter = ',', value_parser = ListenSpec::parse)]
    pub platform_listen: Vec<ListenSpec>,
    /// Use these OctoMesh services instead of starting the embedded platform (`--platform-url`,
    /// or `--asset-url`, `--identity-url`, …).
    #[command(flatten)]
    pub backends: BackendOptions,
    /// The password of the `admin` account a new data directory gets (default: drawn and shown
    /// once).
    #[arg(long, env = "OCTOMESH_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// No authentication at all (loopback only): for scripts and quick experiments.
    #[arg(long, env = "OCTOMESH_NO_AUTH")]
    pub no_auth: bool,
    /// The OAuth authority (issuer URL) to trust (default: the identity service).
    #[arg(long, env = "OCTOMESH_AUTH_AUTHORITY")]
    pub auth_authority: Option<String>,
    #[command(flatten)]
    pub gateway: GatewayOptions,
}

#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Where the MCP endpoint listens.
    #[arg(long, env = "OCTOMESH_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The OAuth authority (issuer URL) whose tokens the gateway accepts (default: the identity
    /// service of the backends); none: no authentication.
    #[arg(long, env = "OCTOMESH_AUTH_AUTHORITY")]
    pub auth_authority: Option<String>,
    /// Where the OctoMesh services are (the identity service is the default authority).
    #[command(flatten)]
    pub backends: BackendOptions,
    /// A worker's gRPC URL (repeatable), e.g. http://ck-workers:50051.
    #[arg(
        long = "worker",
        env = "OCTOMESH_WORKERS",
        value_delimiter = ',',
        required = true
    )]
    pub workers: Vec<String>,
    #[command(flatten)]
    pub gateway: GatewayOptions,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The tool family to serve.
    #[arg(long, env = "OCTOMESH_FAMILY")]
    pub family: String,
    /// Where the gRPC server listens: IP:PORT or unix:/PATH.
    #[arg(
        long,
        env = "OCTOMESH_WORKER_LISTEN",
        default_value = "127.0.0.1:50051",
        value_parser = WorkerAddress::parse
    )]
    pub listen: WorkerAddress,
    #[command(flatten)]
    pub backends: BackendOptions,
    /// The gateway's file-transfer store and key (the tools that import uploads and publish
    /// downloads use them).
    #[command(flatten)]
    pub transfers: FileTransferOptions,
}

/// The file-transfer channel, shared by the gateway and the workers that take uploads or publish
/// downloads: give both the same store and key.
#[derive(Debug, Clone, Args)]
pub struct FileTransferOptions {
    /// Where file transfers are kept: a directory, or `s3://bucket[/prefix]` of an S3-compatible
    /// store reached with the standard AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    /// AWS_REGION, AWS_ENDPOINT_URL, AWS_ALLOW_HTTP). Default with `up`: `file-transfer/` in the
    /// data directory. Without it, `gateway` serves no file-transfer channel.
    #[arg(
        long = "file-transfer-store",
        visible_alias = "file-transfer-dir",
        env = "OCTOMESH_FILE_TRANSFER_STORE"
    )]
    pub file_transfer_store: Option<octomesh_file_transfer::StoreLocation>,
    /// Base64 of 32 random bytes sealing transfer URLs; give the gateway replicas and the
    /// workers the same one (`head -c 32 /dev/urandom | base64`). Default on a gateway: derived
    /// from its session key (`up` hands it to its workers). A worker without it takes uploads
    /// but cannot publish downloads.
    #[arg(long, env = "OCTOMESH_FILE_TRANSFER_KEY", hide_env_values = true)]
    pub file_transfer_key: Option<String>,
    /// The largest file upload or download, in bytes (default 5 GiB).
    #[arg(long, env = "OCTOMESH_FILE_TRANSFER_MAX_BYTES", default_value_t = 5 * 1024 * 1024 * 1024)]
    pub file_transfer_max_bytes: u64,
    /// How long a transfer URL works, in minutes.
    #[arg(long, env = "OCTOMESH_FILE_TRANSFER_TTL_MINUTES", default_value_t = 30)]
    pub file_transfer_ttl_minutes: u64,
}

impl FileTransferOptions {
    /// The key given, if any.
    pub fn key(&self) -> anyhow::Result<Option<octomesh_file_transfer::TransferKey>> {
        self.file_transfer_key
            .as_deref()
            .map(octomesh_file_transfer::TransferKey::from_base64)
            .transpose()
            .map_err(anyhow::Error::msg)
    }

    /// How long a transfer URL works.
    pub fn ttl(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.file_transfer_ttl_minutes.max(1) * 60)
    }
}
