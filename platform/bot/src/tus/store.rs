//! TUS uploads on disk: `bot/tus/{id}` holds the bytes received so far (its length is the
//! upload's offset), `bot/tus/{id}.info` what the upload was created with (length, metadata,
//! tenant, creation time, and the offset after the last PATCH), replaced atomically.
//!
//! One request at a time works on an upload: a request that finds it busy asks the holder to let
//! go (a PATCH whose client went away may not have noticed yet) and waits for it briefly, so a
//! client that resumes after a broken connection is answered with what was received.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::OwnedMutexGuard;
use tokio_util::sync::CancellationToken;

use super::metadata::Metadata;
use crate::files::{remove_if_there, write_atomic};
use crate::ids::UploadId;
use crate::time::Utc;

/// Longest wait for another request on the same upload to let go.
const HOLD_TIMEOUT: Duration = Duration::from_secs(10);

/// What an upload was created with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UploadInfo {
    pub(crate) length: u64,
    /// The bytes held (the data file's length is what counts).
    pub(crate) offset: u64,
    pub(crate) metadata: Metadata,
    pub(crate) tenant_id: String,
    pub(crate) created_at: Utc,
}

impl UploadInfo {
    pub(crate) fn is_complete(&self) -> bool {
        self.offset == self.length
    }
}

/// How a PATCH body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Appended {
    /// The body ended; the offset now.
    Ended(u64),
    /// The body broke off (or another request took the upload over); what was received is kept.
    BrokenOff(u64),
    /// The body went past `Upload-Length`; the bytes up to it are kept.
    TooLong(u64),
}

enum End {
    Ended,
    BrokenOff,
    TooLong,
}

#[derive(Default)]
struct Slot {
    lock: Arc<tokio::sync::Mutex<()>>,
    holder: Mutex<Option<CancellationToken>>,
}

/// A request's hold on an upload; `released` fires when another request asks for it.
pub(crate) struct Hold {
    _guard: OwnedMutexGuard<()>,
    pub(crate) released: CancellationToken,
}

pub(crate) struct UploadStore {
    dir: PathBuf,
    slots: Mutex<HashMap<UploadId, Arc<Slot>>>,
}

impl UploadStore {
    /// Opens (creating) `dir`.
    pub(crate) fn open(dir: &Path) -> Result<UploadStore, String> {
        std::fs::create_dir_all(dir)
            .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
        Ok(UploadStore {
            dir: dir.to_owned(),
            slots: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn data_path(&self, id: &UploadId) -> PathBuf {
        self.dir.join(id.as_str())
    }

    fn info_path(&self, id: &UploadId) -> PathBuf {
        self.dir.join(format!("{id}.info"))
    }

    fn write_info(&self, id: &UploadId, info: &UploadInfo) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(info).expect("upload info serialises");
        write_atomic(&self.info_path(id), &bytes)
    }

    /// A new, empty upload.
    pub(crate) fn create(
        &self,
        length: u64,
        metadata: Metadata,
        tenant_id: &str,
    ) -> std::io::Result<(UploadId, UploadInfo)> {
        let id = UploadId::random();
        let info = UploadInfo {
            length,
            offset: 0,
            metadata,
            tenant_id: tenant_id.to_owned(),
            created_at: Utc::now(),
        };
        std::fs::File::create_new(self.data_path(&id))?.sync_all()?;
        self.write_info(&id, &info)?;
        Ok((id, info))
    }

    /// The upload `id`, its offset from the bytes on disk; `None` when there is none.
    pub(crate) fn info(&self, id: &UploadId) -> Option<UploadInfo> {
        let bytes = std::fs::read(self.info_path(id)).ok()?;
        let mut info: UploadInfo = match serde_json::from_slice(&bytes) {
            Ok(info) => info,
            Err(problem) => {
                tracing::warn!(upload = %id, %problem, "An upload's info does not read.");
                return None;
            }
        };
        let held = std::fs::metadata(self.data_path(id)).ok()?.len();
        info.offset = held.min(info.length);
        Some(info)
    }

    /// Every upload (for the retention sweep).
    pub(crate) fn all(&self) -> Vec<(UploadId, UploadInfo)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|entry| {
                let name = entry.ok()?.file_name();
                let id = UploadId::parse(name.to_str()?.strip_suffix(".info")?)?;
                let info = self.info(&id)?;
                Some((id, info))
            })
            .collect()
    }

    /// Takes the upload over: asks whoever holds it to let go, and waits for that briefly.
    pub(crate) async fn hold(&self, id: &UploadId) -> Option<Hold> {
        let slot = Arc::clone(
            self.slots
                .lock()
                .expect("never poisoned")
                .entry(id.clone())
                .or_default(),
        );
        let guard = match Arc::clone(&slot.lock).try_lock_owned() {
            Ok(guard) => guard,
            Err(_) => {
                if let Some(holder) = slot.holder.lock().expect("never poisoned").as_ref() {
                    holder.cancel();
                }
                tokio::time::timeout(HOLD_TIMEOUT, Arc::clone(&slot.lock).lock_owned())
                    .await
                    .ok()?
            }
        };
        let released = CancellationToken::new();
        *slot.holder.lock().expect("never poisoned") = Some(released.clone());
        Some(Hold {
            _guard: guard,
            released,
        })
    }

    /// Appends `body` to the upload (whose offset is `info.offset`), never past its length;
    /// whatever arrives is kept and synced, however the body ends.
    pub(crate) async fn append(
        &self,
        id: &UploadId,
        hold: &Hold,
        info: &UploadInfo,
        body: axum::body::Body,
    ) -> std::io::Result<Appended> {
        let mut file = tokio::fs::OpenOptions::new()
            .append(true)
            .open(self.data_path(id))
            .await?;
        let mut offset = info.offset;
        let mut stream = body.into_data_stream();
        let ended = loop {
            let next = tokio::select! {
                _ = hold.released.cancelled() => break End::BrokenOff,
                next = stream.next() => next,
            };
            match next {
                None => break End::Ended,
                Some(Err(_)) => break End::BrokenOff,
                Some(Ok(chunk)) => {
                    let room = info.length - offset;
                    if chunk.len() as u64 > room {
                        file.write_all(&chunk[..room as usize]).await?;
                        offset += room;
                        break End::TooLong;
                    }
                    file.write_all(&chunk).await?;
                    offset += chunk.len() as u64;
                }
            }
        };
        file.flush().await?;
        file.sync_data().await?;
        drop(file);
        let mut updated = info.clone();
        updated.offset = offset;
        self.write_info(id, &updated)?;
        Ok(match ended {
            End::Ended => Appended::Ended(offset),
            End::BrokenOff => Appended::BrokenOff(offset),
            End::TooLong => Appended::TooLong(offset),
        })
    }

    /// Deletes the upload (its bytes first, then its info).
    pub(crate) fn delete(&self, id: &UploadId) -> std::io::Result<()> {
        remove_if_there(&self.data_path(id))?;
        remove_if_there(&self.info_path(id))?;
        self.slots.lock().expect("never poisoned").remove(id);
        Ok(())
    }
}
