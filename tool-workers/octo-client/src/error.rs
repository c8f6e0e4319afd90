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

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    details: Vec<String>,
}

/// The error an OctoMesh service's refusal means: its `{message, details}` summarised (never
/// echoed whole), by status.
pub(crate) fn from_status(status: reqwest::StatusCode, body: &[u8]) -> ClientError {
    let summary = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(|body| {
            let mut text = body.message.unwrap_or_default();
            if !body.details.is_empty() {
                text.push_str(": ");
                text.push_str(&body.details.join("; "));
            }
            text.chars().take(2_000).collect::<String>()
        })
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| format!("HTTP {status}"));
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
