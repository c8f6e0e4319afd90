//! Per-tool call metrics, rendered in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the duration histogram buckets.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Calls by tool and outcome, with a duration histogram, and the calls running now.
#[derive(Default)]
pub struct ToolMetrics {
    series: Mutex<BTreeMap<(&'static str, &'static str), Series>>,
    in_flight: AtomicI64,
}

impl ToolMetrics {
    /// Counts a call as running until its [`ToolMetrics::record`].
    pub fn call_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a finished (or cancelled) call.
    pub fn record(&self, tool: &'static str, outcome: &'static str, elapsed: Duration) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        let mut series = self.series.lock().expect("metrics lock is never poisoned");
        let entry = series.entry((tool, outcome)).or_default();
        entry.count += 1;
        entry.sum_seconds += seconds;
        for (bucket_idx, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                entry.buckets[bucket_idx] += 1;
            }
        }
    }

    /// How many calls of `tool` ended with `outcome`.
    pub fn count(&self, tool: &str, outcome: &str) -> u64 {
        let series = self.series.lock().expect("metrics lock is never poisoned");
        series
            .iter()
            .filter(|((name, label), _)| *name == tool && *label == outcome)
            .map(|(_, entry)| entry.count)
            .sum()
    }

    /// Prometheus text exposition of every series, labelled with the family.
    pub fn render(&self, family: &str) -> String {
        let series = self.series.lock().expect("metrics lock is never poisoned");
        let mut out = String::new();
        out.push_str("# HELP octomesh_worker_calls_in_flight Tool calls running now.\n");
        out.push_str("# TYPE octomesh_worker_calls_in_flight gauge\n");
        let _ = writeln!(
            out,
            "octomesh_worker_calls_in_flight{{family=\"{family}\"}} {}",
            self.in_flight.load(Ordering::Relaxed).max(0)
        );
        out.push_str("# HELP octomesh_worker_tool_calls_total Tool calls by tool and outcome.\n");
        out.push_str("# TYPE octomesh_worker_tool_calls_total counter\n");
        for ((tool, outcome), entry) in series.iter() {
            let _ = writeln!(
                out,
                "octomesh_worker_tool_calls_total{{family=\"{family}\",tool=\"{tool}\",outcome=\"{outcome}\"}} {}",
                entry.count
            );
        }
        out.push_str("# HELP octomesh_worker_tool_call_duration_seconds Tool call duration.\n");
        out.push_str("# TYPE octomesh_worker_tool_call_duration_seconds histogram\n");
        for ((tool, outcome), entry) in series.iter() {
            let labels = format!("family=\"{family}\",tool=\"{tool}\",outcome=\"{outcome}\"");
            for (bucket_idx, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "octomesh_worker_tool_call_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    entry.buckets[bucket_idx]
                );
            }
            let _ = writeln!(
                out,
                "octomesh_worker_tool_call_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                entry.count
            );
            let _ = writeln!(
                out,
                "octomesh_worker_tool_call_duration_seconds_sum{{{labels}}} {}",
                entry.sum_seconds
            );
            let _ = writeln!(
                out,
                "octomesh_worker_tool_call_duration_seconds_count{{{labels}}} {}",
                entry.count
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_call_shows_in_counts_and_in_the_exposition() {
        let metrics = ToolMetrics::default();
        metrics.record("echo", "ok", Duration::from_millis(3));
        metrics.record("echo", "ok", Duration::from_millis(40));
        metrics.record("echo", "invalid_arguments", Duration::from_micros(100));
        assert_eq!(metrics.count("echo", "ok"), 2);
        let text = metrics.render("fixtures");
        assert!(text.contains(
            "octomesh_worker_tool_calls_total{family=\"fixtures\",tool=\"echo\",outcome=\"ok\"} 2"
        ));
        assert!(text.contains("outcome=\"ok\",le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("outcome=\"ok\",le=\"+Inf\"} 2"), "{text}");
    }
}
