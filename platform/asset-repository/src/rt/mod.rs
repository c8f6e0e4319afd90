//! Runtime entities: values typed by their CK attributes, validated against the catalog.
//!
//! - [`value`] — [`value::AttributeValue`], converted from JSON per CK value type with errors that
//!   say what was expected.
//! - [`entity`] — entities and their validation (unknown attribute, wrong type, missing required
//!   attribute, abstract type, unknown association role or target type).
//! - [`file`] — the upstream runtime-model file format (`runtime-model.schema.json`).
//! - [`export`] — writing that format (YAML), the inverse of reading it.
//! - [`upload`] — a runtime model as uploaded: one file, or a zip holding one.

pub mod entity;
pub mod export;
pub mod file;
pub mod upload;
pub mod value;

#[cfg(test)]
mod tests;
