//! How a worker's `ToolSpec` looks on the MCP wire.

use octomesh_proto::v1;
use serde::Serialize;
use serde_json::value::RawValue;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolJson<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    title: &'a str,
    description: &'a str,
    input_schema: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_schema: Option<&'a RawValue>,
    annotations: Annotations<'a>,
    #[serde(rename = "_meta")]
    meta: Meta<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Annotations<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    title: &'a str,
    read_only_hint: bool,
    destructive_hint: bool,
    idempotent_hint: bool,
    open_world_hint: bool,
}

/// The tool's `_meta`: its risk class and the family that serves it.
#[derive(Serialize)]
struct Meta<'a> {
    #[serde(rename = "io.octomesh/risk")]
    risk: &'static str,
    #[serde(rename = "io.octomesh/family")]
    family: &'a str,
}

/// The risk class as the catalog names it.
pub(crate) fn risk_name(risk: i32) -> &'static str {
    match v1::Risk::try_from(risk).unwrap_or(v1::Risk::Unspecified) {
        v1::Risk::Low => "Low",
        v1::Risk::Medium => "Medium",
        v1::Risk::High => "High",
        v1::Risk::Unspecified => "Medium",
    }
}

fn raw(bytes: &[u8]) -> Option<&RawValue> {
    let text = std::str::from_utf8(bytes).ok()?;
    serde_json::from_str(text).ok()
}

/// Renders one tool. A worker whose schema is not JSON gets an empty object schema (and a log line).
pub(crate) fn render(spec: &v1::ToolSpec, family: &str) -> Box<RawValue> {
    let empty_object: &RawValue =
        serde_json::from_str(r#"{"type":"object"}"#).expect("a literal schema parses");
    let input_schema = raw(&spec.input_schema_json).unwrap_or_else(|| {
        tracing::warn!(tool = %spec.name, "Worker sent an input schema that is not JSON.");
        empty_object
    });
    let tool = ToolJson {
        name: &spec.name,
        title: &spec.title,
        description: &spec.description,
        input_schema,
        output_schema: raw(&spec.output_schema_json),
        annotations: Annotations {
            title: &spec.title,
            read_only_hint: spec.read_only,
            destructive_hint: spec.destructive,
            idempotent_hint: spec.idempotent,
            open_world_hint: spec.open_world,
        },
        meta: Meta {
            risk: risk_name(spec.risk),
            family,
        },
    };
    serde_json::value::to_raw_value(&tool).expect("tools always encode")
}
