//! [`ServiceClient`]: plain REST calls of any OctoMesh service (identity, bot, communication,
//! reporting — and the asset repository's system routes), for the operations that need no typed
//! client of their own, such as `reconfigureLogLevel`.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ClientError;
use crate::graphql::without_url;

/// Longest answer a typed call reads.
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// One service at its base URL.
pub struct ServiceClient {
    /// The service's name in messages, e.g. `the bot service`.
    title: String,
    base: String,
    http: reqwest::Client,
}

impl ServiceClient {
    /// `base` is the service's root URL, e.g. `http://127.0.0.1:5009`.
    pub fn new(title: &str, base: &str) -> Result<ServiceClient, ClientError> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::Invalid(format!(
                "the URL of {title} `{base}` must start with http:// or https://"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| ClientError::Unavailable(format!("no HTTP client: {error}")))?;
        Ok(ServiceClient {
            title: title.to_owned(),
            base,
            http,
        })
    }

    /// The service's name in messages.
    pub fn title(&self) -> &str {
        &self.title
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&(impl Serialize + ?Sized)>,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(
                method,
                format!("{}/{}", self.base, path.trim_start_matches('/')),
            )
            .query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
    }

    /// `METHOD {base}/{path}?{query}` with an optional JSON `body`; the answer decoded as `T` (an
    /// empty answer decodes as `null`, so `Option<_>` takes it).
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&(impl Serialize + ?Sized)>,
        token: Option<&str>,
    ) -> Result<T, ClientError> {
        let answer = self
            .exchange(self.request(method, path, query, body, token))
            .await?;
        let answer: &[u8] = if answer.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &answer
        };
        serde_json::from_slice(answer).map_err(|error| {
            ClientError::Unavailable(format!(
                "{} answered something unexpected: {error}",
                self.title
            ))
        })
    }

    /// Like [`ServiceClient::call`] for a success whose content does not matter.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&(impl Serialize + ?Sized)>,
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        self.exchange(self.request(method, path, query, body, token))
            .await
            .map(drop)
    }

    /// `POST {base}/{path}?{query}` with no body, expecting a success (its content is ignored).
    pub async fn post_empty(
        &self,
        path: &str,
        query: &[(&str, &str)],
        token: Option<&str>,
    ) -> Result<(), ClientError> {
        self.send(reqwest::Method::POST, path, query, None::<&()>, token)
            .await
    }

    /// Sends `request`; the answer's bytes (at most [`MAX_ANSWER_BYTES`]) on success, else the
    /// error its status and body mean.
    async fn exchange(&self, request: reqwest::RequestBuilder) -> Result<Vec<u8>, ClientError> {
        let mut response = crate::traced::send(request).await.map_err(|error| {
            ClientError::Unavailable(format!(
                "{} is unreachable ({})",
                self.title,
                without_url(&error)
            ))
        })?;
        let status = response.status();
        let mut answer = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|error| {
            ClientError::Unavailable(format!(
                "{}'s answer broke off ({})",
                self.title,
                without_url(&error)
            ))
        })? {
            if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(ClientError::Unavailable(format!(
                    "{}'s answer is over {MAX_ANSWER_BYTES} bytes",
                    self.title
                )));
            }
            answer.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            return Err(crate::error::from_status(status, &answer));
        }
        Ok(answer)
    }
}
