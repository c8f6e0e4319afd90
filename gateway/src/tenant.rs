//! The tenant named by a `/{tenantId}/…` route.

use axum::response::Response;
use http::StatusCode;

use crate::mcp::sse;

/// Longest tenant id accepted in a route.
const MAX_TENANT_LEN: usize = 64;

/// A syntactically valid tenant id from the URL path.
pub(crate) struct TenantRoute(String);

impl TenantRoute {
    /// Tenant ids are 1–64 characters of `[A-Za-z0-9_-]`; anything else is a 404.
    pub(crate) fn parse(text: &str) -> Result<TenantRoute, InvalidTenant> {
        let valid = !text.is_empty()
            && text.len() <= MAX_TENANT_LEN
            && text
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
        if valid {
            Ok(TenantRoute(text.to_owned()))
        } else {
            Err(InvalidTenant)
        }
    }

    pub(crate) fn into_inner(self) -> String {
        self.0
    }
}

/// A route whose tenant id is not one.
pub(crate) struct InvalidTenant;

impl axum::response::IntoResponse for InvalidTenant {
    fn into_response(self) -> Response {
        sse::text_response(
            StatusCode::NOT_FOUND,
            "Not Found: a tenant id is 1-64 characters of letters, digits, '_' and '-'.",
        )
    }
}
