//! What the embedded OctoMesh services share, and nothing else: each service owns its data and
//! its routes; they meet only here (the conventions every service follows) and through each
//! other's public HTTP contracts.
//!
//! - [`data_dir`]: a service's place in the data directory, locked by one process at a time;
//! - [`tenant`]: tenant ids and the system tenant;
//! - [`auth`]: the identity service's access-token claims, their verification against its JWKS,
//!   and the middleware that checks tenant and scope on every route;
//! - [`service`]: the routes every service has (`/healthz`,
//!   `system/v1/diagnostics/reconfigureLogLevel`), its server span, its 404, and serving it.

pub mod auth;
pub mod data_dir;
pub mod fetch;
pub mod service;
pub mod service_token;
pub mod tenant;
mod trace;

pub use auth::{Access, AccessClaims, Guard, Need, TokenVerifier};
pub use service::{ServiceKind, serve};
