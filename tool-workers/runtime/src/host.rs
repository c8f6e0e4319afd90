//! The registry as a [`ToolHost`]: runs calls as event streams with timeout, cancellation,
//! client-request plumbing and metrics.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use futures_util::{FutureExt, StreamExt};
use octomesh_proto::v1::{self, call_tool_down::Event};
use octomesh_proto::{BoxCallStream, CallContext, HostError, ToolHost};
use tokio::sync::mpsc;
use tracing::Instrument as _;

use crate::registry::Registry;
use crate::{CallScope, ToolError};

/// How many events a call may queue before the tool waits for the gateway to read them.
const EVENT_BUFFER: usize = 32;

impl<Ctx: Send + Sync + 'static> ToolHost for Registry<Ctx> {
    fn list(
        &self,
    ) -> futures_util::future::BoxFuture<'_, Result<v1::ListToolsResponse, HostError>> {
        let response = v1::ListToolsResponse {
            family: self.family.clone(),
            tools: self.tool_specs(),
            resources: self
                .resource_sources
                .iter()
                .flat_map(|source| source.resources())
                .collect(),
            resource_templates: self
                .resource_sources
                .iter()
                .flat_map(|source| source.templates())
                .collect(),
            prompts: self
                .prompt_sources
                .iter()
                .flat_map(|source| source.prompts())
                .collect(),
        };
        async move { Ok(response) }.boxed()
    }

    fn call(
        &self,
        context: CallContext,
        request: v1::CallToolRequest,
    ) -> futures_util::future::BoxFuture<'_, Result<BoxCallStream, HostError>> {
        let stream = match self.index.get(request.name.as_str()) {
            Some(&tool_idx) if request.validate_only => {
                let outcome = (self.tools[tool_idx].validate)(&request.arguments_json);
                let answer = match outcome {
                    Ok(()) => Event::Result(v1::ToolResult {
                        content_json: br#"[{"type":"text","text":"The arguments are valid."}]"#
                            .to_vec(),
                        structured_json: br#"{"isValid":true}"#.to_vec(),
                        is_error: false,
                    }),
                    Err(error) => Event::Error(v1::ToolFailure {
                        code: error.code() as i32,
                        message: error.to_string(),
                    }),
                };
                futures_util::stream::once(async move { Ok(event(answer)) }).boxed()
            }
            Some(&tool_idx) => self.run(tool_idx, context, request.arguments_json, request.call_id),
            None => {
                let failure = v1::ToolFailure {
                    code: v1::ErrorCode::UnknownTool as i32,
                    message: format!(
                        "Unknown tool `{}` in family `{}`. Call tools/list to see the tools.",
                        request.name, self.family
                    ),
                };
                futures_util::stream::once(async move { Ok(event(Event::Error(failure))) }).boxed()
            }
        };
        async move { Ok(stream) }.boxed()
    }

    fn answer(
        &self,
        answer: v1::ClientAnswer,
    ) -> futures_util::future::BoxFuture<'_, Result<bool, HostError>> {
        let delivered = match answer.response {
            Some(response) => self.calls.deliver(&answer.call_id, response),
            None => false,
        };
        async move { Ok(delivered) }.boxed()
    }

    fn read_resource(
        &self,
        context: CallContext,
        request: v1::ReadResourceRequest,
    ) -> futures_util::future::BoxFuture<'_, Result<v1::ReadResourceResponse, HostError>> {
        async move {
            for source in &self.resource_sources {
                match source.read(&self.ctx, &context, &request.uri).await {
                    Ok(Some(contents)) => {
                        return Ok(v1::ReadResourceResponse {
                            contents_json: serde_json::to_vec(&contents)
                                .expect("JSON values always encode"),
                        });
                    }
                    Ok(None) => continue,
                    Err(error) => return Err(status(error)),
                }
            }
            Err(HostError::Status {
                code: v1::ErrorCode::NotFound,
                message: format!("Resource `{}` not found.", request.uri),
            })
        }
        .boxed()
    }

    fn metrics_text(&self) -> Option<String> {
        Some(self.metrics.render(&self.family))
    }

    fn get_prompt(
        &self,
        _context: CallContext,
        request: v1::GetPromptRequest,
    ) -> futures_util::future::BoxFuture<'_, Result<v1::GetPromptResponse, HostError>> {
        async move {
            let arguments: HashMap<String, String> = if request.arguments_json.is_empty() {
                HashMap::new()
            } else {
                serde_json::from_slice(&request.arguments_json).map_err(|error| {
                    HostError::Status {
                        code: v1::ErrorCode::InvalidArguments,
                        message: format!("Prompt arguments must be an object of strings: {error}."),
                    }
                })?
            };
            for source in &self.prompt_sources {
                match source.get(&self.ctx, &request.name, &arguments).await {
                    Ok(Some((description, messages))) => {
                        return Ok(v1::GetPromptResponse {
                            description,
                            messages_json: serde_json::to_vec(&messages)
                                .expect("JSON values always encode"),
                        });
                    }
                    Ok(None) => continue,
                    Err(error) => return Err(status(error)),
                }
            }
            Err(HostError::Status {
                code: v1::ErrorCode::NotFound,
                message: format!("Prompt `{}` not found. Call prompts/list.", request.name),
            })
        }
        .boxed()
    }
}

impl<Ctx: Send + Sync + 'static> Registry<Ctx> {
    /// Runs one call as a stream. Dropping the stream drops the tool's future: that is cancellation.
    fn run(
        &self,
        tool_idx: usize,
        context: CallContext,
        arguments_json: Vec<u8>,
        call_id: String,
    ) -> BoxCallStream {
        let entry = &self.tools[tool_idx];
        let tool_name = entry.name;
        let timeout = match context.timeout {
            Some(deadline) => deadline.min(entry.timeout),
            None => entry.timeout,
        };
        let span = crate::trace::tool_span(tool_name, &context, &arguments_json);
        let (events_tx, mut events_rx) = mpsc::channel(EVENT_BUFFER);
        let scope = CallScope::new(context, events_tx, call_id, Arc::clone(&self.calls));
        let tool_future =
            (entry.call)(Arc::clone(&self.ctx), arguments_json, scope).instrument(span.clone());
        let metrics = Arc::clone(&self.metrics);

        let stream = async_stream::stream! {
            let started = Instant::now();
            metrics.call_started();
            let mut unfinished = Unfinished { metrics: Arc::clone(&metrics), tool_name, started, finished: false };
            let tool_future = tokio::time::timeout(timeout, tool_future);
            tokio::pin!(tool_future);
            let outcome = loop {
                tokio::select! {
                    biased;
                    Some(event) = events_rx.recv() => yield Ok(self::event(event)),
                    outcome = &mut tool_future => break outcome,
                }
            };
            while let Ok(event) = events_rx.try_recv() {
                yield Ok(self::event(event));
            }
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(_elapsed) => Err(ToolError::DeadlineExceeded(format!(
                    "`{tool_name}` did not finish within {:.1} s and was stopped; \
                     it may have done part of its work. Narrow the request or try again later.",
                    timeout.as_secs_f64()
                ))),
            };
            let (final_event, outcome_label) = match outcome {
                Ok(parts) => {
                    let label = if parts.is_error { "tool_error" } else { "ok" };
                    (Event::Result(encode_result(parts)), label)
                }
                Err(error) => {
                    if matches!(error, ToolError::Internal(_)) {
                        tracing::error!(tool = tool_name, %error, "Tool failed with an internal error.");
                    }
                    let label = error.metric_label();
                    (Event::Error(v1::ToolFailure {
                        code: error.code() as i32,
                        message: error.to_string(),
                    }), label)
                }
            };
            unfinished.finished = true;
            metrics.record(tool_name, outcome_label, started.elapsed());
            crate::trace::record_outcome(&span, outcome_label, &final_event);
            yield Ok(self::event(final_event));
        };
        stream.boxed()
    }
}

/// Records a call whose stream was dropped before it finished: the gateway cancelled it.
struct Unfinished {
    metrics: Arc<crate::metrics::ToolMetrics>,
    tool_name: &'static str,
    started: Instant,
    finished: bool,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if !self.finished {
            self.metrics
                .record(self.tool_name, "cancelled", self.started.elapsed());
        }
    }
}

fn event(event: Event) -> v1::CallToolDown {
    v1::CallToolDown { event: Some(event) }
}

fn encode_result(parts: crate::ToolResultParts) -> v1::ToolResult {
    v1::ToolResult {
        content_json: serde_json::to_vec(&parts.content).expect("content blocks always encode"),
        structured_json: parts
            .structured
            .map(|structured| serde_json::to_vec(&structured).expect("JSON values always encode"))
            .unwrap_or_default(),
        is_error: parts.is_error,
    }
}

fn status(error: ToolError) -> HostError {
    HostError::Status {
        code: error.code(),
        message: error.to_string(),
    }
}
