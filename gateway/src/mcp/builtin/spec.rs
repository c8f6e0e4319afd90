//! Declaring a gateway-native tool: Low risk, closed world; read-only unless it says otherwise.

use octomesh_proto::v1;
use serde_json::{Value, json};

/// A read-only tool's spec; `properties`/`required` make its input schema, `payload` the
/// properties of its result beside the envelope's.
pub(super) fn read_only(
    name: &str,
    title: &str,
    description: &str,
    properties: Value,
    required: &[&str],
    payload: Value,
) -> v1::ToolSpec {
    declare(name, title, description, properties, required, payload)
}

/// A tool that changes something (not read-only, not idempotent), Low risk.
pub(super) fn writing(
    name: &str,
    title: &str,
    description: &str,
    properties: Value,
    required: &[&str],
    payload: Value,
) -> v1::ToolSpec {
    v1::ToolSpec {
        read_only: false,
        idempotent: false,
        ..declare(name, title, description, properties, required, payload)
    }
}

fn declare(
    name: &str,
    title: &str,
    description: &str,
    properties: Value,
    required: &[&str],
    payload: Value,
) -> v1::ToolSpec {
    let input_schema = json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    let mut output_properties = json!({
        "isSuccess": {"type": "boolean"},
        "errorMessage": {"type": "string"},
    });
    if let (Some(all), Value::Object(more)) = (output_properties.as_object_mut(), payload) {
        all.extend(more);
    }
    let output_schema = json!({
        "type": "object",
        "properties": output_properties,
        "required": ["isSuccess"],
    });
    v1::ToolSpec {
        name: name.to_owned(),
        title: title.to_owned(),
        description: description.to_owned(),
        input_schema_json: input_schema.to_string().into_bytes(),
        output_schema_json: output_schema.to_string().into_bytes(),
        risk: v1::Risk::Low as i32,
        read_only: true,
        destructive: false,
        idempotent: true,
        open_world: false,
        max_duration_secs: 0,
    }
}
