//! The original server's parameter DTOs that several tool families take (PascalCase keys,
//! camelCase accepted too): filter trees, sort columns, aggregation columns; and their conversion
//! into the client's typed queries.

use octomesh_worker_runtime::ToolError;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::stream_data::AggregationColumn;
use crate::types::{FieldFilter, FilterGroup, FilterOperator, Logic, Sort};

/// `And` or `Or`.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub enum FilterLogicDto {
    #[serde(alias = "and", alias = "AND")]
    And,
    #[serde(alias = "or", alias = "OR")]
    Or,
}

/// One condition on an attribute path (dot paths reach into records, e.g. `Address.City`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct FieldFilterDto {
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
pub struct FieldFilterCriteriaDto {
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
    pub fn into_group(self) -> Result<FilterGroup, ToolError> {
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

/// `asc` or `desc`.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub enum SortDirectionDto {
    #[serde(rename = "asc", alias = "Asc", alias = "ASC", alias = "ascending")]
    Asc,
    #[serde(rename = "desc", alias = "Desc", alias = "DESC", alias = "descending")]
    Desc,
}

/// A sort column.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct SortColumnDto {
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

/// `count`, `sum`, `avg`, `min`, `max`, `first` or `last`.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AggregationFunction {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    First,
    Last,
}

impl AggregationFunction {
    pub fn name(self) -> &'static str {
        match self {
            AggregationFunction::Count => "count",
            AggregationFunction::Sum => "sum",
            AggregationFunction::Avg => "avg",
            AggregationFunction::Min => "min",
            AggregationFunction::Max => "max",
            AggregationFunction::First => "first",
            AggregationFunction::Last => "last",
        }
    }
}

/// An aggregated column: `{"function": "avg", "attributePath": "LastValue", "alias": "mean"}`
/// (default alias `<function>_<path>`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AggregationColumnDto {
    pub function: AggregationFunction,
    pub attribute_path: Option<String>,
    pub alias: Option<String>,
}

/// Most columns one query aggregates.
const MAX_COLUMNS: usize = 32;

pub fn columns(dtos: Vec<AggregationColumnDto>) -> Result<Vec<AggregationColumn>, ToolError> {
    if dtos.is_empty() || dtos.len() > MAX_COLUMNS {
        return Err(ToolError::InvalidArguments(format!(
            "`aggregations` needs 1 to {MAX_COLUMNS} columns"
        )));
    }
    let mut columns: Vec<AggregationColumn> = Vec::with_capacity(dtos.len());
    for dto in dtos {
        if dto.attribute_path.is_none() && !matches!(dto.function, AggregationFunction::Count) {
            return Err(ToolError::InvalidArguments(format!(
                "`{}` needs an `attributePath`; only `count` counts without one",
                dto.function.name()
            )));
        }
        let alias = dto.alias.unwrap_or_else(|| match &dto.attribute_path {
            Some(path) => format!("{}_{}", dto.function.name(), path.replace('.', "_")),
            None => "count".to_owned(),
        });
        if columns.iter().any(|column| column.alias == alias) {
            return Err(ToolError::InvalidArguments(format!(
                "alias `{alias}` is used twice: give the aggregations distinct `alias`es"
            )));
        }
        columns.push(AggregationColumn {
            function: dto.function.name().to_owned(),
            path: dto.attribute_path,
            alias,
        });
    }
    Ok(columns)
}
