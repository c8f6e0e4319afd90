//! Per-call context carried as gRPC metadata, and its typed form.

/// The tenant the call acts on (validated by the gateway).
pub const TENANT: &str = "x-octomesh-tenant";
/// The principal (subject) on whose behalf the call runs.
pub const PRINCIPAL: &str = "x-octomesh-principal";
/// The base of the URLs the gateway gives clients (`https://mcp.example.com`), for tools that
/// return file-transfer URLs.
pub const PUBLIC_BASE: &str = "x-octomesh-public-base";
/// The backend access token. Never logged, never put on a span.
pub const ACCESS_TOKEN: &str = "x-octomesh-access-token";
/// The gateway's JSON-RPC request id, for log correlation only.
pub const REQUEST_ID: &str = "x-octomesh-request-id";
/// W3C trace context.
pub const TRACEPARENT: &str = "traceparent";
/// W3C trace state.
pub const TRACESTATE: &str = "tracestate";
