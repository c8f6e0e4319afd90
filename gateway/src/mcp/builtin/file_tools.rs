//! The file-transfer tools: `prepare_file_upload` reserves an upload and returns its absolute URL
//! (a sealed capability bound to the tenant, the caller and an expiry); `cancel_file_transfer`
//! drops a transfer — only for whoever prepared it. Tools that consume an upload or publish a
//! download use the same store (`octomesh_file_transfer`).

use octomesh_file_transfer::{TransferError, TransferStore};
use octomesh_proto::v1;
use serde_json::{Map, Value, json};

use super::spec::writing;
use super::{only, success, text_argument};
use crate::mcp::error::error_result;
use crate::mcp::handler::Env;

pub(super) const PREPARE: &str = "prepare_file_upload";
pub(super) const CANCEL: &str = "cancel_file_transfer";

/// Who owns a transfer of a caller without a subject: `--no-auth` (loopback only), or a service
/// token. Workers see the same name for such callers.
const ANONYMOUS: &str = "anonymous";

pub(super) fn specs() -> Vec<v1::ToolSpec> {
    vec![
        writing(
            PREPARE,
            "Prepare a file upload",
            "Reserve a slot for an upcoming file upload: returns an upload URL to PUT the file's \
             bytes to (e.g. `curl -T plant.zip URL`; no headers needed; once; until it expires), \
             and a transferId to pass to the import or restore tool afterwards. The file name's \
             extension tells that tool what the file is (.zip, .yaml, .json, .gz).",
            json!({
                "fileName": {"type": "string", "description": "The file's name, e.g. plant.zip.", "maxLength": 255},
                "tenantId": {"type": "string", "description": "The tenant whose tools may consume the upload (default: the endpoint's tenant, else the sign-in's)."},
            }),
            &["fileName"],
            json!({
                "transferId": {"type": "string"}, "uploadUrl": {"type": "string"},
                "uploadUrlPath": {"type": "string"}, "expiresAtUtc": {"type": "string"},
                "maxBytes": {"type": "integer"}, "tenantId": {"type": "string"},
                "message": {"type": "string"},
            }),
        ),
        writing(
            CANCEL,
            "Cancel a file transfer",
            "Drop an upload reservation, a finished upload or a download, with its bytes. Only \
             whoever prepared the transfer may cancel it.",
            json!({"transferId": {"type": "string", "description": "The transfer's id.", "maxLength": 64}}),
            &["transferId"],
            json!({
                "transferId": {"type": "string"}, "cancelled": {"type": "boolean"},
                "message": {"type": "string"},
            }),
        ),
    ]
}

fn store(env: &Env) -> Result<&TransferStore, Value> {
    env.state.transfers.as_ref().ok_or_else(|| {
        error_result(
            "This server has no file-transfer channel: start it with a file-transfer directory (--file-transfer-dir).",
        )
    })
}

/// The caller (principal) and the tenant a transfer is for; refuses a tenant the caller may not use.
async fn owner(env: &Env, tenant_argument: Option<&str>) -> Result<(String, String), Value> {
    let requested = tenant_argument
        .filter(|tenant| !tenant.is_empty())
        .or(env.tenant.as_deref());
    if env.state.authority.is_none() {
        let tenant = requested.ok_or_else(|| {
            error_result(
                "No tenant: pass `tenantId`, or connect to the tenant's endpoint /{tenantId}/mcp.",
            )
        })?;
        return Ok((ANONYMOUS.to_owned(), tenant.to_owned()));
    }
    let claims = super::auth_tools::claims(env).await?;
    let tenant = requested
        .map(str::to_owned)
        .or_else(|| claims.tenant_id.clone())
        .ok_or_else(|| {
            error_result(
                "No tenant: pass `tenantId`, or connect to the tenant's endpoint /{tenantId}/mcp.",
            )
        })?;
    if claims.subject.is_some() && !claims.may_use_tenant(&tenant) {
        return Err(error_result(&format!(
            "`tenantId`: you have no access to tenant `{tenant}`; use one of your tenants (list_tenants)."
        )));
    }
    let principal = claims.subject.unwrap_or_else(|| ANONYMOUS.to_owned());
    Ok((principal, tenant))
}

fn refused(error: &TransferError) -> Value {
    match error {
        TransferError::Storage(problem) => {
            tracing::error!(%problem, "File-transfer storage failed.");
            error_result("The transfer storage failed; see the gateway's log.")
        }
        other => error_result(&other.to_string()),
    }
}

pub(super) async fn prepare(env: &Env, arguments: &Map<String, Value>) -> Value {
    if let Err(refusal) = only(arguments, &["fileName", "tenantId"]) {
        return refusal;
    }
    let (file_name, tenant) = match (
        text_argument(arguments, "fileName"),
        text_argument(arguments, "tenantId"),
    ) {
        (Ok(file_name), Ok(tenant)) => (file_name.unwrap_or_default(), tenant),
        (Err(refusal), _) | (_, Err(refusal)) => return refusal,
    };
    let store = match store(env) {
        Ok(store) => store,
        Err(refusal) => return refusal,
    };
    let (principal, tenant) = match owner(env, tenant).await {
        Ok(owner) => owner,
        Err(refusal) => return refusal,
    };
    match store.prepare_upload(&tenant, &principal, file_name).await {
        Ok(prepared) => {
            let path = octomesh_file_transfer::url_path(
                octomesh_file_transfer::Kind::Upload,
                &prepared.token,
            );
            let url = format!("{}{path}", env.state.public_base());
            let mut payload = Map::new();
            payload.insert("transferId".into(), json!(prepared.transfer_id));
            payload.insert("uploadUrl".into(), json!(url));
            payload.insert("uploadUrlPath".into(), json!(path));
            payload.insert(
                "expiresAtUtc".into(),
                json!(octomesh_file_transfer::time::rfc3339(prepared.expires_at)),
            );
            payload.insert("maxBytes".into(), json!(store.max_bytes()));
            payload.insert("tenantId".into(), json!(tenant));
            payload.insert(
                "message".into(),
                json!(format!(
                    "Reserved upload slot for '{}'. PUT the file body to the uploadUrl (e.g. `curl -T {} '<uploadUrl>'`), then call the matching import / restore tool with transferId '{}'.",
                    prepared.file_name, prepared.file_name, prepared.transfer_id
                )),
            );
            success(payload)
        }
        Err(error) => refused(&error),
    }
}

pub(super) async fn cancel(env: &Env, arguments: &Map<String, Value>) -> Value {
    if let Err(refusal) = only(arguments, &["transferId"]) {
        return refusal;
    }
    let transfer_id = match text_argument(arguments, "transferId") {
        Ok(Some(id)) if !id.trim().is_empty() => id.trim().to_owned(),
        Ok(_) => {
            return error_result(
                "`transferId` is required: the id prepare_file_upload (or an export tool) returned.",
            );
        }
        Err(refusal) => return refusal,
    };
    let store = match store(env) {
        Ok(store) => store,
        Err(refusal) => return refusal,
    };
    let principal = if env.state.authority.is_none() {
        ANONYMOUS.to_owned()
    } else {
        match super::auth_tools::claims(env).await {
            Ok(claims) => claims.subject.unwrap_or_else(|| ANONYMOUS.to_owned()),
            Err(refusal) => return refusal,
        }
    };
    match store.cancel(&transfer_id, &principal).await {
        Ok(cancelled) => {
            let mut payload = Map::new();
            payload.insert("transferId".into(), json!(transfer_id));
            payload.insert("cancelled".into(), json!(cancelled));
            payload.insert(
                "message".into(),
                json!(if cancelled {
                    format!("Transfer '{transfer_id}' cancelled.")
                } else {
                    format!("Transfer '{transfer_id}' was not there (never prepared, expired or cancelled already).")
                }),
            );
            success(payload)
        }
        Err(TransferError::NotYours(_)) => error_result(&format!(
            "Transfer '{transfer_id}' belongs to another user: only whoever prepared it may cancel it."
        )),
        Err(error) => refused(&error),
    }
}
