//! `POST system/v1/tenants/{tenantId}/models/service-managed/{name}`: installs a service-managed
//! CK library the platform ships (`System.Reporting`) in a tenant, for the service that owns it
//! (the reporting service, when reporting is enabled there). Installing one that is there
//! already changes nothing.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AssetApi;
use super::error::ApiError;
use crate::builtin::{SERVICE_MANAGED, service_managed_library};

pub(crate) async fn install(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let Some(library) = service_managed_library(&name) else {
        return Ok((
            StatusCode::NOT_FOUND,
            Json(json!({"message": format!(
                "`{name}` is not a service-managed model; the platform ships {}",
                SERVICE_MANAGED.join(", ")
            )})),
        )
            .into_response());
    };
    let tenant = api.platform.tenant(&tenant_id)?;
    let answer = tokio::task::spawn_blocking(move || {
        if let Some(model_id) = tenant.installed_model(&name)? {
            return Ok::<_, crate::store::StoreError>(
                json!({"modelId": model_id, "installed": false}),
            );
        }
        let model_id = tenant.import_ck(&library)?;
        tracing::info!(tenant = %tenant.id, model = %model_id, "Service-managed model installed.");
        Ok(json!({"modelId": model_id.to_string(), "installed": true}))
    })
    .await
    .map_err(|_| crate::store::StoreError::Io("the install task stopped".into()))??;
    let mut answer = answer;
    answer["tenantId"] = json!(tenant_id);
    Ok(Json(answer).into_response())
}
