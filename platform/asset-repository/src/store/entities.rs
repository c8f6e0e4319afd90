//! Entity writes and reads: validated against the catalog, optimistic locking on `rtVersion`,
//! archive (soft) or erase (hard) deletes. Each write is one transaction.

use rusqlite::{OptionalExtension, Row, params};
use serde_json::{Map, Value};

use super::clock::{new_rt_id, now_rfc3339};
use super::error::StoreError;
use super::tenant::Tenant;
use crate::rt::entity::{EntityDraft, RtId, Strictness, validate};

/// What a client gives to create an entity.
#[derive(Debug, Clone)]
pub struct EntityInput {
    pub ck_type: String,
    /// Chosen by the client, or generated.
    pub rt_id: Option<String>,
    pub well_known_name: Option<String>,
    /// Attribute name (or id) → value.
    pub attributes: Vec<(String, Value)>,
    /// `(role, target rtId, target type)`.
    pub associations: Vec<(String, String, String)>,
}

/// An entity as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntity {
    pub rt_id: String,
    pub ck_type: String,
    pub well_known_name: Option<String>,
    pub version: u64,
    pub created: String,
    pub changed: String,
    pub archived: bool,
    pub attributes: Map<String, Value>,
}

/// How an entity is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteMode {
    /// Kept, but hidden from queries unless archived entities are asked for.
    Archive,
    /// Gone, with its associations.
    Erase,
}

const COLUMNS: &str =
    "rt_id, ck_type, well_known_name, version, created, changed, archived, attributes";

pub(super) fn stored(row: &Row<'_>) -> rusqlite::Result<StoredEntity> {
    let attributes: String = row.get(7)?;
    Ok(StoredEntity {
        rt_id: row.get(0)?,
        ck_type: row.get(1)?,
        well_known_name: row.get(2)?,
        version: row.get::<_, i64>(3)? as u64,
        created: row.get(4)?,
        changed: row.get(5)?,
        archived: row.get(6)?,
        attributes: serde_json::from_str(&attributes).unwrap_or_default(),
    })
}

impl Tenant {
    /// Creates an entity. Every required attribute must be given; nothing is written on failure.
    pub fn create_entity(&self, input: EntityInput) -> Result<StoredEntity, StoreError> {
        let rt_id = self.create_entities(vec![input])?.remove(0);
        self.get_entity(&rt_id)?
            .ok_or_else(|| StoreError::Db("the entity vanished after its write".into()))
    }

    /// Creates many entities in one transaction: all or none. An entity may associate with one
    /// created earlier in the same batch. Returns the rtIds in order.
    pub fn create_entities(&self, inputs: Vec<EntityInput>) -> Result<Vec<String>, StoreError> {
        let catalog = self.catalog();
        let mut problems = Vec::new();
        let mut entities = Vec::with_capacity(inputs.len());
        let several = inputs.len() > 1;
        for (entity_idx, input) in inputs.into_iter().enumerate() {
            let rt_id = match &input.rt_id {
                Some(text) => match RtId::parse(text) {
                    Ok(rt_id) => rt_id,
                    Err(error) => {
                        problems.push(error);
                        continue;
                    }
                },
                None => new_rt_id(),
            };
            let draft = EntityDraft {
                rt_id,
                ck_type: input.ck_type,
                well_known_name: input.well_known_name,
                attributes: input.attributes,
                associations: input.associations,
            };
            match validate(&catalog, draft, Strictness::Create) {
                Ok(entity) => entities.push(entity),
                Err(errors) if several => problems.extend(
                    errors
                        .into_iter()
                        .map(|error| format!("entity {entity_idx}: {error}")),
                ),
                Err(errors) => problems.extend(errors),
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let now = now_rfc3339();
        let mut db = self.db();
        let transaction = db.transaction()?;
        for entity in &entities {
            insert(&transaction, &catalog, entity, &now)?;
        }
        transaction.commit()?;
        Ok(entities
            .iter()
            .map(|entity| entity.rt_id.to_string())
            .collect())
    }

    /// One entity, archived or not.
    pub fn get_entity(&self, rt_id: &str) -> Result<Option<StoredEntity>, StoreError> {
        let rt_id = RtId::parse(rt_id).map_err(|error| StoreError::Invalid(vec![error]))?;
        let db = self.db();
        Ok(db
            .query_row(
                &format!("SELECT {COLUMNS} FROM entities WHERE rt_id = ?1"),
                [rt_id.as_str()],
                stored,
            )
            .optional()?)
    }

    /// Several entities by rtId, in the order asked (missing ones skipped), in one query.
    pub fn get_entities(&self, rt_ids: &[String]) -> Result<Vec<StoredEntity>, StoreError> {
        let db = self.db();
        let mut statement = db.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM entities WHERE rt_id IN (SELECT value FROM json_each(?1))"
        ))?;
        let ids = serde_json::to_string(rt_ids).unwrap_or_else(|_| "[]".into());
        let mut found: std::collections::HashMap<String, StoredEntity> = statement
            .query_map([ids], stored)?
            .map(|row| row.map(|entity| (entity.rt_id.clone(), entity)))
            .collect::<Result<_, _>>()?;
        Ok(rt_ids
            .iter()
            .filter_map(|rt_id| found.remove(rt_id))
            .collect())
    }

    /// Changes attributes (a `null` value removes one). With `expected_version`, refuses with the
    /// current version when the entity changed since it was read.
    pub fn update_entity(
        &self,
        rt_id: &str,
        expected_version: Option<u64>,
        changes: Vec<(String, Value)>,
    ) -> Result<StoredEntity, StoreError> {
        let current = self
            .get_entity(rt_id)?
            .ok_or_else(|| StoreError::NotFound(rt_id.to_owned()))?;
        check_version(&current, expected_version)?;
        let draft = EntityDraft {
            rt_id: RtId::parse(&current.rt_id).map_err(|error| StoreError::Invalid(vec![error]))?,
            ck_type: current.ck_type.clone(),
            well_known_name: current.well_known_name.clone(),
            attributes: changes.clone(),
            associations: Vec::new(),
        };
        let validated =
            validate(&self.catalog(), draft, Strictness::Partial).map_err(StoreError::Invalid)?;
        let mut attributes = current.attributes.clone();
        for (key, value) in &changes {
            if value.is_null() {
                let name = self.attribute_name(&current.ck_type, key);
                attributes.remove(&name);
            }
        }
        for (name, value) in validated.attributes {
            attributes.insert(name, value.to_json());
        }
        let mut db = self.db();
        let transaction = db.transaction()?;
        let updated = transaction.execute(
            "UPDATE entities SET attributes = ?1, version = version + 1, changed = ?2 WHERE rt_id = ?3 AND version = ?4",
            params![Value::Object(attributes).to_string(), now_rfc3339(), current.rt_id, current.version as i64],
        )?;
        if updated == 0 {
            let latest: i64 = transaction.query_row(
                "SELECT version FROM entities WHERE rt_id = ?1",
                [&current.rt_id],
                |row| row.get(0),
            )?;
            return Err(StoreError::Conflict {
                rt_id: current.rt_id,
                expected: current.version,
                current: latest as u64,
            });
        }
        transaction.commit()?;
        drop(db);
        self.get_entity(rt_id)?
            .ok_or_else(|| StoreError::NotFound(rt_id.to_owned()))
    }

    /// Archives or erases an entity.
    pub fn delete_entity(
        &self,
        rt_id: &str,
        expected_version: Option<u64>,
        mode: DeleteMode,
    ) -> Result<(), StoreError> {
        let current = self
            .get_entity(rt_id)?
            .ok_or_else(|| StoreError::NotFound(rt_id.to_owned()))?;
        check_version(&current, expected_version)?;
        let mut db = self.db();
        let transaction = db.transaction()?;
        match mode {
            DeleteMode::Archive => {
                transaction.execute(
                    "UPDATE entities SET archived = 1, version = version + 1, changed = ?1 WHERE rt_id = ?2",
                    params![now_rfc3339(), current.rt_id],
                )?;
            }
            DeleteMode::Erase => {
                transaction.execute(
                    "DELETE FROM associations WHERE origin = ?1 OR target = ?1",
                    [&current.rt_id],
                )?;
                transaction.execute("DELETE FROM entities WHERE rt_id = ?1", [&current.rt_id])?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// How many entities the tenant holds (archived included).
    pub fn count_entities(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .db()
            .query_row("SELECT COUNT(*) FROM entities", [], |row| row.get(0))?;
        Ok(count as u64)
    }

    /// The attribute's name in the type for a name or an attribute id.
    fn attribute_name(&self, ck_type: &str, key: &str) -> String {
        let catalog = self.catalog();
        let Some(type_id) = crate::ck::model::ElementId::parse(ck_type) else {
            return key.to_owned();
        };
        catalog
            .effective_attributes(&type_id)
            .iter()
            .find(|(usage, _)| {
                usage.name == key
                    || crate::ck::model::ElementId::parse(key).as_ref() == Some(&usage.attribute)
            })
            .map(|(usage, _)| usage.name.clone())
            .unwrap_or_else(|| key.to_owned())
    }
}

fn check_version(current: &StoredEntity, expected: Option<u64>) -> Result<(), StoreError> {
    match expected {
        Some(expected) if expected != current.version => Err(StoreError::Conflict {
            rt_id: current.rt_id.clone(),
            expected,
            current: current.version,
        }),
        _ => Ok(()),
    }
}

/// Which way an association is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the entity to its targets (e.g. a node's `Parent`).
    Outbound,
    /// From the entity to the entities that point at it (e.g. a node's `Children`).
    Inbound,
}

impl Tenant {
    /// The entities associated with `rt_id` by `role` (archived ones excluded).
    pub fn associated(
        &self,
        rt_id: &str,
        role: &str,
        direction: Direction,
    ) -> Result<Vec<StoredEntity>, StoreError> {
        let rt_id = RtId::parse(rt_id).map_err(|error| StoreError::Invalid(vec![error]))?;
        let role = crate::ck::model::ElementId::parse(role).ok_or_else(|| {
            StoreError::Invalid(vec![format!("`{role}` is not an association role id")])
        })?;
        let (from, to) = match direction {
            Direction::Outbound => ("origin", "target"),
            Direction::Inbound => ("target", "origin"),
        };
        let db = self.db();
        let mut statement = db.prepare(&format!(
            "SELECT e.rt_id, e.ck_type, e.well_known_name, e.version, e.created, e.changed, e.archived, e.attributes
             FROM associations a JOIN entities e ON e.rt_id = a.{to}
             WHERE a.{from} = ?1 AND a.role = ?2 AND e.archived = 0 ORDER BY e.rt_id"
        ))?;
        let entities = statement
            .query_map(params![rt_id.as_str(), role.to_string()], stored)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(entities)
    }
}

/// The target exists with the declared type, and the role's multiplicities hold.
fn check_association(
    transaction: &rusqlite::Transaction<'_>,
    catalog: &crate::ck::catalog::CkCatalog,
    origin: &str,
    association: &crate::rt::entity::RtAssociation,
) -> Result<(), StoreError> {
    use crate::ck::model::Multiplicity;
    let invalid = |message: String| StoreError::Invalid(vec![message]);
    let target_type: Option<String> = transaction
        .query_row(
            "SELECT ck_type FROM entities WHERE rt_id = ?1 AND archived = 0",
            [association.target.as_str()],
            |row| row.get(0),
        )
        .optional()?;
    let Some(target_type) = target_type else {
        return Err(invalid(format!(
            "association `{}`: target `{}` does not exist",
            association.role, association.target
        )));
    };
    if target_type != association.target_type.to_string() {
        return Err(invalid(format!(
            "association `{}`: target `{}` is a `{target_type}`, not a `{}`",
            association.role, association.target, association.target_type
        )));
    }
    let role = catalog
        .model(&association.role.model)
        .and_then(|installed| {
            installed
                .model
                .association_roles
                .get(&association.role.name)
        })
        .ok_or_else(|| {
            invalid(format!(
                "association role `{}` is not installed",
                association.role
            ))
        })?;
    let single = |multiplicity: Multiplicity| {
        matches!(multiplicity, Multiplicity::One | Multiplicity::ZeroOrOne)
    };
    let role_text = association.role.to_string();
    if single(role.outbound_multiplicity) {
        let existing: i64 = transaction.query_row(
            "SELECT COUNT(*) FROM associations WHERE origin = ?1 AND role = ?2",
            params![origin, role_text],
            |row| row.get(0),
        )?;
        if existing > 0 {
            return Err(invalid(format!(
                "association `{}`: an entity has at most one `{}`; this one already has it",
                association.role, role.outbound_name
            )));
        }
    }
    if single(role.inbound_multiplicity) {
        let existing: i64 = transaction.query_row(
            "SELECT COUNT(*) FROM associations WHERE target = ?1 AND role = ?2",
            params![association.target.as_str(), role_text],
            |row| row.get(0),
        )?;
        if existing > 0 {
            return Err(invalid(format!(
                "association `{}`: `{}` already has its one `{}`",
                association.role, association.target, role.inbound_name
            )));
        }
    }
    Ok(())
}

/// Inserts one validated entity and its associations inside `transaction`.
pub(super) fn insert(
    transaction: &rusqlite::Transaction<'_>,
    catalog: &crate::ck::catalog::CkCatalog,
    entity: &crate::rt::entity::RtEntity,
    now: &str,
) -> Result<(), StoreError> {
    let attributes: Map<String, Value> = entity
        .attributes
        .iter()
        .map(|(name, value)| (name.clone(), value.to_json()))
        .collect();
    let inserted = transaction
        .prepare_cached(
            "INSERT INTO entities (rt_id, ck_type, well_known_name, version, created, changed, archived, attributes)
             VALUES (?1, ?2, ?3, 1, ?4, ?4, 0, ?5) ON CONFLICT (rt_id) DO NOTHING",
        )?
        .execute(params![
            entity.rt_id.as_str(),
            entity.ck_type.to_string(),
            entity.well_known_name,
            now,
            Value::Object(attributes).to_string()
        ])?;
    if inserted == 0 {
        return Err(StoreError::Invalid(vec![format!(
            "an entity `{}` already exists",
            entity.rt_id
        )]));
    }
    insert_associations(transaction, catalog, entity)
}

/// Inserts an entity's associations after checking targets and multiplicities.
pub(super) fn insert_associations(
    transaction: &rusqlite::Transaction<'_>,
    catalog: &crate::ck::catalog::CkCatalog,
    entity: &crate::rt::entity::RtEntity,
) -> Result<(), StoreError> {
    for association in &entity.associations {
        check_association(transaction, catalog, entity.rt_id.as_str(), association)?;
        transaction
            .prepare_cached("INSERT OR IGNORE INTO associations (origin, role, target, target_type) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![
                entity.rt_id.as_str(),
                association.role.to_string(),
                association.target.as_str(),
                association.target_type.to_string()
            ])?;
    }
    Ok(())
}
