//! The embedded reporting service (OctoMesh's `octo-report-services`): reporting enabled or
//! disabled per tenant at `{reporting}/{tenantId}/v1/reporting/…`. So far the routes every
//! service has: `/healthz` and `system/v1/diagnostics/reconfigureLogLevel`, behind the identity
//! service's tokens. Enabling reporting comes with the tenant-administration work.

use axum::Router;
use octomesh_platform_common::Guard;
use octomesh_platform_common::service::{self, ServiceKind};

/// The service this crate is.
pub const SERVICE: ServiceKind = ServiceKind::Reporting;

/// The reporting service's routes, every one but `/healthz` checked by `guard`.
pub fn router(guard: Guard) -> Router {
    service::finish(SERVICE, service::common_routes(SERVICE, guard))
}
