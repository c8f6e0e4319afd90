//! One child's keeper: waits for its death, backs off, restarts it, until supervision stops.

use std::time::Duration;

use tokio::process::{Child, ChildStdin};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::backoff::{Backoff, Restarts};
use super::stderr::StderrTail;
use super::{ChildSpec, CrashReport, Event, Exit, Probe};

/// How long a child may take to start serving (the platform may seed the demo tenant first).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// How often a starting child's probe is tried.
const PROBE_INTERVAL: Duration = Duration::from_millis(25);

/// How long a dead child's last stderr lines may take to arrive (a grandchild may hold the pipe).
const STDERR_GRACE: Duration = Duration::from_secs(1);

/// One run of a child.
pub(crate) struct Running {
    /// The spec's name, for logs.
    name: String,
    child: Child,
    /// Its stdin, held apart from `child` because `Child::wait` would close it (and closing it is
    /// how `up` asks a child to stop).
    stdin: Option<ChildStdin>,
    started: Instant,
    /// Copies its stderr; taken when the run ends.
    stderr: Option<JoinHandle<()>>,
}

impl Running {
    /// Spawns `spec` and waits until it serves. Errs with how it ended when it exited first, or
    /// was killed for not serving within [`START_TIMEOUT`].
    pub(crate) async fn start(spec: &ChildSpec, tail: &StderrTail) -> Result<Running, Exit> {
        let mut running = Running::spawn(spec, tail)?;
        running.until_ready(&spec.ready).await?;
        Ok(running)
    }

    fn spawn(spec: &ChildSpec, tail: &StderrTail) -> Result<Running, Exit> {
        let mut child = spec
            .command()
            .spawn()
            .map_err(|error| Exit::SpawnFailed(error.to_string()))?;
        let stderr = child.stderr.take().map(|stderr| tail.follow(stderr));
        Ok(Running {
            name: spec.name.clone(),
            stdin: child.stdin.take(),
            child,
            started: Instant::now(),
            stderr,
        })
    }

    async fn until_ready(&mut self, probe: &Probe) -> Result<(), Exit> {
        while !probe.accepts().await {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Err(self.ended().await);
            }
            if self.started.elapsed() > START_TIMEOUT {
                let _ = self.child.kill().await;
                self.ended().await;
                return Err(Exit::NeverReady);
            }
            tokio::time::sleep(PROBE_INTERVAL).await;
        }
        Ok(())
    }

    /// Waits for the run to end, and for its last stderr lines.
    async fn ended(&mut self) -> Exit {
        let exit = match self.child.wait().await {
            Ok(status) => Exit::from(status),
            Err(error) => Exit::SpawnFailed(format!("cannot wait for it: {error}")),
        };
        if let Some(stderr) = self.stderr.take() {
            let _ = tokio::time::timeout(STDERR_GRACE, stderr).await;
        }
        exit
    }

    fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Asks it to stop: children of `up` stop when their stdin closes.
    pub(crate) fn close_stdin(&mut self) {
        drop(self.stdin.take());
    }

    /// Waits until `deadline` for it to stop, then kills it.
    pub(crate) async fn stop_by(&mut self, deadline: Instant) {
        if tokio::time::timeout_at(deadline, self.child.wait())
            .await
            .is_err()
        {
            tracing::warn!(process = %self.name, "Still running after the drain period; killed.");
            let _ = self.child.kill().await;
        }
        self.ended().await;
    }
}

/// How one attempt to (re)start a child went.
pub(crate) enum Attempt {
    Serving(Running),
    Failed {
        exit: Exit,
        uptime: Duration,
    },
    /// Supervision stopped meanwhile; the child, if it was started.
    Stopped(Option<Running>),
}

/// Keeps one child running.
pub(crate) struct Keeper {
    spec: ChildSpec,
    tail: StderrTail,
    restarts: Restarts,
    /// When it last died, while it is down.
    died_at: Option<Instant>,
    stop: watch::Receiver<bool>,
    events: broadcast::Sender<Event>,
}

impl Keeper {
    pub(crate) fn new(
        spec: ChildSpec,
        tail: StderrTail,
        policy: Backoff,
        stop: watch::Receiver<bool>,
        events: broadcast::Sender<Event>,
    ) -> Keeper {
        Keeper {
            spec,
            tail,
            restarts: Restarts::new(policy),
            died_at: None,
            stop,
            events,
        }
    }

    /// Runs until supervision stops; returns the child if one is running then. Starts with
    /// `first` when it serves already, else with a start attempt.
    pub(crate) async fn run(mut self, first: Option<Running>) -> Option<Running> {
        let mut serving = first;
        loop {
            let (exit, uptime) = match serving.take() {
                Some(mut running) => {
                    tokio::select! {
                        biased;
                        _ = stopped(&mut self.stop) => return Some(running),
                        exit = running.ended() => (exit, running.uptime()),
                    }
                }
                None => match self.attempt().await {
                    Attempt::Serving(running) => {
                        serving = Some(running);
                        continue;
                    }
                    Attempt::Failed { exit, uptime } => (exit, uptime),
                    Attempt::Stopped(running) => return running,
                },
            };
            let delay = self.died(exit, uptime);
            tokio::select! {
                biased;
                _ = stopped(&mut self.stop) => return None,
                () = tokio::time::sleep(delay) => {}
            }
        }
    }

    async fn attempt(&mut self) -> Attempt {
        if *self.stop.borrow() {
            return Attempt::Stopped(None);
        }
        let mut running = match Running::spawn(&self.spec, &self.tail) {
            Ok(running) => running,
            Err(exit) => {
                return Attempt::Failed {
                    exit,
                    uptime: Duration::ZERO,
                };
            }
        };
        let ready = tokio::select! {
            biased;
            _ = stopped(&mut self.stop) => return Attempt::Stopped(Some(running)),
            ready = running.until_ready(&self.spec.ready) => ready,
        };
        match ready {
            Ok(()) => {
                let child = self.spec.name.clone();
                match self.died_at.take() {
                    Some(died_at) => {
                        let downtime = died_at.elapsed();
                        tracing::info!(process = %child, pid = running.child.id().unwrap_or_default(), downtime_ms = downtime.as_millis(), "Child process restarted and serving.");
                        let _ = self.events.send(Event::Restarted { child, downtime });
                    }
                    None => {
                        tracing::info!(process = %child, pid = running.child.id().unwrap_or_default(), "Child process serving.")
                    }
                }
                Attempt::Serving(running)
            }
            Err(exit) => Attempt::Failed {
                exit,
                uptime: running.uptime(),
            },
        }
    }

    /// Logs and reports a death; returns the delay before the next start.
    fn died(&mut self, exit: Exit, uptime: Duration) -> Duration {
        self.died_at.get_or_insert_with(Instant::now);
        let child = self.spec.name.clone();
        let delay = self.restarts.died(uptime);
        let attempt = self.restarts.in_a_row();
        let _ = self.events.send(Event::Died {
            child: child.clone(),
            exit: exit.clone(),
            uptime,
        });
        if self.restarts.crash_looping() {
            let report = CrashReport {
                child: child.clone(),
                deaths: attempt,
                exit,
                stderr: self.tail.lines(),
            };
            tracing::error!(process = %child, delay_ms = delay.as_millis(), "{report}; restarting it later.");
            let _ = self.events.send(Event::CrashLoop(report));
        } else {
            tracing::warn!(process = %child, %exit, uptime_ms = uptime.as_millis(), delay_ms = delay.as_millis(), attempt, "Child process died; restarting it.");
        }
        let _ = self.events.send(Event::Restarting {
            child,
            attempt,
            delay,
        });
        delay
    }
}

/// Resolves once supervision stops (or the supervisor is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}
