//! Entity queries: field filters (every operator of the catalog, And/Or with nesting), text search,
//! sort, paging with a total count, archived entities excluded unless asked for, projection.
//!
//! Attribute paths are checked against the CK type before any SQL is built: an unknown path, a
//! filter on a whole record, or an operator that does not fit the value type is refused with a
//! message that says what to write instead. Values are always bound parameters; paths and the type
//! id are validated identifiers, inlined so that SQLite can use the CK-declared partial indexes.

use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value};

use super::entities::StoredEntity;
use super::error::StoreError;
use super::tenant::{Tenant, declared_index_name, declared_index_paths};
use crate::ck::catalog::CkCatalog;
use crate::ck::model::{Attribute, ElementId, ValueType};

/// Field-filter operators (the MCP catalog's `FilterOperatorDto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logic {
    And,
    Or,
}

#[derive(Debug, Clone)]
pub struct FieldFilter {
    pub attribute_path: String,
    pub operator: FilterOperator,
    pub value: Option<Value>,
    pub second_value: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct FilterGroup {
    pub logic: Logic,
    pub fields: Vec<FieldFilter>,
    pub nested: Vec<FilterGroup>,
}

#[derive(Debug, Clone)]
pub struct SortColumn {
    pub attribute_path: String,
    pub descending: bool,
}

#[derive(Debug, Clone)]
pub struct EntityQuery {
    pub ck_type: String,
    pub filter: Option<FilterGroup>,
    /// Case-insensitive substring over every text value of the entity.
    pub search: Option<String>,
    pub sort: Vec<SortColumn>,
    pub limit: u32,
    pub offset: u32,
    pub include_archived: bool,
    /// Only these attribute paths in the result (dot paths reach into records).
    pub attribute_paths: Option<Vec<String>>,
    /// Only these entities.
    pub rt_ids: Option<Vec<String>>,
    /// Only the entities associated with one entity by one role.
    pub related: Option<Related>,
}

/// The entities at the other end of `role` from `rt_id`, followed in `direction`.
#[derive(Debug, Clone)]
pub struct Related {
    pub rt_id: String,
    pub role: String,
    pub direction: super::entities::Direction,
}

impl EntityQuery {
    /// A query of one type with defaults: no filter, first page of [`MAX_LIMIT`] / 10.
    pub fn of_type(ck_type: impl Into<String>) -> EntityQuery {
        EntityQuery {
            ck_type: ck_type.into(),
            filter: None,
            search: None,
            sort: Vec::new(),
            limit: 100,
            offset: 0,
            include_archived: false,
            attribute_paths: None,
            rt_ids: None,
            related: None,
        }
    }
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct EntityPage {
    pub total_count: u64,
    pub entities: Vec<StoredEntity>,
}

/// Largest page.
pub const MAX_LIMIT: u32 = 1000;

/// A resolved attribute path: the JSON path in storage, and the value type at its end.
struct ResolvedPath {
    sql: String,
    value_type: Option<ValueType>,
    /// For a record: its field names, to suggest dot paths.
    record_fields: Vec<String>,
}

impl Tenant {
    /// Runs a query.
    pub fn query_entities(&self, query: &EntityQuery) -> Result<EntityPage, StoreError> {
        if query.limit == 0 || query.limit > MAX_LIMIT {
            return Err(StoreError::InvalidQuery(vec![format!(
                "`limit` must be 1 to {MAX_LIMIT}, not {}",
                query.limit
            )]));
        }
        let (where_sql, parameters, order_sql, hint) = {
            let catalog = self.catalog();
            let type_id = ElementId::parse(&query.ck_type)
                .filter(|id| catalog.ck_type(id).is_some())
                .ok_or_else(|| {
                    StoreError::InvalidQuery(vec![format!("unknown CK type `{}`", query.ck_type)])
                })?;
            let builder = Builder {
                catalog: &catalog,
                type_id: &type_id,
            };
            let mut parameters = Vec::new();
            let concrete = catalog.concrete_types(&type_id);
            let single_type = concrete.len() == 1 && concrete[0] == type_id;
            let mut clauses = vec![if single_type {
                format!("ck_type = '{}'", sql_literal(&type_id.to_string()))
            } else if concrete.is_empty() {
                "0".to_owned()
            } else {
                format!(
                    "ck_type IN ({})",
                    concrete
                        .iter()
                        .map(|id| format!("'{}'", sql_literal(&id.to_string())))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }];
            if let Some(rt_ids) = &query.rt_ids {
                clauses.push("rt_id IN (SELECT value FROM json_each(?))".into());
                parameters.push(SqlValue::Text(
                    serde_json::to_string(rt_ids).unwrap_or_else(|_| "[]".into()),
                ));
            }
            if let Some(related) = &query.related {
                let role = ElementId::parse(&related.role).ok_or_else(|| {
                    StoreError::InvalidQuery(vec![format!(
                        "`{}` is not an association role id: write `Model/Role`, e.g. `System/ParentChild`",
                        related.role
                    )])
                })?;
                let (from, to) = match related.direction {
                    super::entities::Direction::Outbound => ("origin", "target"),
                    super::entities::Direction::Inbound => ("target", "origin"),
                };
                clauses.push(format!(
                    "rt_id IN (SELECT {to} FROM associations WHERE {from} = ? AND role = ?)"
                ));
                parameters.push(SqlValue::Text(related.rt_id.clone()));
                parameters.push(SqlValue::Text(role.to_string()));
            }
            if !query.include_archived {
                clauses.push("archived = 0".into());
            }
            if let Some(filter) = &query.filter {
                clauses.push(
                    builder
                        .group(filter, &mut parameters)
                        .map_err(|error| StoreError::InvalidQuery(vec![error]))?,
                );
            }
            if let Some(search) = query
                .search
                .as_deref()
                .filter(|search| !search.trim().is_empty())
            {
                clauses.push("EXISTS (SELECT 1 FROM json_tree(entities.attributes) WHERE type = 'text' AND value LIKE ? ESCAPE '\\')".into());
                parameters.push(SqlValue::Text(format!("%{}%", escape_like(search.trim()))));
            }
            let mut order = Vec::new();
            for column in &query.sort {
                let path = builder
                    .path(&column.attribute_path)
                    .map_err(|error| StoreError::InvalidQuery(vec![error]))?;
                order.push(format!(
                    "{} {}",
                    path.sql,
                    if column.descending { "DESC" } else { "ASC" }
                ));
            }
            order.push("rt_id ASC".into());
            // A top-level AND filter on a CK-declared index path uses that index (SQLite's planner
            // has no statistics to prefer it over the type index on its own).
            let hint = query
                .filter
                .as_ref()
                .filter(|filter| filter.logic == Logic::And && single_type)
                .and_then(|filter| {
                    filter.fields.iter().find(|field| {
                        matches!(
                            field.operator,
                            FilterOperator::Equals
                                | FilterOperator::GreaterThan
                                | FilterOperator::GreaterThanOrEqual
                                | FilterOperator::LessThan
                                | FilterOperator::LessThanOrEqual
                                | FilterOperator::Between
                                | FilterOperator::In
                        ) && declared_index_paths(&catalog, &type_id)
                            .contains(&field.attribute_path)
                    })
                })
                .map(|field| {
                    format!(
                        " INDEXED BY \"{}\"",
                        declared_index_name(&type_id, &field.attribute_path)
                    )
                })
                .unwrap_or_default();
            (clauses.join(" AND "), parameters, order.join(", "), hint)
        };
        let db = self.db();
        let total_count: i64 = db.query_row(
            &format!("SELECT COUNT(*) FROM entities{hint} WHERE {where_sql}"),
            rusqlite::params_from_iter(parameters.iter()),
            |row| row.get(0),
        )?;
        let mut statement = db.prepare(&format!(
            "SELECT rt_id, ck_type, well_known_name, version, created, changed, archived, attributes
             FROM entities{hint} WHERE {where_sql} ORDER BY {order_sql} LIMIT {} OFFSET {}",
            query.limit, query.offset
        ))?;
        let mut entities = statement
            .query_map(
                rusqlite::params_from_iter(parameters.iter()),
                super::entities::stored,
            )?
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(paths) = &query.attribute_paths {
            for entity in &mut entities {
                entity.attributes = project(&entity.attributes, paths);
            }
        }
        Ok(EntityPage {
            total_count: total_count as u64,
            entities,
        })
    }
}

struct Builder<'a> {
    catalog: &'a CkCatalog,
    type_id: &'a ElementId,
}

impl Builder<'_> {
    fn group(&self, group: &FilterGroup, parameters: &mut Vec<SqlValue>) -> Result<String, String> {
        let mut parts = Vec::new();
        for field in &group.fields {
            parts.push(self.field(field, parameters)?);
        }
        for nested in &group.nested {
            parts.push(self.group(nested, parameters)?);
        }
        if parts.is_empty() {
            return Ok("1".into());
        }
        let joiner = match group.logic {
            Logic::And => " AND ",
            Logic::Or => " OR ",
        };
        Ok(format!("({})", parts.join(joiner)))
    }

    /// `Name`, `NamePlate.SerialNumber` (into records), or a system column.
    fn path(&self, attribute_path: &str) -> Result<ResolvedPath, String> {
        let system = match attribute_path {
            "rtId" => Some(("rt_id", ValueType::String)),
            "rtWellKnownName" => Some(("well_known_name", ValueType::String)),
            "rtCreationDateTime" => Some(("created", ValueType::DateTime)),
            "rtChangedDateTime" => Some(("changed", ValueType::DateTime)),
            "rtVersion" => Some(("version", ValueType::Int64)),
            _ => None,
        };
        if let Some((column, value_type)) = system {
            return Ok(ResolvedPath {
                sql: column.into(),
                value_type: Some(value_type),
                record_fields: Vec::new(),
            });
        }
        let mut segments = attribute_path.split('.');
        let first = segments.next().unwrap_or_default();
        let effective = self.catalog.effective_attributes(self.type_id);
        let (usage, mut attribute): (_, &Attribute) = effective
            .iter()
            .find(|(usage, _)| usage.name == first)
            .map(|(usage, attribute)| (*usage, *attribute))
            .ok_or_else(|| {
                let names: Vec<&str> = effective
                    .iter()
                    .map(|(usage, _)| usage.name.as_str())
                    .collect();
                format!(
                    "`{}` has no attribute `{first}`; its attributes are {}",
                    self.type_id,
                    names.join(", ")
                )
            })?;
        let mut json_path = format!("$.\"{}\"", usage.name);
        for segment in segments {
            let record = match (&attribute.value_type, &attribute.record) {
                (ValueType::Record, Some(record)) => {
                    self.catalog.record(record).ok_or("record not installed")?
                }
                _ => {
                    return Err(format!(
                        "`{attribute_path}`: `{}` is not a record, so it has no field `{segment}`",
                        attribute.id
                    ));
                }
            };
            let field = record.attributes.iter().find(|field| field.name == segment).ok_or_else(|| {
                let names: Vec<&str> = record.attributes.iter().map(|field| field.name.as_str()).collect();
                format!("`{attribute_path}`: record `{}` has no field `{segment}`; its fields are {}", record.id, names.join(", "))
            })?;
            attribute = self
                .catalog
                .attribute(&field.attribute)
                .ok_or("attribute not installed")?;
            json_path.push_str(&format!(".\"{}\"", field.name));
        }
        let record_fields = attribute
            .record
            .as_ref()
            .and_then(|record| self.catalog.record(record))
            .map(|record| {
                record
                    .attributes
                    .iter()
                    .map(|field| field.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        Ok(ResolvedPath {
            sql: format!("json_extract(attributes, '{json_path}')"),
            value_type: Some(attribute.value_type),
            record_fields,
        })
    }

    fn field(
        &self,
        filter: &FieldFilter,
        parameters: &mut Vec<SqlValue>,
    ) -> Result<String, String> {
        use FilterOperator as Op;
        let path = self.path(&filter.attribute_path)?;
        let value_type = path.value_type;
        if matches!(value_type, Some(ValueType::Record | ValueType::RecordArray)) {
            let fields = &path.record_fields;
            let example = fields.first().map_or("Field", String::as_str);
            return Err(format!(
                "`{}` is a record: filter on one of its fields with a dot path, e.g. `{}.{example}` (its fields: {})",
                filter.attribute_path,
                filter.attribute_path,
                fields.join(", ")
            ));
        }
        let is_array = matches!(
            value_type,
            Some(ValueType::StringArray | ValueType::IntArray)
        );
        let array_operator = matches!(filter.operator, Op::AnyEq | Op::AnyLike);
        let presence_operator = matches!(filter.operator, Op::IsNull | Op::IsNotNull);
        if is_array && !array_operator && !presence_operator {
            return Err(format!(
                "`{}` is an array: use AnyEq or AnyLike (or IsNull/IsNotNull)",
                filter.attribute_path
            ));
        }
        if !is_array && array_operator {
            return Err(format!(
                "{:?} works only on array attributes; `{}` is not one",
                filter.operator, filter.attribute_path
            ));
        }
        let text_only = matches!(
            filter.operator,
            Op::Contains | Op::StartsWith | Op::EndsWith | Op::Like | Op::Regex | Op::AnyLike
        );
        if text_only
            && !matches!(
                value_type,
                Some(
                    ValueType::String
                        | ValueType::StringArray
                        | ValueType::DateTime
                        | ValueType::DateTimeOffset
                )
            )
        {
            return Err(format!(
                "{:?} works on text attributes; `{}` is not text",
                filter.operator, filter.attribute_path
            ));
        }
        let value = || {
            filter.value.as_ref().ok_or_else(|| {
                format!(
                    "{:?} on `{}` needs `value`",
                    filter.operator, filter.attribute_path
                )
            })
        };
        let column = &path.sql;
        let mut bind = |value: &Value| -> Result<(), String> {
            parameters.push(self.sql_value(value, value_type, &filter.attribute_path)?);
            Ok(())
        };
        Ok(match filter.operator {
            Op::Equals => {
                bind(value()?)?;
                format!("{column} = ?")
            }
            Op::NotEquals => {
                bind(value()?)?;
                format!("({column} IS NULL OR {column} <> ?)")
            }
            Op::GreaterThan | Op::GreaterThanOrEqual | Op::LessThan | Op::LessThanOrEqual => {
                bind(value()?)?;
                let sign = match filter.operator {
                    Op::GreaterThan => ">",
                    Op::GreaterThanOrEqual => ">=",
                    Op::LessThan => "<",
                    _ => "<=",
                };
                format!("{column} {sign} ?")
            }
            Op::Between => {
                let second = filter.second_value.as_ref().ok_or_else(|| {
                    format!(
                        "Between on `{}` needs `value` and `secondValue`",
                        filter.attribute_path
                    )
                })?;
                bind(value()?)?;
                bind(second)?;
                format!("{column} BETWEEN ? AND ?")
            }
            Op::In | Op::NotIn => {
                let items = value()?.as_array().ok_or_else(|| {
                    format!(
                        "{:?} on `{}` needs an array `value`",
                        filter.operator, filter.attribute_path
                    )
                })?;
                if items.is_empty() {
                    return Ok(if filter.operator == Op::In {
                        "0".into()
                    } else {
                        "1".into()
                    });
                }
                for item in items {
                    bind(item)?;
                }
                let marks = vec!["?"; items.len()].join(", ");
                if filter.operator == Op::In {
                    format!("{column} IN ({marks})")
                } else {
                    format!("({column} IS NULL OR {column} NOT IN ({marks}))")
                }
            }
            Op::IsNull => format!("{column} IS NULL"),
            Op::IsNotNull => format!("{column} IS NOT NULL"),
            Op::Contains | Op::StartsWith | Op::EndsWith => {
                let text = value()?
                    .as_str()
                    .ok_or_else(|| format!("{:?} needs a string `value`", filter.operator))?;
                let pattern = match filter.operator {
                    Op::Contains => format!("%{}%", escape_like(text)),
                    Op::StartsWith => format!("{}%", escape_like(text)),
                    _ => format!("%{}", escape_like(text)),
                };
                parameters.push(SqlValue::Text(pattern));
                format!("{column} LIKE ? ESCAPE '\\'")
            }
            Op::Like => {
                let text = value()?
                    .as_str()
                    .ok_or("Like needs a string `value` such as `Pump%`")?;
                parameters.push(SqlValue::Text(text.to_owned()));
                format!("{column} LIKE ?")
            }
            Op::Regex => {
                let text = value()?.as_str().ok_or("Regex needs a string `value`")?;
                regex_lite::Regex::new(text).map_err(|error| {
                    format!("`{text}` is not a valid regular expression: {error}")
                })?;
                parameters.push(SqlValue::Text(text.to_owned()));
                format!("regexp(?, {column})")
            }
            Op::AnyEq => {
                let item = value()?;
                let element_type = if value_type == Some(ValueType::IntArray) {
                    Some(ValueType::Int)
                } else {
                    Some(ValueType::String)
                };
                parameters.push(self.sql_value(item, element_type, &filter.attribute_path)?);
                format!("EXISTS (SELECT 1 FROM json_each({column}) WHERE value = ?)")
            }
            Op::AnyLike => {
                let text = value()?
                    .as_str()
                    .ok_or("AnyLike needs a string `value` such as `%pump%`")?;
                parameters.push(SqlValue::Text(text.to_owned()));
                format!("EXISTS (SELECT 1 FROM json_each({column}) WHERE value LIKE ?)")
            }
        })
    }

    /// A filter value as SQL, typed like the attribute (enum names become keys).
    fn sql_value(
        &self,
        value: &Value,
        value_type: Option<ValueType>,
        path: &str,
    ) -> Result<SqlValue, String> {
        let wrong = |expected: &str| {
            format!(
                "`{path}` compares with {expected}, not {}",
                crate::rt::value::describe(value)
            )
        };
        match value_type {
            Some(ValueType::Int | ValueType::Int64) => value
                .as_i64()
                .map(SqlValue::Integer)
                .ok_or_else(|| wrong("an integer")),
            Some(ValueType::Double) => value
                .as_f64()
                .map(SqlValue::Real)
                .ok_or_else(|| wrong("a number")),
            Some(ValueType::Boolean) => value
                .as_bool()
                .map(|flag| SqlValue::Integer(i64::from(flag)))
                .ok_or_else(|| wrong("true or false")),
            Some(ValueType::Enum) => match value {
                Value::Number(_) => value
                    .as_i64()
                    .map(SqlValue::Integer)
                    .ok_or_else(|| wrong("an enum key or name")),
                Value::String(name) => self.enum_key(path, name).map(SqlValue::Integer),
                _ => Err(wrong("an enum key or name")),
            },
            _ => match value {
                Value::String(text) => Ok(SqlValue::Text(text.clone())),
                Value::Number(number) => Ok(SqlValue::Text(number.to_string())),
                _ => Err(wrong("a string")),
            },
        }
    }

    fn enum_key(&self, path: &str, name: &str) -> Result<i64, String> {
        let effective = self.catalog.effective_attributes(self.type_id);
        let first = path.split('.').next().unwrap_or_default();
        let attribute = effective
            .iter()
            .find(|(usage, _)| usage.name == first)
            .map(|(_, attribute)| *attribute);
        let ck_enum = attribute
            .and_then(|attribute| attribute.enumeration.as_ref())
            .and_then(|enumeration| self.catalog.ck_enum(enumeration))
            .ok_or_else(|| format!("`{path}`: its enum is not installed"))?;
        ck_enum
            .values
            .iter()
            .find(|value| value.name == name)
            .map(|value| value.key)
            .ok_or_else(|| {
                let names: Vec<&str> = ck_enum
                    .values
                    .iter()
                    .map(|value| value.name.as_str())
                    .collect();
                format!(
                    "`{name}` is not a value of `{}`; use one of {}",
                    ck_enum.id,
                    names.join(", ")
                )
            })
    }
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn sql_literal(text: &str) -> String {
    text.replace('\'', "''")
}

/// Keeps only `paths` (dot paths into records keep the record with only those fields).
fn project(attributes: &Map<String, Value>, paths: &[String]) -> Map<String, Value> {
    let mut projected = Map::new();
    for path in paths {
        let mut segments = path.split('.');
        let Some(first) = segments.next() else {
            continue;
        };
        let Some(value) = attributes.get(first) else {
            continue;
        };
        let rest: Vec<&str> = segments.collect();
        if rest.is_empty() {
            projected.insert(first.to_owned(), value.clone());
            continue;
        }
        let mut inner = value;
        for segment in &rest {
            match inner.get(segment) {
                Some(next) => inner = next,
                None => break,
            }
        }
        let slot = projected
            .entry(first.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        let mut cursor = slot;
        for (segment_idx, segment) in rest.iter().enumerate() {
            if !cursor.is_object() {
                break;
            }
            let object = cursor.as_object_mut().expect("checked above");
            if segment_idx + 1 == rest.len() {
                object.insert((*segment).to_owned(), inner.clone());
                break;
            }
            cursor = object
                .entry((*segment).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }
    projected
}
