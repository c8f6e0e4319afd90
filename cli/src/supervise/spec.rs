//! What a supervised child is: how to start it, and how to tell that it serves.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};

use anyhow::Context as _;
use tokio::process::Command;

/// One child: every start (the first and each restart) uses exactly these arguments, environment
/// and address, so whoever reaches the child finds it where it was.
#[derive(Clone, Debug)]
pub struct ChildSpec {
    /// For logs, e.g. `platform` or `worker ck`.
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Set on top of this process's environment.
    pub env: Vec<(OsString, OsString)>,
    /// Ready once this accepts connections.
    pub ready: Probe,
}

impl ChildSpec {
    /// `octomesh-mcp ARGS` (this very binary), told to stop when its stdin closes.
    pub fn this_binary(
        name: impl Into<String>,
        args: Vec<OsString>,
        ready: Probe,
    ) -> anyhow::Result<ChildSpec> {
        let program = std::env::current_exe().context("cannot find this program's own path")?;
        Ok(ChildSpec {
            name: name.into(),
            program,
            args,
            env: vec![(crate::signal::EXIT_WITH_PARENT.into(), "1".into())],
            ready,
        })
    }

    /// Adds an environment variable.
    pub fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> ChildSpec {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The command of one start. The child gets its own process group, so a Ctrl-C at the
    /// terminal reaches only `up`, which then stops its children in order (a child stopping on its
    /// own at the same moment would look like a death to restart). Its stdin is a pipe it watches:
    /// closed by `up` to stop it, or by the kernel when `up` dies.
    pub(crate) fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        command
    }
}

/// How to tell that a child serves: it accepts connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl Probe {
    pub(crate) async fn accepts(&self) -> bool {
        match self {
            Probe::Tcp(address) => tokio::net::TcpStream::connect(address).await.is_ok(),
            Probe::Unix(path) => tokio::net::UnixStream::connect(path).await.is_ok(),
        }
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Probe::Tcp(address) => write!(f, "{address}"),
            Probe::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// How a run of a child ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    /// It could not be started at all.
    SpawnFailed(String),
    /// It did not start serving in time and was killed.
    NeverReady,
}

impl From<ExitStatus> for Exit {
    fn from(status: ExitStatus) -> Exit {
        match (status.code(), status.signal()) {
            (Some(code), _) => Exit::Code(code),
            (None, Some(signal)) => Exit::Signal(signal),
            // Neither: stopped or continued, which `wait` does not report.
            (None, None) => Exit::Code(-1),
        }
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exit code {code}"),
            Exit::Signal(signal) => match signal_name(*signal) {
                Some(name) => write!(f, "killed by signal {signal} ({name})"),
                None => write!(f, "killed by signal {signal}"),
            },
            Exit::SpawnFailed(error) => write!(f, "could not be started: {error}"),
            Exit::NeverReady => write!(f, "did not start serving in time"),
        }
    }
}

/// The usual suspects among the signals that end a child.
fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => return None,
    })
}
