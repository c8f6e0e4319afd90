//! The middleware every service mounts on its routes: a bearer token of the identity service,
//! for the route's tenant (`tenant_id` or `allowed_tenants`; service tokens without `sub` may use
//! any tenant; `system/v1/…` routes are the system tenant's), with the scope the route needs:
//! `octo_api` to write, `octo_api` or `octo_api.read_only` to read, `octo_api` or
//! `octo_api.data_model_management` to manage models (OctoMesh's policies). Without a verifier
//! (`--no-auth`) everything is open.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::claims::AccessClaims;
use super::verify::TokenVerifier;
use crate::tenant::{SYSTEM_ROUTE, SYSTEM_TENANT};

/// What the caller may do, as the handlers see it (an extension of every guarded request).
#[derive(Debug, Clone)]
pub enum Access {
    /// No token checks (`--no-auth`): everything is allowed.
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

    pub fn can_read(&self) -> bool {
        self.has("octo_api") || self.has("octo_api.read_only")
    }

    pub fn can_write(&self) -> bool {
        self.has("octo_api")
    }

    pub fn can_manage_models(&self) -> bool {
        self.has("octo_api") || self.has("octo_api.data_model_management")
    }

    fn allows(&self, need: Need) -> bool {
        match need {
            Need::Read => self.can_read(),
            Need::Write => self.can_write(),
            Need::ManageModels => self.can_manage_models(),
        }
    }
}

/// The scope a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// `octo_api` or `octo_api.read_only`.
    Read,
    /// `octo_api`.
    Write,
    /// `octo_api` or `octo_api.data_model_management`.
    ManageModels,
}

impl Need {
    /// OctoMesh's default: reads are `GET`s, everything else writes.
    pub fn by_method(method: &Method) -> Need {
        if method == Method::GET || method == Method::HEAD {
            Need::Read
        } else {
            Need::Write
        }
    }

    fn refusal(self) -> &'static str {
        match self {
            Need::Read => {
                "The token's scope does not allow this: reading needs octo_api or octo_api.read_only."
            }
            Need::Write => "The token's scope does not allow this: writing needs octo_api.",
            Need::ManageModels => {
                "The token's scope does not allow this: importing models needs octo_api or octo_api.data_model_management."
            }
        }
    }
}

/// A service's guard: how it checks tokens, and what each of its routes needs.
#[derive(Clone)]
pub struct Guard {
    /// `None`: no checks (`--no-auth`).
    pub verifier: Option<TokenVerifier>,
    /// The scope `(method, path)` needs.
    pub policy: fn(&Method, &str) -> Need,
}

impl Guard {
    /// Tokens checked by `verifier` (none: open), OctoMesh's default policy.
    pub fn new(verifier: Option<TokenVerifier>) -> Guard {
        Guard {
            verifier,
            policy: |method, _| Need::by_method(method),
        }
    }

    /// The same guard with another policy.
    pub fn with_policy(mut self, policy: fn(&Method, &str) -> Need) -> Guard {
        self.policy = policy;
        self
    }
}

/// The tenant a route acts on: `/{tenant}/v1/…`, `/tenants/{tenant}/…`, and the system tenant
/// for `/system/v1/…`.
pub fn route_tenant(path: &str) -> Option<&str> {
    let mut segments = path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next()) {
        (Some("tenants"), Some(tenant)) => Some(tenant),
        (Some(SYSTEM_ROUTE), Some("v1")) => Some(SYSTEM_TENANT),
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

/// The middleware (`axum::middleware::from_fn_with_state(guard, check)`).
pub async fn check(State(guard): State<Guard>, mut request: Request, next: Next) -> Response {
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
    let need = (guard.policy)(request.method(), &path);
    if !access.allows(need) {
        return refuse(StatusCode::FORBIDDEN, need.refusal());
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
        assert_eq!(
            route_tenant("/system/v1/diagnostics/reconfigureLogLevel"),
            Some("octosystem")
        );
        assert_eq!(route_tenant("/healthz"), None);
    }
}
