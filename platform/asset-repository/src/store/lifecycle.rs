//! The child-tenant lifecycle (OctoMesh's `{tenantId}/v1/tenants` semantics): create a tenant
//! bound to a new database, attach an existing unbound database as a tenant, detach (the binding
//! goes, the database stays), clean (the database is made anew with only the built-in models),
//! clear the cached handles, and bring the built-in System models up to the shipped versions.
//! Every change is checked first and leaves nothing half-done.

use std::sync::Arc;

use serde::Serialize;

use super::registry::TenantEntry;
use super::{Platform, SYSTEM_TENANT, StoreError, Tenant, validate_tenant_id};

/// Names no tenant database may take.
pub(super) const RESERVED_DATABASES: [&str; 3] = ["admin", "local", "config"];

/// A database name: trimmed, lower case, at most 63 bytes, none of `/ \ . " $ * < > : | ?`,
/// spaces or control characters (MongoDB's rules, which upstream applies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseName(String);

impl DatabaseName {
    pub fn parse(name: &str) -> Result<DatabaseName, StoreError> {
        let name = name.trim().to_lowercase();
        let valid = !name.is_empty()
            && name.len() <= 63
            && !name
                .chars()
                .any(|char| char.is_control() || "/\\. \"$*<>:|?".contains(char));
        if !valid {
            return Err(StoreError::Invalid(vec![format!(
                "`{name}` is not a database name: 1-63 bytes without spaces or any of / \\ . \" $ * < > : | ?"
            )]));
        }
        Ok(DatabaseName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A built-in library brought up to the shipped version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemModelUpdate {
    pub name: String,
    /// The version installed before (`None`: it was missing).
    pub from: Option<String>,
    pub to: String,
}

impl Platform {
    /// Creates `tenant_id` under `parent` (`None`: the system tenant itself) on a new database
    /// (`database`, default the tenant id), with the built-in libraries installed.
    pub fn create_child(
        &self,
        parent: Option<&str>,
        tenant_id: &str,
        database: Option<&str>,
    ) -> Result<Arc<Tenant>, StoreError> {
        validate_tenant_id(tenant_id)?;
        if let Some(parent) = parent {
            self.tenant(parent)?;
        }
        let database = DatabaseName::parse(database.unwrap_or(tenant_id))?;
        if self.entry(tenant_id).is_some() {
            return Err(StoreError::TenantExists(tenant_id.to_owned()));
        }
        let reserved = parent.is_some()
            && (RESERVED_DATABASES.contains(&database.as_str())
                || database.as_str() == SYSTEM_TENANT);
        if reserved
            || self.registry().bound(database.as_str())
            || self.database_path(database.as_str()).exists()
        {
            return Err(StoreError::DatabaseUnavailable(database.0));
        }
        let created = Tenant::create(
            tenant_id,
            &self.database_path(database.as_str()),
            &self.builtin,
        )
        .map(Arc::new)
        .and_then(|tenant| {
            self.registry().insert(TenantEntry {
                tenant_id: tenant_id.to_owned(),
                database: database.0.clone(),
                parent: parent.map(str::to_owned),
            })?;
            Ok(tenant)
        });
        match created {
            Ok(tenant) => {
                self.lock()
                    .insert(tenant_id.to_owned(), Arc::clone(&tenant));
                Ok(tenant)
            }
            Err(error) => {
                let _ = self.remove_database(database.as_str());
                Err(error)
            }
        }
    }

    /// Binds the existing, unbound `database` as `tenant_id` under `parent`.
    pub fn attach(&self, parent: &str, tenant_id: &str, database: &str) -> Result<(), StoreError> {
        validate_tenant_id(tenant_id)?;
        self.tenant(parent)?;
        let database = DatabaseName::parse(database)?;
        if self.entry(tenant_id).is_some() {
            return Err(StoreError::TenantExists(tenant_id.to_owned()));
        }
        if self.registry().bound(database.as_str())
            || !self.database_path(database.as_str()).exists()
        {
            return Err(StoreError::DatabaseUnavailable(database.0));
        }
        // It must open as a tenant database before it is bound.
        let tenant = Arc::new(Tenant::open(
            tenant_id,
            &self.database_path(database.as_str()),
        )?);
        self.registry().insert(TenantEntry {
            tenant_id: tenant_id.to_owned(),
            database: database.0,
            parent: Some(parent.to_owned()),
        })?;
        self.lock().insert(tenant_id.to_owned(), tenant);
        Ok(())
    }

    /// Unbinds `tenant_id`; its database stays, to be attached again.
    pub fn detach(&self, tenant_id: &str) -> Result<TenantEntry, StoreError> {
        validate_tenant_id(tenant_id)?;
        refuse_system(tenant_id, "detached")?;
        let entry = self
            .registry()
            .remove(tenant_id)?
            .ok_or_else(|| StoreError::TenantNotFound(tenant_id.to_owned()))?;
        self.forget(tenant_id);
        Ok(entry)
    }

    /// Makes `tenant_id`'s database anew: every entity, stream-data row and installed model is
    /// gone, the built-in libraries are installed again.
    pub fn clean(&self, tenant_id: &str) -> Result<(), StoreError> {
        validate_tenant_id(tenant_id)?;
        refuse_system(tenant_id, "cleaned")?;
        let entry = self
            .entry(tenant_id)
            .ok_or_else(|| StoreError::TenantNotFound(tenant_id.to_owned()))?;
        self.delete_tenant(tenant_id)?;
        self.create_child(entry.parent.as_deref(), tenant_id, Some(&entry.database))?;
        Ok(())
    }

    /// Drops the cached handles of `tenant_id`: its database and catalog are read again on next
    /// use.
    pub fn clear_cache(&self, tenant_id: &str) -> Result<(), StoreError> {
        validate_tenant_id(tenant_id)?;
        self.forget(tenant_id);
        Ok(())
    }

    /// Installs the shipped version of each built-in library whose installed version differs.
    pub fn update_system_model(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<SystemModelUpdate>, StoreError> {
        let tenant = self.tenant(tenant_id)?;
        let mut updates = Vec::new();
        for library in &self.builtin {
            let shipped = crate::ck::load::load(library)?.id;
            let installed = tenant.installed_model(&shipped.name)?;
            if installed.as_deref() != Some(shipped.to_string().as_str()) {
                tenant.import_ck(library)?;
                updates.push(SystemModelUpdate {
                    name: shipped.name.clone(),
                    from: installed,
                    to: shipped.to_string(),
                });
            }
        }
        Ok(updates)
    }

    /// The tenants under `parent`; under the system tenant, every tenant.
    pub fn children(&self, parent: &str) -> Result<Vec<TenantEntry>, StoreError> {
        self.tenant(parent)?;
        Ok(self
            .registry()
            .all()
            .iter()
            .filter(|entry| parent == SYSTEM_TENANT || entry.parent.as_deref() == Some(parent))
            .cloned()
            .collect())
    }
}

fn refuse_system(tenant_id: &str, what: &str) -> Result<(), StoreError> {
    if tenant_id == SYSTEM_TENANT {
        return Err(StoreError::Invalid(vec![format!(
            "the system tenant `{SYSTEM_TENANT}` cannot be {what}"
        )]));
    }
    Ok(())
}
