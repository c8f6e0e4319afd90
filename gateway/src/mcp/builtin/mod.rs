//! Tools the gateway answers itself, because they describe the whole server or its sessions,
//! which only the gateway sees: risk metadata, the tool catalog, per-tool statistics, argument
//! validation (which asks the owning worker to decode the arguments without running the tool),
//! and the device-flow sign-in tools (the session's tokens live in the gateway).

mod auth_tools;
mod catalog_tools;
mod file_tools;
mod risk;
mod spec;
mod stats_tool;
mod validate;

use octomesh_proto::v1;
use serde_json::{Map, Value, json};

use crate::catalog::Catalog;
use crate::mcp::handler::Env;
use crate::mcp::jsonrpc::RequestId;

/// The pseudo-family of gateway-native tools (it has no worker endpoints).
pub(crate) const FAMILY: &str = "gateway";

/// The gateway's own tools, as a worker would list them.
pub(crate) fn listing() -> v1::ListToolsResponse {
    v1::ListToolsResponse {
        family: FAMILY.to_owned(),
        tools: [
            risk::spec(),
            catalog_tools::list_spec(),
            catalog_tools::details_spec(),
            stats_tool::spec(),
            validate::spec(),
        ]
        .into_iter()
        .chain(auth_tools::specs())
        .chain(file_tools::specs())
        .collect(),
        ..Default::default()
    }
}

/// Runs a gateway-native tool; `None` when `name` is not one.
pub(crate) async fn call(
    name: &str,
    arguments: Map<String, Value>,
    catalog: &Catalog,
    env: &Env,
    id: &RequestId,
) -> Option<Value> {
    Some(match name {
        risk::NAME => risk::call(catalog),
        catalog_tools::LIST => catalog_tools::list(catalog, &arguments),
        catalog_tools::DETAILS => catalog_tools::details(catalog, &arguments),
        stats_tool::NAME => stats_tool::call(&env.state.stats, &arguments),
        validate::NAME => validate::call(catalog, &arguments, env, id).await,
        auth_tools::AUTHENTICATE => auth_tools::authenticate(env, &arguments).await,
        auth_tools::CHECK => auth_tools::check(env, &arguments).await,
        auth_tools::WHOAMI => auth_tools::whoami(env, &arguments).await,
        auth_tools::LIST_TENANTS => auth_tools::list_tenants(env, &arguments).await,
        file_tools::PREPARE => file_tools::prepare(env, &arguments).await,
        file_tools::CANCEL => file_tools::cancel(env, &arguments).await,
        _ => return None,
    })
}

/// A successful result: the envelope as `structuredContent`, mirrored as text.
fn success(mut payload: Map<String, Value>) -> Value {
    let mut envelope = Map::new();
    envelope.insert("isSuccess".into(), Value::Bool(true));
    envelope.append(&mut payload);
    let structured = Value::Object(envelope);
    json!({
        "content": [{"type": "text", "text": structured.to_string()}],
        "structuredContent": structured,
        "isError": false,
    })
}

/// A string argument, if present.
fn text_argument<'a>(
    arguments: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, Value> {
    match arguments.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(crate::mcp::error::error_result(&format!(
            "Invalid arguments: `{name}` must be a string."
        ))),
    }
}

/// Refuses arguments the tool does not take.
fn only(arguments: &Map<String, Value>, allowed: &[&str]) -> Result<(), Value> {
    match arguments
        .keys()
        .find(|key| !allowed.contains(&key.as_str()))
    {
        None => Ok(()),
        Some(unknown) => Err(crate::mcp::error::error_result(&format!(
            "Invalid arguments: unknown field `{unknown}`; this tool takes {}.",
            if allowed.is_empty() {
                "no arguments".to_owned()
            } else {
                allowed
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ))),
    }
}
