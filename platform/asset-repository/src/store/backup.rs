//! Tenant dump and restore, in the spirit of upstream's `.octobak` (which packs a mongodump):
//! a ZIP of consistent SQLite snapshots — the tenant's database as `repository.sqlite` and, when
//! asked, its stream-data store as `streamdata.sqlite` — with `manifest.json` written last
//! (format, version, source, counts, each entry's size and SHA-256). `dump.rs` writes one,
//! `verify.rs` reads one back and refuses anything that is not whole, `restore.rs` binds the
//! verified snapshot as a tenant: all or nothing, the old data removed only once the new is in
//! place.
//!
//! Dumps and uploads wait in `tenants/.transfer/` of the data directory, each under a name of its
//! own, and are deleted once served or restored.

mod contents;
mod dump;
mod manifest;
mod restore;
mod verify;

use std::path::{Path, PathBuf};

pub use dump::DumpFile;
#[cfg(test)]
pub(crate) use manifest::{
    FORMAT, FORMAT_VERSION, MANIFEST_ENTRY, REPOSITORY_ENTRY, STREAMDATA_ENTRY,
};
pub use manifest::{Manifest, ManifestArchive, ManifestCounts, ManifestEntry};
pub use restore::{RestoreReport, RestoreRequest};

use super::{Platform, StoreError};

/// Why a dump or restore was refused. A refusal changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The request or the archive cannot be restored (not a backup, truncated, damaged, a
    /// reserved name): the message says what is wrong and what to do.
    #[error("{0}")]
    Refused(String),
    /// The target is taken (the tenant exists without `replace`, the database is another
    /// tenant's).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for BackupError {
    fn from(error: rusqlite::Error) -> BackupError {
        BackupError::Store(error.into())
    }
}

impl Platform {
    /// Where dumps and uploads wait (`tenants/.transfer`), created on first use. Leftovers of an
    /// interrupted process older than a day are swept away.
    pub fn transfer_dir(&self) -> Result<PathBuf, StoreError> {
        let dir = self.data_dir.join("tenants").join(".transfer");
        std::fs::create_dir_all(&dir)
            .map_err(|error| StoreError::Io(format!("cannot create {}: {error}", dir.display())))?;
        sweep(&dir, std::time::Duration::from_secs(24 * 3600));
        Ok(dir)
    }
}

/// Deletes what in `dir` is older than `age`.
fn sweep(dir: &Path, age: std::time::Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .ok()
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|elapsed| elapsed > age);
        if stale {
            let path = entry.path();
            let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
        }
    }
}

/// A name no other transfer has: `{prefix}-{16 hex digits}`.
pub(crate) fn unique_name(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).expect("the system has a random source");
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{prefix}-{hex}")
}

/// A file or directory deleted (with everything in it) when this value goes.
#[derive(Debug)]
pub struct Transient(PathBuf);

impl Transient {
    /// A new, empty directory in `parent`.
    pub fn dir(parent: &Path, prefix: &str) -> Result<Transient, StoreError> {
        let path = parent.join(unique_name(prefix));
        std::fs::create_dir(&path).map_err(|error| {
            StoreError::Io(format!("cannot create {}: {error}", path.display()))
        })?;
        Ok(Transient(path))
    }

    /// A path in `parent` for a file not written yet.
    pub fn file(parent: &Path, prefix: &str, extension: &str) -> Transient {
        Transient(parent.join(format!("{}.{extension}", unique_name(prefix))))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Transient {
    fn drop(&mut self) {
        if self.0.is_dir() {
            let _ = std::fs::remove_dir_all(&self.0);
        } else {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// `path` as SQL text (`VACUUM INTO ?1`).
fn sql_path(path: &Path) -> Result<&str, StoreError> {
    path.to_str()
        .ok_or_else(|| StoreError::Io(format!("{} is not a UTF-8 path", path.display())))
}

#[cfg(test)]
mod tests;
