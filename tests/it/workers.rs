//! Worker failures, retries, cancellation, timeouts and draining, through the real gRPC hop.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use octomesh_tests::client::{first_text, sse_messages};
use octomesh_tests::process::Proc;
use octomesh_tests::{McpClient, TestStack};
use serde_json::json;

async fn initialized(stack: &TestStack) -> McpClient {
    let mut client = stack.client();
    client.initialize().await;
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_call_gives_a_clear_error_and_the_gateway_stays_up() {
    let worker = Proc::worker("fixtures").await;
    let stack = TestStack::remote(vec![format!("http://127.0.0.1:{}", worker.port)], |_| {}).await;
    let client = initialized(&stack).await;
    let call = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .call_tool("test_slow_write", json!({"millis": 5000}))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    worker.kill().await;
    let result = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("the call ends")
        .unwrap();
    assert_eq!(result["isError"], true);
    let text = first_text(&result);
    assert!(
        text.contains("stopped during the call")
            && text.contains("may or may not have taken effect"),
        "{text}"
    );
    // The gateway is still up, and says clearly that nothing serves the family now.
    assert_eq!(
        client.request("ping", json!({})).await.last()["result"],
        json!({})
    );
    let result = client
        .call_tool("echo", json!({"message": "anyone?"}))
        .await;
    assert_eq!(result["isError"], true);
    assert!(
        first_text(&result).contains("No worker of family `fixtures`"),
        "{result}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_calls_move_to_another_endpoint_when_theirs_dies() {
    let worker_a = Proc::worker("fixtures").await;
    let worker_b = Proc::worker("fixtures").await;
    let urls = vec![
        format!("http://127.0.0.1:{}", worker_a.port),
        format!("http://127.0.0.1:{}", worker_b.port),
    ];
    let stack = TestStack::remote(urls, |_| {}).await;
    let client = initialized(&stack).await;
    // Round robin puts one of two concurrent calls on each endpoint.
    let calls: Vec<_> = (0..2)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .call_tool("test_slow_operation", json!({"millis": 1500}))
                    .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    worker_a.kill().await;
    for call in calls {
        let result = tokio::time::timeout(Duration::from_secs(15), call)
            .await
            .expect("the call ends")
            .unwrap();
        assert_eq!(result["isError"], false, "{result}");
        assert_eq!(first_text(&result), "Worked for 1500 ms.");
    }
    // Later calls avoid the dead endpoint.
    for round in 0..4 {
        let result = client
            .call_tool("echo", json!({"message": round.to_string()}))
            .await;
        assert_eq!(result["isError"], false, "{result}");
    }
    drop(worker_b);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_cancelled_cancels_the_call_on_the_worker() {
    let registry = octomesh_tools_fixtures::registry();
    let metrics = registry.metrics();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let worker = tokio::spawn(octomesh_worker_runtime::grpc::serve(
        Arc::new(registry),
        listener,
        std::future::pending(),
    ));
    let stack = TestStack::remote(vec![format!("http://{address}")], |_| {}).await;
    let client = initialized(&stack).await;
    let request_id = 4242;
    let response = client
        .post_streaming(
            &json!({"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {
                "name": "test_slow_operation", "arguments": {"millis": 20000, "step_millis": 50},
                "_meta": {"progressToken": "slow"}}}),
        )
        .await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();
    // The stream opens with a priming event (resumability), then progress.
    let mut seen = String::new();
    while !seen.contains("notifications/progress") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), body.next())
            .await
            .expect("progress arrives")
            .expect("the stream is open")
            .expect("the chunk is readable");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let cancelled = client
        .post(&json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": request_id, "reason": "user"}}))
        .await;
    assert_eq!(cancelled.status, 202);
    let mut rest = String::new();
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = body.next().await {
            rest.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    })
    .await;
    assert!(
        drained.is_ok(),
        "the stream ends soon after the cancellation"
    );
    let last = sse_messages(&rest).pop().expect("a final message");
    assert_eq!(last["error"]["code"], -32800);
    let mut seen = false;
    for _ in 0..100 {
        if metrics.count("test_slow_operation", "cancelled") == 1 {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen, "the worker recorded the call as cancelled");
    stack.stop().await;
    worker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_past_the_deadline_is_stopped_with_a_clear_error() {
    let stack = TestStack::with(|config| config.call_timeout = Duration::from_secs(1)).await;
    let client = initialized(&stack).await;
    let result = client
        .call_tool("test_slow_operation", json!({"millis": 4000}))
        .await;
    assert_eq!(result["isError"], true);
    assert!(
        first_text(&result).contains("did not finish within 1.0 s"),
        "{result}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_running_tool_outlasts_the_call_timeout() {
    let stack = TestStack::with(|config| config.call_timeout = Duration::from_secs(1)).await;
    let client = initialized(&stack).await;
    let result = client
        .call_tool("test_long_job", json!({"millis": 1600}))
        .await;
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(first_text(&result), "Worked for 1600 ms.");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_calls_in_flight() {
    let stack = TestStack::fixtures().await;
    let client = initialized(&stack).await;
    let call = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .call_tool("test_slow_operation", json!({"millis": 800}))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let url = client.url.clone();
    stack.stop().await;
    let result = call.await.unwrap();
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(first_text(&result), "Worked for 800 ms.");
    // After shutdown nothing listens.
    assert!(reqwest::Client::new().post(url).send().await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_reaches_its_workers_over_a_private_unix_socket_it_removes_on_stop() {
    use std::os::unix::fs::PermissionsExt;
    let stack = TestStack::fixtures().await;
    let octomesh_proto::address::WorkerAddress::Unix(socket) = &stack.stack.worker_addresses[0]
    else {
        panic!("up's default worker transport is a Unix socket");
    };
    let dir = socket.parent().unwrap().to_path_buf();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "only this user may reach the workers");
    let client = initialized(&stack).await;
    assert_eq!(
        first_text(&client.call_tool("echo", json!({"message": "uds"})).await),
        "Echo: uds"
    );
    stack.stop().await;
    assert!(!dir.exists(), "the socket directory is removed on stop");
}
