//! Reporting switched per tenant through MCP, at the reporting service's own URL: on, off only
//! with `confirm`, the service's status agreeing, and another tenant's switch refused.

use octomesh_gateway::AuthMode;
use octomesh_tests::TestStack;
use octomesh_tests::oauth::sign_in;
use octomesh_tests::stack::TEST_ADMIN_PASSWORD;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reporting_is_switched_per_tenant_by_its_own_service() {
    let dir = std::env::temp_dir().join(format!("octomesh-it-reporting-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let stack = TestStack::platform_with_auth(&dir, true, Some(AuthMode::Required), None).await;
    let platform = stack.platform.as_ref().unwrap();
    let issuer = platform.urls.identity.clone();
    let reporting = platform.urls.reporting.clone();
    stack.add_user("viewer", "viewer-pass", "demo");
    let tokens = sign_in(&issuer, "admin", TEST_ADMIN_PASSWORD, Some("tenant:demo")).await;
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let mut admin = stack.tenant_client("demo");
    admin.bearer = Some(token.clone());
    admin.initialize().await;
    let status = || async {
        let answer: Value = reqwest::Client::new()
            .get(format!("{reporting}/demo/v1/reporting/status"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["enabled"].clone()
    };
    assert_eq!(status().await, false);
    let models = || async {
        admin.call_tool("get_available_models", json!({})).await["structuredContent"].to_string()
    };
    assert!(
        !models().await.contains("System.Reporting"),
        "not before reporting is on"
    );

    let enabled = admin.call_tool("enable_reporting", json!({})).await;
    let answer = &enabled["structuredContent"];
    assert_eq!(answer["isSuccess"], true, "{enabled}");
    assert_eq!(answer["enabled"], true);
    assert_eq!(answer["tenantId"], "demo");
    assert_eq!(answer["message"], "Reporting enabled for tenant 'demo'.");
    assert_eq!(status().await, true);
    assert!(
        models().await.contains("System.Reporting-1.0.0"),
        "enabling installs the reporting model: {}",
        models().await
    );
    // Enabling again changes nothing.
    let again = admin.call_tool("enable_reporting", json!({})).await;
    assert_eq!(again["structuredContent"]["isSuccess"], true, "{again}");

    let unconfirmed = admin.call_tool("disable_reporting", json!({})).await;
    assert_eq!(unconfirmed["isError"], true, "{unconfirmed}");
    assert_eq!(status().await, true, "nothing was done");
    let disabled = admin
        .call_tool("disable_reporting", json!({"confirm": true}))
        .await;
    assert_eq!(
        disabled["structuredContent"]["enabled"], false,
        "{disabled}"
    );
    assert_eq!(status().await, false);

    let viewer = stack.signed_in("viewer", "viewer-pass", "demo").await;
    let elsewhere = viewer
        .call_tool("enable_reporting", json!({"tenantId": "octosystem"}))
        .await;
    assert_eq!(elsewhere["isError"], true, "{elsewhere}");
    stack.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
