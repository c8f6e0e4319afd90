//! A plain HTTP MCP client for edge cases the SDKs never produce.
//!
//! Every `tools/call` result it receives is checked against the tool's schemas
//! (`call_watch`, `schema_check`): a test cannot see a result that breaks its contract unnoticed.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use serde_json::{Value, json};

use crate::call_watch::{self, CallWatch, SseCheck};
use crate::schema_check::OutputSchemas;

/// One HTTP answer, with SSE bodies split into their JSON messages.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    /// The JSON-RPC messages: one for a JSON body, every `data:` for SSE.
    pub messages: Vec<Value>,
}

impl Reply {
    /// The last message (the response to the request).
    pub fn last(&self) -> &Value {
        self.messages
            .last()
            .unwrap_or_else(|| panic!("no JSON-RPC message in {self:?}"))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn is_sse(&self) -> bool {
        self.header("content-type")
            .is_some_and(|kind| kind.starts_with("text/event-stream"))
    }
}

/// Parses an SSE body into the JSON of its `data:` lines.
pub fn sse_messages(body: &str) -> Vec<Value> {
    body.split("\n\n")
        .filter_map(|event| {
            let data: Vec<&str> = event
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .map(str::trim_start)
                .collect();
            (!data.is_empty()).then(|| data.join("\n"))
        })
        .filter(|data| !data.is_empty())
        .filter_map(|data| serde_json::from_str(&data).ok())
        .collect()
}

#[derive(Clone)]
pub struct McpClient {
    pub url: String,
    pub http: reqwest::Client,
    pub session: Option<String>,
    pub protocol_version: String,
    /// Sent as `Authorization: Bearer …` with every request.
    pub bearer: Option<String>,
    next_id: Arc<std::sync::atomic::AtomicU64>,
    watch: Arc<CallWatch>,
}

/// A streaming reply whose `tools/call` results are checked as its events arrive.
pub struct Streaming {
    response: reqwest::Response,
    check: SseCheck,
}

impl Streaming {
    pub fn status(&self) -> reqwest::StatusCode {
        self.response.status()
    }

    pub fn headers(&self) -> &reqwest::header::HeaderMap {
        self.response.headers()
    }

    /// The body as it comes.
    pub fn bytes_stream(self) -> impl Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin {
        let mut check = self.check;
        self.response.bytes_stream().map(move |chunk| {
            if let Ok(bytes) = &chunk {
                check.feed(bytes);
            }
            chunk
        })
    }
}

impl McpClient {
    pub fn new(url: &str) -> McpClient {
        McpClient {
            url: url.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("a client builds"),
            session: None,
            protocol_version: "2025-11-25".to_owned(),
            bearer: None,
            next_id: Arc::new(std::sync::atomic::AtomicU64::new(1)),
            watch: Arc::default(),
        }
    }

    /// Stops checking this client's `tools/call` results. Only for a test that must see a
    /// deliberately invalid result; `reason` says why (there is no such test today).
    pub fn skip_result_checks(&self, reason: &'static str) {
        *self.watch.skipped.lock().expect("never poisoned") = Some(reason);
    }

    pub fn next_id(&self) -> u64 {
        self.next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// A POST to the endpoint with the standard MCP headers (session, bearer) plus `extra`.
    fn builder(&self, extra: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        if let Some(session) = &self.session {
            request = request
                .header("mcp-session-id", session)
                .header("mcp-protocol-version", &self.protocol_version);
        }
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        request
    }

    /// POSTs raw bytes with the standard MCP headers plus `extra`.
    pub async fn post_raw(&self, body: impl Into<reqwest::Body>, extra: &[(&str, &str)]) -> Reply {
        let body = body.into();
        if let Some(bytes) = body.as_bytes() {
            self.watch_calls(bytes, extra).await;
        }
        let response = self
            .builder(extra)
            .body(body)
            .send()
            .await
            .expect("the gateway answers");
        let reply = read(response).await;
        self.watch.check(&self.url, &reply.messages);
        reply
    }

    /// Remembers the `tools/call` requests of `body` and makes sure the endpoint's output
    /// schemas are at hand before the call goes out (after it, the server may be gone: a test
    /// of shutdown reads its last result while the gateway drains).
    async fn watch_calls(&self, body: &[u8], extra: &[(&str, &str)]) {
        let requests = call_watch::requests(body);
        self.watch.sent(&requests);
        for request in &requests {
            if let Some(tool) = &request.tool
                && !self.watch.lists(&self.url, tool)
            {
                let listing = self.list_schemas(extra, request.meta.as_ref()).await;
                self.watch.store(&self.url, listing);
            }
        }
    }

    /// Every page of the endpoint's `tools/list`, asked the way the call is asked: in the
    /// session, with the bearer, and for a stateless call (`Mcp-Method` among its headers) with
    /// its protocol version, authorization and `_meta`. Nothing else of the call's headers is
    /// copied (a `traceparent` would put the listing into the call's trace).
    async fn list_schemas(
        &self,
        call_headers: &[(&str, &str)],
        meta: Option<&Value>,
    ) -> Result<OutputSchemas, String> {
        let stateless = call_headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("mcp-method"));
        let mut headers: Vec<(&str, &str)> = call_headers
            .iter()
            .filter(|(name, _)| {
                ["mcp-protocol-version", "authorization"]
                    .iter()
                    .any(|kept| name.eq_ignore_ascii_case(kept))
            })
            .copied()
            .collect();
        if stateless {
            headers.push(("mcp-method", "tools/list"));
        }
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut params = json!({});
            if let Some(cursor) = &cursor {
                params["cursor"] = json!(cursor);
            }
            if let Some(meta) = meta.filter(|_| stateless) {
                params["_meta"] = meta.clone();
            }
            let body = json!({"jsonrpc": "2.0", "id": self.next_id(), "method": "tools/list", "params": params});
            let response = self
                .builder(&headers)
                .body(body.to_string())
                .send()
                .await
                .map_err(|error| format!("not answered: {error}"))?;
            let reply = read(response).await;
            let result = reply
                .messages
                .last()
                .and_then(|message| message.get("result"))
                .ok_or_else(|| format!("HTTP {}: {}", reply.status, reply.body))?;
            tools.extend(result["tools"].as_array().into_iter().flatten().cloned());
            match result["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        OutputSchemas::compile(&tools)
    }

    /// POSTs `message` in the session and returns the response unread (to read SSE as it comes).
    pub async fn post_streaming(&self, message: &Value) -> Streaming {
        assert!(self.session.is_some(), "post_streaming needs a session");
        let body = message.to_string();
        self.watch_calls(body.as_bytes(), &[]).await;
        let response = self
            .builder(&[])
            .body(body)
            .send()
            .await
            .expect("the gateway answers");
        Streaming {
            response,
            check: SseCheck::new(Arc::clone(&self.watch), self.url.clone()),
        }
    }

    /// Resumes the session's stream after `last_event_id` (SEP-1699) and reads it to its end.
    pub async fn resume(&self, last_event_id: &str) -> Reply {
        let response = self
            .http
            .get(&self.url)
            .header("accept", "text/event-stream")
            .header("mcp-session-id", self.session.clone().expect("a session"))
            .header("mcp-protocol-version", &self.protocol_version)
            .header("last-event-id", last_event_id)
            .send()
            .await
            .expect("the gateway answers");
        let reply = read(response).await;
        self.watch.check(&self.url, &reply.messages);
        reply
    }

    pub async fn post(&self, message: &Value) -> Reply {
        self.post_raw(message.to_string(), &[]).await
    }

    /// Sends a request and returns the reply.
    pub async fn request(&self, method: &str, params: Value) -> Reply {
        let id = self.next_id();
        self.post(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await
    }

    /// `initialize` + `notifications/initialized`; keeps the session id.
    pub async fn initialize(&mut self) -> Value {
        let reply = self
            .request(
                "initialize",
                json!({"protocolVersion": self.protocol_version, "capabilities": {},
                       "clientInfo": {"name": "octomesh-tests", "version": "1"}}),
            )
            .await;
        assert_eq!(reply.status, 200, "initialize: {reply:?}");
        self.session = Some(
            reply
                .header("mcp-session-id")
                .expect("initialize mints a session")
                .to_owned(),
        );
        let result = reply.last()["result"].clone();
        if let Some(agreed) = result["protocolVersion"].as_str() {
            self.protocol_version = agreed.to_owned();
        }
        let notified = self
            .post(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        assert_eq!(notified.status, 202);
        result
    }

    /// `tools/call`, returning the `result` (panics on a JSON-RPC error).
    pub async fn call_tool(&self, name: &str, arguments: Value) -> Value {
        let reply = self
            .request("tools/call", json!({"name": name, "arguments": arguments}))
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply
            .last()
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("{name} failed: {reply:?}"))
    }
}

pub async fn read(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap_or_default();
    let is_sse = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|kind| kind.starts_with("text/event-stream"));
    let messages = if is_sse {
        sse_messages(&body)
    } else {
        serde_json::from_str(&body)
            .map(|value| vec![value])
            .unwrap_or_default()
    };
    Reply {
        status,
        headers,
        body,
        messages,
    }
}

/// The text of a tool result's first content block.
pub fn first_text(result: &Value) -> &str {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in {result}"))
}
