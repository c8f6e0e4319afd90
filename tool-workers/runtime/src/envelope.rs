//! [`Envelope`]: the result shape of the original server, `{isSuccess, errorMessage?, message?,
//! tenantId?, …payload}`, as `structuredContent` with its `outputSchema`, mirrored as text, and
//! `isError: true` when `isSuccess` is false.
//!
//! The payload is optional in the schema, so that a failure envelope (`isSuccess: false` with an
//! `errorMessage`, which the gateway writes for every failed call) conforms to it too.

use schemars::JsonSchema;
use serde::Serialize;

use crate::content::Content;
use crate::error::ToolError;
use crate::tool::{ToolOutput, ToolResultParts};

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    pub is_success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(flatten)]
    pub payload: Option<T>,
}

impl<T> Envelope<T> {
    /// A success for `tenant_id` carrying `payload`.
    pub fn success(tenant_id: Option<&str>, payload: T) -> Envelope<T> {
        Envelope {
            is_success: true,
            error_message: None,
            message: None,
            tenant_id: tenant_id.map(str::to_owned),
            payload: Some(payload),
        }
    }

    /// Adds a human summary.
    pub fn with_message(mut self, message: impl Into<String>) -> Envelope<T> {
        self.message = Some(message.into());
        self
    }

    /// A failure that still carries a payload (e.g. the current entity on a version conflict).
    pub fn failure(tenant_id: Option<&str>, error_message: String, payload: T) -> Envelope<T> {
        Envelope {
            is_success: false,
            error_message: Some(error_message),
            message: None,
            tenant_id: tenant_id.map(str::to_owned),
            payload: Some(payload),
        }
    }
}

impl<T: Serialize + JsonSchema + Send + 'static> ToolOutput for Envelope<T> {
    fn output_schema() -> Option<schemars::Schema> {
        Some(
            schemars::generate::SchemaSettings::draft2020_12()
                .into_generator()
                .into_root_schema_for::<Envelope<T>>(),
        )
    }

    fn into_parts(self) -> Result<ToolResultParts, ToolError> {
        let is_error = !self.is_success;
        let structured = serde_json::to_value(&self).map_err(|error| {
            ToolError::Internal(format!("could not encode the result: {error}"))
        })?;
        Ok(ToolResultParts {
            content: vec![Content::text(structured.to_string())],
            structured: Some(structured),
            is_error,
        })
    }
}
