//! The `McpDeployment` operator. [`build`] turns one environment into the Kubernetes objects it
//! needs — pure functions, no I/O, reviewed as snapshots; [`reconcile`] applies them and reports
//! status (the only I/O); [`leader`] elects one active replica; [`observe`] serves health and
//! metrics; [`run`] ties them together.

pub mod build;
pub mod leader;
pub mod observe;
pub mod reconcile;

#[cfg(test)]
mod fake_api;

use std::sync::Arc;

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::runtime::{Controller, watcher};
use kube::{Api, Client};
use octomesh_crds::McpDeployment;

pub use build::{BuildError, Desired, desired};

/// Where and as whom the operator runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The namespace of the leader lease (the operator's own).
    pub namespace: String,
    /// This replica's name in the lease (the pod's name).
    pub identity: String,
    /// Where `/healthz`, `/readyz` and `/metrics` are served.
    pub listen: std::net::SocketAddr,
}

/// Serves the operator's endpoints, waits for the leader lease, then watches every McpDeployment
/// (and the objects it owns) until a termination signal or the loss of the lease (an error: the
/// pod restarts and competes again).
pub async fn run(client: Client, options: Options) -> Result<(), String> {
    let metrics = Arc::new(observe::Metrics::default());
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", options.listen))?;
    let endpoints =
        tokio::spawn(axum::serve(listener, observe::router(Arc::clone(&metrics))).into_future());
    let (leading, mut leading_rx) = tokio::sync::watch::channel(false);
    let lease = tokio::spawn(leader::hold(
        client.clone(),
        options.namespace.clone(),
        "octomesh-mcp-operator".into(),
        options.identity.clone(),
        leading,
    ));
    tokio::select! {
        _ = leading_rx.wait_for(|leading| *leading) => {}
        _ = tokio::signal::ctrl_c() => {
            endpoints.abort();
            lease.abort();
            return Ok(());
        }
    }
    metrics
        .leading
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let lost = async move {
        let _ = leading_rx.wait_for(|leading| !*leading).await;
    };
    let context = Arc::new(reconcile::Context::new(client.clone()));
    let counters = Arc::clone(&metrics);
    Controller::new(
        Api::<McpDeployment>::all(client.clone()),
        watcher::Config::default(),
    )
    .owns(
        Api::<Deployment>::all(client.clone()),
        watcher::Config::default(),
    )
    .owns(
        Api::<Service>::all(client.clone()),
        watcher::Config::default(),
    )
    .owns(Api::<ConfigMap>::all(client), watcher::Config::default())
    .graceful_shutdown_on(lost)
    .shutdown_on_signal()
    .run(reconcile::reconcile, reconcile::error_policy, context)
    .for_each(|outcome| {
        let counters = Arc::clone(&counters);
        async move {
            match outcome {
                Ok((object, _)) => {
                    counters
                        .reconciles_ok
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::info!(mcpdeployment = %object, "Reconciled.");
                }
                Err(error) => {
                    counters
                        .reconcile_errors
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::warn!(%error, "Reconcile did not complete.");
                }
            }
        }
    })
    .await;
    endpoints.abort();
    let still_leading =
        metrics.leading.load(std::sync::atomic::Ordering::Relaxed) && !lease.is_finished();
    lease.abort();
    if still_leading {
        Ok(())
    } else {
        Err("the leader lease was lost".into())
    }
}
