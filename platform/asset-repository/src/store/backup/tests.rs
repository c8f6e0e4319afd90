//! Tenant backups: a dump restores as another tenant with the same entities, models,
//! associations and stream data; a restore over a tenant needs `replace`; every damaged or
//! foreign archive is refused with its reason and leaves nothing; a dump during writes is
//! consistent.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{
    BackupError, FORMAT, FORMAT_VERSION, MANIFEST_ENTRY, REPOSITORY_ENTRY, RestoreRequest,
    STREAMDATA_ENTRY,
};
use crate::demo::{DEMO_TENANT, DemoSize, seed};
use crate::series::Point;
use crate::series::archives::{Transition, transition};
use crate::series::orchestrator::{NewAggregation, NewRollup, advance, create_rollup};
use crate::store::{EntityInput, EntityQuery, Platform, SYSTEM_TENANT};

const MINUTE: i64 = 60_000;
const START: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

struct Fixture {
    platform: Arc<Platform>,
    dir: PathBuf,
    raw: String,
    rollup: String,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The demo tenant (2 sensors) with a raw archive of two series, three hours a minute apart
/// (the last hour still in the write log), and an hourly rollup of it.
fn fixture(name: &str) -> Fixture {
    let dir = std::env::temp_dir().join(format!("octomesh-backup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let platform = Arc::new(Platform::open(&dir, crate::builtin::builtin_libraries()).unwrap());
    seed(
        &platform,
        DEMO_TENANT,
        DemoSize {
            sites: 1,
            machines_per_site: 1,
            sensors_per_machine: 2,
        },
    )
    .unwrap();
    let tenant = platform.tenant(DEMO_TENANT).unwrap();
    let raw = tenant
        .create_entity(EntityInput {
            ck_type: "System.StreamData/RawArchive".into(),
            rt_id: None,
            well_known_name: Some("sensor-values".into()),
            attributes: vec![
                ("TargetCkTypeId".into(), json!("Demo/Sensor")),
                (
                    "Columns".into(),
                    json!([{"Path": "LastValue", "Required": true, "Indexed": false}]),
                ),
                ("Status".into(), json!("Created")),
                ("RecomputeInProgress".into(), json!(false)),
            ],
            associations: Vec::new(),
        })
        .unwrap()
        .rt_id;
    transition(&tenant, &raw, Transition::Activate).unwrap();
    let store = platform.series(DEMO_TENANT).unwrap();
    let points = |from: i64, to: i64| -> Vec<Point> {
        (from..to)
            .flat_map(|minute| {
                ["s0", "s1"]
                    .into_iter()
                    .enumerate()
                    .map(move |(idx, name)| Point {
                        series: name.to_owned(),
                        ts: START + minute * MINUTE,
                        values: vec![Some((minute * 3 + idx as i64 * 100) as f64)],
                    })
            })
            .collect()
    };
    store.write(&raw, 1, &points(0, 120)).unwrap();
    store.flush(std::time::Duration::ZERO).unwrap();
    let rollup = create_rollup(
        &tenant,
        &raw,
        NewRollup {
            bucket_ms: 60 * MINUTE,
            lag_ms: Some(0),
            aggregations: ["Avg", "Max"]
                .iter()
                .map(|function| NewAggregation {
                    source_path: "LastValue".into(),
                    function: (*function).into(),
                    ..NewAggregation::default()
                })
                .collect(),
            ..NewRollup::default()
        },
    )
    .unwrap()
    .rt_id;
    advance(&tenant, &store, &rollup, START + 120 * MINUTE).unwrap();
    store.write(&raw, 1, &points(120, 180)).unwrap();
    assert!(
        store.pending_log_rows().unwrap() > 0,
        "some points wait in the log"
    );
    Fixture {
        platform,
        dir,
        raw,
        rollup,
    }
}

/// Every point of every series, by (archive, series).
type Points = BTreeMap<(String, String), Vec<(i64, Vec<Option<f64>>)>>;

/// Everything a tenant answers: its tables row by row, and every point of every archive.
#[derive(Debug, PartialEq)]
struct State {
    entities: Vec<String>,
    associations: Vec<String>,
    models: Vec<String>,
    points: Points,
}

fn rows(platform: &Platform, tenant_id: &str, sql: &str) -> Vec<String> {
    let tenant = platform.tenant(tenant_id).unwrap();
    let db = tenant.db();
    let mut statement = db.prepare(sql).unwrap();
    let columns = statement.column_count();
    statement
        .query_map([], |row| {
            let values: Vec<String> = (0..columns)
                .map(|idx| format!("{:?}", row.get::<_, rusqlite::types::Value>(idx).unwrap()))
                .collect();
            Ok(values.join("|"))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn state(platform: &Platform, tenant_id: &str) -> State {
    let tenant = platform.tenant(tenant_id).unwrap();
    let store = platform.series(tenant_id).unwrap();
    let mut query = EntityQuery::of_type(crate::series::archives::ARCHIVE_TYPE);
    query.limit = crate::store::MAX_LIMIT;
    let mut points = BTreeMap::new();
    for archive in tenant.query_entities(&query).unwrap().entities {
        for series in store.series_ids(&archive.rt_id).unwrap() {
            let mut seen = Vec::new();
            store
                .scan(&archive.rt_id, &series, i64::MIN, i64::MAX, |ts, values| {
                    seen.push((ts, values.to_vec()))
                })
                .unwrap();
            points.insert((archive.rt_id.clone(), series), seen);
        }
    }
    State {
        entities: rows(
            platform,
            tenant_id,
            "SELECT rt_id, ck_type, well_known_name, version, created, changed, archived, attributes FROM entities ORDER BY rt_id",
        ),
        associations: rows(
            platform,
            tenant_id,
            "SELECT origin, role, target, target_type FROM associations ORDER BY origin, role, target",
        ),
        models: rows(
            platform,
            tenant_id,
            "SELECT name, model_id, installed_order, files FROM ck_libraries ORDER BY installed_order",
        ),
        points,
    }
}

fn request(tenant_id: &str, database: &str) -> RestoreRequest {
    RestoreRequest {
        tenant_id: tenant_id.into(),
        database_name: database.into(),
        old_database_name: None,
        restore_archive_data: true,
        replace: false,
    }
}

/// The names in `tenants/` (the transfer directory's own contents listed apart).
fn tenant_files(dir: &Path) -> (Vec<String>, Vec<String>) {
    let list = |path: PathBuf| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(path)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    (
        list(dir.join("tenants"))
            .into_iter()
            .filter(|name| name != ".transfer")
            .collect(),
        list(dir.join("tenants").join(".transfer")),
    )
}

#[test]
fn a_dump_restores_as_another_tenant_with_the_same_entities_models_and_stream_data() {
    let fixture = fixture("copy");
    let platform = &fixture.platform;
    let before = state(platform, DEMO_TENANT);
    assert_eq!(before.points.len(), 4, "two raw series, two rollup series");
    let dump = platform
        .dump(DEMO_TENANT, true, &platform.transfer_dir().unwrap())
        .unwrap();
    let manifest = &dump.manifest;
    assert_eq!(manifest.format, FORMAT);
    assert_eq!(manifest.format_version, FORMAT_VERSION);
    assert_eq!(manifest.source_tenant_id, DEMO_TENANT);
    assert_eq!(manifest.source_database_name, DEMO_TENANT);
    assert!(manifest.includes_archive_data);
    assert_eq!(manifest.counts.entities, before.entities.len() as u64);
    assert_eq!(
        manifest.counts.associations,
        before.associations.len() as u64
    );
    assert_eq!(manifest.counts.archives, 2);
    assert_eq!(manifest.counts.points, Some(2 * 180 + 2 * 2));
    assert_eq!(
        manifest.ck_models.len(),
        before.models.len(),
        "{:?}",
        manifest.ck_models
    );
    assert!(manifest.ck_models.iter().any(|id| id.starts_with("Demo-")));
    let names: Vec<&str> = manifest
        .entries
        .iter()
        .map(|entry| entry.name.as_str())
        .collect();
    assert_eq!(names, [REPOSITORY_ENTRY, STREAMDATA_ENTRY]);
    let archives = manifest.archives.as_ref().unwrap();
    let raw = archives
        .iter()
        .find(|archive| archive.rt_id == fixture.raw)
        .unwrap();
    assert_eq!(
        (
            raw.status.as_str(),
            raw.points,
            raw.rt_well_known_name.as_deref()
        ),
        ("Activated", 360, Some("sensor-values"))
    );
    assert!(dump.file_name.starts_with("demo-") && dump.file_name.ends_with(".octobak"));
    assert_eq!(dump.file_name.len(), "demo-20260101-000000.octobak".len());

    // The archive: the manifest is the last entry, and each entry is deflated.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(dump.path()).unwrap()).unwrap();
    assert_eq!(
        zip.by_index(zip.len() - 1).unwrap().name().unwrap(),
        MANIFEST_ENTRY
    );
    assert_eq!(
        zip.by_name(REPOSITORY_ENTRY).unwrap().compression(),
        zip::CompressionMethod::Deflated
    );

    let report = platform
        .restore(dump.path(), &request("copy", "copy-db"))
        .unwrap();
    assert_eq!(report.tenant_id, "copy");
    assert_eq!(report.database_name, "copy-db");
    assert_eq!(report.source_tenant_id, DEMO_TENANT);
    assert_eq!(report.entities, before.entities.len() as u64);
    assert_eq!(report.associations, before.associations.len() as u64);
    assert_eq!(report.ck_models, manifest.ck_models);
    assert!(report.restored_archive_data);
    assert_eq!(report.archives, 2);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    assert_eq!(state(platform, "copy"), before);
    let entry = platform.entry("copy").unwrap();
    assert_eq!(entry.database, "copy-db");
    assert_eq!(entry.parent.as_deref(), Some(SYSTEM_TENANT));
    // The catalog was rebuilt, the archives and the rollup work as in the source.
    let copy = platform.tenant("copy").unwrap();
    let store = platform.series("copy").unwrap();
    assert_eq!(
        store.stats(&fixture.raw).unwrap(),
        platform
            .series(DEMO_TENANT)
            .unwrap()
            .stats(&fixture.raw)
            .unwrap()
    );
    let progress = advance(&copy, &store, &fixture.rollup, START + 180 * MINUTE).unwrap();
    assert_eq!(
        progress.rows, 2,
        "the third hour closes in the copy as in the source"
    );
    // The source is as it was; the dump and the scratch files are gone once dropped.
    assert_eq!(state(platform, DEMO_TENANT), before);
    drop(dump);
    let (files, transfer) = tenant_files(&fixture.dir);
    assert!(transfer.is_empty(), "{transfer:?}");
    assert!(files.contains(&"copy-db.sqlite".to_owned()), "{files:?}");
    assert!(
        files.contains(&"copy-db.series.sqlite".to_owned()),
        "{files:?}"
    );
}

#[test]
fn a_restore_over_a_tenant_needs_replace_and_without_it_changes_nothing() {
    let fixture = fixture("replace");
    let platform = &fixture.platform;
    let at_dump = state(platform, DEMO_TENANT);
    let dump = platform
        .dump(DEMO_TENANT, false, &platform.transfer_dir().unwrap())
        .unwrap();
    assert!(!dump.manifest.includes_archive_data);
    assert_eq!(dump.manifest.archives, None);
    assert_eq!(dump.manifest.counts.points, None);
    assert_eq!(dump.manifest.entries.len(), 1);

    // A change after the dump.
    let tenant = platform.tenant(DEMO_TENANT).unwrap();
    tenant
        .update_entity(
            &crate::demo::demo_rt_id(1, 0),
            None,
            vec![("Name".into(), json!("Renamed"))],
        )
        .unwrap();
    let changed = state(platform, DEMO_TENANT);
    let files = tenant_files(&fixture.dir);

    let refused = platform
        .restore(dump.path(), &request(DEMO_TENANT, DEMO_TENANT))
        .unwrap_err();
    match &refused {
        BackupError::Conflict(message) => assert_eq!(
            message,
            "tenant demo exists: restore over it only with replace=true (the tool's confirm)"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(state(platform, DEMO_TENANT), changed);
    assert_eq!(tenant_files(&fixture.dir), files);

    // With replace, over its own database: the entities are the dump's, the stream data is
    // not restored and the report says so.
    let replace = RestoreRequest {
        replace: true,
        restore_archive_data: false,
        ..request(DEMO_TENANT, DEMO_TENANT)
    };
    let report = platform.restore(dump.path(), &replace).unwrap();
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0].contains("stream data was not restored")
            && report.warnings[0].contains("2 archive(s)"),
        "{:?}",
        report.warnings
    );
    let restored = state(platform, DEMO_TENANT);
    assert_eq!(restored.entities, at_dump.entities);
    assert_eq!(restored.associations, at_dump.associations);
    assert_eq!(restored.models, at_dump.models);
    assert!(restored.points.is_empty(), "{:?}", restored.points.keys());
    // The handle taken before the restore is closed: it fails instead of writing to the
    // replaced file.
    assert!(tenant.get_entity(&fixture.raw).is_err());

    // With replace into another database: the binding moves, the old database goes.
    let moved = RestoreRequest {
        replace: true,
        ..request(DEMO_TENANT, "demo-two")
    };
    platform.restore(dump.path(), &moved).unwrap();
    assert_eq!(platform.entry(DEMO_TENANT).unwrap().database, "demo-two");
    let (files, transfer) = tenant_files(&fixture.dir);
    assert!(!files.contains(&"demo.sqlite".to_owned()), "{files:?}");
    assert!(files.contains(&"demo-two.sqlite".to_owned()), "{files:?}");
    assert!(transfer.len() == 1, "only the dump waits: {transfer:?}");
    assert_eq!(state(platform, DEMO_TENANT).entities, at_dump.entities);

    // A database bound to another tenant, reserved names, the system tenant: refused.
    platform.create_tenant("other").unwrap();
    let bound = platform
        .restore(dump.path(), &request("third", "other"))
        .unwrap_err();
    assert!(
        matches!(&bound, BackupError::Conflict(message) if message.contains("bound to another tenant")),
        "{bound:?}"
    );
    for (tenant_id, database) in [
        (SYSTEM_TENANT, "copy"),
        ("third", SYSTEM_TENANT),
        ("third", "admin"),
    ] {
        let refused = platform
            .restore(dump.path(), &request(tenant_id, database))
            .unwrap_err();
        assert!(matches!(refused, BackupError::Refused(_)), "{refused:?}");
    }
    let refused = platform
        .restore(dump.path(), &request("third", "a/b"))
        .unwrap_err();
    assert!(
        matches!(&refused, BackupError::Refused(message) if message.contains("not a database name")),
        "{refused:?}"
    );
    assert!(platform.entry("third").is_none());
}

#[test]
fn archive_data_flags_warn_about_what_is_not_restored() {
    let fixture = fixture("flags");
    let platform = &fixture.platform;
    let dir = platform.transfer_dir().unwrap();
    let without = platform.dump(DEMO_TENANT, false, &dir).unwrap();
    let report = platform
        .restore(without.path(), &request("asked", "asked"))
        .unwrap();
    assert!(!report.restored_archive_data);
    assert!(
        report.warnings[0].contains("holds no stream data"),
        "{:?}",
        report.warnings
    );
    let with = platform.dump(DEMO_TENANT, true, &dir).unwrap();
    let skipped = RestoreRequest {
        restore_archive_data: false,
        ..request("skipped", "skipped")
    };
    let report = platform.restore(with.path(), &skipped).unwrap();
    assert!(!report.restored_archive_data);
    assert!(
        report.warnings[0].contains("restoreArchiveData=false"),
        "{:?}",
        report.warnings
    );
    assert!(state(platform, "skipped").points.is_empty());

    // oldDatabaseName must name the backup's database.
    let wrong = RestoreRequest {
        old_database_name: Some("elsewhere".into()),
        ..request("named", "named")
    };
    let refused = platform.restore(with.path(), &wrong).unwrap_err();
    assert!(
        matches!(&refused, BackupError::Refused(message) if message.contains("the backup is of database `demo`, not `elsewhere`")),
        "{refused:?}"
    );
    let right = RestoreRequest {
        old_database_name: Some("Demo".into()),
        ..request("named", "named")
    };
    platform.restore(with.path(), &right).unwrap();
    assert_eq!(state(platform, "named"), state(platform, DEMO_TENANT));
}

/// The entries of a ZIP, in order.
fn entries_of(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|idx| {
            let mut entry = zip.by_index(idx).unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (entry.name().unwrap().into_owned(), data)
        })
        .collect()
}

fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The backup's entries with `data` in place of `name`'s bytes and the manifest changed by
/// `edit` (`sha` of the new bytes given).
fn rebuilt(
    bytes: &[u8],
    replace: Option<(&str, Vec<u8>)>,
    edit: impl Fn(&mut Value, Option<String>),
) -> Vec<u8> {
    let mut entries = entries_of(bytes);
    let mut new_sha = None;
    if let Some((name, data)) = replace {
        new_sha = Some(
            Sha256::digest(&data)
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect(),
        );
        entries
            .iter_mut()
            .find(|(entry, _)| entry == name)
            .unwrap()
            .1 = data;
    }
    let manifest = entries
        .iter_mut()
        .find(|(name, _)| name == MANIFEST_ENTRY)
        .unwrap();
    let mut value: Value = serde_json::from_slice(&manifest.1).unwrap();
    edit(&mut value, new_sha);
    manifest.1 = serde_json::to_vec(&value).unwrap();
    zip_of(&entries)
}

#[test]
fn damaged_and_foreign_archives_are_refused_with_the_reason_and_leave_nothing() {
    let fixture = fixture("damaged");
    let platform = &fixture.platform;
    let dump = platform
        .dump(DEMO_TENANT, true, &platform.transfer_dir().unwrap())
        .unwrap();
    let good = std::fs::read(dump.path()).unwrap();
    drop(dump);
    let tenants = platform.tenant_ids().unwrap();
    let files = tenant_files(&fixture.dir);
    let upload = fixture.dir.join("upload.octobak");
    let refuse = |bytes: &[u8]| -> String {
        std::fs::write(&upload, bytes).unwrap();
        let error = platform
            .restore(&upload, &request("copy", "copy"))
            .unwrap_err();
        assert_eq!(platform.tenant_ids().unwrap(), tenants, "no tenant bound");
        assert_eq!(tenant_files(&fixture.dir), files, "no file left");
        match error {
            BackupError::Refused(message) => message,
            other => panic!("{other:?}"),
        }
    };
    let expect = |bytes: &[u8], wanted: &str| {
        let message = refuse(bytes);
        assert!(message.contains(wanted), "`{wanted}` not in: {message}");
    };
    let repository = entries_of(&good)
        .into_iter()
        .find(|(name, _)| name == REPOSITORY_ENTRY)
        .unwrap()
        .1;

    expect(
        b"not a zip at all",
        "not an OctoMesh tenant backup: it is not a ZIP",
    );
    expect(
        &good[..good.len() / 2],
        "truncated or damaged: its ZIP central directory",
    );
    expect(&good[..good.len() - 10], "truncated or damaged");
    expect(
        &zip_of(&[(REPOSITORY_ENTRY.to_owned(), repository.clone())]),
        "the ZIP holds no `manifest.json`",
    );
    expect(
        &rebuilt(&good, None, |manifest, _| {
            manifest["format"] = json!("someone-else")
        }),
        "its manifest is of format `someone-else`",
    );
    expect(
        &zip_of(&[(
            MANIFEST_ENTRY.to_owned(),
            br#"{"formatVersion":1,"sourceTenantId":"acme","archives":[]}"#.to_vec(),
        )]),
        "names no `format`",
    );
    expect(
        &rebuilt(&good, None, |manifest, _| {
            manifest["formatVersion"] = json!(2)
        }),
        "format version is 2; this asset repository restores version 1",
    );
    // One byte changed in the snapshot, the ZIP itself intact: the hash tells.
    let mut flipped = repository.clone();
    flipped[repository.len() / 2] ^= 0x55;
    expect(
        &rebuilt(&good, Some((REPOSITORY_ENTRY, flipped)), |_, _| {}),
        "the SHA-256 of `repository.sqlite` is",
    );
    // One byte changed inside the compressed data.
    let mut raw = good.clone();
    raw[200] ^= 0x55;
    expect(&raw, "damaged");
    expect(
        &rebuilt(&good, None, |manifest, _| {
            manifest["entries"][0]["sizeBytes"] = json!(repository.len() + 1)
        }),
        "its manifest says",
    );
    let without_streamdata: Vec<(String, Vec<u8>)> = entries_of(&good)
        .into_iter()
        .filter(|(name, _)| name != STREAMDATA_ENTRY)
        .collect();
    expect(
        &zip_of(&without_streamdata),
        "`streamdata.sqlite`, which its manifest lists, is not in the ZIP",
    );
    // Bytes that hash as the manifest says but are no SQLite database.
    let garbage = vec![0x42u8; 8192];
    let garbage_len = garbage.len();
    expect(
        &rebuilt(&good, Some((REPOSITORY_ENTRY, garbage)), |manifest, sha| {
            manifest["entries"][0]["sizeBytes"] = json!(garbage_len);
            manifest["entries"][0]["sha256"] = json!(sha.unwrap());
        }),
        "fails SQLite's integrity check",
    );
    // A sound SQLite database that is not a tenant's.
    let foreign = fixture.dir.join("foreign.sqlite");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('hi');")
        .unwrap();
    let foreign_bytes = std::fs::read(&foreign).unwrap();
    let foreign_len = foreign_bytes.len();
    expect(
        &rebuilt(
            &good,
            Some((REPOSITORY_ENTRY, foreign_bytes)),
            |manifest, sha| {
                manifest["entries"][0]["sizeBytes"] = json!(foreign_len);
                manifest["entries"][0]["sha256"] = json!(sha.unwrap());
            },
        ),
        "lacks the tables a tenant has (ck_libraries, entities, associations)",
    );
    // The intact archive still restores.
    std::fs::write(&upload, &good).unwrap();
    platform.restore(&upload, &request("copy", "copy")).unwrap();
}

#[test]
fn a_dump_taken_while_writes_happen_is_consistent() {
    let fixture = fixture("writes");
    let platform = Arc::clone(&fixture.platform);
    let base_entities = platform
        .tenant(DEMO_TENANT)
        .unwrap()
        .count_entities()
        .unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (platform, stop, raw) = (
            Arc::clone(&platform),
            Arc::clone(&stop),
            fixture.raw.clone(),
        );
        std::thread::spawn(move || {
            let tenant = platform.tenant(DEMO_TENANT).unwrap();
            let store = platform.series(DEMO_TENANT).unwrap();
            let mut round = 0i64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Three entities per transaction, fifty points per write.
                let site = |idx: i64| EntityInput {
                    ck_type: "Demo/Site".into(),
                    rt_id: None,
                    well_known_name: None,
                    attributes: vec![
                        ("Name".into(), json!(format!("Site {round}-{idx}"))),
                        ("Country".into(), json!("AT")),
                        (
                            "Address".into(),
                            json!({"City": "Linz", "Latitude": 48.3, "Longitude": 14.3}),
                        ),
                    ],
                    associations: Vec::new(),
                };
                tenant.create_entities((0..3).map(site).collect()).unwrap();
                let points: Vec<Point> = (0..50)
                    .map(|idx| Point {
                        series: "busy".into(),
                        ts: START + (1_000 + round * 50 + idx) * MINUTE,
                        values: vec![Some(idx as f64)],
                    })
                    .collect();
                store.write(&raw, 1, &points).unwrap();
                round += 1;
            }
            round
        })
    };
    let dir = platform.transfer_dir().unwrap();
    let mut dumps = Vec::new();
    for _ in 0..4 {
        dumps.push(platform.dump(DEMO_TENANT, true, &dir).unwrap());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let rounds = writer.join().unwrap();
    assert!(rounds > 0);
    for (idx, dump) in dumps.iter().enumerate() {
        let tenant_id = format!("copy-{idx}");
        let report = platform
            .restore(dump.path(), &request(&tenant_id, &tenant_id))
            .unwrap();
        let written = report.entities - base_entities;
        assert_eq!(written % 3, 0, "whole transactions only: {written}");
        let mut busy = 0;
        platform
            .series(&tenant_id)
            .unwrap()
            .scan(&fixture.raw, "busy", i64::MIN, i64::MAX, |_, _| busy += 1)
            .unwrap();
        assert_eq!(busy % 50, 0, "whole writes only: {busy}");
        let raw = dump
            .manifest
            .archives
            .as_ref()
            .unwrap()
            .iter()
            .find(|archive| archive.rt_id == fixture.raw)
            .unwrap()
            .points;
        assert_eq!(
            raw,
            360 + busy,
            "the manifest counts what the snapshot holds"
        );
    }
}
