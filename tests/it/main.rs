//! End-to-end scenarios, one test binary (see `tests/src/lib.rs` for the harness).

mod edges;
mod peers;
mod replicas;
mod resume;
mod stateless;
mod workers;
