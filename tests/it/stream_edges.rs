//! Stream data at its edges, through MCP: half-open windows, tiny and huge windows, bad input,
//! calendar days in Europe/Vienna across the change to summer time, and time-range archives
//! with resolution-aware routing over them.

use std::time::Duration;

use octomesh_tests::archives::{activated_archive, write_points};
use octomesh_tests::{McpClient, TestStack};
use serde_json::{Value, json};

fn text(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn rows(client: &McpClient, tool: &str, arguments: Value) -> Vec<Value> {
    let result = client.call_tool(tool, arguments).await;
    result["structuredContent"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{tool}: {result}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_bad_input_vienna_days_and_time_ranges_through_mcp() {
    let dir = std::env::temp_dir().join(format!("octomesh-it-edges-{}", std::process::id()));
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
    let raw = activated_archive(&client, "System.StreamData/RawArchive", &[]).await;
    let edge = "de0000030000000000000000";

    // [from, to) is half open: a point at `to` is out, at `from` and 1 ms before `to` in.
    let hour = [
        "2026-03-01T00:00:00.000Z",
        "2026-03-01T00:00:00.001Z",
        "2026-03-01T00:59:59.999Z",
        "2026-03-01T01:00:00.000Z",
    ];
    let points = hour
        .iter()
        .map(|ts| json!({"rtId": edge, "timestamp": ts, "values": {"LastValue": 1.0}}))
        .collect();
    assert_eq!(write_points(&platform, &raw, points).await["written"], 4);
    let window = |from: &str, to: &str| {
        json!({"archiveRtId": raw, "from": from, "to": to, "sourceRtIds": [edge],
               "aggregations": [{"function": "count", "attributePath": "LastValue", "alias": "n"}]})
    };
    let counted = rows(
        &client,
        "query_stream_data_aggregation",
        window(hour[0], hour[3]),
    )
    .await;
    assert_eq!(counted[0]["n"], 3.0);
    let mut halves = window(hour[0], hour[3]);
    halves["limit"] = json!(2);
    let buckets = rows(&client, "query_stream_data_downsampling", halves).await;
    assert_eq!(buckets.len(), 2);
    assert_eq!(buckets[1]["timestamp"], "2026-03-01T00:30:00.000Z");
    assert_eq!(
        (buckets[0]["n"].clone(), buckets[1]["n"].clone()),
        (json!(2.0), json!(1.0))
    );

    // Tiny and huge windows.
    let mut tiny = window(hour[0], hour[1]);
    tiny["limit"] = json!(1);
    assert_eq!(
        rows(&client, "query_stream_data_downsampling", tiny.clone()).await[0]["n"],
        1.0
    );
    tiny["limit"] = json!(2);
    let refused = client
        .call_tool("query_stream_data_downsampling", tiny)
        .await;
    assert!(text(&refused).contains("too short"), "{refused}");
    let mut huge = window("1970-01-01T00:00:00Z", "2100-01-01T00:00:00Z");
    huge["limit"] = json!(10_000);
    let buckets = rows(&client, "query_stream_data_downsampling", huge.clone()).await;
    assert_eq!(buckets.len(), 10_000);
    let total: f64 = buckets
        .iter()
        .filter_map(|bucket| bucket["n"].as_f64())
        .sum();
    assert_eq!(total, 4.0);
    assert_eq!(
        buckets
            .iter()
            .filter(|bucket| bucket["n"].as_f64() > Some(0.0))
            .count(),
        1
    );

    // Bad input says what is wrong.
    for (arguments, expected) in [
        (
            {
                let mut a = huge.clone();
                a["limit"] = json!(10_001);
                a
            },
            "10000",
        ),
        (
            {
                let mut a = huge.clone();
                a["limit"] = json!(0);
                a
            },
            "limit",
        ),
        (window(hour[3], hour[0]), "before"),
        (window(hour[0], hour[0]), "before"),
        (
            {
                let mut a = window(hour[0], hour[3]);
                a["archiveRtId"] = json!("0123456789abcdef01234567");
                a["limit"] = json!(2);
                a
            },
            "0123456789abcdef01234567",
        ),
        (
            {
                let mut a = window(hour[0], hour[3]);
                a["aggregations"] = json!([{"function": "avg", "attributePath": "Pressure"}]);
                a["limit"] = json!(2);
                a
            },
            "not a column",
        ),
        (
            {
                let mut a = window(hour[0], hour[3]);
                a["aggregations"] = json!([{"function": "avg"}]);
                a["limit"] = json!(2);
                a
            },
            "needs an `attributePath`",
        ),
        (
            {
                let mut a = window(hour[0], hour[3]);
                a["from"] = json!("yesterday");
                a["limit"] = json!(2);
                a
            },
            "RFC 3339",
        ),
    ] {
        let result = client
            .call_tool("query_stream_data_downsampling", arguments.clone())
            .await;
        assert_eq!(result["isError"], true, "{arguments} → {result}");
        assert!(text(&result).contains(expected), "{arguments} → {result}");
    }

    // Calendar days in Vienna: an hourly point from 28 to 31 March 2026 (UTC); the 29th has 23
    // hours there.
    let dst = "de0000030000000000000001";
    let start = 1_774_656_000_000i64; // 2026-03-28T00:00:00Z
    let points = (0..72)
        .map(|hour: i64| json!({"rtId": dst, "timestamp": start + hour * 3_600_000, "values": {"LastValue": 1.0}}))
        .collect();
    write_points(&platform, &raw, points).await;
    let daily = client
        .call_tool(
            "create_rollup_archive",
            json!({"sourceArchiveRtId": raw, "bucketSizeMs": 86_400_000, "watermarkLagMs": 0,
                   "bucketAlignment": "CalendarDay", "referenceTimeZone": "Europe/Vienna",
                   "aggregations": [{"sourcePath": "LastValue", "function": "Count", "targetColumnName": "hours"}]}),
        )
        .await;
    let daily = daily["structuredContent"]["result"]["rtId"]
        .as_str()
        .unwrap_or_else(|| panic!("{daily}"))
        .to_owned();
    client
        .call_tool(
            "backfill_rollup_archive",
            json!({"rollupRtId": daily, "confirm": true}),
        )
        .await;
    wait_for_jobs(&client, &daily).await;
    let days = rows(
        &client,
        "query_stream_data_simple",
        json!({"archiveRtId": daily, "sourceRtIds": [dst]}),
    )
    .await;
    let days: Vec<(String, f64)> = days
        .iter()
        .map(|day| {
            (
                day["timestamp"].as_str().unwrap().to_owned(),
                day["hours"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2026-03-27T23:00:00.000Z".to_owned(), 23.0),
            ("2026-03-28T23:00:00.000Z".to_owned(), 23.0),
            ("2026-03-29T22:00:00.000Z".to_owned(), 24.0),
            ("2026-03-30T22:00:00.000Z".to_owned(), 2.0),
        ]
    );

    // A time-range archive of quarter-hour energy windows.
    let energy = activated_archive(
        &client,
        "System.StreamData/TimeRangeArchive",
        &[json!({"AttributePath": "Period", "Value": "PT15M"})],
    )
    .await;
    let day = 1_777_593_600_000i64; // 2026-05-01T00:00:00Z
    let windows = (0..96)
        .map(|quarter: i64| {
            let from = day + quarter * 900_000;
            json!({"rtId": edge, "from": from, "to": from + 900_000, "values": {"LastValue": 0.25}})
        })
        .collect();
    assert_eq!(
        write_points(&platform, &energy, windows).await["written"],
        96
    );
    let first = rows(
        &client,
        "query_stream_data_simple",
        json!({"archiveRtId": energy, "limit": 1}),
    )
    .await;
    assert_eq!(first[0]["timestamp"], "2026-05-01T00:00:00.000Z");
    assert_eq!(first[0]["to"], "2026-05-01T00:15:00.000Z");
    let total = rows(
        &client,
        "query_stream_data_aggregation",
        json!({"archiveRtId": energy, "from": "2026-05-01T00:00:00Z", "to": "2026-05-02T00:00:00Z",
               "aggregations": [{"function": "sum", "attributePath": "LastValue", "alias": "kWh"}]}),
    )
    .await;
    assert_eq!(total[0]["kWh"], 24.0);
    let missing = write_points(
        &platform,
        &energy,
        vec![json!({"rtId": edge, "from": day, "values": {"LastValue": 1.0}})],
    )
    .await;
    assert!(
        missing["message"]
            .as_str()
            .unwrap_or_default()
            .contains("later `to`"),
        "{missing}"
    );
    let backwards = write_points(
        &platform,
        &energy,
        vec![json!({"rtId": edge, "from": day, "to": day, "values": {"LastValue": 1.0}})],
    )
    .await;
    assert!(
        backwards["message"]
            .as_str()
            .unwrap_or_default()
            .contains("later `to`"),
        "{backwards}"
    );
    let resolve = |to: &str| {
        json!({"baseArchiveRtId": energy, "from": "2026-05-01T00:00:00Z", "to": to,
               "sourcePath": "LastValue", "requiredAggregation": "sum", "targetPoints": 600})
    };
    let fits = client
        .call_tool("resolve_series_query", resolve("2026-05-02T00:00:00Z"))
        .await;
    let fits = &fits["structuredContent"]["resolution"];
    assert_eq!(
        (fits["signal"].clone(), fits["points"].clone()),
        (json!("Ok"), json!(96)),
        "{fits}"
    );
    let month = client
        .call_tool("resolve_series_query", resolve("2026-05-31T00:00:00Z"))
        .await;
    let month = &month["structuredContent"]["resolution"];
    assert_eq!(month["signal"], "NoSuitableRollup", "{month}");
    assert_eq!(month["actualPoints"], 2880);
    drop(stack);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Waits until every recompute job of `rollup` has finished, and checks none failed.
async fn wait_for_jobs(client: &McpClient, rollup: &str) {
    for _ in 0..100 {
        let jobs = client
            .call_tool("list_recompute_jobs", json!({"archiveRtId": rollup}))
            .await;
        let jobs = jobs["structuredContent"]["result"]["jobs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !jobs.is_empty()
            && jobs
                .iter()
                .all(|job| job["state"] == "Completed" || job["state"] == "Failed")
        {
            assert!(
                jobs.iter().all(|job| job["state"] == "Completed"),
                "{jobs:?}"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the jobs of {rollup} did not finish");
}
