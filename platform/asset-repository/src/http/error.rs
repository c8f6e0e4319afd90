//! Store errors as HTTP answers: `{"message": …, "details": […]}`; internal details only in the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

pub(crate) struct ApiError(pub(crate) StoreError);

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        ApiError(error)
    }
}

pub(crate) fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"message": message.into()})),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            StoreError::InvalidTenantId(_)
            | StoreError::Invalid(_)
            | StoreError::InvalidQuery(_)
            | StoreError::Ck(_) => StatusCode::BAD_REQUEST,
            StoreError::TenantNotFound(_) | StoreError::NotFound(_) => StatusCode::NOT_FOUND,
            StoreError::TenantExists(_)
            | StoreError::DatabaseUnavailable(_)
            | StoreError::Conflict { .. } => StatusCode::CONFLICT,
            StoreError::Db(_) | StoreError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let (message, details) = match &self.0 {
            StoreError::Invalid(problems) => (
                "the request was refused, nothing was written".to_owned(),
                problems.clone(),
            ),
            StoreError::InvalidQuery(problems) => {
                ("the query was refused".to_owned(), problems.clone())
            }
            StoreError::Ck(errors) => (
                "the construction kit was refused, nothing was installed".to_owned(),
                errors.0.iter().map(ToString::to_string).collect(),
            ),
            StoreError::Db(_) | StoreError::Io(_) => {
                tracing::error!(error = %self.0, "Platform storage failed.");
                (
                    "storage failed; see the platform's log".to_owned(),
                    Vec::new(),
                )
            }
            other => (other.to_string(), Vec::new()),
        };
        (
            status,
            Json(json!({"message": message, "details": details})),
        )
            .into_response()
    }
}
