//! `runtime { runtimeEntities(...) }`: entities as Relay connections, each with its attributes
//! and its associations (`targets` to follow a role, `definitions` to list them).

use serde_json::Value;

use super::ck::GraphDirection;
use super::connection::{Connection, Paging, unknown_field};
use super::exec::{Args, FieldError, Object, Out};
use super::input::{entity_query, filter_group, store_error};
use crate::series::query::Function;
use crate::store::EntityAggregate;
use crate::store::{Direction, EntityQuery, Related, StoredEntity, Tenant};

/// The type every entity derives from: the default of `targets` without `ckId`.
const ROOT_TYPE: &str = "System/Entity";

/// `runtime`.
pub(crate) struct RuntimeQuery<'t> {
    pub tenant: &'t Tenant,
}

impl Object for RuntimeQuery<'_> {
    fn type_name(&self) -> &'static str {
        "RuntimeModelQuery"
    }

    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError> {
        match name {
            "runtimeEntities" => {
                let ck_type: String = args.require("ckId")?;
                let query = entity_query(args, ck_type)?;
                run(self.tenant, query, Paging::from_args(args)?)
            }
            "transientQuery" => Ok(Out::object(TransientRuntimeQuery {
                tenant: self.tenant,
            })),
            other => Err(unknown_field("RuntimeModelQuery", other)),
        }
    }
}

/// Runs a query and wraps the page as a connection.
fn run(tenant: &Tenant, query: EntityQuery, paging: Paging) -> Result<Out<'_>, FieldError> {
    let page = tenant.query_entities(&query).map_err(store_error)?;
    let keep = paging.first.unwrap_or(usize::MAX);
    Ok(Out::object(Connection {
        type_name: "RtEntityConnection",
        nodes: page
            .entities
            .into_iter()
            .take(keep)
            .map(|entity| EntityNode { tenant, entity })
            .collect(),
        total_count: page.total_count,
        offset: paging.offset,
    }))
}

/// One runtime entity.
pub(crate) struct EntityNode<'t> {
    pub tenant: &'t Tenant,
    pub entity: StoredEntity,
}

impl Object for EntityNode<'_> {
    fn type_name(&self) -> &'static str {
        "RtEntity"
    }

    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError> {
        let entity = &self.entity;
        Ok(match name {
            "rtId" => Out::leaf(entity.rt_id.clone()),
            "ckTypeId" => Out::leaf(entity.ck_type.clone()),
            "rtWellKnownName" => Out::optional(entity.well_known_name.clone()),
            "rtCreationDateTime" => Out::leaf(entity.created.clone()),
            "rtChangedDateTime" => Out::leaf(entity.changed.clone()),
            "rtVersion" => Out::leaf(entity.version),
            "rtIsArchived" => Out::leaf(entity.archived),
            "attributes" => {
                let names: Option<Vec<String>> = args.get("attributeNames")?;
                let items = entity
                    .attributes
                    .iter()
                    .filter(|(name, _)| names.as_ref().is_none_or(|names| names.contains(name)))
                    .map(|(name, value)| (name.clone(), value.clone()))
                    .collect();
                Out::object(AttributeList(items))
            }
            "associations" => Out::object(Associations {
                tenant: self.tenant,
                rt_id: &entity.rt_id,
            }),
            other => return Err(unknown_field("RtEntity", other)),
        })
    }
}

/// `attributes { totalCount items { attributeName value } }`.
struct AttributeList(Vec<(String, Value)>);

impl Object for AttributeList {
    fn type_name(&self) -> &'static str {
        "RtEntityAttributeConnection"
    }

    fn field<'s>(&'s self, name: &str, _args: &Args) -> Result<Out<'s>, FieldError> {
        Ok(match name {
            "totalCount" => Out::leaf(self.0.len()),
            "items" => Out::List(
                self.0
                    .iter()
                    .map(|(name, value)| {
                        Out::leaf(serde_json::json!({"attributeName": name, "value": value}))
                    })
                    .collect(),
            ),
            other => return Err(unknown_field("RtEntityAttributeConnection", other)),
        })
    }
}

/// `associations { targets(...) definitions(direction) }`.
struct Associations<'t> {
    tenant: &'t Tenant,
    rt_id: &'t str,
}

fn direction(args: &Args) -> Result<Option<Direction>, FieldError> {
    Ok(
        match args
            .get::<GraphDirection>("direction")?
            .unwrap_or(GraphDirection::Any)
        {
            GraphDirection::Inbound => Some(Direction::Inbound),
            GraphDirection::Outbound => Some(Direction::Outbound),
            GraphDirection::Any => None,
        },
    )
}

impl Object for Associations<'_> {
    fn type_name(&self) -> &'static str {
        "RtEntityAssociations"
    }

    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError> {
        match name {
            "targets" => {
                let role: String = args.require("roleId")?;
                let direction = direction(args)?.ok_or_else(|| {
                    FieldError::invalid("argument `direction` must be INBOUND or OUTBOUND here")
                })?;
                let ck_type = args
                    .get::<String>("ckId")?
                    .unwrap_or_else(|| ROOT_TYPE.to_owned());
                let mut query = entity_query(args, ck_type)?;
                query.related = Some(Related {
                    rt_id: self.rt_id.to_owned(),
                    role,
                    direction,
                });
                run(self.tenant, query, Paging::from_args(args)?)
            }
            "definitions" => {
                let ends = self
                    .tenant
                    .association_ends(self.rt_id, direction(args)?)
                    .map_err(store_error)?;
                let items = ends
                    .into_iter()
                    .map(|end| {
                        serde_json::json!({
                            "ckAssociationRoleId": end.role,
                            "direction": match end.direction {
                                Direction::Inbound => "INBOUND",
                                Direction::Outbound => "OUTBOUND",
                            },
                            "targetRtId": end.other_rt_id,
                            "targetCkTypeId": end.other_ck_type,
                        })
                    })
                    .collect::<Vec<_>>();
                Ok(Out::leaf(serde_json::json!({
                    "totalCount": items.len(),
                    "items": items,
                })))
            }
            other => Err(unknown_field("RtEntityAssociations", other)),
        }
    }
}

/// `runtime.transientQuery { aggregation groupingAggregation }` over entities, in the tabular
/// shape of the stream-data queries.
struct TransientRuntimeQuery<'t> {
    tenant: &'t Tenant,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AggregationColumnInput {
    #[serde(default)]
    attribute_path: Option<String>,
    aggregation_type: String,
    #[serde(default)]
    alias: Option<String>,
}

impl Object for TransientRuntimeQuery<'_> {
    fn type_name(&self) -> &'static str {
        "TransientRuntimeQuery"
    }

    fn field<'s>(&'s self, name: &str, args: &Args) -> Result<Out<'s>, FieldError> {
        let grouped = match name {
            "aggregation" => false,
            "groupingAggregation" => true,
            other => return Err(unknown_field("TransientRuntimeQuery", other)),
        };
        let ck_type: String = args.require("ckId")?;
        let inputs: Vec<AggregationColumnInput> = args.require("columnPaths")?;
        if inputs.is_empty() || inputs.len() > 32 {
            return Err(FieldError::invalid("`columnPaths` holds 1 to 32 columns"));
        }
        let group_by: Vec<String> = if grouped {
            let paths: Vec<String> = args.require("groupByColumnPaths")?;
            let mut unique = paths.clone();
            unique.sort();
            unique.dedup();
            if paths.is_empty() || unique.len() != paths.len() {
                return Err(FieldError::invalid(
                    "`groupByColumnPaths` names at least one path, each once",
                ));
            }
            paths
        } else {
            Vec::new()
        };
        let mut aliases: Vec<String> = Vec::new();
        let mut columns = Vec::new();
        for input in inputs {
            let function = Function::parse(&input.aggregation_type).ok_or_else(|| {
                FieldError::invalid(format!(
                    "`{}` is not an aggregation: COUNT, SUM, AVG, MIN or MAX",
                    input.aggregation_type
                ))
            })?;
            let alias = input.alias.unwrap_or_else(|| match &input.attribute_path {
                Some(path) => format!("{}_{}", function.name(), path.replace('.', "_")),
                None => "count".into(),
            });
            if aliases.contains(&alias) || group_by.contains(&alias) {
                return Err(FieldError::invalid(format!(
                    "alias `{alias}` is used twice: give the columns distinct aliases"
                )));
            }
            aliases.push(alias);
            columns.push(EntityAggregate {
                path: input.attribute_path,
                function,
            });
        }
        let rows = self
            .tenant
            .aggregate_entities(&ck_type, filter_group(args)?, &group_by, &columns)
            .map_err(store_error)?;
        let mut headers: Vec<(String, &str)> =
            group_by.iter().map(|path| (path.clone(), "ANY")).collect();
        headers.extend(aliases.into_iter().map(|alias| (alias, "DOUBLE")));
        let cells = rows
            .into_iter()
            .map(|(key, values)| {
                key.into_iter()
                    .chain(values.into_iter().map(|value| serde_json::json!(value)))
                    .collect()
            })
            .collect();
        Ok(Out::leaf(super::streamdata::table(&headers, cells)))
    }
}
