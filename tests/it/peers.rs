//! The official third-party MCP clients against the real gateway and worker.

use octomesh_tests::TestStack;
use octomesh_tests::peers::{assert_ok, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_conformance_suite_passes_every_server_scenario() {
    let stack = TestStack::fixtures().await;
    let out_dir = std::env::temp_dir().join(format!("octomesh-conformance-{}", std::process::id()));
    let out = out_dir.to_string_lossy().into_owned();
    let run = run("", "tests/peers/conformance.sh", &[&stack.url(), &out], &[]).await;
    assert_ok("the conformance suite", &run);
    assert!(run.output.contains("32 passed, 0 failed"), "{}", run.output);
    let warned: Vec<&str> = run
        .output
        .lines()
        .filter(|line| line.contains(" warnings") && !line.contains(" 0 warnings"))
        .collect();
    assert!(warned.is_empty(), "scenarios with warnings: {warned:?}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_works_over_streamable_http_and_legacy_sse() {
    let stack = TestStack::fixtures().await;
    let http = run(
        "PEER_PY",
        "tests/peers/py_client.py",
        &[&stack.url(), "http"],
        &[],
    )
    .await;
    assert_ok("python SDK over Streamable HTTP", &http);
    let sse_url = format!("{}/sse", stack.base());
    let sse = run(
        "PEER_PY",
        "tests/peers/py_client.py",
        &[&sse_url, "sse"],
        &[],
    )
    .await;
    assert_ok("python SDK over legacy SSE", &sse);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_sdk_works_over_streamable_http_and_legacy_sse() {
    let stack = TestStack::fixtures().await;
    let http = run(
        "PEER_NODE",
        "tests/peers/ts_client.mjs",
        &[&stack.url(), "http"],
        &[],
    )
    .await;
    assert_ok("TypeScript SDK over Streamable HTTP", &http);
    let sse_url = format!("{}/sse", stack.base());
    let sse = run(
        "PEER_NODE",
        "tests/peers/ts_client.mjs",
        &[&sse_url, "sse"],
        &[],
    )
    .await;
    assert_ok("TypeScript SDK over legacy SSE", &sse);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mcp_inspector_cli_lists_and_calls_tools() {
    let stack = TestStack::fixtures().await;
    let inspector = run("", "tests/peers/inspector.sh", &[&stack.url()], &[]).await;
    assert_ok("MCP Inspector CLI", &inspector);
    stack.stop().await;
}

/// `up --demo` as a user runs it (the real binary, its own data directory, authentication on),
/// walked through by the official Python SDK, which signs in with OAuth on its own (metadata
/// discovery, registration, authorization code + PKCE) and checks every structured result against
/// its outputSchema. The server logs at trace level meanwhile; the log holds no token, password
/// or secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_walks_through_up_demo() {
    let data_dir = std::env::temp_dir().join(format!("octomesh-up-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let port = octomesh_tests::process::free_port();
    let args = [
        "up".to_owned(),
        "--demo".to_owned(),
        "--data-dir".to_owned(),
        data_dir.display().to_string(),
        "--listen".to_owned(),
        format!("127.0.0.1:{port}"),
        "--admin-password".to_owned(),
        "walkthrough-password".to_owned(),
        "--auth-mode".to_owned(),
        "required".to_owned(),
    ];
    let log = data_dir.with_extension("log");
    let server = octomesh_tests::process::Proc::start_logged(&args, port, "trace", &log).await;
    let url = format!("http://127.0.0.1:{port}/demo/mcp");
    let walk = run(
        "PEER_PY",
        "tests/peers/py_ck_walkthrough.py",
        &[&url, "admin", "walkthrough-password"],
        &[],
    )
    .await;
    drop(server);
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let service_secret =
        std::fs::read_to_string(data_dir.join("identity/clients/octo-platform-service.secret"))
            .unwrap_or_default();
    let _ = std::fs::remove_dir_all(&data_dir);
    let _ = std::fs::remove_file(&log);
    assert_ok("the up --demo walkthrough", &walk);
    assert!(
        logged.len() > 10_000,
        "the server logged at trace level ({} bytes)",
        logged.len()
    );
    let mut secrets: Vec<&str> = walk
        .output
        .lines()
        .find_map(|line| line.strip_prefix("SECRETS "))
        .expect("the walkthrough prints its tokens")
        .split_whitespace()
        .collect();
    secrets.push("walkthrough-password");
    secrets.push(service_secret.trim());
    for secret in secrets.iter().filter(|secret| secret.len() >= 8) {
        assert!(
            !logged.contains(secret),
            "a secret ({}…) reached the log",
            &secret[..6]
        );
    }
    assert!(!logged.contains("eyJ"), "no JWT reaches the log");
}
