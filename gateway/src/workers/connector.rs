//! How the gateway opens a connection to a worker: TCP (`http://HOST:PORT`, names resolved) or a
//! Unix socket (`unix:/PATH`) for same-host workers.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpStream, UnixStream};

/// Connects to one worker.
#[derive(Clone)]
pub(crate) enum WorkerConnector {
    Tcp(HttpConnector),
    Unix(Arc<Path>),
}

/// A connection to a worker.
pub(crate) enum WorkerIo {
    Tcp(TokioIo<TcpStream>),
    Unix(TokioIo<UnixStream>),
}

impl tower::Service<http::Uri> for WorkerConnector {
    type Response = WorkerIo;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = BoxFuture<'static, Result<WorkerIo, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self {
            WorkerConnector::Tcp(connector) => connector.poll_ready(cx).map_err(Into::into),
            WorkerConnector::Unix(_) => Poll::Ready(Ok(())),
        }
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        match self {
            WorkerConnector::Tcp(connector) => connector
                .call(uri)
                .map(|connected| connected.map(WorkerIo::Tcp).map_err(Into::into))
                .boxed(),
            WorkerConnector::Unix(path) => {
                let path = Arc::clone(path);
                async move {
                    let stream = UnixStream::connect(&*path).await?;
                    Ok(WorkerIo::Unix(TokioIo::new(stream)))
                }
                .boxed()
            }
        }
    }
}

impl Connection for WorkerIo {
    fn connected(&self) -> Connected {
        match self {
            WorkerIo::Tcp(stream) => stream.connected(),
            WorkerIo::Unix(_) => Connected::new(),
        }
    }
}

impl Read for WorkerIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WorkerIo::Tcp(stream) => Pin::new(stream).poll_read(cx, buf),
            WorkerIo::Unix(stream) => Pin::new(stream).poll_read(cx, buf),
        }
    }
}

impl Write for WorkerIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WorkerIo::Tcp(stream) => Pin::new(stream).poll_write(cx, buf),
            WorkerIo::Unix(stream) => Pin::new(stream).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WorkerIo::Tcp(stream) => Pin::new(stream).poll_flush(cx),
            WorkerIo::Unix(stream) => Pin::new(stream).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WorkerIo::Tcp(stream) => Pin::new(stream).poll_shutdown(cx),
            WorkerIo::Unix(stream) => Pin::new(stream).poll_shutdown(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            WorkerIo::Tcp(stream) => stream.is_write_vectored(),
            WorkerIo::Unix(stream) => stream.is_write_vectored(),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WorkerIo::Tcp(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            WorkerIo::Unix(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
        }
    }
}
