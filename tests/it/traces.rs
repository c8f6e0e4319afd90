//! Traces and logs across processes: `up --processes` (gateway, one process per worker family,
//! the platform) exporting to the team's real OTLP/gRPC sink, and the third-party collector rotel
//! accepting both OTLP transports.

use std::time::Duration;

use octomesh_tests::McpClient;
use octomesh_tests::oauth::sign_in;
use octomesh_tests::otlp::{Rotel, Span, SpanSink};
use octomesh_tests::process::{Proc, free_port};
use serde_json::{Value, json};

/// The caller's trace contexts (W3C examples with distinct ids).
const META_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const META_PARENT: &str = "b7ad6b7169203331";
const HEADER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const HEADER_PARENT: &str = "00f067aa0ba902b7";
const PASSWORD: &str = "trace-test-admin-pass-9f3k";
const SECRET_ARGUMENT: &str = "payload-that-must-not-be-traced";

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("octomesh-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_tool_call_is_one_trace_across_processes_and_no_secret_leaks() {
    let dir = scratch("tracing");
    let sink = SpanSink::start(&dir).await;
    let (port, platform_port) = (free_port(), free_port());
    let log = dir.join("up.log");
    // A long batch delay: spans reach the sink only because every process flushes on shutdown.
    let up = Proc::start_with_env(
        &[
            "up".into(),
            "--processes".into(),
            "--fixtures".into(),
            "--demo".into(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
            "--platform-listen".into(),
            format!("identity=127.0.0.1:{platform_port}"),
            "--data-dir".into(),
            dir.join("data").display().to_string(),
        ],
        port,
        "trace",
        &log,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &sink.endpoint()),
            ("OTEL_BSP_SCHEDULE_DELAY", "60000"),
            ("OCTOMESH_ADMIN_PASSWORD", PASSWORD),
            ("OCTOMESH_LOG_FORMAT", "json"),
        ],
    )
    .await;
    let issuer = format!("http://127.0.0.1:{platform_port}");
    let tokens = sign_in(&issuer, "admin", PASSWORD, Some("tenant:demo")).await;
    let access_token = tokens["access_token"].as_str().expect("an access token");
    let refresh_token = tokens["refresh_token"]
        .as_str()
        .unwrap_or("no-refresh-token");

    let mut client = McpClient::new(&format!("http://127.0.0.1:{port}/demo/mcp"));
    client.bearer = Some(access_token.to_owned());
    client.initialize().await;
    // 1. The caller's trace in `_meta.traceparent`.
    let models = client
        .request(
            "tools/call",
            json!({
                "name": "get_available_models",
                "arguments": {},
                "_meta": {"traceparent": format!("00-{META_TRACE}-{META_PARENT}-01")},
            }),
        )
        .await;
    assert_eq!(
        models.last()["result"]["isError"],
        false,
        "{}",
        models.last()
    );
    // 2. The caller's trace in the HTTP `traceparent` header.
    let id = client.next_id();
    let echoed = client
        .post_raw(
            json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                   "params": {"name": "echo", "arguments": {"message": SECRET_ARGUMENT}}})
            .to_string(),
            &[(
                "traceparent",
                &format!("00-{HEADER_TRACE}-{HEADER_PARENT}-01"),
            )],
        )
        .await;
    assert_eq!(
        echoed.last()["result"]["isError"],
        false,
        "{}",
        echoed.last()
    );
    // 3. A refused call.
    let unknown = client
        .request(
            "tools/call",
            json!({"name": "no_such_tool", "arguments": {}}),
        )
        .await;
    assert!(unknown.last()["error"].is_object(), "{}", unknown.last());

    drop(client);
    let status = up.terminate(Duration::from_secs(60)).await;
    assert!(status.success(), "up exited with {status}");
    let spans = sink.spans();

    the_tool_call_is_one_chain(&spans);
    the_header_parent_is_continued(&spans);
    the_refused_call_is_an_error_span(&spans);

    let exported = spans
        .iter()
        .map(|span| span.0.to_string())
        .collect::<String>();
    for (what, secret) in [
        ("the access token", access_token),
        ("the refresh token", refresh_token),
        ("the password", PASSWORD),
        ("a tool argument", SECRET_ARGUMENT),
    ] {
        assert!(!exported.contains(secret), "{what} was exported in a span");
    }

    let logged = std::fs::read_to_string(&log).expect("the log");
    for (what, secret) in [
        ("the access token", access_token),
        ("the refresh token", refresh_token),
        ("the password", PASSWORD),
    ] {
        assert!(
            !logged.contains(secret),
            "{what} appears in the trace-level log"
        );
    }
    log_lines_carry_the_trace_id(&logged);
    let _ = std::fs::remove_dir_all(&dir);
}

/// gateway server → gateway gRPC client → worker gRPC server → tool → HTTP client → platform.
fn the_tool_call_is_one_chain(spans: &[Span]) {
    let trace: Vec<&Span> = spans
        .iter()
        .filter(|span| span.trace_id() == META_TRACE)
        .collect();
    let find = |name: &str, kind: &str| -> &Span {
        trace
            .iter()
            .copied()
            .find(|span| span.name() == name && span.kind() == kind)
            .unwrap_or_else(|| panic!("no {kind} span `{name}` in the caller's trace: {trace:#?}"))
    };
    let request = find("tools/call get_available_models", "SPAN_KIND_SERVER");
    assert_eq!(
        request.parent_id(),
        META_PARENT,
        "the caller's span is the parent"
    );
    assert_eq!(request.service(), "octomesh-mcp-gateway");
    for (key, value) in [
        ("mcp.method.name", "tools/call"),
        ("gen_ai.operation.name", "execute_tool"),
        ("gen_ai.tool.name", "get_available_models"),
        ("octomesh.tenant", "demo"),
    ] {
        assert_eq!(request.attribute(key).as_deref(), Some(value), "{key}");
    }
    assert!(request.attribute("jsonrpc.request.id").is_some());
    assert!(request.attribute("mcp.session.id").is_some());

    let rpc = "octomesh.mcp.worker.v1.ToolWorker/CallTool";
    let client = find(rpc, "SPAN_KIND_CLIENT");
    assert_eq!(client.parent_id(), request.span_id());
    assert_eq!(client.attribute("rpc.system").as_deref(), Some("grpc"));
    let server = find(rpc, "SPAN_KIND_SERVER");
    assert_eq!(server.parent_id(), client.span_id());
    assert_eq!(server.service(), "octomesh-mcp-worker-ck");
    assert_eq!(
        server.attribute("rpc.grpc.status_code").as_deref(),
        Some("0")
    );
    let tool = find("execute_tool get_available_models", "SPAN_KIND_INTERNAL");
    assert_eq!(tool.parent_id(), server.span_id());
    assert_eq!(tool.service(), "octomesh-mcp-worker-ck");
    assert_eq!(
        tool.attribute("gen_ai.tool.call.arguments"),
        None,
        "arguments are not recorded by default"
    );
    let http = find("POST", "SPAN_KIND_CLIENT");
    assert_eq!(http.parent_id(), tool.span_id());
    assert_eq!(
        http.attribute("http.response.status_code").as_deref(),
        Some("200")
    );
    let platform = find("POST /tenants/{tenant}/GraphQL", "SPAN_KIND_SERVER");
    assert_eq!(platform.parent_id(), http.span_id());
    assert_eq!(platform.service(), "octomesh-asset-repository");
    assert_eq!(
        platform.attribute("octomesh.tenant").as_deref(),
        Some("demo")
    );
    assert_eq!(trace.len(), 6, "exactly the six hops: {trace:#?}");
}

fn the_header_parent_is_continued(spans: &[Span]) {
    let request = spans
        .iter()
        .find(|span| span.name() == "tools/call echo")
        .unwrap_or_else(|| panic!("no `tools/call echo` span: {spans:#?}"));
    assert_eq!(request.trace_id(), HEADER_TRACE);
    assert_eq!(request.parent_id(), HEADER_PARENT);
    let tool = spans
        .iter()
        .find(|span| span.name() == "execute_tool echo")
        .expect("the echo tool's span");
    assert_eq!(tool.trace_id(), HEADER_TRACE);
    assert_eq!(tool.service(), "octomesh-mcp-worker-fixtures");
}

fn the_refused_call_is_an_error_span(spans: &[Span]) {
    let refused = spans
        .iter()
        .find(|span| span.name() == "tools/call no_such_tool")
        .unwrap_or_else(|| panic!("no span for the refused call: {spans:#?}"));
    assert!(refused.is_error(), "{:?}", refused.0);
    assert_eq!(refused.attribute("error.type").as_deref(), Some("-32602"));
}

/// JSON log lines inside a request carry its trace id, in every process.
fn log_lines_carry_the_trace_id(logged: &str) {
    let lines: Vec<Value> = logged
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    assert!(lines.len() > 10, "the log is JSON lines:\n{logged:.2000}");
    let with_trace = lines
        .iter()
        .filter(|line| {
            line["spans"]
                .as_array()
                .is_some_and(|spans| spans.iter().any(|span| span["trace_id"] == META_TRACE))
        })
        .count();
    assert!(
        with_trace > 0,
        "no log line carries the trace id {META_TRACE}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotel_accepts_the_export_over_grpc_and_http() {
    let dir = scratch("rotel");
    let rotel = Rotel::start(&dir).await;
    // The HTTP run also records tool payloads (`OCTOMESH_TRACE_PAYLOADS`); the gRPC run does not.
    for (protocol, port, service, payloads) in [
        ("grpc", rotel.grpc_port, "octomesh-rotel-grpc", "false"),
        (
            "http/protobuf",
            rotel.http_port,
            "octomesh-rotel-http",
            "true",
        ),
    ] {
        let listen = free_port();
        let endpoint = format!("http://127.0.0.1:{port}");
        let up = Proc::start_with_env(
            &[
                "up".into(),
                "--fixtures".into(),
                "--no-auth".into(),
                "--listen".into(),
                format!("127.0.0.1:{listen}"),
                "--data-dir".into(),
                dir.join(protocol.replace('/', "-")).display().to_string(),
            ],
            listen,
            "warn",
            &dir.join("up.log"),
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
                ("OTEL_SERVICE_NAME", service),
                ("OCTOMESH_TRACE_PAYLOADS", payloads),
            ],
        )
        .await;
        let mut client = McpClient::new(&format!("http://127.0.0.1:{listen}/mcp"));
        client.initialize().await;
        client
            .call_tool("echo", json!({"message": "to rotel"}))
            .await;
        drop(client);
        let status = up.terminate(Duration::from_secs(60)).await;
        assert!(status.success(), "up exited with {status}");
    }
    // rotel logs what it received as it arrives; give its batch a moment.
    let mut log = String::new();
    for _ in 0..100 {
        log = rotel.log();
        if log.contains("Str(octomesh-rotel-grpc)") && log.contains("Str(octomesh-rotel-http)") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for service in ["octomesh-rotel-grpc", "octomesh-rotel-http"] {
        assert!(
            log.contains(&format!("service.name: Str({service})")),
            "rotel received nothing from {service}:\n{log}"
        );
    }
    assert!(
        log.matches("Name           : tools/call echo").count() >= 2,
        "{log}"
    );
    assert_eq!(
        log.matches("gen_ai.tool.call.arguments").count(),
        1,
        "arguments only from the run that asked for payloads:\n{log}"
    );
    assert!(log.contains(r#"{"message":"to rotel"}"#), "{log}");
    assert!(log.contains("gen_ai.tool.call.result"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}
