//! Writing the upstream runtime-model file (`runtime-model.schema.json`) as YAML, the inverse of
//! [`super::file::RuntimeModelFile::parse`] and [`super::value::convert`]: importing what this
//! writes gives the same entities, attributes and associations.
//!
//! Attributes are written by their attribute id (`System/Name`, as upstream files do), or by
//! their name in the type where the type uses one attribute under two names; values in the
//! file form: records as `{ckRecordId, attributes: [{id, value}]}`, enums as their key,
//! date-times and time spans as their text, geospatial points as `{latitude, longitude}`.
//! Entities are written one at a time, so an export never holds the whole file.

use std::io::Write;

use serde_json::Value;

use super::entity::RtAssociation;
use super::file::{AssociationSource, AttributeSource, EntitySource};
use super::value::{AttributeValue, RecordValue, convert};
use crate::ck::catalog::CkCatalog;
use crate::ck::model::{AttributeUse, ElementId};
use crate::store::StoredEntity;

/// The schema every runtime-model file names.
pub const RUNTIME_MODEL_SCHEMA: &str = "https://schemas.meshmakers.cloud/runtime-model.schema.json";

/// Writes a runtime-model YAML file entity by entity.
pub struct RuntimeModelWriter<W: Write> {
    out: W,
    entities: usize,
}

impl<W: Write> RuntimeModelWriter<W> {
    /// Starts the file: `$schema`, `dependencies` (model ids such as `System-2.2.2`).
    pub fn new(mut out: W, dependencies: &[String]) -> std::io::Result<RuntimeModelWriter<W>> {
        writeln!(out, "$schema: {RUNTIME_MODEL_SCHEMA}")?;
        out.write_all(b"dependencies:")?;
        if dependencies.is_empty() {
            out.write_all(b" []\n")?;
        } else {
            out.write_all(b"\n")?;
            out.write_all(yaml(&dependencies)?.as_bytes())?;
        }
        out.write_all(b"entities:")?;
        Ok(RuntimeModelWriter { out, entities: 0 })
    }

    /// Appends one entity.
    pub fn entity(&mut self, entity: &EntitySource) -> std::io::Result<()> {
        if self.entities == 0 {
            self.out.write_all(b"\n")?;
        }
        self.out.write_all(yaml(&[entity])?.as_bytes())?;
        self.entities += 1;
        Ok(())
    }

    /// Ends the file; returns the writer and how many entities it holds.
    pub fn finish(mut self) -> std::io::Result<(W, usize)> {
        if self.entities == 0 {
            self.out.write_all(b" []\n")?;
        }
        self.out.flush()?;
        Ok((self.out, self.entities))
    }
}

fn yaml<T: serde::Serialize + ?Sized>(value: &T) -> std::io::Result<String> {
    serde_yaml::to_string(value).map_err(std::io::Error::other)
}

/// An entity as stored, with the outbound `associations` to write, in the file form.
pub fn entity_source(
    catalog: &CkCatalog,
    entity: &StoredEntity,
    associations: &[RtAssociation],
) -> EntitySource {
    let effective = ElementId::parse(&entity.ck_type)
        .map(|type_id| catalog.effective_attributes(&type_id))
        .unwrap_or_default();
    let usages: Vec<&AttributeUse> = effective.iter().map(|(usage, _)| *usage).collect();
    let attributes = entity
        .attributes
        .iter()
        .map(|(name, stored)| {
            let found = effective.iter().find(|(usage, _)| &usage.name == name);
            let (id, value) = match found {
                Some((usage, attribute)) => (
                    key_of(&usages, usage),
                    convert(catalog, attribute, stored)
                        .map(|value| file_value(catalog, &value))
                        .unwrap_or_else(|_| stored.clone()),
                ),
                // Not of the type (any more): as stored, under its name.
                None => (name.clone(), stored.clone()),
            };
            AttributeSource {
                id,
                value: Some(value),
            }
        })
        .collect();
    EntitySource {
        rt_id: entity.rt_id.clone(),
        ck_type_id: entity.ck_type.clone(),
        rt_well_known_name: entity.well_known_name.clone(),
        rt_creation_date_time: Some(entity.created.clone()),
        rt_changed_date_time: Some(entity.changed.clone()),
        rt_state: None,
        attributes,
        associations: associations
            .iter()
            .map(|association| AssociationSource {
                role_id: association.role.to_string(),
                target_rt_id: association.target.to_string(),
                target_ck_type_id: association.target_type.to_string(),
                target_ck_attribute_ids: Vec::new(),
                attributes: Vec::new(),
            })
            .collect(),
    }
}

/// The attribute id where it names one attribute of `usages`, else the name.
fn key_of(usages: &[&AttributeUse], usage: &AttributeUse) -> String {
    let uses = usages
        .iter()
        .filter(|other| other.attribute == usage.attribute)
        .count();
    if uses == 1 {
        usage.attribute.to_string()
    } else {
        usage.name.clone()
    }
}

/// A value in the file form (what [`convert`] reads back into the same value).
pub fn file_value(catalog: &CkCatalog, value: &AttributeValue) -> Value {
    match value {
        AttributeValue::Record(record) => record_value(catalog, record),
        AttributeValue::RecordArray(records) => Value::Array(
            records
                .iter()
                .map(|record| record_value(catalog, record))
                .collect(),
        ),
        other => other.to_json(),
    }
}

fn record_value(catalog: &CkCatalog, record: &RecordValue) -> Value {
    let usages: Vec<&AttributeUse> = catalog
        .record(&record.record)
        .map(|definition| definition.attributes.iter().collect())
        .unwrap_or_default();
    let attributes: Vec<Value> = record
        .fields
        .iter()
        .map(|(name, value)| {
            let id = usages
                .iter()
                .find(|usage| &usage.name == name)
                .map_or_else(|| name.clone(), |usage| key_of(&usages, usage));
            serde_json::json!({"id": id, "value": file_value(catalog, value)})
        })
        .collect();
    serde_json::json!({"ckRecordId": record.record.to_string(), "attributes": attributes})
}
