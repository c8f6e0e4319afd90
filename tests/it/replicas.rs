//! Two gateway processes that share a session key serve one session alternately.

use octomesh_tests::McpClient;
use octomesh_tests::client::first_text;
use octomesh_tests::process::Proc;
use serde_json::json;

const SHARED_KEY: &str = "q9Jm3yV0o3m4b7B0qkQ1l8b2fW0eCzB6r1tP5xY2nHg=";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_session_alternates_between_two_gateways_sharing_a_key() {
    let worker = Proc::worker("fixtures").await;
    let gateway_a = Proc::gateway(&[worker.port], SHARED_KEY).await;
    let gateway_b = Proc::gateway(&[worker.port], SHARED_KEY).await;
    let mut on_a = McpClient::new(&gateway_a.url());
    on_a.initialize().await;
    let mut on_b = McpClient::new(&gateway_b.url());
    on_b.session = on_a.session.clone();
    for round in 0..10 {
        let client = if round % 2 == 0 { &on_a } else { &on_b };
        let result = client
            .call_tool("echo", json!({"message": format!("round {round}")}))
            .await;
        assert_eq!(first_text(&result), format!("Echo: round {round}"));
    }
    // A gateway with another key does not know the session.
    let stranger = Proc::gateway(
        &[worker.port],
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    )
    .await;
    let mut on_stranger = McpClient::new(&stranger.url());
    on_stranger.session = on_a.session.clone();
    assert_eq!(
        on_stranger.request("tools/list", json!({})).await.status,
        404
    );
}
