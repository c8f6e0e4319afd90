//! Runs one tool call on the family's pool: picks an endpoint, retries where that is safe, and turns
//! the worker's events into gateway events.
//!
//! Retry rules: a worker that could not be reached ran nothing, so any call moves to the next
//! endpoint. A worker that broke off mid-call may have done part of the work, so only idempotent
//! tools are retried; others fail with a message that says the outcome is unknown.

use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use octomesh_proto::v1::{self, call_tool_down::Event};
use octomesh_proto::{CallContext, HostError, ToolHost};

use crate::workers::FamilyPool;

/// What the MCP layer sees of a running call.
pub(crate) enum CallEvent {
    Progress(v1::Progress),
    Log(v1::LogEvent),
    /// A question for the client; its answer goes back along `route`.
    ClientRequest {
        request: v1::ClientRequest,
        route: AnswerRoute,
    },
    /// The tool may run long: the client's connection can be released and resumed later.
    Release {
        retry_after_ms: u32,
    },
    Result(v1::ToolResult),
    Failure {
        code: v1::ErrorCode,
        message: String,
    },
}

/// Where the client's answer to a call's question goes: the endpoint running the call.
#[derive(Clone)]
pub(crate) struct AnswerRoute {
    pub(crate) host: Arc<dyn ToolHost>,
    pub(crate) call_id: String,
}

impl AnswerRoute {
    /// Delivers the client's answer; a lost answer is logged (the call then times out).
    pub(crate) async fn deliver(&self, response: v1::ClientResponse) {
        let answer = v1::ClientAnswer {
            call_id: self.call_id.clone(),
            response: Some(response),
        };
        match self.host.answer(answer).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(call = %self.call_id, "No call was waiting for the client's answer.")
            }
            Err(error) => {
                tracing::warn!(call = %self.call_id, %error, "Could not deliver the client's answer.")
            }
        }
    }
}

/// Starts `request` on `pool` and streams its events; the stream ends after `Result` or `Failure`.
pub(crate) fn call(
    pool: Arc<FamilyPool>,
    idempotent: bool,
    context: CallContext,
    request: v1::CallToolRequest,
) -> BoxStream<'static, CallEvent> {
    let start = request;
    let stream = async_stream::stream! {
        let mut tried = Vec::new();
        let mut last_problem = String::from("no worker endpoint is configured");
        'attempts: loop {
            let Some((endpoint_idx, endpoint)) = pool.pick(&tried) else {
                yield CallEvent::Failure {
                    code: v1::ErrorCode::Unavailable,
                    message: format!(
                        "No worker of family `{}` could run `{}`: {last_problem}. \
                         Nothing was done; try again shortly, and if it persists check the workers.",
                        pool.family, start.name
                    ),
                };
                return;
            };
            tried.push(endpoint_idx);
            let opened = endpoint.host.call(context.clone(), start.clone()).await;
            let mut events = match opened {
                Ok(events) => events,
                Err(HostError::Unavailable(problem)) => {
                    // Nothing ran: any call may move to the next endpoint.
                    endpoint.mark_unhealthy();
                    last_problem = problem;
                    continue 'attempts;
                }
                Err(HostError::Status { code, message }) => {
                    yield CallEvent::Failure { code, message };
                    return;
                }
                // Broke off while opening: handled below like a break mid-call.
                Err(broken) => futures_util::stream::iter([Err(broken)]).boxed(),
            };
            let problem = loop {
                let next = events.next().await.unwrap_or_else(|| {
                    Err(HostError::Broken(format!("worker {} ended the call without a result", endpoint.name)))
                });
                match next {
                    Ok(v1::CallToolDown { event: Some(event) }) => match event {
                        Event::Progress(progress) => yield CallEvent::Progress(progress),
                        Event::Log(log) => yield CallEvent::Log(log),
                        Event::Release(release) => yield CallEvent::Release {
                            retry_after_ms: release.retry_after_ms,
                        },
                        Event::ClientRequest(request) => yield CallEvent::ClientRequest {
                            request,
                            route: AnswerRoute {
                                host: Arc::clone(&endpoint.host),
                                call_id: start.call_id.clone(),
                            },
                        },
                        Event::Result(result) => {
                            endpoint.mark_healthy();
                            yield CallEvent::Result(result);
                            return;
                        }
                        Event::Error(failure) => {
                            let code = v1::ErrorCode::try_from(failure.code)
                                .unwrap_or(v1::ErrorCode::Internal);
                            yield CallEvent::Failure { code, message: failure.message };
                            return;
                        }
                    },
                    Ok(v1::CallToolDown { event: None }) => continue,
                    Err(HostError::Status { code, message }) => {
                        yield CallEvent::Failure { code, message };
                        return;
                    }
                    Err(HostError::Unavailable(problem) | HostError::Broken(problem)) => break problem,
                }
            };
            // The worker went away mid-call: it may have done part of the work.
            endpoint.mark_unhealthy();
            last_problem = problem;
            if idempotent {
                continue 'attempts;
            }
            yield broken(&pool.family, &start.name, &last_problem);
            return;
        }
    };
    stream.boxed()
}

fn broken(family: &str, tool: &str, problem: &str) -> CallEvent {
    CallEvent::Failure {
        code: v1::ErrorCode::Unavailable,
        message: format!(
            "The worker running `{tool}` (family `{family}`) stopped during the call ({problem}). \
             The call may or may not have taken effect: check the current state before calling \
             `{tool}` again."
        ),
    }
}
