//! Rollups, raw rows, entity aggregation and persisted queries through the real MCP path:
//! tools → gateway → workers → the platform's REST and GraphQL → the chunk store and the rollup
//! orchestrator, checked against answers computed here from the same generated points.

use std::time::Duration;

use octomesh_tests::TestStack;
use octomesh_tests::archives::{activated_archive, write_points};
use serde_json::{Value, json};

const START_MS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn text(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollups_rows_entity_aggregation_and_persisted_queries_through_mcp() {
    let dir = std::env::temp_dir().join(format!("octomesh-it-rollups-{}", std::process::id()));
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

    let archive = activated_archive(&client, "System.StreamData/RawArchive", &[]).await;
    // Two sensors, a point a minute for three hours: s0 reads the minute, s1 the minute + 1000.
    let sensors = ["de0000030000000000000000", "de0000030000000000000001"];
    let value = |sensor: usize, minute: i64| minute as f64 + sensor as f64 * 1000.0;
    let points: Vec<Value> = (0..180)
        .flat_map(|minute: i64| {
            sensors.iter().enumerate().map(move |(idx, sensor)| {
                json!({"rtId": sensor, "timestamp": START_MS + minute * 60_000, "values": {"LastValue": value(idx, minute)}})
            })
        })
        .collect();
    let written = write_points(&platform, &archive, points).await;
    assert_eq!(written["written"], 360);

    // Raw rows: filtered, sorted newest first, limited.
    let rows = client
        .call_tool(
            "query_stream_data_simple",
            json!({"archiveRtId": archive, "from": "2026-01-01T01:00:00Z", "to": "2026-01-01T02:00:00Z",
                   "filters": {"Operator": "And", "Fields": [
                       {"AttributePath": "LastValue", "Operator": "GreaterThanOrEqual", "Value": 1100},
                       {"AttributePath": "rtId", "Operator": "Equals", "Value": sensors[1]}]},
                   "sort": [{"AttributePath": "timestamp", "Direction": "desc"}], "limit": 3}),
        )
        .await;
    let found = rows["structuredContent"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{rows}"));
    let values: Vec<f64> = found
        .iter()
        .map(|row| row["LastValue"].as_f64().unwrap())
        .collect();
    assert_eq!(values, [1119.0, 1118.0, 1117.0], "{rows}");
    assert_eq!(found[0]["rtId"], sensors[1]);
    assert_eq!(found[0]["timestamp"], "2026-01-01T01:59:00.000Z");
    let refused = client
        .call_tool(
            "query_stream_data_simple",
            json!({"archiveRtId": archive, "filters": {"Fields": [{"AttributePath": "LastValue", "Operator": "Like", "Value": "1%"}]}}),
        )
        .await;
    assert!(text(&refused).contains("does not apply"), "{refused}");

    // Every function over the whole window, against the generated values.
    let functions = ["count", "sum", "avg", "min", "max", "first", "last"];
    let all = client
        .call_tool(
            "query_stream_data_aggregation",
            json!({"archiveRtId": archive, "from": "2026-01-01T00:00:00Z", "to": "2026-01-01T03:00:00Z",
                   "sourceRtIds": [sensors[1]],
                   "aggregations": functions.iter().map(|function| json!({"function": function, "attributePath": "LastValue", "alias": function})).collect::<Vec<_>>()}),
        )
        .await;
    let row = &all["structuredContent"]["rows"][0];
    let expected: Vec<f64> = (0..180).map(|minute| value(1, minute)).collect();
    let sum: f64 = expected.iter().sum();
    assert_eq!(
        functions.map(|function| row[function].as_f64().unwrap_or(f64::NAN)),
        [180.0, sum, sum / 180.0, 1000.0, 1179.0, 1000.0, 1179.0],
        "{all}"
    );

    // An hourly rollup, backfilled by a background job.
    let rollup = client
        .call_tool(
            "create_rollup_archive",
            json!({"sourceArchiveRtId": archive, "bucketSizeMs": 3_600_000, "watermarkLagMs": 0,
                   "aggregations": [{"sourcePath": "LastValue", "function": "Avg"}, {"sourcePath": "LastValue", "function": "Max", "targetColumnName": "peak"}]}),
        )
        .await;
    let rollup_id = rollup["structuredContent"]["result"]["rtId"]
        .as_str()
        .unwrap_or_else(|| panic!("{rollup}"))
        .to_owned();
    assert_eq!(
        rollup["structuredContent"]["result"]["columns"],
        json!(["lastvalue_avg_sum", "lastvalue_avg_count", "peak"])
    );
    let unconfirmed = client
        .call_tool("backfill_rollup_archive", json!({"rollupRtId": rollup_id}))
        .await;
    assert!(text(&unconfirmed).contains("confirm"), "{unconfirmed}");
    let queued = client
        .call_tool(
            "backfill_rollup_archive",
            json!({"rollupRtId": rollup_id, "confirm": true}),
        )
        .await;
    assert_eq!(
        queued["structuredContent"]["result"]["queued"], true,
        "{queued}"
    );
    let mut state = Value::Null;
    for _ in 0..100 {
        let jobs = client
            .call_tool("list_recompute_jobs", json!({"archiveRtId": rollup_id}))
            .await;
        state = jobs["structuredContent"]["result"]["jobs"][0]["state"].clone();
        if state == "Completed" || state == "Failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, "Completed");
    let hourly = client
        .call_tool(
            "query_stream_data_simple",
            json!({"archiveRtId": rollup_id, "sourceRtIds": [sensors[1]]}),
        )
        .await;
    let hours = hourly["structuredContent"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{hourly}"));
    assert_eq!(hours.len(), 3, "{hourly}");
    for (hour, row) in hours.iter().enumerate() {
        let minutes = (hour as i64 * 60)..(hour as i64 * 60 + 60);
        let sum: f64 = minutes.clone().map(|minute| value(1, minute)).sum();
        assert_eq!(row["lastvalue_avg_sum"], sum, "{row}");
        assert_eq!(row["lastvalue_avg_count"], 60.0);
        assert_eq!(row["peak"], value(1, minutes.end - 1));
    }
    let metadata = client
        .call_tool(
            "get_rollup_query_metadata",
            json!({"rollupRtId": rollup_id}),
        )
        .await;
    assert_eq!(
        metadata["structuredContent"]["metadata"]["logicalPaths"],
        json!(["LastValue"]),
        "{metadata}"
    );
    assert_eq!(
        metadata["structuredContent"]["metadata"]["bucketSizeMs"],
        3_600_000
    );
    // Resolution-aware routing picks the rung.
    let resolve = |aggregation: &str, target: u32| {
        json!({"baseArchiveRtId": archive, "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z",
               "sourcePath": "LastValue", "requiredAggregation": aggregation, "targetPoints": target})
    };
    let routed = client
        .call_tool("resolve_series_query", resolve("avg", 24))
        .await;
    let routed = &routed["structuredContent"]["resolution"];
    assert_eq!(routed["signal"], "Ok", "{routed}");
    assert_eq!(routed["archiveRtId"], rollup_id.as_str());
    assert_eq!(
        routed["columns"],
        json!(["lastvalue_avg_sum", "lastvalue_avg_count"])
    );
    let limited = client
        .call_tool("resolve_series_query", resolve("max", 600))
        .await;
    let limited = &limited["structuredContent"]["resolution"];
    assert_eq!(limited["signal"], "ResolutionLimited", "{limited}");
    assert_eq!(limited["actualPoints"], 24);
    assert_eq!(limited["columns"], json!(["peak"]));
    let raw = client
        .call_tool("resolve_series_query", resolve("sum", 24))
        .await;
    let raw = &raw["structuredContent"]["resolution"];
    assert_eq!(raw["signal"], "UnknownBaseGrain", "{raw}");
    assert_eq!(raw["archiveRtId"], archive.as_str());
    let listed = client
        .call_tool(
            "list_rollups_for_archive",
            json!({"sourceArchiveRtId": archive}),
        )
        .await;
    let listed = &listed["structuredContent"]["result"]["rollups"];
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    // The backfill closed every bucket up to now (the hour that started last).
    let mark = listed[0]["rollup"]["lastAggregatedBucketEnd"]
        .as_str()
        .unwrap_or_default();
    assert!(
        mark >= "2026-01-01T03:00:00.000Z" && mark.ends_with(":00:00.000Z"),
        "{listed}"
    );
    let frozen = client
        .call_tool(
            "freeze_rollup_archive",
            json!({"rollupRtId": rollup_id, "until": "2026-01-01T01:00:00Z"}),
        )
        .await;
    assert_eq!(
        frozen["structuredContent"]["result"]["rollup"]["frozenUntil"], "2026-01-01T01:00:00.000Z",
        "{frozen}"
    );
    let backwards = client
        .call_tool(
            "freeze_rollup_archive",
            json!({"rollupRtId": rollup_id, "until": "2026-01-01T00:00:00Z"}),
        )
        .await;
    assert!(
        text(&backwards).contains("only moves forward"),
        "{backwards}"
    );
    let rewound = client
        .call_tool(
            "rewind_rollup_watermark",
            json!({"rollupRtId": rollup_id, "toBucketEnd": "2026-01-01T02:30:00Z", "confirm": true}),
        )
        .await;
    assert_eq!(
        rewound["structuredContent"]["result"]["rollup"]["lastAggregatedBucketEnd"],
        "2026-01-01T02:00:00.000Z",
        "{rewound}"
    );
    let refused = client
        .call_tool(
            "create_rollup_archive",
            json!({"sourceArchiveRtId": archive, "bucketSizeMs": 86_400_000, "bucketAlignment": "CalendarDay",
                   "referenceTimeZone": "Europe/Atlantis", "aggregations": [{"sourcePath": "LastValue", "function": "Sum"}]}),
        )
        .await;
    assert!(
        text(&refused).contains("not an IANA time zone"),
        "{refused}"
    );

    // Aggregations over entities, against the entities themselves.
    let mut entities: Vec<Value> = Vec::new();
    loop {
        let page = client
            .call_tool(
                "query_entities",
                json!({"ckTypeId": "Demo/Sensor", "limit": 1000, "offset": entities.len()}),
            )
            .await;
        let batch = page["structuredContent"]["entities"]
            .as_array()
            .unwrap()
            .clone();
        let done = batch.len() < 1000;
        entities.extend(batch);
        if done {
            break;
        }
    }
    let critical: Vec<f64> = entities
        .iter()
        .filter(|entity| entity["attributes"]["IsCritical"] == true)
        .map(|entity| entity["attributes"]["LastValue"].as_f64().unwrap())
        .collect();
    let aggregated = client
        .call_tool(
            "query_entities_aggregation",
            json!({"ckTypeId": "Demo/Sensor", "aggregations": [{"function": "count"}, {"function": "max", "attributePath": "LastValue"}],
                   "filters": {"Fields": [{"AttributePath": "IsCritical", "Operator": "Equals", "Value": true}]}}),
        )
        .await;
    let row = &aggregated["structuredContent"]["rows"][0];
    assert_eq!(row["count"], critical.len() as f64, "{aggregated}");
    assert_eq!(
        row["max_LastValue"],
        critical.iter().copied().fold(f64::MIN, f64::max)
    );
    let grouped = client
        .call_tool(
            "query_entities_grouping",
            json!({"ckTypeId": "Demo/Sensor", "groupByAttributePaths": ["Unit"], "aggregations": [{"function": "count", "alias": "n"}]}),
        )
        .await;
    let groups = grouped["structuredContent"]["rows"].as_array().unwrap();
    let total: f64 = groups
        .iter()
        .map(|group| group["n"].as_f64().unwrap())
        .sum();
    assert_eq!(total, entities.len() as f64, "{grouped}");
    let wrong = client
        .call_tool(
            "query_entities_aggregation",
            json!({"ckTypeId": "Demo/Sensor", "aggregations": [{"function": "avg", "attributePath": "Name"}]}),
        )
        .await;
    assert!(text(&wrong).contains("does not apply to `Name`"), "{wrong}");

    // Persisted queries, replayed with overrides.
    let persisted = client
        .call_tool(
            "create_entity",
            json!({"ckTypeId": "System/AggregationSdQuery", "entityData": [
                {"AttributePath": "Name", "Value": "hourly mean"},
                {"AttributePath": "QueryCkTypeId", "Value": "Demo/Sensor"},
                {"AttributePath": "ArchiveRtId", "Value": archive},
                {"AttributePath": "From", "Value": "2026-01-01T00:00:00Z"},
                {"AttributePath": "To", "Value": "2026-01-01T03:00:00Z"},
                {"AttributePath": "RtIds", "Value": [sensors[0]]},
                {"AttributePath": "Columns", "Value": [{"AttributePath": "LastValue", "AggregationType": "Average"}]}]}),
        )
        .await;
    let query_id = persisted["structuredContent"]["entity"]["rtId"]
        .as_str()
        .unwrap_or_else(|| panic!("{persisted}"))
        .to_owned();
    let replay = client
        .call_tool(
            "execute_stream_data_query",
            json!({"queryRtId": query_id, "toOverride": "2026-01-01T01:00:00Z"}),
        )
        .await;
    assert_eq!(
        replay["structuredContent"]["querySubtype"],
        "AggregationSdQuery"
    );
    assert_eq!(
        replay["structuredContent"]["rows"][0]["avg_LastValue"], 29.5,
        "{replay}"
    );
    let filtered = client
        .call_tool(
            "execute_stream_data_query",
            json!({"queryRtId": query_id, "extraFilters": {"Fields": [{"AttributePath": "LastValue", "Operator": "LessThan", "Value": 10}]}}),
        )
        .await;
    assert_eq!(
        filtered["structuredContent"]["rows"][0]["avg_LastValue"], 4.5,
        "{filtered}"
    );
    let count_query = client
        .call_tool(
            "create_entity",
            json!({"ckTypeId": "System/AggregationRtQuery", "entityData": [
                {"AttributePath": "Name", "Value": "sensors"},
                {"AttributePath": "QueryCkTypeId", "Value": "Demo/Sensor"},
                {"AttributePath": "Columns", "Value": [{"AttributePath": "LastValue", "AggregationType": "Count"}]}]}),
        )
        .await;
    let count_id = count_query["structuredContent"]["entity"]["rtId"]
        .as_str()
        .unwrap();
    let counted = client
        .call_tool("execute_runtime_query", json!({"queryRtId": count_id}))
        .await;
    assert_eq!(
        counted["structuredContent"]["rows"][0]["count_LastValue"],
        entities.len() as f64,
        "{counted}"
    );
    let crossed = client
        .call_tool("execute_runtime_query", json!({"queryRtId": query_id}))
        .await;
    assert!(
        text(&crossed).contains("execute_stream_data_query"),
        "{crossed}"
    );

    // The tenant switch.
    client
        .call_tool("disable_stream_data", json!({"confirm": true}))
        .await;
    let off = client
        .call_tool(
            "query_stream_data_simple",
            json!({"archiveRtId": archive, "limit": 1}),
        )
        .await;
    assert!(text(&off).contains("disabled"), "{off}");
    client.call_tool("enable_stream_data", json!({})).await;
    let on = client
        .call_tool(
            "query_stream_data_simple",
            json!({"archiveRtId": archive, "limit": 1}),
        )
        .await;
    assert_eq!(on["structuredContent"]["rowCount"], 1, "{on}");
    drop(stack);
    let _ = std::fs::remove_dir_all(&dir);
}
