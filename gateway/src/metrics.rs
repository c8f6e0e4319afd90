//! `GET /metrics`: the gateway's figures in the Prometheus text format — tool calls by tool, family
//! and outcome, call durations as a histogram, calls in flight, open server streams, and worker
//! endpoints (all and healthy) per family. Counts are per replica, since its start. Tool names and
//! families are the only labels: nothing from arguments, results or callers.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;
use crate::stats::DURATION_BUCKETS;

/// A label value, escaped as the format asks.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub(crate) fn render(state: &AppState) -> String {
    let catalog = state.catalog();
    let family_of = |tool: &str| {
        catalog
            .tool(tool)
            .map_or("unknown".to_owned(), |tool| tool.pool.family.clone())
    };
    let counters = state.stats.counters();
    let mut out = String::new();
    out.push_str(
        "# HELP octomesh_mcp_tool_calls_total Tool calls answered, by tool, family and outcome.\n",
    );
    out.push_str("# TYPE octomesh_mcp_tool_calls_total counter\n");
    for (tool, counter) in &counters {
        let (tool_label, family) = (label(tool), label(&family_of(tool)));
        for (outcome, count) in [("ok", counter.ok), ("error", counter.error)] {
            let _ = writeln!(
                out,
                "octomesh_mcp_tool_calls_total{{tool=\"{tool_label}\",family=\"{family}\",outcome=\"{outcome}\"}} {count}"
            );
        }
    }
    out.push_str("# HELP octomesh_mcp_tool_call_duration_seconds How long tool calls took, by tool and family.\n");
    out.push_str("# TYPE octomesh_mcp_tool_call_duration_seconds histogram\n");
    for (tool, counter) in &counters {
        let (tool_label, family) = (label(tool), label(&family_of(tool)));
        let mut cumulative = 0;
        for (bound, count) in DURATION_BUCKETS.iter().zip(counter.buckets) {
            cumulative += count;
            let _ = writeln!(
                out,
                "octomesh_mcp_tool_call_duration_seconds_bucket{{tool=\"{tool_label}\",family=\"{family}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let total = cumulative + counter.over;
        let _ = writeln!(
            out,
            "octomesh_mcp_tool_call_duration_seconds_bucket{{tool=\"{tool_label}\",family=\"{family}\",le=\"+Inf\"}} {total}"
        );
        let _ = writeln!(
            out,
            "octomesh_mcp_tool_call_duration_seconds_sum{{tool=\"{tool_label}\",family=\"{family}\"}} {}",
            counter.seconds
        );
        let _ = writeln!(
            out,
            "octomesh_mcp_tool_call_duration_seconds_count{{tool=\"{tool_label}\",family=\"{family}\"}} {total}"
        );
    }
    out.push_str("# HELP octomesh_mcp_calls_in_flight Sessionful tool calls running now.\n");
    out.push_str("# TYPE octomesh_mcp_calls_in_flight gauge\n");
    let _ = writeln!(
        out,
        "octomesh_mcp_calls_in_flight {}",
        state.hub.calls_in_flight()
    );
    out.push_str("# HELP octomesh_mcp_open_streams Server-initiated streams (GET and legacy SSE) open now.\n");
    out.push_str("# TYPE octomesh_mcp_open_streams gauge\n");
    let _ = writeln!(
        out,
        "octomesh_mcp_open_streams {}",
        state.hub.open_streams()
    );
    let (started, ended) = state.hub.session_counts();
    out.push_str("# HELP octomesh_mcp_sessions_total MCP sessions this replica opened (initialize, GET /sse) and ended (DELETE). Sessions are sealed ids valid on every replica, so open sessions are not counted.\n");
    out.push_str("# TYPE octomesh_mcp_sessions_total counter\n");
    let _ = writeln!(
        out,
        "octomesh_mcp_sessions_total{{event=\"started\"}} {started}"
    );
    let _ = writeln!(
        out,
        "octomesh_mcp_sessions_total{{event=\"ended\"}} {ended}"
    );
    out.push_str("# HELP octomesh_mcp_worker_endpoints Worker endpoints per family, and how many are healthy.\n");
    out.push_str("# TYPE octomesh_mcp_worker_endpoints gauge\n");
    for pool in catalog
        .pools
        .iter()
        .filter(|pool| !pool.endpoints.is_empty())
    {
        let family = label(&pool.family);
        let _ = writeln!(
            out,
            "octomesh_mcp_worker_endpoints{{family=\"{family}\",state=\"all\"}} {}",
            pool.endpoints.len()
        );
        let _ = writeln!(
            out,
            "octomesh_mcp_worker_endpoints{{family=\"{family}\",state=\"healthy\"}} {}",
            pool.healthy_count()
        );
    }
    out
}

pub(crate) async fn serve(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&state),
    )
        .into_response()
}
