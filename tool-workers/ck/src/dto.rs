//! The parameter DTOs of the original server (PascalCase keys, camelCase accepted too) and their
//! conversion into the client's typed queries.

use octomesh_octo_client::types::{FieldFilter, FilterGroup, FilterOperator, Logic, Sort};
use octomesh_worker_runtime::ToolError;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// Default page size of the query tools.
pub(crate) const DEFAULT_LIMIT: u32 = 100;
/// Largest page size of the query tools.
pub(crate) const MAX_LIMIT: u32 = 1000;

/// `And` or `Or`.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub(crate) enum FilterLogicDto {
    #[serde(alias = "and", alias = "AND")]
    And,
    #[serde(alias = "or", alias = "OR")]
    Or,
}

/// One condition on an attribute path (dot paths reach into records, e.g. `Address.City`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub(crate) struct FieldFilterDto {
    #[serde(rename = "AttributePath", alias = "attributePath")]
    pub attribute_path: String,
    #[serde(rename = "Operator", alias = "operator")]
    pub operator: FilterOperator,
    #[serde(rename = "Value", alias = "value", default)]
    pub value: Option<Value>,
    #[serde(rename = "SecondValue", alias = "secondValue", default)]
    pub second_value: Option<Value>,
}

/// Conditions combined with `And` or `Or`, with nested groups.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub(crate) struct FieldFilterCriteriaDto {
    #[serde(rename = "Operator", alias = "operator", default = "and")]
    pub operator: FilterLogicDto,
    #[serde(rename = "Fields", alias = "fields", default)]
    pub fields: Vec<FieldFilterDto>,
    #[serde(rename = "NestedFilters", alias = "nestedFilters", default)]
    pub nested_filters: Vec<FieldFilterCriteriaDto>,
}

fn and() -> FilterLogicDto {
    FilterLogicDto::And
}

/// Most conditions in one filter tree.
const MAX_CONDITIONS: usize = 200;
/// Deepest nesting of a filter tree.
const MAX_NESTING: usize = 8;

impl FieldFilterCriteriaDto {
    pub(crate) fn into_group(self) -> Result<FilterGroup, ToolError> {
        let mut conditions = 0;
        self.convert(0, &mut conditions)
    }

    fn convert(self, depth: usize, conditions: &mut usize) -> Result<FilterGroup, ToolError> {
        if depth > MAX_NESTING {
            return Err(ToolError::InvalidArguments(format!(
                "`filters` nests deeper than {MAX_NESTING} levels"
            )));
        }
        *conditions += self.fields.len();
        if *conditions > MAX_CONDITIONS {
            return Err(ToolError::InvalidArguments(format!(
                "`filters` holds more than {MAX_CONDITIONS} conditions"
            )));
        }
        Ok(FilterGroup {
            logic: match self.operator {
                FilterLogicDto::And => Logic::And,
                FilterLogicDto::Or => Logic::Or,
            },
            fields: self
                .fields
                .into_iter()
                .map(|field| FieldFilter {
                    attribute_path: field.attribute_path,
                    operator: field.operator,
                    value: field.value,
                    second_value: field.second_value,
                })
                .collect(),
            nested: self
                .nested_filters
                .into_iter()
                .map(|nested| nested.convert(depth + 1, conditions))
                .collect::<Result<_, _>>()?,
        })
    }
}

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

/// `asc` or `desc`.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub(crate) enum SortDirectionDto {
    #[serde(rename = "asc", alias = "Asc", alias = "ASC", alias = "ascending")]
    Asc,
    #[serde(rename = "desc", alias = "Desc", alias = "DESC", alias = "descending")]
    Desc,
}

/// A sort column.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub(crate) struct SortColumnDto {
    #[serde(rename = "AttributePath", alias = "attributePath")]
    pub attribute_path: String,
    #[serde(rename = "Direction", alias = "direction", default = "ascending")]
    pub direction: SortDirectionDto,
}

fn ascending() -> SortDirectionDto {
    SortDirectionDto::Asc
}

impl From<SortColumnDto> for Sort {
    fn from(column: SortColumnDto) -> Sort {
        Sort {
            attribute_path: column.attribute_path,
            descending: matches!(column.direction, SortDirectionDto::Desc),
        }
    }
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
