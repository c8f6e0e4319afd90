//! The embedded communication controller (OctoMesh's `octo-communication-controller-services`):
//! adapters, pipelines, data flows, triggers and pools at `{communication}/{tenantId}/v1/…`. So far
//! the routes every service has: `/healthz` and `system/v1/diagnostics/reconfigureLogLevel`,
//! behind the identity service's tokens. The controller's features come with issue 18.

use axum::Router;
use octomesh_platform_common::Guard;
use octomesh_platform_common::service::{self, ServiceKind};

/// The service this crate is.
pub const SERVICE: ServiceKind = ServiceKind::Communication;

/// The communication controller's routes, every one but `/healthz` checked by `guard`.
pub fn router(guard: Guard) -> Router {
    service::finish(SERVICE, service::common_routes(SERVICE, guard))
}
