//! Which `tools/call` requests a client has sent, so that every message answering one — in a JSON
//! reply, an SSE stream or a resumed stream, however the test built the request — is checked
//! against the tool's schemas (`schema_check`), fetched once per endpoint from its `tools/list`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::schema_check::OutputSchemas;

/// One request of an outgoing JSON-RPC body.
pub(crate) struct Outgoing {
    /// The id as JSON text (`7` and `"7"` are different ids).
    pub(crate) id: String,
    /// The tool, when the request is a `tools/call`.
    pub(crate) tool: Option<String>,
    /// The request's `params._meta`, which a stateless `tools/list` must echo.
    pub(crate) meta: Option<Value>,
}

/// The requests (messages with an id) of a body: one message or a batch. A body that is not JSON
/// has none: the gateway cannot have parsed a call out of it either.
pub(crate) fn requests(body: &[u8]) -> Vec<Outgoing> {
    let messages = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(batch)) => batch,
        Ok(message) => vec![message],
        Err(_) => Vec::new(),
    };
    messages
        .into_iter()
        .filter_map(|message| {
            let id = message.get("id").filter(|id| !id.is_null())?.to_string();
            let is_call = message["method"] == "tools/call";
            Some(Outgoing {
                id,
                tool: is_call
                    .then(|| message["params"]["name"].as_str().map(str::to_owned))
                    .flatten(),
                meta: message["params"].get("_meta").cloned(),
            })
        })
        .collect()
}

/// Shared by a client and its clones (a call spawned on a clone is still watched).
#[derive(Default)]
pub(crate) struct CallWatch {
    /// Request id → tool, for calls not answered yet.
    pending: Mutex<HashMap<String, String>>,
    /// Endpoint URL (tenant route included) → its listing, or why it could not be fetched.
    listings: Mutex<HashMap<String, Result<Arc<OutputSchemas>, String>>>,
    /// Set by `McpClient::skip_result_checks`, with the reason.
    pub(crate) skipped: Mutex<Option<&'static str>>,
}

impl CallWatch {
    /// Remembers the calls of a body; an id reused by another request forgets its old call.
    pub(crate) fn sent(&self, requests: &[Outgoing]) {
        let mut pending = self.pending.lock().expect("never poisoned");
        for request in requests {
            match &request.tool {
                Some(tool) => pending.insert(request.id.clone(), tool.clone()),
                None => pending.remove(&request.id),
            };
        }
    }

    /// Whether `url`'s listing is fetched and has `tool`.
    pub(crate) fn lists(&self, url: &str, tool: &str) -> bool {
        matches!(
            self.listings.lock().expect("never poisoned").get(url),
            Some(Ok(listing)) if listing.lists(tool)
        )
    }

    pub(crate) fn store(&self, url: &str, listing: Result<OutputSchemas, String>) {
        self.listings
            .lock()
            .expect("never poisoned")
            .insert(url.to_owned(), listing.map(Arc::new));
    }

    /// Checks every message of `messages` that answers a watched call with a result; panics
    /// on the first violation.
    pub(crate) fn check(&self, url: &str, messages: &[Value]) {
        for message in messages {
            if message.get("method").is_some() {
                continue; // A request or notification from the server, not an answer.
            }
            let Some(id) = message.get("id").map(Value::to_string) else {
                continue;
            };
            let Some(tool) = self.pending.lock().expect("never poisoned").remove(&id) else {
                continue;
            };
            let Some(result) = message.get("result") else {
                continue; // A JSON-RPC error: no result to check.
            };
            if self.skipped.lock().expect("never poisoned").is_some() {
                continue;
            }
            let listing = self
                .listings
                .lock()
                .expect("never poisoned")
                .get(url)
                .cloned();
            match listing {
                Some(Ok(listing)) => {
                    if let Err(violation) = listing.check(&tool, result) {
                        panic!("{violation}");
                    }
                }
                Some(Err(why)) => panic!(
                    "cannot check the tools/call result of `{tool}`: the tools/list of {url} failed: {why}"
                ),
                None => panic!(
                    "cannot check the tools/call result of `{tool}`: {url}'s tools/list was never fetched"
                ),
            }
        }
    }
}

/// Checks the SSE events of a stream as they arrive, complete event by complete event.
pub(crate) struct SseCheck {
    watch: Arc<CallWatch>,
    url: String,
    buffer: String,
}

impl SseCheck {
    pub(crate) fn new(watch: Arc<CallWatch>, url: String) -> SseCheck {
        SseCheck {
            watch,
            url,
            buffer: String::new(),
        }
    }

    /// Adds a chunk; checks each event it completes.
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        self.buffer.push_str(&String::from_utf8_lossy(chunk));
        let normalized = self.buffer.replace("\r\n", "\n");
        if let Some(end) = normalized.rfind("\n\n") {
            let complete = &normalized[..end + 2];
            self.watch
                .check(&self.url, &crate::client::sse_messages(complete));
            self.buffer = normalized[end + 2..].to_owned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn calls_are_found_in_single_messages_and_batches() {
        let single = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": "echo", "_meta": {"k": 1}}});
        let found = requests(single.to_string().as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "7");
        assert_eq!(found[0].tool.as_deref(), Some("echo"));
        assert_eq!(found[0].meta, Some(json!({"k": 1})));
        let batch = json!([{"jsonrpc": "2.0", "id": "a", "method": "ping"},
                           {"jsonrpc": "2.0", "method": "notifications/initialized"}]);
        let found = requests(batch.to_string().as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "\"a\"");
        assert!(found[0].tool.is_none());
        assert!(requests(b"{not json").is_empty());
    }

    #[test]
    #[should_panic(expected = "breaks its schema at `/email`")]
    fn a_watched_result_that_breaks_its_schema_panics() {
        let watch = CallWatch::default();
        let listing = OutputSchemas::compile(&[json!({"name": "whoami", "outputSchema": {
            "type": "object", "properties": {"email": {"type": "string"}}}})]);
        watch.store("u", listing);
        let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami"}});
        watch.sent(&requests(call.to_string().as_bytes()));
        let answer = json!({"jsonrpc": "2.0", "id": 1, "result": {
            "content": [], "structuredContent": {"email": null}}});
        let mut sse = SseCheck::new(Arc::new(watch), "u".into());
        // Split mid-event: nothing is checked until the event is complete.
        let text = format!("id: 1\ndata: {answer}\n\n");
        let (head, tail) = text.split_at(12);
        sse.feed(head.as_bytes());
        sse.feed(tail.as_bytes());
    }

    #[test]
    fn an_id_reused_by_another_request_is_no_longer_a_call() {
        let watch = CallWatch::default();
        let call =
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x"}});
        watch.sent(&requests(call.to_string().as_bytes()));
        let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
        watch.sent(&requests(ping.to_string().as_bytes()));
        // No listing was stored: checking a watched call would panic, an unwatched id does not.
        watch.check("u", &[json!({"jsonrpc": "2.0", "id": 1, "result": {}})]);
    }
}
