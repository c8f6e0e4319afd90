//! A tenant's identity data, for its backup: `GET system/v1/tenants/{tenantId}/identity` gives the
//! accounts that are members of the tenant (named in their tenant list; the `*` accounts, such as
//! `admin`, exist everywhere and are left out) with their roles, groups and password hashes;
//! `POST …/identity` with such a document makes them members of another (or the same) tenant: an
//! account that exists is granted the tenant and keeps its password and roles, one that does not is
//! created with the hash it had. Only the system tenant's tokens (the bot's) reach these routes.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use octomesh_platform_common::tenant::{invalid_tenant_id, is_valid_tenant_id};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Identity;

/// The document's format name.
pub const FORMAT: &str = "octomesh-tenant-identity";
/// Most accounts one document carries.
const MAX_ACCOUNTS: usize = 100_000;

/// The identity data of one tenant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantIdentity {
    pub format: String,
    pub format_version: u32,
    pub tenant_id: String,
    pub users: Vec<ExportedUser>,
}

/// One member account, with its password hash (a backup is as sensitive as the accounts).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedUser {
    pub username: String,
    pub display_name: String,
    #[serde(default)]
    pub email: Option<String>,
    pub roles: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    pub password_hash: String,
}

fn refused(status: StatusCode, message: String) -> Response {
    (status, Json(json!({"message": message}))).into_response()
}

pub(crate) async fn export(
    State(identity): State<Arc<Identity>>,
    Path(tenant): Path<String>,
) -> Response {
    if !is_valid_tenant_id(&tenant) {
        return refused(StatusCode::BAD_REQUEST, invalid_tenant_id(&tenant));
    }
    match identity.users().members_of(&tenant) {
        Ok(users) => Json(TenantIdentity {
            format: FORMAT.to_owned(),
            format_version: 1,
            tenant_id: tenant,
            users,
        })
        .into_response(),
        Err(error) => refused(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
    }
}

pub(crate) async fn import(
    State(identity): State<Arc<Identity>>,
    Path(tenant): Path<String>,
    Json(document): Json<TenantIdentity>,
) -> Response {
    if !is_valid_tenant_id(&tenant) {
        return refused(StatusCode::BAD_REQUEST, invalid_tenant_id(&tenant));
    }
    if document.format != FORMAT || document.format_version != 1 {
        return refused(
            StatusCode::BAD_REQUEST,
            format!(
                "not a tenant identity document of this platform (format `{}` version {}; expected `{FORMAT}` version 1)",
                document.format, document.format_version
            ),
        );
    }
    if document.users.len() > MAX_ACCOUNTS {
        return refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("a document carries at most {MAX_ACCOUNTS} accounts"),
        );
    }
    match identity.users().grant_members(&tenant, &document.users) {
        Ok((created, granted)) => {
            tracing::info!(tenant, created, granted, "Tenant identity data imported.");
            Json(json!({"tenantId": tenant, "created": created, "granted": granted}))
                .into_response()
        }
        Err(crate::error::IdentityError::Invalid(problems)) => {
            refused(StatusCode::BAD_REQUEST, problems.join("; "))
        }
        Err(error) => refused(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
    }
}
