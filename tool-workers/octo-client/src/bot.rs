//! [`BotClient`]: the bot service's jobs (`{bot}/{tenantId}/v1/jobs/…`: enqueue, status, result
//! download) and its TUS upload endpoint (`{bot}/{tenantId}/v1/tus-upload`), which take the files
//! a restore or an archive import reads.

use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream, StreamExt as _, TryStreamExt as _};
use serde::Deserialize;

use crate::error::ClientError;
use crate::graphql::without_url;

/// The title of the service in messages.
const TITLE: &str = "the bot service";
/// Longest a job answer (status, enqueue) may be.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// A job's status, as `GET {bot}/{tenantId}/v1/jobs?id=` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BotJob {
    pub id: String,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    /// `Enqueued`, `Processing`, `Succeeded` or `Failed`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub progress: Option<JobProgress>,
    #[serde(default)]
    pub result: Option<JobResult>,
    /// What the job answered, for jobs that answer JSON (restore, archive import, fixups).
    #[serde(default)]
    pub output: Option<serde_json::Value>,
}

impl BotJob {
    /// The status, `Enqueued` until the service says otherwise.
    pub fn status(&self) -> &str {
        self.status.as_deref().unwrap_or("Enqueued")
    }
}

/// How far a job is.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobProgress {
    #[serde(default)]
    pub done: u64,
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub message: Option<String>,
}

/// The file a finished job made.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobResult {
    pub file_name: String,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub size_bytes: Option<u64>,
}

/// A job result being downloaded.
pub struct JobDownload {
    pub file_name: Option<String>,
    pub size: Option<u64>,
    pub body: BoxStream<'static, Result<Bytes, std::io::Error>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Enqueued {
    job_id: String,
}

/// The bot service at its base URL.
pub struct BotClient {
    base: String,
    http: reqwest::Client,
}

impl BotClient {
    /// `base` is the service's root URL, e.g. `http://127.0.0.1:5009`.
    pub fn new(base: &str) -> Result<BotClient, ClientError> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::Invalid(format!(
                "the URL of {TITLE} `{base}` must start with http:// or https://"
            )));
        }
        // No overall timeout: results and uploads stream for as long as they are big; a stalled
        // peer is caught by the read timeout.
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(120))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| ClientError::Unavailable(format!("no HTTP client: {error}")))?;
        Ok(BotClient { base, http })
    }

    fn request(
        &self,
        method: reqwest::Method,
        tenant_id: &str,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let request = self
            .http
            .request(method, format!("{}/{tenant_id}/v1/{path}", self.base));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        let response = crate::traced::send(request).await.map_err(|error| {
            ClientError::Unavailable(format!("{TITLE} is unreachable ({})", without_url(&error)))
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.bytes().await.unwrap_or_default();
        Err(crate::error::from_status(status, &body))
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let response = self.send(request).await?;
        let mut body = Vec::new();
        let mut chunks = response.bytes_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|error| {
                ClientError::Unavailable(format!(
                    "{TITLE}'s answer broke off ({})",
                    without_url(&error)
                ))
            })?;
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(ClientError::Unavailable(format!(
                    "{TITLE}'s answer is over {MAX_ANSWER_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|error| {
            ClientError::Unavailable(format!("{TITLE} answered something unexpected: {error}"))
        })
    }

    /// Starts the job `kind` (`dump-repository`, `restore-from-upload`, …) for `tenant_id`, with
    /// `query` and an optional JSON `body`; its id.
    pub async fn enqueue(
        &self,
        tenant_id: &str,
        kind: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
        token: Option<&str>,
    ) -> Result<String, ClientError> {
        let mut request = self
            .request(
                reqwest::Method::POST,
                tenant_id,
                &format!("jobs/{kind}"),
                token,
            )
            .query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let enqueued: Enqueued = self.json(request).await?;
        Ok(enqueued.job_id)
    }

    /// The status of job `job_id` of `tenant_id`.
    pub async fn job(
        &self,
        tenant_id: &str,
        job_id: &str,
        token: Option<&str>,
    ) -> Result<BotJob, ClientError> {
        let request = self
            .request(reqwest::Method::GET, tenant_id, "jobs", token)
            .query(&[("id", job_id)]);
        self.json(request).await
    }

    /// The result file of finished job `job_id`, streamed.
    pub async fn download(
        &self,
        tenant_id: &str,
        job_id: &str,
        token: Option<&str>,
    ) -> Result<JobDownload, ClientError> {
        let request = self
            .request(reqwest::Method::GET, tenant_id, "jobs/download", token)
            .query(&[("id", job_id)]);
        let response = self.send(request).await?;
        let file_name = response
            .headers()
            .get(reqwest::header::CONTENT_DISPOSITION)
            .and_then(|value| value.to_str().ok())
            .and_then(disposition_file_name);
        let size = response.content_length();
        let body = response
            .bytes_stream()
            .map_err(|error| std::io::Error::other(without_url(&error)))
            .boxed();
        Ok(JobDownload {
            file_name,
            size,
            body,
        })
    }

    /// Uploads `length` bytes of `body` to the TUS endpoint of `tenant_id` with `metadata`
    /// (creation, then one streamed `PATCH`); the upload's file id.
    pub async fn tus_upload<S>(
        &self,
        tenant_id: &str,
        metadata: &[(&str, &str)],
        length: u64,
        body: S,
        token: Option<&str>,
    ) -> Result<String, ClientError>
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    {
        use base64::Engine as _;
        let metadata = metadata
            .iter()
            .map(|(key, value)| {
                format!(
                    "{key} {}",
                    base64::engine::general_purpose::STANDARD.encode(value)
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        let create = self
            .request(reqwest::Method::POST, tenant_id, "tus-upload", token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", metadata);
        let created = self.send(create).await?;
        let location = created
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| {
                ClientError::Unavailable(format!("{TITLE} created an upload but named no Location"))
            })?;
        let file_id = location
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|id| !id.is_empty() && id.len() <= 128)
            .map(str::to_owned)
            .ok_or_else(|| {
                ClientError::Unavailable(format!("{TITLE} answered an unusable upload Location"))
            })?;
        let patch = self
            .request(
                reqwest::Method::PATCH,
                tenant_id,
                &format!("tus-upload/{file_id}"),
                token,
            )
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", "0")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/offset+octet-stream",
            )
            .header(reqwest::header::CONTENT_LENGTH, length.to_string())
            .body(reqwest::Body::wrap_stream(body));
        self.send(patch).await?;
        Ok(file_id)
    }
}

/// The `filename` of a `Content-Disposition` value (the plain form).
fn disposition_file_name(value: &str) -> Option<String> {
    value
        .split(';')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("filename="))
        .map(|name| name.trim_matches('"').to_owned())
        .filter(|name| !name.is_empty() && name.len() <= 255 && !name.contains(['/', '\\']))
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_come_from_the_disposition() {
        assert_eq!(
            super::disposition_file_name("attachment; filename=\"RtEntities.zip\"").as_deref(),
            Some("RtEntities.zip")
        );
        assert_eq!(
            super::disposition_file_name("attachment; filename=\"../x\""),
            None
        );
        assert_eq!(super::disposition_file_name("inline"), None);
    }
}
