//! Transfers in an object store. Each transfer is a folder `transfers/{id}/` holding `meta.json`
//! (who, which tenant, until when, and, once complete, the size), `data` (the bytes) and, for an
//! upload being received, `claim` (created only if absent: one upload per URL, even across
//! gateway replicas). Bytes move in bounded chunks both ways, so memory stays flat whatever the
//! size; a refused or broken-off upload leaves nothing behind.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream, StreamExt as _, TryStreamExt as _};
use object_store::path::Path;
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt as _, PutMode, PutOptions, PutPayload,
    WriteMultipart,
};
use serde::{Deserialize, Serialize};

use crate::capability::{Capability, CapabilityError, Kind, TransferKey, new_transfer_id};
use crate::range::RangeRequest;

/// Part size of the multipart writes: S3's smallest part. One part is written while the next
/// fills, so an upload holds about twice this in memory.
const CHUNK_BYTES: usize = 5 * 1024 * 1024;
/// Parts written at once.
const PARTS_IN_FLIGHT: usize = 1;
/// Chunk size of local-file reads.
const READ_CHUNK_BYTES: usize = 1024 * 1024;
/// Longest file name kept.
const MAX_FILE_NAME_CHARS: usize = 255;

/// What is known of a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferMeta {
    pub transfer_id: String,
    pub kind: Kind,
    pub tenant: String,
    pub principal: String,
    pub file_name: String,
    pub created_at: u64,
    pub expires_at: u64,
    /// Set once the bytes are all there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

impl TransferMeta {
    /// The `ETag` of the transfer's bytes (they never change under one id).
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.transfer_id)
    }
}

/// A transfer prepared: its id and the token of its URL.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub transfer_id: String,
    pub token: String,
    pub expires_at: u64,
    pub file_name: String,
}

/// An upload received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub transfer_id: String,
    pub size: u64,
}

/// A download being answered.
pub struct Download {
    pub meta: TransferMeta,
    /// The whole body's size.
    pub size: u64,
    pub range: RangeRequest,
    /// The bytes of `range` (`None` for `HEAD`, or an unsatisfiable range).
    pub body: Option<BoxStream<'static, Result<Bytes, object_store::Error>>>,
}

/// Why a transfer operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("unknown transfer: prepare a new one (prepare_file_upload)")]
    Unknown,
    #[error("the transfer has expired: prepare a new one (prepare_file_upload)")]
    Expired,
    #[error("this upload URL has been used already: prepare a new upload for another file")]
    AlreadyUploaded,
    #[error("the upload is larger than the cap of {cap} bytes; nothing was kept")]
    TooLarge { cap: u64 },
    #[error("the upload broke off before it was complete; nothing was kept: PUT the file again")]
    BrokenOff,
    #[error("the upload has not been received yet: PUT the file to the upload URL first")]
    NotUploaded,
    #[error("the transfer belongs to another {0}")]
    NotYours(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("the transfer storage failed: {0}")]
    Storage(String),
}

impl From<object_store::Error> for TransferError {
    fn from(error: object_store::Error) -> TransferError {
        match error {
            object_store::Error::NotFound { .. } => TransferError::Unknown,
            other => TransferError::Storage(other.to_string()),
        }
    }
}

impl From<CapabilityError> for TransferError {
    fn from(error: CapabilityError) -> TransferError {
        match error {
            CapabilityError::Forged => TransferError::Unknown,
            CapabilityError::Expired => TransferError::Expired,
        }
    }
}

/// The transfers of one object store.
#[derive(Clone)]
pub struct TransferStore {
    objects: Arc<dyn ObjectStore>,
    key: TransferKey,
    max_bytes: u64,
    ttl: Duration,
}

impl std::fmt::Debug for TransferStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TransferStore")
            .field("objects", &self.objects.to_string())
            .field("max_bytes", &self.max_bytes)
            .field("ttl", &self.ttl)
            .finish()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

fn folder(transfer_id: &str) -> Path {
    Path::from(format!("transfers/{transfer_id}"))
}

fn object(transfer_id: &str, name: &str) -> Path {
    Path::from(format!("transfers/{transfer_id}/{name}"))
}

impl TransferStore {
    /// Transfers in `objects`, sealed with `key`, at most `max_bytes` each, living `ttl`.
    pub fn new(
        objects: Arc<dyn ObjectStore>,
        key: TransferKey,
        max_bytes: u64,
        ttl: Duration,
    ) -> TransferStore {
        TransferStore {
            objects,
            key,
            max_bytes,
            ttl,
        }
    }

    /// Transfers in the local directory `dir` (created if needed).
    pub fn local(
        dir: &std::path::Path,
        key: TransferKey,
        max_bytes: u64,
        ttl: Duration,
    ) -> Result<TransferStore, TransferError> {
        TransferStore::at(
            &crate::location::StoreLocation::Local(dir.to_owned()),
            key,
            max_bytes,
            ttl,
        )
    }

    /// Transfers at `location` (a local directory or an S3 bucket).
    pub fn at(
        location: &crate::location::StoreLocation,
        key: TransferKey,
        max_bytes: u64,
        ttl: Duration,
    ) -> Result<TransferStore, TransferError> {
        Ok(TransferStore::new(location.open()?, key, max_bytes, ttl))
    }

    /// The largest transfer accepted.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// How long a transfer lives.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn prepared(&self, meta: &TransferMeta) -> Prepared {
        let token = self.key.seal(&Capability {
            transfer_id: meta.transfer_id.clone(),
            kind: meta.kind,
            tenant: meta.tenant.clone(),
            principal: meta.principal.clone(),
            expires_at: meta.expires_at,
        });
        Prepared {
            transfer_id: meta.transfer_id.clone(),
            token,
            expires_at: meta.expires_at,
            file_name: meta.file_name.clone(),
        }
    }

    fn new_meta(
        &self,
        kind: Kind,
        tenant: &str,
        principal: &str,
        file_name: &str,
    ) -> Result<TransferMeta, TransferError> {
        let file_name = clean_file_name(file_name)?;
        let created_at = now();
        Ok(TransferMeta {
            transfer_id: new_transfer_id(),
            kind,
            tenant: tenant.to_owned(),
            principal: principal.to_owned(),
            file_name,
            created_at,
            expires_at: created_at + self.ttl.as_secs().max(1),
            size: None,
        })
    }

    async fn write_meta(&self, meta: &TransferMeta) -> Result<(), TransferError> {
        let body = serde_json::to_vec(meta).expect("transfer metadata serialises");
        self.objects
            .put(
                &object(&meta.transfer_id, "meta.json"),
                PutPayload::from(body),
            )
            .await?;
        Ok(())
    }

    /// The metadata of `transfer_id`.
    pub async fn meta(&self, transfer_id: &str) -> Result<TransferMeta, TransferError> {
        if !crate::capability::is_transfer_id(transfer_id) {
            return Err(TransferError::Unknown);
        }
        let bytes = self
            .objects
            .get(&object(transfer_id, "meta.json"))
            .await?
            .bytes()
            .await?;
        let meta: TransferMeta = serde_json::from_slice(&bytes)
            .map_err(|error| TransferError::Storage(format!("unreadable metadata: {error}")))?;
        if meta.expires_at <= now() {
            return Err(TransferError::Expired);
        }
        Ok(meta)
    }

    /// Reserves an upload of `file_name` for `principal` in `tenant`.
    pub async fn prepare_upload(
        &self,
        tenant: &str,
        principal: &str,
        file_name: &str,
    ) -> Result<Prepared, TransferError> {
        let meta = self.new_meta(Kind::Upload, tenant, principal, file_name)?;
        self.write_meta(&meta).await?;
        Ok(self.prepared(&meta))
    }

    /// Receives the bytes of the upload `token` grants, once.
    pub async fn upload<S, E>(&self, token: &str, body: S) -> Result<Uploaded, TransferError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        let capability = self.key.open(token, now())?;
        if capability.kind != Kind::Upload {
            return Err(TransferError::Unknown);
        }
        let id = capability.transfer_id.clone();
        let mut meta = self.meta(&id).await?;
        if meta.size.is_some() {
            return Err(TransferError::AlreadyUploaded);
        }
        let claim = object(&id, "claim");
        let claimed = self
            .objects
            .put_opts(
                &claim,
                PutPayload::from_static(b""),
                PutOptions {
                    mode: PutMode::Create,
                    ..PutOptions::default()
                },
            )
            .await;
        match claimed {
            Ok(_) => {}
            Err(object_store::Error::AlreadyExists { .. }) => {
                return Err(TransferError::AlreadyUploaded);
            }
            Err(error) => return Err(error.into()),
        }
        match self.receive(&id, body).await {
            Ok(size) => {
                meta.size = Some(size);
                self.write_meta(&meta).await?;
                Ok(Uploaded {
                    transfer_id: id,
                    size,
                })
            }
            Err(error) => {
                // Nothing is kept, and the URL may be used again until it expires.
                let _ = self.objects.delete(&object(&id, "data")).await;
                let _ = self.objects.delete(&claim).await;
                Err(error)
            }
        }
    }

    /// Streams `body` into the transfer's data, bounded by the cap.
    async fn receive<S, E>(&self, transfer_id: &str, mut body: S) -> Result<u64, TransferError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        let upload = self
            .objects
            .put_multipart(&object(transfer_id, "data"))
            .await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK_BYTES);
        let mut size: u64 = 0;
        while let Some(chunk) = body.next().await {
            let Ok(chunk) = chunk else {
                let _ = writer.abort().await;
                return Err(TransferError::BrokenOff);
            };
            size += chunk.len() as u64;
            if size > self.max_bytes {
                let _ = writer.abort().await;
                return Err(TransferError::TooLarge {
                    cap: self.max_bytes,
                });
            }
            if let Err(error) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(error.into());
            }
            writer.put(chunk);
        }
        writer.finish().await?;
        Ok(size)
    }

    /// Publishes `body` as a download of `file_name` for `principal` in `tenant`.
    pub async fn register_download<S, E>(
        &self,
        tenant: &str,
        principal: &str,
        file_name: &str,
        body: S,
    ) -> Result<Prepared, TransferError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
    {
        let mut meta = self.new_meta(Kind::Download, tenant, principal, file_name)?;
        // Written before the bytes, so the sweeper knows whose they are.
        self.write_meta(&meta).await?;
        match self.receive(&meta.transfer_id, body).await {
            Ok(size) => {
                meta.size = Some(size);
                self.write_meta(&meta).await?;
                Ok(self.prepared(&meta))
            }
            Err(error) => {
                self.remove(&meta.transfer_id).await;
                Err(error)
            }
        }
    }

    /// The download `token` grants; `head` leaves out the body.
    pub async fn download(
        &self,
        token: &str,
        range: Option<&str>,
        head: bool,
    ) -> Result<Download, TransferError> {
        let capability = self.key.open(token, now())?;
        if capability.kind != Kind::Download {
            return Err(TransferError::Unknown);
        }
        let meta = self.meta(&capability.transfer_id).await?;
        let size = meta.size.ok_or(TransferError::NotUploaded)?;
        let range = RangeRequest::parse(range, size);
        let body = match (head, range) {
            (true, _) | (_, RangeRequest::Unsatisfiable) => None,
            (false, RangeRequest::Part(part)) if size > 0 => Some(
                self.get(
                    &meta.transfer_id,
                    Some(GetRange::Bounded(part.start..part.end + 1)),
                )
                .await?,
            ),
            (false, _) if size == 0 => Some(futures_util::stream::empty().boxed()),
            (false, _) => Some(self.get(&meta.transfer_id, None).await?),
        };
        Ok(Download {
            meta,
            size,
            range,
            body,
        })
    }

    async fn get(
        &self,
        transfer_id: &str,
        range: Option<GetRange>,
    ) -> Result<BoxStream<'static, Result<Bytes, object_store::Error>>, TransferError> {
        let result = self
            .objects
            .get_opts(
                &object(transfer_id, "data"),
                GetOptions {
                    range,
                    ..GetOptions::default()
                },
            )
            .await
            .map_err(|error| match error {
                object_store::Error::NotFound { .. } => TransferError::Expired,
                other => other.into(),
            })?;
        Ok(match result.payload {
            // A local file: read in large chunks (the crate's own stream reads 8 KiB at a time,
            // a blocking-pool hop each, which halves the throughput).
            object_store::GetResultPayload::File(file, _) => file_stream(
                file,
                result.range.start,
                result.range.end - result.range.start,
            ),
            object_store::GetResultPayload::Stream(stream) => stream,
        })
    }

    /// The complete upload `transfer_id`, for a tool of `tenant` called by `principal`: its
    /// metadata and bytes.
    pub async fn take_upload(
        &self,
        transfer_id: &str,
        tenant: &str,
        principal: &str,
    ) -> Result<
        (
            TransferMeta,
            BoxStream<'static, Result<Bytes, object_store::Error>>,
        ),
        TransferError,
    > {
        let meta = self.meta(transfer_id).await?;
        if meta.kind != Kind::Upload {
            return Err(TransferError::Unknown);
        }
        if meta.tenant != tenant {
            return Err(TransferError::NotYours("tenant"));
        }
        if meta.principal != principal {
            return Err(TransferError::NotYours("user"));
        }
        if meta.size.is_none() {
            return Err(TransferError::NotUploaded);
        }
        let body = self.get(transfer_id, None).await?;
        Ok((meta, body))
    }

    /// Drops `transfer_id` and its bytes; only its principal may. `Ok(false)`: nothing to drop.
    pub async fn cancel(&self, transfer_id: &str, principal: &str) -> Result<bool, TransferError> {
        let meta = match self.meta(transfer_id).await {
            Ok(meta) => meta,
            Err(TransferError::Unknown | TransferError::Expired) => return Ok(false),
            Err(error) => return Err(error),
        };
        if meta.principal != principal {
            return Err(TransferError::NotYours("user"));
        }
        self.remove(transfer_id).await;
        Ok(true)
    }

    async fn remove(&self, transfer_id: &str) {
        let objects: Vec<_> = self
            .objects
            .list(Some(&folder(transfer_id)))
            .map_ok(|found| found.location)
            .collect::<Vec<_>>()
            .await;
        for location in objects.into_iter().flatten() {
            let _ = self.objects.delete(&location).await;
        }
    }

    /// Deletes expired transfers, and the leftovers of transfers without metadata older than the
    /// time to live; returns how many transfers went.
    pub async fn sweep(&self) -> Result<usize, TransferError> {
        let mut by_transfer: BTreeMap<String, Vec<object_store::ObjectMeta>> = BTreeMap::new();
        let mut listing = self.objects.list(Some(&Path::from("transfers")));
        while let Some(found) = listing.next().await {
            let found = found?;
            let mut parts = found.location.parts();
            let (Some(_), Some(id)) = (parts.next(), parts.next()) else {
                continue;
            };
            by_transfer
                .entry(id.as_ref().to_owned())
                .or_default()
                .push(found);
        }
        let now_secs = now();
        let stale_before = SystemTime::now()
            .checked_sub(self.ttl)
            .unwrap_or(UNIX_EPOCH);
        let mut swept = 0;
        for (id, objects) in by_transfer {
            let expired = match self.meta(&id).await {
                Ok(meta) => meta.expires_at <= now_secs,
                Err(TransferError::Expired) => true,
                Err(TransferError::Unknown) => objects
                    .iter()
                    .all(|found| SystemTime::from(found.last_modified) < stale_before),
                Err(_) => false,
            };
            if expired {
                for found in objects {
                    let _ = self.objects.delete(&found.location).await;
                }
                swept += 1;
            }
        }
        Ok(swept)
    }
}

/// Bytes `start..start + len` of `file`, in chunks of [`READ_CHUNK_BYTES`].
fn file_stream(
    file: std::fs::File,
    start: u64,
    len: u64,
) -> BoxStream<'static, Result<Bytes, object_store::Error>> {
    use std::io::{Read as _, Seek as _};
    let state = (Some(file), start, len);
    futures_util::stream::try_unfold(state, |(file, at, left)| async move {
        let Some(mut file) = file else {
            return Ok(None);
        };
        if left == 0 {
            return Ok(None);
        }
        let want = left.min(READ_CHUNK_BYTES as u64) as usize;
        let (file, chunk) = tokio::task::spawn_blocking(move || {
            let mut chunk = vec![0u8; want];
            file.seek(std::io::SeekFrom::Start(at))?;
            file.read_exact(&mut chunk)?;
            Ok::<_, std::io::Error>((file, chunk))
        })
        .await
        .map_err(|error| object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(error),
        })?
        .map_err(|error| object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(error),
        })?;
        let read = chunk.len() as u64;
        Ok(Some((
            Bytes::from(chunk),
            (Some(file), at + read, left - read),
        )))
    })
    .boxed()
}

/// The file name as kept: its last path segment, trimmed, bounded.
fn clean_file_name(file_name: &str) -> Result<String, TransferError> {
    let name = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim();
    if name.is_empty() || name == "." || name == ".." {
        return Err(TransferError::Invalid(
            "fileName is required: the name of the file, e.g. `plant.zip` (its extension tells the import what it is)".into(),
        ));
    }
    if name.chars().count() > MAX_FILE_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(TransferError::Invalid(format!(
            "fileName must be at most {MAX_FILE_NAME_CHARS} printable characters"
        )));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests;
