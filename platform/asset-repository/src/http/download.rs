//! Files the exports write and serve: an anonymous temporary file (unlinked as soon as it is
//! open, so nothing is left behind whatever happens), streamed as the response body in chunks
//! read off the async workers.

use std::io::{Read, Seek, SeekFrom};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A new read-write temporary file with no name.
pub(crate) fn anonymous_file() -> std::io::Result<std::fs::File> {
    let mut random = [0u8; 8];
    getrandom::getrandom(&mut random).map_err(std::io::Error::other)?;
    let name: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    let path = std::env::temp_dir().join(format!("octomesh-asset-{name}.tmp"));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    // The open handle keeps the data; the name goes now (on Windows this fails and the file
    // stays until the handle closes, then the temp dir's cleanup takes it).
    let _ = std::fs::remove_file(&path);
    Ok(file)
}

/// How much one chunk of a streamed file holds.
const CHUNK_BYTES: usize = 256 * 1024;

/// `file` (rewound) as a 200 `content_type` attachment named `file_name`.
pub(crate) fn file_response(
    mut file: std::fs::File,
    file_name: &str,
    content_type: &'static str,
) -> std::io::Result<Response> {
    let length = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(0))?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        loop {
            let mut buffer = vec![0u8; CHUNK_BYTES];
            match file.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => {
                    buffer.truncate(read);
                    if sender.blocking_send(Ok(Bytes::from(buffer))).is_err() {
                        break;
                    }
                }
                Err(error) => {
                    let _ = sender.blocking_send(Err(error));
                    break;
                }
            }
        }
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver));
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, HeaderValue::from(length)),
        ],
        body,
    )
        .into_response())
}

/// A JSON `{"message"}` answer with `status`.
pub(crate) fn refused(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"message": message.into()})),
    )
        .into_response()
}
