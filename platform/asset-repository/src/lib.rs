//! The embedded OctoMesh asset repository (OctoMesh's `octo-asset-repo-services`), one of the
//! platform's five services: construction-kit models ([`ck`]), runtime entities ([`rt`],
//! [`store`]), queries and GraphQL ([`graphql`]), stream data ([`series`]), fixup scripts
//! ([`fixup`]), tenants, and the REST
//! contract that serves them ([`http`]). It owns `tenants/` in the data directory; it checks the
//! identity service's tokens against that service's published keys and knows nothing else of it.

pub mod builtin;
pub mod ck;
pub mod demo;
pub mod fixup;
pub mod graphql;
pub mod http;
pub mod rt;
pub mod series;
pub mod store;

/// The service this crate is.
pub const SERVICE: octomesh_platform_common::ServiceKind =
    octomesh_platform_common::ServiceKind::AssetRepository;
