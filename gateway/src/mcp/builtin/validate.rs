//! `validate_tool_parameters`: checks a JSON argument blob exactly as a call would decode it, by
//! asking the owning worker to decode without running the tool.

use futures_util::StreamExt;
use octomesh_proto::v1;
use serde_json::{Map, Value, json};

use super::spec::read_only;
use super::{only, success, text_argument};
use crate::catalog::Catalog;
use crate::dispatch::{self, CallEvent};
use crate::mcp::error::error_result;
use crate::mcp::handler::Env;
use crate::mcp::jsonrpc::RequestId;

pub(super) const NAME: &str = "validate_tool_parameters";

pub(super) fn spec() -> v1::ToolSpec {
    read_only(
        NAME,
        "Validate tool parameters",
        "Check a JSON object of arguments against a tool's parameters without running the tool; \
         the answer says which field is wrong and what was expected.",
        json!({
            "toolName": {"type": "string", "description": "The tool, e.g. `query_entities`."},
            "parameters": {"type": "string", "description": "The arguments as JSON text, e.g. `{\"ckTypeId\": \"Demo/Machine\"}`."},
        }),
        &["toolName", "parameters"],
        json!({
            "toolName": {"type": "string"},
            "isValid": {"type": "boolean"},
            "errors": {"type": "array", "items": {"type": "string"}},
        }),
    )
}

fn verdict(tool: &str, errors: Vec<String>) -> Value {
    let mut payload = Map::new();
    payload.insert("toolName".into(), json!(tool));
    payload.insert("isValid".into(), json!(errors.is_empty()));
    payload.insert("errors".into(), json!(errors));
    success(payload)
}

pub(super) async fn call(
    catalog: &Catalog,
    arguments: &Map<String, Value>,
    env: &Env,
    id: &RequestId,
) -> Value {
    if let Err(refusal) = only(arguments, &["toolName", "parameters"]) {
        return refusal;
    }
    let (name, text) = match (
        text_argument(arguments, "toolName"),
        text_argument(arguments, "parameters"),
    ) {
        (Ok(Some(name)), Ok(Some(text))) => (name, text),
        (Err(refusal), _) | (_, Err(refusal)) => return refusal,
        _ => return error_result("Invalid arguments: `toolName` and `parameters` are required."),
    };
    let Some(tool) = catalog.tool(name) else {
        return error_result(&format!(
            "There is no tool `{name}`; list_available_tools shows them all."
        ));
    };
    let parameters: Value = match serde_json::from_str(text) {
        Ok(Value::Object(parameters)) => Value::Object(parameters),
        Ok(_) => return verdict(name, vec!["the parameters are not a JSON object".into()]),
        Err(error) => return verdict(name, vec![format!("the parameters are not JSON: {error}")]),
    };
    if tool.pool.family == super::FAMILY {
        // The gateway's own tools take only flat string arguments: check names and required ones.
        let schema: Value =
            serde_json::from_slice(&tool.spec.input_schema_json).unwrap_or_default();
        let mut errors = Vec::new();
        for key in parameters
            .as_object()
            .into_iter()
            .flat_map(|map| map.keys())
        {
            if schema["properties"].get(key).is_none() {
                errors.push(format!("unknown field `{key}`"));
            }
        }
        for required in schema["required"].as_array().into_iter().flatten() {
            if let Some(required) = required.as_str()
                && parameters.get(required).is_none()
            {
                errors.push(format!("missing field `{required}`"));
            }
        }
        return verdict(name, errors);
    }
    let request = v1::CallToolRequest {
        name: name.to_owned(),
        arguments_json: parameters.to_string().into_bytes(),
        call_id: env.state.hub.next_call_id(),
        validate_only: true,
    };
    let mut events = dispatch::call(
        std::sync::Arc::clone(&tool.pool),
        true,
        env.call_context(id),
        request,
    );
    while let Some(event) = events.next().await {
        match event {
            CallEvent::Result(_) => return verdict(name, Vec::new()),
            CallEvent::Failure {
                code: v1::ErrorCode::InvalidArguments,
                message,
            } => {
                return verdict(name, vec![message]);
            }
            CallEvent::Failure { message, .. } => {
                return error_result(&format!("Could not validate: {message}"));
            }
            _ => continue,
        }
    }
    error_result("Could not validate: the worker did not answer.")
}
