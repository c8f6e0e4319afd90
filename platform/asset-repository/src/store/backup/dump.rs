//! Writing a tenant backup: consistent snapshots, then the ZIP with `manifest.json` last.
//!
//! The tenant's database is copied with `VACUUM INTO` while its connection is held, so no write
//! is half in the copy. With the stream data, the stream-data store is copied (its open blocks
//! folded into chunks first) while the tenant's connection is still held: the two copies then
//! show the tenant as it was at one moment, and the stream data at most a few writes later,
//! writes that touched only the stream data. That is the state a crash at that moment leaves
//! behind, which the stream data is built to recover from: a point write that reached the
//! stream data is simply there, and rollup rows written past a rollup's watermark are computed
//! again (rows are always written before the watermark moves; the watermark is the tenant's).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};

use super::contents::{Contents, archive_types};
use super::manifest::{
    FORMAT, FORMAT_VERSION, MANIFEST_ENTRY, Manifest, ManifestArchive, ManifestCounts,
    ManifestEntry, REPOSITORY_ENTRY, STREAMDATA_ENTRY,
};
use super::{BackupError, Transient, sql_path};
use crate::series::SeriesStore;
use crate::store::{Platform, StoreError};

/// A written backup, deleted when this value goes.
#[derive(Debug)]
pub struct DumpFile {
    file: Transient,
    /// `{tenantId}-{yyyyMMdd-HHmmss}.octobak`, the name to give it.
    pub file_name: String,
    pub size_bytes: u64,
    pub manifest: Manifest,
}

impl DumpFile {
    /// Where the archive is (in the directory the dump was asked to write to).
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

impl Platform {
    /// Writes a backup of `tenant_id` into `dir` (a file of its own name there): its database and,
    /// with `include_archive_data`, its stream-data store.
    pub fn dump(
        &self,
        tenant_id: &str,
        include_archive_data: bool,
        dir: &Path,
    ) -> Result<DumpFile, BackupError> {
        let tenant = self.tenant(tenant_id)?;
        let entry = self
            .entry(tenant_id)
            .ok_or_else(|| StoreError::TenantNotFound(tenant_id.to_owned()))?;
        // A tenant that never held stream data gets an empty store here, so that a backup with
        // archive data always has its `streamdata.sqlite`.
        let series = if include_archive_data {
            Some(self.series(tenant_id)?)
        } else {
            None
        };
        let archive_types = archive_types(&tenant.catalog());
        let scratch = Transient::dir(dir, "dump")?;
        let repository = scratch.path().join(REPOSITORY_ENTRY);
        let streamdata = scratch.path().join(STREAMDATA_ENTRY);
        let created = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
            .expect("now is a valid time");
        {
            let db = tenant.db();
            if let Some(series) = &series {
                series.snapshot_into(&streamdata)?;
            }
            db.execute("VACUUM INTO ?1", [sql_path(&repository)?])?;
        }
        let contents = Contents::read(
            &Connection::open_with_flags(&repository, OpenFlags::SQLITE_OPEN_READ_ONLY)?,
            &archive_types,
        )?;
        let archives = match &series {
            Some(_) => {
                let store = SeriesStore::open(Connection::open(&streamdata)?)?;
                let mut archives = Vec::with_capacity(contents.archives.len());
                for archive in &contents.archives {
                    let stats = store.stats(&archive.rt_id)?;
                    archives.push(ManifestArchive {
                        rt_id: archive.rt_id.clone(),
                        rt_well_known_name: archive.well_known_name.clone(),
                        status: archive.status.name().to_owned(),
                        points: stats.points + stats.pending_points,
                    });
                }
                Some(archives)
            }
            None => None,
        };
        let mut manifest = Manifest {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            created_at_utc: created.to_string(),
            source_tenant_id: tenant_id.to_owned(),
            source_database_name: entry.database.clone(),
            includes_archive_data: series.is_some(),
            producer: format!("octomesh-mcp {}", env!("CARGO_PKG_VERSION")),
            counts: ManifestCounts {
                entities: contents.entities,
                associations: contents.associations,
                ck_models: contents.ck_models.len() as u64,
                archives: contents.archives.len() as u64,
                points: archives
                    .as_ref()
                    .map(|archives| archives.iter().map(|archive| archive.points).sum()),
            },
            ck_models: contents.ck_models,
            entries: Vec::new(),
            archives,
        };
        let mut files = vec![(REPOSITORY_ENTRY, repository)];
        if series.is_some() {
            files.push((STREAMDATA_ENTRY, streamdata));
        }
        let file = Transient::file(dir, "dump", "octobak");
        let size_bytes = write_archive(file.path(), &files, &mut manifest)?;
        Ok(DumpFile {
            file,
            file_name: format!("{tenant_id}-{}.octobak", created.strftime("%Y%m%d-%H%M%S")),
            size_bytes,
            manifest,
        })
    }
}

/// Writes `files` (deflated) and then the manifest, with their sizes and hashes, into a ZIP at
/// `path`; returns its size.
fn write_archive(
    path: &Path,
    files: &[(&str, PathBuf)],
    manifest: &mut Manifest,
) -> Result<u64, StoreError> {
    let io = |error: std::io::Error| StoreError::Io(format!("cannot write the backup: {error}"));
    let zip_error =
        |error: zip::result::ZipError| StoreError::Io(format!("cannot write the backup: {error}"));
    let mut writer = zip::ZipWriter::new(File::create(path).map_err(io)?);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, source) in files {
        let mut input = File::open(source).map_err(io)?;
        let length = input.metadata().map_err(io)?.len();
        writer
            .start_file(*name, options.large_file(length >= u64::from(u32::MAX)))
            .map_err(zip_error)?;
        let mut hash = Sha256::new();
        let mut buffer = vec![0; 256 * 1024];
        let mut size_bytes = 0;
        loop {
            let read = input.read(&mut buffer).map_err(io)?;
            if read == 0 {
                break;
            }
            hash.update(&buffer[..read]);
            writer.write_all(&buffer[..read]).map_err(io)?;
            size_bytes += read as u64;
        }
        manifest.entries.push(ManifestEntry {
            name: (*name).to_owned(),
            size_bytes,
            sha256: hex(&hash.finalize()),
        });
    }
    let body = serde_json::to_vec_pretty(manifest).expect("the manifest serialises");
    writer
        .start_file(MANIFEST_ENTRY, options)
        .map_err(zip_error)?;
    writer.write_all(&body).map_err(io)?;
    let file = writer.finish().map_err(zip_error)?;
    file.sync_all().map_err(io)?;
    Ok(file.metadata().map_err(io)?.len())
}

/// Lower-case hex of `bytes`.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
