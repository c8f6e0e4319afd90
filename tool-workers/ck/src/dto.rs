//! The parameter DTOs of the original server (PascalCase keys, camelCase accepted too) and their
//! conversion into the client's typed queries.

pub(crate) use octomesh_octo_client::dto::{FieldFilterCriteriaDto, SortColumnDto};
use octomesh_octo_client::types::{FieldFilter, FilterGroup, FilterOperator, Logic};
use octomesh_worker_runtime::ToolError;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// Default page size of the query tools.
pub(crate) const DEFAULT_LIMIT: u32 = 100;
/// Largest page size of the query tools.
pub(crate) const MAX_LIMIT: u32 = 1000;

/// An equality condition.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub(crate) struct SimpleFilterDto {
    #[serde(rename = "AttributePath", alias = "attributePath")]
    pub attribute_path: String,
    #[serde(rename = "Value", alias = "value")]
    pub value: Value,
}

/// Equality conditions, all of which must hold.
pub(crate) fn simple_group(filters: Vec<SimpleFilterDto>) -> Option<FilterGroup> {
    (!filters.is_empty()).then(|| FilterGroup {
        logic: Logic::And,
        fields: filters
            .into_iter()
            .map(|filter| FieldFilter {
                attribute_path: filter.attribute_path,
                operator: FilterOperator::Equals,
                value: Some(filter.value),
                second_value: None,
            })
            .collect(),
        nested: Vec::new(),
    })
}

/// An attribute to set: name (or path) and value (`null` removes it on update).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub(crate) struct AttributeUpdateItem {
    #[serde(
        rename = "AttributePath",
        alias = "attributePath",
        alias = "attributeName"
    )]
    pub attribute_path: String,
    #[serde(rename = "Value", alias = "value")]
    pub value: Value,
}

/// `Inbound` or `Outbound` (`CkTypeAssociationDirectionDto`; 1 and 2 accepted).
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub(crate) enum DirectionDto {
    #[serde(alias = "inbound", alias = "INBOUND", alias = "1")]
    Inbound,
    #[serde(alias = "outbound", alias = "OUTBOUND", alias = "2")]
    Outbound,
}

impl From<DirectionDto> for octomesh_octo_client::types::AssociationDirection {
    fn from(direction: DirectionDto) -> Self {
        match direction {
            DirectionDto::Inbound => Self::Inbound,
            DirectionDto::Outbound => Self::Outbound,
        }
    }
}

/// `limit` within 1..=[`MAX_LIMIT`] (default [`DEFAULT_LIMIT`]).
pub(crate) fn limit(limit: Option<u32>) -> Result<u32, ToolError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        Some(limit) => Err(ToolError::InvalidArguments(format!(
            "`limit` must be 1 to {MAX_LIMIT}, not {limit}; page with `offset` for more"
        ))),
    }
}
