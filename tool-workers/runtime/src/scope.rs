//! [`CallScope`]: what a running tool can do besides computing its result.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use octomesh_proto::CallContext;
use octomesh_proto::v1::{self, call_tool_down::Event};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::ToolError;

/// MCP log levels (RFC 5424 severities).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

/// The handle a tool gets for one call: its context, progress and log events, and requests to the
/// MCP client (sampling, elicitation).
pub struct CallScope {
    context: CallContext,
    events: mpsc::Sender<Event>,
    call_id: String,
    calls: Arc<CallTable>,
    pending: PendingClientRequests,
    registered: AtomicBool,
    next_request_id: AtomicU64,
}

/// Client requests of one call waiting for an answer, by id.
pub(crate) type PendingClientRequests =
    Arc<Mutex<HashMap<u64, oneshot::Sender<v1::ClientResponse>>>>;

/// The calls that are waiting for the client, by the gateway's call id. A call registers only when
/// it first asks the client something, so ordinary calls never touch this table.
#[derive(Default)]
pub(crate) struct CallTable {
    calls: Mutex<HashMap<String, PendingClientRequests>>,
}

impl CallTable {
    /// Hands `answer` to the call that asked; false when no call is waiting for it.
    pub(crate) fn deliver(&self, call_id: &str, answer: v1::ClientResponse) -> bool {
        let pending = self
            .calls
            .lock()
            .expect("call table is never poisoned")
            .get(call_id)
            .cloned();
        let waiter = pending.and_then(|pending| {
            pending
                .lock()
                .expect("pending-request map is never poisoned")
                .remove(&answer.id)
        });
        match waiter {
            Some(waiter) => waiter.send(answer).is_ok(),
            None => false,
        }
    }
}

impl CallScope {
    pub(crate) fn new(
        context: CallContext,
        events: mpsc::Sender<Event>,
        call_id: String,
        calls: Arc<CallTable>,
    ) -> Self {
        CallScope {
            context,
            events,
            call_id,
            calls,
            pending: PendingClientRequests::default(),
            registered: AtomicBool::new(false),
            next_request_id: AtomicU64::new(1),
        }
    }

    /// The tenant, principal and backend token of the call.
    pub fn context(&self) -> &CallContext {
        &self.context
    }

    /// Reports progress. The gateway forwards it when the client asked for progress.
    pub async fn progress(&self, progress: f64, total: Option<f64>, message: impl Into<String>) {
        let event = Event::Progress(v1::Progress {
            progress,
            total,
            message: message.into(),
        });
        // A closed channel means the call is being cancelled; the tool is dropped soon after.
        let _ = self.events.send(event).await;
    }

    /// Tells the gateway it may release the client's connection while this long call runs; the
    /// client resumes after `retry_after`. The call itself goes on.
    pub async fn release_connection(&self, retry_after: std::time::Duration) {
        let retry_after_ms = u32::try_from(retry_after.as_millis()).unwrap_or(u32::MAX);
        let _ = self
            .events
            .send(Event::Release(v1::Release { retry_after_ms }))
            .await;
    }

    /// Sends a log message to the client (MCP `notifications/message`).
    pub async fn log(&self, level: LogLevel, logger: &str, data: impl Serialize) {
        let data_json = serde_json::to_vec(&data).unwrap_or_else(|_| b"null".to_vec());
        let event = Event::Log(v1::LogEvent {
            level: log_level_to_proto(level) as i32,
            logger: logger.to_owned(),
            data_json,
        });
        let _ = self.events.send(event).await;
    }

    /// Asks the MCP client something (e.g. `sampling/createMessage`) and waits for the answer.
    pub async fn request_client(
        &self,
        method: &str,
        params: impl Serialize,
    ) -> Result<serde_json::Value, ToolError> {
        let id = self.next_request_id.fetch_add(1, Ordering::Relaxed);
        let params_json = serde_json::to_vec(&params)
            .map_err(|error| ToolError::Internal(format!("could not encode {method}: {error}")))?;
        if !self.registered.swap(true, Ordering::Relaxed) {
            self.calls
                .calls
                .lock()
                .expect("call table is never poisoned")
                .insert(self.call_id.clone(), Arc::clone(&self.pending));
        }
        let (answer_tx, answer_rx) = oneshot::channel();
        self.pending
            .lock()
            .expect("pending-request map is never poisoned: no code panics while holding it")
            .insert(id, answer_tx);
        let request = Event::ClientRequest(v1::ClientRequest {
            id,
            method: method.to_owned(),
            params_json,
        });
        if self.events.send(request).await.is_err() {
            return Err(ToolError::Cancelled("the call was cancelled".into()));
        }
        let answer = answer_rx
            .await
            .map_err(|_| ToolError::Cancelled(format!("the client never answered `{method}`")))?;
        if !answer.error_json.is_empty() {
            let error: serde_json::Value =
                serde_json::from_slice(&answer.error_json).unwrap_or_default();
            let message = error
                .get("message")
                .and_then(|message| message.as_str())
                .unwrap_or("no message");
            return Err(ToolError::Backend(format!(
                "the client refused `{method}`: {message}"
            )));
        }
        serde_json::from_slice(&answer.result_json).map_err(|error| {
            ToolError::Backend(format!(
                "the client's answer to `{method}` is not JSON: {error}"
            ))
        })
    }
}

impl Drop for CallScope {
    fn drop(&mut self) {
        if self.registered.load(Ordering::Relaxed) {
            self.calls
                .calls
                .lock()
                .expect("call table is never poisoned")
                .remove(&self.call_id);
        }
    }
}

fn log_level_to_proto(level: LogLevel) -> v1::LogLevel {
    match level {
        LogLevel::Debug => v1::LogLevel::Debug,
        LogLevel::Info => v1::LogLevel::Info,
        LogLevel::Notice => v1::LogLevel::Notice,
        LogLevel::Warning => v1::LogLevel::Warning,
        LogLevel::Error => v1::LogLevel::Error,
        LogLevel::Critical => v1::LogLevel::Critical,
        LogLevel::Alert => v1::LogLevel::Alert,
        LogLevel::Emergency => v1::LogLevel::Emergency,
    }
}
