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

pub(crate) struct AppState {
    pub(crate) config: GatewayConfig,
    pub(crate) sealer: SessionSealer,
    pub(crate) origin_policy: OriginPolicy,
    pub(crate) hub: Hub,
    pub(crate) endpoints: Vec<Arc<WorkerEndpoint>>,
    catalog: RwLock<Arc<Catalog>>,
    listings: Mutex<HashMap<usize, v1::ListToolsResponse>>,
    /// Cancelled when the gateway shuts down: long-lived streams end, calls in flight drain.
    pub(crate) shutdown: CancellationToken,
    /// Per-tool calls and durations, for `get_tool_statistics`.
    pub(crate) stats: crate::stats::ToolStats,
    /// The trusted OAuth authority, when authentication is on.
    pub(crate) authority: Option<crate::auth::Authority>,
    /// Sign-ins of the device-flow tools, per session.
    pub(crate) session_tokens: crate::auth::session_tokens::SessionTokens,
}

impl AppState {
    pub(crate) fn new(config: GatewayConfig, endpoints: Vec<Arc<WorkerEndpoint>>) -> AppState {
        AppState {
            sealer: SessionSealer::new(&config.session_key, config.session_lifetime),
            origin_policy: OriginPolicy::new(&config),
            hub: Hub::default(),
            endpoints,
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
            config,
        }
    }

    pub(crate) fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.catalog.read().expect("catalog lock is never poisoned"))
    }

    /// Probes every endpoint with `ListTools` and rebuilds the catalog if anything changed.
    pub(crate) async fn refresh(&self) {
        let probes = self
            .endpoints
            .iter()
            .enumerate()
            .map(|(endpoint_idx, endpoint)| async move {
                let answer =
                    tokio::time::timeout(Duration::from_secs(5), endpoint.host.list()).await;
                (endpoint_idx, answer)
            });
        let answers = futures_util::future::join_all(probes).await;
        let mut listings = self
            .listings
            .lock()
            .expect("listings lock is never poisoned");
        let mut changed = false;
        for (endpoint_idx, answer) in answers {
            let endpoint = &self.endpoints[endpoint_idx];
            match answer {
                Ok(Ok(listing)) => {
                    endpoint.mark_healthy();
                    if listings.get(&endpoint_idx) != Some(&listing) {
                        listings.insert(endpoint_idx, listing);
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
        if !changed && !listings.is_empty() {
            return;
        }
        let mut ordered: Vec<_> = listings
            .iter()
            .map(|(&endpoint_idx, listing)| {
                (
                    endpoint_idx,
                    Arc::clone(&self.endpoints[endpoint_idx]),
                    listing.clone(),
                )
            })
            .collect();
        drop(listings);
        ordered.sort_by_key(|(endpoint_idx, _, _)| *endpoint_idx);
        let catalog = Catalog::build(
            ordered
                .into_iter()
                .map(|(_, endpoint, listing)| (endpoint, listing))
                .collect(),
        );
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

    /// Ready when every endpoint has answered `ListTools` once and every family has a healthy endpoint.
    pub(crate) fn is_ready(&self) -> bool {
        self.endpoints.iter().all(|endpoint| endpoint.has_listed())
            && self
                .catalog()
                .pools
                .iter()
                .filter(|pool| !pool.endpoints.is_empty())
                .all(|pool| pool.healthy_count() > 0)
    }
}
