//! What `/proc` says about processes: whose child a process is, its command line, whether it
//! still runs. For tests of `up --processes`, whose children the harness did not start itself.

use std::path::Path;

/// One process seen in `/proc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: u32,
    pub parent: u32,
    /// Its arguments joined by spaces.
    pub command_line: String,
}

impl ProcInfo {
    fn read(pid: u32) -> Option<ProcInfo> {
        let dir = Path::new("/proc").join(pid.to_string());
        let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses, so split after the last `)`.
        let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
        let state = fields.next()?;
        if state == "Z" || state == "X" {
            return None; // gone, only not reaped yet
        }
        let parent = fields.next()?.parse().ok()?;
        let raw = std::fs::read(dir.join("cmdline")).ok()?;
        let command_line = raw
            .split(|byte| *byte == 0)
            .filter(|arg| !arg.is_empty())
            .map(String::from_utf8_lossy)
            .collect::<Vec<_>>()
            .join(" ");
        Some(ProcInfo {
            pid,
            parent,
            command_line,
        })
    }
}

/// Every running process.
pub fn processes() -> Vec<ProcInfo> {
    std::fs::read_dir("/proc")
        .expect("/proc is readable")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(ProcInfo::read)
        .collect()
}

/// The running children of `parent`.
pub fn children_of(parent: u32) -> Vec<ProcInfo> {
    processes()
        .into_iter()
        .filter(|process| process.parent == parent)
        .collect()
}

/// Whether `pid` runs (exists and is no zombie).
pub fn is_running(pid: u32) -> bool {
    ProcInfo::read(pid).is_some()
}

/// Sends `signal` (e.g. `KILL`, `TERM`) to `pid`.
pub fn signal(pid: u32, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "SIG{signal} could not be sent to {pid}");
}
