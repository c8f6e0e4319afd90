//! `list_available_tools` and `get_tool_details`: the server's tools as the catalog knows them.

use octomesh_proto::v1;
use serde_json::{Map, Value, json};

use super::spec::read_only;
use super::{only, success, text_argument};
use crate::catalog::{Catalog, CatalogTool};
use crate::mcp::error::error_result;
use crate::mcp::tool_json::risk_name;

pub(super) const LIST: &str = "list_available_tools";
pub(super) const DETAILS: &str = "get_tool_details";

pub(super) fn list_spec() -> v1::ToolSpec {
    read_only(
        LIST,
        "List tools",
        "List every tool of this server with its category (tool family), risk class, description \
         and parameters, optionally only one category.",
        json!({"category": {"type": "string", "description": "Only this category, e.g. `ck` or `gateway`."}}),
        &[],
        json!({
            "count": {"type": "integer"},
            "categories": {"type": "array", "items": {"type": "string"}},
            "tools": {"type": "array", "items": summary_schema()},
        }),
    )
}

pub(super) fn details_spec() -> v1::ToolSpec {
    read_only(
        DETAILS,
        "Tool details",
        "Return one tool's full description, input and output JSON Schemas, annotations, risk \
         class and an example of its arguments.",
        json!({"toolName": {"type": "string", "description": "The tool's name, e.g. `query_entities`."}}),
        &["toolName"],
        json!({"tool": details_schema()}),
    )
}

/// What `summary` returns; a parameter's `type` and `description` are left out when its schema
/// has none.
fn summary_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "title": {"type": "string"},
            "category": {"type": "string"},
            "risk": {"enum": ["Low", "Medium", "High"]},
            "description": {"type": "string"},
            "parameters": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "type": {"type": "string"},
                    "required": {"type": "boolean"},
                    "description": {"type": "string"},
                },
                "required": ["name", "required"],
            }},
        },
        "required": ["name", "title", "category", "risk", "description", "parameters"],
    })
}

/// What `details` returns: the summary plus the schemas (`outputSchema` only when the tool
/// declares one), an example and the annotations.
fn details_schema() -> Value {
    let mut schema = summary_schema();
    let hint = json!({"type": "boolean"});
    schema["properties"]["example"] = json!({"type": "object"});
    schema["properties"]["inputSchema"] = json!({"type": "object"});
    schema["properties"]["outputSchema"] = json!({"type": "object"});
    schema["properties"]["annotations"] = json!({
        "type": "object",
        "properties": {
            "readOnlyHint": hint, "destructiveHint": hint,
            "idempotentHint": hint, "openWorldHint": hint,
        },
        "required": ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"],
    });
    if let Some(required) = schema["required"].as_array_mut() {
        required.extend(["example", "inputSchema", "annotations"].map(Value::from));
    }
    schema
}

fn categories(catalog: &Catalog) -> Vec<String> {
    let mut categories: Vec<String> = catalog
        .tools
        .iter()
        .map(|tool| tool.pool.family.clone())
        .collect();
    categories.sort();
    categories.dedup();
    categories
}

fn schema(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

/// `[{name, type, required, description}]` from an input schema.
fn parameters(input_schema: &Value) -> Vec<Value> {
    let required: Vec<&str> = input_schema["required"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    input_schema["properties"]
        .as_object()
        .map(|properties| {
            properties
                .iter()
                .map(|(name, property)| {
                    let mut parameter = Map::new();
                    parameter.insert("name".into(), json!(name));
                    if let Some(kind) = type_name(property) {
                        parameter.insert("type".into(), kind);
                    }
                    parameter.insert("required".into(), json!(required.contains(&name.as_str())));
                    if let Some(description) = property.get("description").filter(|d| d.is_string())
                    {
                        parameter.insert("description".into(), description.clone());
                    }
                    Value::Object(parameter)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A property's JSON type (the first that is not `null`), `None` when its schema names none.
fn type_name(property: &Value) -> Option<Value> {
    match property.get("type") {
        Some(Value::Array(types)) => types
            .iter()
            .find(|kind| kind.is_string() && kind.as_str() != Some("null"))
            .cloned(),
        Some(kind @ Value::String(_)) => Some(kind.clone()),
        Some(_) => None,
        None if property.get("$ref").is_some() || property.get("anyOf").is_some() => {
            Some(json!("object"))
        }
        None => None,
    }
}

fn summary(tool: &CatalogTool) -> Value {
    json!({
        "name": tool.spec.name,
        "title": tool.spec.title,
        "category": tool.pool.family,
        "risk": risk_name(tool.spec.risk),
        "description": tool.spec.description,
        "parameters": parameters(&schema(&tool.spec.input_schema_json)),
    })
}

pub(super) fn list(catalog: &Catalog, arguments: &Map<String, Value>) -> Value {
    if let Err(refusal) = only(arguments, &["category"]) {
        return refusal;
    }
    let category = match text_argument(arguments, "category") {
        Ok(category) => category,
        Err(refusal) => return refusal,
    };
    let categories = categories(catalog);
    if let Some(category) = category
        && !categories
            .iter()
            .any(|known| known.eq_ignore_ascii_case(category))
    {
        return error_result(&format!(
            "Unknown category `{category}`; the categories are {}.",
            categories.join(", ")
        ));
    }
    let tools: Vec<Value> = catalog
        .tools
        .iter()
        .filter(|tool| category.is_none_or(|wanted| tool.pool.family.eq_ignore_ascii_case(wanted)))
        .map(summary)
        .collect();
    let mut payload = Map::new();
    payload.insert("count".into(), json!(tools.len()));
    payload.insert("categories".into(), json!(categories));
    payload.insert("tools".into(), Value::Array(tools));
    success(payload)
}

pub(super) fn details(catalog: &Catalog, arguments: &Map<String, Value>) -> Value {
    if let Err(refusal) = only(arguments, &["toolName"]) {
        return refusal;
    }
    let name = match text_argument(arguments, "toolName") {
        Ok(Some(name)) => name,
        Ok(None) => return error_result("Invalid arguments: `toolName` is required."),
        Err(refusal) => return refusal,
    };
    let Some(tool) = catalog.tool(name) else {
        return error_result(&format!(
            "There is no tool `{name}`; list_available_tools shows them all."
        ));
    };
    // As tools/list does, a schema that is not a JSON object stands for any object.
    let input_schema = Some(schema(&tool.spec.input_schema_json))
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({"type": "object"}));
    let mut detail = summary(tool);
    if let Some(detail) = detail.as_object_mut() {
        detail.insert("example".into(), example(&input_schema));
        detail.insert("inputSchema".into(), input_schema);
        let output_schema = schema(&tool.spec.output_schema_json);
        if output_schema.is_object() {
            detail.insert("outputSchema".into(), output_schema);
        }
        detail.insert(
            "annotations".into(),
            json!({
                "readOnlyHint": tool.spec.read_only,
                "destructiveHint": tool.spec.destructive,
                "idempotentHint": tool.spec.idempotent,
                "openWorldHint": tool.spec.open_world,
            }),
        );
    }
    let mut payload = Map::new();
    payload.insert("tool".into(), detail);
    success(payload)
}

/// Example arguments: every required parameter with a placeholder of its type.
fn example(input_schema: &Value) -> Value {
    let mut example = Map::new();
    for parameter in parameters(input_schema) {
        if parameter["required"] != json!(true) {
            continue;
        }
        let name = parameter["name"].as_str().unwrap_or_default().to_owned();
        let placeholder = match parameter["type"].as_str() {
            Some("string") => json!(format!("<{name}>")),
            Some("integer") | Some("number") => json!(1),
            Some("boolean") => json!(true),
            Some("array") => json!([]),
            _ => json!({}),
        };
        example.insert(name, placeholder);
    }
    Value::Object(example)
}
