//! The embedded reporting service (OctoMesh's `octo-report-services`): reporting enabled or
//! disabled per tenant at `{reporting}/{tenantId}/v1/reporting/enable|disable` (and, ours,
//! `…/reporting/status`), beside the routes every service has (`/healthz`,
//! `system/v1/diagnostics/reconfigureLogLevel`), behind the identity service's tokens. It keeps
//! which tenants have reporting on in `reporting/` of the data directory.

mod switch;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use octomesh_platform_common::Guard;
use octomesh_platform_common::service::{self, ServiceKind};

pub use switch::ReportingSwitch;

/// The service this crate is.
pub const SERVICE: ServiceKind = ServiceKind::Reporting;

/// Opens the service's part of `data_dir`.
pub fn open(data_dir: &Path) -> Result<Arc<ReportingSwitch>, String> {
    ReportingSwitch::open(data_dir).map(Arc::new)
}

/// The reporting service's routes, every one but `/healthz` checked by `guard`.
pub fn router(guard: Guard, switch: Arc<ReportingSwitch>) -> Router {
    let routes = Router::new()
        .route("/{tenant}/v1/reporting/enable", post(switch::enable))
        .route("/{tenant}/v1/reporting/disable", post(switch::disable))
        .route("/{tenant}/v1/reporting/status", get(switch::status))
        .layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            octomesh_platform_common::auth::check,
        ))
        .with_state(switch);
    service::finish(
        SERVICE,
        service::common_routes(SERVICE, guard).merge(routes),
    )
}
