//! `system/v1/tenants/{tenantId}/streamdata/archives/{rtId}/export|import`: an archive's points
//! as a file (`crate::series::archive_data`) and back.
//!
//! - **export** (`GET …/export?fromUtc=&toUtc=`, half-open, each optional): the zip
//!   `export-<wellKnownName-or-rtId>-<yyyyMMdd-HHmmss>.zip`, rows written to an anonymous
//!   temporary file one series at a time (memory holds one series, never the archive).
//! - **import** (`POST …/import?mode=InsertOnly|Upsert`, the zip as the raw body, at most
//!   [`MAX_IMPORT_BYTES`], spooled to a temporary file): the target must be Disabled and of the
//!   same kind, target type and columns; every line is checked before any is written (a bad line
//!   refuses the whole import, naming it). `InsertOnly` keeps rows whose (rtid, timestamp) the
//!   archive holds already and counts them as `rowsSkipped`; `Upsert` replaces them. Rollup
//!   archives take no import (their rows are the orchestrator's): recompute them instead.
//!   Once checked, rows are written in batches; should storage fail midway, the archive stays
//!   Disabled and the same file imports again with `Upsert`.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AssetApi;
use super::download::{anonymous_file, file_response, refused};
use super::error::ApiError;
use super::streamdata::blocking;
use crate::series::archive_data::{
    self, DATA_ENTRY, FORMAT_VERSION, Kind, METADATA_ENTRY, Metadata, Window,
};
use crate::series::archives::{self, ArchiveStatus};
use crate::store::{Platform, StoreError, format_rfc3339_ms, parse_rfc3339_ms};

/// Largest archive-data upload.
pub(crate) const MAX_IMPORT_BYTES: usize = 2 * 1024 * 1024 * 1024;
/// Largest `metadata.json`.
const MAX_METADATA_BYTES: u64 = 1024 * 1024;
/// Longest line of `data.ndjson`.
const MAX_LINE_BYTES: u64 = 1024 * 1024;
/// Points per write.
const BATCH: usize = 10_000;

/// What an archive-data request ends in.
enum Outcome<T> {
    Done(T),
    Refused(StatusCode, String),
}

fn io(error: std::io::Error) -> StoreError {
    StoreError::Io(format!(
        "the archive data cannot be written or read: {error}"
    ))
}

fn zip_io(error: zip::result::ZipError) -> StoreError {
    StoreError::Io(format!("the archive data cannot be written: {error}"))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExportQuery {
    from_utc: Option<String>,
    to_utc: Option<String>,
}

/// `GET system/v1/tenants/{tenantId}/streamdata/archives/{rtId}/export`.
pub(crate) async fn export(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, rt_id)): Path<(String, String)>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let bound = |text: &Option<String>, name: &str| match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => parse_rfc3339_ms(text).map(Some).ok_or_else(|| {
            format!(
                "`{name}` must be an ISO-8601 date-time such as 2026-01-31T00:00:00Z, not `{text}`"
            )
        }),
    };
    let (from, to) = match (
        bound(&query.from_utc, "fromUtc"),
        bound(&query.to_utc, "toUtc"),
    ) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(message), _) | (_, Err(message)) => {
            return Ok(refused(StatusCode::BAD_REQUEST, message));
        }
    };
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Ok(refused(
            StatusCode::BAD_REQUEST,
            "`fromUtc` must be before `toUtc` (the window is [fromUtc, toUtc))",
        ));
    }
    let outcome = blocking(&api, move |platform| {
        write_export(platform, &tenant_id, &rt_id, from, to)
    })
    .await?;
    match outcome {
        Outcome::Done((file, name)) => {
            file_response(file, &name, "application/zip").map_err(|error| ApiError(io(error)))
        }
        Outcome::Refused(status, message) => Ok(refused(status, message)),
    }
}

fn write_export(
    platform: &Platform,
    tenant_id: &str,
    rt_id: &str,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<Outcome<(std::fs::File, String)>, StoreError> {
    let tenant = platform.tenant(tenant_id)?;
    let archive = archives::load(&tenant, rt_id)?;
    let entity = tenant
        .get_entity(rt_id)?
        .ok_or_else(|| StoreError::NotFound(rt_id.to_owned()))?;
    let store = platform.series(tenant_id)?;
    let mut data = std::io::BufWriter::new(anonymous_file().map_err(io)?);
    let mut rows: u64 = 0;
    let mut failed: Option<std::io::Error> = None;
    for series in store.series_ids(rt_id)? {
        store.scan(
            rt_id,
            &series,
            from.unwrap_or(i64::MIN),
            to.unwrap_or(i64::MAX),
            |ts, values| {
                if failed.is_some() {
                    return;
                }
                let row = archive_data::row(&archive, &series, ts, values);
                let written = serde_json::to_writer(&mut data, &row)
                    .map_err(std::io::Error::other)
                    .and_then(|()| data.write_all(b"\n"));
                match written {
                    Ok(()) => rows += 1,
                    Err(error) => failed = Some(error),
                }
            },
        )?;
        if let Some(error) = failed.take() {
            return Err(io(error));
        }
    }
    let mut data = data.into_inner().map_err(|error| io(error.into_error()))?;
    data.seek(SeekFrom::Start(0)).map_err(io)?;
    let now = now_ms();
    let metadata = Metadata {
        format_version: FORMAT_VERSION,
        exported_at_utc: format_rfc3339_ms(now),
        source_tenant_id: tenant_id.to_owned(),
        archive: archive_data::archive_metadata(
            &archive,
            entity.well_known_name.clone(),
            &entity.attributes,
        ),
        window: (from.is_some() || to.is_some()).then(|| Window {
            from_utc: from.map_or_else(String::new, format_rfc3339_ms),
            to_utc: to.map_or_else(String::new, format_rfc3339_ms),
        }),
        row_count: rows,
    };
    let mut zip = zip::ZipWriter::new(anonymous_file().map_err(io)?);
    let options = zip::write::SimpleFileOptions::default().large_file(true);
    zip.start_file(METADATA_ENTRY, options).map_err(zip_io)?;
    serde_json::to_writer_pretty(&mut zip, &metadata).map_err(|error| io(error.into()))?;
    zip.start_file(DATA_ENTRY, options).map_err(zip_io)?;
    std::io::copy(&mut data, &mut zip).map_err(io)?;
    let file = zip.finish().map_err(zip_io)?;
    let label: String = entity
        .well_known_name
        .as_deref()
        .unwrap_or(rt_id)
        .chars()
        .map(|char| {
            if char.is_ascii_alphanumeric() || matches!(char, '-' | '_' | '.') {
                char
            } else {
                '_'
            }
        })
        .collect();
    let stamp: String = format_rfc3339_ms(now)
        .chars()
        .filter(|char| char.is_ascii_digit())
        .take(14)
        .collect();
    let name = format!("export-{label}-{}-{}.zip", &stamp[..8], &stamp[8..]);
    Ok(Outcome::Done((file, name)))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

#[derive(Deserialize)]
pub(crate) struct ImportQuery {
    mode: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    InsertOnly,
    Upsert,
}

/// What an import did.
struct Imported {
    rows: u64,
    skipped: u64,
}

/// `POST system/v1/tenants/{tenantId}/streamdata/archives/{rtId}/import?mode=`.
pub(crate) async fn import(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, rt_id)): Path<(String, String)>,
    Query(query): Query<ImportQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let mode = match query.mode.as_deref().unwrap_or("InsertOnly") {
        "InsertOnly" | "insertOnly" | "0" => Mode::InsertOnly,
        "Upsert" | "upsert" | "1" => Mode::Upsert,
        other => {
            return Ok(refused(
                StatusCode::BAD_REQUEST,
                format!("`mode` is InsertOnly or Upsert, not `{other}`"),
            ));
        }
    };
    let mut file = anonymous_file().map_err(|error| ApiError(io(error)))?;
    let mut stream = body.into_data_stream();
    let mut received: usize = 0;
    use tokio_stream::StreamExt as _;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                return Ok(refused(
                    StatusCode::BAD_REQUEST,
                    format!("the upload broke off: {error}"),
                ));
            }
        };
        received += chunk.len();
        if received > MAX_IMPORT_BYTES {
            return Ok(refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the upload is larger than {MAX_IMPORT_BYTES} bytes; export a smaller window (fromUtc/toUtc) and import the parts"
                ),
            ));
        }
        file.write_all(&chunk)
            .map_err(|error| ApiError(io(error)))?;
    }
    let archive_rt_id = rt_id.clone();
    let outcome = blocking(&api, move |platform| {
        read_import(platform, &tenant_id, &rt_id, file, mode)
    })
    .await?;
    match outcome {
        Outcome::Done(imported) => Ok(Json(json!({
            "rowsImported": imported.rows,
            "rowsSkipped": imported.skipped,
            "archiveRtId": archive_rt_id,
        }))
        .into_response()),
        Outcome::Refused(status, message) => Ok(refused(status, message)),
    }
}

fn read_import(
    platform: &Platform,
    tenant_id: &str,
    rt_id: &str,
    file: std::fs::File,
    mode: Mode,
) -> Result<Outcome<Imported>, StoreError> {
    let bad = |message: String| Ok(Outcome::Refused(StatusCode::BAD_REQUEST, message));
    let tenant = platform.tenant(tenant_id)?;
    let archive = archives::load(&tenant, rt_id)?;
    if archive.status != ArchiveStatus::Disabled {
        return Ok(Outcome::Refused(
            StatusCode::CONFLICT,
            format!(
                "archive {rt_id} is {}; disable it first (disable_archive)",
                archive.status.name()
            ),
        ));
    }
    if archive.rollup.is_some() {
        return bad(format!(
            "archive {rt_id} is a rollup: its rows are computed from its source archive; import into the source, then recompute the rollup"
        ));
    }
    let entity = tenant
        .get_entity(rt_id)?
        .ok_or_else(|| StoreError::NotFound(rt_id.to_owned()))?;
    let target = archive_data::archive_metadata(
        &archive,
        entity.well_known_name.clone(),
        &entity.attributes,
    );
    let mut zip = match zip::ZipArchive::new(file) {
        Ok(zip) => zip,
        Err(error) => {
            return bad(format!(
                "the body is not an archive-data zip (metadata.json and data.ndjson): {error}"
            ));
        }
    };
    let metadata: Metadata = {
        let Ok(entry) = zip.by_name(METADATA_ENTRY) else {
            return bad(format!(
                "the zip holds no `{METADATA_ENTRY}`: upload a file an archive export wrote"
            ));
        };
        let mut text = String::new();
        if entry
            .take(MAX_METADATA_BYTES)
            .read_to_string(&mut text)
            .is_err()
        {
            return bad(format!("`{METADATA_ENTRY}` is not UTF-8 text"));
        }
        match serde_json::from_str(&text) {
            Ok(metadata) => metadata,
            Err(error) => {
                return bad(format!(
                    "`{METADATA_ENTRY}` is not archive-data metadata: {error}"
                ));
            }
        }
    };
    if metadata.format_version != FORMAT_VERSION {
        return bad(format!(
            "the file is of format version {}; this platform reads version {FORMAT_VERSION}",
            metadata.format_version
        ));
    }
    if let Some(mismatch) = archive_data::schema_mismatch(&metadata.archive, &target) {
        return bad(format!("the file does not fit archive {rt_id}: {mismatch}"));
    }
    debug_assert!(Kind::of(&archive) != Kind::Rollup);
    // Pass 1: every line is checked, nothing is written.
    let mut spans: HashMap<String, (i64, i64)> = HashMap::new();
    let mut rows: u64 = 0;
    let refusal = each_point(&mut zip, &archive, |point| {
        let span = spans
            .entry(point.series.clone())
            .or_insert((point.ts, point.ts));
        span.0 = span.0.min(point.ts);
        span.1 = span.1.max(point.ts);
        rows += 1;
        Ok(())
    })?;
    if let Some(message) = refusal {
        return bad(message);
    }
    if rows != metadata.row_count {
        return bad(format!(
            "`{METADATA_ENTRY}` says {} rows, `{DATA_ENTRY}` holds {rows}: the file is incomplete; nothing was imported",
            metadata.row_count
        ));
    }
    let store = platform.series(tenant_id)?;
    store.ensure_enabled()?;
    let mut existing: HashSet<(String, i64)> = HashSet::new();
    if mode == Mode::InsertOnly {
        for (series, (first, last)) in &spans {
            store.scan(rt_id, series, *first, last.saturating_add(1), |ts, _| {
                existing.insert((series.clone(), ts));
            })?;
        }
    }
    // Pass 2: the checked rows, in batches.
    let columns = archive.storage_columns();
    let mut batch = Vec::with_capacity(BATCH);
    let mut imported = Imported {
        rows: 0,
        skipped: 0,
    };
    let refusal = each_point(&mut zip, &archive, |point| {
        batch.push(point);
        if batch.len() >= BATCH {
            imported.skipped += archive_data::drop_existing(&mut batch, &existing) as u64;
            imported.rows += batch.len() as u64;
            store.write(rt_id, columns, &batch)?;
            batch.clear();
        }
        Ok(())
    })?;
    if let Some(message) = refusal {
        return Err(StoreError::Io(format!(
            "the upload changed while it was read: {message}"
        )));
    }
    imported.skipped += archive_data::drop_existing(&mut batch, &existing) as u64;
    imported.rows += batch.len() as u64;
    store.write(rt_id, columns, &batch)?;
    Ok(Outcome::Done(imported))
}

/// Calls `each` with every row of `data.ndjson` as a point; `Ok(Some(message))` names the
/// first bad line (1-based) and stops.
fn each_point(
    zip: &mut zip::ZipArchive<std::fs::File>,
    archive: &archives::Archive,
    mut each: impl FnMut(crate::series::Point) -> Result<(), StoreError>,
) -> Result<Option<String>, StoreError> {
    let Ok(entry) = zip.by_name(DATA_ENTRY) else {
        return Ok(Some(format!(
            "the zip holds no `{DATA_ENTRY}`: upload a file an archive export wrote"
        )));
    };
    let mut reader = BufReader::new(entry);
    let mut line = String::new();
    let mut number = 0u64;
    loop {
        line.clear();
        number += 1;
        let read = (&mut reader).take(MAX_LINE_BYTES + 1).read_line(&mut line);
        match read {
            Ok(0) => return Ok(None),
            Ok(_) if line.len() as u64 > MAX_LINE_BYTES => {
                return Ok(Some(format!(
                    "line {number} of `{DATA_ENTRY}` is longer than {MAX_LINE_BYTES} bytes; nothing was imported"
                )));
            }
            Ok(_) => {}
            Err(error) => {
                return Ok(Some(format!(
                    "line {number} of `{DATA_ENTRY}` cannot be read ({error}); nothing was imported"
                )));
            }
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        match archive_data::parse_row(archive, text) {
            Ok(point) => each(point)?,
            Err(problem) => {
                return Ok(Some(format!(
                    "line {number} of `{DATA_ENTRY}`: {problem}; nothing was imported"
                )));
            }
        }
    }
}
