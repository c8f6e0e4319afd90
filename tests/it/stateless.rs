//! The stateless 2026-07-28 revision: no session, headers mirror the body, per-request `_meta`.

use octomesh_tests::{McpClient, Reply, TestStack};
use serde_json::{Value, json};

const V2026: &str = "2026-07-28";

fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": V2026,
        "io.modelcontextprotocol/clientCapabilities": {},
    })
}

async fn modern(client: &McpClient, method: &str, name: Option<&str>, mut params: Value) -> Reply {
    params["_meta"] = meta();
    let body =
        json!({"jsonrpc": "2.0", "id": client.next_id(), "method": method, "params": params});
    let mut headers = vec![("mcp-protocol-version", V2026), ("mcp-method", method)];
    if let Some(name) = name {
        headers.push(("mcp-name", name));
    }
    client.post_raw(body.to_string(), &headers).await
}

#[tokio::test]
async fn discover_list_and_call_without_a_session() {
    let stack = TestStack::fixtures().await;
    let client = stack.client();
    let discovered = modern(&client, "server/discover", None, json!({})).await;
    assert_eq!(discovered.status, 200, "{discovered:?}");
    assert!(discovered.header("mcp-session-id").is_none());
    let result = &discovered.last()["result"];
    assert_eq!(result["resultType"], "complete");
    assert!(
        result["supportedVersions"]
            .as_array()
            .unwrap()
            .contains(&json!(V2026))
    );
    assert!(result["ttlMs"].is_u64() && result["cacheScope"].is_string());
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "octomesh-mcp"
    );

    let listed = modern(&client, "tools/list", None, json!({})).await;
    let result = &listed.last()["result"];
    assert!(result["tools"].as_array().unwrap().len() > 10);
    assert_eq!(result["resultType"], "complete");
    assert!(result["ttlMs"].is_u64() && result["cacheScope"].is_string());

    let called = modern(
        &client,
        "tools/call",
        Some("echo"),
        json!({"name": "echo", "arguments": {"message": "modern"}}),
    )
    .await;
    assert_eq!(
        called.last()["result"]["content"][0]["text"],
        "Echo: modern"
    );
    stack.stop().await;
}

#[tokio::test]
async fn headers_that_disagree_with_the_body_are_refused() {
    let stack = TestStack::fixtures().await;
    let client = stack.client();
    let wrong_name = modern(
        &client,
        "tools/call",
        Some("other"),
        json!({"name": "echo", "arguments": {"message": "x"}}),
    )
    .await;
    assert_eq!(wrong_name.status, 400);
    assert_eq!(wrong_name.last()["error"]["code"], -32020);
    let no_name = modern(
        &client,
        "tools/call",
        None,
        json!({"name": "echo", "arguments": {"message": "x"}}),
    )
    .await;
    assert_eq!(no_name.status, 400);
    assert_eq!(no_name.last()["error"]["code"], -32020);
    let body =
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta()}});
    let wrong_method = client
        .post_raw(
            body.to_string(),
            &[
                ("mcp-protocol-version", V2026),
                ("mcp-method", "prompts/list"),
            ],
        )
        .await;
    assert_eq!(wrong_method.last()["error"]["code"], -32020);
    stack.stop().await;
}

#[tokio::test]
async fn session_era_methods_and_unknown_versions_are_refused_in_modern_terms() {
    let stack = TestStack::fixtures().await;
    let client = stack.client();
    let ping = modern(&client, "ping", None, json!({})).await;
    assert_eq!(ping.status, 404);
    assert_eq!(ping.last()["error"]["code"], -32601);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
    let future = client
        .post_raw(
            body.to_string(),
            &[
                ("mcp-protocol-version", "2099-01-01"),
                ("mcp-method", "tools/list"),
            ],
        )
        .await;
    assert_eq!(future.status, 400);
    assert_eq!(future.last()["error"]["code"], -32022);
    assert_eq!(future.last()["error"]["data"]["requested"], "2099-01-01");
    let get = client
        .http
        .get(&client.url)
        .header("mcp-protocol-version", V2026)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
    stack.stop().await;
}
