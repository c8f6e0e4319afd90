//! Durable jobs: what each kind takes and does ([`kinds`]), the record clients read
//! ([`record`]), kept on disk ([`store`]), run in order a few at a time ([`runner`],
//! [`execute`]), and the routes ([`routes`]).

pub(crate) mod execute;
pub(crate) mod identity_data;
pub(crate) mod kinds;
pub(crate) mod record;
pub(crate) mod routes;
pub(crate) mod runner;
pub(crate) mod store;
