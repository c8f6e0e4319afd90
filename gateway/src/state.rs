//! [`AppState`]: what every request handler shares.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use octomesh_proto::v1;
use tokio_util::sync::CancellationToken;

use crate::catalog::Catalog;
use crate::config::GatewayConfig;
use crate::hub::Hub;
use crate::origin::OriginPolicy;
use crate::session::SessionSealer;
use crate::workers::WorkerEndpoint;
use crate::workers::discovery::{self, Source};

pub(crate) struct AppState {
    pub(crate) config: GatewayConfig,
    pub(crate) sealer: SessionSealer,
    pub(crate) origin_policy: OriginPolicy,
    pub(crate) hub: Hub,
    /// Where endpoints come from (names are resolved again on each refresh).
    sources: Mutex<Vec<Source>>,
    catalog: RwLock<Arc<Catalog>>,
    /// The last `ListTools` answer of each endpoint, by endpoint name.
    listings: Mutex<HashMap<String, v1::ListToolsResponse>>,
    /// Cancelled when the gateway shuts down: long-lived streams end, calls in flight drain.
    pub(crate) shutdown: CancellationToken,
    /// Per-tool calls and durations, for `get_tool_statistics`.
    pub(crate) stats: crate::stats::ToolStats,
    /// The trusted OAuth authority, when authentication is on.
    pub(crate) authority: Option<crate::auth::Authority>,
    /// Sign-ins of the device-flow tools, per session.
    pub(crate) session_tokens: crate::auth::session_tokens::SessionTokens,
    /// The file-transfer channel's store, when it is served.
    pub(crate) transfers: Option<octomesh_file_transfer::TransferStore>,
    /// Where this gateway listens (set when it serves): transfer URLs without a public URL.
    pub(crate) local_address: std::sync::OnceLock<std::net::SocketAddr>,
}

impl AppState {
    pub(crate) fn new(config: GatewayConfig, sources: Vec<Source>) -> AppState {
        AppState {
            sealer: SessionSealer::new(&config.session_key, config.session_lifetime),
            origin_policy: OriginPolicy::new(&config),
            hub: Hub::default(),
            sources: Mutex::new(sources),
            catalog: RwLock::new(Arc::new(Catalog::empty())),
            listings: Mutex::new(HashMap::new()),
            shutdown: CancellationToken::new(),
            stats: crate::stats::ToolStats::default(),
            authority: config.auth.clone().map(crate::auth::Authority::new),
            session_tokens: match &config.token_store {
                Some(url) => crate::auth::session_tokens::SessionTokens::in_redis(
                    config.session_key.clone(),
                    config.session_lifetime,
                    url,
                )
                .unwrap_or_else(|error| {
                    tracing::error!(%error, "Bad token store URL; keeping sign-ins in memory.");
                    crate::auth::session_tokens::SessionTokens::in_memory(
                        config.session_key.clone(),
                        config.session_lifetime,
                    )
                }),
                None => crate::auth::session_tokens::SessionTokens::in_memory(
                    config.session_key.clone(),
                    config.session_lifetime,
                ),
            },
            transfers: config.file_transfer.as_ref().and_then(|transfer| {
                octomesh_file_transfer::TransferStore::at(
                    &transfer.store,
                    transfer.key_for(&config.session_key),
                    transfer.max_bytes,
                    transfer.ttl,
                )
                .inspect_err(|error| {
                    tracing::error!(%error, "The file-transfer store cannot be opened; transfers are off.");
                })
                .ok()
            }),
            local_address: std::sync::OnceLock::new(),
            config,
        }
    }

    /// The base of URLs given to clients: the public URL without its `/mcp`, else where this
    /// gateway listens.
    pub(crate) fn public_base(&self) -> String {
        match &self.config.public_url {
            Some(url) => url
                .trim_end_matches('/')
                .trim_end_matches("/mcp")
                .trim_end_matches('/')
                .to_owned(),
            None => format!(
                "http://{}",
                self.local_address
                    .get()
                    .copied()
                    .unwrap_or(self.config.listen)
            ),
        }
    }

    pub(crate) fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.catalog.read().expect("catalog lock is never poisoned"))
    }

    /// The current endpoints, in source order.
    fn endpoints(&self) -> Vec<Arc<WorkerEndpoint>> {
        self.sources
            .lock()
            .expect("sources lock is never poisoned")
            .iter()
            .flat_map(Source::endpoints)
            .collect()
    }

    /// Resolves worker names again, probes every endpoint with `ListTools`, and rebuilds the
    /// catalog if anything changed.
    pub(crate) async fn refresh(&self) {
        let targets: Vec<(usize, String)> = self
            .sources
            .lock()
            .expect("sources lock is never poisoned")
            .iter()
            .enumerate()
            .filter_map(|(source_idx, source)| Some((source_idx, source.target()?.to_owned())))
            .collect();
        let mut moved = false;
        for (source_idx, target) in targets {
            if let Some(addresses) = discovery::lookup(&target).await {
                moved |= self.sources.lock().expect("sources lock is never poisoned")[source_idx]
                    .apply(&addresses);
            }
        }
        let endpoints = self.endpoints();
        let probes = endpoints.iter().map(|endpoint| async move {
            tokio::time::timeout(Duration::from_secs(5), endpoint.host.list()).await
        });
        let answers = futures_util::future::join_all(probes).await;
        let mut listings = self
            .listings
            .lock()
            .expect("listings lock is never poisoned");
        let mut changed = moved;
        for (endpoint, answer) in endpoints.iter().zip(answers) {
            match answer {
                Ok(Ok(listing)) => {
                    endpoint.mark_healthy();
                    if listings.get(&endpoint.name) != Some(&listing) {
                        listings.insert(endpoint.name.clone(), listing);
                        changed = true;
                    }
                }
                Ok(Err(error)) => {
                    tracing::debug!(worker = %endpoint.name, %error, "Worker probe failed.");
                    endpoint.mark_unhealthy();
                }
                Err(_elapsed) => endpoint.mark_unhealthy(),
            }
        }
        // Endpoints that are gone take their listings with them.
        let before = listings.len();
        listings.retain(|name, _| endpoints.iter().any(|endpoint| endpoint.name == *name));
        changed |= listings.len() != before;
        if !changed && !listings.is_empty() {
            return;
        }
        let ordered: Vec<_> = endpoints
            .iter()
            .filter_map(|endpoint| {
                Some((Arc::clone(endpoint), listings.get(&endpoint.name)?.clone()))
            })
            .collect();
        drop(listings);
        let catalog = Catalog::build(ordered);
        tracing::info!(
            tools = catalog.tools.len(),
            families = catalog.pools.len(),
            "Tool catalog refreshed."
        );
        *self
            .catalog
            .write()
            .expect("catalog lock is never poisoned") = Arc::new(catalog);
    }

    /// Whether to probe again, `since_last` after the last probe: every `refresh_interval`, and
    /// every `recovery_interval` while an endpoint is down (a call found it dead, or a probe did),
    /// so a worker that comes back (restarted by `up`, rescheduled by Kubernetes) is healthy and
    /// `/readyz` ready again within about a second rather than a whole `refresh_interval`.
    pub(crate) fn refresh_due(&self, since_last: std::time::Duration) -> bool {
        since_last >= self.config.refresh_interval
            || !self.is_ready()
            || !self
                .endpoints()
                .iter()
                .all(|endpoint| endpoint.is_healthy())
    }

    /// Ready when every endpoint has answered `ListTools` once and every family has a healthy endpoint.
    pub(crate) fn is_ready(&self) -> bool {
        self.sources
            .lock()
            .expect("sources lock is never poisoned")
            .iter()
            .all(Source::has_listed)
            && self
                .catalog()
                .pools
                .iter()
                .filter(|pool| !pool.endpoints.is_empty())
                .all(|pool| pool.healthy_count() > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_worker_that_is_down_is_probed_every_recovery_interval() {
        let config = GatewayConfig::new("127.0.0.1:0".parse().unwrap());
        let worker = Source::from_url("unix:/nonexistent/octomesh-worker.sock").unwrap();
        let state = AppState::new(config, vec![worker]);
        let endpoint = Arc::clone(&state.endpoints()[0]);
        assert!(state.refresh_due(Duration::ZERO), "not listed yet");

        endpoint.mark_healthy();
        assert!(!state.refresh_due(Duration::from_secs(1)), "all up");
        assert!(state.refresh_due(state.config.refresh_interval));

        // As a call does that finds the worker dead.
        endpoint.mark_unhealthy();
        assert!(state.refresh_due(Duration::ZERO));
        state.refresh().await;
        assert!(!endpoint.is_healthy(), "still unreachable");
        assert!(state.refresh_due(Duration::ZERO), "probed again soon");
    }
}
