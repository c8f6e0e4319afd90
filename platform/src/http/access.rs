//! Who may do what on the asset repository: every route needs a bearer token from the platform's
//! identity service, for the route's tenant (`tenant_id` or `allowed_tenants`; service tokens
//! without `sub` may use any tenant), with the scope the operation needs — `octo_api` to write,
//! `octo_api` or `octo_api.read_only` to read, `octo_api` or `octo_api.data_model_management` to
//! import a construction kit. Without an identity service (`up --no-auth`) everything is open.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::identity::{AccessClaims, Identity};

/// What the caller may do, as the handlers see it.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    /// No identity service: everything is allowed.
    Open,
    Token(Box<AccessClaims>),
}

impl Access {
    fn has(&self, scope: &str) -> bool {
        match self {
            Access::Open => true,
            Access::Token(claims) => claims.scopes().any(|granted| granted == scope),
        }
    }

    pub(crate) fn can_read(&self) -> bool {
        self.has("octo_api") || self.has("octo_api.read_only")
    }

    pub(crate) fn can_write(&self) -> bool {
        self.has("octo_api")
    }

    pub(crate) fn can_manage_models(&self) -> bool {
        self.has("octo_api") || self.has("octo_api.data_model_management")
    }
}

/// The tenant a route acts on: `/{tenant}/v1/…` or `/tenants/{tenant}/GraphQL`.
fn route_tenant(path: &str) -> Option<&str> {
    let mut segments = path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next()) {
        (Some("tenants"), Some(tenant)) => Some(tenant),
        (Some(tenant), Some("v1")) => Some(tenant),
        _ => None,
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

/// The middleware.
pub(crate) async fn check(
    State(identity): State<Option<Arc<Identity>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(identity) = identity else {
        request.extensions_mut().insert(Access::Open);
        return next.run(request).await;
    };
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(claims) = token.and_then(|token| identity.verify(token)) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Not authenticated: send a bearer token of the platform's identity service.",
        );
    };
    let path = request.uri().path().to_owned();
    if let Some(tenant) = route_tenant(&path)
        && claims.sub.is_some()
        && !claims.may_use_tenant(tenant)
    {
        return refuse(
            StatusCode::FORBIDDEN,
            &format!("The token is not for tenant `{tenant}`."),
        );
    }
    let access = Access::Token(Box::new(claims));
    let allowed = if path.contains("/Models/ImportCk") || path.contains("/models/ImportCk") {
        access.can_manage_models()
    } else if request.method() == Method::GET
        || path.ends_with("/GraphQL")
        || path.ends_with("/graphql")
    {
        // GraphQL mutations are checked by the GraphQL handler, which knows the operation.
        access.can_read()
    } else {
        access.can_write()
    };
    if !allowed {
        return refuse(
            StatusCode::FORBIDDEN,
            "The token's scope does not allow this: reading needs octo_api or octo_api.read_only, writing needs octo_api.",
        );
    }
    request.extensions_mut().insert(access);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::route_tenant;

    #[test]
    fn the_tenant_comes_from_the_route() {
        assert_eq!(route_tenant("/tenants/plant/GraphQL"), Some("plant"));
        assert_eq!(route_tenant("/plant/v1/jobs"), Some("plant"));
        assert_eq!(route_tenant("/healthz"), None);
    }
}
