//! Resumable SSE responses (SEP-1699): a sessionful `tools/call` keeps running when its POST stream
//! closes, its messages are kept in a bounded buffer, and the client resumes with
//! `GET` + `Last-Event-ID`.
//!
//! A call's messages are pumped into a [`CallBuffer`] by a task of their own; HTTP responses only
//! follow the buffer. So a dropped connection loses nothing (in the 2025 revisions a disconnect is
//! not a cancellation: `notifications/cancelled` is), and a tool that expects to run long can ask
//! the gateway to release the client's connection (`Release`), which the client later resumes.
//! Event ids are `<stream token>.<sequence>`; the token is random per call.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::Bytes;
use futures_util::Stream;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use std::sync::Arc;
use tokio::sync::Notify;

use crate::mcp::sse;

/// Most messages kept per call; older ones are dropped (a resume past them misses them).
const MAX_BUFFERED: usize = 1024;

/// What a call produces, in order.
#[derive(Debug, Clone)]
pub(crate) enum Frame {
    /// A notification or server-to-client request.
    Message(String),
    /// The response; the call is over.
    Final(String),
    /// The tool asked the gateway to release the client's connection; resume in `retry_ms`.
    Release { retry_ms: u32 },
}

struct State {
    /// `(sequence, frame)`, sequences from 1.
    frames: VecDeque<(u64, Frame)>,
    next_seq: u64,
    done: bool,
}

/// The messages of one call, for its live follower and for resumes.
pub(crate) struct CallBuffer {
    pub(crate) token: String,
    state: Mutex<State>,
    changed: Notify,
}

impl CallBuffer {
    pub(crate) fn new(token: String) -> CallBuffer {
        CallBuffer {
            token,
            state: Mutex::new(State {
                frames: VecDeque::new(),
                next_seq: 1,
                done: false,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .expect("call buffer lock is never poisoned")
    }

    pub(crate) fn push(&self, frame: Frame) {
        let mut state = self.lock();
        let seq = state.next_seq;
        state.next_seq += 1;
        if matches!(frame, Frame::Final(_)) {
            state.done = true;
        }
        state.frames.push_back((seq, frame));
        while state.frames.len() > MAX_BUFFERED {
            state.frames.pop_front();
        }
        drop(state);
        self.changed.notify_waiters();
    }

    pub(crate) fn is_done(&self) -> bool {
        self.lock().done
    }

    /// Frames after sequence `after`.
    fn since(&self, after: u64) -> Vec<(u64, Frame)> {
        self.lock()
            .frames
            .iter()
            .filter(|(seq, _)| *seq > after)
            .cloned()
            .collect()
    }
}

/// Pumps `frames` into `buffer` until the call ends.
pub(crate) async fn pump(buffer: Arc<CallBuffer>, mut frames: BoxStream<'static, Frame>) {
    while let Some(frame) = frames.next().await {
        buffer.push(frame);
    }
    if !buffer.is_done() {
        buffer.push(Frame::Final(String::new()));
    }
}

/// The SSE bytes of `buffer` after sequence `after`: live until the response, or until the tool
/// releases the connection (then a `retry` hint and the end). `prime` sends the priming event first.
pub(crate) fn follow(
    buffer: Arc<CallBuffer>,
    after: u64,
    prime: bool,
) -> impl Stream<Item = Bytes> + Send + 'static {
    async_stream::stream! {
        if prime {
            yield Bytes::from(format!("id: {}.0\nretry: 1000\ndata: \n\n", buffer.token));
        }
        let mut cursor = after;
        loop {
            let notified = buffer.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let frames = buffer.since(cursor);
            if frames.is_empty() {
                notified.await;
                continue;
            }
            for (seq, frame) in frames {
                cursor = seq;
                match frame {
                    Frame::Message(json) => yield sse::event_with_id(&format!("{}.{seq}", buffer.token), &json),
                    Frame::Final(json) => {
                        if !json.is_empty() {
                            yield sse::event_with_id(&format!("{}.{seq}", buffer.token), &json);
                        }
                        return;
                    }
                    Frame::Release { retry_ms } => {
                        yield Bytes::from(format!("id: {}.{seq}\nretry: {retry_ms}\ndata: \n\n", buffer.token));
                        return;
                    }
                }
            }
        }
    }
}

/// Parses a `Last-Event-ID` of ours into `(token, sequence)`.
pub(crate) fn parse_event_id(event_id: &str) -> Option<(&str, u64)> {
    let (token, seq) = event_id.trim().rsplit_once('.')?;
    if token.is_empty() || token.len() > 64 {
        return None;
    }
    Some((token, seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(stream: impl Stream<Item = Bytes>) -> String {
        let chunks: Vec<Bytes> = stream.collect().await;
        chunks
            .iter()
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect()
    }

    #[tokio::test]
    async fn a_follower_gets_everything_then_the_response() {
        let buffer = Arc::new(CallBuffer::new("t1".into()));
        buffer.push(Frame::Message("{\"a\":1}".into()));
        buffer.push(Frame::Final("{\"done\":true}".into()));
        let text = collect(follow(Arc::clone(&buffer), 0, true)).await;
        assert_eq!(
            text,
            "id: t1.0\nretry: 1000\ndata: \n\nid: t1.1\ndata: {\"a\":1}\n\nid: t1.2\ndata: {\"done\":true}\n\n"
        );
    }

    #[tokio::test]
    async fn a_release_ends_the_stream_and_a_resume_continues_after_it() {
        let buffer = Arc::new(CallBuffer::new("t2".into()));
        buffer.push(Frame::Release { retry_ms: 500 });
        let first = collect(follow(Arc::clone(&buffer), 0, true)).await;
        assert!(
            first.ends_with("id: t2.1\nretry: 500\ndata: \n\n"),
            "{first}"
        );
        let resumed = tokio::spawn(collect(follow(Arc::clone(&buffer), 1, false)));
        tokio::task::yield_now().await;
        buffer.push(Frame::Final("{\"r\":2}".into()));
        assert_eq!(resumed.await.unwrap(), "id: t2.2\ndata: {\"r\":2}\n\n");
    }

    #[test]
    fn event_ids_parse() {
        assert_eq!(parse_event_id("abc.7"), Some(("abc", 7)));
        assert_eq!(parse_event_id("abc"), None);
        assert_eq!(parse_event_id(".7"), None);
        assert_eq!(parse_event_id("abc.x"), None);
    }
}
