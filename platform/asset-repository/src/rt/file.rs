//! The upstream runtime-model file (`runtime-model.schema.json`): dependencies and entities.
//! Read by [`RuntimeModelFile::parse`]; written, value for value the same, by [`super::export`].

use serde::{Deserialize, Serialize};
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

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntitySource {
    pub rt_id: String,
    pub ck_type_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rt_well_known_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rt_creation_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rt_changed_date_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rt_state: Option<RtState>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeSource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<AssociationSource>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum RtState {
    Active,
    Archived,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeSource {
    pub id: String,
    pub value: Option<Value>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssociationSource {
    pub role_id: String,
    pub target_rt_id: String,
    pub target_ck_type_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_ck_attribute_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
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
