//! Typed clients of the OctoMesh backend contracts, shared by every tool family: the asset
//! repository's GraphQL surface (`{asset}/tenants/{tenantId}/GraphQL`) and its REST paths.
//! The same client drives the embedded platform and a real OctoMesh installation.
//!
//! Errors become [`ClientError`]s whose messages are safe to show: backend bodies are summarised,
//! never echoed whole, and the bearer token never appears.

mod asset;
mod backends;
mod bot;
mod context;
pub mod discovery;
pub mod dto;
mod error;
mod graphql;
pub mod identity;
mod rest;
mod service;
pub mod stream_data;
mod traced;
pub mod types;

pub use asset::{AssetClient, TenantSession};
pub use backends::Backends;
pub use bot::{BotClient, BotJob, JobDownload, JobProgress, JobResult};
pub use context::AssetContext;
pub use error::ClientError;
pub use identity::IdentityClient;
pub use rest::{ArchiveInfo, ArchiveStep, ImportStrategy, JobStatus, TenantInfo};
pub use service::ServiceClient;
