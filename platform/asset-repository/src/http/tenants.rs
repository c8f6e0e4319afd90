//! `{tenantId}/v1/tenants`: list, create and delete tenants.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AssetApi;
use super::error::{ApiError, bad_request};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChildTenant {
    child_tenant_id: Option<String>,
    /// Accepted for the SDK's sake; the embedded platform names each database after its tenant.
    #[allow(dead_code)]
    database_name: Option<String>,
}

pub(crate) async fn list(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
) -> Result<Response, ApiError> {
    api.platform.tenant(&tenant)?;
    let tenants: Vec<_> = api
        .platform
        .tenant_ids()?
        .into_iter()
        .map(|tenant_id| json!({"tenantId": tenant_id, "database": tenant_id}))
        .collect();
    Ok(Json(tenants).into_response())
}

pub(crate) async fn create(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
    Query(child): Query<ChildTenant>,
) -> Result<Response, ApiError> {
    api.platform.tenant(&tenant)?;
    let Some(child_id) = child.child_tenant_id else {
        return Ok(bad_request("`childTenantId` is required"));
    };
    let platform = Arc::clone(&api.platform);
    let created = tokio::task::spawn_blocking(move || {
        platform
            .create_tenant(&child_id)
            .map(|tenant| tenant.id.clone())
    })
    .await
    .map_err(|_| {
        ApiError(crate::store::StoreError::Io(
            "tenant creation was interrupted".into(),
        ))
    })??;
    Ok((StatusCode::CREATED, Json(json!({"tenantId": created}))).into_response())
}

pub(crate) async fn delete(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
    Query(child): Query<ChildTenant>,
) -> Result<Response, ApiError> {
    api.platform.tenant(&tenant)?;
    let Some(child_id) = child.child_tenant_id else {
        return Ok(bad_request("`childTenantId` is required"));
    };
    api.platform.delete_tenant(&child_id)?;
    Ok(StatusCode::OK.into_response())
}
