//! The CK family's benchmark, one table: a tenant with 1,000,000 entities of one type; bulk
//! creation through the storage engine and through the asset repository's GraphQL `create`
//! mutation; then a filtered (CK-declared index) and sorted page of 100 with its total count via
//! `query_entities` end to end (MCP client → gateway → gRPC worker → GraphQL over HTTP → SQLite),
//! beside the same query through the store and the same SQL straight on SQLite (the floors).
//!
//!   cargo bench -p octomesh-tests --bench ck_query            # 1,000,000 entities, ~2 min
//!   ENTITIES=100000 cargo bench -p octomesh-tests --bench ck_query

use std::path::Path;
use std::time::{Duration, Instant};

use octomesh_asset_repository::ck::load::LibraryFiles;
use octomesh_asset_repository::store::{
    EntityInput, EntityQuery, FieldFilter, FilterGroup, FilterOperator, Logic, Platform, SortColumn,
};
use octomesh_octo_client::AssetClient;
use octomesh_octo_client::types::NewEntity;
use octomesh_tests::TestStack;
use serde_json::json;

const BATCH: usize = 10_000;
/// Entities created through GraphQL (the rest through the store).
const OVER_GRAPHQL: usize = 100_000;
const QUERIES: usize = 200;
const TENANT: &str = "bench";

fn speed(index: usize) -> f64 {
    ((index * 7919) % 1_000_000) as f64 / 10.0
}

fn attributes(index: usize) -> Vec<(String, serde_json::Value)> {
    vec![
        ("Label".into(), json!(format!("machine {index}"))),
        ("Speed".into(), json!(speed(index))),
        ("Count".into(), json!(index % 100)),
    ]
}

/// A window of Speed values that holds a few thousand entities, moved along for each query.
fn window(query_idx: usize) -> (f64, f64) {
    let low = (query_idx * 4_999 % 99_000) as f64;
    (low, low + 400.0)
}

fn main() {
    let n_entities: usize = std::env::vars()
        .find(|(key, _)| key == "ENTITIES")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(1_000_000);
    let over_graphql = OVER_GRAPHQL.min(n_entities / 2);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let root = octomesh_tests::repo_root();
    let data_dir = std::env::temp_dir().join(format!("octomesh-ck-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);

    // 1. The storage engine: most entities, in batches, one transaction each.
    let plant = LibraryFiles::read_dir(&root.join("platform/fixtures/plant")).expect("plant loads");
    let store_count = n_entities - over_graphql;
    let store_secs = {
        let platform = Platform::open(
            &data_dir,
            octomesh_asset_repository::builtin::builtin_libraries(),
        )
        .expect("the data directory opens");
        let tenant = platform.create_tenant(TENANT).expect("a tenant");
        tenant.import_ck(&plant).expect("plant installs");
        let started = Instant::now();
        for first in (0..store_count).step_by(BATCH) {
            let batch = (first..(first + BATCH).min(store_count))
                .map(|index| EntityInput {
                    ck_type: "Plant/Machine".into(),
                    rt_id: None,
                    well_known_name: None,
                    attributes: attributes(index),
                    associations: Vec::new(),
                })
                .collect();
            tenant.create_entities(batch).expect("the batch is created");
        }
        started.elapsed().as_secs_f64()
    };

    runtime.block_on(async {
        let stack = TestStack::platform(&data_dir, false).await;
        let embedded = stack.platform.as_ref().expect("the platform runs");

        // 2. The rest through the asset repository's GraphQL `create` mutation, over HTTP.
        let asset = AssetClient::new(&embedded.urls.asset_repository).expect("a client");
        let session = asset.tenant(TENANT, None).expect("a session");
        let started = Instant::now();
        for first in (store_count..n_entities).step_by(BATCH) {
            let batch: Vec<NewEntity> = (first..(first + BATCH).min(n_entities))
                .map(|index| NewEntity {
                    ck_type: "Plant/Machine".into(),
                    well_known_name: None,
                    attributes: attributes(index),
                    associations: Vec::new(),
                })
                .collect();
            session
                .create_entities(&batch)
                .await
                .expect("the batch is created");
        }
        let graphql_secs = started.elapsed().as_secs_f64();

        // 3. query_entities end to end.
        let mut client = stack.tenant_client(TENANT);
        client.initialize().await;
        let arguments = |query_idx: usize| {
            let (low, high) = window(query_idx);
            json!({
                "ckTypeId": "Plant/Machine",
                "filters": {"Operator": "And", "Fields": [
                    {"AttributePath": "Speed", "Operator": "Between", "Value": low, "SecondValue": high}]},
                "sort": [{"AttributePath": "Speed", "Direction": "asc"}],
                "limit": 100,
            })
        };
        // Warm the connection pools and SQLite's page cache once.
        client.call_tool("query_entities", arguments(0)).await;
        let mut end_to_end = Vec::with_capacity(QUERIES);
        let mut matched = 0u64;
        for query_idx in 0..QUERIES {
            let started = Instant::now();
            let result = client.call_tool("query_entities", arguments(query_idx)).await;
            end_to_end.push(started.elapsed());
            assert_eq!(result["isError"], false, "{result}");
            let list = &result["structuredContent"];
            assert_eq!(list["count"], 100, "a full page");
            matched += list["totalCount"].as_u64().expect("a total count");
        }

        // 4. The same query through GraphQL over HTTP (what the worker sends).
        let mut over_graphql_http = Vec::with_capacity(QUERIES);
        for query_idx in 0..QUERIES {
            let (low, high) = window(query_idx);
            let mut query = octomesh_octo_client::types::EntityQuery::of_type("Plant/Machine");
            query.filter = Some(octomesh_octo_client::types::FilterGroup {
                logic: octomesh_octo_client::types::Logic::And,
                fields: vec![octomesh_octo_client::types::FieldFilter {
                    attribute_path: "Speed".into(),
                    operator: octomesh_octo_client::types::FilterOperator::Between,
                    value: Some(json!(low)),
                    second_value: Some(json!(high)),
                }],
                nested: Vec::new(),
            });
            query.sort = vec![octomesh_octo_client::types::Sort {
                attribute_path: "Speed".into(),
                descending: false,
            }];
            let started = Instant::now();
            session.query_entities(&query).await.expect("the query runs");
            over_graphql_http.push(started.elapsed());
        }

        // 5. The same query through the store, in this process.
        let tenant = embedded.asset_store().expect("in process").tenant(TENANT).expect("the tenant");
        let mut through_store = Vec::with_capacity(QUERIES);
        for query_idx in 0..QUERIES {
            let (low, high) = window(query_idx);
            let mut query = EntityQuery::of_type("Plant/Machine");
            query.filter = Some(FilterGroup {
                logic: Logic::And,
                fields: vec![FieldFilter {
                    attribute_path: "Speed".into(),
                    operator: FilterOperator::Between,
                    value: Some(json!(low)),
                    second_value: Some(json!(high)),
                }],
                nested: Vec::new(),
            });
            query.sort = vec![SortColumn {
                attribute_path: "Speed".into(),
                descending: false,
            }];
            let started = Instant::now();
            tenant.query_entities(&query).expect("the query runs");
            through_store.push(started.elapsed());
        }

        // The GraphQL executor alone, in this process (no HTTP).
        let mut executor_only = Vec::with_capacity(QUERIES);
        for query_idx in 0..QUERIES {
            let (low, high) = window(query_idx);
            let request: octomesh_asset_repository::graphql::Request = serde_json::from_value(json!({
                "query": "query($f: FieldFilterGroup, $s: [Sort]) { runtime { runtimeEntities(ckId: \"Plant/Machine\", fieldFilterGroup: $f, sortOrder: $s, first: 100) { totalCount items { rtId ckTypeId rtWellKnownName rtCreationDateTime rtChangedDateTime rtVersion attributes { items { attributeName value } } } } } }",
                "variables": {"f": {"operator": "AND", "fieldFilters": [{"attributePath": "Speed", "operator": "BETWEEN", "comparisonValue": low, "secondaryValue": high}]},
                              "s": [{"attributePath": "Speed", "sortOrder": "ASCENDING"}]},
            })).expect("a request");
            let started = Instant::now();
            let answer = octomesh_asset_repository::graphql::execute(&tenant, request);
            let _text = answer.to_string();
            executor_only.push(started.elapsed());
            assert!(answer.get("errors").is_none(), "{answer}");
        }
        let (exec_p50, exec_p99) = percentiles(&mut executor_only);

        // 6. The same SQL straight on SQLite.
        let on_sqlite = sqlite_floor(&data_dir);

        let (e2e_p50, e2e_p99) = percentiles(&mut end_to_end);
        let (store_p50, store_p99) = percentiles(&mut through_store);
        let (graphql_p50, graphql_p99) = percentiles(&mut over_graphql_http);
        let (floor_p50, floor_p99) = percentiles(&mut on_sqlite.clone());
        println!("| ck family, {n_entities} Plant/Machine entities | value |");
        println!("|---|---:|");
        println!(
            "| bulk create through the store, batches of {BATCH} | {:.0} entities/s ({store_count} in {store_secs:.1} s) |",
            store_count as f64 / store_secs
        );
        println!(
            "| bulk create through GraphQL `create` over HTTP, batches of {BATCH} | {:.0} entities/s ({over_graphql} in {graphql_secs:.1} s) |",
            over_graphql as f64 / graphql_secs
        );
        println!(
            "| `query_entities` end to end: Speed BETWEEN (indexed) + sort, page of 100 + total count | p50 {:.2} ms / p99 {:.2} ms |",
            ms(e2e_p50),
            ms(e2e_p99)
        );
        println!(
            "| the same query through GraphQL over HTTP (the worker's backend call) | p50 {:.2} ms / p99 {:.2} ms |",
            ms(graphql_p50),
            ms(graphql_p99)
        );
        println!(
            "| the same query through the GraphQL executor in process (no HTTP) | p50 {:.2} ms / p99 {:.2} ms |",
            ms(exec_p50),
            ms(exec_p99)
        );
        println!(
            "| the same query through the store (floor) | p50 {:.2} ms / p99 {:.2} ms |",
            ms(store_p50),
            ms(store_p99)
        );
        println!(
            "| the same SQL straight on SQLite (floor) | p50 {:.2} ms / p99 {:.2} ms |",
            ms(floor_p50),
            ms(floor_p99)
        );
        println!(
            "| end to end / SQLite at p50 | {:.2}× |",
            ms(e2e_p50) / ms(floor_p50).max(1e-9)
        );
        println!("(mean matches per query: {})", matched / QUERIES as u64);
        drop(tenant);
        stack.stop().await;
    });
    let _ = std::fs::remove_dir_all(&data_dir);
}

fn sqlite_floor(data_dir: &Path) -> Vec<Duration> {
    let db = rusqlite::Connection::open(data_dir.join(format!("tenants/{TENANT}.sqlite")))
        .expect("the database opens");
    let path = "json_extract(attributes, '$.\"Speed\"')";
    let count_sql = format!(
        "SELECT COUNT(*) FROM entities INDEXED BY \"ix_Plant_Machine_Speed\" WHERE ck_type = 'Plant/Machine' AND archived = 0 AND {path} BETWEEN ?1 AND ?2"
    );
    let page_sql = format!(
        "SELECT rt_id, attributes FROM entities INDEXED BY \"ix_Plant_Machine_Speed\" WHERE ck_type = 'Plant/Machine' AND archived = 0 AND {path} BETWEEN ?1 AND ?2 ORDER BY {path} ASC, rt_id ASC LIMIT 100"
    );
    let mut samples = Vec::with_capacity(QUERIES);
    for query_idx in 0..QUERIES {
        let (low, high) = window(query_idx);
        let started = Instant::now();
        let _count: i64 = db
            .query_row(&count_sql, rusqlite::params![low, high], |row| row.get(0))
            .expect("count");
        let mut statement = db.prepare_cached(&page_sql).expect("prepare");
        let rows: Vec<(String, String)> = statement
            .query_map(rusqlite::params![low, high], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        for (_, attributes) in &rows {
            let _: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(attributes).unwrap_or_default();
        }
        samples.push(started.elapsed());
    }
    samples
}

fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |fraction: f64| samples[((samples.len() as f64 - 1.0) * fraction).round() as usize];
    (at(0.5), at(0.99))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
