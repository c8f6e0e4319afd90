//! [`ToolError`]: how a tool call fails.

use octomesh_proto::v1::ErrorCode;

/// A failed tool call. Every message is safe to show to the client and says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// The arguments did not decode; the message names the field and what was expected.
    #[error("{0}")]
    InvalidArguments(String),
    /// A High-risk tool was called without `confirm: true`.
    #[error("{0}")]
    ConfirmationRequired(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    Conflict(String),
    /// A backend service failed or could not be reached.
    #[error("{0}")]
    Backend(String),
    #[error("{0}")]
    DeadlineExceeded(String),
    #[error("{0}")]
    Cancelled(String),
    /// A bug. The message is generic; details go to the worker's log only.
    #[error("{0}")]
    Internal(String),
}

impl ToolError {
    /// The closed error code that crosses the wire.
    pub fn code(&self) -> ErrorCode {
        match self {
            ToolError::InvalidArguments(_) => ErrorCode::InvalidArguments,
            ToolError::ConfirmationRequired(_) => ErrorCode::ConfirmationRequired,
            ToolError::NotFound(_) => ErrorCode::NotFound,
            ToolError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            ToolError::PermissionDenied(_) => ErrorCode::PermissionDenied,
            ToolError::Conflict(_) => ErrorCode::Conflict,
            ToolError::Backend(_) => ErrorCode::Backend,
            ToolError::DeadlineExceeded(_) => ErrorCode::DeadlineExceeded,
            ToolError::Cancelled(_) => ErrorCode::Cancelled,
            ToolError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// A short label for metrics.
    pub fn metric_label(&self) -> &'static str {
        match self {
            ToolError::InvalidArguments(_) => "invalid_arguments",
            ToolError::ConfirmationRequired(_) => "confirmation_required",
            ToolError::NotFound(_) => "not_found",
            ToolError::Unauthenticated(_) => "unauthenticated",
            ToolError::PermissionDenied(_) => "permission_denied",
            ToolError::Conflict(_) => "conflict",
            ToolError::Backend(_) => "backend",
            ToolError::DeadlineExceeded(_) => "deadline_exceeded",
            ToolError::Cancelled(_) => "cancelled",
            ToolError::Internal(_) => "internal",
        }
    }
}
