//! [`IdentityError`]: why the identity service could not open or change its accounts.

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The change was refused; nothing was written.
    #[error("the change was refused, nothing was written: {}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("storage failed: {0}")]
    Db(String),
    #[error("{0}")]
    Io(String),
}

impl From<rusqlite::Error> for IdentityError {
    fn from(error: rusqlite::Error) -> IdentityError {
        IdentityError::Db(error.to_string())
    }
}
