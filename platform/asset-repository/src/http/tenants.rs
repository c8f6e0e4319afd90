//! `{tenantId}/v1/tenants`: the child tenants of the route's tenant — list, get, create, delete,
//! attach, detach, clean (`clear`), clear the cache, and bring the System models up to date
//! (`update`), with OctoMesh's query parameters (`childTenantId`, `databaseName`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AssetApi;
use super::error::ApiError;
use crate::store::{Platform, StoreError, TenantEntry};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChildTenant {
    child_tenant_id: Option<String>,
    database_name: Option<String>,
}

impl ChildTenant {
    fn child(&self) -> Result<String, ApiError> {
        match self.child_tenant_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => Ok(id.to_lowercase()),
            _ => Err(ApiError(StoreError::Invalid(vec![
                "`childTenantId` is required: the id of the child tenant".into(),
            ]))),
        }
    }
}

fn dto(entry: &TenantEntry) -> serde_json::Value {
    json!({"tenantId": entry.tenant_id, "database": entry.database})
}

/// Runs a store operation off the async workers (they touch files and databases).
async fn blocking<T: Send + 'static>(
    api: &Arc<AssetApi>,
    work: impl FnOnce(&Platform) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let platform = Arc::clone(&api.platform);
    tokio::task::spawn_blocking(move || work(&platform))
        .await
        .map_err(|_| {
            ApiError(StoreError::Io(
                "the tenant operation was interrupted".into(),
            ))
        })?
        .map_err(ApiError)
}

pub(crate) async fn list(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
) -> Result<Response, ApiError> {
    let children = api.platform.children(&tenant)?;
    Ok(Json(children.iter().map(dto).collect::<Vec<_>>()).into_response())
}

pub(crate) async fn get_one(
    State(api): State<Arc<AssetApi>>,
    Path((tenant, child)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let found = api
        .platform
        .children(&tenant)?
        .into_iter()
        .find(|entry| entry.tenant_id == child)
        .ok_or(StoreError::TenantNotFound(child))?;
    Ok(Json(dto(&found)).into_response())
}

pub(crate) async fn create(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
    Query(query): Query<ChildTenant>,
) -> Result<Response, ApiError> {
    let child = query.child()?;
    let database = query.database_name.clone();
    let created = blocking(&api, move |platform| {
        platform
            .create_child(Some(&tenant), &child, database.as_deref())
            .map(|_| platform.entry(&child).expect("just created"))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(dto(&created))).into_response())
}

pub(crate) async fn delete(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
    Query(query): Query<ChildTenant>,
) -> Result<Response, ApiError> {
    child_operation(&api, tenant, &query, |platform, child| {
        platform.delete_tenant(child).map(|_| ())
    })
    .await?;
    Ok(StatusCode::OK.into_response())
}

pub(crate) async fn attach(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
    Query(query): Query<ChildTenant>,
) -> Result<Response, ApiError> {
    let child = query.child()?;
    let Some(database) = query.database_name.clone() else {
        return Err(ApiError(StoreError::Invalid(vec![
            "`databaseName` is required: the detached database to attach".into(),
        ])));
    };
    blocking(&api, move |platform| {
        platform.attach(&tenant, &child, &database)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn detach(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
    Query(query): Query<ChildTenant>,
) -> Result<Response, ApiError> {
    child_operation(&api, tenant, &query, |platform, child| {
        platform.detach(child).map(|_| ())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) async fn clean(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
    Query(query): Query<ChildTenant>,
) -> Result<Response, ApiError> {
    child_operation(&api, tenant, &query, |platform, child| {
        platform.clean(child).map(|_| ())
    })
    .await?;
    Ok(StatusCode::OK.into_response())
}

pub(crate) async fn clear_cache(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
    Query(query): Query<ChildTenant>,
) -> Result<Response, ApiError> {
    let child = query.child()?;
    api.platform.tenant(&tenant)?;
    api.platform.clear_cache(&child)?;
    Ok("Cache cleared".into_response())
}

pub(crate) async fn update(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
    Query(query): Query<ChildTenant>,
) -> Result<Response, ApiError> {
    let updates = child_operation(&api, tenant, &query, |platform, child| {
        platform.update_system_model(child)
    })
    .await?;
    Ok(Json(json!({"updated": updates})).into_response())
}

/// Runs `operation` on the query's child tenant once it is known to be a child of `parent`, off
/// the async workers.
async fn child_operation<T: Send + 'static>(
    api: &Arc<AssetApi>,
    parent: String,
    query: &ChildTenant,
    operation: impl FnOnce(&Platform, &str) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let child = query.child()?;
    blocking(api, move |platform| {
        child_of(platform, &parent, &child)?;
        operation(platform, &child)
    })
    .await
}

/// `child` when it is a child of `parent` (every tenant is one of the system tenant's).
fn child_of(platform: &Platform, parent: &str, child: &str) -> Result<TenantEntry, StoreError> {
    platform
        .children(parent)?
        .into_iter()
        .find(|entry| entry.tenant_id == child)
        .ok_or_else(|| StoreError::TenantNotFound(child.to_owned()))
}
