//! `McpDeployment` (`mcp.octomesh.io/v1alpha1`, namespaced, short name `mcpd`): one environment of
//! the server — its public URL, the OctoMesh services it fronts, auth, the gateway, one pool per
//! worker family, the topology, the token store, file transfer, telemetry and the image.
//!
//! The OpenAPI schema the API server enforces is generated from these types: URLs must be http(s),
//! families are a closed set, replica counts are bounded and autoscaling needs min ≤ max (a CEL
//! rule), file transfer takes one store (S3, a claim, or an emptyDir only where one pod shares it;
//! CEL rules), so a bad manifest is refused by `kubectl apply` itself.

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
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "!has(self.fileTransfer) || has(self.fileTransfer.s3) || has(self.fileTransfer.claimName) || (self.topology == 'sidecar' && self.gateway.replicas == 1)",
    "message": "fileTransfer without s3 or claimName is an emptyDir of each gateway pod, which the gateway replicas and the platform-admin workers cannot share: use it only with topology sidecar and gateway.replicas 1, else give s3 or a ReadWriteMany claimName"
}]))]
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
    /// The file-transfer channel's store and key (none: no file-transfer channel).
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

/// Where file transfers (uploads and downloads through the gateway's `/file-transfer/…`) are
/// kept, and how they are sealed. The gateway replicas and the `platform-admin` workers (which take
/// uploads and publish downloads) must reach the same store, so it is one of:
/// - `s3`: a bucket of an S3-compatible store (no volume; works in every topology);
/// - `claimName`: a PersistentVolumeClaim mounted by every gateway pod and every `platform-admin`
///   worker pod — it must be ReadWriteMany unless they all run on one node;
/// - neither: an emptyDir of the gateway pod (`sizeLimit`), which its `platform-admin` sidecar
///   shares — only where one pod holds both: `topology: sidecar` with `gateway.replicas: 1`.
///
/// Without `fileTransfer` the environment serves no file-transfer channel.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend(
    "x-kubernetes-validations" = [{
        "rule": "!has(self.s3) || !(has(self.claimName) || has(self.sizeLimit))",
        "message": "fileTransfer takes one store: s3, or a directory (claimName, or an emptyDir with sizeLimit), not both"
    }],
    // The same rule as a schema (check-jsonschema, kubectl's client-side validation).
    "not" = {"anyOf": [
        {"required": ["s3", "claimName"]},
        {"required": ["s3", "sizeLimit"]}
    ]}
))]
pub struct FileTransfer {
    /// A PersistentVolumeClaim holding the transfers, mounted by the gateway and the
    /// `platform-admin` workers (ReadWriteMany when they may run on different nodes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub claim_name: Option<String>,
    /// The emptyDir's size limit, e.g. `5Gi` (without `claimName` or `s3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+(Ki|Mi|Gi|Ti)?$"))]
    pub size_limit: Option<String>,
    /// An S3-compatible bucket instead of a volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Store>,
    /// The Secret key holding the transfer key (base64 of 32 bytes) that seals transfer URLs,
    /// given to the gateway and the `platform-admin` workers (default: the Secret
    /// `{name}-file-transfer-key`, key `key`, which the operator creates once, random).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_secret_ref: Option<SecretKeyRef>,
    /// The largest upload or download, in bytes (default 5 GiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_099_511_627_776_i64))]
    pub max_bytes: Option<i64>,
    /// How long a transfer URL works, in minutes (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10080))]
    pub ttl_minutes: Option<i32>,
}

/// A bucket of an S3-compatible store (`s3://bucket/prefix`), reached with the standard `AWS_*`
/// variables.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "!has(self.endpoint) || !self.endpoint.startsWith('http://') || (has(self.allowHttp) && self.allowHttp)",
    "message": "an http:// endpoint needs allowHttp: true"
}]))]
pub struct S3Store {
    /// The bucket: 3–63 of a-z, 0-9, `.` and `-`, starting and ending with a letter or digit.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$"))]
    pub bucket: String,
    /// A key prefix, e.g. `mcp/prod-1` (no leading or trailing `/`, no empty, `.` or `..` part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = S3_PREFIX_PATTERN))]
    #[schemars(length(min = 1, max = 512))]
    pub prefix: Option<String>,
    /// `AWS_REGION`, e.g. `eu-central-1` (what the store expects; `us-east-1` for most others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9._\-]{1,64}$"))]
    pub region: Option<String>,
    /// `AWS_ENDPOINT_URL`: the store's URL when it is not AWS, e.g. `http://minio.storage:9000`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = URL_PATTERN))]
    #[schemars(length(max = 2048))]
    pub endpoint: Option<String>,
    /// `AWS_ALLOW_HTTP=true`: the endpoint is plain HTTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_http: Option<bool>,
    /// The Secret holding the access key pair.
    pub credentials_secret_ref: S3Credentials,
}

/// Each path part: allowed characters, never `.` or `..` (every dot is followed by a non-dot
/// or ends the part, and a part holds at least one non-dot).
const S3_PREFIX_PATTERN: &str =
    r"^(\.?[A-Za-z0-9!_*'()=+,;:@&$\-])+\.?(/(\.?[A-Za-z0-9!_*'()=+,;:@&$\-])+\.?)*$";

/// A Secret with an S3 access key pair (read by the pods as `secretKeyRef`s, never copied).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct S3Credentials {
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// The key holding the access key id.
    #[serde(default = "access_key_id_key")]
    #[schemars(regex(pattern = SECRET_KEY_PATTERN))]
    #[schemars(length(min = 1, max = 253))]
    pub access_key_id_key: String,
    /// The key holding the secret access key.
    #[serde(default = "secret_access_key_key")]
    #[schemars(regex(pattern = SECRET_KEY_PATTERN))]
    #[schemars(length(min = 1, max = 253))]
    pub secret_access_key_key: String,
}

/// A key of a Secret's data.
const SECRET_KEY_PATTERN: &str = r"^[-._a-zA-Z0-9]+$";

fn access_key_id_key() -> String {
    "AWS_ACCESS_KEY_ID".into()
}

fn secret_access_key_key() -> String {
    "AWS_SECRET_ACCESS_KEY".into()
}

impl FileTransfer {
    /// The emptyDir form (neither a claim nor a bucket).
    pub fn is_empty_dir(&self) -> bool {
        self.s3.is_none() && self.claim_name.is_none()
    }
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
