//! Storage benchmark, one table: bulk creation, and a filtered (indexed path) and sorted page of 100
//! through the platform's query engine beside the same SQL straight on SQLite (the floor).
//!
//!   cargo bench -p octomesh-platform --bench storage            # 1,000,000 entities
//!   ENTITIES=100000 cargo bench -p octomesh-platform --bench storage

use std::path::Path;
use std::time::{Duration, Instant};

use octomesh_asset_repository::ck::load::LibraryFiles;
use octomesh_asset_repository::store::{
    EntityInput, EntityQuery, FieldFilter, FilterGroup, FilterOperator, Logic, Platform, SortColumn,
};
use serde_json::json;

const BATCH: usize = 10_000;
const QUERIES: usize = 200;

fn main() {
    let n_entities: usize = std::env::args()
        .skip(1)
        .find_map(|arg| arg.strip_prefix("--entities=").and_then(|n| n.parse().ok()))
        .or_else(option_env_entities)
        .unwrap_or(1_000_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data_dir =
        std::env::temp_dir().join(format!("octomesh-storage-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let system =
        LibraryFiles::read_dir(&root.join("fixtures/octomesh/ck/System")).expect("System loads");
    let platform = Platform::open(&data_dir, vec![system]).expect("the data directory opens");
    let tenant = platform.create_tenant("bench").expect("a tenant");
    tenant
        .import_ck(&LibraryFiles::read_dir(&root.join("fixtures/plant")).expect("plant loads"))
        .expect("plant installs");

    let speed = |index: usize| ((index * 7919) % 1_000_000) as f64 / 10.0;
    let started = Instant::now();
    for first in (0..n_entities).step_by(BATCH) {
        let batch = (first..(first + BATCH).min(n_entities))
            .map(|index| EntityInput {
                ck_type: "Plant/Machine".into(),
                rt_id: None,
                well_known_name: None,
                attributes: vec![
                    ("Label".into(), json!(format!("machine {index}"))),
                    ("Speed".into(), json!(speed(index))),
                    ("Count".into(), json!(index % 100)),
                ],
                associations: Vec::new(),
            })
            .collect();
        tenant.create_entities(batch).expect("the batch is created");
    }
    let create_secs = started.elapsed().as_secs_f64();

    // A window of Speed values that holds a few hundred entities, moved along for each query.
    let window = |query_idx: usize| {
        let low = (query_idx * 4_999 % 99_000) as f64;
        (low, low + 400.0)
    };
    let mut through_store = Vec::with_capacity(QUERIES);
    let mut total_seen = 0;
    for query_idx in 0..QUERIES {
        let (low, high) = window(query_idx);
        let query = EntityQuery {
            ck_type: "Plant/Machine".into(),
            filter: Some(FilterGroup {
                logic: Logic::And,
                fields: vec![FieldFilter {
                    attribute_path: "Speed".into(),
                    operator: FilterOperator::Between,
                    value: Some(json!(low)),
                    second_value: Some(json!(high)),
                }],
                nested: Vec::new(),
            }),
            search: None,
            sort: vec![SortColumn {
                attribute_path: "Speed".into(),
                descending: false,
            }],
            limit: 100,
            offset: 0,
            include_archived: false,
            attribute_paths: None,
            rt_ids: None,
            related: None,
        };
        let started = Instant::now();
        let page = tenant.query_entities(&query).expect("the query runs");
        through_store.push(started.elapsed());
        total_seen += page.total_count;
    }

    let floor_db = rusqlite::Connection::open(data_dir.join("tenants/bench.sqlite"))
        .expect("the database opens");
    let path = "json_extract(attributes, '$.\"Speed\"')";
    let count_sql = format!(
        "SELECT COUNT(*) FROM entities INDEXED BY \"ix_Plant_Machine_Speed\" WHERE ck_type = 'Plant/Machine' AND archived = 0 AND {path} BETWEEN ?1 AND ?2"
    );
    let page_sql = format!(
        "SELECT rt_id, ck_type, well_known_name, version, created, changed, archived, attributes FROM entities INDEXED BY \"ix_Plant_Machine_Speed\" WHERE ck_type = 'Plant/Machine' AND archived = 0 AND {path} BETWEEN ?1 AND ?2 ORDER BY {path} ASC, rt_id ASC LIMIT 100"
    );
    let mut on_sqlite = Vec::with_capacity(QUERIES);
    for query_idx in 0..QUERIES {
        let (low, high) = window(query_idx);
        let started = Instant::now();
        let count: i64 = floor_db
            .query_row(&count_sql, rusqlite::params![low, high], |row| row.get(0))
            .expect("count");
        let mut statement = floor_db.prepare_cached(&page_sql).expect("prepare");
        let rows: Vec<(String, String)> = statement
            .query_map(rusqlite::params![low, high], |row| {
                Ok((row.get(0)?, row.get(7)?))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        // Decode the attributes as the store does, so both sides do the same work.
        for (_, attributes) in &rows {
            let _: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(attributes).unwrap_or_default();
        }
        on_sqlite.push(started.elapsed());
        assert!(count >= 0);
    }

    let (store_p50, store_p99) = percentiles(&mut through_store);
    let (floor_p50, floor_p99) = percentiles(&mut on_sqlite);
    println!("| storage ({n_entities} Plant/Machine entities) | value |");
    println!("|---|---:|");
    println!(
        "| bulk create, batches of {BATCH} | {:.0} entities/s ({create_secs:.1} s) |",
        n_entities as f64 / create_secs
    );
    println!(
        "| Speed BETWEEN (indexed) + sort, page of 100 + total count, through the store | p50 {:.2} ms / p99 {:.2} ms |",
        ms(store_p50),
        ms(store_p99)
    );
    println!(
        "| the same SQL straight on SQLite (floor) | p50 {:.2} ms / p99 {:.2} ms |",
        ms(floor_p50),
        ms(floor_p99)
    );
    println!(
        "| store / floor at p50 | {:.2}× |",
        ms(store_p50) / ms(floor_p50).max(1e-9)
    );
    println!("(mean matches per query: {})", total_seen / QUERIES as u64);
    drop(tenant);
    drop(platform);
    let _ = std::fs::remove_dir_all(&data_dir);
}

fn option_env_entities() -> Option<usize> {
    std::env::vars()
        .find(|(key, _)| key == "ENTITIES")
        .and_then(|(_, value)| value.parse().ok())
}

fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |fraction: f64| samples[((samples.len() as f64 - 1.0) * fraction).round() as usize];
    (at(0.5), at(0.99))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
