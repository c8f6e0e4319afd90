//! Calling tools that answer in the original's envelope (`isSuccess`, `errorMessage`, payload).

use serde_json::Value;

use crate::McpClient;

/// Calls `tool`, which must succeed; its structured result (the envelope).
pub async fn ok(client: &McpClient, tool: &str, arguments: Value) -> Value {
    let result = client.call_tool(tool, arguments.clone()).await;
    assert_eq!(result["isError"], false, "{tool}({arguments}): {result:#}");
    let structured = result["structuredContent"].clone();
    assert_eq!(structured["isSuccess"], true, "{structured:#}");
    structured
}

/// Calls `tool`, which must fail; its error message.
pub async fn refused(client: &McpClient, tool: &str, arguments: Value) -> String {
    let result = client.call_tool(tool, arguments.clone()).await;
    assert_eq!(
        result["isError"], true,
        "{tool}({arguments}) should fail: {result:#}"
    );
    assert_eq!(
        result["structuredContent"]["isSuccess"], false,
        "{result:#}"
    );
    result["structuredContent"]["errorMessage"]
        .as_str()
        .expect("an error message")
        .to_owned()
}
