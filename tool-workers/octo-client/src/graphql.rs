//! One GraphQL round trip: POST `{query, variables}`, then `data` decoded into a typed response or
//! the first error mapped by its `extensions.code`.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::ClientError;

#[derive(Deserialize)]
struct Response {
    /// Kept as text, so that it decodes into the caller's type in one pass.
    #[serde(default)]
    data: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    errors: Vec<GraphQlError>,
}

#[derive(Deserialize)]
struct GraphQlError {
    message: String,
    #[serde(default)]
    extensions: Map<String, Value>,
}

/// Largest response body read (a page of 1,000 entities with large records fits).
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

pub(crate) async fn execute<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Result<T, ClientError> {
    let mut request = http
        .post(url)
        .json(&serde_json::json!({"query": query, "variables": variables}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = crate::traced::send(request).await.map_err(|error| {
        ClientError::Unavailable(format!(
            "the asset repository is unreachable ({}): is the platform running?",
            without_url(&error)
        ))
    })?;
    let status = response.status();
    match status.as_u16() {
        401 => {
            return Err(ClientError::Unauthenticated(
                "Not authenticated. Call authenticate(tenantId) to sign in, then retry.".into(),
            ));
        }
        403 => {
            return Err(ClientError::PermissionDenied(
                "the asset repository refused this for the signed-in user (missing role or tenant access)".into(),
            ));
        }
        404 => {
            return Err(ClientError::NotFound(
                "the asset repository has no GraphQL endpoint for this tenant".into(),
            ));
        }
        _ => {}
    }
    let bytes = read_bounded(response).await?;
    let parsed: Response = serde_json::from_slice(&bytes).map_err(|_| {
        ClientError::Unavailable(format!(
            "the asset repository answered HTTP {status} with a body that is not a GraphQL response"
        ))
    })?;
    if let Some(error) = parsed.errors.into_iter().next() {
        return Err(map_error(error));
    }
    let data = parsed
        .data
        .as_deref()
        .map_or("null", serde_json::value::RawValue::get);
    serde_json::from_str(data).map_err(|error| {
        ClientError::Unavailable(format!(
            "the asset repository's answer has an unexpected shape: {error}"
        ))
    })
}

async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, ClientError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| {
        ClientError::Unavailable(format!(
            "the asset repository's answer broke off: {}",
            without_url(&error)
        ))
    })? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_RESPONSE_BYTES {
            return Err(ClientError::Unavailable(format!(
                "the asset repository's answer exceeds {MAX_RESPONSE_BYTES} bytes: ask for a smaller page"
            )));
        }
    }
    Ok(body)
}

fn map_error(error: GraphQlError) -> ClientError {
    let code = error
        .extensions
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match code {
        "NOT_FOUND" => ClientError::NotFound(error.message),
        "CONFLICT" => ClientError::Conflict {
            current_version: error
                .extensions
                .get("OctoDetails")
                .and_then(|details| details.get("currentVersion"))
                .and_then(Value::as_u64),
            message: error.message,
        },
        "AUTH_NOT_AUTHENTICATED" => ClientError::Unauthenticated(error.message),
        "AUTH_NOT_AUTHORIZED" => ClientError::PermissionDenied(error.message),
        "ASSET1001" => ClientError::Unavailable(error.message),
        _ => ClientError::Invalid(error.message),
    }
}

/// A transport error's text without the URL (which may carry a tenant or a query string).
pub(crate) fn without_url(error: &reqwest::Error) -> String {
    crate::traced::TransportFailure::of(error).text().to_owned()
}
