//! What a service fetches from another: a client that follows no redirect and gives up after a
//! few seconds, and bodies read only up to a limit and parsed as the JSON type expected.

use std::time::Duration;

/// A client for calls between services.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a default HTTP client builds")
}

/// Sends `request` and parses a successful answer of at most `max_bytes` as `T`; the error says
/// what went wrong (never with the request's credentials).
pub async fn json<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
    max_bytes: usize,
) -> Result<T, String> {
    let mut response = request
        .send()
        .await
        .map_err(|error| error.without_url().to_string())?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("it answered {status}"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| error.without_url().to_string())?
    {
        if body.len() + chunk.len() > max_bytes {
            return Err(format!("it sent more than {max_bytes} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|error| format!("its answer does not parse: {error}"))
}
