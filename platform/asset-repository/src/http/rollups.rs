//! `{tenantId}/v1/streamdata/…` for rollups and the tenant switch: create and list the rollups of
//! an archive, freeze, unfreeze, rewind, backfill and recompute a rollup, list its recompute
//! jobs, and enable or disable stream data for the tenant.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AssetApi;
use super::error::ApiError;
use super::streamdata::{archive_json, blocking};
use crate::series::archives;
use crate::series::orchestrator::{self, NewAggregation, NewRollup, Trigger};
use crate::store::{StoreError, StoredEntity, parse_rfc3339_ms};

fn time(name: &str, text: &str) -> Result<i64, StoreError> {
    parse_rfc3339_ms(text)
        .or_else(|| text.parse().ok())
        .ok_or_else(|| {
            StoreError::Invalid(vec![format!(
                "`{name}` must be an RFC 3339 date-time (e.g. 2026-05-11T14:00:00Z) or Unix ms, not `{text}`"
            )])
        })
}

fn job_json(job: &StoredEntity) -> Value {
    let attributes = &job.attributes;
    let state = match attributes.get("State").and_then(Value::as_i64) {
        Some(0) => "Pending",
        Some(1) => "Running",
        Some(2) => "Swapping",
        Some(3) => "Completed",
        Some(4) => "Failed",
        Some(5) => "Coalesced",
        _ => "Unknown",
    };
    let trigger = match attributes.get("Trigger").and_then(Value::as_i64) {
        Some(1) => "Periodic",
        Some(2) => "ChainPropagation",
        _ => "Manual",
    };
    json!({
        "jobId": job.rt_id,
        "archiveRtId": attributes.get("ArchiveRtId"),
        "state": state,
        "trigger": trigger,
        "rangeStart": attributes.get("RangeStart"),
        "rangeEnd": attributes.get("RangeEnd"),
        "rtIdScope": attributes.get("RtIdScope"),
        "rowsProcessed": attributes.get("RowsProcessed"),
        "windowsProcessed": attributes.get("WindowsProcessed"),
        "startedAt": attributes.get("StartedAt"),
        "finishedAt": attributes.get("FinishedAt"),
        "durationMs": attributes.get("DurationMs"),
        "errorReason": attributes.get("ErrorReason"),
        "createdAt": job.created,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AggregationInput {
    source_path: String,
    function: String,
    #[serde(default)]
    target_column_name: Option<String>,
    #[serde(default)]
    comparison_value: Option<String>,
}

/// `createRollupArchive`'s input (the source comes from the path).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RollupInput {
    bucket_size_ms: i64,
    #[serde(default)]
    watermark_lag_ms: Option<i64>,
    #[serde(default)]
    bucket_alignment: Option<String>,
    #[serde(default)]
    reference_time_zone: Option<String>,
    #[serde(default)]
    carry_lookback_ms: Option<i64>,
    aggregations: Vec<AggregationInput>,
    #[serde(default)]
    rt_well_known_name: Option<String>,
}

/// `POST …/archives/{sourceRtId}/rollups`: creates a rollup of the archive and activates it; a
/// definition that cannot activate is refused and nothing stays behind.
pub(crate) async fn create(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, source)): Path<(String, String)>,
    Json(input): Json<RollupInput>,
) -> Result<Response, ApiError> {
    let request = NewRollup {
        bucket_ms: input.bucket_size_ms,
        lag_ms: input.watermark_lag_ms,
        alignment: input.bucket_alignment,
        zone: input.reference_time_zone,
        carry_lookback_ms: input.carry_lookback_ms,
        aggregations: input
            .aggregations
            .into_iter()
            .map(|aggregation| NewAggregation {
                source_path: aggregation.source_path,
                function: aggregation.function,
                target: aggregation.target_column_name,
                comparison: aggregation.comparison_value,
            })
            .collect(),
        well_known_name: input.rt_well_known_name,
    };
    let archive = blocking(&api, move |platform| {
        platform.series(&tenant_id)?.ensure_enabled()?;
        let archive =
            orchestrator::create_rollup(&*platform.tenant(&tenant_id)?, &source, request)?;
        platform.wake_rollups();
        Ok(archive)
    })
    .await?;
    Ok(Json(archive_json(&archive)).into_response())
}

/// `GET …/archives/{rtId}/rollups`.
pub(crate) async fn list(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, source)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let rollups = blocking(&api, move |platform| {
        let tenant = platform.tenant(&tenant_id)?;
        archives::load(&tenant, &source)?;
        archives::rollups_of(&tenant, &source)
    })
    .await?;
    Ok(
        Json(json!({"rollups": rollups.iter().map(archive_json).collect::<Vec<_>>()}))
            .into_response(),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FreezeQuery {
    until: String,
}

/// `POST …/archives/{rtId}/freeze?until=`.
pub(crate) async fn freeze(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, rt_id)): Path<(String, String)>,
    Query(query): Query<FreezeQuery>,
) -> Result<Response, ApiError> {
    let archive = blocking(&api, move |platform| {
        let until = time("until", &query.until)?;
        orchestrator::freeze(&*platform.tenant(&tenant_id)?, &rt_id, until)
    })
    .await?;
    Ok(Json(archive_json(&archive)).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UnfreezeQuery {
    #[serde(default)]
    accept_gaps: bool,
}

/// `POST …/archives/{rtId}/unfreeze?acceptGaps=`.
pub(crate) async fn unfreeze(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, rt_id)): Path<(String, String)>,
    Query(query): Query<UnfreezeQuery>,
) -> Result<Response, ApiError> {
    let archive = blocking(&api, move |platform| {
        let tenant = platform.tenant(&tenant_id)?;
        let store = platform.series(&tenant_id)?;
        orchestrator::unfreeze(&tenant, &store, &rt_id, query.accept_gaps)
    })
    .await?;
    Ok(Json(archive_json(&archive)).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RewindQuery {
    to_bucket_end: String,
}

/// `POST …/archives/{rtId}/rewind?toBucketEnd=`.
pub(crate) async fn rewind(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, rt_id)): Path<(String, String)>,
    Query(query): Query<RewindQuery>,
) -> Result<Response, ApiError> {
    let archive = blocking(&api, move |platform| {
        let to = time("toBucketEnd", &query.to_bucket_end)?;
        let archive = orchestrator::rewind(&*platform.tenant(&tenant_id)?, &rt_id, to)?;
        platform.wake_rollups();
        Ok(archive)
    })
    .await?;
    Ok(Json(archive_json(&archive)).into_response())
}

/// `POST …/archives/{rtId}/backfill-from-source`: queues the job and answers at once.
pub(crate) async fn backfill(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, rt_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let job = blocking(&api, move |platform| {
        let tenant = platform.tenant(&tenant_id)?;
        let store = platform.series(&tenant_id)?;
        let job = orchestrator::backfill(&tenant, &store, &rt_id, orchestrator::now_ms())?;
        platform.wake_rollups();
        Ok(job)
    })
    .await?;
    Ok(Json(match job {
        Some(job) => json!({"queued": true, "job": job_json(&job)}),
        None => json!({"queued": false, "message": "the source archive holds no data: nothing to backfill"}),
    })
    .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RecomputeQuery {
    from: String,
    to: String,
    #[serde(default)]
    rt_id_scope: Option<String>,
}

/// `POST …/archives/{rtId}/recompute?from=&to=&rtIdScope=`: queues (or widens) a job.
pub(crate) async fn recompute(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, rt_id)): Path<(String, String)>,
    Query(query): Query<RecomputeQuery>,
) -> Result<Response, ApiError> {
    let job = blocking(&api, move |platform| {
        let (from, to) = (time("from", &query.from)?, time("to", &query.to)?);
        let tenant = platform.tenant(&tenant_id)?;
        let job = orchestrator::queue_job(
            &tenant,
            &rt_id,
            from,
            to,
            query
                .rt_id_scope
                .as_deref()
                .filter(|scope| !scope.is_empty()),
            Trigger::Manual,
        )?;
        platform.wake_rollups();
        Ok(job)
    })
    .await?;
    Ok(Json(job_json(&job)).into_response())
}

/// `GET …/archives/{rtId}/recompute-jobs`.
pub(crate) async fn jobs(
    State(api): State<Arc<AssetApi>>,
    Path((tenant_id, rt_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let jobs = blocking(&api, move |platform| {
        let tenant = platform.tenant(&tenant_id)?;
        archives::load(&tenant, &rt_id)?;
        orchestrator::jobs_of(&tenant, &rt_id)
    })
    .await?;
    Ok(Json(json!({"jobs": jobs.iter().map(job_json).collect::<Vec<_>>()})).into_response())
}

async fn switch(
    api: Arc<AssetApi>,
    tenant_id: String,
    enabled: bool,
) -> Result<Response, ApiError> {
    blocking(&api, move |platform| {
        platform.series(&tenant_id)?.set_enabled(enabled)
    })
    .await?;
    Ok(Json(json!({"enabled": enabled})).into_response())
}

/// `POST {tenantId}/v1/streamdata/enable`.
pub(crate) async fn enable_tenant(
    State(api): State<Arc<AssetApi>>,
    Path(tenant_id): Path<String>,
) -> Result<Response, ApiError> {
    switch(api, tenant_id, true).await
}

/// `POST {tenantId}/v1/streamdata/disable`.
pub(crate) async fn disable_tenant(
    State(api): State<Arc<AssetApi>>,
    Path(tenant_id): Path<String>,
) -> Result<Response, ApiError> {
    switch(api, tenant_id, false).await
}
