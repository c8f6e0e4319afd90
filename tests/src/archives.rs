//! Stream-data archives for the scenarios: created the way a client does (`create_entity` on a
//! `System.StreamData` archive type of `Demo/Sensor` with a `LastValue` column, then
//! `activate_archive`), and points written over the platform's REST contract.

use serde_json::{Value, json};

use crate::McpClient;

/// Creates and activates an archive of `ck_type` (with `extra` attributes, e.g. a `Period`);
/// returns its rtId.
pub async fn activated_archive(client: &McpClient, ck_type: &str, extra: &[Value]) -> String {
    let mut data = vec![
        json!({"AttributePath": "TargetCkTypeId", "Value": "Demo/Sensor"}),
        json!({"AttributePath": "Columns", "Value": [{"Path": "LastValue", "Required": true, "Indexed": false}]}),
        json!({"AttributePath": "Status", "Value": "Created"}),
        json!({"AttributePath": "RecomputeInProgress", "Value": false}),
    ];
    data.extend(extra.iter().cloned());
    let created = client
        .call_tool(
            "create_entity",
            json!({"ckTypeId": ck_type, "entityData": data}),
        )
        .await;
    let rt_id = created["structuredContent"]["entity"]["rtId"]
        .as_str()
        .unwrap_or_else(|| panic!("an archive: {created}"))
        .to_owned();
    let activated = client
        .call_tool("activate_archive", json!({"archiveRtId": rt_id}))
        .await;
    assert_eq!(
        activated["structuredContent"]["archive"]["status"], "Activated",
        "{activated}"
    );
    rt_id
}

/// POSTs `points` to the archive's write route of tenant `demo`; returns the answer.
pub async fn write_points(platform: &str, archive: &str, points: Vec<Value>) -> Value {
    reqwest::Client::new()
        .post(format!(
            "{platform}/demo/v1/streamdata/archives/{archive}/points"
        ))
        .json(&json!({"points": points}))
        .send()
        .await
        .expect("the platform answers")
        .json()
        .await
        .expect("a JSON answer")
}
