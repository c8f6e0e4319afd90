//! Supervision of child processes (`up --processes`): each child is started in order once the
//! previous one serves, restarted with exponential backoff when it dies (same arguments,
//! environment and address, so whoever reaches it finds it again), reported when it keeps dying,
//! and stopped in reverse order. Generic over what the children are: `children.rs` decides that.

mod backoff;
mod keeper;
mod spec;
mod stderr;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

pub use backoff::Backoff;
pub use spec::{ChildSpec, Exit, Probe};

use keeper::{Keeper, Running};
use stderr::StderrTail;

/// What the supervisor saw, for whoever subscribes (each is also logged).
#[derive(Clone, Debug)]
pub enum Event {
    Died {
        child: String,
        exit: Exit,
        uptime: Duration,
    },
    /// The `attempt`-th restart in a row without a stable run starts after `delay`.
    Restarting {
        child: String,
        attempt: u32,
        delay: Duration,
    },
    /// Serving again, `downtime` after it died.
    Restarted {
        child: String,
        downtime: Duration,
    },
    CrashLoop(CrashReport),
}

/// A child that keeps dying soon after each start.
#[derive(Clone, Debug)]
pub struct CrashReport {
    pub child: String,
    /// Deaths in a row without a stable run.
    pub deaths: u32,
    pub exit: Exit,
    /// Its last stderr lines (at most [`stderr::TAIL_LINES`]).
    pub stderr: Vec<String>,
}

impl fmt::Display for CrashReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} process keeps dying ({} times in a row, last: {}); its last stderr lines:",
            self.child, self.deaths, self.exit
        )?;
        for line in &self.stderr {
            write!(f, "\n  | {line}")?;
        }
        Ok(())
    }
}

/// The children and one keeper task per child.
pub struct Supervisor {
    policy: Backoff,
    /// In start order; each returns its child, if one is running, once supervision stops.
    keepers: Vec<JoinHandle<Option<Running>>>,
    stop: watch::Sender<bool>,
    events: broadcast::Sender<Event>,
}

impl Supervisor {
    /// A supervisor of no children yet.
    pub fn new(policy: Backoff) -> Supervisor {
        Supervisor {
            policy,
            keepers: Vec::new(),
            stop: watch::channel(false).0,
            events: broadcast::channel(64).0,
        }
    }

    /// Starts `specs` in order, each once the previous one serves, and supervises them. Fails,
    /// with the children started so far stopped, when one cannot start: a mistake in the
    /// configuration is better shown at once than retried.
    pub async fn start(specs: Vec<ChildSpec>, policy: Backoff) -> anyhow::Result<Supervisor> {
        let mut supervisor = Supervisor::new(policy);
        for spec in specs {
            let tail = StderrTail::default();
            let name = spec.name.clone();
            match Running::start(&spec, &tail).await {
                Ok(running) => supervisor.spawn_keeper(spec, tail, Some(running)),
                Err(exit) => {
                    supervisor.stop(Duration::from_secs(5)).await;
                    anyhow::bail!(
                        "the {name} process ended while starting ({exit}); see its log above"
                    );
                }
            }
        }
        Ok(supervisor)
    }

    /// Supervises `spec` from its first start on, which is retried like a restart when it fails.
    pub fn keep(&mut self, spec: ChildSpec) {
        self.spawn_keeper(spec, StderrTail::default(), None);
    }

    fn spawn_keeper(&mut self, spec: ChildSpec, tail: StderrTail, first: Option<Running>) {
        let keeper = Keeper::new(
            spec,
            tail,
            self.policy,
            self.stop.subscribe(),
            self.events.clone(),
        );
        self.keepers.push(tokio::spawn(keeper.run(first)));
    }

    /// Deaths, restarts and crash loops from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// From now on no child is restarted (shutdown has begun); running ones keep running.
    pub fn stop_restarting(&self) {
        let _ = self.stop.send(true);
    }

    /// Stops supervising, then closes every child's stdin (last started first, so workers go
    /// before the services they call), waits up to `drain` for them, and kills what is left.
    pub async fn stop(mut self, drain: Duration) {
        self.stop_restarting();
        let mut running = Vec::new();
        for keeper in self.keepers.drain(..).rev() {
            if let Ok(Some(child)) = keeper.await {
                running.push(child);
            }
        }
        for child in &mut running {
            child.close_stdin();
        }
        let deadline = tokio::time::Instant::now() + drain;
        for child in &mut running {
            child.stop_by(deadline).await;
        }
    }
}

impl Drop for Supervisor {
    /// Dropped without [`Supervisor::stop`] (start-up failed later on): no more restarts, and the
    /// keepers drop their children, which kills them.
    fn drop(&mut self) {
        self.stop_restarting();
    }
}
