//! The embedded bot service (OctoMesh's `octo-bot-services`): tenant jobs — dump, restore,
//! export, fixup — at `{bot}/system/v1/…` with the tenant as `?tenantId=`. So far the routes every
//! service has: `/healthz` and `system/v1/diagnostics/reconfigureLogLevel`, behind the identity
//! service's tokens. The jobs come with the files-and-jobs work (issue 14).

use axum::Router;
use octomesh_platform_common::Guard;
use octomesh_platform_common::service::{self, ServiceKind};

/// The service this crate is.
pub const SERVICE: ServiceKind = ServiceKind::Bot;

/// The bot service's routes, every one but `/healthz` checked by `guard`.
pub fn router(guard: Guard) -> Router {
    service::finish(SERVICE, service::common_routes(SERVICE, guard))
}
