//! [`StoreError`]: why a platform operation was refused.

use crate::ck::load::LoadErrors;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "`{0}` is not a tenant id: use 1-64 lower-case letters, digits, '_' or '-', starting with a letter"
    )]
    InvalidTenantId(String),
    #[error("tenant `{0}` does not exist")]
    TenantNotFound(String),
    #[error("tenant `{0}` already exists")]
    TenantExists(String),
    /// The database is bound to a tenant already, exists already (create) or does not (attach);
    /// which of these is not said (no enumeration of other tenants' databases).
    #[error("Database name '{0}' is not available.")]
    DatabaseUnavailable(String),
    /// The CK library was refused; nothing was installed.
    #[error("the construction kit was refused, nothing was installed:\n{0}")]
    Ck(#[from] LoadErrors),
    /// The entity was refused; nothing was written.
    #[error("the entity was refused, nothing was written: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// The query was refused (unknown type or path, operator that does not fit, bad paging).
    #[error("the query was refused: {}", .0.join("; "))]
    InvalidQuery(Vec<String>),
    #[error("entity `{0}` does not exist")]
    NotFound(String),
    #[error("entity `{rt_id}` is at version {current}, not {expected}: read it again and retry")]
    Conflict {
        rt_id: String,
        expected: u64,
        current: u64,
    },
    #[error("storage failed: {0}")]
    Db(String),
    #[error("{0}")]
    Io(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError::Db(error.to_string())
    }
}
