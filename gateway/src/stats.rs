//! [`ToolStats`]: per-tool call counts, failures and durations seen by this gateway replica, for
//! `get_tool_statistics`. Bounded: the most recent samples per tool are kept.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Samples kept per tool.
const MAX_SAMPLES: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Sample {
    at: SystemTime,
    millis: f64,
    ok: bool,
}

#[derive(Default)]
pub(crate) struct ToolStats {
    samples: Mutex<HashMap<String, VecDeque<Sample>>>,
    /// Counters since start, for `/metrics` (never trimmed).
    counters: Mutex<HashMap<String, ToolCounters>>,
}

/// Upper bounds of the call-duration histogram, seconds.
pub(crate) const DURATION_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
];

/// One tool's counts since start.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ToolCounters {
    pub(crate) ok: u64,
    pub(crate) error: u64,
    /// Calls at or under each bound of [`DURATION_BUCKETS`] (not cumulative).
    pub(crate) buckets: [u64; DURATION_BUCKETS.len()],
    /// Calls over the last bound.
    pub(crate) over: u64,
    pub(crate) seconds: f64,
}

/// One tool's figures over a time range.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ToolSummary {
    pub(crate) name: String,
    pub(crate) calls: usize,
    pub(crate) failures: usize,
    pub(crate) mean_ms: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p95_ms: f64,
    pub(crate) max_ms: f64,
    pub(crate) last_call: SystemTime,
}

impl ToolStats {
    pub(crate) fn record(&self, tool: &str, duration: Duration, ok: bool) {
        let sample = Sample {
            at: SystemTime::now(),
            millis: duration.as_secs_f64() * 1000.0,
            ok,
        };
        let mut samples = self
            .samples
            .lock()
            .expect("the stats lock is never poisoned");
        let queue = samples.entry(tool.to_owned()).or_default();
        if queue.len() == MAX_SAMPLES {
            queue.pop_front();
        }
        queue.push_back(sample);
        drop(samples);
        let seconds = duration.as_secs_f64();
        let mut counters = self
            .counters
            .lock()
            .expect("the stats lock is never poisoned");
        let counter = counters.entry(tool.to_owned()).or_default();
        if ok {
            counter.ok += 1;
        } else {
            counter.error += 1;
        }
        counter.seconds += seconds;
        match DURATION_BUCKETS.iter().position(|bound| seconds <= *bound) {
            Some(bucket) => counter.buckets[bucket] += 1,
            None => counter.over += 1,
        }
    }

    /// Every tool's counters since start, by name.
    pub(crate) fn counters(&self) -> Vec<(String, ToolCounters)> {
        let counters = self
            .counters
            .lock()
            .expect("the stats lock is never poisoned");
        let mut all: Vec<(String, ToolCounters)> = counters
            .iter()
            .map(|(name, counter)| (name.clone(), counter.clone()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Every tool called since `since`, most called first.
    pub(crate) fn summaries(&self, since: Option<SystemTime>) -> Vec<ToolSummary> {
        let samples = self
            .samples
            .lock()
            .expect("the stats lock is never poisoned");
        let mut summaries: Vec<ToolSummary> = samples
            .iter()
            .filter_map(|(name, queue)| {
                let recent: Vec<&Sample> = queue
                    .iter()
                    .filter(|sample| since.is_none_or(|since| sample.at >= since))
                    .collect();
                let last_call = recent.last()?.at;
                let mut millis: Vec<f64> = recent.iter().map(|sample| sample.millis).collect();
                millis.sort_by(f64::total_cmp);
                let quantile = |q: f64| millis[((millis.len() - 1) as f64 * q).round() as usize];
                Some(ToolSummary {
                    name: name.clone(),
                    calls: recent.len(),
                    failures: recent.iter().filter(|sample| !sample.ok).count(),
                    mean_ms: millis.iter().sum::<f64>() / millis.len() as f64,
                    p50_ms: quantile(0.5),
                    p95_ms: quantile(0.95),
                    max_ms: millis[millis.len() - 1],
                    last_call,
                })
            })
            .collect();
        summaries.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.name.cmp(&b.name)));
        summaries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_count_failures_and_order_durations() {
        let stats = ToolStats::default();
        for millis in [5, 1, 3, 2, 4] {
            stats.record("a", Duration::from_millis(millis), millis != 3);
        }
        stats.record("b", Duration::from_millis(7), true);
        let summaries = stats.summaries(None);
        assert_eq!(summaries[0].name, "a");
        assert_eq!(summaries[0].calls, 5);
        assert_eq!(summaries[0].failures, 1);
        assert_eq!(summaries[0].p50_ms, 3.0);
        assert_eq!(summaries[0].max_ms, 5.0);
        assert_eq!(summaries[1].calls, 1);
        let future = SystemTime::now() + Duration::from_secs(60);
        assert!(stats.summaries(Some(future)).is_empty());
    }
}
