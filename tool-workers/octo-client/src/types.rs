//! The typed values of the asset repository's contract, as the tools see them. They serialise in
//! camelCase, so tools can return them as they are.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A runtime entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RtEntity {
    /// 24-hex object id.
    pub rt_id: String,
    /// `Model/Type`.
    pub ck_type_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rt_well_known_name: Option<String>,
    pub rt_creation_date_time: String,
    pub rt_changed_date_time: String,
    /// Optimistic-locking version: pass it as `expectedVersion` to update or delete safely.
    pub rt_version: u64,
    /// Attribute name → value (records are nested objects).
    pub attributes: Map<String, Value>,
}

/// One page of entities.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityPage {
    pub total_count: u64,
    pub entities: Vec<RtEntity>,
}

/// Field-filter operators (the names of the MCP `FilterOperatorDto`). `Contains`/`StartsWith`/
/// `EndsWith` take substrings, `Like` takes `%`/`_` patterns, `Regex` a regular expression,
/// `Between` `Value` and `SecondValue`, `In`/`NotIn` an array, `AnyEq`/`AnyLike` apply to array
/// attributes, `IsNull`/`IsNotNull` ignore `Value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum FilterOperator {
    Equals,
    NotEquals,
    Contains,
    StartsWith,
    EndsWith,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    Between,
    In,
    NotIn,
    IsNull,
    IsNotNull,
    Regex,
    Like,
    AnyEq,
    AnyLike,
}

impl FilterOperator {
    /// The `FieldFilterOperators` enum value on the wire.
    pub fn graphql_name(self) -> &'static str {
        match self {
            FilterOperator::Equals => "EQUALS",
            FilterOperator::NotEquals => "NOT_EQUALS",
            FilterOperator::Contains => "CONTAINS",
            FilterOperator::StartsWith => "STARTS_WITH",
            FilterOperator::EndsWith => "ENDS_WITH",
            FilterOperator::GreaterThan => "GREATER_THAN",
            FilterOperator::GreaterThanOrEqual => "GREATER_EQUAL_THAN",
            FilterOperator::LessThan => "LESS_THAN",
            FilterOperator::LessThanOrEqual => "LESS_EQUAL_THAN",
            FilterOperator::Between => "BETWEEN",
            FilterOperator::In => "IN",
            FilterOperator::NotIn => "NOT_IN",
            FilterOperator::IsNull => "IS_NULL",
            FilterOperator::IsNotNull => "IS_NOT_NULL",
            FilterOperator::Regex => "MATCH_REG_EX",
            FilterOperator::Like => "LIKE",
            FilterOperator::AnyEq => "ANY_EQ",
            FilterOperator::AnyLike => "ANY_LIKE",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldFilter {
    pub attribute_path: String,
    pub operator: FilterOperator,
    pub value: Option<Value>,
    pub second_value: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logic {
    And,
    Or,
}

/// Filters combined with AND or OR, with nested groups.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterGroup {
    pub logic: Logic,
    pub fields: Vec<FieldFilter>,
    pub nested: Vec<FilterGroup>,
}

impl FilterGroup {
    /// The `FieldFilterGroup` input value.
    pub(crate) fn to_input(&self) -> Value {
        serde_json::json!({
            "operator": match self.logic { Logic::And => "AND", Logic::Or => "OR" },
            "fieldFilters": self.fields.iter().map(|field| serde_json::json!({
                "attributePath": field.attribute_path,
                "operator": field.operator.graphql_name(),
                "comparisonValue": field.value,
                "secondaryValue": field.second_value,
            })).collect::<Vec<_>>(),
            "nested": self.nested.iter().map(FilterGroup::to_input).collect::<Vec<_>>(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    pub attribute_path: String,
    pub descending: bool,
}

/// A query of the entities of one CK type.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityQuery {
    pub ck_type: String,
    pub rt_ids: Option<Vec<String>>,
    pub filter: Option<FilterGroup>,
    pub search: Option<String>,
    pub sort: Vec<Sort>,
    /// Page size (0: only the total count).
    pub first: u32,
    /// Entities to skip.
    pub skip: u32,
    /// Only these attribute paths (dot paths reach into records).
    pub attribute_paths: Option<Vec<String>>,
    pub include_archived: bool,
}

impl EntityQuery {
    pub fn of_type(ck_type: impl Into<String>) -> EntityQuery {
        EntityQuery {
            ck_type: ck_type.into(),
            rt_ids: None,
            filter: None,
            search: None,
            sort: Vec::new(),
            first: 100,
            skip: 0,
            attribute_paths: None,
            include_archived: false,
        }
    }
}

/// An association to create or remove: `role` from the entity to `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationRef {
    pub role: String,
    pub target_rt_id: String,
    pub target_ck_type: String,
}

/// An entity to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntity {
    pub ck_type: String,
    pub well_known_name: Option<String>,
    pub attributes: Vec<(String, Value)>,
    pub associations: Vec<AssociationRef>,
}

/// How an entity is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteStrategy {
    /// Hidden from queries, kept.
    Archive,
    /// Gone, with its associations.
    Erase,
}

/// Which way an association is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AssociationDirection {
    /// Towards the entity (e.g. a machine's `Children`).
    Inbound,
    /// Away from the entity (e.g. a sensor's `Parent`).
    Outbound,
}

impl AssociationDirection {
    pub(crate) fn from_graphql(name: &str) -> AssociationDirection {
        if name == "INBOUND" {
            AssociationDirection::Inbound
        } else {
            AssociationDirection::Outbound
        }
    }

    pub(crate) fn graphql_name(self) -> &'static str {
        match self {
            AssociationDirection::Inbound => "INBOUND",
            AssociationDirection::Outbound => "OUTBOUND",
        }
    }
}

/// An installed CK model.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CkModelInfo {
    /// `Name-Major.Minor.Patch`.
    pub model_id: String,
    pub name: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub model_state: String,
    /// The exact versions its dependencies were pinned to.
    pub dependencies: Vec<String>,
}

/// A CK type, with what an entity of it carries.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CkTypeInfo {
    /// `Model/Type`.
    pub ck_type_id: String,
    /// `Model-1.2.3/Type`.
    pub versioned_ck_type_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub is_abstract: bool,
    pub is_final: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_type: Option<String>,
}

/// An attribute as a type carries it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CkTypeAttribute {
    pub attribute_name: String,
    pub ck_attribute_id: String,
    /// `STRING`, `INTEGER`, `DOUBLE`, `BOOLEAN`, `DATE_TIME`, `ENUM`, `RECORD`, …
    pub value_type: String,
    pub is_optional: bool,
    /// Declared by a base type.
    pub is_inherited: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// For `RECORD`/`RECORD_ARRAY`: the record type (filter on its fields with dot paths).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ck_record_id: Option<String>,
    /// For `ENUM`: the enum (values by name or key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ck_enum_id: Option<String>,
    /// For `ENUM`: its values; write either the name or the key. Queries return the key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enum_values: Vec<EnumValue>,
}

/// One value of a CK enum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EnumValue {
    pub key: i64,
    pub name: String,
}

/// An association a type takes part in.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CkTypeAssociation {
    pub ck_role_id: String,
    pub direction: AssociationDirection,
    /// The type at the other end.
    pub target_ck_type_id: String,
    pub navigation_name: String,
    /// `ONE`, `ZERO_OR_ONE` or `N` at the other end.
    pub multiplicity: String,
}

/// A CK type in full.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CkTypeSchema {
    #[serde(flatten)]
    pub info: CkTypeInfo,
    pub derived_types: Vec<String>,
    pub attributes: Vec<CkTypeAttribute>,
    pub associations: Vec<CkTypeAssociation>,
    /// Every queryable attribute path (dot paths into records).
    pub query_columns: Vec<AttributePathInfo>,
}

/// An attribute path and the value type at its end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttributePathInfo {
    pub attribute_path: String,
    #[serde(alias = "attributeValueType")]
    pub value_type: String,
}

/// One association of an entity.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssociationEnd {
    pub ck_role_id: String,
    pub direction: AssociationDirection,
    pub rt_id: String,
    pub ck_type_id: String,
}
