//! Construction-kit (CK) models: the schema libraries runtime entities are typed by.
//!
//! - [`source`] — the upstream file formats (`ckModel.yaml` and element files), exactly as written.
//! - [`load`] — a library folder → one [`model::CkModel`], every problem reported with file and element.
//! - [`model`] — the typed, placeholder-free model.
//! - [`catalog`] — models installed together: dependency ranges pinned, references checked across
//!   models, type inheritance resolved.

pub mod catalog;
pub mod load;
pub mod model;
pub mod source;
pub mod upload;
pub mod version;

#[cfg(test)]
pub(crate) mod tests;
