//! End-to-end scenarios, one test binary (see `tests/src/lib.rs` for the harness).

mod auth;
mod backup;
mod ck;
mod diagnostics;
mod edges;
mod file_transfer;
mod k8s;
mod metrics;
mod peers;
mod platform_rest;
mod replicas;
mod reporting;
mod resume;
mod rollups;
mod s3;
mod services;
mod stateless;
mod stream;
mod stream_edges;
mod supervision;
mod tenants;
mod traces;
mod workers;
