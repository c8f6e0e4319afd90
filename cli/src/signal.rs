//! Waiting for the signal to stop.

use std::future::Future;

/// Set on children of `up --processes`: stop when stdin reaches its end (the parent closed it or
/// exited).
pub(crate) const EXIT_WITH_PARENT: &str = "OCTOMESH_EXIT_WITH_PARENT";

/// Resolves on Ctrl-C or SIGTERM, or, in a child of `up --processes`, when stdin ends.
///
/// The signal handlers are installed by this call, not when the future is first polled: call it
/// before listening, so a SIGTERM that arrives right after start-up still drains and flushes.
pub(crate) fn shutdown() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt()).ok();
    let terminate = signal(SignalKind::terminate()).ok();
    let watch_stdin = std::env::var_os(EXIT_WITH_PARENT).is_some();
    async move {
        let received = |stream: Option<tokio::signal::unix::Signal>| async move {
            match stream {
                Some(mut stream) => {
                    stream.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        let parent_gone = async {
            if !watch_stdin {
                return std::future::pending::<()>().await;
            }
            let mut stdin = tokio::io::stdin();
            let mut buffer = [0u8; 64];
            while let Ok(read) = tokio::io::AsyncReadExt::read(&mut stdin, &mut buffer).await {
                if read == 0 {
                    break;
                }
            }
        };
        tokio::select! {
            _ = received(interrupt) => {},
            _ = received(terminate) => {},
            _ = parent_gone => {},
        }
    }
}
