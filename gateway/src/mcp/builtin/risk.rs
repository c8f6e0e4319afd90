//! `get_tool_risk_metadata`: the risk class of every tool, for client-side approval gating.

use octomesh_proto::v1;
use serde_json::{Map, Value, json};

use super::spec::read_only;
use crate::catalog::Catalog;
use crate::mcp::tool_json::risk_name;

pub(super) const NAME: &str = "get_tool_risk_metadata";

pub(super) fn spec() -> v1::ToolSpec {
    read_only(
        NAME,
        "Tool risk metadata",
        "Return the Low/Medium/High risk class of every tool, for client-side approval gating. \
         High-risk tools refuse to run without `confirm: true`.",
        json!({}),
        &[],
        json!({
            "riskByTool": {"type": "object", "additionalProperties": {"enum": ["Low", "Medium", "High"]}},
            "nonDefaultRiskByTool": {"type": "object", "additionalProperties": {"enum": ["Medium", "High"]}},
            "defaultRisk": {"const": "Low"},
        }),
    )
}

pub(super) fn call(catalog: &Catalog) -> Value {
    let mut risk_by_tool = Map::new();
    let mut non_default = Map::new();
    for tool in &catalog.tools {
        let risk = risk_name(tool.spec.risk);
        risk_by_tool.insert(tool.spec.name.clone(), json!(risk));
        if risk != "Low" {
            non_default.insert(tool.spec.name.clone(), json!(risk));
        }
    }
    let mut payload = Map::new();
    payload.insert("riskByTool".into(), Value::Object(risk_by_tool));
    payload.insert("nonDefaultRiskByTool".into(), Value::Object(non_default));
    payload.insert("defaultRisk".into(), json!("Low"));
    super::success(payload)
}
