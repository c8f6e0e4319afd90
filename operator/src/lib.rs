//! The `McpDeployment` operator. [`build`] turns one environment into the Kubernetes objects it
//! needs — pure functions, no I/O, reviewed as snapshots; [`reconcile`] applies them and reports
//! status (the only I/O); [`run`] watches McpDeployments and what they own.

pub mod build;
pub mod reconcile;

use std::sync::Arc;

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::runtime::{Controller, watcher};
use kube::{Api, Client};
use octomesh_crds::McpDeployment;

pub use build::{BuildError, Desired, desired};

/// Watches every McpDeployment (and the objects it owns) until a termination signal.
pub async fn run(client: Client) {
    let context = Arc::new(reconcile::Context::new(client.clone()));
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
    .shutdown_on_signal()
    .run(reconcile::reconcile, reconcile::error_policy, context)
    .for_each(|outcome| async move {
        match outcome {
            Ok((object, _)) => tracing::info!(mcpdeployment = %object, "Reconciled."),
            Err(error) => tracing::warn!(%error, "Reconcile did not complete."),
        }
    })
    .await;
}
