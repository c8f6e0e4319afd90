//! Background jobs (imports): queued → running → succeeded or failed, polled by id.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AssetApi;
use super::error::bad_request;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
}

/// What a job did, as `GET {tenantId}/v1/jobs?id=` answers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    pub id: String,
    pub tenant_id: String,
    pub state: JobState,
    pub message: Option<String>,
    pub errors: Vec<String>,
}

/// The platform's jobs, in memory: a restart forgets them (their writes were all-or-nothing).
#[derive(Default)]
pub struct Jobs {
    next: AtomicU64,
    jobs: Mutex<HashMap<String, JobStatus>>,
}

impl Jobs {
    pub fn queue(&self, tenant_id: &str) -> String {
        let id = (self.next.fetch_add(1, Ordering::Relaxed) + 1).to_string();
        let status = JobStatus {
            id: id.clone(),
            tenant_id: tenant_id.to_owned(),
            state: JobState::Queued,
            message: None,
            errors: Vec::new(),
        };
        self.lock().insert(id.clone(), status);
        id
    }

    pub fn update(&self, id: &str, state: JobState, message: Option<String>, errors: Vec<String>) {
        if let Some(status) = self.lock().get_mut(id) {
            status.state = state;
            status.message = message;
            status.errors = errors;
        }
    }

    pub fn get(&self, id: &str) -> Option<JobStatus> {
        self.lock().get(id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, JobStatus>> {
        self.jobs.lock().expect("the job table is never poisoned")
    }
}

#[derive(Deserialize)]
pub(crate) struct JobQuery {
    id: Option<String>,
}

pub(crate) async fn status(
    State(api): State<Arc<AssetApi>>,
    Path(tenant): Path<String>,
    Query(query): Query<JobQuery>,
) -> Response {
    let Some(id) = query.id else {
        return bad_request("`id` is required: the jobId an import returned");
    };
    match api.jobs.get(&id).filter(|job| job.tenant_id == tenant) {
        Some(job) => Json(job).into_response(),
        None => (StatusCode::NOT_FOUND, Json(serde_json::json!({"message": format!("job `{id}` does not exist in tenant `{tenant}`")})))
            .into_response(),
    }
}
