//! The embedded reporting service (OctoMesh's `octo-report-services`): reporting enabled or
//! disabled per tenant at `{reporting}/{tenantId}/v1/reporting/enable|disable` (and, ours,
//! `…/reporting/status`); enabling installs the service-managed `System.Reporting` CK model in the
//! tenant through the asset repository (`models.rs`), beside the routes every service has (`/healthz`,
//! `system/v1/diagnostics/reconfigureLogLevel`), behind the identity service's tokens. It keeps
//! which tenants have reporting on in `reporting/` of the data directory.

mod models;
mod switch;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use octomesh_platform_common::Guard;
use octomesh_platform_common::service::{self, ServiceKind};

pub use models::{CLIENT_SECRET_ENV, ModelInstaller, REPORTING_CLIENT_ID, REPORTING_MODEL};
pub use switch::ReportingSwitch;

/// What the routes share: the switch, and (unless no asset repository is known) the installer of
/// the reporting model.
pub struct Reporting {
    pub switch: Arc<ReportingSwitch>,
    pub installer: Option<ModelInstaller>,
}

/// The service this crate is.
pub const SERVICE: ServiceKind = ServiceKind::Reporting;

/// Opens the service's part of `data_dir`.
pub fn open(data_dir: &Path) -> Result<Arc<ReportingSwitch>, String> {
    ReportingSwitch::open(data_dir).map(Arc::new)
}

/// The reporting service's routes, every one but `/healthz` checked by `guard`; enabling installs
/// the reporting model in the tenant through `installer`.
pub fn router(
    guard: Guard,
    switch: Arc<ReportingSwitch>,
    installer: Option<ModelInstaller>,
) -> Router {
    let routes = Router::new()
        .route("/{tenant}/v1/reporting/enable", post(switch::enable))
        .route("/{tenant}/v1/reporting/disable", post(switch::disable))
        .route("/{tenant}/v1/reporting/status", get(switch::status))
        .layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            octomesh_platform_common::auth::check,
        ))
        .with_state(Arc::new(Reporting { switch, installer }));
    service::finish(
        SERVICE,
        service::common_routes(SERVICE, guard).merge(routes),
    )
}
