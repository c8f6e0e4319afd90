//! The one mapping from worker failures to MCP: which become `isError` tool results and which
//! become JSON-RPC errors.
//!
//! Following the 2025-11-25 revision, everything that happened while running a tool (bad
//! arguments, refusals, backend failures, timeouts) is a tool result with `isError: true`, so the
//! model can read it and correct itself. Only an unknown tool is a JSON-RPC error (-32602).

use octomesh_proto::v1::ErrorCode;
use serde_json::json;

use crate::mcp::jsonrpc::code;

/// What a failure becomes on the wire.
pub(crate) enum McpFailure {
    /// A `CallToolResult` with `isError: true`.
    ToolResult(serde_json::Value),
    /// A JSON-RPC error.
    Protocol { code: i64, message: String },
}

pub(crate) fn tool_failure(error_code: ErrorCode, message: &str) -> McpFailure {
    match error_code {
        ErrorCode::UnknownTool => McpFailure::Protocol {
            code: code::INVALID_PARAMS,
            message: message.to_owned(),
        },
        _ => McpFailure::ToolResult(error_result(message)),
    }
}

/// A tool result that reports an error in text the model reads, and as the original server's
/// envelope (`{isSuccess: false, errorMessage}`) in `structuredContent` for programs.
pub(crate) fn error_result(message: &str) -> serde_json::Value {
    json!({
        "content": [{"type": "text", "text": message}],
        "structuredContent": {"isSuccess": false, "errorMessage": message},
        "isError": true,
    })
}

/// The JSON-RPC error for a failed `resources/read` or `prompts/get`.
pub(crate) fn lookup_failure(
    error_code: ErrorCode,
    message: &str,
    stateless: bool,
) -> (i64, String) {
    match error_code {
        // 2025 revisions name a missing resource -32002; 2026-07-28 uses -32602.
        ErrorCode::NotFound if !stateless => (-32002, message.to_owned()),
        ErrorCode::NotFound | ErrorCode::InvalidArguments | ErrorCode::UnknownTool => {
            (code::INVALID_PARAMS, message.to_owned())
        }
        _ => (code::INTERNAL_ERROR, message.to_owned()),
    }
}
