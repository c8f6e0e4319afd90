//! The gateway as an OAuth resource server in front of the embedded identity service: metadata,
//! challenges, tokens from a real sign-in, and every kind of bad token.

use std::time::{SystemTime, UNIX_EPOCH};

use octomesh_gateway::AuthMode;
use octomesh_tests::client::first_text;
use octomesh_tests::oauth::{poll_until_signed_in, sign_in};
use octomesh_tests::peers::{assert_ok, run};
use octomesh_tests::stack::TEST_ADMIN_PASSWORD;
use octomesh_tests::{McpClient, TestStack};
use serde_json::{Value, json};

struct DataDir(std::path::PathBuf);

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn data_dir(name: &str) -> DataDir {
    let path = std::env::temp_dir().join(format!("octomesh-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    DataDir(path)
}

/// An `initialize` POST with `token`; the status and the `WWW-Authenticate` header.
async fn initialize(url: &str, token: Option<&str>) -> (u16, Option<String>) {
    let mut client = McpClient::new(url);
    client.bearer = token.map(str::to_owned);
    let reply = client
        .request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
        )
        .await;
    (
        reply.status,
        reply.header("www-authenticate").map(str::to_owned),
    )
}

/// A token signed with the platform's own key (read from its data directory), with `claims`.
fn forge(dir: &std::path::Path, kid: &str, claims: &Value) -> String {
    let der = std::fs::read(dir.join("identity/signing-key.der")).unwrap();
    let key = jsonwebtoken::EncodingKey::from_ec_der(&der);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_accepts_only_valid_tokens_for_the_routed_tenant() {
    let dir = data_dir("auth-gateway");
    let stack =
        TestStack::platform_with_auth(&dir.0, true, Some(AuthMode::Required), Some("octoAPI"))
            .await;
    let platform = stack.platform.as_ref().unwrap();
    let issuer = platform.urls.identity.clone();
    platform
        .identity()
        .expect("the identity service runs in this process")
        .users()
        .create(
            "operator",
            "operator-pass",
            "Olga Operator",
            None,
            &[],
            &["octosystem".to_owned()],
        )
        .unwrap();
    let base = stack.base();

    // No token: 401 pointing at the metadata, per route.
    let (status, challenge) = initialize(&stack.url(), None).await;
    assert_eq!(status, 401);
    let challenge = challenge.expect("a challenge");
    assert!(
        challenge.contains(&format!(
            "resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\""
        )),
        "{challenge}"
    );
    assert!(
        challenge.contains("scope=\"") && challenge.contains("octo_api"),
        "{challenge}"
    );
    let (_, tenant_challenge) = initialize(&format!("{base}/demo/mcp"), None).await;
    assert!(
        tenant_challenge
            .unwrap()
            .contains("/.well-known/oauth-protected-resource/demo/mcp")
    );
    let metadata: Value = reqwest::get(format!(
        "{base}/.well-known/oauth-protected-resource/demo/mcp"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(metadata["resource"], format!("{base}/demo/mcp"));
    assert_eq!(metadata["authorization_servers"], json!([issuer]));

    // A real sign-in: the admin may use every tenant.
    let tokens = sign_in(&issuer, "admin", TEST_ADMIN_PASSWORD, Some("tenant:demo")).await;
    let token = tokens["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();
    let mut demo = stack.tenant_client("demo");
    demo.bearer = Some(token.clone());
    demo.initialize().await;
    let echoed = demo
        .call_tool("Echo", json!({"message": "signed in"}))
        .await;
    assert_eq!(echoed["structuredContent"]["echo"], "signed in");
    let listed = demo
        .call_tool(
            "query_entities",
            json!({"ckTypeId": "Demo/Site", "limit": 1}),
        )
        .await;
    assert_eq!(
        listed["structuredContent"]["totalCount"],
        6,
        "{}",
        first_text(&listed)
    );

    // A user of another tenant: 403 with insufficient_scope.
    let operator = sign_in(&issuer, "operator", "operator-pass", None).await;
    let operator_token = operator["access_token"].as_str().unwrap();
    let (status, challenge) = initialize(&format!("{base}/demo/mcp"), Some(operator_token)).await;
    assert_eq!(status, 403);
    assert!(challenge.unwrap().contains("error=\"insufficient_scope\""));
    assert_eq!(
        initialize(&format!("{base}/octosystem/mcp"), Some(operator_token))
            .await
            .0,
        200
    );

    // Bad tokens: 401 with invalid_token.
    let kid = platform.identity().expect("in process").jwks()["keys"][0]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = |iss: &str, aud: &str, exp: u64| {
        json!({"iss": iss, "sub": "admin", "aud": [aud], "exp": exp, "iat": now() - 10, "nbf": now() - 10,
               "tenant_id": "demo", "allowed_tenants": "demo", "scope": "octo_api", "client_id": "x"})
    };
    let good = forge(&dir.0, &kid, &claims(&issuer, "octoAPI", now() + 600));
    assert_eq!(
        initialize(&stack.url(), Some(&good)).await.0,
        200,
        "the forging works when nothing is wrong"
    );
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let cases = [
        ("a tampered signature", tampered),
        (
            "an expired token",
            forge(&dir.0, &kid, &claims(&issuer, "octoAPI", now() - 3600)),
        ),
        (
            "another issuer",
            forge(
                &dir.0,
                &kid,
                &claims("http://evil.example", "octoAPI", now() + 600),
            ),
        ),
        (
            "another audience",
            forge(&dir.0, &kid, &claims(&issuer, "someone-else", now() + 600)),
        ),
        (
            "an unknown key",
            forge(
                &dir.0,
                "no-such-kid",
                &claims(&issuer, "octoAPI", now() + 600),
            ),
        ),
        ("not a JWT", "opaque-token".to_owned()),
    ];
    for (what, bad) in cases {
        let (status, challenge) = initialize(&stack.url(), Some(&bad)).await;
        assert_eq!(status, 401, "{what}");
        assert!(
            challenge.unwrap().contains("error=\"invalid_token\""),
            "{what}"
        );
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_flow_tools_sign_a_session_in_with_chromium_on_the_page() {
    let dir = data_dir("auth-device-tools");
    let stack = TestStack::platform_with_auth(&dir.0, true, Some(AuthMode::Optional), None).await;
    let mut client = stack.client();
    client.initialize().await;
    let query = json!({"ckTypeId": "Demo/Site", "tenantId": "demo", "limit": 1});

    let anonymous = client.call_tool("query_entities", query.clone()).await;
    assert_eq!(anonymous["isError"], true);
    assert!(
        first_text(&anonymous).starts_with("Not authenticated."),
        "{anonymous}"
    );
    let nobody = client.call_tool("whoami", json!({})).await;
    assert!(
        first_text(&nobody).starts_with("Not authenticated."),
        "{nobody}"
    );
    let nothing = client.call_tool("check_auth_status", json!({})).await;
    assert!(
        first_text(&nothing).contains("authenticate(tenantId) first"),
        "{nothing}"
    );

    let started = client
        .call_tool("authenticate", json!({"tenantId": "demo"}))
        .await;
    let started = started["structuredContent"].clone();
    assert_eq!(started["isSuccess"], true, "{started}");
    let user_code = started["userCode"].as_str().unwrap();
    let complete = started["verificationUriComplete"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(complete.contains(user_code));
    let pending =
        client.call_tool("check_auth_status", json!({})).await["structuredContent"].clone();
    assert_eq!(pending["isPending"], true, "{pending}");
    let retry_after = pending["retryAfterSeconds"].as_u64().unwrap();
    assert!((1..=5).contains(&retry_after));

    // A person approves in a real browser: headless Chromium on the verification page.
    let browser = run(
        "PEER_NODE",
        "tests/peers/device_login.mjs",
        &[&complete, "admin", TEST_ADMIN_PASSWORD],
        &[],
    )
    .await;
    assert_ok("headless Chromium on the device page", &browser);
    let done = poll_until_signed_in(&client, retry_after).await;
    assert_eq!(done["tenantId"], "demo");

    let me = client.call_tool("whoami", json!({})).await["structuredContent"].clone();
    assert_eq!(me["subject"], "admin");
    assert_eq!(me["tenantId"], "demo");
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("TenantManagement"))
    );
    let tenants = client.call_tool("list_tenants", json!({})).await["structuredContent"].clone();
    assert_eq!(tenants["tenants"][0], "demo");
    assert!(
        tenants["tenants"]
            .as_array()
            .unwrap()
            .contains(&json!("octosystem"))
    );

    let sites = client.call_tool("query_entities", query.clone()).await;
    assert_eq!(sites["structuredContent"]["totalCount"], 6, "{sites}");
    // Another tenant: the gateway exchanges the session's token (RFC 8693).
    let models = client
        .call_tool("get_available_models", json!({"tenantId": "octosystem"}))
        .await;
    assert_eq!(
        models["structuredContent"]["tenantId"], "octosystem",
        "{models}"
    );
    assert_eq!(models["isError"], false, "{models}");

    // Another session is not signed in.
    let mut other = stack.client();
    other.initialize().await;
    let refused = other.call_tool("query_entities", query).await;
    assert!(
        first_text(&refused).starts_with("Not authenticated."),
        "{refused}"
    );
    stack.stop().await;
}

/// The third-party provider, running until dropped.
struct OidcProvider {
    _child: tokio::process::Child,
    issuer: String,
}

async fn oidc_provider(access_ttl: u64) -> OidcProvider {
    let port = octomesh_tests::process::free_port();
    let root = octomesh_tests::repo_root();
    let line = format!(
        "source '{}' && exec \"$PEER_NODE\" '{}'",
        root.join(".ci/peers-env.sh").display(),
        root.join("tests/peers/oidc_provider.mjs").display()
    );
    let child = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(line)
        .env("PORT", port.to_string())
        .env("ACCESS_TTL", access_ttl.to_string())
        .env("MCP_RESOURCE", "http://127.0.0.1/mcp")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return OidcProvider {
                _child: child,
                issuer: format!("http://127.0.0.1:{port}"),
            };
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("oidc-provider did not start (run bash .ci/install-peers.sh)");
}

async fn approve_at_oidc(issuer: &str, user_code: &str) {
    let approved = run(
        "",
        "tests/peers/oidc_device_approve.sh",
        &[issuer, user_code, "alice"],
        &[],
    )
    .await;
    assert_ok("approving at oidc-provider", &approved);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_party_openid_provider_is_the_authority() {
    let oidc = oidc_provider(61).await;
    let issuer = oidc.issuer.clone();
    let stack = TestStack::with(|config| {
        config.auth = Some(octomesh_gateway::AuthConfig::new(
            issuer.clone(),
            AuthMode::Optional,
        ));
    })
    .await;
    let metadata: Value = reqwest::get(format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        stack.base()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(metadata["authorization_servers"], json!([issuer]));

    // A device flow straight at the provider: its RS256 JWT is accepted as a bearer token.
    let http = reqwest::Client::new();
    let started: Value = http
        .post(format!("{issuer}/device/auth"))
        .form(&[
            ("client_id", "octo-mcpServices-device"),
            ("scope", "openid offline_access"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    approve_at_oidc(&issuer, started["user_code"].as_str().unwrap()).await;
    let tokens: Value = http
        .post(format!("{issuer}/token"))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", "octo-mcpServices-device"),
            ("device_code", started["device_code"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().expect("a JWT access token");
    assert_eq!(initialize(&stack.url(), Some(access)).await.0, 200);
    assert_eq!(
        initialize(&stack.url(), Some("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"))
            .await
            .0,
        401
    );

    // The device-flow tools with the provider: sign in, whoami, renewal by refresh.
    let mut client = stack.client();
    client.initialize().await;
    let started = client
        .call_tool("authenticate", json!({"tenantId": "demo"}))
        .await["structuredContent"]
        .clone();
    assert_eq!(
        started["verificationUri"],
        format!("{issuer}/device"),
        "{started}"
    );
    approve_at_oidc(&issuer, started["userCode"].as_str().unwrap()).await;
    poll_until_signed_in(&client, 0).await;
    let before = client.call_tool("whoami", json!({})).await["structuredContent"].clone();
    assert_eq!(before["subject"], "alice", "{before}");
    // The token lives 61 s: within a minute of expiry, the next call renews it first.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let echoed = client
        .call_tool("echo", json!({"message": "renewed"}))
        .await;
    assert_eq!(first_text(&echoed), "Echo: renewed");
    let after = client.call_tool("whoami", json!({})).await["structuredContent"].clone();
    assert!(
        after["expiresAtUnix"].as_u64() > before["expiresAtUnix"].as_u64(),
        "the session's token was renewed: {before} → {after}"
    );
    stack.stop().await;
}

/// A Redis server of this test's own, on a free port, killed on drop.
struct RedisServer {
    _child: tokio::process::Child,
    port: u16,
}

async fn redis_server() -> RedisServer {
    let port = octomesh_tests::process::free_port();
    let child = tokio::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server is installed (bash .ci/install-peers.sh)");
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return RedisServer {
                _child: child,
                port,
            };
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("redis-server did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_sign_ins_through_redis() {
    let redis = redis_server().await;
    let redis_url = format!("redis://127.0.0.1:{}/2", redis.port);
    let dir = data_dir("auth-replicas");
    let key = octomesh_gateway::SessionKey::random();
    let (key_a, url_a) = (key.clone(), redis_url.clone());
    let first = TestStack::platform_with(
        &dir.0,
        true,
        Some(AuthMode::Optional),
        None,
        move |config| {
            config.session_key = key_a;
            config.token_store = Some(url_a);
        },
    )
    .await;
    let authority = first.platform.as_ref().unwrap().urls.identity.clone();
    let worker = first.stack.worker_addresses[0].to_string();
    let (key_b, url_b) = (key.clone(), redis_url.clone());
    let second = TestStack::remote(vec![worker], move |config| {
        config.session_key = key_b;
        config.token_store = Some(url_b);
        config.auth = Some(octomesh_gateway::AuthConfig::new(
            authority,
            AuthMode::Optional,
        ));
    })
    .await;

    // Sign in through the first replica.
    let mut through_first = first.client();
    through_first.initialize().await;
    let started = through_first
        .call_tool("authenticate", json!({"tenantId": "demo"}))
        .await["structuredContent"]
        .clone();
    let page = octomesh_tests::oauth::approve_device(
        started["verificationUriComplete"].as_str().unwrap(),
        "admin",
        TEST_ADMIN_PASSWORD,
    )
    .await;
    assert!(page.contains("Signed in as"), "{page}");
    poll_until_signed_in(
        &through_first,
        started["pollIntervalSeconds"].as_u64().unwrap(),
    )
    .await;

    // Call through the second replica with the same session.
    let mut through_second = second.client();
    through_second.session = through_first.session.clone();
    through_second.protocol_version = through_first.protocol_version.clone();
    let me = through_second.call_tool("whoami", json!({})).await["structuredContent"].clone();
    assert_eq!(me["subject"], "admin", "{me}");
    let sites = through_second
        .call_tool(
            "query_entities",
            json!({"ckTypeId": "Demo/Site", "tenantId": "demo", "limit": 1}),
        )
        .await;
    assert_eq!(sites["structuredContent"]["totalCount"], 6, "{sites}");

    // What Redis holds is sealed.
    let keys = std::process::Command::new("redis-cli")
        .args([
            "-p",
            &redis.port.to_string(),
            "-n",
            "2",
            "--scan",
            "--pattern",
            "octomesh:*",
        ])
        .output()
        .unwrap();
    let keys = String::from_utf8_lossy(&keys.stdout).to_string();
    assert!(keys.contains(":home"), "{keys}");
    for key in keys.lines() {
        let value = std::process::Command::new("redis-cli")
            .args([
                "-p",
                &redis.port.to_string(),
                "-n",
                "2",
                "--raw",
                "GET",
                key,
            ])
            .output()
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&value.stdout).contains("eyJ"),
            "{key} holds a token in the clear"
        );
    }
    second.stop().await;
    first.stop().await;
}

/// Every gateway tool in every sign-in state, through the harness, which checks each result
/// against the tool's `outputSchema` (or the error envelope): nobody signed in, a sign-in pending,
/// the admin signed in with the device flow (an account without an email: `whoami` once answered
/// `email: null` against a string schema, which the Python SDK refuses), and a service token
/// with no optional claims at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_gateway_tool_answers_within_its_schema_in_every_sign_in_state() {
    let dir = data_dir("auth-schemas");
    let stack = TestStack::platform_with_auth(&dir.0, true, Some(AuthMode::Optional), None).await;
    let mut client = stack.client();
    client.initialize().await;
    let catalog = |client: McpClient| async move {
        let risk = client.call_tool("get_tool_risk_metadata", json!({})).await;
        assert_eq!(risk["isError"], false, "{risk}");
        let listed = client.call_tool("list_available_tools", json!({})).await;
        let tools = listed["structuredContent"]["tools"].as_array().unwrap();
        for tool in tools {
            let name = tool["name"].as_str().unwrap();
            let details = client
                .call_tool("get_tool_details", json!({"toolName": name}))
                .await;
            assert_eq!(details["isError"], false, "{details}");
        }
        for (arguments, is_error) in [
            (json!({"category": "gateway"}), false),
            (json!({"category": "nonsense"}), true),
        ] {
            let answer = client.call_tool("list_available_tools", arguments).await;
            assert_eq!(answer["isError"], is_error, "{answer}");
        }
        for range in ["hour", "all", "fortnight"] {
            let stats = client
                .call_tool("get_tool_statistics", json!({"timeRange": range}))
                .await;
            assert_eq!(stats["isError"], range == "fortnight", "{stats}");
        }
        for (tool, parameters, is_error) in [
            ("Echo", r#"{"message": "x"}"#, false),
            ("Echo", r#"{"message": 1}"#, false),
            ("Echo", "not json", false),
            ("authenticate", "{}", false),
            ("no_such_tool", "{}", true),
        ] {
            let verdict = client
                .call_tool(
                    "validate_tool_parameters",
                    json!({"toolName": tool, "parameters": parameters}),
                )
                .await;
            assert_eq!(verdict["isError"], is_error, "{verdict}");
        }
    };

    // Nobody signed in: the refusals carry the envelope.
    for tool in ["whoami", "list_tenants", "check_auth_status"] {
        let refused = client.call_tool(tool, json!({})).await;
        assert_eq!(refused["isError"], true, "{refused}");
    }
    catalog(client.clone()).await;

    // Pending, then the admin signed in with the device flow.
    let started = client
        .call_tool("authenticate", json!({"tenantId": "demo"}))
        .await["structuredContent"]
        .clone();
    let pending =
        client.call_tool("check_auth_status", json!({})).await["structuredContent"].clone();
    assert_eq!(pending["isPending"], true, "{pending}");
    let page = octomesh_tests::oauth::approve_device(
        started["verificationUriComplete"].as_str().unwrap(),
        "admin",
        TEST_ADMIN_PASSWORD,
    )
    .await;
    assert!(page.contains("Signed in as"), "{page}");
    poll_until_signed_in(&client, started["pollIntervalSeconds"].as_u64().unwrap()).await;
    let me = client.call_tool("whoami", json!({})).await;
    let me = &me["structuredContent"];
    assert_eq!(me["subject"], "admin", "{me}");
    assert!(
        me.get("email").is_none(),
        "an absent email is omitted: {me}"
    );
    assert!(me["secondsLeft"].as_u64().unwrap() > 0, "{me}");
    let tenants = client.call_tool("list_tenants", json!({})).await;
    assert_eq!(tenants["structuredContent"]["tenants"][0], "demo");
    catalog(client.clone()).await;

    // A service token: no subject, name, email or tenant.
    let platform = stack.platform.as_ref().unwrap();
    let kid = platform.identity().expect("in process").jwks()["keys"][0]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = json!({"iss": platform.urls.identity, "exp": now() + 600, "iat": now() - 10,
                        "scope": "octo_api", "client_id": "a-service"});
    let mut service = stack.client();
    service.bearer = Some(forge(&dir.0, &kid, &claims));
    service.initialize().await;
    let me = service.call_tool("whoami", json!({})).await;
    let me = &me["structuredContent"];
    assert_eq!(me["isSuccess"], true, "{me}");
    for absent in ["subject", "name", "email", "tenantId"] {
        assert!(me.get(absent).is_none(), "{absent} is omitted: {me}");
    }
    let tenants = service.call_tool("list_tenants", json!({})).await;
    assert_eq!(tenants["structuredContent"]["count"], 0, "{tenants}");
    stack.stop().await;
}
