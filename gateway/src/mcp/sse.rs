//! Server-sent events framing and the HTTP responses every transport shares.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use http::{HeaderValue, StatusCode, header};
use tokio_util::sync::CancellationToken;

/// One SSE `message` event carrying a JSON-RPC message.
pub(crate) fn event(json: &str) -> Bytes {
    let mut frame = String::with_capacity(json.len() + 8);
    frame.push_str("data: ");
    frame.push_str(json);
    frame.push_str("\n\n");
    Bytes::from(frame)
}

/// One SSE `message` event with an event id (for resumption).
pub(crate) fn event_with_id(id: &str, json: &str) -> Bytes {
    Bytes::from(format!("id: {id}\ndata: {json}\n\n"))
}

/// One SSE event with an explicit event name (legacy transport: `endpoint`, `message`).
pub(crate) fn named_event(name: &str, data: &str) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// An SSE response over `frames`, with keep-alive comments while `frames` is quiet, ending when
/// `frames` ends or `shutdown` fires.
pub(crate) fn response(
    frames: BoxStream<'static, Bytes>,
    keep_alive: Option<Duration>,
    shutdown: CancellationToken,
    extra_headers: &[(&'static str, String)],
) -> Response {
    let body = with_keep_alive(frames, keep_alive, shutdown).map(Ok::<Bytes, Infallible>);
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-transform"),
    );
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    for (name, value) in extra_headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(*name, value);
        }
    }
    response
}

fn with_keep_alive(
    frames: BoxStream<'static, Bytes>,
    keep_alive: Option<Duration>,
    shutdown: CancellationToken,
) -> impl Stream<Item = Bytes> + Send + 'static {
    async_stream::stream! {
        let mut frames = frames;
        let period = keep_alive.unwrap_or(Duration::from_secs(3600 * 24));
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                frame = frames.next() => match frame {
                    Some(frame) => yield frame,
                    None => break,
                },
                _ = ticker.tick(), if keep_alive.is_some() => yield Bytes::from_static(b": keep-alive\n\n"),
                _ = shutdown.cancelled() => break,
            }
        }
    }
}

/// A JSON body with a status.
pub(crate) fn json_response(
    status: StatusCode,
    json: String,
    extra_headers: &[(&'static str, String)],
) -> Response {
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], json).into_response();
    for (name, value) in extra_headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, value);
        }
    }
    response
}

/// A plain-text error for cases where no JSON-RPC message applies.
pub(crate) fn text_response(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text.to_owned(),
    )
        .into_response()
}
