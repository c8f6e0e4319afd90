//! The platform as OctoMesh's own services: each at its own base URL, each with `/healthz` and
//! `reconfigureLogLevel` behind the identity service's tokens, a route of one service refused on
//! another's origin, and the discovery endpoint naming them all.

use octomesh_identity::clients::MCP_DEVICE_CLIENT;
use octomesh_mcp::platform::EmbeddedPlatform;
use octomesh_platform::{PlatformOptions, ServiceKind};
use octomesh_telemetry::log_levels::{LogLevel, level_of};
use octomesh_tests::oauth::sign_in;
use octomesh_tests::stack::TEST_ADMIN_PASSWORD;
use serde_json::Value;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("octomesh-services-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn platform(dir: &std::path::Path) -> EmbeddedPlatform {
    EmbeddedPlatform::start_all_local(&PlatformOptions {
        data_dir: dir.to_path_buf(),
        demo: true,
        admin_password: Some(TEST_ADMIN_PASSWORD.to_owned()),
        enforce_auth: true,
        mcp_url: Some("http://127.0.0.1:8080/mcp".to_owned()),
    })
    .await
    .expect("the platform starts")
}

async fn status(request: reqwest::RequestBuilder) -> (u16, String) {
    let response = request.send().await.expect("the service answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_service_answers_at_its_own_url_and_only_there() {
    let dir = scratch("origins");
    let platform = platform(&dir).await;
    let urls = platform.urls.clone();
    let http = reqwest::Client::new();
    let mut origins: Vec<&str> = ServiceKind::ALL.iter().map(|kind| urls.of(*kind)).collect();
    origins.sort();
    origins.dedup();
    assert_eq!(origins.len(), 6, "six base URLs: {urls:?}");
    for kind in ServiceKind::ALL {
        let (code, body) = status(http.get(format!("{}/healthz", urls.of(kind)))).await;
        assert_eq!((code, body.as_str()), (200, "ok"), "{kind}");
    }

    // (service, method, path, what its own origin answers without a token)
    let routes = [
        (
            ServiceKind::Identity,
            "GET",
            "/.well-known/openid-configuration",
            200,
        ),
        (ServiceKind::Identity, "GET", "/device", 200),
        (
            ServiceKind::AssetRepository,
            "POST",
            "/tenants/demo/GraphQL",
            401,
        ),
        (
            ServiceKind::AssetRepository,
            "GET",
            "/octosystem/v1/tenants",
            401,
        ),
        (ServiceKind::Discovery, "GET", "/demo/_configuration", 200),
    ];
    for (owner, method, path, own) in routes {
        for kind in ServiceKind::ALL {
            let url = format!("{}{path}", urls.of(kind));
            let request = match method {
                "GET" => http.get(&url),
                _ => http
                    .post(&url)
                    .json(&serde_json::json!({"query": "{__typename}"})),
            };
            let (code, body) = status(request).await;
            if kind == owner {
                assert_eq!(
                    code, own,
                    "{method} {path} on its own service {kind}: {body}"
                );
            } else {
                assert_eq!(code, 404, "{method} {path} of {owner} on {kind}: {body}");
                let message: Value = serde_json::from_str(&body).expect("a JSON 404");
                let message = message["message"].as_str().expect("a message");
                assert!(
                    message.contains(kind.title()) && message.contains("_configuration"),
                    "the 404 names the service and where to look: {message}"
                );
            }
        }
    }
    platform.stop().await.expect("the platform stops");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_discovery_endpoint_lists_every_service() {
    let dir = scratch("discovery");
    let platform = platform(&dir).await;
    let urls = platform.urls.clone();
    let http = reqwest::Client::new();
    let configuration: Value = http
        .get(format!("{}/demo/_configuration", urls.discovery))
        .send()
        .await
        .expect("discovery answers")
        .json()
        .await
        .expect("JSON");
    for (field, kind) in [
        ("issuer", ServiceKind::Identity),
        ("assetServices", ServiceKind::AssetRepository),
        ("botServices", ServiceKind::Bot),
        ("communicationServices", ServiceKind::Communication),
        ("reportingServices", ServiceKind::Reporting),
    ] {
        assert_eq!(
            configuration[field].as_str(),
            Some(format!("{}/", urls.of(kind)).as_str()),
            "{field}: {configuration}"
        );
    }
    assert_eq!(configuration["systemTenantId"], "octosystem");
    assert_eq!(configuration["mcpServices"], "http://127.0.0.1:8080/mcp/");
    // The URLs it names really are those services.
    let issuer = configuration["issuer"]
        .as_str()
        .unwrap()
        .trim_end_matches('/');
    let oidc: Value = http
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(oidc["issuer"], issuer);
    let (code, body) =
        status(http.get(format!("{}/Not_A_Tenant/_configuration", urls.discovery))).await;
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("not a tenant id"), "{body}");
    platform.stop().await.expect("the platform stops");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_reconfigures_its_log_level_for_an_admin_only() {
    let dir = scratch("log-levels");
    let platform = platform(&dir).await;
    let urls = platform.urls.clone();
    let identity = platform.identity().expect("in process");
    identity
        .users()
        .create(
            "viewer",
            "viewer-pass",
            "Viewer",
            None,
            &[],
            &["demo".to_owned()],
        )
        .expect("a demo-only user");
    let admin = sign_in(&urls.identity, "admin", TEST_ADMIN_PASSWORD, None).await;
    let admin = admin["access_token"].as_str().expect("a token").to_owned();
    let read_only = identity
        .issue_user_token(MCP_DEVICE_CLIENT, "admin", "octo_api.read_only", None)
        .expect("a read-only token");
    let demo_only = identity
        .issue_user_token(MCP_DEVICE_CLIENT, "viewer", "octo_api", None)
        .expect("a token of the demo tenant");
    let http = reqwest::Client::new();
    for (kind, min) in [
        (ServiceKind::Identity, LogLevel::Debug),
        (ServiceKind::AssetRepository, LogLevel::Trace),
        (ServiceKind::Bot, LogLevel::Info),
        (ServiceKind::Communication, LogLevel::Warn),
        (ServiceKind::Reporting, LogLevel::Error),
    ] {
        let base = urls.of(kind);
        let path = match kind {
            ServiceKind::Identity => "octosystem/v1/diagnostics/reconfigureLogLevel",
            _ => "system/v1/diagnostics/reconfigureLogLevel",
        };
        let url = format!(
            "{base}/{path}?loggerName=*&minLogLevel={}&maxLogLevel=Fatal",
            min.name()
        );
        let (code, body) = status(http.post(&url)).await;
        assert_eq!(code, 401, "{kind} without a token: {body}");
        let (code, body) = status(http.post(&url).bearer_auth(&read_only)).await;
        assert_eq!(code, 403, "{kind} with a read-only token: {body}");
        assert!(body.contains("octo_api"), "{body}");
        let (code, body) = status(http.post(&url).bearer_auth(&demo_only)).await;
        assert_eq!(code, 403, "{kind} with a token of another tenant: {body}");
        let (code, body) = status(
            http.post(format!("{base}/{path}?minLogLevel=Loud&maxLogLevel=Fatal"))
                .bearer_auth(&admin),
        )
        .await;
        assert_eq!(code, 400, "{kind}: {body}");
        assert!(
            body.contains("minLogLevel `Loud`") && body.contains("Trace"),
            "{body}"
        );
        let (code, body) = status(
            http.post(format!("{base}/{path}?minLogLevel=Error&maxLogLevel=Info"))
                .bearer_auth(&admin),
        )
        .await;
        assert_eq!(code, 400, "min above max on {kind}: {body}");
        let (code, body) = status(http.post(&url).bearer_auth(&admin)).await;
        assert_eq!(code, 204, "{kind} with an admin token: {body}");
        assert_eq!(
            level_of(kind.log_target()),
            Some((min, LogLevel::Fatal)),
            "{kind}'s logger now shows {} and up",
            min.name()
        );
    }
    platform.stop().await.expect("the platform stops");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_processes_and_a_worker_that_knows_only_the_platform_url() {
    use octomesh_tests::TestStack;
    use octomesh_tests::process::{Proc, free_port};
    let dir = scratch("processes");
    std::fs::create_dir_all(&dir).expect("the scratch directory");
    let ports: Vec<(ServiceKind, u16)> = ServiceKind::ALL
        .into_iter()
        .map(|kind| (kind, free_port()))
        .collect();
    let port = |kind: ServiceKind| ports.iter().find(|(k, _)| *k == kind).unwrap().1;
    // `octomesh-mcp platform`: every service in one process, each on its own port.
    let mut args: Vec<String> = vec!["platform".into()];
    for (kind, port) in &ports {
        args.extend(["--listen".into(), format!("{kind}=127.0.0.1:{port}")]);
    }
    args.extend([
        "--data-dir".into(),
        dir.join("data").display().to_string(),
        "--demo".into(),
    ]);
    let platform = Proc::start_with_env(
        &args,
        port(ServiceKind::Discovery),
        "info",
        &dir.join("platform.log"),
        &[("OCTOMESH_ADMIN_PASSWORD", TEST_ADMIN_PASSWORD)],
    )
    .await;
    let http = reqwest::Client::new();
    for (kind, port) in &ports {
        let (code, _) = status(http.get(format!("http://127.0.0.1:{port}/healthz"))).await;
        assert_eq!(code, 200, "{kind} listens on its own port");
    }

    // `platform --service bot`: one service alone, checking tokens against the identity service
    // of the other process.
    let bot_port = free_port();
    let bot = Proc::start(
        &[
            "platform".into(),
            "--service".into(),
            "bot".into(),
            "--listen".into(),
            format!("127.0.0.1:{bot_port}"),
            "--data-dir".into(),
            dir.join("bot-data").display().to_string(),
            "--identity-url".into(),
            format!("http://127.0.0.1:{}", port(ServiceKind::Identity)),
        ],
        bot_port,
    )
    .await;
    let issuer = format!("http://127.0.0.1:{}", port(ServiceKind::Identity));
    let admin = sign_in(&issuer, "admin", TEST_ADMIN_PASSWORD, None).await;
    let admin = admin["access_token"].as_str().expect("a token").to_owned();
    let diagnostics = format!(
        "http://127.0.0.1:{bot_port}/system/v1/diagnostics/reconfigureLogLevel?minLogLevel=Debug&maxLogLevel=Fatal"
    );
    assert_eq!(status(http.post(&diagnostics)).await.0, 401);
    assert_eq!(
        status(http.post(&diagnostics).bearer_auth(&admin)).await.0,
        204
    );

    // A worker given only the platform URL reads every backend from `_configuration`.
    let worker_port = free_port();
    let worker = Proc::start(
        &[
            "worker".into(),
            "--family".into(),
            "ck".into(),
            "--listen".into(),
            format!("127.0.0.1:{worker_port}"),
            "--platform-url".into(),
            format!("http://127.0.0.1:{}", port(ServiceKind::Discovery)),
        ],
        worker_port,
    )
    .await;
    let authority = issuer.clone();
    let stack = TestStack::remote(vec![format!("http://127.0.0.1:{worker_port}")], |config| {
        config.auth = Some(octomesh_gateway::AuthConfig::new(
            authority,
            octomesh_gateway::AuthMode::Required,
        ));
    })
    .await;
    let mut client = stack.client();
    client.bearer = Some(admin.clone());
    client.initialize().await;
    let models = client
        .call_tool(
            "get_available_models",
            serde_json::json!({"tenantId": "demo"}),
        )
        .await;
    assert_ne!(models["isError"], true, "{models}");
    assert!(models.to_string().contains("Demo"), "{models}");
    stack.stop().await;

    // A gateway given only the platform URL trusts the identity service it names.
    let gateway_port = free_port();
    let gateway = Proc::start(
        &[
            "gateway".into(),
            "--listen".into(),
            format!("127.0.0.1:{gateway_port}"),
            "--worker".into(),
            format!("http://127.0.0.1:{worker_port}"),
            "--platform-url".into(),
            format!("http://127.0.0.1:{}", port(ServiceKind::Discovery)),
        ],
        gateway_port,
    )
    .await;
    let metadata: Value = http
        .get(format!(
            "http://127.0.0.1:{gateway_port}/.well-known/oauth-protected-resource"
        ))
        .send()
        .await
        .expect("the gateway answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        metadata["authorization_servers"],
        serde_json::json!([issuer]),
        "{metadata}"
    );
    drop((gateway, worker, bot, platform));
    let _ = std::fs::remove_dir_all(dir);
}
