//! A plain HTTP MCP client for edge cases the SDKs never produce.

use std::time::Duration;

use serde_json::{Value, json};

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
    next_id: std::sync::Arc<std::sync::atomic::AtomicU64>,
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
            next_id: std::sync::Arc::new(std::sync::atomic::AtomicU64::new(1)),
        }
    }

    pub fn next_id(&self) -> u64 {
        self.next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// POSTs raw bytes with the standard MCP headers plus `extra`.
    pub async fn post_raw(&self, body: impl Into<reqwest::Body>, extra: &[(&str, &str)]) -> Reply {
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
        let response = request
            .body(body)
            .send()
            .await
            .expect("the gateway answers");
        read(response).await
    }

    /// POSTs `message` in the session and returns the response unread (to read SSE as it comes).
    pub async fn post_streaming(&self, message: &Value) -> reqwest::Response {
        self.http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", self.session.clone().expect("a session"))
            .header("mcp-protocol-version", &self.protocol_version)
            .body(message.to_string())
            .send()
            .await
            .expect("the gateway answers")
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
