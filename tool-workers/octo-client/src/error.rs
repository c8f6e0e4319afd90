//! [`ClientError`]: why a backend call failed, in words a model can act on.

use octomesh_worker_runtime::ToolError;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request was refused as invalid (bad filter, unknown type, wrong value type …).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// A stale `rtVersion`.
    #[error("{message}")]
    Conflict {
        message: String,
        current_version: Option<u64>,
    },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    PermissionDenied(String),
    /// The backend could not be reached or failed.
    #[error("{0}")]
    Unavailable(String),
}

impl From<ClientError> for ToolError {
    fn from(error: ClientError) -> ToolError {
        let message = error.to_string();
        match error {
            ClientError::Invalid(_) => ToolError::InvalidArguments(message),
            ClientError::NotFound(_) => ToolError::NotFound(message),
            ClientError::Conflict { .. } => ToolError::Conflict(message),
            ClientError::Unauthenticated(_) => ToolError::Unauthenticated(message),
            ClientError::PermissionDenied(_) => ToolError::PermissionDenied(message),
            ClientError::Unavailable(_) => ToolError::Backend(message),
        }
    }
}

/// The error bodies OctoMesh services answer: `ApiErrorDto` (`{message, details}`, details as
/// strings or as ASP.NET Identity's `{code, description}`), ASP.NET's `ValidationProblemDetails`
/// (`{title, errors: {Field: [message]}}`), or a plain string (the identity service's 409s).
#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    details: Vec<ErrorDetail>,
    #[serde(default)]
    errors: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum ErrorDetail {
    Text(String),
    Coded {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        description: Option<String>,
    },
}

impl ErrorDetail {
    fn text(self) -> Option<String> {
        match self {
            ErrorDetail::Text(text) => Some(text),
            ErrorDetail::Coded { code, description } => description.or(code),
        }
    }
}

/// The words of an error body, at most 2,000 characters.
fn summary_of(body: &[u8]) -> Option<String> {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(value) => {
            let body: ErrorBody = serde_json::from_value(value).ok()?;
            let mut text = body.message.or(body.title).unwrap_or_default();
            let mut details: Vec<String> = body
                .details
                .into_iter()
                .filter_map(ErrorDetail::text)
                .collect();
            details.extend(
                body.errors
                    .into_iter()
                    .map(|(field, messages)| format!("{field}: {}", messages.join(" "))),
            );
            if !details.is_empty() {
                if !text.is_empty() {
                    text.push_str(": ");
                }
                text.push_str(&details.join("; "));
            }
            text
        }
        // A plain-text refusal, if it is short and printable.
        Err(_) => std::str::from_utf8(body)
            .ok()
            .filter(|text| text.len() <= 500 && !text.contains('<'))?
            .trim()
            .to_owned(),
    };
    let text = text.trim().chars().take(2_000).collect::<String>();
    (!text.is_empty()).then_some(text)
}

/// The error an OctoMesh service's refusal means: its `{message, details}` summarised (never
/// echoed whole), by status.
pub(crate) fn from_status(status: reqwest::StatusCode, body: &[u8]) -> ClientError {
    let summary = summary_of(body).unwrap_or_else(|| format!("HTTP {status}"));
    match status.as_u16() {
        400 | 409 | 413 | 415 | 422 => ClientError::Invalid(summary),
        401 => ClientError::Unauthenticated(
            "Not authenticated. Call authenticate(tenantId) to sign in, then retry.".into(),
        ),
        403 => ClientError::PermissionDenied(summary),
        404 => ClientError::NotFound(summary),
        _ => ClientError::Unavailable(summary),
    }
}
