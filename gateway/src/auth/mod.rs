//! The gateway as an OAuth 2.1 resource server: Protected Resource Metadata (RFC 9728), bearer
//! JWTs validated against the authority's JWKS, the route's tenant checked against the token's
//! `tenant_id`/`allowed_tenants`, and `401`/`403` challenges that tell a client where to sign in.
//!
//! `required` refuses requests without a token; `optional` lets them through anonymously (the
//! device-flow tools then sign the session in). A token that is present is always checked.

pub(crate) mod device;
mod jwks;
mod metadata;
mod redis;
pub(crate) mod resolve;
pub(crate) mod session_tokens;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

pub(crate) use jwks::{Authority, TokenClaims};
pub(crate) use metadata::protected_resource_metadata;

use crate::state::AppState;

/// Whether a token is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    Required,
    Optional,
}

/// The authority the gateway trusts.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The issuer URL; its `/.well-known/openid-configuration` names the JWKS.
    pub authority: String,
    /// The audience tokens must carry; `None`: not checked (as upstream).
    pub audience: Option<String>,
    pub mode: AuthMode,
    /// Scopes a client should ask for, published in the metadata and challenges.
    pub scopes: Vec<String>,
}

impl AuthConfig {
    pub fn new(authority: impl Into<String>, mode: AuthMode) -> AuthConfig {
        AuthConfig {
            authority: authority.into().trim_end_matches('/').to_owned(),
            audience: None,
            mode,
            scopes: [
                "openid",
                "profile",
                "email",
                "role",
                "octo_api",
                "offline_access",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

/// Who is calling: set on every MCP request by [`authenticate`].
#[derive(Clone, Default)]
pub(crate) struct Caller {
    /// The token's `sub`.
    pub(crate) principal: Option<String>,
    /// The bearer token, passed on to workers for backend calls. Never logged.
    pub(crate) token: Option<String>,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("principal", &self.principal)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The tenant of an MCP route (`/{tenant}/mcp`, `/{tenant}/sse`, `/{tenant}/messages`).
fn route_tenant(path: &str) -> Option<&str> {
    let mut segments = path.trim_start_matches('/').split('/');
    let first = segments.next()?;
    let second = segments.next()?;
    (matches!(second, "mcp" | "sse" | "messages") && segments.next().is_none()).then_some(first)
}

/// The middleware: checks the bearer token (if any, or if required) and records the caller.
pub(crate) async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(authority) = &state.authority else {
        request.extensions_mut().insert(Caller::default());
        return next.run(request).await;
    };
    let path = request.uri().path().to_owned();
    let tenant = route_tenant(&path).map(str::to_owned);
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(|token| token.trim().to_owned());
    let headers = request.headers().clone();
    let challenge = |error: Option<(&str, &str)>| {
        metadata::challenge(&state, &headers, tenant.as_deref(), error)
    };
    let Some(token) = bearer else {
        if authority.config.mode == AuthMode::Required {
            return unauthorized(
                challenge(None),
                "Authentication required: sign in with OAuth (see the resource metadata) and send `Authorization: Bearer <token>`.",
            );
        }
        request.extensions_mut().insert(Caller::default());
        return next.run(request).await;
    };
    let claims = match authority.validate(&token).await {
        Ok(claims) => claims,
        Err(reason) => {
            tracing::info!(%reason, "Refused a bearer token.");
            return unauthorized(
                challenge(Some(("invalid_token", reason.as_str()))),
                &format!("The bearer token was refused: {reason}. Sign in again."),
            );
        }
    };
    if let Some(tenant) = &tenant
        && !claims.may_use_tenant(tenant)
    {
        let mut response = (
            StatusCode::FORBIDDEN,
            format!("Forbidden: this token is not for tenant `{tenant}`. Use the endpoint of a tenant you may use, or sign in for this one."),
        )
            .into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge(Some((
            "insufficient_scope",
            "the token does not cover this tenant",
        )))) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        return response;
    }
    request.extensions_mut().insert(Caller {
        principal: claims.subject,
        token: Some(token),
    });
    next.run(request).await
}

fn unauthorized(challenge: String, message: &str) -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, message.to_owned()).into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::route_tenant;

    #[test]
    fn the_route_tenant_is_the_first_segment_of_a_tenant_endpoint() {
        assert_eq!(route_tenant("/plant-a/mcp"), Some("plant-a"));
        assert_eq!(route_tenant("/plant-a/messages"), Some("plant-a"));
        assert_eq!(route_tenant("/mcp"), None);
        assert_eq!(route_tenant("/a/b/mcp"), None);
    }
}
