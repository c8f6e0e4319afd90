//! The worker endpoints the gateway dispatches to, grouped into one pool per family.
//!
//! Endpoints are configured by URL (remote workers) or handed over as in-process hosts. Their family
//! and tools are learned from `ListTools`, which also serves as the periodic health probe.

pub(crate) mod connector;
pub(crate) mod discovery;
pub(crate) mod grpc_host;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use octomesh_proto::ToolHost;

/// One place a family is served: a remote worker or an in-process registry.
pub(crate) struct WorkerEndpoint {
    /// The URL, or `in-process:<n>`.
    pub(crate) name: String,
    pub(crate) host: Arc<dyn ToolHost>,
    healthy: AtomicBool,
    listed: AtomicBool,
}

impl WorkerEndpoint {
    pub(crate) fn new(name: String, host: Arc<dyn ToolHost>) -> WorkerEndpoint {
        WorkerEndpoint {
            name,
            host,
            healthy: AtomicBool::new(false),
            listed: AtomicBool::new(false),
        }
    }

    pub(crate) fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    pub(crate) fn has_listed(&self) -> bool {
        self.listed.load(Ordering::Relaxed)
    }

    pub(crate) fn mark_healthy(&self) {
        let had_listed = self.listed.swap(true, Ordering::Relaxed);
        if !self.healthy.swap(true, Ordering::Relaxed) && had_listed {
            tracing::info!(worker = %self.name, "Worker endpoint healthy again.");
        }
    }

    pub(crate) fn mark_unhealthy(&self) {
        if self.healthy.swap(false, Ordering::Relaxed) {
            tracing::warn!(worker = %self.name, "Worker endpoint marked unhealthy.");
        }
    }
}

/// The endpoints of one family, load-balanced round-robin over the healthy ones.
pub(crate) struct FamilyPool {
    pub(crate) family: String,
    pub(crate) endpoints: Vec<Arc<WorkerEndpoint>>,
    next: AtomicUsize,
}

impl FamilyPool {
    pub(crate) fn new(family: String, endpoints: Vec<Arc<WorkerEndpoint>>) -> FamilyPool {
        FamilyPool {
            family,
            endpoints,
            next: AtomicUsize::new(0),
        }
    }

    /// The next endpoint to try, skipping `tried` ones; healthy endpoints first.
    pub(crate) fn pick(&self, tried: &[usize]) -> Option<(usize, Arc<WorkerEndpoint>)> {
        let n_endpoints = self.endpoints.len();
        if n_endpoints == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let candidates = (0..n_endpoints)
            .map(|offset| (start + offset) % n_endpoints)
            .filter(|endpoint_idx| !tried.contains(endpoint_idx));
        let mut fallback = None;
        for endpoint_idx in candidates {
            let endpoint = &self.endpoints[endpoint_idx];
            if endpoint.is_healthy() {
                return Some((endpoint_idx, Arc::clone(endpoint)));
            }
            fallback.get_or_insert((endpoint_idx, Arc::clone(endpoint)));
        }
        fallback
    }

    pub(crate) fn healthy_count(&self) -> usize {
        self.endpoints
            .iter()
            .filter(|endpoint| endpoint.is_healthy())
            .count()
    }
}
