//! The job routes, in the tenant form `/{tenant}/v1/jobs…` and upstream's system form
//! `/system/v1/jobs…`: enqueue, status, download of the result, delete.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::kinds::{JobKind, JobRequest, MAX_ENQUEUE_BODY, Params, Scope};
use super::record::{JobStatus, StoredJob};
use super::store::DeleteRefusal;
use crate::Bot;
use crate::error::ApiError;
use crate::ids::{JobId, UploadId};

type Answer<T> = Result<T, ApiError>;

pub(crate) async fn enqueue_tenant(
    State(bot): State<Arc<Bot>>,
    Path((tenant, kind)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Answer<Json<serde_json::Value>> {
    enqueue(&bot, &kind, Scope::Tenant(&tenant), query, &body)
}

pub(crate) async fn enqueue_system(
    State(bot): State<Arc<Bot>>,
    Path(kind): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Answer<Json<serde_json::Value>> {
    enqueue(&bot, &kind, Scope::System, query, &body)
}

fn enqueue(
    bot: &Bot,
    kind: &str,
    scope: Scope<'_>,
    query: HashMap<String, String>,
    body: &[u8],
) -> Answer<Json<serde_json::Value>> {
    let kind = JobKind::parse(kind).ok_or_else(|| {
        ApiError::not_found(format!(
            "There is no job `{kind}`: the bot runs {}.",
            JobKind::ALL.map(JobKind::name).join(", ")
        ))
    })?;
    if body.len() > MAX_ENQUEUE_BODY {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The body is larger than {MAX_ENQUEUE_BODY} bytes."),
        ));
    }
    let request = JobRequest::parse(kind, scope, &Params::new(query), body)?;
    if let Some(upload) = request.upload() {
        check_upload(bot, upload, request.tenant_id())?;
    }
    let job = StoredJob::enqueued(request);
    let id = job.job.id.clone();
    bot.jobs.insert(job).map_err(ApiError::storage)?;
    bot.queue(id.clone());
    tracing::info!(job = %id, kind = kind.name(), "Job enqueued.");
    Ok(Json(json!({"jobId": id})))
}

/// The upload a job is to consume: there, complete, not empty, and `tenant`'s.
fn check_upload(bot: &Bot, id: &UploadId, tenant: &str) -> Answer<()> {
    let info = bot
        .uploads
        .info(id)
        .filter(|info| info.tenant_id == tenant)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Upload file not found for tus file ID '{id}'. Ensure the upload completed successfully."
            ))
        })?;
    if info.length == 0 {
        return Err(ApiError::bad_request(format!(
            "Upload file for tus file ID '{id}' is empty (0 bytes). Ensure the upload completed successfully."
        )));
    }
    if !info.is_complete() {
        return Err(ApiError::bad_request(format!(
            "The upload for tus file ID '{id}' is not complete: {} of {} bytes received. Finish it (HEAD it, then PATCH from its Upload-Offset) first.",
            info.offset, info.length
        )));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobQuery {
    id: Option<String>,
    tenant_id: Option<String>,
}

/// Whose jobs a tenant route reaches: its tenant's, or — the system tenant administers its
/// children, e.g. the restore of a new tenant it started — every tenant's.
fn route_scope(route: &str) -> Option<&str> {
    (route != octomesh_platform_common::tenant::SYSTEM_TENANT).then_some(route)
}

/// The job `query` names, when it is `tenant`'s (any tenant's: `None`).
fn find(bot: &Bot, query: &JobQuery, tenant: Option<&str>) -> Answer<StoredJob> {
    let id = query
        .id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::bad_request("id is required: send ?id=<jobId>"))?;
    JobId::parse(id)
        .and_then(|id| bot.jobs.get(&id))
        .filter(|job| tenant.is_none_or(|tenant| job.job.tenant_id == tenant))
        .ok_or_else(|| ApiError::not_found(format!("There is no job with id: {id}.")))
}

pub(crate) async fn status_tenant(
    State(bot): State<Arc<Bot>>,
    Path(tenant): Path<String>,
    Query(query): Query<JobQuery>,
) -> Answer<Response> {
    Ok(Json(find(&bot, &query, route_scope(&tenant))?.job).into_response())
}

pub(crate) async fn status_system(
    State(bot): State<Arc<Bot>>,
    Query(query): Query<JobQuery>,
) -> Answer<Response> {
    let tenant = query.tenant_id.clone();
    Ok(Json(find(&bot, &query, tenant.as_deref())?.job).into_response())
}

pub(crate) async fn download_tenant(
    State(bot): State<Arc<Bot>>,
    Path(tenant): Path<String>,
    Query(query): Query<JobQuery>,
) -> Answer<Response> {
    download(&bot, find(&bot, &query, route_scope(&tenant))?).await
}

pub(crate) async fn download_system(
    State(bot): State<Arc<Bot>>,
    Query(query): Query<JobQuery>,
) -> Answer<Response> {
    let tenant = query.tenant_id.clone();
    download(&bot, find(&bot, &query, tenant.as_deref())?).await
}

/// The job's result file, streamed.
async fn download(bot: &Bot, stored: StoredJob) -> Answer<Response> {
    let job = &stored.job;
    let id = &job.id;
    match job.status {
        JobStatus::Failed => {
            return Err(ApiError::bad_request(format!(
                "The job with id: {id} has failed: {}",
                job.error_message
                    .as_deref()
                    .or(job.reason.as_deref())
                    .unwrap_or("(no reason given)")
            )));
        }
        JobStatus::Enqueued | JobStatus::Processing => {
            return Err(ApiError::bad_request(format!(
                "The job with id: {id} is not in a final state."
            )));
        }
        JobStatus::Succeeded => {}
    }
    let Some(result) = &job.result else {
        return Err(ApiError::not_found(format!(
            "The job with id: {id} has no file to download: its answer is the `output` of its status (GET …/jobs?id={id})."
        )));
    };
    let removed = |when: String| {
        ApiError::not_found(format!(
            "The result of the job with id: {id} was removed{when}: results are kept for {} (retention). Run the job again.",
            crate::retention::describe(bot.config.retention)
        ))
    };
    if let Some(at) = stored.result_removed_at {
        return Err(removed(format!(" at {at}")));
    }
    let file = tokio::fs::File::open(bot.jobs.result_path(id))
        .await
        .map_err(|_| removed(String::new()))?;
    let mut headers = HeaderMap::new();
    let content_type = HeaderValue::from_str(&result.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(result.size_bytes));
    if let Ok(disposition) =
        HeaderValue::from_str(&crate::disposition::attachment(&result.file_name))
    {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024));
    Ok((StatusCode::OK, headers, body).into_response())
}

pub(crate) async fn delete_tenant(
    State(bot): State<Arc<Bot>>,
    Path((tenant, id)): Path<(String, String)>,
) -> Answer<Json<bool>> {
    delete(&bot, &id, route_scope(&tenant))
}

pub(crate) async fn delete_system(
    State(bot): State<Arc<Bot>>,
    Path(id): Path<String>,
) -> Answer<Json<bool>> {
    delete(&bot, &id, None)
}

/// `true` when the job was deleted, `false` when there is no such job (of the tenant).
fn delete(bot: &Bot, id: &str, tenant: Option<&str>) -> Answer<Json<bool>> {
    let Some(id) = JobId::parse(id).filter(|id| {
        bot.jobs
            .get(id)
            .is_some_and(|job| tenant.is_none_or(|tenant| job.job.tenant_id == tenant))
    }) else {
        return Ok(Json(false));
    };
    match bot.jobs.delete(&id) {
        Ok(deleted) => Ok(Json(deleted)),
        Err(DeleteRefusal::Running) => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("The job with id: {id} is running; it can be deleted once it has ended."),
        )),
        Err(DeleteRefusal::Storage(problem)) => Err(ApiError::storage(problem)),
    }
}
