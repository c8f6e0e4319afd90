//! The HTTP accept loop: TCP_NODELAY on every connection, HTTP/1.1 and HTTP/2 with prior
//! knowledge, and a graceful shutdown that stops accepting and waits for open connections.
//!
//! Written out instead of `axum::serve` because an open SSE stream costs one connection task and
//! gateways hold thousands: each connection is served by a task sized for its own protocol (the
//! protocol is told from the first bytes), which halves the memory of an idle stream.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};

/// What an HTTP/2 client with prior knowledge sends first.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Serves `app` on `listener` until `shutdown` resolves, then waits for open connections.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "Could not accept a connection.");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // A missing TCP_NODELAY adds ~40 ms to streamed responses.
        let _ = stream.set_nodelay(true);
        tokio::spawn(dispatch(stream, app.clone(), graceful.watcher()));
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Tells HTTP/2 from HTTP/1 by the first bytes, then hands the connection to a task of its own.
async fn dispatch(stream: TcpStream, app: Router, watcher: Watcher) {
    let is_http2 = match starts_with_h2_preface(&stream).await {
        Ok(is_http2) => is_http2,
        Err(_) => return,
    };
    let service = TowerToHyperService::new(app);
    if is_http2 {
        let connection = http2::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(stream), service);
        tokio::spawn(log_end(watcher.watch(connection)));
    } else {
        let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
        tokio::spawn(log_end(watcher.watch(connection)));
    }
}

async fn log_end(connection: impl Future<Output = Result<(), hyper::Error>>) {
    if let Err(error) = connection.await {
        tracing::debug!(%error, "Connection ended with an error.");
    }
}

/// Peeks until the bytes seen either match the HTTP/2 preface completely or stop matching it.
async fn starts_with_h2_preface(stream: &TcpStream) -> std::io::Result<bool> {
    let mut buffer = [0u8; H2_PREFACE.len()];
    loop {
        let n_read = stream.peek(&mut buffer).await?;
        if n_read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if buffer[..n_read] != H2_PREFACE[..n_read] {
            return Ok(false);
        }
        if n_read == H2_PREFACE.len() {
            return Ok(true);
        }
        // A partial preface: wait for more bytes.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
