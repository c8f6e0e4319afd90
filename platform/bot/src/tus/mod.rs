//! TUS 1.0.0 uploads: the files restore and archive import jobs consume.

pub(crate) mod auth;
pub(crate) mod headers;
pub(crate) mod metadata;
pub(crate) mod routes;
pub(crate) mod store;
