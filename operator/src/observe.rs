//! The operator's own endpoints: `/healthz` (the process runs), `/readyz` (it leads or stands by
//! with a working client), and `/metrics` in the Prometheus text format — reconciles by outcome,
//! and whether this replica leads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

/// What the endpoints report.
#[derive(Debug, Default)]
pub struct Metrics {
    pub reconciles_ok: AtomicU64,
    pub reconcile_errors: AtomicU64,
    pub leading: AtomicBool,
}

impl Metrics {
    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        format!(
            "# HELP octomesh_operator_reconciles_total Reconciles of McpDeployments, by outcome.\n\
             # TYPE octomesh_operator_reconciles_total counter\n\
             octomesh_operator_reconciles_total{{outcome=\"ok\"}} {}\n\
             octomesh_operator_reconciles_total{{outcome=\"error\"}} {}\n\
             # HELP octomesh_operator_leader Whether this replica holds the leader lease (1) or waits (0).\n\
             # TYPE octomesh_operator_leader gauge\n\
             octomesh_operator_leader {}\n",
            self.reconciles_ok.load(Ordering::Relaxed),
            self.reconcile_errors.load(Ordering::Relaxed),
            u8::from(self.leading.load(Ordering::Relaxed)),
        )
    }
}

/// The routes.
pub fn router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(|State(metrics): State<Arc<Metrics>>| async move {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    metrics.render(),
                )
                    .into_response()
            }),
        )
        .with_state(metrics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn metrics_count_reconciles_and_leadership() {
        let metrics = Arc::new(Metrics::default());
        metrics.reconciles_ok.fetch_add(3, Ordering::Relaxed);
        metrics.reconcile_errors.fetch_add(1, Ordering::Relaxed);
        metrics.leading.store(true, Ordering::Relaxed);
        let response = router(Arc::clone(&metrics))
            .oneshot(
                axum::http::Request::get("/metrics")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            text.contains("octomesh_operator_reconciles_total{outcome=\"ok\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("octomesh_operator_reconciles_total{outcome=\"error\"} 1"),
            "{text}"
        );
        assert!(text.contains("octomesh_operator_leader 1"), "{text}");
        let health = router(metrics)
            .oneshot(
                axum::http::Request::get("/healthz")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
    }
}
