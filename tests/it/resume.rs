//! Resumable SSE (SEP-1699): released or dropped streams resume with `Last-Event-ID`.

use std::time::Duration;

use futures_util::StreamExt;
use octomesh_tests::client::sse_messages;
use octomesh_tests::{McpClient, TestStack};
use serde_json::json;

/// The `id:` of the first SSE event in `text`.
fn first_event_id(text: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix("id: "))
        .expect("an event id")
        .to_owned()
}

async fn resume(client: &McpClient, last_event_id: &str) -> String {
    let resumed = tokio::time::timeout(Duration::from_secs(10), client.resume(last_event_id))
        .await
        .expect("the resumed stream ends with the response");
    assert_eq!(resumed.status, 200);
    resumed.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_stream_is_resumed_with_last_event_id() {
    let stack = TestStack::fixtures().await;
    let mut client = stack.client();
    client.initialize().await;
    let reply = client
        .request(
            "tools/call",
            json!({"name": "test_reconnection", "arguments": {}}),
        )
        .await;
    assert!(reply.is_sse());
    assert!(
        reply.body.starts_with("id: "),
        "a priming event first: {}",
        reply.body
    );
    assert!(reply.body.contains("retry: 500"), "{}", reply.body);
    assert!(
        reply.messages.is_empty(),
        "no response on the released stream: {}",
        reply.body
    );
    let last_id = reply
        .body
        .lines()
        .filter_map(|line| line.strip_prefix("id: "))
        .next_back()
        .unwrap()
        .to_owned();
    let resumed = resume(&client, &last_id).await;
    let messages = sse_messages(&resumed);
    assert_eq!(
        messages.last().unwrap()["result"]["content"][0]["text"],
        "Reconnection test completed successfully"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_loses_nothing() {
    let stack = TestStack::fixtures().await;
    let mut client = stack.client();
    client.initialize().await;
    let response = client
        .post_streaming(
            &json!({"jsonrpc": "2.0", "id": 77, "method": "tools/call", "params": {
                "name": "test_slow_operation", "arguments": {"millis": 600, "step_millis": 100},
                "_meta": {"progressToken": "t"}}}),
        )
        .await;
    let mut body = response.bytes_stream();
    let priming = body.next().await.unwrap().unwrap();
    let priming_id = first_event_id(&String::from_utf8_lossy(&priming));
    drop(body); // The client goes away mid-call.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let resumed = resume(&client, &priming_id).await;
    let messages = sse_messages(&resumed);
    let n_progress = messages
        .iter()
        .filter(|message| message["method"] == "notifications/progress")
        .count();
    assert_eq!(
        n_progress, 6,
        "every progress notification is replayed: {resumed}"
    );
    assert_eq!(messages.last().unwrap()["id"], 77);
    assert_eq!(
        messages.last().unwrap()["result"]["content"][0]["text"],
        "Worked for 600 ms."
    );
    stack.stop().await;
}
