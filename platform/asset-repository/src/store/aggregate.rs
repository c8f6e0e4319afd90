//! Aggregations over runtime entities: count, sum, avg, min and max of numeric attribute paths
//! over the entities a filter selects, optionally grouped by attribute paths. Paths are checked
//! against the CK type first, so that a function that does not fit a type is refused by name.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::StoreError;
use super::query::{EntityQuery, FilterGroup, MAX_LIMIT};
use super::tenant::Tenant;
use crate::ck::model::{ElementId, ValueType};
use crate::series::query::{Accumulator, Function};

/// One aggregated column; `path: None` counts entities.
#[derive(Debug, Clone)]
pub struct EntityAggregate {
    pub path: Option<String>,
    pub function: Function,
}

/// One answer row: the group's values (in `group_by` order) and one aggregate per column.
pub type AggregateRow = (Vec<Value>, Vec<Option<f64>>);

/// Most entities one aggregation reads, and most groups it answers.
pub const MAX_AGGREGATED_ENTITIES: u64 = 200_000;
pub const MAX_GROUPS: usize = 10_000;

fn invalid(message: String) -> StoreError {
    StoreError::InvalidQuery(vec![message])
}

/// The value at a dot path of an entity's attributes.
fn value_at<'a>(attributes: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut value = attributes.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        _ => None,
    }
}

impl Tenant {
    /// Aggregates the entities of `ck_type` that pass `filter`, per group of `group_by` values
    /// (one group when empty), ordered by the group values.
    pub fn aggregate_entities(
        &self,
        ck_type: &str,
        filter: Option<FilterGroup>,
        group_by: &[String],
        columns: &[EntityAggregate],
    ) -> Result<Vec<AggregateRow>, StoreError> {
        let paths = {
            let catalog = self.catalog();
            let id = ElementId::parse(ck_type)
                .filter(|id| catalog.ck_type(id).is_some())
                .ok_or_else(|| invalid(format!("unknown CK type `{ck_type}`")))?;
            catalog.attribute_paths(&id, 5)
        };
        let type_of = |path: &str| {
            paths
                .iter()
                .find(|(candidate, _)| candidate == path)
                .map(|(_, value_type)| *value_type)
                .ok_or_else(|| {
                    invalid(format!(
                        "`{path}` is not an attribute path of `{ck_type}` (get_type_schema lists them)"
                    ))
                })
        };
        for column in columns {
            if matches!(column.function, Function::First | Function::Last) {
                return Err(invalid(format!(
                    "`{}` needs time order: it applies to stream data, not to entities",
                    column.function.name()
                )));
            }
            match &column.path {
                None if column.function != Function::Count => {
                    return Err(invalid(format!(
                        "`{}` needs an attribute path",
                        column.function.name()
                    )));
                }
                None => {}
                Some(path) => {
                    let value_type = type_of(path)?;
                    let numeric = matches!(
                        value_type,
                        ValueType::Int | ValueType::Int64 | ValueType::Double
                    );
                    if column.function != Function::Count && !numeric {
                        return Err(invalid(format!(
                            "`{}` does not apply to `{path}`, a {value_type:?} attribute: sum, avg, min and max take Int, Int64 or Double; count takes any",
                            column.function.name()
                        )));
                    }
                }
            }
        }
        for path in group_by {
            let value_type = type_of(path)?;
            if matches!(value_type, ValueType::Record | ValueType::RecordArray) {
                return Err(invalid(format!(
                    "`{path}` is a record: group by one of its fields (`{path}.<field>`)"
                )));
            }
        }
        let mut groups: BTreeMap<String, (Vec<Value>, Vec<Accumulator>)> = BTreeMap::new();
        let mut query = EntityQuery::of_type(ck_type);
        query.filter = filter;
        query.limit = MAX_LIMIT;
        loop {
            let page = self.query_entities(&query)?;
            if page.total_count > MAX_AGGREGATED_ENTITIES {
                return Err(invalid(format!(
                    "{} entities match; aggregations read at most {MAX_AGGREGATED_ENTITIES}: narrow the filter",
                    page.total_count
                )));
            }
            for entity in &page.entities {
                let key: Vec<Value> = group_by
                    .iter()
                    .map(|path| {
                        value_at(&entity.attributes, path)
                            .cloned()
                            .unwrap_or(Value::Null)
                    })
                    .collect();
                let text = Value::Array(key.clone()).to_string();
                if !groups.contains_key(&text) && groups.len() == MAX_GROUPS {
                    return Err(invalid(format!(
                        "more than {MAX_GROUPS} groups: group by fewer or coarser paths"
                    )));
                }
                let (_, accumulators) = groups
                    .entry(text)
                    .or_insert_with(|| (key, vec![Accumulator::default(); columns.len()]));
                for (accumulator, column) in accumulators.iter_mut().zip(columns) {
                    match &column.path {
                        None => accumulator.add(0, 0.0),
                        Some(path) => match value_at(&entity.attributes, path) {
                            None | Some(Value::Null) => {}
                            Some(value) => accumulator.add(0, number(value).unwrap_or(0.0)),
                        },
                    }
                }
            }
            let read = query.offset as usize + page.entities.len();
            if page.entities.is_empty() || read as u64 >= page.total_count {
                break;
            }
            query.offset = read as u32;
        }
        if groups.is_empty() && group_by.is_empty() {
            groups.insert(
                String::new(),
                (Vec::new(), vec![Accumulator::default(); columns.len()]),
            );
        }
        Ok(groups
            .into_values()
            .map(|(key, accumulators)| {
                let values = accumulators
                    .iter()
                    .zip(columns)
                    .map(|(accumulator, column)| accumulator.result(column.function))
                    .collect();
                (key, values)
            })
            .collect())
    }
}
