//! The stateless MCP gateway.
//!
//! It owns everything MCP: the Streamable HTTP transport (sessionful revisions and the stateless
//! 2026-07-28 one), the legacy HTTP+SSE transport, sealed session ids, DNS-rebinding protection,
//! and the routing of tool calls to worker pools over the worker protocol.
//!
//! Deliberately absent: any tool. The gateway learns tools only from workers' `ListTools`
//! (plus `get_tool_risk_metadata`, which it answers from those listings), and depends on no tool crate.
//!
//! Entry points: [`Gateway::new`], [`Gateway::router`], [`Gateway::serve`].

mod auth;
mod catalog;
mod config;
mod dispatch;
mod file_transfer;
mod hub;
mod listener;
mod mcp;
mod metrics;
mod origin;
mod resume;
mod session;
mod state;
mod stats;
mod tenant;
mod workers;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::StatusCode;
use octomesh_proto::ToolHost;
use tokio::net::TcpListener;

pub use auth::{AuthConfig, AuthMode};
pub use config::{FileTransferConfig, GatewayConfig};
pub use session::SessionKey;

use crate::mcp::{legacy_sse, sse, streamable_http};
use crate::origin::OriginRefusal;
use crate::state::AppState;
use crate::workers::discovery::Source;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("invalid worker URL: {0}")]
    WorkerUrl(String),
    #[error("could not serve HTTP: {0}")]
    Serve(#[from] std::io::Error),
}

/// A configured gateway, ready to serve.
#[derive(Clone)]
pub struct Gateway {
    state: Arc<AppState>,
}

impl Gateway {
    /// A gateway over the configured worker URLs plus `in_process` hosts (served without a socket).
    pub fn new(
        config: GatewayConfig,
        in_process: Vec<Arc<dyn ToolHost>>,
    ) -> Result<Gateway, GatewayError> {
        let mut sources = Vec::new();
        for url in &config.worker_urls {
            sources.push(Source::from_url(url).map_err(GatewayError::WorkerUrl)?);
        }
        for (host_idx, host) in in_process.into_iter().enumerate() {
            sources.push(Source::in_process(format!("in-process:{host_idx}"), host));
        }
        Ok(Gateway {
            state: Arc::new(AppState::new(config, sources)),
        })
    }

    /// Probes every worker and rebuilds the tool catalog.
    pub async fn refresh(&self) {
        self.state.refresh().await;
    }

    /// Whether every worker has answered once and every family has a healthy endpoint.
    pub fn is_ready(&self) -> bool {
        self.state.is_ready()
    }

    /// How many server-initiated streams (GET and legacy SSE) are open.
    pub fn open_streams(&self) -> usize {
        self.state.hub.open_streams()
    }

    /// The HTTP application: MCP endpoints, legacy SSE, health.
    pub fn router(&self) -> Router {
        let mcp = Router::new()
            .route(
                "/mcp",
                get(streamable_http::get_root)
                    .post(streamable_http::post_root)
                    .delete(streamable_http::delete_root),
            )
            .route(
                "/{tenant}/mcp",
                get(streamable_http::get_tenant)
                    .post(streamable_http::post_tenant)
                    .delete(streamable_http::delete_tenant),
            )
            .route("/sse", get(legacy_sse::open_root))
            .route("/{tenant}/sse", get(legacy_sse::open_tenant))
            .route("/messages", axum::routing::post(legacy_sse::post_root))
            .route(
                "/{tenant}/messages",
                axum::routing::post(legacy_sse::post_tenant),
            )
            .layer(middleware::from_fn_with_state(
                Arc::clone(&self.state),
                auth::authenticate,
            ))
            .layer(middleware::from_fn_with_state(
                Arc::clone(&self.state),
                check_origin,
            ))
            .layer(DefaultBodyLimit::max(self.state.config.max_body_bytes));
        let metadata = Router::new()
            .route(
                "/.well-known/oauth-protected-resource",
                get(auth::protected_resource_metadata),
            )
            .route(
                "/.well-known/oauth-protected-resource/mcp",
                get(auth::protected_resource_metadata),
            )
            .route(
                "/.well-known/oauth-protected-resource/{tenant}/mcp",
                get(auth::protected_resource_metadata),
            )
            .layer(middleware::from_fn_with_state(
                Arc::clone(&self.state),
                check_origin,
            ));
        let transfers = file_transfer::routes().layer(middleware::from_fn_with_state(
            Arc::clone(&self.state),
            check_origin,
        ));
        Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .merge(transfers)
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics::serve))
            .merge(metadata)
            .merge(mcp)
            .with_state(Arc::clone(&self.state))
    }

    /// Serves until `shutdown` resolves; then stops accepting, ends long-lived streams and lets
    /// calls in flight finish. Workers are re-probed in the background meanwhile.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), GatewayError> {
        if let Ok(address) = listener.local_addr() {
            let _ = self.state.local_address.set(address);
        }
        self.refresh().await;
        let sweeper = file_transfer::sweeper(Arc::clone(&self.state));
        let refresher = {
            let state = Arc::clone(&self.state);
            tokio::spawn(async move {
                let check = state
                    .config
                    .recovery_interval
                    .min(state.config.refresh_interval);
                let mut last = tokio::time::Instant::now();
                loop {
                    tokio::select! {
                        () = tokio::time::sleep(check) => {}
                        () = state.shutdown.cancelled() => break,
                    }
                    if state.refresh_due(last.elapsed()) {
                        state.refresh().await;
                        last = tokio::time::Instant::now();
                    }
                }
            })
        };
        let state = Arc::clone(&self.state);
        let app = self.router();
        let result = listener::serve(listener, app, async move {
            shutdown.await;
            tracing::info!("Shutting down: draining calls in flight.");
            state.shutdown.cancel();
        })
        .await;
        self.state.shutdown.cancel();
        refresher.abort();
        if let Some(sweeper) = sweeper {
            sweeper.abort();
        }
        result.map_err(GatewayError::Serve)
    }
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    if state.is_ready() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: some workers have not answered",
        )
            .into_response()
    }
}

/// DNS-rebinding protection for every MCP route: foreign `Origin` or `Host` → 403.
async fn check_origin(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    match state.origin_policy.check(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            let what = match refusal {
                OriginRefusal::Origin(origin) => format!("Origin `{origin}`"),
                OriginRefusal::Host(host) => format!("Host `{host}`"),
            };
            tracing::warn!(refused = %what, "Refused a request from a foreign origin.");
            sse::text_response(
                StatusCode::FORBIDDEN,
                &format!(
                    "Forbidden: {what} is not allowed. Configure allowed origins/hosts if this is your client."
                ),
            )
        }
    }
}
