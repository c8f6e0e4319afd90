//! [`Backends`]: where each OctoMesh service is, as a worker was told (a URL per service, or
//! what the platform's `_configuration` named).

use crate::discovery::PlatformConfiguration;

/// Every backend's base URL that is known (no trailing `/`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backends {
    pub identity: Option<String>,
    pub asset_repository: Option<String>,
    pub bot: Option<String>,
    pub communication: Option<String>,
    pub reporting: Option<String>,
}

impl Backends {
    /// Fills the URLs not known yet from the platform's configuration.
    pub fn fill_from(&mut self, configuration: PlatformConfiguration) {
        for (slot, found) in [
            (&mut self.identity, configuration.issuer),
            (&mut self.asset_repository, configuration.asset_services),
            (&mut self.bot, configuration.bot_services),
            (
                &mut self.communication,
                configuration.communication_services,
            ),
            (&mut self.reporting, configuration.reporting_services),
        ] {
            if slot.is_none() {
                *slot = found;
            }
        }
    }
}
