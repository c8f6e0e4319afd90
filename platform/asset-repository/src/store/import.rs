//! Importing a runtime-model file (`runtime-model.schema.json`) into a tenant: all or nothing,
//! entities first and associations after, so a file may reference entities in any order.

use rusqlite::params;
use serde_json::{Map, Value};

use super::clock::now_rfc3339;
use super::entities::insert_associations;
use super::error::StoreError;
use super::tenant::Tenant;
use crate::ck::version::Dependency;
use crate::rt::entity::{Strictness, validate};
use crate::rt::file::RuntimeModelFile;

/// What to do with entities that already exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStrategy {
    /// Refuse the whole import if any entity exists.
    InsertOnly,
    /// Replace the attributes of existing entities (their version goes up).
    Upsert,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub associations: usize,
}

impl Tenant {
    /// Imports a runtime-model file. Required attributes are not enforced (upstream samples omit
    /// them and the upstream importer takes them); everything else is validated first.
    pub fn import_runtime_model(
        &self,
        file: &RuntimeModelFile,
        strategy: ImportStrategy,
    ) -> Result<ImportReport, StoreError> {
        let catalog = self.catalog();
        let mut problems = Vec::new();
        for text in &file.dependencies {
            match Dependency::parse(text) {
                Some(dependency) => match catalog.model(&dependency.name) {
                    Some(installed) if dependency.range.contains(installed.model.id.version) => {}
                    Some(installed) => problems.push(format!("the file needs {text}, but {} is installed", installed.model.id)),
                    None => problems.push(format!("the file needs {text}, which is not installed; import that construction kit first")),
                },
                None => problems.push(format!("`{text}` is not a dependency such as Basic-[2.0,3.0)")),
            }
        }
        let mut entities = Vec::with_capacity(file.entities.len());
        for source in &file.entities {
            match source.draft().and_then(|draft| {
                validate(&catalog, draft, Strictness::Partial).map_err(|errors| errors.join("; "))
            }) {
                Ok(entity) => entities.push(entity),
                Err(error) => problems.push(format!("entity {}: {error}", source.rt_id)),
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let now = now_rfc3339();
        let mut report = ImportReport::default();
        let mut db = self.db();
        let transaction = db.transaction()?;
        for entity in &entities {
            let attributes: Map<String, Value> = entity
                .attributes
                .iter()
                .map(|(name, value)| (name.clone(), value.to_json()))
                .collect();
            let attributes = Value::Object(attributes).to_string();
            let exists = transaction
                .prepare_cached("SELECT 1 FROM entities WHERE rt_id = ?1")?
                .exists([entity.rt_id.as_str()])?;
            if exists {
                if strategy == ImportStrategy::InsertOnly {
                    return Err(StoreError::Invalid(vec![format!(
                        "entity {} already exists; import with Upsert to replace it",
                        entity.rt_id
                    )]));
                }
                transaction.execute(
                    "UPDATE entities SET ck_type = ?1, well_known_name = ?2, attributes = ?3, version = version + 1, changed = ?4, archived = 0 WHERE rt_id = ?5",
                    params![entity.ck_type.to_string(), entity.well_known_name, attributes, now, entity.rt_id.as_str()],
                )?;
                transaction.execute(
                    "DELETE FROM associations WHERE origin = ?1",
                    [entity.rt_id.as_str()],
                )?;
                report.updated += 1;
            } else {
                transaction
                    .prepare_cached(
                        "INSERT INTO entities (rt_id, ck_type, well_known_name, version, created, changed, archived, attributes)
                         VALUES (?1, ?2, ?3, 1, ?4, ?4, 0, ?5)",
                    )?
                    .execute(params![entity.rt_id.as_str(), entity.ck_type.to_string(), entity.well_known_name, now, attributes])?;
                report.created += 1;
            }
        }
        for entity in &entities {
            insert_associations(&transaction, &catalog, entity).map_err(|error| {
                StoreError::Invalid(vec![format!("entity {}: {error}", entity.rt_id)])
            })?;
            report.associations += entity.associations.len();
        }
        transaction.commit()?;
        Ok(report)
    }
}
