//! The OTLP/HTTP exporter's client: the workspace's reqwest, so no second HTTP stack is built.

use bytes::Bytes;
use opentelemetry_http::{HttpClient, HttpError, Request, Response};

/// Largest export response read (collectors answer with a few bytes).
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The SDK's batch thread polls exports without a Tokio reactor, so each request runs as a task
/// on the runtime that was current when the exporter was built.
#[derive(Debug, Clone)]
pub(crate) struct ReqwestClient {
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

impl ReqwestClient {
    /// Call inside a Tokio runtime.
    pub(crate) fn new() -> ReqwestClient {
        ReqwestClient {
            http: reqwest::Client::new(),
            runtime: tokio::runtime::Handle::current(),
        }
    }
}

#[async_trait::async_trait]
impl HttpClient for ReqwestClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let http = self.http.clone();
        self.runtime
            .spawn(async move { send(&http, request).await })
            .await
            .map_err(|error| format!("the OTLP export task failed: {error}"))?
    }
}

async fn send(
    http: &reqwest::Client,
    request: Request<Bytes>,
) -> Result<Response<Bytes>, HttpError> {
    let request = reqwest::Request::try_from(request)?;
    let mut response = http.execute(request).await?;
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err("the OTLP collector's answer is larger than 1 MiB".into());
        }
        body.extend_from_slice(&chunk);
    }
    let mut answer = Response::new(Bytes::from(body));
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    Ok(answer)
}
