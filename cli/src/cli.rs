//! The command line: every flag has an environment variable, parsed once here.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// Run the embedded OctoMesh platform (asset repository: REST and GraphQL).
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

/// Where the OctoMesh backend services are (the `{asset}`, … of the platform's URL scheme).
#[derive(Debug, Clone, Args)]
pub struct BackendOptions {
    /// The asset repository's base URL, e.g. https://assets.example.com.
    #[arg(long, env = "OCTOMESH_ASSET_URL")]
    pub asset_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct PlatformArgs {
    /// Where the platform listens.
    #[arg(
        long,
        env = "OCTOMESH_PLATFORM_LISTEN",
        default_value = "127.0.0.1:5001"
    )]
    pub listen: SocketAddr,
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
    /// Serve the asset repository without checking tokens (loopback experiments only).
    #[arg(long, env = "OCTOMESH_NO_AUTH")]
    pub no_auth: bool,
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
    /// Longest a tool call may run, in seconds.
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
    /// Where the embedded platform listens (loopback; port 0 picks a free one).
    #[arg(long, env = "OCTOMESH_PLATFORM_LISTEN", default_value = "127.0.0.1:0")]
    pub platform_listen: SocketAddr,
    /// Use this OctoMesh asset repository instead of starting the embedded platform.
    #[arg(long, env = "OCTOMESH_ASSET_URL", conflicts_with = "demo")]
    pub asset_url: Option<String>,
    /// The password of the `admin` account a new data directory gets (default: drawn and shown
    /// once).
    #[arg(long, env = "OCTOMESH_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// No authentication at all (loopback only): for scripts and quick experiments.
    #[arg(long, env = "OCTOMESH_NO_AUTH")]
    pub no_auth: bool,
    /// The OAuth authority (issuer URL) to trust with `--asset-url` (default with the embedded
    /// platform: its identity service).
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
    /// The OAuth authority (issuer URL) whose tokens the gateway accepts; none: no
    /// authentication.
    #[arg(long, env = "OCTOMESH_AUTH_AUTHORITY")]
    pub auth_authority: Option<String>,
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
}
