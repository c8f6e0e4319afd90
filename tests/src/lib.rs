//! The end-to-end test harness: start the real stack on loopback, talk MCP over real HTTP, run the
//! official third-party clients against it.
//!
//! Scenarios live in `it/*.rs` (one test binary). Third-party clients come from
//! `.ci/install-peers.sh`; a test that needs one fails with that instruction when it is missing.

pub mod archives;
mod call_watch;
pub mod client;
pub mod oauth;
pub mod otlp;
pub mod peers;
pub mod process;
pub mod procfs;
pub mod samples;
pub mod schema_check;
pub mod stack;
pub mod tools;
pub mod transfers;

pub use client::{McpClient, Reply, Streaming};
pub use stack::TestStack;

/// The repository root (the tests crate lives one level below it).
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}
