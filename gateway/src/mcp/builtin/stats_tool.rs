//! `get_tool_statistics`: call counts, success rate and durations per tool.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use octomesh_proto::v1;
use serde_json::{Map, Value, json};

use super::spec::read_only;
use super::{only, success, text_argument};
use crate::mcp::error::error_result;
use crate::stats::ToolStats;

pub(super) const NAME: &str = "get_tool_statistics";

pub(super) fn spec() -> v1::ToolSpec {
    read_only(
        NAME,
        "Tool statistics",
        "Return per-tool usage statistics of this gateway replica since it started: calls, \
         failures, success rate, mean/p50/p95/max duration in ms, over the last `hour`, `day` \
         (default), `week`, `month`, or `all`.",
        json!({"timeRange": {"type": "string", "enum": ["hour", "day", "week", "month", "all"], "default": "day"}}),
        &[],
        json!({
            "timeRange": {"type": "string"},
            "totalCalls": {"type": "integer"},
            "tools": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "calls": {"type": "integer", "minimum": 1},
                    "failures": {"type": "integer", "minimum": 0},
                    "successRate": {"type": "number", "minimum": 0, "maximum": 1},
                    "meanMs": {"type": "number"}, "p50Ms": {"type": "number"},
                    "p95Ms": {"type": "number"}, "maxMs": {"type": "number"},
                    "lastCallUnixMs": {"type": "integer"},
                },
                "required": ["name", "calls", "failures", "successRate", "meanMs", "p50Ms", "p95Ms", "maxMs", "lastCallUnixMs"],
            }},
        }),
    )
}

pub(super) fn call(stats: &ToolStats, arguments: &Map<String, Value>) -> Value {
    if let Err(refusal) = only(arguments, &["timeRange"]) {
        return refusal;
    }
    let range = match text_argument(arguments, "timeRange") {
        Ok(range) => range.unwrap_or("day").to_ascii_lowercase(),
        Err(refusal) => return refusal,
    };
    let window = match range.as_str() {
        "hour" => Some(Duration::from_secs(3600)),
        "day" => Some(Duration::from_secs(86_400)),
        "week" => Some(Duration::from_secs(7 * 86_400)),
        "month" => Some(Duration::from_secs(30 * 86_400)),
        "all" => None,
        other => {
            return error_result(&format!(
                "Invalid arguments: `timeRange` is hour, day, week, month or all, not `{other}`."
            ));
        }
    };
    let since = window.and_then(|window| SystemTime::now().checked_sub(window));
    let summaries = stats.summaries(since);
    let total: usize = summaries.iter().map(|summary| summary.calls).sum();
    let round = |millis: f64| (millis * 1000.0).round() / 1000.0;
    let tools: Vec<Value> = summaries
        .iter()
        .map(|summary| {
            json!({
                "name": summary.name,
                "calls": summary.calls,
                "failures": summary.failures,
                "successRate": round((summary.calls - summary.failures) as f64 / summary.calls as f64),
                "meanMs": round(summary.mean_ms),
                "p50Ms": round(summary.p50_ms),
                "p95Ms": round(summary.p95_ms),
                "maxMs": round(summary.max_ms),
                "lastCallUnixMs": summary.last_call.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as u64),
            })
        })
        .collect();
    let mut payload = Map::new();
    payload.insert("timeRange".into(), json!(range));
    payload.insert("totalCalls".into(), json!(total));
    payload.insert("tools".into(), Value::Array(tools));
    success(payload)
}
