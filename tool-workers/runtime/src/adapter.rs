//! The one generic adapter every tool goes through: decode → confirm gate → call → encode.
//!
//! Timeouts, cancellation and metrics wrap it in `host.rs`, where they do not need the tool's type.

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use crate::tool::{Risk, Tool, ToolOutput, ToolResultParts};
use crate::{CallScope, ToolError};

/// The monomorphised entry point stored in the registry for tool `T`.
pub(crate) fn erased_call<T: Tool>(
    ctx: Arc<T::Ctx>,
    arguments_json: Vec<u8>,
    scope: CallScope,
) -> BoxFuture<'static, Result<ToolResultParts, ToolError>> {
    async move {
        let arguments = decode_object(T::NAME, &arguments_json)?;
        if T::RISK == Risk::High {
            confirm_gate(T::NAME, &arguments)?;
        }
        let typed: T = decode_typed(T::NAME, arguments)?;
        let output = typed.call(&ctx, &scope).await?;
        output.into_parts()
    }
    .boxed()
}

/// Decodes the arguments as a call would, without running the tool (the confirm gate is not
/// applied: it is about running, not about the arguments' shape).
pub(crate) fn validate<T: Tool>(arguments_json: &[u8]) -> Result<(), ToolError> {
    let arguments = decode_object(T::NAME, arguments_json)?;
    decode_typed::<T>(T::NAME, arguments).map(drop)
}

/// The arguments as a JSON object; absent arguments are an empty object.
fn decode_object(tool: &str, arguments_json: &[u8]) -> Result<Map<String, Value>, ToolError> {
    if arguments_json.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(arguments_json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(ToolError::InvalidArguments(format!(
            "Invalid arguments for `{tool}`: expected a JSON object, got {}. \
             Pass the arguments as an object whose fields follow the tool's inputSchema.",
            json_kind(&other)
        ))),
        Err(error) => Err(ToolError::InvalidArguments(format!(
            "Invalid arguments for `{tool}`: not valid JSON ({error})."
        ))),
    }
}

/// Decodes into the tool's struct; the error names the offending field and what was expected.
fn decode_typed<T: Tool>(tool: &str, arguments: Map<String, Value>) -> Result<T, ToolError> {
    serde_path_to_error::deserialize(Value::Object(arguments)).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let location = if path == "." {
            String::new()
        } else {
            format!(" at `{path}`")
        };
        ToolError::InvalidArguments(format!(
            "Invalid arguments for `{tool}`{location}: {inner}. \
             Fix that field to match the tool's inputSchema and call again."
        ))
    })
}

/// High-risk tools run only with `confirm: true`.
fn confirm_gate(tool: &str, arguments: &Map<String, Value>) -> Result<(), ToolError> {
    match arguments.get("confirm") {
        Some(Value::Bool(true)) => Ok(()),
        _ => Err(ToolError::ConfirmationRequired(format!(
            "`{tool}` is a High-risk tool: it destroys or replaces data and cannot be undone. \
             Nothing was done. Confirm with the user, then call `{tool}` again with the same \
             arguments plus `\"confirm\": true`."
        ))),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
