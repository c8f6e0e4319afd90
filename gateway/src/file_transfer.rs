//! The file-transfer side channel (DESIGN.md decision 8): `PUT /file-transfer/upload/{token}` takes
//! a raw body, streamed; `GET`/`HEAD /file-transfer/download/{token}` answer streamed, with one
//! byte range (206, 416), `Accept-Ranges`, `ETag` and `Content-Disposition`. The token is the
//! sealed capability a tool returned (`octomesh_file_transfer::capability`): the URL alone is
//! the authority, so plain `curl` works and nothing else does. No MCP, no bearer token.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use octomesh_file_transfer::{RangeRequest, TransferError};
use serde_json::json;

use crate::state::AppState;

/// The channel's routes (their own body handling: uploads are streamed, bounded by the cap).
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/file-transfer/upload/{token}", put(upload))
        .route(
            "/file-transfer/download/{token}",
            get(download).head(download_head),
        )
        .layer(DefaultBodyLimit::disable())
}

/// Deletes expired transfers every `sweep_interval` while the gateway serves.
pub(crate) fn sweeper(state: Arc<AppState>) -> Option<tokio::task::JoinHandle<()>> {
    let interval = state.config.file_transfer.as_ref()?.sweep_interval;
    state.transfers.as_ref()?;
    Some(tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = state.shutdown.cancelled() => break,
            }
            let Some(store) = &state.transfers else { break };
            match store.sweep().await {
                Ok(0) => {}
                Ok(swept) => tracing::info!(swept, "Expired file transfers deleted."),
                Err(error) => tracing::warn!(%error, "Sweeping expired file transfers failed."),
            }
        }
    }))
}

fn answer(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

fn refusal(error: &TransferError) -> Response {
    let status = match error {
        TransferError::Unknown => StatusCode::NOT_FOUND,
        TransferError::Expired => StatusCode::GONE,
        TransferError::AlreadyUploaded | TransferError::NotUploaded => StatusCode::CONFLICT,
        TransferError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        TransferError::BrokenOff | TransferError::Invalid(_) => StatusCode::BAD_REQUEST,
        TransferError::NotYours(_) => StatusCode::FORBIDDEN,
        TransferError::Storage(problem) => {
            tracing::error!(%problem, "File-transfer storage failed.");
            return answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the transfer storage failed; see the gateway's log",
            );
        }
    };
    answer(status, &error.to_string())
}

fn not_served() -> Response {
    answer(
        StatusCode::NOT_FOUND,
        "this server has no file-transfer channel (start it with a file-transfer directory)",
    )
}

async fn upload(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(store) = &state.transfers else {
        return not_served();
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > store.max_bytes()) {
        return refusal(&TransferError::TooLarge {
            cap: store.max_bytes(),
        });
    }
    match store.upload(&token, body.into_data_stream()).await {
        Ok(uploaded) => axum::Json(json!({
            "transferId": uploaded.transfer_id,
            "sizeBytes": uploaded.size,
        }))
        .into_response(),
        Err(error) => refusal(&error),
    }
}

async fn download(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve_download(&state, &token, &headers, false).await
}

async fn download_head(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve_download(&state, &token, &headers, true).await
}

async fn serve_download(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
    head: bool,
) -> Response {
    let Some(store) = &state.transfers else {
        return not_served();
    };
    let text = |name: header::HeaderName| headers.get(name).and_then(|value| value.to_str().ok());
    let mut download = match store.download(token, text(header::RANGE), head).await {
        Ok(download) => download,
        Err(error) => return refusal(&error),
    };
    let etag = download.meta.etag();
    if text(header::IF_NONE_MATCH).is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag))
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    // A range is only for the representation the client already has; otherwise the whole body.
    let stale_range = text(header::IF_RANGE).is_some_and(|tag| tag.trim() != etag);
    if stale_range && !matches!(download.range, RangeRequest::Whole) {
        download = match store.download(token, None, head).await {
            Ok(download) => download,
            Err(error) => return refusal(&error),
        };
    }
    let mut response = match (download.range, download.body) {
        (RangeRequest::Unsatisfiable, _) => {
            let mut response = answer(
                StatusCode::RANGE_NOT_SATISFIABLE,
                &format!("the range is outside the file's {} bytes", download.size),
            );
            insert(
                &mut response,
                header::CONTENT_RANGE,
                format!("bytes */{}", download.size),
            );
            return response;
        }
        (RangeRequest::Part(part), body) => {
            let mut response = Response::new(body.map_or_else(Body::empty, Body::from_stream));
            *response.status_mut() = StatusCode::PARTIAL_CONTENT;
            insert(
                &mut response,
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{}", part.start, part.end, download.size),
            );
            insert(
                &mut response,
                header::CONTENT_LENGTH,
                part.len().to_string(),
            );
            response
        }
        (RangeRequest::Whole, body) => {
            let mut response = Response::new(body.map_or_else(Body::empty, Body::from_stream));
            insert(
                &mut response,
                header::CONTENT_LENGTH,
                download.size.to_string(),
            );
            response
        }
    };
    insert(
        &mut response,
        header::CONTENT_TYPE,
        "application/octet-stream".to_owned(),
    );
    insert(&mut response, header::ACCEPT_RANGES, "bytes".to_owned());
    insert(&mut response, header::ETAG, etag);
    insert(
        &mut response,
        header::CONTENT_DISPOSITION,
        content_disposition(&download.meta.file_name),
    );
    response
}

fn insert(response: &mut Response, name: header::HeaderName, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(name, value);
    }
}

/// `attachment` with an ASCII fallback name and the exact name (RFC 6266, RFC 8187).
fn content_disposition(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|char| match char {
            ' '..='~' if char != '"' && char != '\\' => char,
            _ => '_',
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn file_names_are_quoted_safely() {
        assert_eq!(
            content_disposition("plant.zip"),
            "attachment; filename=\"plant.zip\"; filename*=UTF-8''plant.zip"
        );
        assert_eq!(
            content_disposition("a \"b\" ü.zip"),
            "attachment; filename=\"a _b_ _.zip\"; filename*=UTF-8''a%20%22b%22%20%C3%BC.zip"
        );
    }
}
