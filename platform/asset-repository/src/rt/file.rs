//! The upstream runtime-model file (`runtime-model.schema.json`): dependencies and entities.

use serde::Deserialize;
use serde_json::Value;

use super::entity::{EntityDraft, RtId};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuntimeModelFile {
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    pub dependencies: Vec<String>,
    pub entities: Vec<EntitySource>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntitySource {
    pub rt_id: String,
    pub rt_creation_date_time: Option<String>,
    pub rt_changed_date_time: Option<String>,
    pub ck_type_id: String,
    pub rt_well_known_name: Option<String>,
    pub rt_state: Option<RtState>,
    #[serde(default)]
    pub attributes: Vec<AttributeSource>,
    #[serde(default)]
    pub associations: Vec<AssociationSource>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RtState {
    Active,
    Archived,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeSource {
    pub id: String,
    pub value: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssociationSource {
    pub role_id: String,
    pub target_rt_id: String,
    pub target_ck_type_id: String,
    #[serde(default)]
    pub target_ck_attribute_ids: Vec<String>,
    #[serde(default)]
    pub attributes: Vec<AttributeSource>,
}

impl RuntimeModelFile {
    /// Parses YAML or JSON text (a byte-order mark is allowed).
    pub fn parse(text: &str) -> Result<RuntimeModelFile, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        serde_yaml::from_str(text).map_err(|error| format!("not a runtime model file: {error}"))
    }
}

impl EntitySource {
    /// The entity as a draft for validation; the CK type's version suffix (`-1`) is dropped.
    pub fn draft(&self) -> Result<EntityDraft, String> {
        Ok(EntityDraft {
            rt_id: RtId::parse(&self.rt_id)?,
            ck_type: self.ck_type_id.clone(),
            well_known_name: self.rt_well_known_name.clone(),
            attributes: self
                .attributes
                .iter()
                .map(|attribute| {
                    (
                        attribute.id.clone(),
                        attribute.value.clone().unwrap_or(Value::Null),
                    )
                })
                .collect(),
            associations: self
                .associations
                .iter()
                .map(|association| {
                    (
                        association.role_id.clone(),
                        association.target_rt_id.clone(),
                        association.target_ck_type_id.clone(),
                    )
                })
                .collect(),
        })
    }
}
