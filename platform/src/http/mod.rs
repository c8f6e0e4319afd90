//! The asset repository's REST contract (the paths of the OctoMesh SDK's `AssetServicesClient`):
//! tenants, runtime-model import as a background job, job status.
//!
//! Not yet here: `ImportCk` (zip and compiled formats), the GraphQL endpoint, and bearer-token checks
//! (issue 4); see docs/design/001-platform-contracts.md.

mod error;
mod jobs;
mod models;
mod tenants;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::store::Platform;

pub use jobs::{JobState, JobStatus, Jobs};

/// Largest accepted upload (upstream allows 300 MB).
const MAX_UPLOAD_BYTES: usize = 300 * 1024 * 1024;

/// What the handlers share.
pub struct AssetApi {
    pub platform: Arc<Platform>,
    pub jobs: Jobs,
}

/// The asset repository's routes.
pub fn router(platform: Arc<Platform>) -> Router {
    let state = Arc::new(AssetApi {
        platform,
        jobs: Jobs::default(),
    });
    Router::new()
        .route(
            "/{tenant}/v1/tenants",
            get(tenants::list)
                .post(tenants::create)
                .delete(tenants::delete),
        )
        .route("/{tenant}/v1/Models/ImportRt", post(models::import_rt))
        .route("/{tenant}/v1/models/ImportRt", post(models::import_rt))
        .route("/{tenant}/v1/jobs", get(jobs::status))
        .route("/tenants/{tenant}/GraphQL", post(crate::graphql::handler))
        .route("/tenants/{tenant}/graphql", post(crate::graphql::handler))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .with_state(state)
}

#[cfg(test)]
mod tests;
