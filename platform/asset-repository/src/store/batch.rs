//! A batch of entity changes written in one transaction, in order: all or nothing. Fixup scripts
//! collect their writes into one batch, so a failing script changes nothing.

use rusqlite::{OptionalExtension, params};
use serde_json::{Map, Value};

use super::clock::now_rfc3339;
use super::entities::{EntityInput, insert};
use super::error::StoreError;
use super::tenant::Tenant;
use crate::rt::entity::{EntityDraft, RtId, Strictness, validate};

/// One change of a batch.
#[derive(Debug, Clone)]
pub enum EntityChange {
    /// Create an entity (every required attribute given; `rt_id` chosen by the caller).
    Create(EntityInput),
    /// Set attributes of an existing entity (a `null` value removes one); its version goes up.
    Update {
        rt_id: String,
        changes: Vec<(String, Value)>,
    },
    /// Erase an entity and its associations.
    Erase { rt_id: String },
}

impl Tenant {
    /// Applies `changes` in order in one transaction; the first refused change refuses all, and
    /// its error says which change it was (`change N`).
    pub fn apply_changes(&self, changes: &[EntityChange]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let catalog = self.catalog();
        let now = now_rfc3339();
        let mut db = self.db();
        let transaction = db.transaction()?;
        let numbered = |change_idx: usize, error: StoreError| match error {
            StoreError::Invalid(problems) => StoreError::Invalid(
                problems
                    .into_iter()
                    .map(|problem| format!("change {change_idx}: {problem}"))
                    .collect(),
            ),
            StoreError::NotFound(rt_id) => StoreError::Invalid(vec![format!(
                "change {change_idx}: entity `{rt_id}` does not exist"
            )]),
            other => other,
        };
        for (change_idx, change) in changes.iter().enumerate() {
            let applied = match change {
                EntityChange::Create(input) => create(&transaction, &catalog, input, &now),
                EntityChange::Update { rt_id, changes } => {
                    update(&transaction, &catalog, rt_id, changes, &now)
                }
                EntityChange::Erase { rt_id } => erase(&transaction, rt_id),
            };
            applied.map_err(|error| numbered(change_idx, error))?;
        }
        transaction.commit()?;
        Ok(())
    }
}

fn create(
    transaction: &rusqlite::Transaction<'_>,
    catalog: &crate::ck::catalog::CkCatalog,
    input: &EntityInput,
    now: &str,
) -> Result<(), StoreError> {
    let rt_id = match &input.rt_id {
        Some(text) => RtId::parse(text).map_err(|error| StoreError::Invalid(vec![error]))?,
        None => super::clock::new_rt_id(),
    };
    let draft = EntityDraft {
        rt_id,
        ck_type: input.ck_type.clone(),
        well_known_name: input.well_known_name.clone(),
        attributes: input.attributes.clone(),
        associations: input.associations.clone(),
    };
    let entity = validate(catalog, draft, Strictness::Create).map_err(StoreError::Invalid)?;
    insert(transaction, catalog, &entity, now)
}

fn update(
    transaction: &rusqlite::Transaction<'_>,
    catalog: &crate::ck::catalog::CkCatalog,
    rt_id: &str,
    changes: &[(String, Value)],
    now: &str,
) -> Result<(), StoreError> {
    let rt_id = RtId::parse(rt_id).map_err(|error| StoreError::Invalid(vec![error]))?;
    let current: Option<(String, Option<String>, String)> = transaction
        .query_row(
            "SELECT ck_type, well_known_name, attributes FROM entities WHERE rt_id = ?1",
            [rt_id.as_str()],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((ck_type, well_known_name, stored)) = current else {
        return Err(StoreError::NotFound(rt_id.to_string()));
    };
    let draft = EntityDraft {
        rt_id: rt_id.clone(),
        ck_type: ck_type.clone(),
        well_known_name,
        attributes: changes.to_vec(),
        associations: Vec::new(),
    };
    let validated = validate(catalog, draft, Strictness::Partial).map_err(StoreError::Invalid)?;
    let mut attributes: Map<String, Value> = serde_json::from_str(&stored).unwrap_or_default();
    if let Some(type_id) = crate::ck::model::ElementId::parse(&ck_type) {
        let effective = catalog.effective_attributes(&type_id);
        for (key, value) in changes {
            if value.is_null()
                && let Some((usage, _)) = effective.iter().find(|(usage, _)| {
                    &usage.name == key
                        || crate::ck::model::ElementId::parse(key).as_ref()
                            == Some(&usage.attribute)
                })
            {
                attributes.remove(&usage.name);
            }
        }
    }
    for (name, value) in validated.attributes {
        attributes.insert(name, value.to_json());
    }
    transaction.execute(
        "UPDATE entities SET attributes = ?1, version = version + 1, changed = ?2 WHERE rt_id = ?3",
        params![Value::Object(attributes).to_string(), now, rt_id.as_str()],
    )?;
    Ok(())
}

fn erase(transaction: &rusqlite::Transaction<'_>, rt_id: &str) -> Result<(), StoreError> {
    let rt_id = RtId::parse(rt_id).map_err(|error| StoreError::Invalid(vec![error]))?;
    transaction.execute(
        "DELETE FROM associations WHERE origin = ?1 OR target = ?1",
        [rt_id.as_str()],
    )?;
    let erased = transaction.execute("DELETE FROM entities WHERE rt_id = ?1", [rt_id.as_str()])?;
    if erased == 0 {
        return Err(StoreError::NotFound(rt_id.to_string()));
    }
    Ok(())
}
