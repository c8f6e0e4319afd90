//! Stream data (time series) storage: per-series chunks of points with a durable batch log
//! (docs/design/002-stream-data-storage.md). Archives, queries and rollups build on it (issue 5).

pub mod archive_data;
pub mod archives;
pub mod calendar;
pub mod codec;
pub mod filter;
pub mod orchestrator;
pub mod query;
pub mod resolve;
pub mod rollup;
pub mod store;

pub use store::{ArchiveStats, Point, SeriesStore};

#[cfg(test)]
mod rollup_tests;
#[cfg(test)]
mod tests;
