//! The upstream CK file formats, as written (`construction-kit-meta` and `construction-kit-elements`
//! schemas). Unknown fields are refused, as the upstream schemas refuse them.

use serde::Deserialize;

/// `ckModel.yaml`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelFile {
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    pub model_id: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub dependencies: Vec<String>,
}

/// One element file under `types/`, `attributes/`, `records/`, `enums/` or `associations/`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ElementsFile {
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    #[serde(default)]
    pub attributes: Vec<AttributeSource>,
    #[serde(default)]
    pub types: Vec<TypeSource>,
    #[serde(default)]
    pub association_roles: Vec<AssociationRoleSource>,
    #[serde(default)]
    pub records: Vec<RecordSource>,
    #[serde(default)]
    pub enums: Vec<EnumSource>,
}

/// The value types of the upstream schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ValueType {
    String,
    Boolean,
    DateTime,
    Int,
    Double,
    StringArray,
    IntArray,
    Record,
    RecordArray,
    TimeSpan,
    Enum,
    Int64,
    DateTimeOffset,
    Binary,
    BinaryLinked,
    GeospatialPoint,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttributeSource {
    pub id: String,
    pub value_type: ValueType,
    pub value_ck_record_id: Option<String>,
    pub value_ck_enum_id: Option<String>,
    pub default_values: Option<serde_yaml::Value>,
    #[serde(default)]
    pub is_runtime_state: bool,
    pub description: Option<String>,
    #[serde(default)]
    pub meta_data: Vec<MetaDataSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaDataSource {
    pub key: String,
    pub value: Option<serde_yaml::Value>,
    pub description: Option<String>,
}

/// An attribute as used by a type, record or association role.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttributeUseSource {
    pub id: String,
    pub name: String,
    pub auto_increment_reference: Option<String>,
    #[serde(default)]
    pub auto_complete_values: Vec<String>,
    #[serde(default)]
    pub is_optional: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TypeSource {
    pub type_id: String,
    pub derived_from_ck_type_id: Option<String>,
    #[serde(default)]
    pub is_final: bool,
    #[serde(default)]
    pub is_abstract: bool,
    pub description: Option<String>,
    pub display_name_rule: Option<String>,
    pub display_description_rule: Option<String>,
    #[serde(default)]
    pub attributes: Vec<AttributeUseSource>,
    #[serde(default)]
    pub indexes: Vec<IndexSource>,
    #[serde(default)]
    pub associations: Vec<TypeAssociationSource>,
    #[serde(default)]
    pub enable_change_stream_pre_and_post_images: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum IndexType {
    None,
    Ascending,
    Text,
    Unique,
    UniqueNotDeleted,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IndexSource {
    pub index_type: IndexType,
    pub language: Option<String>,
    #[serde(default)]
    pub fields: Vec<IndexFieldSource>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IndexFieldSource {
    pub weight: Option<u32>,
    pub attribute_paths: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TypeAssociationSource {
    pub id: String,
    pub target_ck_type_id: String,
    #[serde(default)]
    pub target_attributes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordSource {
    pub record_id: String,
    pub derived_from_ck_record_id: Option<String>,
    #[serde(default)]
    pub is_final: bool,
    #[serde(default)]
    pub is_abstract: bool,
    #[serde(default)]
    pub attributes: Vec<AttributeUseSource>,
    #[serde(default)]
    pub enable_change_stream_pre_and_post_images: bool,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnumSource {
    pub enum_id: String,
    #[serde(default)]
    pub values: Vec<EnumValueSource>,
    #[serde(default)]
    pub use_flags: bool,
    #[serde(default)]
    pub is_extensible: bool,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnumValueSource {
    pub key: i64,
    pub name: String,
    pub description: Option<String>,
    #[serde(default)]
    pub is_extension: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Multiplicity {
    ZeroOrOne,
    One,
    N,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssociationRoleSource {
    pub id: String,
    pub inbound_name: String,
    pub outbound_name: String,
    pub inbound_multiplicity: Multiplicity,
    pub outbound_multiplicity: Multiplicity,
    #[serde(default)]
    pub attributes: Vec<AttributeUseSource>,
    pub description: Option<String>,
}
