//! The worker runtime: everything a tool family needs to be served, written once.
//!
//! A tool is one typed argument struct plus one [`Tool`] impl. The [`Registry`] erases tools behind
//! one generic adapter that, for every call, does: decode the JSON arguments (naming the offending
//! field on failure) → the `confirm: true` gate for High-risk tools → timeout → `call` → encode →
//! metrics. Registries are served over gRPC by [`grpc::serve`], or in-process through
//! [`octomesh_proto::ToolHost`].
//!
//! Deliberately absent: anything about MCP framing, JSON-RPC, HTTP or OAuth (the gateway's job).

mod adapter;
pub mod content;
mod envelope;
mod error;
pub mod grpc;
mod host;
pub mod metrics;
pub mod registry;
mod scope;
mod tool;
mod trace;

pub use content::Content;
pub use envelope::Envelope;
pub use error::ToolError;
pub use registry::Registry;
pub use scope::{CallScope, LogLevel};
pub use tool::{Contents, Risk, Structured, Tool, ToolOutput, ToolResultParts};
