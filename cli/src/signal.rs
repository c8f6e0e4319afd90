//! Waiting for the signal to stop.

/// Resolves on Ctrl-C or SIGTERM, or, in a child of `up --processes`, when stdin ends.
pub(crate) async fn shutdown() {
    let parent_gone = async {
        if std::env::var_os(crate::children::EXIT_WITH_PARENT).is_none() {
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
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
        _ = parent_gone => {},
    }
}
