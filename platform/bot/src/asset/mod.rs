//! The asset repository as the bot reaches it: its HTTP routes at its base URL, with the bot's
//! own token. Its refusals keep the asset repository's `{"message"}`.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;

use octomesh_platform_common::service_token::ServiceToken;

/// Longest wait for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest silence while a request or answer streams.
const READ_TIMEOUT: Duration = Duration::from_secs(300);
/// Largest error body read for its message.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Why a call to the asset repository failed, as a job reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallFailure {
    /// A short phrase (`reason` of the job).
    pub(crate) reason: String,
    /// The details (`errorMessage`): the asset repository's message verbatim when it sent one.
    pub(crate) message: String,
}

impl CallFailure {
    pub(crate) fn new(reason: impl Into<String>, message: impl Into<String>) -> CallFailure {
        CallFailure {
            reason: reason.into(),
            message: message.into(),
        }
    }
}

/// The asset repository's client (and, for a tenant's identity data, the identity service's).
pub(crate) struct AssetClient {
    base: String,
    identity: String,
    http: reqwest::Client,
    token: ServiceToken,
}

#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
}

impl AssetClient {
    pub(crate) fn new(asset_url: &str, identity_url: &str, secret: Option<String>) -> AssetClient {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a default HTTP client builds");
        AssetClient {
            base: asset_url.trim_end_matches('/').to_owned(),
            identity: identity_url.trim_end_matches('/').to_owned(),
            http,
            token: ServiceToken::new(identity_url, crate::config::BOT_CLIENT_ID, secret),
        }
    }

    /// A request to `{asset}{path}` (path with its leading `/`, segments already safe).
    pub(crate) async fn request(
        &self,
        method: Method,
        path: &str,
    ) -> Result<reqwest::RequestBuilder, CallFailure> {
        self.authorized(self.http.request(method, format!("{}{path}", self.base)))
            .await
    }

    /// A request to `{identity}{path}`, with the same token.
    pub(crate) async fn identity_request(
        &self,
        method: Method,
        path: &str,
    ) -> Result<reqwest::RequestBuilder, CallFailure> {
        self.authorized(
            self.http
                .request(method, format!("{}{path}", self.identity)),
        )
        .await
    }

    async fn authorized(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, CallFailure> {
        match self.token.get().await {
            Ok(Some(token)) => Ok(builder.bearer_auth(token)),
            Ok(None) => Ok(builder),
            Err(problem) => Err(CallFailure::new(
                "the bot service could not authenticate",
                problem,
            )),
        }
    }

    /// Sends `request`; a non-2xx answer becomes the failure with the asset repository's message.
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<reqwest::Response, CallFailure> {
        let response = request.send().await.map_err(|error| {
            CallFailure::new(
                "the asset repository could not be reached",
                format!(
                    "{what}: the asset repository at {} did not answer: {}",
                    self.base,
                    error.without_url()
                ),
            )
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status == StatusCode::UNAUTHORIZED {
            self.token.forget().await;
        }
        let message = read_message(response).await;
        let message = match message {
            Some(message) => message,
            None if status == StatusCode::UNAUTHORIZED && !self.token.enabled() => format!(
                "the asset repository answered {status} and the bot has no client secret to authenticate with: set {}",
                crate::config::CLIENT_SECRET_ENV
            ),
            None => format!("the asset repository answered {status}"),
        };
        Err(CallFailure::new(
            format!("{what} was refused by the asset repository ({status})"),
            message,
        ))
    }
}

/// The `message` of an error body, read up to a limit.
async fn read_message(mut response: reqwest::Response) -> Option<String> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        if body.len() + chunk.len() > MAX_ERROR_BODY {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice::<ErrorBody>(&body)
        .ok()
        .and_then(|error| error.message)
        .filter(|message| !message.is_empty())
}
