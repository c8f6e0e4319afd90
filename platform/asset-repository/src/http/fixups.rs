//! `POST system/v1/tenants/{tenantId}/fixups/run`: runs the tenant's due fixup scripts now
//! (`crate::fixup`) and answers `{"ran": [{rtId, name, order, isSuccess, output, error}],
//! "skipped": n}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AssetApi;
use super::download::refused;
use super::error::ApiError;
use crate::fixup::{Bounds, FixupError, run_fixups};
use crate::store::StoreError;

pub(crate) async fn run(
    State(api): State<Arc<AssetApi>>,
    Path(tenant_id): Path<String>,
) -> Result<Response, ApiError> {
    let platform = Arc::clone(&api.platform);
    let outcome = tokio::task::spawn_blocking(move || {
        let tenant = platform.tenant(&tenant_id)?;
        Ok::<_, StoreError>(run_fixups(&tenant, &Bounds::default()))
    })
    .await
    .map_err(|_| StoreError::Io("the fixup run failed".into()))??;
    match outcome {
        Ok(report) => Ok(Json(json!({
            "ran": report.ran.iter().map(|run| json!({
                "rtId": run.rt_id,
                "name": run.name,
                "order": run.order,
                "isSuccess": run.is_success,
                "output": run.output,
                "error": run.error,
            })).collect::<Vec<_>>(),
            "skipped": report.skipped,
        }))
        .into_response()),
        Err(error @ FixupError::NoFixupType(_)) => {
            Ok(refused(StatusCode::BAD_REQUEST, error.to_string()))
        }
        Err(error @ FixupError::AlreadyRunning(_)) => {
            Ok(refused(StatusCode::CONFLICT, error.to_string()))
        }
        Err(FixupError::Store(error)) => Err(ApiError(error)),
    }
}
