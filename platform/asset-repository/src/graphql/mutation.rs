//! `mutation { runtime { runtimeEntities { create update delete } } }`: entity writes, each checked
//! against the CK type by the store; a refused write changes nothing.

use serde::Deserialize;
use serde_json::Value;

use super::connection::unknown_field;
use super::exec::{Args, FieldError, Object, Out};
use super::input::store_error;
use super::runtime::EntityNode;
use crate::store::{AssociationChange, DeleteMode, EntityInput, StoredEntity, Tenant};

/// Most entities one mutation field takes.
const MAX_BATCH: usize = 10_000;

/// The mutation root.
pub(crate) struct MutationRoot<'t> {
    pub tenant: &'t Tenant,
}

impl Object for MutationRoot<'_> {
    fn type_name(&self) -> &'static str {
        "OctoMutation"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        match name {
            "runtime" => Ok(Out::object(RuntimeMutation {
                tenant: self.tenant,
            })),
            other => Err(unknown_field("OctoMutation", other)),
        }
    }
}

struct RuntimeMutation<'t> {
    tenant: &'t Tenant,
}

impl Object for RuntimeMutation<'_> {
    fn type_name(&self) -> &'static str {
        "RtMutation"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        match name {
            "runtimeEntities" => Ok(Out::object(EntityMutation {
                tenant: self.tenant,
            })),
            other => Err(unknown_field("RtMutation", other)),
        }
    }
}

/// `{rtId, ckTypeId}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RtEntityId {
    rt_id: String,
    #[serde(default)]
    ck_type_id: Option<String>,
    /// This server's addition: refuse unless the entity is still at this `rtVersion`.
    #[serde(default)]
    expected_version: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AttributeInput {
    attribute_name: String,
    value: Value,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum ModOption {
    #[default]
    Create,
    Delete,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AssociationTarget {
    rt_id: String,
    ck_type_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AssociationInput {
    role_id: String,
    target: AssociationTarget,
    #[serde(default)]
    mod_option: ModOption,
}

/// `RtEntityInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RtEntityInput {
    #[serde(default)]
    ck_type_id: Option<String>,
    #[serde(default)]
    rt_id: Option<String>,
    #[serde(default)]
    rt_well_known_name: Option<String>,
    #[serde(default)]
    attributes: Vec<AttributeInput>,
    #[serde(default)]
    associations: Vec<AssociationInput>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RtEntityUpdate {
    rt_id: String,
    #[serde(default)]
    expected_version: Option<u64>,
    item: RtEntityInput,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum DeleteStrategy {
    #[default]
    Archive,
    Erase,
}

struct EntityMutation<'t> {
    tenant: &'t Tenant,
}

fn bounded<T>(items: Vec<T>) -> Result<Vec<T>, FieldError> {
    match items.len() {
        0 => Err(FieldError::invalid("argument `entities` is empty")),
        len if len > MAX_BATCH => Err(FieldError::invalid(format!(
            "argument `entities` holds {len} entities; send at most {MAX_BATCH} per call"
        ))),
        _ => Ok(items),
    }
}

impl EntityMutation<'_> {
    /// The stored entity, checked to be of `ck_type` when one is named.
    fn existing(&self, rt_id: &str, ck_type: Option<&str>) -> Result<StoredEntity, FieldError> {
        let entity = self
            .tenant
            .get_entity(rt_id)
            .map_err(store_error)?
            .ok_or_else(|| FieldError {
                message: format!("entity `{rt_id}` does not exist"),
                code: "NOT_FOUND",
                details: None,
            })?;
        if let Some(ck_type) = ck_type
            && crate::ck::model::ElementId::parse(ck_type).map(|id| id.to_string())
                != Some(entity.ck_type.clone())
        {
            return Err(FieldError::invalid(format!(
                "entity `{rt_id}` is a `{}`, not a `{ck_type}`",
                entity.ck_type
            )));
        }
        Ok(entity)
    }

    fn create(&self, inputs: Vec<RtEntityInput>) -> Result<Vec<StoredEntity>, FieldError> {
        let mut entities = Vec::with_capacity(inputs.len());
        for (idx, input) in inputs.into_iter().enumerate() {
            let ck_type = input.ck_type_id.ok_or_else(|| {
                FieldError::invalid(format!("entity {idx}: `ckTypeId` is required to create"))
            })?;
            let mut associations = Vec::new();
            for association in input.associations {
                if matches!(association.mod_option, ModOption::Delete) {
                    return Err(FieldError::invalid(format!(
                        "entity {idx}: a new entity has no association to delete"
                    )));
                }
                associations.push((
                    association.role_id,
                    association.target.rt_id,
                    association.target.ck_type_id,
                ));
            }
            entities.push(EntityInput {
                ck_type,
                rt_id: input.rt_id,
                well_known_name: input.rt_well_known_name,
                attributes: input
                    .attributes
                    .into_iter()
                    .map(|attribute| (attribute.attribute_name, attribute.value))
                    .collect(),
                associations,
            });
        }
        let rt_ids = self.tenant.create_entities(entities).map_err(store_error)?;
        rt_ids
            .iter()
            .map(|rt_id| self.existing(rt_id, None))
            .collect()
    }

    fn update(&self, updates: Vec<RtEntityUpdate>) -> Result<Vec<StoredEntity>, FieldError> {
        let mut updated = Vec::with_capacity(updates.len());
        for update in updates {
            let current = self.existing(&update.rt_id, update.item.ck_type_id.as_deref())?;
            let mut expected = update.expected_version;
            let changes: Vec<AssociationChange> = update
                .item
                .associations
                .into_iter()
                .map(|association| AssociationChange {
                    role: association.role_id,
                    target_rt_id: association.target.rt_id,
                    target_ck_type: association.target.ck_type_id,
                    remove: matches!(association.mod_option, ModOption::Delete),
                })
                .collect();
            if !update.item.attributes.is_empty() || changes.is_empty() {
                let entity = self
                    .tenant
                    .update_entity(
                        &current.rt_id,
                        expected,
                        update
                            .item
                            .attributes
                            .into_iter()
                            .map(|attribute| (attribute.attribute_name, attribute.value))
                            .collect(),
                    )
                    .map_err(store_error)?;
                // The version check is done; the association change follows this write.
                expected = Some(entity.version);
            }
            if !changes.is_empty() {
                if let Some(expected) = expected {
                    let now = self.existing(&current.rt_id, None)?;
                    if now.version != expected {
                        return Err(store_error(crate::store::StoreError::Conflict {
                            rt_id: now.rt_id,
                            expected,
                            current: now.version,
                        }));
                    }
                }
                self.tenant
                    .change_associations(&current.rt_id, changes)
                    .map_err(store_error)?;
            }
            updated.push(self.existing(&current.rt_id, None)?);
        }
        Ok(updated)
    }
}

impl Object for EntityMutation<'_> {
    fn type_name(&self) -> &'static str {
        "RtEntityMutation"
    }

    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError> {
        let tenant = self.tenant;
        let nodes = |entities: Vec<StoredEntity>| {
            Out::objects(
                entities
                    .into_iter()
                    .map(|entity| EntityNode { tenant, entity }),
            )
        };
        match name {
            "create" => Ok(nodes(self.create(bounded(args.require("entities")?)?)?)),
            "update" => Ok(nodes(self.update(bounded(args.require("entities")?)?)?)),
            "delete" => {
                let ids: Vec<RtEntityId> = bounded(args.require("entities")?)?;
                let mode = match args.get::<DeleteStrategy>("options")?.unwrap_or_default() {
                    DeleteStrategy::Archive => DeleteMode::Archive,
                    DeleteStrategy::Erase => DeleteMode::Erase,
                };
                for id in &ids {
                    self.existing(&id.rt_id, id.ck_type_id.as_deref())?;
                }
                for id in ids {
                    tenant
                        .delete_entity(&id.rt_id, id.expected_version, mode)
                        .map_err(store_error)?;
                }
                Ok(Out::leaf(true))
            }
            other => Err(unknown_field("RtEntityMutation", other)),
        }
    }
}
