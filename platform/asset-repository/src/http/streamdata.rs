//! `{tenantId}/v1/streamdata/archives/{rtId}/…`: the archive lifecycle (activate, disable, enable,
//! retry, delete), writing points (batched, idempotent on (series, timestamp)), and downsampling.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AssetApi;
use super::error::{ApiError, bad_request};
use super::points::PointsBody;
use crate::series::archives::{self, ArchiveStatus, Transition};
use crate::series::query::Function;
use crate::series::{Point, store::MAX_BATCH};
use crate::store::{DeleteMode, StoreError, format_rfc3339_ms};

/// An archive as the REST routes answer it (rollups with their schedule and progress).
pub(crate) fn archive_json(archive: &archives::Archive) -> Value {
    let mut answer = json!({
        "rtId": archive.rt_id,
        "ckTypeId": archive.ck_type,
        "targetCkTypeId": archive.target_ck_type,
        "columns": archive.columns,
        "status": archive.status.name(),
    });
    match &archive.rollup {
        Some(Ok(rollup)) => {
            answer["rollup"] = json!({
                "sourceArchiveRtId": rollup.source,
                "bucketSizeMs": rollup.bucket_ms,
                "watermarkLagMs": rollup.lag_ms,
                "bucketAlignment": rollup.alignment.name(),
                "referenceTimeZone": rollup.zone,
                "lastAggregatedBucketEnd": rollup.watermark.map(format_rfc3339_ms),
                "frozenUntil": rollup.frozen_until.map(format_rfc3339_ms),
                "aggregations": rollup.aggregations.iter().map(|aggregation| json!({
                    "sourcePath": aggregation.source_path,
                    "function": aggregation.function.name(),
                    "columns": aggregation.columns(),
                })).collect::<Vec<_>>(),
            });
        }
        Some(Err(problem)) => answer["rollup"] = json!({"problem": problem}),
        None => {}
    }
    answer
}

/// Runs `work` with the platform on the blocking pool (SQLite calls block).
pub(crate) async fn blocking<T: Send + 'static>(
    api: &Arc<AssetApi>,
    work: impl FnOnce(&crate::store::Platform) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let platform = Arc::clone(&api.platform);
    Ok(tokio::task::spawn_blocking(move || work(&platform))
        .await
        .map_err(|_| StoreError::Io("the request failed".into()))??)
}

async fn lifecycle(
    api: Arc<AssetApi>,
    tenant_id: String,
    rt_id: String,
    step: Transition,
) -> Result<Response, ApiError> {
    let archive = blocking(&api, move |platform| {
        let archive = archives::transition(&*platform.tenant(&tenant_id)?, &rt_id, step)?;
        platform.wake_rollups();
        Ok(archive)
    })
    .await?;
    Ok(Json(archive_json(&archive)).into_response())
}

pub(crate) async fn activate(
    State(api): State<Arc<AssetApi>>,
    Path((tenant, rt_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    lifecycle(api, tenant, rt_id, Transition::Activate).await
}

pub(crate) async fn disable(
    State(api): State<Arc<AssetApi>>,
    Path((tenant, rt_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    lifecycle(api, tenant, rt_id, Transition::Disable).await
}

pub(crate) async fn enable(
    State(api): State<Arc<AssetApi>>,
    Path((tenant, rt_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    lifecycle(api, tenant, rt_id, Transition::Enable).await
}

pub(crate) async fn retry(
    State(api): State<Arc<AssetApi>>,
    Path((tenant, rt_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    lifecycle(api, tenant, rt_id, Transition::Retry).await
}

/// `DELETE …/archives/{rtId}`: drops the points and archives the entity (idempotent on the data).
pub(crate) async fn delete(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, rt_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    blocking(&api, move |platform| {
        let tenant = platform.tenant(&tenant_id)?;
        archives::load(&tenant, &rt_id)?;
        platform.series(&tenant_id)?.drop_archive(&rt_id)?;
        tenant.delete_entity(&rt_id, None, DeleteMode::Archive)
    })
    .await?;
    Ok(Json(json!({"deleted": true})).into_response())
}

fn timestamp_ms(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => crate::store::parse_rfc3339_ms(text),
        _ => None,
    }
}

/// `POST …/archives/{rtId}/points`: writes a batch; the archive must be Activated.
pub(crate) async fn write_points(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, rt_id)): Path<(String, String)>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let platform = Arc::clone(&api.platform);
    // Decoding a batch takes milliseconds: it runs off the async workers, with the write.
    let outcome = tokio::task::spawn_blocking(move || -> Result<Result<usize, String>, StoreError> {
        let body: PointsBody<'_> = match serde_json::from_slice(&bytes) {
            Ok(body) => body,
            Err(error) => {
                return Ok(Err(format!(
                    "the body is not a batch of points ({{\"points\": [{{\"rtId\", \"timestamp\", \"values\": {{column: number}}}}]}}): {error}"
                )));
            }
        };
        if body.points.len() > MAX_BATCH {
            return Ok(Err(format!(
                "{} points in one request; send at most {MAX_BATCH}",
                body.points.len()
            )));
        }
        let tenant = platform.tenant(&tenant_id)?;
        let store = platform.series(&tenant_id)?;
        store.ensure_enabled()?;
        let archive = archives::load(&tenant, &rt_id)?;
        if archive.rollup.is_some() {
            return Ok(Err(format!(
                "archive `{rt_id}` is a rollup: its rows come from its source archive `{}`; write points there",
                archive.rollup().map_or("", |rollup| rollup.source.as_str())
            )));
        }
        if archive.status != ArchiveStatus::Activated {
            return Ok(Err(format!(
                "archive `{rt_id}` is {}: points are accepted only while it is Activated",
                archive.status.name()
            )));
        }
        let mut points = Vec::with_capacity(body.points.len());
        for (idx, input) in body.points.into_iter().enumerate() {
            let Some(ts) = input.timestamp.ms() else {
                return Ok(Err(format!(
                    "point {idx}: `timestamp` (or `from`) must be Unix milliseconds or an RFC 3339 date-time"
                )));
            };
            let end = match (archive.time_range, input.to.ms()) {
                (true, Some(end)) if end > ts => Some(end as f64),
                (true, _) => {
                    return Ok(Err(format!(
                        "point {idx}: a time-range archive takes a window: `from` and a later `to`"
                    )));
                }
                (false, None) if input.to.is_missing() => None,
                (false, _) => {
                    return Ok(Err(format!(
                        "point {idx}: `to` belongs to time-range archives; this archive takes instants (`timestamp`)"
                    )));
                }
            };
            let mut values = vec![None; archive.storage_columns()];
            for (path, value) in &input.values.0 {
                let Some(column) = archive.columns.iter().position(|column| column == path) else {
                    return Ok(Err(format!(
                        "point {idx}: `{path}` is not a column of the archive; its columns are {}",
                        archive.columns.join(", ")
                    )));
                };
                values[column] = *value;
            }
            if let Some(end) = end {
                values[archive.columns.len()] = Some(end);
            }
            points.push(Point {
                series: input.rt_id,
                ts,
                values,
            });
        }
        let count = points.len();
        store.write(&rt_id, archive.storage_columns(), &points)?;
        // Rollups that already aggregated part of this range recompute it.
        let first = points.iter().map(|point| point.ts).min();
        let last = points.iter().map(|point| point.ts).max();
        if let (Some(first), Some(last)) = (first, last) {
            crate::series::orchestrator::note_late_points(&tenant, &rt_id, first, last)?;
            platform.wake_rollups();
        }
        Ok(Ok(count))
    })
    .await
    .map_err(|_| StoreError::Io("the request failed".into()))??;
    match outcome {
        Ok(written) => Ok(Json(json!({"written": written})).into_response()),
        Err(message) => Ok(bad_request(message)),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DownsampleQuery {
    column: String,
    #[serde(default)]
    function: Option<String>,
    from: String,
    to: String,
    limit: usize,
    /// Comma-separated entity ids.
    rt_ids: String,
}

/// `GET …/archives/{rtId}/downsample?column=&function=&from=&to=&limit=&rtIds=`.
pub(crate) async fn downsample(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, rt_id)): Path<(String, String)>,
    Query(query): Query<DownsampleQuery>,
) -> Result<Response, ApiError> {
    let Some(function) = Function::parse(query.function.as_deref().unwrap_or("avg")) else {
        return Ok(bad_request(
            "`function` is count, sum, avg, min, max, first or last",
        ));
    };
    let (Some(from), Some(to)) = (
        timestamp_ms(&Value::String(query.from.clone())).or_else(|| query.from.parse().ok()),
        timestamp_ms(&Value::String(query.to.clone())).or_else(|| query.to.parse().ok()),
    ) else {
        return Ok(bad_request(
            "`from` and `to` are RFC 3339 date-times or Unix milliseconds",
        ));
    };
    let series: Vec<String> = query
        .rt_ids
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect();
    let platform = Arc::clone(&api.platform);
    let outcome = tokio::task::spawn_blocking(move || -> Result<Result<Value, String>, StoreError> {
        let tenant = platform.tenant(&tenant_id)?;
        let archive = archives::load(&tenant, &rt_id)?;
        if archive.status != ArchiveStatus::Activated {
            return Ok(Err(format!(
                "archive `{rt_id}` is {}: it answers queries only while Activated",
                archive.status.name()
            )));
        }
        let Some(column) = archive.columns.iter().position(|path| *path == query.column) else {
            return Ok(Err(format!(
                "`{}` is not a column of the archive; its columns are {}",
                query.column,
                archive.columns.join(", ")
            )));
        };
        let buckets = platform.series(&tenant_id)?.downsample(
            &rt_id,
            &series,
            column,
            function,
            from,
            to,
            query.limit,
        )?;
        Ok(Ok(json!({
            "buckets": buckets
                .iter()
                .map(|bucket| json!({"from": bucket.start, "to": bucket.end, "value": bucket.value}))
                .collect::<Vec<_>>(),
        })))
    })
    .await
    .map_err(|_| StoreError::Io("the request failed".into()))??;
    match outcome {
        Ok(answer) => Ok(Json(answer).into_response()),
        Err(message) => Ok(bad_request(message)),
    }
}
