//! The 2026-07-28 revision's per-request checks: headers mirror the body, `_meta` carries the
//! version and capabilities, and session-era methods do not exist.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use serde_json::{Map, Value, json};

use crate::mcp::jsonrpc::code;
use crate::mcp::log_level::LogLevel;
use crate::mcp::version::ProtocolVersion;

const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";

/// Methods that do not exist in the stateless revision.
const SESSION_ONLY_METHODS: [&str; 5] = [
    "initialize",
    "ping",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
];

/// A refused stateless request: HTTP status 400 or 404 and the JSON-RPC error.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) not_found: bool,
    pub(crate) code: i64,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
}

fn mismatch(message: String) -> Refusal {
    Refusal {
        not_found: false,
        code: code::HEADER_MISMATCH,
        message: format!("Header mismatch: {message}"),
        data: None,
    }
}

/// What a valid stateless request says about itself.
#[derive(Debug)]
pub(crate) struct Accepted {
    pub(crate) log_level: Option<LogLevel>,
}

/// Validates a stateless request (`header_version` is the parsed `MCP-Protocol-Version`).
pub(crate) fn validate(
    headers: &HeaderMap,
    header_version: &str,
    method: &str,
    params: &Map<String, Value>,
    is_request: bool,
) -> Result<Accepted, Refusal> {
    let meta = params.get("_meta").and_then(Value::as_object);
    let meta_version = meta
        .and_then(|meta| meta.get(META_VERSION))
        .and_then(Value::as_str);
    if is_request {
        let has_capabilities = meta
            .and_then(|meta| meta.get(META_CAPABILITIES))
            .is_some_and(Value::is_object);
        if meta_version.is_none() || !has_capabilities {
            return Err(Refusal {
                not_found: false,
                code: code::INVALID_PARAMS,
                message: format!(
                    "Invalid params: `_meta` must carry `{META_VERSION}` and `{META_CAPABILITIES}`."
                ),
                data: None,
            });
        }
    }
    if let Some(meta_version) = meta_version
        && meta_version != header_version
    {
        return Err(mismatch(format!(
            "MCP-Protocol-Version header value '{header_version}' does not match _meta value '{meta_version}'"
        )));
    }
    if ProtocolVersion::parse(header_version).is_none_or(|version| !version.is_stateless()) {
        return Err(unsupported(header_version));
    }
    let header_method = header_text(headers, "mcp-method")
        .ok_or_else(|| mismatch("the Mcp-Method header is required".to_owned()))?;
    if header_method != method {
        return Err(mismatch(format!(
            "Mcp-Method header value '{header_method}' does not match body value '{method}'"
        )));
    }
    let name_field = match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    };
    if let Some(field) = name_field {
        let body_name = params
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default();
        let header_name = header_text(headers, "mcp-name")
            .ok_or_else(|| mismatch(format!("the Mcp-Name header is required for {method}")))?;
        if header_name != body_name {
            return Err(mismatch(format!(
                "Mcp-Name header value '{header_name}' does not match body value '{body_name}'"
            )));
        }
    }
    if is_request && SESSION_ONLY_METHODS.contains(&method) {
        return Err(Refusal {
            not_found: true,
            code: code::METHOD_NOT_FOUND,
            message: format!(
                "Method not found: `{method}` does not exist in protocol revision {header_version}."
            ),
            data: None,
        });
    }
    let log_level = meta
        .and_then(|meta| meta.get(META_LOG_LEVEL))
        .and_then(Value::as_str)
        .and_then(LogLevel::parse);
    Ok(Accepted { log_level })
}

/// The refusal for a protocol version we do not speak.
pub(crate) fn unsupported(requested: &str) -> Refusal {
    Refusal {
        not_found: false,
        code: code::UNSUPPORTED_VERSION,
        message: "Unsupported protocol version".to_owned(),
        data: Some(json!({
            "supported": ProtocolVersion::supported_names(),
            "requested": requested,
        })),
    }
}

/// A header's value, trimmed, with the `=?base64?…?=` form decoded.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let raw = headers.get(name)?.to_str().ok()?.trim();
    if let Some(encoded) = raw
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    {
        let bytes = STANDARD.decode(encoded).ok()?;
        return String::from_utf8(bytes).ok();
    }
    Some(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn params(extra: Value) -> Map<String, Value> {
        let mut params = json!({"_meta": {META_VERSION: "2026-07-28", META_CAPABILITIES: {}}});
        for (key, value) in extra.as_object().unwrap() {
            params[key] = value.clone();
        }
        params.as_object().unwrap().clone()
    }

    #[test]
    fn headers_must_mirror_the_body() {
        let ok = headers(&[("mcp-method", "tools/call"), ("mcp-name", "echo")]);
        assert!(
            validate(
                &ok,
                "2026-07-28",
                "tools/call",
                &params(json!({"name": "echo"})),
                true
            )
            .is_ok()
        );
        let wrong_name = headers(&[("mcp-method", "tools/call"), ("mcp-name", "other")]);
        let refusal = validate(
            &wrong_name,
            "2026-07-28",
            "tools/call",
            &params(json!({"name": "echo"})),
            true,
        )
        .unwrap_err();
        assert_eq!(refusal.code, code::HEADER_MISMATCH);
        let no_method = headers(&[]);
        assert_eq!(
            validate(
                &no_method,
                "2026-07-28",
                "tools/list",
                &params(json!({})),
                true
            )
            .unwrap_err()
            .code,
            code::HEADER_MISMATCH
        );
    }

    #[test]
    fn base64_header_values_are_decoded() {
        let encoded = format!("=?base64?{}?=", STANDARD.encode("grüße"));
        let map = headers(&[("mcp-method", "tools/call"), ("mcp-name", &encoded)]);
        assert!(
            validate(
                &map,
                "2026-07-28",
                "tools/call",
                &params(json!({"name": "grüße"})),
                true
            )
            .is_ok()
        );
    }

    #[test]
    fn missing_meta_and_session_methods_are_refused() {
        let map = headers(&[("mcp-method", "tools/list")]);
        let bare = Map::new();
        assert_eq!(
            validate(&map, "2026-07-28", "tools/list", &bare, true)
                .unwrap_err()
                .code,
            code::INVALID_PARAMS
        );
        let ping = headers(&[("mcp-method", "ping")]);
        let refusal = validate(&ping, "2026-07-28", "ping", &params(json!({})), true).unwrap_err();
        assert!(refusal.not_found);
        assert_eq!(refusal.code, code::METHOD_NOT_FOUND);
    }
}
