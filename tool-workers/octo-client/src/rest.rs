//! The asset repository's REST paths: tenants, CK and runtime-model imports (multipart uploads run
//! as background jobs), and job status.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::asset::AssetClient;
use crate::error::ClientError;
use crate::graphql::without_url;

/// A tenant as the asset repository lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantInfo {
    pub tenant_id: String,
    #[serde(default)]
    pub database: Option<String>,
}

/// A background job's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    pub id: String,
    /// `Queued`, `Running`, `Succeeded` or `Failed`.
    pub state: String,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub errors: Vec<String>,
}

impl JobStatus {
    pub fn is_finished(&self) -> bool {
        self.state == "Succeeded" || self.state == "Failed"
    }
}

/// An archive as the stream-data REST routes describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveInfo {
    pub rt_id: String,
    pub ck_type_id: String,
    pub target_ck_type_id: String,
    pub columns: Vec<String>,
    /// `Created`, `Activated`, `Disabled` or `Failed`.
    pub status: String,
}

/// A lifecycle step of an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveStep {
    Activate,
    Disable,
    Enable,
    Retry,
}

/// How a runtime-model import treats entities that exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStrategy {
    InsertOnly,
    Upsert,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobCreated {
    job_id: String,
}

impl AssetClient {
    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let request = self
            .http()
            .request(method, format!("{}{path}", self.base()));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let response = crate::traced::send(request).await.map_err(|error| {
            ClientError::Unavailable(format!(
                "the asset repository is unreachable ({})",
                without_url(&error)
            ))
        })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|error| {
            ClientError::Unavailable(format!(
                "the asset repository's answer broke off ({})",
                without_url(&error)
            ))
        })?;
        if status.is_success() {
            let body: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
            return serde_json::from_slice(body).map_err(|error| {
                ClientError::Unavailable(format!(
                    "the asset repository's answer has an unexpected shape: {error}"
                ))
            });
        }
        Err(crate::error::from_status(status, &bytes))
    }

    /// `GET {tenantId}/v1/tenants`: the tenants visible from `tenant_id`.
    pub async fn tenants(
        &self,
        tenant_id: &str,
        token: Option<&str>,
    ) -> Result<Vec<TenantInfo>, ClientError> {
        check_tenant(tenant_id)?;
        self.send(self.request(
            reqwest::Method::GET,
            &format!("/{tenant_id}/v1/tenants"),
            token,
        ))
        .await
    }

    /// `POST {tenantId}/v1/tenants?childTenantId=&databaseName=`.
    pub async fn create_tenant(
        &self,
        tenant_id: &str,
        child_tenant_id: &str,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        check_tenant(tenant_id)?;
        let request = self
            .request(
                reqwest::Method::POST,
                &format!("/{tenant_id}/v1/tenants"),
                token,
            )
            .query(&[
                ("childTenantId", child_tenant_id),
                ("databaseName", child_tenant_id),
            ]);
        let _: serde_json::Value = self.send(request).await?;
        Ok(())
    }

    /// `METHOD {tenantId}/v1/tenants[/ACTION]?QUERY`: the child-tenant operations (create, attach,
    /// detach, clear, clearCache, update, delete). Returns what the asset repository answered
    /// (JSON, text as a string, or null when empty).
    pub async fn tenant_action(
        &self,
        tenant_id: &str,
        method: reqwest::Method,
        action: Option<&str>,
        query: &[(&str, &str)],
        token: Option<&str>,
    ) -> Result<serde_json::Value, ClientError> {
        check_tenant(tenant_id)?;
        let path = match action {
            Some(action) => format!("/{tenant_id}/v1/tenants/{action}"),
            None => format!("/{tenant_id}/v1/tenants"),
        };
        let request = self.request(method, &path, token).query(query);
        let response = crate::traced::send(request).await.map_err(|error| {
            ClientError::Unavailable(format!(
                "the asset repository is unreachable ({})",
                without_url(&error)
            ))
        })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|error| {
            ClientError::Unavailable(format!(
                "the asset repository's answer broke off ({})",
                without_url(&error)
            ))
        })?;
        if !status.is_success() {
            return Err(crate::error::from_status(status, &bytes));
        }
        if bytes.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            serde_json::Value::String(
                String::from_utf8_lossy(&bytes)
                    .chars()
                    .take(2_000)
                    .collect(),
            )
        }))
    }

    /// `DELETE {tenantId}/v1/tenants?childTenantId=`.
    pub async fn delete_tenant(
        &self,
        tenant_id: &str,
        child_tenant_id: &str,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        check_tenant(tenant_id)?;
        let request = self
            .request(
                reqwest::Method::DELETE,
                &format!("/{tenant_id}/v1/tenants"),
                token,
            )
            .query(&[("childTenantId", child_tenant_id)]);
        let _: serde_json::Value = self.send(request).await?;
        Ok(())
    }

    /// `POST {tenantId}/v1/Models/ImportCk`: a zipped library folder or one compiled YAML/JSON
    /// file. Returns the job id.
    pub async fn import_ck(
        &self,
        tenant_id: &str,
        file_name: &str,
        content: Vec<u8>,
        token: Option<&str>,
    ) -> Result<String, ClientError> {
        check_tenant(tenant_id)?;
        let request = self.request(
            reqwest::Method::POST,
            &format!("/{tenant_id}/v1/Models/ImportCk"),
            token,
        );
        let created: JobCreated = self.send(multipart(request, file_name, content)).await?;
        Ok(created.job_id)
    }

    /// `POST {tenantId}/v1/Models/ImportRt?importStrategy=`: a runtime-model file. Returns the job id.
    pub async fn import_rt(
        &self,
        tenant_id: &str,
        file_name: &str,
        content: Vec<u8>,
        strategy: ImportStrategy,
        token: Option<&str>,
    ) -> Result<String, ClientError> {
        check_tenant(tenant_id)?;
        let strategy = match strategy {
            ImportStrategy::InsertOnly => "InsertOnly",
            ImportStrategy::Upsert => "Upsert",
        };
        let request = self
            .request(
                reqwest::Method::POST,
                &format!("/{tenant_id}/v1/Models/ImportRt"),
                token,
            )
            .query(&[("importStrategy", strategy)]);
        let created: JobCreated = self.send(multipart(request, file_name, content)).await?;
        Ok(created.job_id)
    }

    /// `POST {tenantId}/v1/streamdata/archives/{rtId}/activate|disable|enable|retry`.
    pub async fn archive_step(
        &self,
        tenant_id: &str,
        rt_id: &str,
        step: ArchiveStep,
        token: Option<&str>,
    ) -> Result<ArchiveInfo, ClientError> {
        check_tenant(tenant_id)?;
        let action = match step {
            ArchiveStep::Activate => "activate",
            ArchiveStep::Disable => "disable",
            ArchiveStep::Enable => "enable",
            ArchiveStep::Retry => "retry",
        };
        let request = self.request(
            reqwest::Method::POST,
            &format!(
                "/{tenant_id}/v1/streamdata/archives/{}/{action}",
                encode_segment(rt_id)
            ),
            token,
        );
        self.send(request).await
    }

    /// A stream-data administration route, `{tenantId}/v1/streamdata/{path}` (each segment of
    /// `path` is encoded), with query parameters and an optional JSON body; answers its JSON.
    pub async fn stream_data(
        &self,
        tenant_id: &str,
        method: reqwest::Method,
        path: &[&str],
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
        token: Option<&str>,
    ) -> Result<serde_json::Value, ClientError> {
        check_tenant(tenant_id)?;
        let path: Vec<String> = path.iter().map(|segment| encode_segment(segment)).collect();
        let mut request = self
            .request(
                method,
                &format!("/{tenant_id}/v1/streamdata/{}", path.join("/")),
                token,
            )
            .query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request).await
    }

    /// `DELETE {tenantId}/v1/streamdata/archives/{rtId}`: drops the points, archives the entity.
    pub async fn delete_archive(
        &self,
        tenant_id: &str,
        rt_id: &str,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        check_tenant(tenant_id)?;
        let request = self.request(
            reqwest::Method::DELETE,
            &format!(
                "/{tenant_id}/v1/streamdata/archives/{}",
                encode_segment(rt_id)
            ),
            token,
        );
        let _: serde_json::Value = self.send(request).await?;
        Ok(())
    }

    /// `GET {tenantId}/v1/jobs?id=`.
    pub async fn job(
        &self,
        tenant_id: &str,
        job_id: &str,
        token: Option<&str>,
    ) -> Result<JobStatus, ClientError> {
        check_tenant(tenant_id)?;
        let request = self
            .request(
                reqwest::Method::GET,
                &format!("/{tenant_id}/v1/jobs"),
                token,
            )
            .query(&[("id", job_id)]);
        self.send(request).await
    }

    /// Polls a job until it finishes or `timeout` passes.
    pub async fn wait_for_job(
        &self,
        tenant_id: &str,
        job_id: &str,
        timeout: Duration,
        token: Option<&str>,
    ) -> Result<JobStatus, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut pause = Duration::from_millis(20);
        loop {
            let status = self.job(tenant_id, job_id, token).await?;
            if status.is_finished() {
                return Ok(status);
            }
            if tokio::time::Instant::now() + pause > deadline {
                return Err(ClientError::Unavailable(format!(
                    "job {job_id} is still {} after {} s; poll it again later",
                    status.state,
                    timeout.as_secs()
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }
}

/// A multipart form with one field `file` (written here: reqwest's multipart support pulls in
/// MIME guessing this client does not need).
fn multipart(
    request: reqwest::RequestBuilder,
    file_name: &str,
    content: Vec<u8>,
) -> reqwest::RequestBuilder {
    let boundary = (0u32..)
        .map(|attempt| format!("octomesh-boundary-{attempt:08x}"))
        .find(|boundary| {
            !content
                .windows(boundary.len())
                .any(|window| window == boundary.as_bytes())
        })
        .expect("some boundary is absent from the content");
    let safe_name: String = file_name
        .chars()
        .filter(|char| !matches!(char, '"' | '\r' | '\n' | '\\'))
        .collect();
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    request
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
}

pub(crate) fn check_tenant(tenant_id: &str) -> Result<(), ClientError> {
    let valid = !tenant_id.is_empty()
        && tenant_id.len() <= 64
        && tenant_id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if valid {
        Ok(())
    } else {
        Err(ClientError::Invalid(format!(
            "`{tenant_id}` is not a tenant id: use letters, digits, '-' or '_'"
        )))
    }
}

/// A path segment with everything but unreserved characters percent-encoded.
fn encode_segment(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
