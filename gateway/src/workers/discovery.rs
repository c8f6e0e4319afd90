//! Where the endpoints come from. A configured worker URL whose host is a name (e.g. a Kubernetes
//! headless Service, `http://prod-1-ck-workers.octomesh.svc:50051`) stands for every address the
//! name resolves to: it is resolved again on each refresh, an endpoint is kept per address (with
//! its connection and health), new addresses are added and vanished ones dropped. A URL with an
//! IP address, a Unix socket, or an in-process host is one fixed endpoint.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use octomesh_proto::ToolHost;

use super::WorkerEndpoint;
use super::grpc_host::GrpcHost;

/// One configured source of endpoints.
pub(crate) enum Source {
    Fixed(Arc<WorkerEndpoint>),
    Dns {
        url: String,
        /// `host:port` to resolve.
        target: String,
        endpoints: Vec<(SocketAddr, Arc<WorkerEndpoint>)>,
    },
}

impl Source {
    /// The source of a worker URL.
    pub(crate) fn from_url(url: &str) -> Result<Source, String> {
        let host = GrpcHost::new(url)?;
        let authority = url
            .strip_prefix("http://")
            .map(|rest| rest.split('/').next().unwrap_or(rest));
        match authority {
            Some(authority) if authority.parse::<SocketAddr>().is_err() => Ok(Source::Dns {
                url: url.to_owned(),
                target: authority.to_owned(),
                endpoints: Vec::new(),
            }),
            _ => Ok(Source::Fixed(Arc::new(WorkerEndpoint::new(
                host.url().to_owned(),
                Arc::new(host),
            )))),
        }
    }

    pub(crate) fn in_process(name: String, host: Arc<dyn ToolHost>) -> Source {
        Source::Fixed(Arc::new(WorkerEndpoint::new(name, host)))
    }

    /// The endpoints it stands for now.
    pub(crate) fn endpoints(&self) -> Vec<Arc<WorkerEndpoint>> {
        match self {
            Source::Fixed(endpoint) => vec![Arc::clone(endpoint)],
            Source::Dns { endpoints, .. } => endpoints
                .iter()
                .map(|(_, endpoint)| Arc::clone(endpoint))
                .collect(),
        }
    }

    /// Whether one of its endpoints has answered `ListTools` (a name that resolves to nothing
    /// yet, or only to addresses nobody listens on, has not).
    pub(crate) fn has_listed(&self) -> bool {
        self.endpoints()
            .iter()
            .any(|endpoint| endpoint.has_listed())
    }

    /// The `host:port` to resolve, for a name.
    pub(crate) fn target(&self) -> Option<&str> {
        match self {
            Source::Dns { target, .. } => Some(target),
            Source::Fixed(_) => None,
        }
    }

    /// Makes a name's endpoints match `addresses`; `true` when they changed.
    pub(crate) fn apply(&mut self, addresses: &BTreeSet<SocketAddr>) -> bool {
        match self {
            Source::Dns { url, endpoints, .. } => update(url, endpoints, addresses),
            Source::Fixed(_) => false,
        }
    }
}

/// The addresses `target` resolves to now; `None` (keep what there is) when it cannot be resolved.
pub(crate) async fn lookup(target: &str) -> Option<BTreeSet<SocketAddr>> {
    match tokio::time::timeout(Duration::from_secs(2), tokio::net::lookup_host(target)).await {
        Ok(Ok(addresses)) => Some(addresses.collect()),
        Ok(Err(error)) => {
            tracing::warn!(worker = %target, %error, "Cannot resolve the worker name; keeping its endpoints.");
            None
        }
        Err(_) => {
            tracing::warn!(worker = %target, "Resolving the worker name timed out; keeping its endpoints.");
            None
        }
    }
}

/// Makes `endpoints` match `addresses`, keeping the ones that stay.
fn update(
    url: &str,
    endpoints: &mut Vec<(SocketAddr, Arc<WorkerEndpoint>)>,
    addresses: &BTreeSet<SocketAddr>,
) -> bool {
    let current: BTreeSet<SocketAddr> = endpoints.iter().map(|(address, _)| *address).collect();
    if &current == addresses {
        return false;
    }
    endpoints.retain(|(address, _)| addresses.contains(address));
    for address in addresses.difference(&current) {
        match GrpcHost::new(&format!("http://{address}")) {
            Ok(host) => endpoints.push((
                *address,
                Arc::new(WorkerEndpoint::new(
                    format!("{url} ({address})"),
                    Arc::new(host),
                )),
            )),
            Err(error) => tracing::warn!(worker = %url, %error, "Skipping a resolved address."),
        }
    }
    endpoints.sort_by_key(|(address, _)| *address);
    tracing::info!(worker = %url, endpoints = endpoints.len(), "Worker addresses changed.");
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_their_addresses_and_keep_the_endpoints_that_stay() {
        let mut endpoints = Vec::new();
        let a: SocketAddr = "10.0.0.5:50051".parse().unwrap();
        let b: SocketAddr = "10.0.0.6:50051".parse().unwrap();
        let c: SocketAddr = "[fd00::7]:50051".parse().unwrap();
        let url = "http://ck-workers.mcp.svc:50051";
        assert!(update(url, &mut endpoints, &BTreeSet::from([a, b])));
        assert_eq!(endpoints.len(), 2);
        let kept = Arc::clone(&endpoints[1].1);
        assert!(
            !update(url, &mut endpoints, &BTreeSet::from([a, b])),
            "no change"
        );
        assert!(update(url, &mut endpoints, &BTreeSet::from([b, c])));
        let addresses: Vec<SocketAddr> = endpoints.iter().map(|(address, _)| *address).collect();
        assert_eq!(addresses, [b, c]);
        assert!(
            Arc::ptr_eq(&endpoints[0].1, &kept),
            "b keeps its endpoint (connection, health)"
        );
        assert_eq!(
            endpoints[1].1.name,
            "http://ck-workers.mcp.svc:50051 ([fd00::7]:50051)"
        );
    }

    #[test]
    fn ip_urls_and_sockets_are_fixed_names_are_resolved() {
        assert!(matches!(
            Source::from_url("http://127.0.0.1:50051").unwrap(),
            Source::Fixed(_)
        ));
        assert!(matches!(
            Source::from_url("http://[::1]:50051").unwrap(),
            Source::Fixed(_)
        ));
        assert!(matches!(
            Source::from_url("unix:/tmp/worker.sock").unwrap(),
            Source::Fixed(_)
        ));
        assert!(matches!(
            Source::from_url("http://ck-workers.mcp.svc:50051").unwrap(),
            Source::Dns { .. }
        ));
        assert!(Source::from_url("https://x:1").is_err());
    }

    #[tokio::test]
    async fn localhost_resolves_to_its_addresses() {
        let mut source = Source::from_url("http://localhost:50051").unwrap();
        let addresses = lookup(source.target().unwrap()).await.unwrap();
        assert!(source.apply(&addresses));
        let endpoints = source.endpoints();
        assert!(!endpoints.is_empty());
        assert!(
            endpoints
                .iter()
                .all(|endpoint| endpoint.name.starts_with("http://localhost:50051 ("))
        );
        assert!(!source.apply(&addresses), "the same addresses again");
    }
}
