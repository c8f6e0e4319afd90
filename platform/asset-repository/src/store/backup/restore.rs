//! Restoring a tenant backup: everything is checked first (the target names, the archive, the
//! snapshots, the construction kit they hold, which is opened and validated under a scratch
//! name), and only then is anything changed: the snapshots are moved into place and bound in the
//! registry in one save. Over an existing tenant (`replace`), its old files are moved aside, not
//! deleted, until the new binding is saved; a failure in between puts them back.
//!
//! The tenant id is not stored in either database, so a backup restores as any tenant.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;

use super::contents::{Contents, archive_types};
use super::verify::verify;
use super::{BackupError, Transient};
use crate::store::lifecycle::RESERVED_DATABASES;
use crate::store::registry::{Registry, TenantEntry};
use crate::store::{DatabaseName, Platform, SYSTEM_TENANT, StoreError, Tenant, validate_tenant_id};

/// What to restore, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreRequest {
    /// The tenant to restore as (need not be the backup's).
    pub tenant_id: String,
    /// The database to restore into (checked with [`DatabaseName`]'s rules).
    pub database_name: String,
    /// When given, the backup must be of this database.
    pub old_database_name: Option<String>,
    /// Restore the stream data too, when the backup has it.
    pub restore_archive_data: bool,
    /// Restore over an existing tenant (its data is replaced).
    pub replace: bool,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    pub tenant_id: String,
    pub database_name: String,
    pub source_tenant_id: String,
    pub entities: u64,
    pub associations: u64,
    pub ck_models: Vec<String>,
    pub restored_archive_data: bool,
    /// Archive entities restored (with or without their points).
    pub archives: u64,
    /// What was not restored, or not cleaned up.
    pub warnings: Vec<String>,
}

/// The checked target of a restore.
struct Target {
    tenant_id: String,
    database: DatabaseName,
    /// The tenant's binding now, when it exists (and `replace` was given).
    existing: Option<TenantEntry>,
}

impl Platform {
    /// Checks the names of `request` against the registry, without the archive: what can be
    /// refused before an upload is read.
    pub fn check_restore_target(&self, request: &RestoreRequest) -> Result<(), BackupError> {
        self.restore_target(&self.registry(), request).map(|_| ())
    }

    /// The checked target of `request`, against `registry` (held by the caller).
    fn restore_target(
        &self,
        registry: &Registry,
        request: &RestoreRequest,
    ) -> Result<Target, BackupError> {
        let tenant_id = request.tenant_id.trim().to_lowercase();
        validate_tenant_id(&tenant_id)?;
        if tenant_id == SYSTEM_TENANT {
            return Err(BackupError::Refused(format!(
                "the system tenant `{SYSTEM_TENANT}` cannot be restored: restore the backup as a child tenant"
            )));
        }
        let database =
            DatabaseName::parse(&request.database_name).map_err(|error| match error {
                StoreError::Invalid(problems) => BackupError::Refused(problems.join("; ")),
                other => other.into(),
            })?;
        if database.as_str() == SYSTEM_TENANT || RESERVED_DATABASES.contains(&database.as_str()) {
            return Err(BackupError::Refused(format!(
                "database name `{}` is reserved: choose another databaseName",
                database.as_str()
            )));
        }
        let existing = registry.get(&tenant_id).cloned();
        if existing.is_some() && !request.replace {
            return Err(BackupError::Conflict(format!(
                "tenant {tenant_id} exists: restore over it only with replace=true (the tool's confirm)"
            )));
        }
        let owner = registry
            .all()
            .iter()
            .find(|entry| entry.database == database.as_str());
        match owner {
            Some(owner) if owner.tenant_id != tenant_id => {
                return Err(BackupError::Conflict(format!(
                    "database `{}` is bound to another tenant: choose another databaseName",
                    database.as_str()
                )));
            }
            Some(_) => {}
            None if self.database_path(database.as_str()).exists()
                || self.series_path(database.as_str()).exists() =>
            {
                return Err(BackupError::Conflict(format!(
                    "database `{}` exists without a tenant (a detached one): attach it, or choose another databaseName",
                    database.as_str()
                )));
            }
            None => {}
        }
        Ok(Target {
            tenant_id,
            database,
            existing,
        })
    }

    /// Restores the backup in `file` as `request` says; on any refusal or failure nothing has
    /// changed.
    pub fn restore(
        &self,
        file: &Path,
        request: &RestoreRequest,
    ) -> Result<RestoreReport, BackupError> {
        let target = self.restore_target(&self.registry(), request)?;
        let scratch = Transient::dir(&self.transfer_dir()?, "restore")?;
        let verified = verify(file, scratch.path(), request.restore_archive_data)?;
        let manifest = &verified.manifest;
        if let Some(old) = &request.old_database_name {
            let old = DatabaseName::parse(old).map_err(|_| {
                BackupError::Refused(format!("`{old}` is not a database name (oldDatabaseName)"))
            })?;
            if old.as_str() != manifest.source_database_name {
                return Err(BackupError::Refused(format!(
                    "the backup is of database `{}`, not `{}`: pass oldDatabaseName={} or leave it out",
                    manifest.source_database_name,
                    old.as_str(),
                    manifest.source_database_name
                )));
            }
        }
        // Open what would be the tenant under the scratch name: its construction kit is rebuilt
        // and validated from the stored libraries, as on every open.
        let contents = {
            let staged = Tenant::open(&target.tenant_id, &verified.repository).map_err(
                |error| match error {
                    StoreError::Ck(errors) => BackupError::Refused(format!(
                        "the backup's construction kit does not load here: {errors}"
                    )),
                    other => BackupError::Refused(format!(
                        "the backup's tenant database does not open: {other}"
                    )),
                },
            )?;
            let types = archive_types(&staged.catalog());
            Contents::read(&staged.db(), &types)?
        };
        if let Some(streamdata) = &verified.streamdata {
            let connection = Connection::open(streamdata)?;
            crate::series::SeriesStore::open(connection).map_err(|error| {
                BackupError::Refused(format!(
                    "the backup's stream data does not open: {error}; dump the tenant again"
                ))
            })?;
        }
        let mut warnings = Vec::new();
        let archives = contents.archives.len();
        match (&verified.streamdata, request.restore_archive_data) {
            (Some(_), true) => {}
            (None, true) => warnings.push(format!(
                "the backup holds no stream data (it was dumped without includeArchiveData=true): {archives} archive(s) were restored without their points"
            )),
            (None, false) if manifest.includes_archive_data => warnings.push(format!(
                "stream data was not restored (restoreArchiveData=false): {archives} archive(s) keep their definitions but hold no points; restore with restoreArchiveData=true to bring them back"
            )),
            (None, false) if archives > 0 => warnings.push(format!(
                "stream data was not restored (the backup holds none): {archives} archive(s) hold no points"
            )),
            (None, false) | (Some(_), false) => {}
        }
        let database = self.bind_restored(request, &verified, scratch.path(), &mut warnings)?;
        self.tenant(&database.tenant_id)?;
        self.wake_rollups();
        Ok(RestoreReport {
            tenant_id: database.tenant_id,
            database_name: database.database,
            source_tenant_id: manifest.source_tenant_id.clone(),
            entities: contents.entities,
            associations: contents.associations,
            ck_models: contents.ck_models,
            restored_archive_data: verified.streamdata.is_some(),
            archives: archives as u64,
            warnings,
        })
    }

    /// Moves the verified snapshots into place and binds them, holding the registry so no other
    /// lifecycle change comes between the check and the binding.
    fn bind_restored(
        &self,
        request: &RestoreRequest,
        verified: &super::verify::Verified,
        scratch: &Path,
        warnings: &mut Vec<String>,
    ) -> Result<TenantEntry, BackupError> {
        // Checked again, now under the registry's lock: a create or restore since the first
        // check that took the names is refused here.
        let mut registry = self.registry();
        let target = self.restore_target(&registry, request)?;
        let database = target.database.as_str().to_owned();
        let entry = TenantEntry {
            tenant_id: target.tenant_id.clone(),
            database: database.clone(),
            parent: match &target.existing {
                Some(existing) => existing.parent.clone(),
                None => Some(SYSTEM_TENANT.to_owned()),
            },
        };
        // The tenant's open handles are closed first (they are opened again on next use, from
        // whichever files are bound then).
        self.close_handles(&target.tenant_id)?;
        let mut moves = Moves::default();
        let placed = (|| -> Result<(), StoreError> {
            if target
                .existing
                .as_ref()
                .is_some_and(|existing| existing.database == database)
            {
                let aside = scratch.join("previous");
                std::fs::create_dir(&aside).map_err(|error| {
                    StoreError::Io(format!("cannot create {}: {error}", aside.display()))
                })?;
                for path in
                    database_files(&self.database_path(&database), &self.series_path(&database))
                {
                    if path.exists() {
                        let name = path.file_name().expect("a file name").to_owned();
                        moves.run(&path, &aside.join(name))?;
                    }
                }
            }
            moves.run(&verified.repository, &self.database_path(&database))?;
            let wal = sidecar(&verified.repository, "-wal");
            if wal.exists() {
                moves.run(&wal, &sidecar(&self.database_path(&database), "-wal"))?;
            }
            if let Some(streamdata) = &verified.streamdata {
                moves.run(streamdata, &self.series_path(&database))?;
            }
            registry.bind(entry.clone())
        })();
        if let Err(error) = placed {
            if let Err(undo) = moves.undo() {
                tracing::error!(%undo, tenant = %target.tenant_id, "A failed restore could not put the old files back.");
            }
            return Err(error.into());
        }
        drop(registry);
        if let Some(existing) = target.existing
            && existing.database != database
            && let Err(error) = self.remove_database(&existing.database)
        {
            warnings.push(format!(
                "the replaced database `{}` could not be deleted: {error}",
                existing.database
            ));
        }
        Ok(entry)
    }

    /// Closes the open handles of `tenant_id`: a handle still held elsewhere (a request in
    /// flight, the orchestrator) then fails instead of writing to files that are replaced.
    fn close_handles(&self, tenant_id: &str) -> Result<(), StoreError> {
        let tenant: Option<Arc<Tenant>> = self.lock().remove(tenant_id);
        let series = self
            .series
            .lock()
            .expect("the series table is never poisoned")
            .remove(tenant_id);
        if let Some(tenant) = tenant {
            *tenant.db() = Connection::open_in_memory()?;
        }
        if let Some(series) = series {
            series.retire()?;
        }
        Ok(())
    }
}

/// `path` with `suffix` appended (`-wal`, `-shm`).
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

/// The files of a database and its stream-data store, journals included.
fn database_files(database: &Path, series: &Path) -> Vec<PathBuf> {
    [database, series]
        .into_iter()
        .flat_map(|base| ["", "-wal", "-shm"].map(|suffix| sidecar(base, suffix)))
        .collect()
}

/// Renames done so far, to be undone in reverse.
#[derive(Default)]
struct Moves(Vec<(PathBuf, PathBuf)>);

impl Moves {
    fn run(&mut self, from: &Path, to: &Path) -> Result<(), StoreError> {
        std::fs::rename(from, to).map_err(|error| {
            StoreError::Io(format!(
                "cannot move {} to {}: {error}",
                from.display(),
                to.display()
            ))
        })?;
        self.0.push((from.to_owned(), to.to_owned()));
        Ok(())
    }

    fn undo(&mut self) -> Result<(), StoreError> {
        while let Some((from, to)) = self.0.pop() {
            std::fs::rename(&to, &from).map_err(|error| {
                StoreError::Io(format!(
                    "cannot move {} back to {}: {error}",
                    to.display(),
                    from.display()
                ))
            })?;
        }
        Ok(())
    }
}
