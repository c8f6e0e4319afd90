//! The embedded bot service (OctoMesh's `octo-bot-services`): durable tenant jobs — dump,
//! restore, runtime-model export, archive data export and import, fixup scripts — their result
//! downloads, and the TUS 1.0.0 upload endpoint the restore and import jobs read from, beside the
//! routes every service has (`/healthz`, `system/v1/diagnostics/reconfigureLogLevel`), all behind
//! the identity service's tokens.
//!
//! The bot touches no other service's data: each job is carried out through the asset
//! repository's HTTP routes (`{asset}/system/v1/tenants/{tenantId}/dump|restore|export/…|
//! streamdata/archives/{rtId}/export|import|fixups/run`), with the bot's own client-credentials
//! token (`octo-botServices`). It keeps `bot/` of the data directory (and holds `bot.lock`):
//! `jobs/{id}.json` (each job's record, written before the enqueue is answered), `results/{id}`
//! (the result files) and `tus/{fileId}` (uploads, with `{fileId}.info`). A restart queues the
//! jobs still enqueued again and fails those that were running, so none is lost or run twice.
//! Results and uploads are swept after `retention` (4 h), ended jobs after a week.
//!
//! Routes (`{scope}` is `{tenantId}/v1` or upstream's `system/v1` with `?tenantId=`):
//! `POST {scope}/jobs/{kind}` → `{"jobId"}`, `GET {scope}/jobs?id=` → the job,
//! `GET {scope}/jobs/download?id=` → the result file, `DELETE {scope}/jobs/{id}` → `true|false`,
//! and `{scope}/tus-upload[/{fileId}]` (tus core, `creation`, `termination`).

mod asset;
mod bot;
mod config;
mod disposition;
mod error;
mod files;
mod ids;
mod jobs;
mod retention;
mod time;
mod tus;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::Router;
use axum::http::Method;
use axum::routing::{any, get, post};
use octomesh_platform_common::auth::check;
use octomesh_platform_common::service::{self, ServiceKind};
use octomesh_platform_common::{Guard, Need};

pub use bot::Bot;
pub use config::{
    BOT_CLIENT_ID, BotConfig, CLIENT_SECRET_ENV, DEFAULT_CONCURRENCY, DEFAULT_JOB_RETENTION,
    DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_RETENTION, DEFAULT_SWEEP_INTERVAL,
};
pub use retention::Swept;

/// The service this crate is.
pub const SERVICE: ServiceKind = ServiceKind::Bot;

/// Reads need `octo_api` or `octo_api.read_only`, everything else and every TUS request
/// `octo_api` (upstream's `JobApiReadOnlyPolicy`, `JobApiReadWritePolicy`, and its TUS check).
fn policy(method: &Method, path: &str) -> Need {
    if path.contains("/v1/tus-upload") {
        Need::Write
    } else {
        Need::by_method(method)
    }
}

/// The bot service's routes, every one but `/healthz` checked by `guard`.
pub fn router(guard: Guard, bot: Arc<Bot>) -> Router {
    use jobs::routes;
    let guard = guard.with_policy(policy);
    let jobs = Router::new()
        .route("/{tenant}/v1/jobs", get(routes::status_tenant))
        .route("/{tenant}/v1/jobs/download", get(routes::download_tenant))
        .route(
            "/{tenant}/v1/jobs/{name}",
            post(routes::enqueue_tenant).delete(routes::delete_tenant),
        )
        .route("/system/v1/jobs", get(routes::status_system))
        .route("/system/v1/jobs/download", get(routes::download_system))
        .route(
            "/system/v1/jobs/{name}",
            post(routes::enqueue_system).delete(routes::delete_system),
        )
        .layer(axum::middleware::from_fn_with_state(guard.clone(), check));
    let tenant_uploads = Router::new()
        .route(
            "/{tenant}/v1/tus-upload",
            any(tus::routes::tenant_collection),
        )
        .route(
            "/{tenant}/v1/tus-upload/{file_id}",
            any(tus::routes::tenant_file),
        )
        .layer(axum::middleware::from_fn_with_state(guard.clone(), check));
    let system_uploads = Router::new()
        .route("/system/v1/tus-upload", any(tus::routes::system_collection))
        .route(
            "/system/v1/tus-upload/{file_id}",
            any(tus::routes::system_file),
        )
        .layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            tus::auth::check_system,
        ));
    let uploads = tenant_uploads
        .merge(system_uploads)
        .layer(axum::middleware::map_response(tus::routes::stamp));
    let routes = jobs.merge(uploads).with_state(bot);
    service::finish(
        SERVICE,
        service::common_routes(SERVICE, guard).merge(routes),
    )
}

/// Serves the bot on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    guard: Guard,
    bot: Arc<Bot>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    octomesh_platform_common::serve(listener, router(guard, bot), shutdown).await
}
