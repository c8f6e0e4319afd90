//! The gateway's `/metrics`, read by prometheus-client's own parser after real tool calls.

use octomesh_tests::TestStack;
use octomesh_tests::peers::{assert_ok, run};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_as_prometheus_text_and_count_the_calls() {
    let stack = TestStack::fixtures().await;
    let mut client = stack.client();
    client.initialize().await;
    for message in ["one", "two", "three"] {
        client.call_tool("echo", json!({"message": message})).await;
    }
    let refused = client.call_tool("test_destructive_action", json!({})).await;
    assert_eq!(refused["isError"], true, "{refused}");
    let url = format!("{}/metrics", stack.base());
    let run = run("PEER_OBS_PY", "tests/peers/prom_parse.py", &[&url], &[]).await;
    assert_ok("prometheus-client's parser", &run);
    let samples: Vec<Value> = run
        .output
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let value = |name: &str, labels: Value| {
        samples
            .iter()
            .find(|sample| {
                sample["name"] == name
                    && labels
                        .as_object()
                        .unwrap()
                        .iter()
                        .all(|(k, v)| sample["labels"][k] == *v)
            })
            .map(|sample| sample["value"].as_f64().unwrap())
    };
    assert_eq!(
        value(
            "octomesh_mcp_tool_calls_total",
            json!({"tool": "echo", "outcome": "ok"})
        ),
        Some(3.0),
        "{}",
        run.output
    );
    assert_eq!(
        value(
            "octomesh_mcp_tool_calls_total",
            json!({"tool": "test_destructive_action", "outcome": "error"})
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            "octomesh_mcp_tool_call_duration_seconds_count",
            json!({"tool": "echo"})
        ),
        Some(3.0)
    );
    assert_eq!(
        value(
            "octomesh_mcp_tool_call_duration_seconds_bucket",
            json!({"tool": "echo", "le": "+Inf"})
        ),
        Some(3.0)
    );
    let family = samples
        .iter()
        .find(|sample| {
            sample["name"] == "octomesh_mcp_tool_calls_total" && sample["labels"]["tool"] == "echo"
        })
        .map(|sample| sample["labels"]["family"].clone());
    assert_eq!(family, Some(json!("fixtures")));
    assert!(
        value(
            "octomesh_mcp_worker_endpoints",
            json!({"family": "fixtures", "state": "healthy"})
        )
        .unwrap_or(0.0)
            >= 1.0,
        "{}",
        run.output
    );
    assert!(value("octomesh_mcp_calls_in_flight", json!({})).is_some());
    stack.stop().await;
}
