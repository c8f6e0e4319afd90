//! Persistent tenants: one SQLite database per tenant under the data directory, holding the
//! tenant's CK libraries (as their files, re-validated on open) and its runtime entities.
//!
//! Every change is one transaction: a refused import or entity write leaves nothing behind.

mod aggregate;
mod associations;
mod backup;
mod batch;
mod clock;
mod entities;
mod error;
mod graph;
mod import;
mod lifecycle;
mod persisted;
mod query;
mod registry;
mod tenant;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use aggregate::{AggregateRow, EntityAggregate, MAX_AGGREGATED_ENTITIES, MAX_GROUPS};
pub use associations::{AssociationChange, AssociationEnd};
pub use backup::{
    BackupError, DumpFile, Manifest, ManifestArchive, ManifestCounts, ManifestEntry, RestoreReport,
    RestoreRequest, Transient,
};
pub use batch::EntityChange;
pub use clock::{format_rfc3339_ms, parse_rfc3339_ms};
pub use entities::{DeleteMode, Direction, EntityInput, StoredEntity};
pub use error::StoreError;
pub use graph::MAX_GRAPH_ENTITIES;
pub use import::{ImportReport, ImportStrategy};
pub use lifecycle::{DatabaseName, SystemModelUpdate};
pub use persisted::PERSISTENT_QUERY_TYPE;
pub use query::{
    EntityPage, EntityQuery, FieldFilter, FilterGroup, FilterOperator, Logic, MAX_LIMIT, Related,
    SortColumn,
};
pub use registry::TenantEntry;
pub use tenant::Tenant;

use crate::ck::load::LibraryFiles;

pub use octomesh_platform_common::tenant::SYSTEM_TENANT;

/// The tenants of one data directory.
pub struct Platform {
    data_dir: PathBuf,
    /// Libraries every new tenant gets (System and friends), in dependency order.
    builtin: Vec<LibraryFiles>,
    open: Mutex<HashMap<String, Arc<Tenant>>>,
    /// Each tenant's stream-data store (a database of its own beside the tenant's).
    series: Mutex<HashMap<String, Arc<crate::series::SeriesStore>>>,
    /// Which tenant is bound to which database (`tenants/registry.json`).
    registry: Mutex<registry::Registry>,
    /// Wakes the rollup orchestrator (new jobs, activations).
    rollup_wake: Arc<tokio::sync::Notify>,
    /// The asset repository's part of the data directory, locked while the platform is open.
    _dir: octomesh_platform_common::data_dir::ServiceDir,
}

impl Platform {
    /// Opens (creating if needed) the data directory and the system tenant.
    pub fn open(data_dir: &Path, builtin: Vec<LibraryFiles>) -> Result<Platform, StoreError> {
        // One process per data directory: two would keep diverging catalogs in memory.
        let dir = octomesh_platform_common::data_dir::ServiceDir::open(
            data_dir,
            crate::SERVICE.name(),
            "tenants",
        )
        .map_err(StoreError::Io)?;
        let registry = registry::Registry::load(&data_dir.join("tenants"))?;
        let platform = Platform {
            data_dir: data_dir.to_path_buf(),
            builtin,
            open: Mutex::new(HashMap::new()),
            series: Mutex::new(HashMap::new()),
            registry: Mutex::new(registry),
            rollup_wake: Arc::new(tokio::sync::Notify::new()),
            _dir: dir,
        };
        if platform.entry(SYSTEM_TENANT).is_none() {
            platform.create_child(None, SYSTEM_TENANT, None)?;
        }
        Ok(platform)
    }

    /// The database file of `database`.
    fn database_path(&self, database: &str) -> PathBuf {
        self.data_dir
            .join("tenants")
            .join(format!("{database}.sqlite"))
    }

    /// The stream-data database file of `database`.
    fn series_path(&self, database: &str) -> PathBuf {
        self.data_dir
            .join("tenants")
            .join(format!("{database}.series.sqlite"))
    }

    /// The registry's binding of `tenant_id`.
    pub fn entry(&self, tenant_id: &str) -> Option<TenantEntry> {
        self.registry().get(tenant_id).cloned()
    }

    /// Creates a tenant under the system tenant, with the built-in libraries installed.
    pub fn create_tenant(&self, tenant_id: &str) -> Result<Arc<Tenant>, StoreError> {
        self.create_child(Some(SYSTEM_TENANT), tenant_id, None)
    }

    /// An existing tenant (opened on first use).
    pub fn tenant(&self, tenant_id: &str) -> Result<Arc<Tenant>, StoreError> {
        validate_tenant_id(tenant_id)?;
        if let Some(tenant) = self.lock().get(tenant_id) {
            return Ok(Arc::clone(tenant));
        }
        let entry = self
            .entry(tenant_id)
            .ok_or_else(|| StoreError::TenantNotFound(tenant_id.to_owned()))?;
        let tenant = Arc::new(Tenant::open(
            tenant_id,
            &self.database_path(&entry.database),
        )?);
        let mut open = self.lock();
        let tenant = open.entry(tenant_id.to_owned()).or_insert(tenant);
        Ok(Arc::clone(tenant))
    }

    /// Deletes a tenant and its database. The system tenant cannot be deleted.
    pub fn delete_tenant(&self, tenant_id: &str) -> Result<(), StoreError> {
        validate_tenant_id(tenant_id)?;
        if tenant_id == SYSTEM_TENANT {
            return Err(StoreError::Invalid(vec![format!(
                "the system tenant `{SYSTEM_TENANT}` cannot be deleted"
            )]));
        }
        let entry = self
            .registry()
            .remove(tenant_id)?
            .ok_or_else(|| StoreError::TenantNotFound(tenant_id.to_owned()))?;
        self.forget(tenant_id);
        self.remove_database(&entry.database)
    }

    /// Drops the open handles of `tenant_id` (they are opened again on next use).
    fn forget(&self, tenant_id: &str) {
        self.lock().remove(tenant_id);
        self.series
            .lock()
            .expect("the series table is never poisoned")
            .remove(tenant_id);
    }

    /// Deletes the files of `database`.
    fn remove_database(&self, database: &str) -> Result<(), StoreError> {
        let (path, series_path) = (self.database_path(database), self.series_path(database));
        for (base, suffix) in ["", "-wal", "-shm"]
            .into_iter()
            .flat_map(|suffix| [(&path, suffix), (&series_path, suffix)])
        {
            let file = PathBuf::from(format!("{}{suffix}", base.display()));
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(StoreError::Io(format!(
                        "cannot delete {}: {error}",
                        file.display()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Every tenant id, sorted.
    pub fn tenant_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .registry()
            .all()
            .iter()
            .map(|entry| entry.tenant_id.clone())
            .collect())
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, registry::Registry> {
        self.registry
            .lock()
            .expect("the tenant registry is never poisoned")
    }

    /// The stream-data store of an existing tenant (opened, and its log replayed, on first use).
    pub fn series(&self, tenant_id: &str) -> Result<Arc<crate::series::SeriesStore>, StoreError> {
        self.tenant(tenant_id)?;
        let mut stores = self
            .series
            .lock()
            .expect("the series table is never poisoned");
        if let Some(store) = stores.get(tenant_id) {
            return Ok(Arc::clone(store));
        }
        let database = self
            .entry(tenant_id)
            .ok_or_else(|| StoreError::TenantNotFound(tenant_id.to_owned()))?
            .database;
        let db = rusqlite::Connection::open(self.series_path(&database))?;
        db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
        let store = Arc::new(crate::series::SeriesStore::open(db)?);
        stores.insert(tenant_id.to_owned(), Arc::clone(&store));
        Ok(store)
    }

    /// Asks the rollup orchestrator for a pass now.
    pub fn wake_rollups(&self) {
        self.rollup_wake.notify_one();
    }

    pub(crate) fn rollup_wake(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.rollup_wake)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Tenant>>> {
        self.open
            .lock()
            .expect("the tenant table is never poisoned")
    }
}

/// Tenant ids: the platform's one rule.
fn validate_tenant_id(tenant_id: &str) -> Result<(), StoreError> {
    if octomesh_platform_common::tenant::is_valid_tenant_id(tenant_id) {
        Ok(())
    } else {
        Err(StoreError::InvalidTenantId(tenant_id.to_owned()))
    }
}

#[cfg(test)]
mod tests;
