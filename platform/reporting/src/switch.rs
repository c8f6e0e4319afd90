//! Reporting on or off per tenant: a set of tenant ids in `reporting/tenants.json`, replaced
//! atomically (written beside, synced, renamed) on every change.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path as RoutePath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use octomesh_platform_common::data_dir::ServiceDir;
use octomesh_platform_common::tenant::{invalid_tenant_id, is_valid_tenant_id};
use serde_json::json;

/// Which tenants have reporting on.
pub struct ReportingSwitch {
    path: PathBuf,
    enabled: Mutex<BTreeSet<String>>,
    _dir: ServiceDir,
}

impl ReportingSwitch {
    /// Opens (creating on first use) `data_dir/reporting`.
    pub fn open(data_dir: &Path) -> Result<ReportingSwitch, String> {
        let dir = ServiceDir::open(data_dir, crate::SERVICE.name(), "reporting")?;
        let path = dir.path.join("tenants.json");
        let enabled = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|error| format!("{} does not parse: {error}", path.display()))?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => BTreeSet::new(),
            Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
        };
        Ok(ReportingSwitch {
            path,
            enabled: Mutex::new(enabled),
            _dir: dir,
        })
    }

    /// Whether `tenant` has reporting on.
    pub fn is_enabled(&self, tenant: &str) -> bool {
        self.enabled
            .lock()
            .expect("never poisoned")
            .contains(tenant)
    }

    /// Turns reporting on or off for `tenant`; nothing changes when it cannot be saved.
    pub fn set(&self, tenant: &str, on: bool) -> Result<(), String> {
        let mut enabled = self.enabled.lock().expect("never poisoned");
        let mut next = enabled.clone();
        if on {
            next.insert(tenant.to_owned());
        } else {
            next.remove(tenant);
        }
        let temporary = self.path.with_extension("json.new");
        let body = serde_json::to_vec(&next).expect("a set of strings serialises");
        let write = || -> std::io::Result<()> {
            use std::io::Write as _;
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(&body)?;
            file.sync_all()?;
            std::fs::rename(&temporary, &self.path)
        };
        write().map_err(|error| format!("cannot write {}: {error}", self.path.display()))?;
        *enabled = next;
        Ok(())
    }
}

fn refused(status: StatusCode, message: String) -> Response {
    (status, Json(json!({"message": message}))).into_response()
}

async fn switch(reporting: &crate::Reporting, tenant: &str, on: bool) -> Response {
    if !is_valid_tenant_id(tenant) {
        return refused(StatusCode::BAD_REQUEST, invalid_tenant_id(tenant));
    }
    // The model first: reporting is on only once the tenant has it.
    if on
        && let Some(installer) = &reporting.installer
        && let Err(problem) = installer.install(tenant).await
    {
        tracing::warn!(tenant, %problem, "The reporting model cannot be installed.");
        return refused(
            StatusCode::BAD_GATEWAY,
            format!("reporting was not enabled: {problem}"),
        );
    }
    match reporting.switch.set(tenant, on) {
        Ok(()) => {
            tracing::info!(tenant, enabled = on, "Reporting switched.");
            StatusCode::OK.into_response()
        }
        Err(problem) => {
            tracing::error!(%problem, "The reporting switch cannot be saved.");
            refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the reporting service cannot save the switch; see its log".into(),
            )
        }
    }
}

pub(crate) async fn enable(
    State(state): State<Arc<crate::Reporting>>,
    RoutePath(tenant): RoutePath<String>,
) -> Response {
    switch(&state, &tenant, true).await
}

pub(crate) async fn disable(
    State(state): State<Arc<crate::Reporting>>,
    RoutePath(tenant): RoutePath<String>,
) -> Response {
    switch(&state, &tenant, false).await
}

pub(crate) async fn status(
    State(state): State<Arc<crate::Reporting>>,
    RoutePath(tenant): RoutePath<String>,
) -> Response {
    if !is_valid_tenant_id(&tenant) {
        return refused(StatusCode::BAD_REQUEST, invalid_tenant_id(&tenant));
    }
    Json(json!({"tenantId": tenant, "enabled": state.switch.is_enabled(&tenant)})).into_response()
}
