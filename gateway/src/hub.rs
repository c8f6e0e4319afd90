//! Per-replica session plumbing: calls in flight, questions waiting for the client, open streams,
//! per-session log levels and terminated sessions.
//!
//! Everything here is either per-connection (streams, calls in flight: they live where the TCP
//! connection lives) or small mutable session state (log level, termination). The latter is what a
//! multi-replica deployment moves to a shared store; see ARCHITECTURE.md.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::dispatch::AnswerRoute;
use crate::mcp::log_level::LogLevel;
use crate::resume::CallBuffer;

/// Identity of a session in the hub: the random uid inside its sealed id.
pub(crate) type SessionUid = [u8; 16];

/// A question relayed to the client, waiting for its answer.
pub(crate) struct PendingClientRequest {
    pub(crate) worker_request_id: u64,
    pub(crate) route: AnswerRoute,
}

/// Size of the log-level table at which expired entries are swept.
const LOG_LEVEL_SWEEP_AT: usize = 10_000;

#[derive(Default)]
pub(crate) struct Hub {
    inflight: Mutex<HashMap<(SessionUid, Box<str>), CancellationToken>>,
    pending: Mutex<HashMap<(SessionUid, String), PendingClientRequest>>,
    /// Log level per session, with when the level was set (stale entries are swept).
    log_levels: Mutex<HashMap<SessionUid, (LogLevel, Instant)>>,
    terminated: Mutex<HashMap<SessionUid, Instant>>,
    /// Server-initiated messages: the session's GET stream, or its legacy SSE stream.
    streams: Mutex<HashMap<SessionUid, mpsc::Sender<String>>>,
    next_server_request: AtomicU64,
    /// Resumable call streams, by session and stream token.
    buffers: Mutex<HashMap<(SessionUid, String), Arc<CallBuffer>>>,
    /// Sessions this replica opened and ended (a session may be ended by another replica).
    sessions_started: AtomicU64,
    sessions_ended: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .expect("hub locks are never held across a panic")
}

impl Hub {
    /// Registers a call in flight; the guard unregisters it when dropped.
    pub(crate) fn track_call(&self, session: SessionUid, request_key: &str) -> CancellationToken {
        let token = CancellationToken::new();
        lock(&self.inflight).insert((session, request_key.into()), token.clone());
        token
    }

    /// How many sessionful calls are running.
    pub(crate) fn calls_in_flight(&self) -> usize {
        lock(&self.inflight).len()
    }

    pub(crate) fn untrack_call(&self, session: SessionUid, request_key: &str) {
        lock(&self.inflight).remove(&(session, request_key.into()));
    }

    /// Cancels a call in flight (`notifications/cancelled`). Unknown ids are ignored, as the spec says.
    pub(crate) fn cancel_call(&self, session: SessionUid, request_key: &str) -> bool {
        match lock(&self.inflight).remove(&(session, request_key.into())) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// A fresh id for a tool call, unique within this replica.
    pub(crate) fn next_call_id(&self) -> String {
        format!(
            "call-{}",
            self.next_server_request.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// A fresh id for a server-to-client request.
    pub(crate) fn next_server_request_id(&self) -> String {
        format!(
            "octomesh-{}",
            self.next_server_request.fetch_add(1, Ordering::Relaxed)
        )
    }

    pub(crate) fn await_client(
        &self,
        session: SessionUid,
        id: String,
        pending: PendingClientRequest,
    ) {
        lock(&self.pending).insert((session, id), pending);
    }

    pub(crate) fn take_pending(
        &self,
        session: SessionUid,
        id: &str,
    ) -> Option<PendingClientRequest> {
        lock(&self.pending).remove(&(session, id.to_owned()))
    }

    /// Sets a session's log level. Entries older than `lifetime` (their session has expired) are
    /// swept when the table grows, so abandoned sessions do not accumulate.
    pub(crate) fn set_log_level(&self, session: SessionUid, level: LogLevel, lifetime: Duration) {
        let now = Instant::now();
        let mut levels = lock(&self.log_levels);
        if levels.len() >= LOG_LEVEL_SWEEP_AT {
            levels.retain(|_, (_, set_at)| now.duration_since(*set_at) < lifetime);
        }
        levels.insert(session, (level, now));
    }

    pub(crate) fn log_level(&self, session: SessionUid) -> Option<LogLevel> {
        lock(&self.log_levels)
            .get(&session)
            .map(|(level, _)| *level)
    }

    /// Counts a session this replica opened.
    pub(crate) fn session_started(&self) {
        self.sessions_started.fetch_add(1, Ordering::Relaxed);
    }

    /// Sessions opened and ended on this replica since it started.
    pub(crate) fn session_counts(&self) -> (u64, u64) {
        (
            self.sessions_started.load(Ordering::Relaxed),
            self.sessions_ended.load(Ordering::Relaxed),
        )
    }

    /// Ends a session: later requests with its id get 404.
    pub(crate) fn terminate(&self, session: SessionUid, lifetime: Duration) {
        self.sessions_ended.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let mut terminated = lock(&self.terminated);
        terminated.retain(|_, at| now.duration_since(*at) < lifetime);
        terminated.insert(session, now);
        drop(terminated);
        lock(&self.log_levels).remove(&session);
        lock(&self.streams).remove(&session);
    }

    pub(crate) fn is_terminated(&self, session: SessionUid) -> bool {
        lock(&self.terminated).contains_key(&session)
    }

    /// Attaches the stream that carries server-initiated messages for a session.
    pub(crate) fn attach_stream(&self, session: SessionUid, sender: mpsc::Sender<String>) {
        lock(&self.streams).insert(session, sender);
    }

    pub(crate) fn detach_stream(&self, session: SessionUid, sender: &mpsc::Sender<String>) {
        let mut streams = lock(&self.streams);
        if streams
            .get(&session)
            .is_some_and(|current| current.same_channel(sender))
        {
            streams.remove(&session);
        }
    }

    pub(crate) fn stream(&self, session: SessionUid) -> Option<mpsc::Sender<String>> {
        lock(&self.streams).get(&session).cloned()
    }

    pub(crate) fn keep_buffer(&self, session: SessionUid, buffer: Arc<CallBuffer>) {
        lock(&self.buffers).insert((session, buffer.token.clone()), buffer);
    }

    pub(crate) fn buffer(&self, session: SessionUid, token: &str) -> Option<Arc<CallBuffer>> {
        lock(&self.buffers)
            .get(&(session, token.to_owned()))
            .cloned()
    }

    pub(crate) fn drop_buffer(&self, session: SessionUid, token: &str) {
        lock(&self.buffers).remove(&(session, token.to_owned()));
    }

    /// Open server-initiated streams (GET and legacy SSE).
    pub(crate) fn open_streams(&self) -> usize {
        lock(&self.streams).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_log_levels_are_swept_when_the_table_grows() {
        let hub = Hub::default();
        for session_idx in 0..LOG_LEVEL_SWEEP_AT as u32 {
            let mut session = [0u8; 16];
            session[..4].copy_from_slice(&session_idx.to_be_bytes());
            hub.set_log_level(session, LogLevel::Info, Duration::from_secs(3600));
        }
        assert_eq!(lock(&hub.log_levels).len(), LOG_LEVEL_SWEEP_AT);
        // With a zero lifetime every earlier entry has expired: the next insert sweeps them.
        hub.set_log_level([9; 16], LogLevel::Debug, Duration::ZERO);
        assert_eq!(lock(&hub.log_levels).len(), 1);
        assert_eq!(hub.log_level([9; 16]), Some(LogLevel::Debug));
    }
}
