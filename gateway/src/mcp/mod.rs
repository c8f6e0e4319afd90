//! Everything MCP: the JSON-RPC envelope, the method handler, and the transports that adapt HTTP
//! to it. Each transport (`streamable_http`, `legacy_sse`) only frames; `handler` answers.

pub(crate) mod builtin;
pub(crate) mod call;
pub(crate) mod error;
pub(crate) mod handler;
pub(crate) mod jsonrpc;
pub(crate) mod legacy_sse;
pub(crate) mod log_level;
pub(crate) mod sse;
pub(crate) mod stateless;
pub(crate) mod streamable_http;
pub(crate) mod tool_json;
pub(crate) mod trace;
pub(crate) mod version;
