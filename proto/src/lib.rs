//! The worker protocol and the small vocabulary that the gateway and the workers share.
//!
//! This crate owns:
//! - the generated gRPC types and stubs of `octomesh.mcp.worker.v1` (module [`v1`]);
//! - [`ToolHost`], the same contract as a Rust trait, so that a registry can be served in-process
//!   without a socket (used by `up --in-process` and by the hop-cost benchmark);
//! - the metadata keys that carry per-call context ([`meta`]);
//! - the one mapping between [`v1::ErrorCode`] and `tonic::Code` ([`conv`]).
//!
//! It knows nothing of MCP framing, JSON-RPC or HTTP.

pub mod address;
pub mod conv;
pub mod host;
pub mod meta;

/// Generated types of `octomesh.mcp.worker.v1`.
#[allow(unreachable_pub, clippy::all, missing_docs)]
pub mod v1 {
    tonic::include_proto!("octomesh.mcp.worker.v1");
}

pub use host::{BoxCallStream, CallContext, HostError, ToolHost};
