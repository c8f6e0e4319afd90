//! Where each service is: one base URL per service.

use octomesh_platform_common::ServiceKind;

/// The base URL of every service (no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUrls {
    pub identity: String,
    pub asset_repository: String,
    pub bot: String,
    pub communication: String,
    pub reporting: String,
    pub discovery: String,
}

impl ServiceUrls {
    /// Every service on `host` at OctoMesh's local development ports.
    pub fn local_defaults(host: &str) -> ServiceUrls {
        let url = |kind: ServiceKind| format!("http://{host}:{}", kind.default_port());
        ServiceUrls {
            identity: url(ServiceKind::Identity),
            asset_repository: url(ServiceKind::AssetRepository),
            bot: url(ServiceKind::Bot),
            communication: url(ServiceKind::Communication),
            reporting: url(ServiceKind::Reporting),
            discovery: url(ServiceKind::Discovery),
        }
    }

    /// The base URL of `kind`.
    pub fn of(&self, kind: ServiceKind) -> &str {
        match kind {
            ServiceKind::Identity => &self.identity,
            ServiceKind::AssetRepository => &self.asset_repository,
            ServiceKind::Bot => &self.bot,
            ServiceKind::Communication => &self.communication,
            ServiceKind::Reporting => &self.reporting,
            ServiceKind::Discovery => &self.discovery,
        }
    }

    /// Sets the base URL of `kind` (a trailing `/` is dropped).
    pub fn set(&mut self, kind: ServiceKind, url: &str) {
        let url = url.trim_end_matches('/').to_owned();
        match kind {
            ServiceKind::Identity => self.identity = url,
            ServiceKind::AssetRepository => self.asset_repository = url,
            ServiceKind::Bot => self.bot = url,
            ServiceKind::Communication => self.communication = url,
            ServiceKind::Reporting => self.reporting = url,
            ServiceKind::Discovery => self.discovery = url,
        }
    }
}
