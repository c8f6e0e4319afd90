//! How long to wait before restarting a child that died, and when its deaths become a crash loop.

use std::time::Duration;

/// The restart policy: exponential backoff from `first` to `max`, forgotten once a child has run
/// for `stable_after`, so a crash after a day of service restarts quickly while a child that dies
/// on start-up is retried ever more slowly instead of in a tight loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The delay after the first death.
    pub first: Duration,
    /// The longest delay.
    pub max: Duration,
    /// A run at least this long resets the delay to `first`.
    pub stable_after: Duration,
    /// After this many deaths in a row without a stable run, each death is reported as a crash
    /// loop (an error with the child's last stderr lines).
    pub report_after: u32,
}

impl Default for Backoff {
    /// 250 ms, doubling to 30 s; reset after a minute of running; reported from the fifth death.
    fn default() -> Backoff {
        Backoff {
            first: Duration::from_millis(250),
            max: Duration::from_secs(30),
            stable_after: Duration::from_secs(60),
            report_after: 5,
        }
    }
}

/// One child's recent deaths under a [`Backoff`].
#[derive(Debug)]
pub(crate) struct Restarts {
    policy: Backoff,
    /// Deaths since the last stable run.
    in_a_row: u32,
}

impl Restarts {
    pub(crate) fn new(policy: Backoff) -> Restarts {
        Restarts {
            policy,
            in_a_row: 0,
        }
    }

    /// Records a death after a run of `uptime`; returns the delay before the next start.
    pub(crate) fn died(&mut self, uptime: Duration) -> Duration {
        if uptime >= self.policy.stable_after {
            self.in_a_row = 0;
        }
        let doublings = self.in_a_row.min(31);
        self.in_a_row = self.in_a_row.saturating_add(1);
        self.policy
            .first
            .saturating_mul(1u32 << doublings)
            .min(self.policy.max)
    }

    /// Deaths since the last stable run.
    pub(crate) fn in_a_row(&self) -> u32 {
        self.in_a_row
    }

    /// Whether the deaths so far are a crash loop to report.
    pub(crate) fn crash_looping(&self) -> bool {
        self.in_a_row >= self.policy.report_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHORT: Duration = Duration::from_millis(10);

    #[test]
    fn delays_double_up_to_the_cap() {
        let mut restarts = Restarts::new(Backoff::default());
        let delays: Vec<u128> = (0..10).map(|_| restarts.died(SHORT).as_millis()).collect();
        assert_eq!(
            delays,
            [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
        for _ in 0..100 {
            assert_eq!(restarts.died(SHORT), Duration::from_secs(30), "no overflow");
        }
    }

    #[test]
    fn a_stable_run_resets_the_delay() {
        let policy = Backoff::default();
        let mut restarts = Restarts::new(policy);
        for _ in 0..6 {
            restarts.died(SHORT);
        }
        assert!(restarts.crash_looping());
        assert_eq!(restarts.died(policy.stable_after), policy.first);
        assert_eq!(restarts.in_a_row(), 1);
        assert!(!restarts.crash_looping());
    }

    #[test]
    fn the_fifth_quick_death_is_a_crash_loop() {
        let mut restarts = Restarts::new(Backoff::default());
        for _ in 0..4 {
            restarts.died(SHORT);
            assert!(!restarts.crash_looping());
        }
        restarts.died(SHORT);
        assert!(restarts.crash_looping());
    }
}
