//! The gateway's `/metrics`, read by prometheus-client's own parser after real tool calls.

use octomesh_tests::peers::{assert_ok, run};
use octomesh_tests::process::Proc;
use octomesh_tests::{McpClient, TestStack};
use serde_json::{Value, json};

/// `/metrics` at `url` as samples (`{name, labels, value}`), parsed by prometheus-client.
async fn scrape(url: &str) -> Vec<Value> {
    let run = run("PEER_OBS_PY", "tests/peers/prom_parse.py", &[url], &[]).await;
    assert_ok("prometheus-client's parser", &run);
    run.output
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// The value of the sample `name` whose labels include `labels`.
fn sample(samples: &[Value], name: &str, labels: Value) -> Option<f64> {
    samples
        .iter()
        .find(|sample| {
            sample["name"] == name
                && labels
                    .as_object()
                    .expect("labels are an object")
                    .iter()
                    .all(|(key, value)| sample["labels"][key] == *value)
        })
        .and_then(|sample| sample["value"].as_f64())
}

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
    let samples = scrape(&format!("{}/metrics", stack.base())).await;
    let value = |name: &str, labels: Value| sample(&samples, name, labels);
    assert_eq!(
        value(
            "octomesh_mcp_tool_calls_total",
            json!({"tool": "echo", "outcome": "ok"})
        ),
        Some(3.0),
        "{samples:#?}"
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
        "{samples:#?}"
    );
    assert!(value("octomesh_mcp_calls_in_flight", json!({})).is_some());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_serve_metrics_and_the_dashboard_asks_only_for_metrics_that_exist() {
    let worker = Proc::worker("fixtures").await;
    let gateway = Proc::gateway(
        &[worker.port],
        "m0Xq3yV0o3m4b7B0qkQ1l8b2fW0eCzB6r1tP5xY2nHg=",
    )
    .await;
    let mut client = McpClient::new(&gateway.url());
    client.initialize().await;
    for message in ["one", "two"] {
        client.call_tool("echo", json!({"message": message})).await;
    }
    let worker_url = format!("http://127.0.0.1:{}/metrics", worker.port);
    let gateway_url = format!("http://127.0.0.1:{}/metrics", gateway.port);
    let on_worker = scrape(&worker_url).await;
    let on_gateway = scrape(&gateway_url).await;
    let fixtures = |extra: Value| {
        let mut labels = json!({"family": "fixtures"});
        labels
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        labels
    };
    assert_eq!(
        sample(
            &on_worker,
            "octomesh_worker_tool_calls_total",
            fixtures(json!({"tool": "echo", "outcome": "ok"}))
        ),
        Some(2.0),
        "{on_worker:#?}"
    );
    assert_eq!(
        sample(
            &on_worker,
            "octomesh_worker_tool_call_duration_seconds_count",
            fixtures(json!({"tool": "echo"}))
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &on_worker,
            "octomesh_worker_calls_in_flight",
            fixtures(json!({}))
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &on_gateway,
            "octomesh_mcp_sessions_total",
            json!({"event": "started"})
        ),
        Some(1.0)
    );

    // Every metric the chart's Grafana dashboard queries is one these processes expose.
    let operator = octomesh_operator::observe::Metrics::default().render();
    let exposed: Vec<String> = on_worker
        .iter()
        .chain(&on_gateway)
        .filter_map(|sample| sample["name"].as_str().map(str::to_owned))
        .chain(
            operator
                .lines()
                .filter(|line| !line.starts_with('#'))
                .filter_map(|line| line.split(['{', ' ']).next().map(str::to_owned)),
        )
        .collect();
    let board: Value = serde_json::from_str(
        &std::fs::read_to_string(
            octomesh_tests::repo_root().join("charts/octomesh-mcp/dashboards/octomesh-mcp.json"),
        )
        .expect("the dashboard"),
    )
    .expect("the dashboard is JSON");
    let mut queried = 0;
    for target in board["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|panel| panel["targets"].as_array().expect("targets"))
    {
        let expr = target["expr"].as_str().expect("a query");
        for (start, _) in expr.match_indices("octomesh_") {
            let name: String = expr[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                exposed.contains(&name),
                "the dashboard queries `{name}`, which nothing exposes"
            );
            queried += 1;
        }
    }
    assert!(queried >= 10, "{queried}");
    gateway.kill().await;
    worker.kill().await;
}
