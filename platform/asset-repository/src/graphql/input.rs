//! GraphQL input types of the runtime surface, decoded from arguments and turned into store
//! queries. Wire names follow the asset repository (`FieldFilter`, `Sort`, `SearchFilter`,
//! CONSTANT_CASE enums); `fieldFilterGroup` (And/Or nesting) and the `CONTAINS`, `STARTS_WITH`,
//! `ENDS_WITH` operators are this server's additions.

use serde::Deserialize;
use serde_json::Value;

use super::connection::{Paging, SearchFilter};
use super::exec::{Args, FieldError};
use crate::store::{
    EntityQuery, FieldFilter, FilterGroup, FilterOperator, Logic, MAX_LIMIT, SortColumn, StoreError,
};

/// `FieldFilterOperators`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Operator {
    Equals,
    NotEquals,
    LessThan,
    LessEqualThan,
    GreaterThan,
    GreaterEqualThan,
    In,
    NotIn,
    Like,
    MatchRegEx,
    AnyEq,
    AnyLike,
    Between,
    IsNull,
    IsNotNull,
    Contains,
    StartsWith,
    EndsWith,
}

impl From<Operator> for FilterOperator {
    fn from(operator: Operator) -> FilterOperator {
        match operator {
            Operator::Equals => FilterOperator::Equals,
            Operator::NotEquals => FilterOperator::NotEquals,
            Operator::LessThan => FilterOperator::LessThan,
            Operator::LessEqualThan => FilterOperator::LessThanOrEqual,
            Operator::GreaterThan => FilterOperator::GreaterThan,
            Operator::GreaterEqualThan => FilterOperator::GreaterThanOrEqual,
            Operator::In => FilterOperator::In,
            Operator::NotIn => FilterOperator::NotIn,
            Operator::Like => FilterOperator::Like,
            Operator::MatchRegEx => FilterOperator::Regex,
            Operator::AnyEq => FilterOperator::AnyEq,
            Operator::AnyLike => FilterOperator::AnyLike,
            Operator::Between => FilterOperator::Between,
            Operator::IsNull => FilterOperator::IsNull,
            Operator::IsNotNull => FilterOperator::IsNotNull,
            Operator::Contains => FilterOperator::Contains,
            Operator::StartsWith => FilterOperator::StartsWith,
            Operator::EndsWith => FilterOperator::EndsWith,
        }
    }
}

/// `FieldFilter`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FieldFilterInput {
    pub attribute_path: String,
    pub operator: Operator,
    #[serde(default)]
    pub comparison_value: Option<Value>,
    #[serde(default)]
    pub secondary_value: Option<Value>,
}

impl From<FieldFilterInput> for FieldFilter {
    fn from(input: FieldFilterInput) -> FieldFilter {
        FieldFilter {
            attribute_path: input.attribute_path,
            operator: input.operator.into(),
            value: input.comparison_value,
            second_value: input.secondary_value,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum GroupOperator {
    And,
    Or,
}

/// `FieldFilterGroup`: filters combined with AND or OR, with nested groups.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FieldFilterGroupInput {
    pub operator: GroupOperator,
    #[serde(default)]
    pub field_filters: Vec<FieldFilterInput>,
    #[serde(default)]
    pub nested: Vec<FieldFilterGroupInput>,
}

impl From<FieldFilterGroupInput> for FilterGroup {
    fn from(input: FieldFilterGroupInput) -> FilterGroup {
        FilterGroup {
            logic: match input.operator {
                GroupOperator::And => Logic::And,
                GroupOperator::Or => Logic::Or,
            },
            fields: input.field_filters.into_iter().map(Into::into).collect(),
            nested: input.nested.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum SortOrder {
    Default,
    Ascending,
    Descending,
}

/// `Sort`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SortInput {
    attribute_path: String,
    #[serde(default = "default_order")]
    sort_order: SortOrder,
}

fn default_order() -> SortOrder {
    SortOrder::Default
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryOptions {
    #[serde(default)]
    include_archived_entities: bool,
}

/// `fieldFilter` (AND-ed) and `fieldFilterGroup` as one filter tree.
pub(crate) fn filter_group(args: &Args) -> Result<Option<FilterGroup>, FieldError> {
    let group: Option<FilterGroup> = args
        .get::<FieldFilterGroupInput>("fieldFilterGroup")?
        .map(Into::into);
    let flat: Vec<FieldFilterInput> = args.get("fieldFilter")?.unwrap_or_default();
    if flat.is_empty() {
        return Ok(group);
    }
    let fields: Vec<FieldFilter> = flat.into_iter().map(Into::into).collect();
    Ok(Some(FilterGroup {
        logic: Logic::And,
        fields,
        nested: group.into_iter().collect(),
    }))
}

/// The arguments of `runtimeEntities` and `associations.targets` as a store query.
pub(crate) fn entity_query(args: &Args, ck_type: String) -> Result<EntityQuery, FieldError> {
    let paging = Paging::from_args(args)?;
    let filter = filter_group(args)?;
    let sort = args
        .get::<Vec<SortInput>>("sortOrder")?
        .unwrap_or_default()
        .into_iter()
        .map(|sort| SortColumn {
            attribute_path: sort.attribute_path,
            descending: matches!(sort.sort_order, SortOrder::Descending),
        })
        .collect();
    let mut rt_ids: Option<Vec<String>> = args.get("rtIds")?;
    if let Some(rt_id) = args.get::<String>("rtId")? {
        rt_ids.get_or_insert_with(Vec::new).push(rt_id);
    }
    let options = args.get::<QueryOptions>("options")?.unwrap_or_default();
    Ok(EntityQuery {
        ck_type,
        filter,
        search: args
            .get::<SearchFilter>("searchFilter")?
            .and_then(|search| search.search_term),
        sort,
        // `first: 0` asks only for the total count; the store reads one row for it.
        limit: paging
            .first
            .unwrap_or(DEFAULT_PAGE)
            .clamp(1, MAX_LIMIT as usize) as u32,
        offset: u32::try_from(paging.offset)
            .map_err(|_| FieldError::invalid("the offset is too large"))?,
        include_archived: options.include_archived_entities,
        attribute_paths: args.get("attributePaths")?,
        rt_ids,
        related: None,
    })
}

/// Entities per page when `first` is not given.
pub(crate) const DEFAULT_PAGE: usize = 100;

/// A store refusal as a GraphQL field error with the asset repository's codes.
pub(crate) fn store_error(error: StoreError) -> FieldError {
    let message = error.to_string();
    match error {
        StoreError::Invalid(_)
        | StoreError::InvalidQuery(_)
        | StoreError::Ck(_)
        | StoreError::InvalidTenantId(_) => FieldError::invalid(message),
        StoreError::NotFound(_) | StoreError::TenantNotFound(_) => FieldError {
            message,
            code: "NOT_FOUND",
            details: None,
        },
        StoreError::Conflict {
            rt_id,
            expected,
            current,
        } => FieldError {
            message,
            code: "CONFLICT",
            details: Some(serde_json::json!({
                "rtId": rt_id, "expectedVersion": expected, "currentVersion": current,
            })),
        },
        StoreError::TenantExists(_) | StoreError::DatabaseUnavailable(_) => FieldError {
            message,
            code: "ASSET1002",
            details: None,
        },
        StoreError::Db(_) | StoreError::Io(_) => {
            tracing::error!(%message, "asset repository storage failed");
            FieldError {
                message: "the data store failed; see the platform's log".into(),
                code: "ASSET1001",
                details: None,
            }
        }
    }
}
