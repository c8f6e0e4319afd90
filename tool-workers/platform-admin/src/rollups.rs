//! Stream-data administration beyond the archive lifecycle: the tenant switch
//! (`enable_stream_data`, `disable_stream_data`), rollups (`create_rollup_archive`,
//! `list_rollups_for_archive`, `freeze_rollup_archive`, `unfreeze_rollup_archive`,
//! `rewind_rollup_watermark`, `backfill_rollup_archive`, `recompute_archive`) and
//! `list_recompute_jobs`. Each is one REST call of `{tenantId}/v1/streamdata/…`.

use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use reqwest::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AdminCtx;

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Answer {
    /// What the asset repository answered (an archive, a list of rollups or jobs, a job).
    pub result: Value,
}

/// One route: `method {tenantId}/v1/streamdata/{path}?{query}` with an optional body.
async fn route(
    ctx: &AdminCtx,
    scope: &CallScope,
    tenant: Option<&str>,
    (method, path): (Method, &[&str]),
    query: &[(&str, String)],
    body: Option<Value>,
    message: String,
) -> Result<Envelope<Answer>, ToolError> {
    let (asset, tenant, token) = ctx.asset.rest(scope, tenant)?;
    let result = asset
        .stream_data(tenant, method, path, query, body.as_ref(), token)
        .await?;
    Ok(Envelope::success(Some(tenant), Answer { result }).with_message(message))
}

/// Turn stream data on for the tenant (it is on unless disabled).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EnableStreamData {
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for EnableStreamData {
    const NAME: &'static str = "enable_stream_data";
    const TITLE: &'static str = "Enable stream data";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<Answer>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let message = "stream data is enabled".to_owned();
        route(
            ctx,
            scope,
            self.tenant_id.as_deref(),
            (Method::POST, &["enable"]),
            &[],
            None,
            message,
        )
        .await
    }
}

/// Turn stream data off for the tenant: writes and queries are refused until it is enabled
/// again; the data is kept. Requires `confirm: true`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DisableStreamData {
    /// Must be true.
    #[serde(default)]
    #[allow(dead_code)]
    confirm: bool,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for DisableStreamData {
    const NAME: &'static str = "disable_stream_data";
    const TITLE: &'static str = "Disable stream data";
    const RISK: Risk = Risk::High;
    type Ctx = AdminCtx;
    type Output = Envelope<Answer>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let message = "stream data is disabled; the data is kept".to_owned();
        route(
            ctx,
            scope,
            self.tenant_id.as_deref(),
            (Method::POST, &["disable"]),
            &[],
            None,
            message,
        )
        .await
    }
}

/// One aggregation of a rollup.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RollupAggregationDto {
    /// A column of the source archive.
    source_path: String,
    /// `Avg` (stored as `_sum` and `_count`), `Min`, `Max`, `Sum`, `Count`, `First`, `Last`,
    /// `TimeWeightedAvg` (stored as `_integral` and `_duration`) or `StateDuration`.
    function: String,
    /// The stored column (default `{sourcePath}_{function}`, lower case).
    #[serde(skip_serializing_if = "Option::is_none")]
    target_column_name: Option<String>,
    /// `StateDuration`: the state to time (a number, or true/false).
    #[serde(skip_serializing_if = "Option::is_none")]
    comparison_value: Option<String>,
}

/// Create a rollup of an archive (raw or rollup) and activate it: buckets of `bucketSizeMs`
/// (or calendar days, ISO weeks, months or years in `referenceTimeZone`), closed once they are
/// `watermarkLagMs` old. A definition that cannot activate is refused and nothing is kept.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateRollupArchive {
    /// The archive to aggregate.
    source_archive_rt_id: String,
    /// Bucket width in ms (for a rollup of a rollup, a multiple of its bucket).
    bucket_size_ms: i64,
    /// How long after its end a bucket is closed, ms (default 300000).
    watermark_lag_ms: Option<i64>,
    /// `FixedSize` (default), `CalendarDay`, `Iso8601Week`, `CalendarMonth` or `CalendarYear`.
    bucket_alignment: Option<String>,
    /// IANA time zone of calendar buckets, e.g. `Europe/Vienna` (default UTC).
    reference_time_zone: Option<String>,
    /// TimeWeightedAvg/StateDuration: how far back the opening value is looked for, ms.
    carry_lookback_ms: Option<i64>,
    /// What to compute per bucket (1 to 64).
    aggregations: Vec<RollupAggregationDto>,
    /// A well-known name for the rollup entity.
    rt_well_known_name: Option<String>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for CreateRollupArchive {
    const NAME: &'static str = "create_rollup_archive";
    const TITLE: &'static str = "Create rollup archive";
    const RISK: Risk = Risk::Medium;
    type Ctx = AdminCtx;
    type Output = Envelope<Answer>;

    async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
        let body = json!({
            "bucketSizeMs": self.bucket_size_ms,
            "watermarkLagMs": self.watermark_lag_ms,
            "bucketAlignment": self.bucket_alignment,
            "referenceTimeZone": self.reference_time_zone,
            "carryLookbackMs": self.carry_lookback_ms,
            "aggregations": self.aggregations,
            "rtWellKnownName": self.rt_well_known_name,
        });
        let message = format!(
            "rollup of {} created and activated",
            self.source_archive_rt_id
        );
        let path = ["archives", self.source_archive_rt_id.as_str(), "rollups"];
        route(
            ctx,
            scope,
            self.tenant_id.as_deref(),
            (Method::POST, &path),
            &[],
            Some(body),
            message,
        )
        .await
    }
}

/// Declares a tool around one rollup route: the argument struct (the archive's rtId under
/// `$id`, extra arguments sent as query parameters) and its `Tool` impl.
macro_rules! rollup_tool {
    (
        $type:ident, $name:literal, $title:literal, $risk:expr, $method:expr, $action:literal,
        $id:ident, $doc:literal, { $($(#[$meta:meta])* $field:ident : $field_type:ty => $param:literal),* }
    ) => {
        #[doc = $doc]
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub(crate) struct $type {
            /// The archive's rtId.
            $id: String,
            $($(#[$meta])* $field: $field_type,)*
            /// The tenant (default: the endpoint's tenant).
            tenant_id: Option<String>,
        }

        impl Tool for $type {
            const NAME: &'static str = $name;
            const TITLE: &'static str = $title;
            const RISK: Risk = $risk;
            type Ctx = AdminCtx;
            type Output = Envelope<Answer>;

            async fn call(self, ctx: &AdminCtx, scope: &CallScope) -> Result<Self::Output, ToolError> {
                #[allow(unused_mut)]
                let mut query: Vec<(&str, String)> = Vec::new();
                $(if let Some(value) = QueryValue::text(&self.$field) {
                    query.push(($param, value));
                })*
                let message = format!("{} {}", $name.replace('_', " "), self.$id);
                let path = ["archives", self.$id.as_str(), $action];
                route(ctx, scope, self.tenant_id.as_deref(), ($method, &path), &query, None, message).await
            }
        }
    };
}

/// How an argument becomes a query parameter (`None` and `false` are left out).
trait QueryValue {
    fn text(&self) -> Option<String>;
}

impl QueryValue for String {
    fn text(&self) -> Option<String> {
        Some(self.clone())
    }
}

impl QueryValue for Option<String> {
    fn text(&self) -> Option<String> {
        self.clone().filter(|text| !text.is_empty())
    }
}

impl QueryValue for bool {
    fn text(&self) -> Option<String> {
        self.then(|| "true".to_owned())
    }
}

rollup_tool!(
    ListRollupsForArchive,
    "list_rollups_for_archive",
    "List rollups of an archive",
    Risk::Low,
    Method::GET,
    "rollups",
    source_archive_rt_id,
    "List the rollup archives of a source archive: rtId, status, bucket size and alignment, watermark (lastAggregatedBucketEnd), freeze state and columns.",
    {}
);
rollup_tool!(FreezeRollupArchive, "freeze_rollup_archive", "Freeze rollup archive", Risk::Medium,
    Method::POST, "freeze", rollup_rt_id,
    "Freeze a rollup up to `until`: buckets ending at or before it are never rewritten (not by recomputes, rewinds or backfills). Freezing only moves forward.",
    { /// RFC 3339 instant, e.g. 2026-05-11T14:00:00Z.
      until: String => "until" });
rollup_tool!(UnfreezeRollupArchive, "unfreeze_rollup_archive", "Unfreeze rollup archive", Risk::Medium,
    Method::POST, "unfreeze", rollup_rt_id,
    "Clear a rollup's FrozenUntil. When the source no longer holds the frozen range, pass acceptGaps=true: later recomputes there would leave gaps.",
    { /// Accept gaps where the source was truncated.
      #[serde(default)]
      accept_gaps: bool => "acceptGaps" });
rollup_tool!(RewindRollupWatermark, "rewind_rollup_watermark", "Rewind rollup watermark", Risk::High,
    Method::POST, "rewind", rollup_rt_id,
    "Move a rollup's watermark back to `toBucketEnd` (truncated to a bucket boundary): the orchestrator aggregates the range again and replaces its rows (frozen buckets excepted). Requires confirm: true.",
    { /// RFC 3339 instant.
      to_bucket_end: String => "toBucketEnd",
      /// Must be true.
      #[serde(default)]
      #[allow(dead_code)]
      confirm: bool => "confirm" });
rollup_tool!(BackfillRollupArchive, "backfill_rollup_archive", "Backfill rollup archive", Risk::High,
    Method::POST, "backfill-from-source", rollup_rt_id,
    "Queue a durable background job that aggregates the rollup over the whole history of its source (replacing its rows outside the frozen range); answers at once with the job (poll list_recompute_jobs). Requires confirm: true.",
    { /// Must be true.
      #[serde(default)]
      #[allow(dead_code)]
      confirm: bool => "confirm" });
rollup_tool!(RecomputeArchive, "recompute_archive", "Recompute rollup range", Risk::Medium,
    Method::POST, "recompute", rollup_rt_id,
    "Queue a recompute of a rollup over [from, to) (widened to bucket boundaries), optionally for one series; a pending job of the same scope is widened instead. Answers with the job.",
    { /// RFC 3339, inclusive.
      from: String => "from",
      /// RFC 3339, exclusive.
      to: String => "to",
      /// Only this series (entity rtId).
      rt_id_scope: Option<String> => "rtIdScope" });
rollup_tool!(
    ListRecomputeJobs,
    "list_recompute_jobs",
    "List recompute jobs",
    Risk::Low,
    Method::GET,
    "recompute-jobs",
    archive_rt_id,
    "List the newest recompute jobs of a rollup (at most 50, newest first): state, trigger, range, rows written, timings, and the reason of a failure.",
    {}
);
