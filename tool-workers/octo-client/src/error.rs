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
