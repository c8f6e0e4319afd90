//! The tenant registry: which tenant is bound to which database (`tenants/{database}.sqlite`)
//! under which parent. Detaching removes a binding and keeps the database; attaching binds an
//! unbound database again. Kept as `tenants/registry.json`, replaced atomically on every change
//! (written beside, synced, renamed); a data directory from before the registry is read from
//! its database files (each tenant bound to the database of its own name, under the system
//! tenant).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SYSTEM_TENANT;
use super::StoreError;

/// One binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantEntry {
    pub tenant_id: String,
    pub database: String,
    /// The tenant it was created or attached under (`None` for the system tenant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Registry {
    tenants: Vec<TenantEntry>,
    #[serde(skip)]
    path: PathBuf,
}

impl Registry {
    /// Reads `dir/registry.json`, or builds it from the database files in `dir`.
    pub(super) fn load(dir: &Path) -> Result<Registry, StoreError> {
        let path = dir.join("registry.json");
        match std::fs::read(&path) {
            Ok(bytes) => {
                let mut registry: Registry = serde_json::from_slice(&bytes).map_err(|error| {
                    StoreError::Io(format!("{} does not parse: {error}", path.display()))
                })?;
                registry.path = path;
                Ok(registry)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut registry = Registry {
                    tenants: Vec::new(),
                    path,
                };
                let entries = std::fs::read_dir(dir)
                    .map_err(|error| StoreError::Io(format!("cannot list tenants: {error}")))?;
                let mut databases: Vec<String> = entries
                    .flatten()
                    .filter_map(|entry| {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        let stem = name.strip_suffix(".sqlite")?;
                        (!stem.ends_with(".series")).then(|| stem.to_owned())
                    })
                    .collect();
                databases.sort();
                for database in databases {
                    let parent = (database != SYSTEM_TENANT).then(|| SYSTEM_TENANT.to_owned());
                    registry.tenants.push(TenantEntry {
                        tenant_id: database.clone(),
                        database,
                        parent,
                    });
                }
                registry.save()?;
                Ok(registry)
            }
            Err(error) => Err(StoreError::Io(format!(
                "cannot read {}: {error}",
                path.display()
            ))),
        }
    }

    fn save(&self) -> Result<(), StoreError> {
        let temporary = self.path.with_extension("json.new");
        let body = serde_json::to_vec_pretty(self).expect("the registry serialises");
        let write = || -> std::io::Result<()> {
            use std::io::Write as _;
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(&body)?;
            file.sync_all()?;
            std::fs::rename(&temporary, &self.path)
        };
        write().map_err(|error| {
            StoreError::Io(format!("cannot write {}: {error}", self.path.display()))
        })
    }

    pub(super) fn get(&self, tenant_id: &str) -> Option<&TenantEntry> {
        self.tenants
            .iter()
            .find(|entry| entry.tenant_id == tenant_id)
    }

    pub(super) fn bound(&self, database: &str) -> bool {
        self.tenants.iter().any(|entry| entry.database == database)
    }

    pub(super) fn all(&self) -> &[TenantEntry] {
        &self.tenants
    }

    /// Adds a binding and saves; nothing changes if saving fails.
    pub(super) fn insert(&mut self, entry: TenantEntry) -> Result<(), StoreError> {
        let before = self.tenants.clone();
        self.tenants.push(entry);
        self.tenants
            .sort_by(|left, right| left.tenant_id.cmp(&right.tenant_id));
        if let Err(error) = self.save() {
            self.tenants = before;
            return Err(error);
        }
        Ok(())
    }

    /// Binds `entry.tenant_id` as `entry` says, in place of its binding if it has one, and saves;
    /// nothing changes if saving fails.
    pub(super) fn bind(&mut self, entry: TenantEntry) -> Result<(), StoreError> {
        let before = self.tenants.clone();
        self.tenants
            .retain(|bound| bound.tenant_id != entry.tenant_id);
        self.tenants.push(entry);
        self.tenants
            .sort_by(|left, right| left.tenant_id.cmp(&right.tenant_id));
        if let Err(error) = self.save() {
            self.tenants = before;
            return Err(error);
        }
        Ok(())
    }

    /// Removes the binding of `tenant_id` and saves; nothing changes if saving fails.
    pub(super) fn remove(&mut self, tenant_id: &str) -> Result<Option<TenantEntry>, StoreError> {
        let Some(index) = self
            .tenants
            .iter()
            .position(|entry| entry.tenant_id == tenant_id)
        else {
            return Ok(None);
        };
        let removed = self.tenants.remove(index);
        if let Err(error) = self.save() {
            self.tenants.insert(index, removed);
            return Err(error);
        }
        Ok(Some(removed))
    }
}
