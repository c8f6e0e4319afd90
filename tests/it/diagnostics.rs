//! `reconfigure_log_level` through MCP: each of the platform's services, at its own base URL,
//! changes its own log level; bad names are refused naming the field; a caller without access to
//! the system tenant is refused by the service.

use octomesh_gateway::AuthMode;
use octomesh_platform::ServiceKind;
use octomesh_telemetry::log_levels::{LogLevel, level_of};
use octomesh_tests::TestStack;
use octomesh_tests::stack::TEST_ADMIN_PASSWORD;
use serde_json::{Value, json};

fn error_text(result: &Value) -> String {
    assert_eq!(result["isError"], true, "{result}");
    result["structuredContent"]["errorMessage"]
        .as_str()
        .expect("an error message")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconfigure_log_level_reaches_each_service_at_its_own_url() {
    let dir = std::env::temp_dir().join(format!("octomesh-it-log-level-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let stack = TestStack::platform_with_auth(&dir, true, Some(AuthMode::Required), None).await;
    stack.add_user("viewer", "viewer-pass", "demo");
    let admin = stack.signed_in("admin", TEST_ADMIN_PASSWORD, "demo").await;

    for (service, kind, min) in [
        ("Identity", ServiceKind::Identity, json!("Debug")),
        ("assetrepository", ServiceKind::AssetRepository, json!(0)),
        ("communication", ServiceKind::Communication, json!("warn")),
        ("Reporting", ServiceKind::Reporting, json!(4)),
        ("BOT", ServiceKind::Bot, json!("Info")),
    ] {
        let result = admin
            .call_tool(
                "reconfigure_log_level",
                json!({"serviceName": service, "loggerName": "*", "minLogLevel": min,
                       "maxLogLevel": "Fatal"}),
            )
            .await;
        let answer = &result["structuredContent"];
        assert_eq!(answer["isSuccess"], true, "{service}: {result}");
        let level = answer["minLogLevel"].as_str().unwrap();
        assert_eq!(
            answer["message"],
            format!(
                "Log level for '*' on '{}' set to [{level}..Fatal].",
                answer["serviceName"].as_str().unwrap()
            )
        );
        let expected = LogLevel::parse(level).unwrap();
        assert_eq!(
            level_of(kind.log_target()),
            Some((expected, LogLevel::Fatal)),
            "{service} changed its own level, at its own URL"
        );
        match kind {
            ServiceKind::Bot => assert!(answer.get("tenantId").is_none(), "{answer}"),
            _ => assert_eq!(answer["tenantId"], "demo"),
        }
    }

    let unknown = admin
        .call_tool(
            "reconfigure_log_level",
            json!({"serviceName": "Mail", "loggerName": "*", "minLogLevel": "Info", "maxLogLevel": "Fatal"}),
        )
        .await;
    assert_eq!(
        error_text(&unknown),
        "Unknown serviceName 'Mail'. Allowed: Identity, AssetRepository, Communication, Reporting, Bot."
    );
    let loud = admin
        .call_tool(
            "reconfigure_log_level",
            json!({"serviceName": "Bot", "loggerName": "*", "minLogLevel": "Loud", "maxLogLevel": "Fatal"}),
        )
        .await;
    let text = error_text(&loud);
    assert!(
        text.contains("`minLogLevel`") && text.contains("Trace, Debug"),
        "{text}"
    );
    let inverted = admin
        .call_tool(
            "reconfigure_log_level",
            json!({"serviceName": "Bot", "loggerName": "*", "minLogLevel": "Error", "maxLogLevel": "Info"}),
        )
        .await;
    let text = error_text(&inverted);
    assert!(
        text.contains("minLogLevel Error") && text.contains("min ≤ max"),
        "{text}"
    );

    // A user of the demo tenant alone may not touch a service's system-wide settings.
    let viewer = stack.signed_in("viewer", "viewer-pass", "demo").await;
    let refused = viewer
        .call_tool(
            "reconfigure_log_level",
            json!({"serviceName": "Reporting", "loggerName": "*", "minLogLevel": "Trace", "maxLogLevel": "Fatal"}),
        )
        .await;
    let text = error_text(&refused);
    assert!(text.contains("not for tenant `octosystem`"), "{text}");
    let other_tenant = viewer
        .call_tool(
            "reconfigure_log_level",
            json!({"serviceName": "Identity", "loggerName": "*", "minLogLevel": "Trace",
                   "maxLogLevel": "Fatal", "tenantId": "octosystem"}),
        )
        .await;
    assert_eq!(other_tenant["isError"], true, "{other_tenant}");
    assert_eq!(
        level_of(ServiceKind::Reporting.log_target()),
        Some((LogLevel::Error, LogLevel::Fatal)),
        "the refused calls changed nothing"
    );
    stack.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
