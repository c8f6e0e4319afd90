//! `POST {tenantId}/v1/Models/ImportRt?importStrategy=` (a runtime-model file, YAML or JSON) and
//! `POST {tenantId}/v1/Models/ImportCk` (a CK library: a zip of its folder or one compiled
//! YAML/JSON), both as the multipart field `file` and both run as background jobs; the answer is
//! `{"jobId": …}`, polled at `GET {tenantId}/v1/jobs?id=`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AssetApi;
use super::error::{ApiError, bad_request};
use super::jobs::JobState;
use crate::ck::upload::library_from_upload;
use crate::rt::file::RuntimeModelFile;
use crate::store::ImportStrategy;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImportQuery {
    import_strategy: Option<String>,
}

fn strategy(text: Option<&str>) -> Result<ImportStrategy, String> {
    match text.unwrap_or("InsertOnly") {
        "0" | "InsertOnly" | "insertOnly" => Ok(ImportStrategy::InsertOnly),
        "1" | "Upsert" | "upsert" => Ok(ImportStrategy::Upsert),
        other => Err(format!(
            "`importStrategy` is InsertOnly (0) or Upsert (1), not `{other}`"
        )),
    }
}

pub(crate) async fn import_rt(
    State(api): State<Arc<AssetApi>>,
    Path(tenant_id): Path<String>,
    Query(query): Query<ImportQuery>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let tenant = api.platform.tenant(&tenant_id)?;
    let strategy = match strategy(query.import_strategy.as_deref()) {
        Ok(strategy) => strategy,
        Err(message) => return Ok(bad_request(message)),
    };
    let (file_name, bytes) = match read_upload(&mut multipart, "the runtime model").await {
        Ok(upload) => upload,
        Err(response) => return Ok(response),
    };
    let text = match crate::rt::upload::runtime_model_from_upload(&file_name, &bytes) {
        Ok(text) => text,
        Err(message) => return Ok(bad_request(message)),
    };
    let job_id = run_job(&api, &tenant_id, "nothing was imported", move || {
        let file = RuntimeModelFile::parse(&text).map_err(|error| vec![error])?;
        let report = tenant
            .import_runtime_model(&file, strategy)
            .map_err(|error| match error {
                crate::store::StoreError::Invalid(problems) => problems,
                other => vec![other.to_string()],
            })?;
        Ok(format!(
            "created {} entities, updated {}, {} associations",
            report.created, report.updated, report.associations
        ))
    });
    Ok(Json(json!({"jobId": job_id})).into_response())
}

/// Queues a background job for `tenant_id` running `work` on a blocking thread; its outcome (a
/// success message, or the problems, with `failure` as the message) becomes the job's status.
fn run_job(
    api: &Arc<AssetApi>,
    tenant_id: &str,
    failure: &'static str,
    work: impl FnOnce() -> Result<String, Vec<String>> + Send + 'static,
) -> String {
    let job_id = api.jobs.queue(tenant_id);
    let job_api = Arc::clone(api);
    let job = job_id.clone();
    tokio::task::spawn_blocking(move || {
        job_api
            .jobs
            .update(&job, JobState::Running, None, Vec::new());
        match work() {
            Ok(message) => {
                job_api
                    .jobs
                    .update(&job, JobState::Succeeded, Some(message), Vec::new())
            }
            Err(errors) => {
                job_api
                    .jobs
                    .update(&job, JobState::Failed, Some(failure.into()), errors)
            }
        }
    });
    job_id
}

/// The multipart field `file`: its lower-cased name and bytes.
async fn read_upload(
    multipart: &mut Multipart,
    what: &str,
) -> Result<(String, axum::body::Bytes), Response> {
    let mut upload = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let file_name = field.file_name().unwrap_or_default().to_ascii_lowercase();
                match field.bytes().await {
                    Ok(bytes) => upload = Some((file_name, bytes)),
                    Err(error) => {
                        return Err(bad_request(format!("the upload broke off: {error}")));
                    }
                }
            }
            Ok(Some(_other)) => continue,
            Ok(None) => break,
            Err(error) => return Err(bad_request(format!("not a multipart form: {error}"))),
        }
    }
    upload.ok_or_else(|| bad_request(format!("send {what} as the multipart form field `file`")))
}

pub(crate) async fn import_ck(
    State(api): State<Arc<AssetApi>>,
    Path(tenant_id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let tenant = api.platform.tenant(&tenant_id)?;
    let (file_name, bytes) = match read_upload(&mut multipart, "the CK library").await {
        Ok(upload) => upload,
        Err(response) => return Ok(response),
    };
    let name = if file_name.is_empty() {
        "upload".to_owned()
    } else {
        file_name
    };
    let job_id = run_job(&api, &tenant_id, "nothing was installed", move || {
        let library = library_from_upload(&name, &bytes).map_err(|error| vec![error])?;
        let model_id = tenant.import_ck(&library).map_err(|error| match error {
            crate::store::StoreError::Ck(errors) => {
                errors.0.iter().map(ToString::to_string).collect::<Vec<_>>()
            }
            other => vec![other.to_string()],
        })?;
        Ok(format!("installed {model_id}"))
    });
    Ok(Json(json!({"jobId": job_id})).into_response())
}
