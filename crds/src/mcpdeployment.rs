//! `McpDeployment` (`mcp.octomesh.io/v1alpha1`, namespaced, short name `mcpd`): one environment of
//! the server — its public URL, the OctoMesh services it fronts, auth, the gateway, one pool per
//! worker family, the topology, the token store, file transfer, telemetry and the image.
//!
//! The OpenAPI schema the API server enforces is generated from these types: URLs must be http(s),
//! families are a closed set, replica counts are bounded and autoscaling needs min ≤ max (a CEL
//! rule), so a bad manifest is refused by `kubectl apply` itself.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An http(s) URL (what the schema accepts).
const URL_PATTERN: &str = r"^https?://[A-Za-z0-9.\-\[\]:]+(:[0-9]{1,5})?(/[^\s]*)?$";

/// One environment of octomesh-mcp.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "mcp.octomesh.io",
    version = "v1alpha1",
    kind = "McpDeployment",
    plural = "mcpdeployments",
    shortname = "mcpd",
    namespaced,
    status = "McpDeploymentStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Topology","type":"string","jsonPath":".spec.topology"}"#,
    printcolumn = r#"{"name":"Gateways","type":"integer","jsonPath":".spec.gateway.replicas"}"#,
    printcolumn = r#"{"name":"Endpoint","type":"string","jsonPath":".status.endpoint"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct McpDeploymentSpec {
    /// Where MCP clients reach this environment (the gateway's public URL, e.g.
    /// `https://mcp.prod-1.example.com`); the OAuth resource identifier.
    #[schemars(regex(pattern = URL_PATTERN))]
    pub public_url: String,
    /// The OctoMesh services this environment fronts.
    pub backends: Backends,
    pub auth: Auth,
    #[serde(default)]
    pub gateway: Gateway,
    /// One entry per worker family; a family that is not listed is not deployed.
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    #[schemars(length(min = 1, max = 16))]
    pub families: Vec<WorkerFamily>,
    #[serde(default)]
    pub topology: Topology,
    /// Where sessions' sign-ins are kept so that any gateway replica serves any session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_store: Option<TokenStore>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_transfer: Option<FileTransfer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<Telemetry>,
    #[serde(default)]
    pub image: Image,
}

/// The OctoMesh service URLs (`OctoServiceUrls`).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Backends {
    #[schemars(regex(pattern = URL_PATTERN))]
    pub identity: String,
    #[schemars(regex(pattern = URL_PATTERN))]
    pub asset_repository: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = URL_PATTERN))]
    pub communication: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = URL_PATTERN))]
    pub bot: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = URL_PATTERN))]
    pub reporting: Option<String>,
}

/// How callers authenticate.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Auth {
    /// The OpenID provider whose tokens the gateway accepts.
    #[schemars(regex(pattern = URL_PATTERN))]
    pub authority: String,
    /// The `aud` a token must carry (default: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub audience: Option<String>,
    #[serde(default)]
    pub mode: AuthMode,
    /// The OAuth client of the device flow (`authenticate`).
    #[serde(default = "default_client_id")]
    #[schemars(length(min = 1, max = 253))]
    pub client_id: String,
}

fn default_client_id() -> String {
    "octo-mcpServices-device".into()
}

/// `required`: every MCP request needs a token; `optional`: a token, when sent, is checked.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    #[default]
    Required,
    Optional,
}

/// The gateway pool.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Gateway {
    #[serde(default = "two")]
    #[schemars(range(min = 1, max = 100))]
    pub replicas: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    #[serde(default)]
    pub service_type: ServiceType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Ingress>,
}

impl Default for Gateway {
    fn default() -> Gateway {
        Gateway {
            replicas: 2,
            resources: None,
            service_type: ServiceType::default(),
            ingress: None,
        }
    }
}

fn two() -> i32 {
    2
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ServiceType {
    #[default]
    ClusterIP,
    NodePort,
    LoadBalancer,
}

/// An Ingress in front of the gateway.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ingress {
    /// A DNS name, e.g. `mcp.prod-1.example.com`.
    #[schemars(regex(
        pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
    ))]
    #[schemars(length(max = 253))]
    pub host: String,
    /// A `kubernetes.io/tls` Secret for the host (no TLS when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub tls_secret_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub class_name: Option<String>,
}

/// The tool families (each a worker pool).
#[derive(
    Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema,
)]
pub enum FamilyName {
    #[serde(rename = "ck")]
    Ck,
    #[serde(rename = "aggregation")]
    Aggregation,
    #[serde(rename = "platform-admin")]
    PlatformAdmin,
}

impl FamilyName {
    pub fn as_str(self) -> &'static str {
        match self {
            FamilyName::Ck => "ck",
            FamilyName::Aggregation => "aggregation",
            FamilyName::PlatformAdmin => "platform-admin",
        }
    }
}

/// One worker pool.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerFamily {
    pub name: FamilyName,
    /// Replicas when not autoscaled.
    #[serde(default = "two")]
    #[schemars(range(min = 0, max = 100))]
    pub replicas: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
}

/// A HorizontalPodAutoscaler on CPU.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "self.minReplicas <= self.maxReplicas",
    "message": "minReplicas must not exceed maxReplicas"
}]))]
pub struct Autoscaling {
    #[schemars(range(min = 1, max = 100))]
    pub min_replicas: i32,
    #[schemars(range(min = 1, max = 100))]
    pub max_replicas: i32,
    /// Average CPU utilisation to aim for, percent of the request.
    #[serde(default = "seventy")]
    #[schemars(range(min = 1, max = 100))]
    pub target_cpu_percent: i32,
}

fn seventy() -> i32 {
    70
}

/// `distributed`: a Deployment per family, reached over the cluster network; `sidecar`: the
/// workers as containers of the gateway pod, on localhost.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Topology {
    #[default]
    Distributed,
    Sidecar,
}

/// Redis for the sealed per-session sign-ins.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenStore {
    /// The Secret key holding the `redis://` URL.
    pub redis_url_secret: SecretKeyRef,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    #[schemars(length(min = 1, max = 253))]
    pub key: String,
}

/// Storage of file transfers (uploads and downloads through the gateway).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileTransfer {
    /// A PersistentVolumeClaim to use (default: an emptyDir per pod).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub claim_name: Option<String>,
    /// The emptyDir's size limit, e.g. `5Gi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+(Ki|Mi|Gi|Ti)?$"))]
    pub size_limit: Option<String>,
}

/// OpenTelemetry export.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Telemetry {
    /// The OTLP endpoint, e.g. `http://otel-collector.observability:4317`.
    #[schemars(regex(pattern = URL_PATTERN))]
    pub otlp_endpoint: String,
    #[serde(default)]
    pub protocol: OtlpProtocol,
    /// Fraction of traces kept, 0 to 1.
    #[serde(default = "one")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub sampling_ratio: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OtlpProtocol {
    #[default]
    Grpc,
    #[serde(rename = "http/protobuf")]
    HttpProtobuf,
}

/// The one image every role runs.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    #[schemars(length(min = 1, max = 512))]
    pub repository: String,
    #[schemars(length(min = 1, max = 128))]
    pub tag: String,
    #[serde(default)]
    pub pull_policy: PullPolicy,
}

impl Default for Image {
    fn default() -> Image {
        Image {
            repository: "ghcr.io/octomesh/octomesh-mcp".into(),
            tag: env!("CARGO_PKG_VERSION").into(),
            pull_policy: PullPolicy::default(),
        }
    }
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum PullPolicy {
    Always,
    #[default]
    IfNotPresent,
    Never,
}

/// What the operator observed.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct McpDeploymentStatus {
    /// `Ready`, `Progressing` and `Degraded`, with reasons.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The MCP endpoint clients use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Ready replicas per component (`gateway`, and each family).
    #[serde(default)]
    pub ready_replicas: BTreeMap<String, i32>,
}
