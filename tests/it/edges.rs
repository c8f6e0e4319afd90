//! Protocol edge cases over plain HTTP: each gets the status and error the spec names.

use octomesh_tests::client::first_text;
use octomesh_tests::{McpClient, TestStack};
use serde_json::json;

#[tokio::test]
async fn malformed_json_is_a_parse_error() {
    let stack = TestStack::fixtures().await;
    let mut client = stack.client();
    client.initialize().await;
    let reply = client.post_raw("{not json", &[]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.last()["error"]["code"], -32700);
    stack.stop().await;
}

#[tokio::test]
async fn an_unknown_method_is_method_not_found() {
    let stack = TestStack::fixtures().await;
    let mut client = stack.client();
    client.initialize().await;
    let reply = client.request("tools/explode", json!({})).await;
    assert_eq!(reply.last()["error"]["code"], -32601);
    assert!(
        reply.last()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tools/explode")
    );
    stack.stop().await;
}

#[tokio::test]
async fn bad_params_name_the_field() {
    let stack = TestStack::fixtures().await;
    let mut client = stack.client();
    client.initialize().await;
    let reply = client.request("tools/call", json!({"arguments": {}})).await;
    assert_eq!(reply.last()["error"]["code"], -32602);
    assert!(
        reply.last()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`name`")
    );
    let reply = client
        .request("tools/call", json!({"name": "no_such_tool"}))
        .await;
    assert_eq!(reply.last()["error"]["code"], -32602);
    assert!(
        reply.last()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no_such_tool")
    );
    // Tool arguments of the wrong type: a tool error that names the field and the expectation.
    let result = client.call_tool("echo", json!({"message": 5})).await;
    assert_eq!(result["isError"], true);
    let text = first_text(&result);
    assert!(
        text.contains("at `message`") && text.contains("expected a string"),
        "{text}"
    );
    let result = client
        .call_tool("test_slow_operation", json!({"millis": 1, "bogus": 1}))
        .await;
    assert!(
        first_text(&result).contains("unknown field `bogus`"),
        "{result}"
    );
    stack.stop().await;
}

#[tokio::test]
async fn missing_unknown_and_ended_sessions_get_400_and_404() {
    let stack = TestStack::fixtures().await;
    let anonymous = stack.client();
    let reply = anonymous.request("tools/list", json!({})).await;
    assert_eq!(reply.status, 400, "{reply:?}");
    let mut forged = stack.client();
    forged.session = Some("bm90LWEtc2Vzc2lvbi1pZC1hdC1hbGwtbm90LWEtc2Vzc2lvbi1pZA".into());
    assert_eq!(forged.request("tools/list", json!({})).await.status, 404);
    let mut client = stack.client();
    client.initialize().await;
    assert_eq!(client.request("tools/list", json!({})).await.status, 200);
    let deleted = client
        .http
        .delete(&client.url)
        .header("mcp-session-id", client.session.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    assert_eq!(client.request("tools/list", json!({})).await.status, 404);
    stack.stop().await;
}

#[tokio::test]
async fn an_unsupported_protocol_version_is_400() {
    let stack = TestStack::fixtures().await;
    let mut client = stack.client();
    client.initialize().await;
    client.protocol_version = "1999-01-01".into();
    let reply = client.request("tools/list", json!({})).await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("1999-01-01"), "{}", reply.body);
    // Older revisions on a newer session are fine (the conformance suite does this).
    client.protocol_version = "2025-03-26".into();
    assert_eq!(client.request("tools/list", json!({})).await.status, 200);
    stack.stop().await;
}

#[tokio::test]
async fn initialize_negotiates_a_version_we_speak() {
    let stack = TestStack::fixtures().await;
    for (asked, agreed) in [
        ("2025-06-18", "2025-06-18"),
        ("2025-03-26", "2025-03-26"),
        ("2030-01-01", "2025-11-25"),
    ] {
        let mut client = stack.client();
        client.protocol_version = asked.into();
        let result = client.initialize().await;
        assert_eq!(result["protocolVersion"], agreed);
    }
    stack.stop().await;
}

#[tokio::test]
async fn a_foreign_origin_or_host_is_403() {
    let stack = TestStack::fixtures().await;
    let client = stack.client();
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}})
    .to_string();
    let reply = client
        .post_raw(body.clone(), &[("origin", "http://evil.example.com")])
        .await;
    assert_eq!(reply.status, 403);
    let reply = client
        .post_raw(body.clone(), &[("host", "evil.example.com")])
        .await;
    assert_eq!(reply.status, 403);
    let reply = client
        .post_raw(body, &[("origin", "http://localhost:5173")])
        .await;
    assert_eq!(reply.status, 200);
    stack.stop().await;
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let stack = TestStack::with(|config| config.max_body_bytes = 64 * 1024).await;
    let mut client = stack.client();
    client.initialize().await;
    let message = "x".repeat(100 * 1024);
    let body = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
        "params": {"name": "echo", "arguments": {"message": message}}});
    let reply = client.post(&body).await;
    assert_eq!(reply.status, 413);
    // Under the limit the same call works.
    let result = client
        .call_tool("echo", json!({"message": "x".repeat(1000)}))
        .await;
    assert_eq!(result["isError"], false);
    stack.stop().await;
}

#[tokio::test]
async fn a_high_risk_tool_refuses_without_confirm_and_runs_with_it() {
    let stack = TestStack::fixtures().await;
    let mut client = stack.client();
    client.initialize().await;
    let refused = client
        .call_tool("test_destructive_action", json!({"target": "plant-7"}))
        .await;
    assert_eq!(refused["isError"], true);
    let text = first_text(&refused);
    assert!(
        text.contains("\"confirm\": true") && text.contains("Nothing was done"),
        "{text}"
    );
    let refused = client
        .call_tool(
            "test_destructive_action",
            json!({"target": "plant-7", "confirm": "yes"}),
        )
        .await;
    assert_eq!(refused["isError"], true);
    let done = client
        .call_tool(
            "test_destructive_action",
            json!({"target": "plant-7", "confirm": true}),
        )
        .await;
    assert_eq!(done["isError"], false);
    assert_eq!(first_text(&done), "Destroyed `plant-7`.");
    stack.stop().await;
}

#[tokio::test]
async fn tools_carry_risk_metadata_and_annotations() {
    let stack = TestStack::fixtures().await;
    let mut client = stack.client();
    client.initialize().await;
    let tools = client.request("tools/list", json!({})).await.last()["result"]["tools"].clone();
    let destructive = tools
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["name"] == "test_destructive_action")
        .unwrap();
    assert_eq!(destructive["_meta"]["io.octomesh/risk"], "High");
    assert_eq!(destructive["annotations"]["destructiveHint"], true);
    assert_eq!(destructive["annotations"]["readOnlyHint"], false);
    let metadata = client.call_tool("get_tool_risk_metadata", json!({})).await;
    let structured = &metadata["structuredContent"];
    assert_eq!(structured["riskByTool"]["test_destructive_action"], "High");
    assert_eq!(structured["riskByTool"]["echo"], "Low");
    assert_eq!(
        structured["nonDefaultRiskByTool"]["test_destructive_action"],
        "High"
    );
    assert!(structured["nonDefaultRiskByTool"].get("echo").is_none());
    stack.stop().await;
}

#[tokio::test]
async fn tools_list_pages_are_deterministic_and_cover_every_tool() {
    let stack = TestStack::with(|config| config.tools_page_size = 4).await;
    let mut client = stack.client();
    client.initialize().await;
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let params = match &cursor {
            Some(cursor) => json!({"cursor": cursor}),
            None => json!({}),
        };
        let result = client.request("tools/list", params).await.last()["result"].clone();
        let page = result["tools"].as_array().unwrap();
        assert!(page.len() <= 4);
        names.extend(
            page.iter()
                .map(|tool| tool["name"].as_str().unwrap().to_owned()),
        );
        match result.get("nextCursor").and_then(|cursor| cursor.as_str()) {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted, "pages come in name order with no duplicates");
    assert!(
        names.contains(&"echo".to_owned()) && names.contains(&"get_tool_risk_metadata".to_owned())
    );
    let reply = client
        .request("tools/list", json!({"cursor": "not-a-cursor"}))
        .await;
    assert_eq!(reply.last()["error"]["code"], -32602);
    stack.stop().await;
}

#[tokio::test]
async fn progress_is_streamed_only_when_asked_for() {
    let stack = TestStack::fixtures().await;
    let mut client = stack.client();
    client.initialize().await;
    let with_token = client
        .request("tools/call", json!({"name": "test_tool_with_progress", "arguments": {}, "_meta": {"progressToken": "p-1"}}))
        .await;
    assert!(with_token.is_sse());
    let progress: Vec<f64> = with_token
        .messages
        .iter()
        .filter(|message| message["method"] == "notifications/progress")
        .map(|message| {
            assert_eq!(message["params"]["progressToken"], "p-1");
            message["params"]["progress"].as_f64().unwrap()
        })
        .collect();
    assert_eq!(progress, vec![0.0, 50.0, 100.0]);
    assert_eq!(with_token.last()["result"]["isError"], false);
    let without = client
        .request(
            "tools/call",
            json!({"name": "test_tool_with_progress", "arguments": {}}),
        )
        .await;
    assert!(!without.is_sse(), "no progress token: a plain JSON answer");
    assert_eq!(without.messages.len(), 1);
    stack.stop().await;
}

#[tokio::test]
async fn log_messages_follow_the_session_level() {
    let stack = TestStack::fixtures().await;
    let mut client = stack.client();
    client.initialize().await;
    let logged = client
        .request(
            "tools/call",
            json!({"name": "test_tool_with_logging", "arguments": {}}),
        )
        .await;
    let n_logs = |reply: &octomesh_tests::Reply| {
        reply
            .messages
            .iter()
            .filter(|message| message["method"] == "notifications/message")
            .count()
    };
    assert_eq!(n_logs(&logged), 3);
    let set = client
        .request("logging/setLevel", json!({"level": "warning"}))
        .await;
    assert_eq!(set.last()["result"], json!({}));
    let quiet = client
        .request(
            "tools/call",
            json!({"name": "test_tool_with_logging", "arguments": {}}),
        )
        .await;
    assert_eq!(n_logs(&quiet), 0);
    let bad = client
        .request("logging/setLevel", json!({"level": "loud"}))
        .await;
    assert_eq!(bad.last()["error"]["code"], -32602);
    stack.stop().await;
}

#[tokio::test]
async fn a_tenant_route_is_served_and_a_bad_tenant_is_404() {
    let stack = TestStack::fixtures().await;
    let mut client = McpClient::new(&format!("{}/plant-a_1/mcp", stack.base()));
    client.initialize().await;
    let result = client.call_tool("echo", json!({"message": "tenant"})).await;
    assert_eq!(first_text(&result), "Echo: tenant");
    let bad = McpClient::new(&format!("{}/bad.tenant/mcp", stack.base()));
    assert_eq!(bad.request("ping", json!({})).await.status, 404);
    stack.stop().await;
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let stack = TestStack::fixtures().await;
    let http = reqwest::Client::new();
    let healthz = http
        .get(format!("{}/healthz", stack.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(healthz.status(), 200);
    let readyz = http
        .get(format!("{}/readyz", stack.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(readyz.status(), 200);
    stack.stop().await;
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_served_too() {
    let stack = TestStack::fixtures().await;
    let http2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let response = http2
        .post(stack.url())
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "h2", "version": "1"}}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("mcp-session-id"));
    stack.stop().await;
}
