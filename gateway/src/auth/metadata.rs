//! Protected Resource Metadata (RFC 9728) at `/.well-known/oauth-protected-resource` (and
//! `/mcp`, `/{tenant}/mcp` suffixes), and the `WWW-Authenticate` challenge that points to it.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use http::HeaderMap;
use serde_json::{Value, json};

use crate::state::AppState;

/// The gateway's public base URL: the configured public URL's origin, else the request's Host.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(public) = &state.config.public_url {
        let scheme_end = public.find("://").map_or(0, |at| at + 3);
        let origin_end = public[scheme_end..]
            .find('/')
            .map_or(public.len(), |at| scheme_end + at);
        return public[..origin_end].to_owned();
    }
    let host = headers
        .get(http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .map_or_else(|| state.config.listen.to_string(), str::to_owned);
    format!("http://{host}")
}

/// The MCP resource a path names: `/{tenant}/mcp` or `/mcp`.
fn resource_path(tenant: Option<&str>) -> String {
    match tenant {
        Some(tenant) => format!("/{tenant}/mcp"),
        None => "/mcp".to_owned(),
    }
}

/// `GET /.well-known/oauth-protected-resource[/mcp | /{tenant}/mcp]`.
pub(crate) async fn protected_resource_metadata(
    State(state): State<Arc<AppState>>,
    uri: http::Uri,
    headers: HeaderMap,
) -> Json<Value> {
    let suffix = uri
        .path()
        .strip_prefix("/.well-known/oauth-protected-resource")
        .unwrap_or_default();
    let tenant = suffix
        .strip_suffix("/mcp")
        .map(|rest| rest.trim_start_matches('/'))
        .filter(|tenant| !tenant.is_empty() && !tenant.contains('/'));
    let base = base_url(&state, &headers);
    let authority = state.authority.as_ref();
    Json(json!({
        "resource": format!("{base}{}", resource_path(tenant)),
        "authorization_servers": authority.map(|authority| vec![authority.config.authority.clone()]).unwrap_or_default(),
        "scopes_supported": authority.map(|authority| authority.config.scopes.clone()).unwrap_or_default(),
        "bearer_methods_supported": ["header"],
        "resource_name": "OctoMesh MCP",
    }))
}

/// `Bearer resource_metadata="…", scope="…"[, error="…", error_description="…"]`.
pub(crate) fn challenge(
    state: &AppState,
    headers: &HeaderMap,
    tenant: Option<&str>,
    error: Option<(&str, &str)>,
) -> String {
    let base = base_url(state, headers);
    let scopes = state
        .authority
        .as_ref()
        .map(|authority| authority.config.scopes.join(" "))
        .unwrap_or_default();
    let mut value = format!(
        "Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource{}\", scope=\"{scopes}\"",
        resource_path(tenant)
    );
    if let Some((code, description)) = error {
        let description: String = description
            .chars()
            .filter(|char| *char != '"' && *char != '\\' && !char.is_control())
            .collect();
        value.push_str(&format!(
            ", error=\"{code}\", error_description=\"{description}\""
        ));
    }
    value
}
