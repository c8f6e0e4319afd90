//! The platform services' discovery endpoint, `GET /{tenantId}/_configuration`: where every
//! service of the platform is (OctoMesh's `TenantConfigurationDto`). Anonymous, as upstream: a
//! client reads it before it has signed in. URLs end with `/`, as upstream's do.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use octomesh_platform_common::Guard;
use octomesh_platform_common::service::{self, ServiceKind};
use octomesh_platform_common::tenant::{SYSTEM_TENANT, invalid_tenant_id, is_valid_tenant_id};
use serde::Serialize;

use crate::urls::ServiceUrls;

/// `GET /{tenantId}/_configuration` (upstream's field names).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantConfiguration {
    pub asset_services: String,
    pub bot_services: String,
    pub communication_services: String,
    pub reporting_services: String,
    /// The identity service (the OpenID issuer).
    pub issuer: String,
    pub system_tenant_id: &'static str,
    pub mcp_services: Option<String>,
    pub ai_services: Option<String>,
    pub crate_db_admin_url: Option<String>,
    pub grafana_url: Option<String>,
    pub mesh_adapter_url: Option<String>,
}

impl TenantConfiguration {
    pub fn new(urls: &ServiceUrls, mcp: Option<&str>) -> TenantConfiguration {
        let slash = |url: &str| format!("{}/", url.trim_end_matches('/'));
        TenantConfiguration {
            asset_services: slash(&urls.asset_repository),
            bot_services: slash(&urls.bot),
            communication_services: slash(&urls.communication),
            reporting_services: slash(&urls.reporting),
            issuer: slash(&urls.identity),
            system_tenant_id: SYSTEM_TENANT,
            mcp_services: mcp.map(slash),
            ai_services: None,
            crate_db_admin_url: None,
            grafana_url: None,
            mesh_adapter_url: None,
        }
    }
}

/// The discovery service's routes.
pub fn router(configuration: TenantConfiguration, guard: Guard) -> Router {
    let kind = ServiceKind::Discovery;
    let routes = Router::new()
        .route("/{tenant}/_configuration", get(configuration_of))
        .with_state(std::sync::Arc::new(configuration));
    service::finish(kind, service::common_routes(kind, guard).merge(routes))
}

async fn configuration_of(
    State(configuration): State<std::sync::Arc<TenantConfiguration>>,
    Path(tenant): Path<String>,
) -> Response {
    if !is_valid_tenant_id(&tenant) {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"message": invalid_tenant_id(&tenant)})),
        )
            .into_response();
    }
    Json(configuration.as_ref().clone()).into_response()
}
