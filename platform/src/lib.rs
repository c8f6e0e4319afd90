//! The embedded OctoMesh backend that `octomesh-mcp up` runs, so every tool works on real data out of
//! the box. It implements the OctoMesh contracts with real semantics.
//!
//! Today: the construction kit ([`ck`]) — loading CK libraries in their upstream folder layout,
//! validating them with errors that name the file and the element, and resolving models against
//! their dependencies. The asset repository, identity and stream data follow (issues 3–5).

pub mod builtin;
pub mod ck;
pub mod demo;
pub mod graphql;
pub mod http;
pub mod identity;
pub mod rt;
pub mod series;
pub mod store;
