//! The file-transfer side channel's storage (DESIGN.md decision 8): binary payloads never go
//! through JSON-RPC. A tool prepares a transfer and returns a URL; the client `PUT`s the bytes
//! there, or `GET`s them, with plain HTTP; another tool consumes the transfer by its id.
//!
//! - [`capability`]: what a transfer URL carries — 128 random bits of transfer id, its kind, the
//!   tenant, the principal and an expiry, sealed (XChaCha20-Poly1305) with the session key, so a
//!   URL works for exactly one transfer, only until it expires, and cannot be made up;
//! - [`store`]: transfers in an object store (`object_store`: a local directory by default),
//!   streamed in bounded chunks both ways, an upload accepted once, expired transfers swept;
//! - [`location`]: where the store is — a local directory, or an S3-compatible bucket;
//! - [`range`]: the single and suffix byte ranges of a download.

pub mod capability;
pub mod location;
pub mod range;
pub mod store;
pub mod time;

pub use capability::{Capability, CapabilityError, Kind, TransferKey};
pub use location::StoreLocation;
pub use range::{ByteRange, RangeRequest};
pub use store::{Download, Prepared, TransferError, TransferMeta, TransferStore, Uploaded};

/// The path of a transfer's URL, below the gateway's public base: `/file-transfer/upload/{token}`
/// or `/file-transfer/download/{token}`.
pub fn url_path(kind: Kind, token: &str) -> String {
    match kind {
        Kind::Upload => format!("/file-transfer/upload/{token}"),
        Kind::Download => format!("/file-transfer/download/{token}"),
    }
}
