//! Running the official third-party clients (installed by `.ci/install-peers.sh`).

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::repo_root;

/// Output of a peer run.
pub struct PeerRun {
    pub success: bool,
    pub output: String,
}

/// Runs `script` (relative to the repo root, with `args`) after sourcing `.ci/peers-env.sh`.
/// `interpreter` is a variable set by that file (e.g. `PEER_PY`, `PEER_NODE`) or empty for bash.
pub async fn run(interpreter: &str, script: &str, args: &[&str], env: &[(&str, &str)]) -> PeerRun {
    let root = repo_root();
    let env_file = root.join(".ci/peers-env.sh");
    let launcher = if interpreter.is_empty() {
        "bash".to_owned()
    } else {
        format!("\"${interpreter}\"")
    };
    let quoted: Vec<String> = args.iter().map(|arg| format!("'{arg}'")).collect();
    let line = format!(
        "source '{}' && [ -n \"${{PEER_NODE:-}}\" ] && [ -x \"$PEER_NODE\" ] || {{ echo 'third-party clients missing: run bash .ci/install-peers.sh' >&2; exit 97; }}; exec {launcher} '{}' {}",
        env_file.display(),
        root.join(script).display(),
        quoted.join(" ")
    );
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(line)
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let child = command.spawn().expect("bash runs");
    let output = tokio::time::timeout(Duration::from_secs(240), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{script} did not finish within 240 s"))
        .expect("the peer's output is readable");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    PeerRun {
        success: output.status.success(),
        output: text,
    }
}

/// Asserts that a peer run succeeded, showing its output when not.
pub fn assert_ok(what: &str, run: &PeerRun) {
    assert!(run.success, "{what} failed:\n{}", run.output);
}

/// Starts a long-running peer: `command` (a shell line that may use the variables of
/// `.ci/peers-env.sh`), with stdout and stderr into `log`. Killed when dropped.
pub fn spawn(command: &str, log: &std::path::Path) -> tokio::process::Child {
    let root = repo_root();
    let line = format!(
        "source '{}' && exec {command}",
        root.join(".ci/peers-env.sh").display()
    );
    let file = std::fs::File::create(log).expect("the peer's log file");
    let copy = file.try_clone().expect("a second handle");
    Command::new("bash")
        .arg("-c")
        .arg(line)
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::from(copy))
        .stderr(Stdio::from(file))
        .kill_on_drop(true)
        .spawn()
        .expect("bash runs")
}

/// A file `.ci/install-peers.sh` installed, e.g. `files/bin/moto_server`.
pub fn installed(relative: &str) -> std::path::PathBuf {
    let dir = std::env::var_os("OCTOMESH_PEERS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/octomesh-mcp/peers")
        });
    let path = dir.join(relative);
    assert!(
        path.exists(),
        "{} is missing: run bash .ci/install-peers.sh",
        path.display()
    );
    path
}
