//! The asset repository's REST contract (the paths of the OctoMesh SDK's `AssetServicesClient`):
//! tenants, CK and runtime-model imports as background jobs, job status, stream data, and the
//! GraphQL endpoint (`crate::graphql`); every route but `/healthz` behind the platform's guard.

mod archive_data;
mod backup;
mod download;
mod error;
mod export;
mod fixups;
mod jobs;
mod models;
mod points;
mod rollups;
mod service_models;
mod streamdata;
mod tenants;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{get, post, put};
use octomesh_platform_common::service;
use octomesh_platform_common::{Guard, Need};

use crate::store::Platform;

pub use jobs::{JobState, JobStatus, Jobs};
pub(crate) use octomesh_platform_common::Access;

/// Largest accepted upload (upstream allows 300 MB).
const MAX_UPLOAD_BYTES: usize = 300 * 1024 * 1024;

/// Largest batch of points (100,000 points with a few columns are ~10 MB of JSON).
const MAX_POINTS_BYTES: usize = 64 * 1024 * 1024;

/// Largest GraphQL request (a batch of entities to create fits comfortably).
const MAX_GRAPHQL_BYTES: usize = 32 * 1024 * 1024;

/// What the handlers share.
pub struct AssetApi {
    pub platform: Arc<Platform>,
    pub jobs: Jobs,
}

/// Serves the asset repository on `listener` until `shutdown` completes, with the rollup
/// orchestrator running beside it; `guard` checks every route but `/healthz`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    platform: Arc<Platform>,
    guard: Guard,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let orchestrator = tokio::spawn(crate::series::orchestrator::run(
        Arc::clone(&platform),
        ROLLUP_PASS,
    ));
    let served = octomesh_platform_common::serve(listener, router(platform, guard), shutdown).await;
    orchestrator.abort();
    let _ = orchestrator.await;
    served
}

/// How often the rollup orchestrator closes buckets when nothing wakes it sooner.
const ROLLUP_PASS: std::time::Duration = std::time::Duration::from_secs(5);

/// What each route needs: importing a construction kit needs model management; GraphQL is a
/// read (its handler checks mutations, which it can tell apart); other `GET`s read, the rest write.
fn policy(method: &Method, path: &str) -> Need {
    if path.ends_with("/Models/ImportCk") || path.ends_with("/models/ImportCk") {
        Need::ManageModels
    } else if path.ends_with("/GraphQL")
        || path.ends_with("/graphql")
        || path.contains("/export/runtime-model/")
    {
        Need::Read
    } else {
        Need::by_method(method)
    }
}

/// The asset repository's routes; `guard` checks every route but `/healthz`.
pub fn router(platform: Arc<Platform>, guard: Guard) -> Router {
    let state = Arc::new(AssetApi {
        platform,
        jobs: Jobs::default(),
    });
    let protected = Router::new()
        .route(
            "/{tenant}/v1/tenants",
            get(tenants::list)
                .post(tenants::create)
                .delete(tenants::delete),
        )
        .route("/{tenant}/v1/tenants/{child}", get(tenants::get_one))
        .route("/{tenant}/v1/tenants/attach", post(tenants::attach))
        .route("/{tenant}/v1/tenants/detach", post(tenants::detach))
        .route("/{tenant}/v1/tenants/clear", put(tenants::clean))
        .route("/{tenant}/v1/tenants/clearCache", put(tenants::clear_cache))
        .route("/{tenant}/v1/tenants/update", put(tenants::update))
        .route("/{tenant}/v1/Models/ImportCk", post(models::import_ck))
        .route("/{tenant}/v1/models/ImportCk", post(models::import_ck))
        .route("/{tenant}/v1/Models/ImportRt", post(models::import_rt))
        .route("/{tenant}/v1/models/ImportRt", post(models::import_rt))
        .route("/{tenant}/v1/jobs", get(jobs::status))
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}",
            axum::routing::delete(streamdata::delete),
        )
        .route(
            "/{tenant}/v1/streamdata/enable",
            post(rollups::enable_tenant),
        )
        .route(
            "/{tenant}/v1/streamdata/disable",
            post(rollups::disable_tenant),
        )
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}/rollups",
            get(rollups::list).post(rollups::create),
        )
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}/freeze",
            post(rollups::freeze),
        )
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}/unfreeze",
            post(rollups::unfreeze),
        )
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}/rewind",
            post(rollups::rewind),
        )
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}/backfill-from-source",
            post(rollups::backfill),
        )
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}/recompute",
            post(rollups::recompute),
        )
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}/recompute-jobs",
            get(rollups::jobs),
        )
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}/activate",
            post(streamdata::activate),
        )
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}/disable",
            post(streamdata::disable),
        )
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}/enable",
            post(streamdata::enable),
        )
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}/retry",
            post(streamdata::retry),
        )
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}/points",
            post(streamdata::write_points).layer(DefaultBodyLimit::max(MAX_POINTS_BYTES)),
        )
        .route(
            "/{tenant}/v1/streamdata/archives/{rt_id}/downsample",
            get(streamdata::downsample),
        )
        .route("/system/v1/tenants/{tenant}/dump", get(backup::dump))
        .route(
            "/system/v1/tenants/{tenant}/restore",
            post(backup::restore).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/system/v1/tenants/{tenant}/export/runtime-model/by-query",
            post(export::by_query),
        )
        .route(
            "/system/v1/tenants/{tenant}/export/runtime-model/by-deep-graph",
            post(export::by_deep_graph),
        )
        .route(
            "/system/v1/tenants/{tenant}/streamdata/archives/{rt_id}/export",
            get(archive_data::export),
        )
        .route(
            "/system/v1/tenants/{tenant}/streamdata/archives/{rt_id}/import",
            post(archive_data::import).layer(DefaultBodyLimit::max(archive_data::MAX_IMPORT_BYTES)),
        )
        .route("/system/v1/tenants/{tenant}/fixups/run", post(fixups::run))
        .route(
            "/system/v1/tenants/{tenant}/models/service-managed/{name}",
            post(service_models::install),
        )
        .route(
            "/tenants/{tenant}/GraphQL",
            post(crate::graphql::handler).layer(DefaultBodyLimit::max(MAX_GRAPHQL_BYTES)),
        )
        .route(
            "/tenants/{tenant}/graphql",
            post(crate::graphql::handler).layer(DefaultBodyLimit::max(MAX_GRAPHQL_BYTES)),
        )
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            guard.clone().with_policy(policy),
            octomesh_platform_common::auth::check,
        ))
        .with_state(state);
    service::finish(
        crate::SERVICE,
        service::common_routes(crate::SERVICE, guard).merge(protected),
    )
}

#[cfg(test)]
mod backup_tests;
#[cfg(test)]
mod data_ops_tests;
#[cfg(test)]
mod tests;
