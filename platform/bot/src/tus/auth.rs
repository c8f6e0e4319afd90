//! Who may use the system path `system/v1/tus-upload`: as upstream, any valid token with scope
//! `octo_api` — not only the system tenant's; the handlers then require that the token allows the
//! upload's tenant. The tenant path `{tenant}/v1/tus-upload` has the ordinary guard.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use octomesh_platform_common::tenant::SYSTEM_TENANT;
use octomesh_platform_common::{Access, Guard};
use serde_json::json;

/// Whether `access` may work on `tenant`'s uploads: a token for that tenant, a token for the
/// system tenant (which restores any tenant, also one that does not exist yet), or a service
/// token without `sub`.
pub(crate) fn may_use(access: &Access, tenant: &str) -> bool {
    match access {
        Access::Open => true,
        Access::Token(claims) => {
            claims.sub.is_none()
                || claims.may_use_tenant(tenant)
                || claims.may_use_tenant(SYSTEM_TENANT)
        }
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let mut response = (status, Json(json!({"message": message}))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"octomesh\""),
        );
    }
    response
}

/// The middleware of the system path.
pub(crate) async fn check_system(
    State(guard): State<Guard>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(verifier) = &guard.verifier else {
        request.extensions_mut().insert(Access::Open);
        return next.run(request).await;
    };
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let claims = match token {
        Some(token) => verifier.verify(token).await,
        None => None,
    };
    let Some(claims) = claims else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Not authenticated: send a bearer token of the platform's identity service.",
        );
    };
    let access = Access::Token(Box::new(claims));
    if !access.can_write() {
        return refuse(
            StatusCode::FORBIDDEN,
            "The token's scope does not allow this: uploading needs octo_api.",
        );
    }
    request.extensions_mut().insert(access);
    next.run(request).await
}
