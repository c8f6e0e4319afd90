//! The tenant lifecycle through MCP: create on a database of its own, detach (the database
//! stays) and attach it again under another id, clean (only the System models remain), clear the
//! cache, update the System models, delete; refusals name the field; the identity service knows
//! a new tenant at once (it lists tenants through the asset repository).

use octomesh_gateway::AuthMode;
use octomesh_tests::oauth::sign_in;
use octomesh_tests::stack::TEST_ADMIN_PASSWORD;
use octomesh_tests::tools::refused;
use octomesh_tests::{McpClient, TestStack};
use serde_json::{Value, json};

/// A tenant tool's success: its result carries no `tenantId`, as the original's.
async fn ok(client: &McpClient, tool: &str, arguments: Value) -> Value {
    let structured = octomesh_tests::tools::ok(client, tool, arguments).await;
    assert!(
        structured.get("tenantId").is_none(),
        "no tenantId, as the original: {structured}"
    );
    structured
}

fn ids(listed: &Value) -> Vec<String> {
    listed["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tenant| tenant["tenantId"].as_str().unwrap().to_owned())
        .collect()
}

async fn models(client: &McpClient, tenant: &str) -> String {
    let result = client
        .call_tool("get_available_models", json!({"tenantId": tenant}))
        .await;
    assert_eq!(result["isError"], false, "{result}");
    result["structuredContent"].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_lives_through_create_detach_attach_clean_update_and_delete() {
    let dir = std::env::temp_dir().join(format!("octomesh-it-tenants-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let stack = TestStack::platform_with_auth(&dir, true, Some(AuthMode::Required), None).await;
    let platform = stack.platform.as_ref().unwrap();
    let issuer = platform.urls.identity.clone();
    stack.add_user("viewer", "viewer-pass", "demo");
    // A token lists the tenants that existed when it was issued: sign in again after a change.
    let signed_in = || async {
        let tokens = sign_in(
            &issuer,
            "admin",
            TEST_ADMIN_PASSWORD,
            Some("tenant:octosystem"),
        )
        .await;
        let mut admin = stack.tenant_client("octosystem");
        admin.bearer = Some(tokens["access_token"].as_str().unwrap().to_owned());
        admin.initialize().await;
        admin
    };
    let mut admin = signed_in().await;

    let listed = ok(&admin, "get_tenants", json!({})).await;
    assert_eq!(listed["parentTenantId"], "octosystem");
    assert!(ids(&listed).contains(&"demo".to_owned()), "{listed}");
    assert_eq!(
        listed["totalCount"],
        listed["tenants"].as_array().unwrap().len()
    );

    // Create: ids and database names are normalised; both must be free.
    let created = ok(
        &admin,
        "create_tenant",
        json!({"childTenantId": " Plant-A ", "database": "Plant_A_DB"}),
    )
    .await;
    assert_eq!(created["createdTenantId"], "plant-a");
    assert_eq!(created["database"], "plant_a_db");
    assert_eq!(created["parentTenantId"], "octosystem");
    let listed = ok(&admin, "get_tenants", json!({})).await;
    let entry = listed["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tenant| tenant["tenantId"] == "plant-a")
        .cloned()
        .expect("listed");
    assert_eq!(entry["database"], "plant_a_db");
    let again = refused(
        &admin,
        "create_tenant",
        json!({"childTenantId": "plant-a", "database": "other"}),
    )
    .await;
    assert!(again.contains("`plant-a` already exists"), "{again}");
    let taken = refused(
        &admin,
        "create_tenant",
        json!({"childTenantId": "plant-z", "database": "plant_a_db"}),
    )
    .await;
    assert!(
        taken.contains("Database name 'plant_a_db' is not available."),
        "{taken}"
    );
    let bad = refused(
        &admin,
        "create_tenant",
        json!({"childTenantId": "plant-z", "database": "a.b"}),
    )
    .await;
    assert!(bad.contains("not a database name"), "{bad}");
    let missing = refused(
        &admin,
        "create_tenant",
        json!({"childTenantId": " ", "database": "x"}),
    )
    .await;
    assert!(missing.contains("`childTenantId` is required"), "{missing}");
    // The identity service knows the new tenant at once.
    let exchanged = sign_in(
        &issuer,
        "admin",
        TEST_ADMIN_PASSWORD,
        Some("tenant:plant-a"),
    )
    .await;
    assert!(exchanged["access_token"].is_string(), "{exchanged}");

    admin = signed_in().await;
    // Data in the tenant: the demo library.
    platform
        .asset_store()
        .unwrap()
        .tenant("plant-a")
        .unwrap()
        .import_ck(&octomesh_asset_repository::builtin::demo_library())
        .unwrap();
    assert!(models(&admin, "plant-a").await.contains("Demo"));

    // Detach keeps the database; attach binds it again, under another id.
    let detached = ok(&admin, "detach_tenant", json!({"childTenantId": "plant-a"})).await;
    assert_eq!(detached["childTenantId"], "plant-a");
    assert!(!ids(&ok(&admin, "get_tenants", json!({})).await).contains(&"plant-a".to_owned()));
    let gone = admin
        .call_tool("get_available_models", json!({"tenantId": "plant-a"}))
        .await;
    assert_eq!(gone["isError"], true, "{gone}");
    let attached = ok(
        &admin,
        "attach_tenant",
        json!({"childTenantId": "plant-b", "database": "plant_a_db"}),
    )
    .await;
    assert_eq!(attached["database"], "plant_a_db");
    admin = signed_in().await;
    assert!(
        models(&admin, "plant-b").await.contains("Demo"),
        "the data came along"
    );
    let unbound = refused(
        &admin,
        "attach_tenant",
        json!({"childTenantId": "plant-c", "database": "plant_a_db"}),
    )
    .await;
    assert!(unbound.contains("is not available"), "{unbound}");

    // Clean needs confirm, and leaves only the System models.
    let unconfirmed = refused(&admin, "clean_tenant", json!({"childTenantId": "plant-b"})).await;
    assert!(unconfirmed.contains("\"confirm\": true"), "{unconfirmed}");
    assert!(
        models(&admin, "plant-b").await.contains("Demo"),
        "nothing was done"
    );
    ok(
        &admin,
        "clean_tenant",
        json!({"childTenantId": "plant-b", "confirm": true}),
    )
    .await;
    let after = models(&admin, "plant-b").await;
    assert!(
        !after.contains("Demo") && after.contains("System"),
        "{after}"
    );

    ok(
        &admin,
        "clear_tenant_cache",
        json!({"childTenantId": "plant-b", "confirm": true}),
    )
    .await;
    let updated = ok(
        &admin,
        "update_system_ck_model",
        json!({"childTenantId": "plant-b"}),
    )
    .await;
    assert_eq!(
        updated["result"]["updated"],
        json!([]),
        "already current: {updated}"
    );

    // Delete needs confirm, and takes the database along.
    refused(&admin, "delete_tenant", json!({"childTenantId": "plant-b"})).await;
    let deleted = ok(
        &admin,
        "delete_tenant",
        json!({"childTenantId": "plant-b", "confirm": true}),
    )
    .await;
    assert_eq!(deleted["deletedTenantId"], "plant-b");
    let no_database = refused(
        &admin,
        "attach_tenant",
        json!({"childTenantId": "plant-c", "database": "plant_a_db"}),
    )
    .await;
    assert!(no_database.contains("is not available"), "{no_database}");
    let unknown = refused(&admin, "detach_tenant", json!({"childTenantId": "plant-b"})).await;
    assert!(unknown.contains("`plant-b` does not exist"), "{unknown}");
    let system = refused(
        &admin,
        "detach_tenant",
        json!({"childTenantId": "octosystem", "tenantId": "octosystem"}),
    )
    .await;
    assert!(
        system.contains("cannot be detached") || system.contains("does not exist"),
        "{system}"
    );

    // A user of the demo tenant alone cannot reach the system tenant's children.
    let viewer = stack.signed_in("viewer", "viewer-pass", "demo").await;
    let result = viewer
        .call_tool(
            "create_tenant",
            json!({"childTenantId": "sneaky", "database": "sneaky", "tenantId": "octosystem"}),
        )
        .await;
    assert_eq!(result["isError"], true, "{result}");
    assert!(!ids(&ok(&admin, "get_tenants", json!({})).await).contains(&"sneaky".to_owned()));
    // Every tool of the family refuses the system tenant's children to that user, and a blank
    // child id is refused naming the field.
    for (tool, extra) in [
        ("get_tenants", json!({})),
        (
            "attach_tenant",
            json!({"childTenantId": "demo2", "database": "demo"}),
        ),
        ("detach_tenant", json!({"childTenantId": "demo"})),
        (
            "clean_tenant",
            json!({"childTenantId": "demo", "confirm": true}),
        ),
        (
            "clear_tenant_cache",
            json!({"childTenantId": "demo", "confirm": true}),
        ),
        ("update_system_ck_model", json!({"childTenantId": "demo"})),
        (
            "delete_tenant",
            json!({"childTenantId": "demo", "confirm": true}),
        ),
    ] {
        let mut arguments = extra.clone();
        arguments["tenantId"] = json!("octosystem");
        let result = viewer.call_tool(tool, arguments).await;
        assert_eq!(
            result["isError"], true,
            "{tool} for another tenant: {result}"
        );
        if tool != "get_tenants" {
            let mut blank = extra;
            blank["childTenantId"] = json!(" ");
            let text = refused(&admin, tool, blank).await;
            assert!(
                text.contains("`childTenantId` is required"),
                "{tool}: {text}"
            );
        }
    }
    assert!(
        ids(&ok(&admin, "get_tenants", json!({})).await).contains(&"demo".to_owned()),
        "demo is untouched"
    );
    stack.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
