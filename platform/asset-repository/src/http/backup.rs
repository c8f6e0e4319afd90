//! `system/v1/tenants/{tenantId}/dump` and `system/v1/tenants/{tenantId}/restore`: a tenant as
//! one `.octobak` file (the format and the checks are `store/backup.rs`'s). System-scoped, so
//! only a token for the system tenant passes the guard. Both stream: a dump is written to the
//! transfer directory and sent from there, an upload is written there before it is restored, and
//! either file is deleted afterwards.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::AssetApi;
use super::error::{ApiError, bad_request};
use crate::store::{BackupError, Platform, RestoreReport, RestoreRequest, StoreError, Transient};

/// Largest backup a restore takes (upstream's upload limit).
pub(crate) const MAX_RESTORE_BYTES: u64 = 10 * 1024 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DumpQuery {
    include_archive_data: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestoreQuery {
    database_name: Option<String>,
    old_database_name: Option<String>,
    restore_archive_data: Option<String>,
    replace: Option<String>,
}

/// A `true`/`false` query parameter (any case, or 1/0); absent is false. A refusal says why.
fn flag(name: &str, value: Option<&str>) -> Result<bool, String> {
    match value
        .map(|value| value.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(format!("`{name}` is `{other}`: use true or false")),
    }
}

fn message(status: StatusCode, message: String) -> Response {
    (status, Json(json!({"message": message}))).into_response()
}

/// A refusal as its answer: 400 or 409 with the reason, or the store's error.
fn refusal(error: BackupError) -> Response {
    match error {
        BackupError::Refused(reason) => message(StatusCode::BAD_REQUEST, reason),
        BackupError::Conflict(reason) => message(StatusCode::CONFLICT, reason),
        BackupError::Store(error) => ApiError(error).into_response(),
    }
}

/// Runs `work` off the async workers (it copies databases and files).
async fn blocking<T: Send + 'static>(
    platform: &Arc<Platform>,
    work: impl FnOnce(&Platform) -> Result<T, BackupError> + Send + 'static,
) -> Result<T, Response> {
    let platform = Arc::clone(platform);
    tokio::task::spawn_blocking(move || work(&platform))
        .await
        .map_err(|_| {
            refusal(BackupError::Store(StoreError::Io(
                "the backup operation was interrupted".into(),
            )))
        })?
        .map_err(refusal)
}

/// `GET system/v1/tenants/{tenantId}/dump?includeArchiveData=`: the backup as a download.
pub(crate) async fn dump(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
    Query(query): Query<DumpQuery>,
) -> Response {
    let include = match flag("includeArchiveData", query.include_archive_data.as_deref()) {
        Ok(include) => include,
        Err(reason) => return bad_request(reason),
    };
    let tenant = tenant.trim().to_lowercase();
    let dump = match blocking(&api.platform, move |platform| {
        let dir = platform.transfer_dir()?;
        platform.dump(&tenant, include, &dir)
    })
    .await
    {
        Ok(dump) => dump,
        Err(response) => return response,
    };
    let file = match tokio::fs::File::open(dump.path()).await {
        Ok(file) => file,
        Err(error) => {
            return refusal(BackupError::Store(StoreError::Io(format!(
                "cannot read the written backup: {error}"
            ))));
        }
    };
    let disposition = format!("attachment; filename=\"{}\"", dump.file_name);
    let size = dump.size_bytes;
    // The stream owns the dump: the file is deleted when the stream ends or is dropped.
    let chunks = tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024).map(move |chunk| {
        let _owned = &dump;
        chunk
    });
    let mut response = Response::new(Body::from_stream(chunks));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `POST system/v1/tenants/{tenantId}/restore?databaseName=&oldDatabaseName=&restoreArchiveData=&replace=`
/// with the backup as the raw body.
pub(crate) async fn restore(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
    Query(query): Query<RestoreQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let database_name = match query.database_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => {
            return bad_request(
                "`databaseName` is required: the name of the database to restore into",
            );
        }
    };
    let (restore_archive_data, replace) = match (
        flag("restoreArchiveData", query.restore_archive_data.as_deref()),
        flag("replace", query.replace.as_deref()),
    ) {
        (Ok(archive), Ok(replace)) => (archive, replace),
        (Err(reason), _) | (_, Err(reason)) => return bad_request(reason),
    };
    let request = RestoreRequest {
        tenant_id: tenant.trim().to_lowercase(),
        database_name,
        old_database_name: query
            .old_database_name
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty()),
        restore_archive_data,
        replace,
    };
    // What the names alone refuse is refused before the upload is read.
    let checked = request.clone();
    let dir = match blocking(&api.platform, move |platform| {
        platform.check_restore_target(&checked)?;
        Ok(platform.transfer_dir()?)
    })
    .await
    {
        Ok(dir) => dir,
        Err(response) => return response,
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_RESTORE_BYTES) {
        return too_large();
    }
    let upload = Transient::file(&dir, "upload", "octobak");
    match receive(body, upload.path(), MAX_RESTORE_BYTES).await {
        Ok(()) => {}
        Err(Received::TooLarge) => return too_large(),
        Err(Received::Broken(reason)) => {
            return bad_request(format!(
                "the upload broke off ({reason}); nothing was restored: send the whole backup again"
            ));
        }
        Err(Received::Failed(error)) => return refusal(BackupError::Store(error)),
    }
    match blocking(&api.platform, move |platform| {
        let report = platform.restore(upload.path(), &request);
        drop(upload);
        report
    })
    .await
    {
        Ok(report) => Json(report_json(&report)).into_response(),
        Err(response) => response,
    }
}

fn report_json(report: &RestoreReport) -> serde_json::Value {
    json!({
        "tenantId": report.tenant_id,
        "databaseName": report.database_name,
        "sourceTenantId": report.source_tenant_id,
        "entities": report.entities,
        "associations": report.associations,
        "ckModels": report.ck_models,
        "restoredArchiveData": report.restored_archive_data,
        "archives": report.archives,
        "warnings": report.warnings,
    })
}

fn too_large() -> Response {
    message(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the backup is larger than {} GiB, the most a restore takes; nothing was restored",
            MAX_RESTORE_BYTES >> 30
        ),
    )
}

/// Why an upload was not received whole.
#[derive(Debug)]
pub(crate) enum Received {
    /// More than the cap.
    TooLarge,
    /// The client's body failed.
    Broken(String),
    /// Writing it failed.
    Failed(StoreError),
}

/// Streams `body` into a new file at `path`, at most `cap` bytes.
pub(crate) async fn receive(body: Body, path: &std::path::Path, cap: u64) -> Result<(), Received> {
    let failed = |error: std::io::Error| {
        Received::Failed(StoreError::Io(format!(
            "cannot write the upload to {}: {error}",
            path.display()
        )))
    };
    let mut file = tokio::fs::File::create(path).await.map_err(failed)?;
    let mut stream = body.into_data_stream();
    let mut received = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| Received::Broken(error.to_string()))?;
        received += chunk.len() as u64;
        if received > cap {
            return Err(Received::TooLarge);
        }
        file.write_all(&chunk).await.map_err(failed)?;
    }
    file.flush().await.map_err(failed)?;
    file.sync_all().await.map_err(failed)?;
    Ok(())
}
