//! A child's stderr: forwarded to ours line by line (as if inherited), and its last lines kept so
//! a crash report can say why the child died.

use std::collections::VecDeque;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, BufReader};
use tokio::task::JoinHandle;

/// How many lines a child's tail keeps.
pub(crate) const TAIL_LINES: usize = 20;

/// The longest line kept or forwarded at once (a longer one is split).
const MAX_LINE: u64 = 8 * 1024;

/// A bounded ring of a child's last stderr lines, across its restarts.
#[derive(Clone, Default)]
pub(crate) struct StderrTail {
    lines: Arc<Mutex<VecDeque<String>>>,
}

impl StderrTail {
    fn push(&self, line: &[u8]) {
        let text = without_escapes(&String::from_utf8_lossy(line))
            .trim_end()
            .to_owned();
        let mut lines = self.lines.lock().expect("the tail lock is never poisoned");
        if lines.len() == TAIL_LINES {
            lines.pop_front();
        }
        lines.push_back(text);
    }

    /// The kept lines, oldest first.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .expect("the tail lock is never poisoned")
            .iter()
            .cloned()
            .collect()
    }

    /// Copies `stderr` to this process's stderr and into the tail until it ends.
    pub(crate) fn follow(&self, stderr: impl AsyncRead + Unpin + Send + 'static) -> JoinHandle<()> {
        let tail = self.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr);
            let mut line = Vec::new();
            loop {
                line.clear();
                match (&mut reader)
                    .take(MAX_LINE)
                    .read_until(b'\n', &mut line)
                    .await
                {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        // Our stderr is where the child would have written; nothing to do if it fails.
                        let _ = std::io::stderr().lock().write_all(&line);
                        tail.push(&line);
                    }
                }
            }
        })
    }
}

/// `text` without terminal escape sequences (`ESC [ … letter`): log lines coloured for a
/// terminal stay readable in a report.
fn without_escapes(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(next) = chars.next() {
        if next != '\u{1b}' {
            plain.push(next);
            continue;
        }
        if chars.next() == Some('[') {
            for code in chars.by_ref() {
                if code.is_ascii_alphabetic() {
                    break;
                }
            }
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_the_last_lines_only() {
        let tail = StderrTail::default();
        let text: String = (0..50).map(|line| format!("line {line}\n")).collect();
        tail.follow(std::io::Cursor::new(text.into_bytes()))
            .await
            .unwrap();
        let lines = tail.lines();
        assert_eq!(lines.len(), TAIL_LINES);
        assert_eq!(lines.first().unwrap(), "line 30");
        assert_eq!(lines.last().unwrap(), "line 49");
    }

    #[test]
    fn colours_are_dropped() {
        assert_eq!(
            without_escapes("\u{1b}[2mtime\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m boom"),
            "time  INFO boom"
        );
    }
}
