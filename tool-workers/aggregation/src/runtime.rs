//! `query_entities_aggregation` and `query_entities_grouping`: count, sum, avg, min and max over
//! the runtime entities of a CK type, optionally grouped by attribute paths.

use octomesh_octo_client::dto::{AggregationColumnDto, FieldFilterCriteriaDto, columns};
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::AggregationCtx;

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EntityRows {
    pub ck_type_id: String,
    pub row_count: usize,
    /// One object per row (group): group-by path → value, and alias → aggregate (`null` where
    /// no entity had a value).
    pub rows: Vec<Map<String, Value>>,
}

/// The shared body of both tools.
async fn aggregate(
    ctx: &AggregationCtx,
    scope: &CallScope,
    tenant_id: Option<&str>,
    ck_type_id: String,
    group_by: Vec<String>,
    aggregations: Vec<AggregationColumnDto>,
    filters: Option<FieldFilterCriteriaDto>,
) -> Result<Envelope<EntityRows>, ToolError> {
    let columns = columns(aggregations)?;
    let filter = filters
        .map(FieldFilterCriteriaDto::into_group)
        .transpose()?;
    let (tenant, session) = ctx.session(scope, tenant_id)?;
    let rows = session
        .aggregate_entities(&ck_type_id, &group_by, &columns, filter.as_ref())
        .await?;
    Ok(Envelope::success(
        Some(tenant),
        EntityRows {
            ck_type_id,
            row_count: rows.len(),
            rows,
        },
    ))
}

/// Aggregate the runtime entities of a CK type: `count` (of a path, or of entities without
/// one), `sum`, `avg`, `min`, `max` of numeric attribute paths, over the entities `filters`
/// selects.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct QueryEntitiesAggregation {
    /// The CK type, e.g. `Demo/Sensor` (its subtypes count too).
    ck_type_id: String,
    /// What to compute; default alias `<function>_<path>`, or `count`.
    aggregations: Vec<AggregationColumnDto>,
    /// Which entities.
    filters: Option<FieldFilterCriteriaDto>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for QueryEntitiesAggregation {
    const NAME: &'static str = "query_entities_aggregation";
    const TITLE: &'static str = "Aggregate entities";
    const RISK: Risk = Risk::Low;
    type Ctx = AggregationCtx;
    type Output = Envelope<EntityRows>;

    async fn call(
        self,
        ctx: &AggregationCtx,
        scope: &CallScope,
    ) -> Result<Self::Output, ToolError> {
        aggregate(
            ctx,
            scope,
            self.tenant_id.as_deref(),
            self.ck_type_id,
            Vec::new(),
            self.aggregations,
            self.filters,
        )
        .await
    }
}

/// Aggregate the runtime entities of a CK type per group of attribute values (rows ordered by
/// the group values).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct QueryEntitiesGrouping {
    /// The CK type.
    ck_type_id: String,
    /// The attribute paths to group by (at least one, each once).
    group_by_attribute_paths: Vec<String>,
    /// What to compute per group.
    aggregations: Vec<AggregationColumnDto>,
    /// Which entities.
    filters: Option<FieldFilterCriteriaDto>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for QueryEntitiesGrouping {
    const NAME: &'static str = "query_entities_grouping";
    const TITLE: &'static str = "Group entities";
    const RISK: Risk = Risk::Low;
    type Ctx = AggregationCtx;
    type Output = Envelope<EntityRows>;

    async fn call(
        self,
        ctx: &AggregationCtx,
        scope: &CallScope,
    ) -> Result<Self::Output, ToolError> {
        let mut unique = self.group_by_attribute_paths.clone();
        unique.sort();
        unique.dedup();
        if unique.is_empty() || unique.len() != self.group_by_attribute_paths.len() {
            return Err(ToolError::InvalidArguments(
                "`groupByAttributePaths` names at least one path, each once".into(),
            ));
        }
        aggregate(
            ctx,
            scope,
            self.tenant_id.as_deref(),
            self.ck_type_id,
            self.group_by_attribute_paths,
            self.aggregations,
            self.filters,
        )
        .await
    }
}
