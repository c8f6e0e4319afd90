//! Tools the gateway answers itself, from what it knows of every worker.

use octomesh_proto::v1;
use serde_json::{Map, Value, json};

use crate::catalog::Catalog;
use crate::mcp::tool_json::risk_name;

/// The pseudo-family of gateway-native tools (it has no worker endpoints).
pub(crate) const FAMILY: &str = "gateway";

pub(crate) const GET_TOOL_RISK_METADATA: &str = "get_tool_risk_metadata";

/// The gateway's own tools, as a worker would list them.
pub(crate) fn listing() -> v1::ListToolsResponse {
    let input_schema = json!({"type": "object", "properties": {}, "additionalProperties": false});
    let output_schema = json!({
        "type": "object",
        "properties": {
            "isSuccess": {"type": "boolean"},
            "riskByTool": {"type": "object", "additionalProperties": {"enum": ["Low", "Medium", "High"]}},
            "nonDefaultRiskByTool": {"type": "object", "additionalProperties": {"enum": ["Medium", "High"]}},
            "defaultRisk": {"const": "Low"},
        },
        "required": ["isSuccess", "riskByTool", "nonDefaultRiskByTool", "defaultRisk"],
    });
    v1::ListToolsResponse {
        family: FAMILY.to_owned(),
        tools: vec![v1::ToolSpec {
            name: GET_TOOL_RISK_METADATA.to_owned(),
            title: "Tool risk metadata".to_owned(),
            description: "Return the Low/Medium/High risk class of every tool, for client-side \
                approval gating. High-risk tools refuse to run without `confirm: true`."
                .to_owned(),
            input_schema_json: input_schema.to_string().into_bytes(),
            output_schema_json: output_schema.to_string().into_bytes(),
            risk: v1::Risk::Low as i32,
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: false,
        }],
        ..Default::default()
    }
}

/// Runs a gateway-native tool; `None` when `name` is not one.
pub(crate) fn call(name: &str, catalog: &Catalog) -> Option<Value> {
    (name == GET_TOOL_RISK_METADATA).then(|| risk_metadata(catalog))
}

fn risk_metadata(catalog: &Catalog) -> Value {
    let mut risk_by_tool = Map::new();
    let mut non_default = Map::new();
    for tool in &catalog.tools {
        let risk = risk_name(tool.spec.risk);
        risk_by_tool.insert(tool.spec.name.clone(), json!(risk));
        if risk != "Low" {
            non_default.insert(tool.spec.name.clone(), json!(risk));
        }
    }
    let structured = json!({
        "isSuccess": true,
        "riskByTool": risk_by_tool,
        "nonDefaultRiskByTool": non_default,
        "defaultRisk": "Low",
    });
    json!({
        "content": [{"type": "text", "text": structured.to_string()}],
        "structuredContent": structured,
        "isError": false,
    })
}
