//! The family's side of the file-transfer channel: taking the caller's upload (only one of this
//! tenant, prepared by this caller), dropping it once consumed, and publishing a job's result as a
//! download whose URL opens only for this tenant and caller, until it expires.

use bytes::Bytes;
use futures_util::TryStreamExt as _;
use futures_util::stream::{BoxStream, Stream};
use octomesh_file_transfer::{Kind, TransferError, TransferMeta, TransferStore};
use octomesh_worker_runtime::{CallScope, ToolError};
use schemars::JsonSchema;
use serde::Serialize;

use crate::{AdminCtx, Transfers};

/// A download a tool published.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PublishedFile {
    /// The id to pass to `cancel_file_transfer` when the file is not needed any more.
    pub transfer_id: String,
    /// Where to `GET` the file (plain HTTP, no headers; ranges work; until `expiresAtUtc`).
    pub download_url: String,
    /// The same URL's path, below the server's public URL.
    pub download_url_path: String,
    pub file_name: String,
    pub size_bytes: u64,
    pub expires_at_utc: String,
}

/// Who the call runs for, as transfers record it.
pub(crate) fn principal(scope: &CallScope) -> String {
    scope
        .context()
        .principal
        .clone()
        .unwrap_or_else(|| "anonymous".to_owned())
}

fn transfers(ctx: &AdminCtx) -> Result<&Transfers, ToolError> {
    ctx.transfers.as_ref().ok_or_else(|| {
        ToolError::Backend(
            "this worker has no file-transfer store: start it with --file-transfer-store (the gateway's)".into(),
        )
    })
}

/// The caller's complete upload `transfer_id` of `tenant`: what is known of it and its bytes.
pub(crate) async fn take_upload(
    ctx: &AdminCtx,
    scope: &CallScope,
    tenant: &str,
    transfer_id: &str,
) -> Result<
    (
        TransferMeta,
        BoxStream<'static, Result<Bytes, std::io::Error>>,
    ),
    ToolError,
> {
    let store = &transfers(ctx)?.store;
    let transfer_id = transfer_id.trim();
    if transfer_id.is_empty() {
        return Err(ToolError::InvalidArguments(
            "`transferId` is required: the id prepare_file_upload returned.".into(),
        ));
    }
    let (meta, body) = store
        .take_upload(transfer_id, tenant, &principal(scope))
        .await
        .map_err(|error| match error {
            TransferError::Storage(problem) => {
                ToolError::Backend(format!("the transfer storage failed: {problem}"))
            }
            other => ToolError::InvalidArguments(format!("`transferId` '{transfer_id}': {other}.")),
        })?;
    Ok((meta, Box::pin(body.map_err(std::io::Error::other))))
}

/// Drops the upload after it was consumed (best effort: it expires anyway).
pub(crate) async fn drop_upload(ctx: &AdminCtx, scope: &CallScope, transfer_id: &str) {
    if let Some(transfers) = &ctx.transfers {
        let _ = transfers
            .store
            .cancel(transfer_id.trim(), &principal(scope))
            .await;
    }
}

/// Publishes `body` as the caller's download `file_name` in `tenant`; where to fetch it.
pub(crate) async fn publish<S>(
    ctx: &AdminCtx,
    scope: &CallScope,
    tenant: &str,
    file_name: &str,
    body: S,
) -> Result<PublishedFile, ToolError>
where
    S: Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
{
    let transfers = transfers(ctx)?;
    let store: &TransferStore = &transfers.store;
    if !transfers.publishes {
        return Err(ToolError::Backend(
            "this worker cannot publish downloads: start it with the gateway's --file-transfer-key"
                .into(),
        ));
    }
    let base = scope.context().public_base.clone().ok_or_else(|| {
        ToolError::Backend(
            "the gateway that sent this call serves no file-transfer channel, so the file cannot be handed out: start it with --file-transfer-store".into(),
        )
    })?;
    let prepared = store
        .register_download(tenant, &principal(scope), file_name, body)
        .await
        .map_err(|error| match error {
            TransferError::TooLarge { cap } => ToolError::Backend(format!(
                "the file is larger than the file-transfer cap of {cap} bytes (--file-transfer-max-bytes)"
            )),
            other => ToolError::Backend(format!("the file cannot be stored for download: {other}")),
        })?;
    let size_bytes = store
        .meta(&prepared.transfer_id)
        .await
        .ok()
        .and_then(|meta| meta.size)
        .unwrap_or_default();
    let download_url_path = octomesh_file_transfer::url_path(Kind::Download, &prepared.token);
    Ok(PublishedFile {
        transfer_id: prepared.transfer_id,
        download_url: format!("{}{download_url_path}", base.trim_end_matches('/')),
        download_url_path,
        file_name: prepared.file_name,
        size_bytes,
        expires_at_utc: octomesh_file_transfer::time::rfc3339(prepared.expires_at),
    })
}
