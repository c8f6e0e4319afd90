//! Who may call a service: the identity service's access tokens ([`claims`]), checked against
//! its published keys ([`verify`]), for the route's tenant with the scope the operation needs
//! ([`guard`]). Every service mounts the same guard with its own [`Need`] per route.

mod claims;
mod guard;
mod verify;

pub use claims::{API_AUDIENCE, AccessClaims};
pub use guard::{Access, Guard, Need, check, route_tenant};
pub use verify::{LocalCheck, RemoteKeys, TokenVerifier};
