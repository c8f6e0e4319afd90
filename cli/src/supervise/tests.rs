//! The supervisor against real processes.

use std::time::Duration;

use tokio::time::Instant;

use super::*;

/// A fast policy, so the test sees several restarts in well under a second of backoff.
const POLICY: Backoff = Backoff {
    first: Duration::from_millis(20),
    max: Duration::from_millis(160),
    stable_after: Duration::from_secs(60),
    report_after: 3,
};

fn crasher() -> ChildSpec {
    ChildSpec {
        name: "crasher".into(),
        program: "/bin/sh".into(),
        args: vec!["-c".into(), "echo boom >&2; exit 3".into()],
        env: Vec::new(),
        ready: Probe::Unix("/nonexistent/octomesh-never.sock".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_always_crashes_is_backed_off_and_reported() {
    let mut supervisor = Supervisor::new(POLICY);
    let mut events = supervisor.subscribe();
    supervisor.keep(crasher());
    let mut deaths = Vec::new();
    let mut delays = Vec::new();
    let mut reports = Vec::new();
    while delays.len() < 6 {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("the crasher keeps being restarted")
            .expect("the supervisor runs");
        match event {
            Event::Died { exit, .. } => {
                assert_eq!(exit, Exit::Code(3));
                deaths.push(Instant::now());
            }
            Event::Restarting { delay, .. } => delays.push(delay.as_millis()),
            Event::CrashLoop(report) => reports.push(report),
            Event::Restarted { .. } => panic!("the crasher never serves"),
        }
    }
    assert_eq!(delays, [20, 40, 80, 160, 160, 160], "doubling to the cap");
    for (gap, delay) in deaths.windows(2).map(|pair| pair[1] - pair[0]).zip(&delays) {
        assert!(
            gap.as_millis() >= *delay,
            "a restart waited {gap:?}, less than its delay of {delay} ms"
        );
    }
    // Reported from the third death in a row on, with what it said.
    assert_eq!(reports.len(), 4, "{reports:?}");
    let report = &reports[0];
    assert_eq!((report.deaths, &report.exit), (3, &Exit::Code(3)));
    assert!(
        report.stderr.iter().any(|line| line == "boom"),
        "{report:?}"
    );
    let text = report.to_string();
    assert!(
        text.contains("crasher") && text.contains("exit code 3") && text.contains("| boom"),
        "{text}"
    );
    supervisor.stop(Duration::from_secs(1)).await;
    // Every keeper has returned: the channel closes after what was sent before the stop.
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while !matches!(
            events.recv().await,
            Err(broadcast::error::RecvError::Closed)
        ) {}
    });
    closed.await.expect("no keeper outlives stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_cannot_start_fails_the_start() {
    let error = Supervisor::start(vec![crasher()], POLICY)
        .await
        .err()
        .expect("the start fails");
    assert!(
        error
            .to_string()
            .contains("crasher process ended while starting (exit code 3)"),
        "{error}"
    );
}
