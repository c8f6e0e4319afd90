//! A tenant's identity data in its backup. The asset repository's dump holds the tenant's entities,
//! CK libraries and stream data; the bot adds `identity.json` — the tenant's member accounts, from
//! the identity service's `GET system/v1/tenants/{tenantId}/identity` — listed in the manifest
//! with its size and SHA-256 like every other entry (so the asset repository's restore checks it
//! too). After a restore, the accounts are made members of the restored tenant through `POST
//! system/v1/tenants/{tenantId}/identity`. A backup without `identity.json` restores without it.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use reqwest::Method;
use sha2::{Digest as _, Sha256};

use crate::Bot;
use crate::asset::CallFailure;

/// The entry's name in the archive.
pub(crate) const IDENTITY_ENTRY: &str = "identity.json";
/// The manifest's name (written last).
const MANIFEST_ENTRY: &str = "manifest.json";
/// Largest identity document read.
const MAX_IDENTITY_BYTES: usize = 64 * 1024 * 1024;

fn storage(problem: impl std::fmt::Display) -> CallFailure {
    tracing::error!(%problem, "A backup's identity data cannot be handled.");
    CallFailure::new(
        "the bot service cannot write the backup",
        "the bot service cannot add the identity data to the backup; see its log",
    )
}

/// Reads a JSON answer of the identity service up to the limit.
async fn identity_answer(
    request: reqwest::RequestBuilder,
    what: &str,
) -> Result<Vec<u8>, CallFailure> {
    let mut response = request.send().await.map_err(|error| {
        CallFailure::new(
            "the identity service could not be reached",
            format!(
                "{what}: the identity service did not answer: {}",
                error.without_url()
            ),
        )
    })?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| {
        CallFailure::new(
            "the identity service's answer broke off",
            format!("{what}: {}", error.without_url()),
        )
    })? {
        if body.len() + chunk.len() > MAX_IDENTITY_BYTES {
            return Err(CallFailure::new(
                "the identity data is too large",
                format!("{what}: the identity service sent more than {MAX_IDENTITY_BYTES} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|body| body["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("the identity service answered {status}"));
        return Err(CallFailure::new(
            format!("{what} was refused by the identity service ({status})"),
            message,
        ));
    }
    Ok(body)
}

/// Adds `tenant`'s identity data to the dump at `result`; the archive's new size.
pub(crate) async fn add_to_dump(
    bot: &Bot,
    result: &Path,
    tenant: &str,
) -> Result<u64, CallFailure> {
    let what = "the identity data of the dump";
    let request = bot
        .asset
        .identity_request(
            Method::GET,
            &format!("/system/v1/tenants/{tenant}/identity"),
        )
        .await?;
    let document = identity_answer(request, what).await?;
    let accounts = serde_json::from_slice::<serde_json::Value>(&document)
        .ok()
        .and_then(|body| body["users"].as_array().map(Vec::len))
        .ok_or_else(|| {
            CallFailure::new(
                "the identity service's answer is not identity data",
                format!("{what}: the identity service answered something else"),
            )
        })?;
    let result = result.to_owned();
    tokio::task::spawn_blocking(move || rewrite(&result, &document, accounts))
        .await
        .map_err(storage)?
}

/// Copies the archive with `identity.json` added and the manifest rewritten last.
fn rewrite(result: &Path, document: &[u8], accounts: usize) -> Result<u64, CallFailure> {
    let rewritten: PathBuf = result.with_extension("identity");
    let mut archive =
        zip::ZipArchive::new(std::fs::File::open(result).map_err(storage)?).map_err(storage)?;
    let mut manifest: serde_json::Value = {
        let mut entry = archive.by_name(MANIFEST_ENTRY).map_err(storage)?;
        let mut text = Vec::new();
        entry.read_to_end(&mut text).map_err(storage)?;
        serde_json::from_slice(&text).map_err(storage)?
    };
    let mut writer = zip::ZipWriter::new(std::io::BufWriter::new(
        std::fs::File::create(&rewritten).map_err(storage)?,
    ));
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(storage)?;
        let name = entry.name().map_err(storage)?.into_owned();
        if name == MANIFEST_ENTRY || name == IDENTITY_ENTRY {
            continue;
        }
        writer.raw_copy_file(entry).map_err(storage)?;
    }
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    writer
        .start_file(IDENTITY_ENTRY, options)
        .map_err(storage)?;
    writer.write_all(document).map_err(storage)?;
    let sha256: String = Sha256::digest(document)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    if let Some(entries) = manifest["entries"].as_array_mut() {
        entries.retain(|entry| entry["name"] != IDENTITY_ENTRY);
        entries.push(serde_json::json!({
            "name": IDENTITY_ENTRY, "sizeBytes": document.len(), "sha256": sha256,
        }));
    }
    if manifest["counts"].is_object() {
        manifest["counts"]["identityAccounts"] = serde_json::json!(accounts);
    }
    manifest["includesIdentityData"] = serde_json::json!(true);
    writer
        .start_file(MANIFEST_ENTRY, options)
        .map_err(storage)?;
    writer
        .write_all(&serde_json::to_vec_pretty(&manifest).map_err(storage)?)
        .map_err(storage)?;
    let mut file = writer.finish().map_err(storage)?;
    file.flush().map_err(storage)?;
    file.get_ref().sync_all().map_err(storage)?;
    drop(file);
    std::fs::rename(&rewritten, result).map_err(storage)?;
    Ok(std::fs::metadata(result).map_err(storage)?.len())
}

/// The identity document in the backup `upload`, if it has one.
fn identity_of(upload: &Path) -> Option<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(upload).ok()?).ok()?;
    let entry = archive.by_name(IDENTITY_ENTRY).ok()?;
    let mut document = Vec::new();
    entry
        .take(MAX_IDENTITY_BYTES as u64 + 1)
        .read_to_end(&mut document)
        .ok()?;
    (document.len() <= MAX_IDENTITY_BYTES).then_some(document)
}

/// Makes the accounts of the backup `upload` members of the restored `tenant`; what the identity
/// service answered (`None`: the backup has no identity data).
pub(crate) async fn restore_from(
    bot: &Bot,
    upload: &Path,
    tenant: &str,
) -> Result<Option<serde_json::Value>, CallFailure> {
    let path = upload.to_owned();
    let Some(document) = tokio::task::spawn_blocking(move || identity_of(&path))
        .await
        .map_err(storage)?
    else {
        return Ok(None);
    };
    let request = bot
        .asset
        .identity_request(
            Method::POST,
            &format!("/system/v1/tenants/{tenant}/identity"),
        )
        .await?
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(document);
    let answer = identity_answer(request, "the accounts of the restored tenant").await?;
    Ok(serde_json::from_slice(&answer).ok())
}
