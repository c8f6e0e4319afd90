//! A job as clients read it (`JobDto`, camelCase) and as the bot keeps it (the DTO and the
//! request that says what to do).

use serde::{Deserialize, Serialize};

use super::kinds::{JobKind, JobRequest};
use crate::ids::JobId;
use crate::time::Utc;

/// Where a job is (Hangfire's state names, as upstream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum JobStatus {
    Enqueued,
    Processing,
    Succeeded,
    Failed,
}

impl JobStatus {
    /// `Succeeded` or `Failed`.
    pub(crate) fn is_final(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed)
    }
}

/// How far a running job is: bytes received or sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Progress {
    pub(crate) done: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) total: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
}

/// The file a job produced, downloaded at `…/jobs/download?id=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResultFile {
    pub(crate) file_name: String,
    pub(crate) content_type: String,
    pub(crate) size_bytes: u64,
}

/// A job as clients read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobDto {
    pub(crate) id: JobId,
    pub(crate) tenant_id: String,
    pub(crate) kind: JobKind,
    pub(crate) created_at: Utc,
    pub(crate) state_changed_at: Utc,
    pub(crate) status: JobStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) progress: Option<Progress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) result: Option<ResultFile>,
    /// The asset repository's JSON answer, for the jobs that return one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) output: Option<serde_json::Value>,
}

/// A job as it is kept in `bot/jobs/{id}.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredJob {
    pub(crate) job: JobDto,
    pub(crate) request: JobRequest,
    /// When retention removed the result file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) result_removed_at: Option<Utc>,
}

impl StoredJob {
    /// A new job for `request`, `Enqueued`.
    pub(crate) fn enqueued(request: JobRequest) -> StoredJob {
        let now = Utc::now();
        StoredJob {
            job: JobDto {
                id: JobId::random(),
                tenant_id: request.tenant_id().to_owned(),
                kind: request.kind(),
                created_at: now,
                state_changed_at: now,
                status: JobStatus::Enqueued,
                reason: None,
                error_message: None,
                progress: None,
                result: None,
                output: None,
            },
            request,
            result_removed_at: None,
        }
    }

    /// Moves the job to `status` now.
    pub(crate) fn set_status(&mut self, status: JobStatus) {
        self.job.status = status;
        self.job.state_changed_at = Utc::now();
    }

    /// Ends the job as `Failed`.
    pub(crate) fn fail(&mut self, reason: impl Into<String>, message: impl Into<String>) {
        self.set_status(JobStatus::Failed);
        self.job.reason = Some(reason.into());
        self.job.error_message = Some(message.into());
    }
}
