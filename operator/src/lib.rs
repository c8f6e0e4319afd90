//! The `McpDeployment` operator. [`build`] turns one environment into the Kubernetes objects it
//! needs — pure functions, no I/O, reviewed as snapshots; the reconcile loop that applies them
//! follows (issue 6).

pub mod build;

pub use build::{BuildError, Desired, desired};
