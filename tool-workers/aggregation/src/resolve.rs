//! `resolve_series_query`: which archive (raw or one of its rollups) to downsample for a window,
//! a target point count and the aggregation the series needs.

use octomesh_octo_client::stream_data::{SeriesRequest, SeriesResolution};
use octomesh_worker_runtime::{CallScope, Envelope, Risk, Tool, ToolError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AggregationCtx;

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Resolved {
    pub resolution: SeriesResolution,
    /// The series to pass on to `query_stream_data_downsampling` as `sourceRtIds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_rt_ids: Option<Vec<String>>,
}

/// Resolution-aware series routing: given a base archive, a window, a target point count and the
/// aggregation the series needs (never guessed: energy sums, power averages, demand maxima), pick
/// the archive to query — the coarsest rollup that stores that aggregation of the path and is
/// still fine enough, else the finest such rollup (`ResolutionLimited`), else the raw archive
/// (`UnknownBaseGrain`). Then call `query_stream_data_downsampling` on `archiveRtId` with
/// `limit = points` and `reducingFunction` over `columns`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ResolveSeriesQuery {
    /// The base (raw) archive of the series.
    base_archive_rt_id: String,
    /// Window start, RFC 3339 (inclusive).
    from: String,
    /// Window end, RFC 3339 (exclusive).
    to: String,
    /// The base archive's column (the logical attribute path), e.g. `LastValue`.
    source_path: String,
    /// `avg`, `min`, `max`, `sum`, `count`, `first` or `last`.
    required_aggregation: String,
    /// Points wanted, 1 to 10,000 (default 600).
    target_points: Option<u32>,
    /// The series the caller will query (passed through).
    rt_ids: Option<Vec<String>>,
    /// The tenant (default: the endpoint's tenant).
    tenant_id: Option<String>,
}

impl Tool for ResolveSeriesQuery {
    const NAME: &'static str = "resolve_series_query";
    const TITLE: &'static str = "Resolve series query";
    const RISK: Risk = Risk::Low;
    type Ctx = AggregationCtx;
    type Output = Envelope<Resolved>;

    async fn call(
        self,
        ctx: &AggregationCtx,
        scope: &CallScope,
    ) -> Result<Self::Output, ToolError> {
        let (tenant, session) = ctx.session(scope, self.tenant_id.as_deref())?;
        let resolution = session
            .resolve_series_query(&SeriesRequest {
                base_archive_rt_id: self.base_archive_rt_id,
                from: self.from,
                to: self.to,
                source_path: self.source_path,
                required_aggregation: self.required_aggregation,
                target_points: self.target_points.unwrap_or(600),
            })
            .await?;
        let message = format!(
            "{}: query {} ({} points of {} ms)",
            resolution.signal,
            resolution.archive_rt_id,
            resolution.points,
            resolution.effective_bucket_ms
        );
        Ok(Envelope::success(
            Some(tenant),
            Resolved {
                resolution,
                source_rt_ids: self.rt_ids,
            },
        )
        .with_message(message))
    }
}
