//! Stream-data tools through the real path: an archive created with `create_entity`, activated
//! and fed over the platform's REST contract, queried with the aggregation family's tools.

use octomesh_tests::TestStack;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downsampling_aggregation_and_grouping_answer_through_mcp() {
    let dir = std::env::temp_dir().join(format!("octomesh-it-stream-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let stack = TestStack::platform(&dir, true).await;
    let platform = stack
        .platform
        .as_ref()
        .unwrap()
        .urls
        .asset_repository
        .clone();
    let mut client = stack.tenant_client("demo");
    client.initialize().await;

    let created = client
        .call_tool(
            "create_entity",
            json!({"ckTypeId": "System.StreamData/RawArchive", "entityData": [
                {"AttributePath": "TargetCkTypeId", "Value": "Demo/Sensor"},
                {"AttributePath": "Columns", "Value": [{"Path": "LastValue", "Required": true, "Indexed": false}]},
                {"AttributePath": "Status", "Value": "Created"},
                {"AttributePath": "RecomputeInProgress", "Value": false}]}),
        )
        .await;
    let archive = created["structuredContent"]["entity"]["rtId"]
        .as_str()
        .unwrap()
        .to_owned();
    let http = reqwest::Client::new();
    let base = format!("{platform}/demo/v1/streamdata/archives/{archive}");
    let activated = client
        .call_tool("activate_archive", json!({"archiveRtId": archive}))
        .await;
    assert_eq!(
        activated["structuredContent"]["archive"]["status"], "Activated",
        "{activated}"
    );
    let again = client
        .call_tool("activate_archive", json!({"archiveRtId": archive}))
        .await;
    assert!(
        again["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("you can disable it"),
        "{again}"
    );

    // Two sensors, one point a minute for two hours: sensor 0 reads the minute, sensor 1 the
    // minute plus 1000.
    let sensors = ["de0000030000000000000000", "de0000030000000000000001"];
    let points: Vec<Value> = (0..120)
        .flat_map(|minute: i64| {
            sensors.iter().enumerate().map(move |(idx, sensor)| {
                json!({"rtId": sensor, "timestamp": 1_767_225_600_000i64 + minute * 60_000,
                       "values": {"LastValue": minute as f64 + idx as f64 * 1000.0}})
            })
        })
        .collect();
    let written: Value = http
        .post(format!("{base}/points"))
        .json(&json!({"points": points}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(written["written"], 240);

    let window = json!({"archiveRtId": archive, "from": "2026-01-01T00:00:00Z", "to": "2026-01-01T02:00:00Z"});
    let mut downsample = window.clone();
    downsample["aggregations"] = json!([{"function": "avg", "attributePath": "LastValue"}, {"function": "count", "attributePath": "LastValue", "alias": "n"}]);
    downsample["limit"] = json!(4);
    downsample["sourceRtIds"] = json!([sensors[0]]);
    let result = client
        .call_tool("query_stream_data_downsampling", downsample)
        .await;
    let rows = result["structuredContent"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{result}"))
        .clone();
    assert_eq!(rows.len(), 4, "{result}");
    assert_eq!(rows[0]["timestamp"], "2026-01-01T00:00:00.000Z");
    assert_eq!(rows[1]["timestamp"], "2026-01-01T00:30:00.000Z");
    let averages: Vec<f64> = rows
        .iter()
        .map(|row| row["avg_LastValue"].as_f64().unwrap())
        .collect();
    assert_eq!(averages, [14.5, 44.5, 74.5, 104.5]);
    assert!(rows.iter().all(|row| row["n"] == 30.0));

    let mut aggregate = window.clone();
    aggregate["aggregations"] = json!([{"function": "max", "attributePath": "LastValue"}, {"function": "first", "attributePath": "LastValue", "alias": "opening"}]);
    let result = client
        .call_tool("query_stream_data_aggregation", aggregate)
        .await;
    let row = &result["structuredContent"]["rows"][0];
    assert_eq!(row["max_LastValue"], 1119.0, "{result}");
    assert!(
        row["opening"] == 0.0 || row["opening"] == 1000.0,
        "the first point of the window: {row}"
    );

    let mut grouping = window.clone();
    grouping["groupByAttributePaths"] = json!(["rtId"]);
    grouping["aggregations"] = json!([{"function": "sum", "attributePath": "LastValue"}]);
    let result = client
        .call_tool("query_stream_data_grouping", grouping)
        .await;
    let rows = result["structuredContent"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{result}");
    assert_eq!(rows[0]["rtId"], sensors[0]);
    assert_eq!(rows[0]["sum_LastValue"], (0..120).sum::<i64>() as f64);
    assert_eq!(
        rows[1]["sum_LastValue"],
        (0..120).map(|m| m as f64 + 1000.0).sum::<f64>()
    );

    // Bad input says why.
    let mut bad = window.clone();
    bad["aggregations"] = json!([{"function": "median", "attributePath": "LastValue"}]);
    let refused = client.call_tool("query_stream_data_aggregation", bad).await;
    assert_eq!(refused["isError"], true);
    let mut unknown = window.clone();
    unknown["aggregations"] = json!([{"function": "avg", "attributePath": "Speed"}]);
    let refused = client
        .call_tool("query_stream_data_aggregation", unknown)
        .await;
    assert!(
        refused["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("not a column"),
        "{refused}"
    );

    let stats = client
        .call_tool(
            "get_archive_storage_stats",
            json!({"archiveRtIds": [archive]}),
        )
        .await;
    let figures = &stats["structuredContent"]["archives"][0];
    assert_eq!(figures["rowCount"], 240, "{stats}");
    assert_eq!(figures["seriesCount"], 2, "{stats}");
    assert_eq!(figures["healthy"], true);
    assert_eq!(figures["firstTimestamp"], "2026-01-01T00:00:00.000Z");
    assert_eq!(figures["lastTimestamp"], "2026-01-01T01:59:00.000Z");

    // The lifecycle through the admin tools: disabled archives answer no queries; delete needs
    // confirm and drops the points.
    let disabled = client
        .call_tool("disable_archive", json!({"archiveRtId": archive}))
        .await;
    assert_eq!(
        disabled["structuredContent"]["archive"]["status"], "Disabled",
        "{disabled}"
    );
    let mut count = window.clone();
    count["aggregations"] = json!([{"function": "count", "attributePath": "LastValue"}]);
    let closed = client
        .call_tool("query_stream_data_aggregation", count.clone())
        .await;
    assert!(
        closed["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("is Disabled"),
        "{closed}"
    );
    client
        .call_tool("enable_archive", json!({"archiveRtId": archive}))
        .await;
    let reopened = client
        .call_tool("query_stream_data_aggregation", count)
        .await;
    assert_eq!(
        reopened["structuredContent"]["rows"][0]["count_LastValue"], 240.0,
        "{reopened}"
    );
    let unconfirmed = client
        .call_tool("delete_archive", json!({"archiveRtId": archive}))
        .await;
    assert_eq!(unconfirmed["isError"], true);
    let deleted = client
        .call_tool(
            "delete_archive",
            json!({"archiveRtId": archive, "confirm": true}),
        )
        .await;
    assert_eq!(deleted["isError"], false, "{deleted}");
    let gone = client
        .call_tool("enable_archive", json!({"archiveRtId": archive}))
        .await;
    assert_eq!(gone["isError"], true);
    stack.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
