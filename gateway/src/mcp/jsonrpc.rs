//! The JSON-RPC 2.0 envelope: parsing what clients send and encoding what we answer.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// JSON-RPC error codes used by the gateway.
pub(crate) mod code {
    pub(crate) const PARSE_ERROR: i64 = -32700;
    pub(crate) const INVALID_REQUEST: i64 = -32600;
    pub(crate) const METHOD_NOT_FOUND: i64 = -32601;
    pub(crate) const INVALID_PARAMS: i64 = -32602;
    pub(crate) const INTERNAL_ERROR: i64 = -32603;
    /// 2026-07-28: a required header is missing or differs from the body.
    pub(crate) const HEADER_MISMATCH: i64 = -32020;
    /// 2026-07-28: the protocol version is not supported.
    pub(crate) const UNSUPPORTED_VERSION: i64 = -32022;
    /// The request was cancelled by the client.
    pub(crate) const REQUEST_CANCELLED: i64 = -32800;
}

/// A JSON-RPC id: a string or a number, kept as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RequestId(pub(crate) Box<str>);

impl RequestId {
    fn from_value(value: &Value) -> Option<RequestId> {
        match value {
            Value::String(_) | Value::Number(_) => Some(RequestId(value.to_string().into())),
            _ => None,
        }
    }

    /// The id as raw JSON, for echoing back exactly.
    pub(crate) fn raw(&self) -> &RawValue {
        serde_json::from_str(&self.0).expect("a request id is always valid JSON")
    }

    /// The id as the key a client uses in `notifications/cancelled` (same JSON text).
    pub(crate) fn key(&self) -> &str {
        &self.0
    }
}

/// One message a client sent.
#[derive(Debug)]
pub(crate) enum Incoming {
    Request {
        id: RequestId,
        method: String,
        params: Map<String, Value>,
    },
    Notification {
        method: String,
        params: Map<String, Value>,
    },
    /// The client's answer to a request we sent (sampling, elicitation).
    Response {
        id: RequestId,
        result: Option<Value>,
        error: Option<Value>,
    },
}

/// Why a body is not a JSON-RPC message.
#[derive(Debug)]
pub(crate) struct EnvelopeError {
    pub(crate) code: i64,
    pub(crate) message: String,
    /// The id, when it could be read.
    pub(crate) id: Option<RequestId>,
}

/// Parses one JSON-RPC message. Batches are refused: no revision we serve allows them over HTTP
/// except 2025-03-26, whose clients do not send them in practice.
pub(crate) fn parse(body: &[u8]) -> Result<Incoming, EnvelopeError> {
    let value: Value = serde_json::from_slice(body).map_err(|error| EnvelopeError {
        code: code::PARSE_ERROR,
        message: format!("Parse error: the body is not valid JSON ({error})."),
        id: None,
    })?;
    let Value::Object(mut object) = value else {
        let message = if value.is_array() {
            "Invalid request: JSON-RPC batches are not supported; send one message per POST."
        } else {
            "Invalid request: the body must be a JSON-RPC object."
        };
        return Err(EnvelopeError {
            code: code::INVALID_REQUEST,
            message: message.into(),
            id: None,
        });
    };
    let id = object.get("id").and_then(RequestId::from_value);
    let invalid = |message: &str, id: Option<RequestId>| EnvelopeError {
        code: code::INVALID_REQUEST,
        message: format!("Invalid request: {message}"),
        id,
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid("`jsonrpc` must be \"2.0\".", id));
    }
    if object.contains_key("id") && id.is_none() {
        return Err(invalid("`id` must be a string or a number.", None));
    }
    match object.remove("method") {
        Some(Value::String(method)) => {
            let params = match object.remove("params") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(params)) => params,
                Some(_) => {
                    return Err(EnvelopeError {
                        code: code::INVALID_PARAMS,
                        message: "Invalid params: `params` must be an object.".into(),
                        id,
                    });
                }
            };
            Ok(match id {
                Some(id) => Incoming::Request { id, method, params },
                None => Incoming::Notification { method, params },
            })
        }
        Some(_) => Err(invalid("`method` must be a string.", id)),
        None => match id {
            Some(id) if object.contains_key("result") || object.contains_key("error") => {
                Ok(Incoming::Response {
                    id,
                    result: object.remove("result"),
                    error: object.remove("error"),
                })
            }
            _ => Err(invalid(
                "a message needs `method`, or `id` with `result` or `error`.",
                id,
            )),
        },
    }
}

#[derive(Serialize)]
struct ResultEnvelope<'a, T: Serialize> {
    jsonrpc: &'static str,
    id: &'a RawValue,
    result: T,
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    jsonrpc: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a RawValue>,
    error: ErrorObject<'a>,
}

#[derive(Serialize)]
struct ErrorObject<'a> {
    code: i64,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
}

#[derive(Serialize)]
struct NotificationEnvelope<'a, T: Serialize> {
    jsonrpc: &'static str,
    method: &'a str,
    params: T,
}

#[derive(Serialize)]
struct RequestEnvelope<'a, T: Serialize> {
    jsonrpc: &'static str,
    id: &'a str,
    method: &'a str,
    params: T,
}

/// Encodes a success response.
pub(crate) fn result(id: &RequestId, result: impl Serialize) -> String {
    serde_json::to_string(&ResultEnvelope {
        jsonrpc: "2.0",
        id: id.raw(),
        result,
    })
    .expect("responses always encode")
}

/// Encodes an error response; `id` is absent when the request's id could not be read.
pub(crate) fn error(
    id: Option<&RequestId>,
    code: i64,
    message: &str,
    data: Option<&Value>,
) -> String {
    serde_json::to_string(&ErrorEnvelope {
        jsonrpc: "2.0",
        id: id.map(RequestId::raw),
        error: ErrorObject {
            code,
            message,
            data,
        },
    })
    .expect("errors always encode")
}

/// Encodes a notification.
pub(crate) fn notification(method: &str, params: impl Serialize) -> String {
    serde_json::to_string(&NotificationEnvelope {
        jsonrpc: "2.0",
        method,
        params,
    })
    .expect("notifications always encode")
}

/// Encodes a server-to-client request; `id` is a JSON string id we minted.
pub(crate) fn request(id: &str, method: &str, params: impl Serialize) -> String {
    serde_json::to_string(&RequestEnvelope {
        jsonrpc: "2.0",
        id,
        method,
        params,
    })
    .expect("requests always encode")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_and_string_ids_echo_exactly() {
        let Incoming::Request { id, .. } =
            parse(br#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#).unwrap()
        else {
            panic!("a request")
        };
        assert_eq!(
            result(&id, serde_json::json!({})),
            r#"{"jsonrpc":"2.0","id":7,"result":{}}"#
        );
        let Incoming::Request { id, .. } =
            parse(br#"{"jsonrpc":"2.0","id":"a-1","method":"ping"}"#).unwrap()
        else {
            panic!("a request")
        };
        assert_eq!(id.key(), "\"a-1\"");
    }

    #[test]
    fn malformed_bodies_get_the_right_codes() {
        assert_eq!(parse(b"{nope").unwrap_err().code, code::PARSE_ERROR);
        assert_eq!(parse(b"[]").unwrap_err().code, code::INVALID_REQUEST);
        assert_eq!(
            parse(br#"{"jsonrpc":"1.0","id":1,"method":"x"}"#)
                .unwrap_err()
                .code,
            code::INVALID_REQUEST
        );
        assert_eq!(
            parse(br#"{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}"#)
                .unwrap_err()
                .code,
            code::INVALID_PARAMS
        );
    }

    #[test]
    fn notifications_and_responses_are_told_apart() {
        assert!(matches!(
            parse(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap(),
            Incoming::Notification { .. }
        ));
        assert!(matches!(
            parse(br#"{"jsonrpc":"2.0","id":"s-1","result":{}}"#).unwrap(),
            Incoming::Response { .. }
        ));
    }
}
