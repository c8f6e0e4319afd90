//! [`ToolHost`]: the worker contract as a Rust trait.
//!
//! The gateway talks to every worker through this trait. Its gRPC client implements it for remote
//! workers; the worker runtime implements it for a `Registry`, which is what lets a registry be
//! served in-process with no socket and no protobuf encoding.

use std::fmt;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;

use crate::v1;

/// The events of one call, ending with exactly one `result` or `error` event.
pub type BoxCallStream = BoxStream<'static, Result<v1::CallToolDown, HostError>>;

/// Per-call context. Travels as gRPC metadata over the wire.
#[derive(Clone, Default)]
pub struct CallContext {
    pub tenant: Option<String>,
    pub principal: Option<String>,
    /// The backend access token. `Debug` never prints it.
    pub access_token: Option<String>,
    /// Time left for the call; the worker enforces it.
    pub timeout: Option<Duration>,
    /// The gateway's request id, for log correlation.
    pub request_id: Option<String>,
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
    /// The base of the gateway's client-facing URLs (for file-transfer URLs a tool returns).
    pub public_base: Option<String>,
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallContext")
            .field("tenant", &self.tenant)
            .field("principal", &self.principal)
            .field("access_token", &self.access_token.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

/// A failure to reach a worker or to keep talking to it (not a tool failure: those are events).
#[derive(Debug, Clone, thiserror::Error)]
pub enum HostError {
    /// The worker could not be reached; nothing ran, so any call may be retried elsewhere.
    #[error("worker unavailable: {0}")]
    Unavailable(String),
    /// The worker went away while the call was running; it may or may not have taken effect.
    #[error("worker stopped during the call: {0}")]
    Broken(String),
    /// The worker answered with a gRPC status.
    #[error("worker returned {code:?}: {message}")]
    Status {
        code: v1::ErrorCode,
        message: String,
    },
}

/// A source of tools, resources and prompts: a worker, local or remote.
pub trait ToolHost: Send + Sync + 'static {
    /// What this host serves.
    fn list(&self) -> BoxFuture<'_, Result<v1::ListToolsResponse, HostError>>;

    /// Runs one call.
    fn call(
        &self,
        context: CallContext,
        request: v1::CallToolRequest,
    ) -> BoxFuture<'_, Result<BoxCallStream, HostError>>;

    /// Delivers the MCP client's answer to a running call's client request.
    fn answer(&self, answer: v1::ClientAnswer) -> BoxFuture<'_, Result<bool, HostError>>;

    /// Reads one resource.
    fn read_resource(
        &self,
        context: CallContext,
        request: v1::ReadResourceRequest,
    ) -> BoxFuture<'_, Result<v1::ReadResourceResponse, HostError>>;

    /// Renders one prompt.
    fn get_prompt(
        &self,
        context: CallContext,
        request: v1::GetPromptRequest,
    ) -> BoxFuture<'_, Result<v1::GetPromptResponse, HostError>>;

    /// The host's own metrics in the Prometheus text format, when it keeps any (a worker serves
    /// them at `/metrics`).
    fn metrics_text(&self) -> Option<String> {
        None
    }
}
