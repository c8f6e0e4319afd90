//! `execute_runtime_query` and `execute_stream_data_query`: replay a persisted query (an entity
//! of a `System/PersistentQuery` subtype) with extra filters AND-ed to its own, and paging or
//! window overrides.

use octomesh_octo_client::TenantSession;
use octomesh_octo_client::dto::FieldFilterCriteriaDto;
use octomesh_octo_client::stream_data::{AggregationColumn, Window};
use octomesh_octo_client::types::{
    EntityQuery, FieldFilter, FilterGroup, FilterOperator, Logic, RtEntity, Sort,
};
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::AggregationCtx;

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryResult {
    pub query_rt_id: String,
    /// The persisted query's type, e.g. `SimpleRtQuery` or `DownsamplingSdQuery`.
    pub query_subtype: String,
    /// Simple runtime queries: the entities of the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<RtEntity>>,
    /// Simple runtime queries: all matching entities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u64>,
    /// Aggregations and stream-data queries: the rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<Map<String, Value>>>,
    pub row_count: usize,
}

fn invalid(message: String) -> ToolError {
    ToolError::InvalidArguments(message)
}

/// The persisted query entity `rt_id`.
async fn load(session: &TenantSession<'_>, rt_id: &str) -> Result<RtEntity, ToolError> {
    let mut query = EntityQuery::of_type("System/PersistentQuery");
    query.rt_ids = Some(vec![rt_id.to_owned()]);
    query.first = 1;
    session
        .query_entities(&query)
        .await?
        .entities
        .into_iter()
        .next()
        .ok_or_else(|| {
            ToolError::NotFound(format!(
                "no persisted query `{rt_id}`: query_entities on `System/PersistentQuery` lists them"
            ))
        })
}

fn records<'a>(entity: &'a RtEntity, name: &str) -> impl Iterator<Item = &'a Value> {
    entity
        .attributes
        .get(name)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn text<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value.get(name).and_then(Value::as_str)
}

/// The query's `FieldFilter` records AND-ed with `extra`.
fn filter(
    entity: &RtEntity,
    extra: Option<FieldFilterCriteriaDto>,
) -> Result<Option<FilterGroup>, ToolError> {
    let mut fields = Vec::new();
    for record in records(entity, "FieldFilter") {
        let path = text(record, "AttributePath").unwrap_or_default().to_owned();
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
                    "the persisted filter on `{path}` uses operator {other:?}, which cannot be replayed"
                )));
            }
        };
        // Comparison values are stored as text: numbers, booleans and arrays in JSON form.
        let value = text(record, "ComparisonValue").map(|raw| {
            serde_json::from_str::<Value>(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
        });
        fields.push(FieldFilter {
            attribute_path: path,
            operator,
            value,
            second_value: None,
        });
    }
    let extra = extra.map(FieldFilterCriteriaDto::into_group).transpose()?;
    Ok(match (fields.is_empty(), extra) {
        (true, extra) => extra,
        (false, extra) => Some(FilterGroup {
            logic: Logic::And,
            fields,
            nested: extra.into_iter().collect(),
        }),
    })
}

fn sorting(entity: &RtEntity) -> Vec<Sort> {
    records(entity, "Sorting")
        .map(|record| Sort {
            attribute_path: text(record, "AttributePath").unwrap_or_default().to_owned(),
            descending: record.get("SortOrder").and_then(Value::as_i64) == Some(2),
        })
        .collect()
}

fn strings(entity: &RtEntity, name: &str) -> Option<Vec<String>> {
    entity
        .attributes
        .get(name)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
}

/// The query's `AggregationQueryColumn` records.
fn aggregations(entity: &RtEntity) -> Result<Vec<AggregationColumn>, ToolError> {
    records(entity, "Columns")
        .map(|record| {
            let path = text(record, "AttributePath").map(str::to_owned);
            let function = match record.get("AggregationType").and_then(Value::as_i64) {
                Some(0) => "count",
                Some(1) => "min",
                Some(2) => "max",
                Some(3) => "avg",
                Some(4) => "sum",
                other => {
                    return Err(invalid(format!(
                        "the persisted column on {path:?} uses aggregation {other:?}; replay supports Count, Minimum, Maximum, Average and Sum"
                    )));
                }
            };
            let alias = match &path {
                Some(path) => format!("{function}_{}", path.replace('.', "_")),
                None => "count".into(),
            };
            Ok(AggregationColumn {
                function: function.to_owned(),
                path,
                alias,
            })
        })
        .collect()
}

fn subtype(entity: &RtEntity) -> String {
    entity
        .ck_type_id
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn result(query_rt_id: String, entity: &RtEntity, rows: Vec<Map<String, Value>>) -> QueryResult {
    QueryResult {
        query_rt_id,
        query_subtype: subtype(entity),
        entities: None,
        total_count: None,
        row_count: rows.len(),
        rows: Some(rows),
    }
}

/// Run a persisted runtime query (`SimpleRtQuery`, `AggregationRtQuery` or
/// `GroupingAggregationRtQuery`) by its rtId; `extraFilters` are AND-ed to its own filter.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ExecuteRuntimeQuery {
    /// The persisted query's rtId.
    query_rt_id: String,
    /// More conditions, AND-ed with the query's.
    extra_filters: Option<FieldFilterCriteriaDto>,
    /// Simple queries: entities to skip.
    skip: Option<u32>,
    /// Simple queries: page size, 1 to 1000 (default 100).
    take: Option<u32>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for ExecuteRuntimeQuery {
    const NAME: &'static str = "execute_runtime_query";
    const TITLE: &'static str = "Run a persisted runtime query";
    const RISK: Risk = Risk::Low;
    type Ctx = AggregationCtx;
    type Output = Envelope<QueryResult>;

    async fn call(
        self,
        ctx: &AggregationCtx,
        scope: &CallScope,
    ) -> Result<Self::Output, ToolError> {
        let take = self.take.unwrap_or(100);
        if !(1..=1000).contains(&take) {
            return Err(invalid(format!("`take` must be 1 to 1000, not {take}")));
        }
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let entity = load(&session, &self.query_rt_id).await?;
        let ck_type = entity
            .attributes
            .get("QueryCkTypeId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let filter = filter(&entity, self.extra_filters)?;
        let answer = match subtype(&entity).as_str() {
            "SimpleRtQuery" => {
                let mut query = EntityQuery::of_type(ck_type);
                query.filter = filter;
                query.sort = sorting(&entity);
                query.first = take;
                query.skip = self.skip.unwrap_or(0);
                query.attribute_paths =
                    strings(&entity, "Columns").filter(|paths| !paths.is_empty());
                let page = session.query_entities(&query).await?;
                QueryResult {
                    query_rt_id: self.query_rt_id,
                    query_subtype: subtype(&entity),
                    row_count: page.entities.len(),
                    total_count: Some(page.total_count),
                    entities: Some(page.entities),
                    rows: None,
                }
            }
            "AggregationRtQuery" | "GroupingAggregationRtQuery" => {
                let group_by = strings(&entity, "GroupingColumns").unwrap_or_default();
                let rows = session
                    .aggregate_entities(
                        &ck_type,
                        &group_by,
                        &aggregations(&entity)?,
                        filter.as_ref(),
                    )
                    .await?;
                result(self.query_rt_id, &entity, rows)
            }
            other => {
                return Err(invalid(format!(
                    "`{}` is a {other}, not a runtime query: run it with execute_stream_data_query",
                    self.query_rt_id
                )));
            }
        };
        Ok(Envelope::success(Some(tenant), answer))
    }
}

/// Run a persisted stream-data query (`SimpleSdQuery`, `AggregationSdQuery`,
/// `GroupingAggregationSdQuery` or `DownsamplingSdQuery`) by its rtId, optionally with another
/// window, limit or series, and extra filters AND-ed to its own.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ExecuteStreamDataQuery {
    /// The persisted query's rtId.
    query_rt_id: String,
    /// Window start instead of the query's, RFC 3339.
    from_override: Option<String>,
    /// Window end instead of the query's, RFC 3339.
    to_override: Option<String>,
    /// Rows (simple) or buckets (downsampling) instead of the query's.
    limit_override: Option<u32>,
    /// Series instead of the query's.
    source_rt_ids_override: Option<Vec<String>>,
    /// More conditions, AND-ed with the query's.
    extra_filters: Option<FieldFilterCriteriaDto>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for ExecuteStreamDataQuery {
    const NAME: &'static str = "execute_stream_data_query";
    const TITLE: &'static str = "Run a persisted stream-data query";
    const RISK: Risk = Risk::Low;
    type Ctx = AggregationCtx;
    type Output = Envelope<QueryResult>;

    async fn call(
        self,
        ctx: &AggregationCtx,
        scope: &CallScope,
    ) -> Result<Self::Output, ToolError> {
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let entity = load(&session, &self.query_rt_id).await?;
        let attribute = |name: &str| {
            entity
                .attributes
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let archive = attribute("ArchiveRtId").ok_or_else(|| {
            invalid(format!(
                "persisted query `{}` names no `ArchiveRtId`",
                self.query_rt_id
            ))
        })?;
        let window = Window {
            from: self
                .from_override
                .or_else(|| attribute("From"))
                .unwrap_or_default(),
            to: self
                .to_override
                .or_else(|| attribute("To"))
                .unwrap_or_default(),
            rt_ids: self
                .source_rt_ids_override
                .or_else(|| strings(&entity, "RtIds"))
                .unwrap_or_default(),
            filter: filter(&entity, self.extra_filters)?,
        };
        let limit = self.limit_override.or_else(|| {
            entity
                .attributes
                .get("Limit")
                .and_then(Value::as_u64)
                .map(|limit| limit as u32)
        });
        let needs_window = || {
            if window.from.is_empty() || window.to.is_empty() {
                Err(invalid(format!(
                    "persisted query `{}` has no full window: pass fromOverride and toOverride",
                    self.query_rt_id
                )))
            } else {
                Ok(())
            }
        };
        let rows = match subtype(&entity).as_str() {
            "SimpleSdQuery" => {
                let paths = strings(&entity, "Columns").filter(|paths| !paths.is_empty());
                session
                    .simple(
                        &archive,
                        paths.as_deref(),
                        &window,
                        &sorting(&entity),
                        limit.unwrap_or(1000),
                    )
                    .await?
            }
            "AggregationSdQuery" => {
                needs_window()?;
                session
                    .aggregate(&archive, &aggregations(&entity)?, &window)
                    .await?
            }
            "GroupingAggregationSdQuery" => {
                needs_window()?;
                let group_by =
                    strings(&entity, "GroupingColumns").unwrap_or_else(|| vec!["rtId".into()]);
                session
                    .aggregate_grouped(&archive, &group_by, &aggregations(&entity)?, &window)
                    .await?
            }
            "DownsamplingSdQuery" => {
                needs_window()?;
                let limit = limit.ok_or_else(|| {
                    invalid("a downsampling query needs a `Limit` (or limitOverride)".into())
                })?;
                session
                    .downsample(&archive, &aggregations(&entity)?, &window, limit)
                    .await?
            }
            other => {
                return Err(invalid(format!(
                    "`{}` is a {other}, not a stream-data query: run it with execute_runtime_query",
                    self.query_rt_id
                )));
            }
        };
        Ok(Envelope::success(
            Some(tenant),
            result(self.query_rt_id, &entity, rows),
        ))
    }
}
