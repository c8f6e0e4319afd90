//! Persisted queries: entities of a `System/PersistentQuery` subtype, read back as an
//! [`EntityQuery`] of their CK type (`QueryCkTypeId`) with their field filters (`FieldFilter`
//! records: attribute path, `FieldFilterOperator` key, comparison value as text) and sorting
//! (`Sorting` records: attribute path, `SortOrders` key), as the runtime-model export replays them.

use serde_json::Value;

use super::entities::StoredEntity;
use super::error::StoreError;
use super::query::{EntityQuery, FieldFilter, FilterGroup, FilterOperator, Logic, SortColumn};
use super::tenant::Tenant;
use crate::ck::model::ElementId;

/// The abstract base type of persisted queries.
pub const PERSISTENT_QUERY_TYPE: &str = "System/PersistentQuery";

impl Tenant {
    /// The persisted query `rt_id` as a query of its CK type (first page of [`super::MAX_LIMIT`];
    /// the caller pages on). `Ok(None)`: there is no such persisted query. A query without
    /// `QueryCkTypeId`, or with an operator that cannot be replayed, is refused.
    pub fn persisted_query(&self, rt_id: &str) -> Result<Option<EntityQuery>, StoreError> {
        let Some(entity) = self.get_entity(rt_id)?.filter(|entity| !entity.archived) else {
            return Ok(None);
        };
        let is_query = {
            let catalog = self.catalog();
            let base = ElementId::parse(PERSISTENT_QUERY_TYPE).expect("a literal id");
            ElementId::parse(&entity.ck_type).is_some_and(|id| catalog.derives_from(&id, &base))
        };
        if !is_query {
            return Ok(None);
        }
        query_of(&entity).map(Some)
    }
}

fn invalid(message: String) -> StoreError {
    StoreError::Invalid(vec![message])
}

fn records<'a>(entity: &'a StoredEntity, name: &str) -> impl Iterator<Item = &'a Value> {
    entity
        .attributes
        .get(name)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn query_of(entity: &StoredEntity) -> Result<EntityQuery, StoreError> {
    let ck_type = entity
        .attributes
        .get("QueryCkTypeId")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .ok_or_else(|| {
            invalid(format!(
                "persisted query `{}` names no CK type (QueryCkTypeId is not set): set it, e.g. with update_entity, then export again",
                entity.rt_id
            ))
        })?;
    let mut fields = Vec::new();
    for record in records(entity, "FieldFilter") {
        let path = record
            .get("AttributePath")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let operator = match record.get("Operator").and_then(Value::as_i64) {
            Some(0) => FilterOperator::Equals,
            Some(1) => FilterOperator::NotEquals,
            Some(2) => FilterOperator::LessThan,
            Some(3) => FilterOperator::LessThanOrEqual,
            Some(4) => FilterOperator::GreaterThan,
            Some(5) => FilterOperator::GreaterThanOrEqual,
            Some(6) => FilterOperator::In,
            Some(7) => FilterOperator::NotIn,
            Some(8) => FilterOperator::Like,
            Some(9) => FilterOperator::Regex,
            Some(10) => FilterOperator::AnyEq,
            Some(11) => FilterOperator::AnyLike,
            other => {
                return Err(invalid(format!(
                    "persisted query `{}`: the filter on `{path}` uses operator {other:?}, which cannot be replayed; use Equals … AnyLike (keys 0-11)",
                    entity.rt_id
                )));
            }
        };
        // Comparison values are stored as text: numbers, booleans and arrays in JSON form.
        let value = record
            .get("ComparisonValue")
            .and_then(Value::as_str)
            .map(|raw| {
                serde_json::from_str::<Value>(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
            });
        fields.push(FieldFilter {
            attribute_path: path,
            operator,
            value,
            second_value: None,
        });
    }
    let sort = records(entity, "Sorting")
        .map(|record| SortColumn {
            attribute_path: record
                .get("AttributePath")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            descending: record.get("SortOrder").and_then(Value::as_i64) == Some(2),
        })
        .collect();
    let mut query = EntityQuery::of_type(ck_type);
    query.limit = super::MAX_LIMIT;
    query.sort = sort;
    query.filter = (!fields.is_empty()).then_some(FilterGroup {
        logic: Logic::And,
        fields,
        nested: Vec::new(),
    });
    Ok(query)
}
