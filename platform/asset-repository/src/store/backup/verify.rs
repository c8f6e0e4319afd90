//! Reading a tenant backup back: the ZIP, its manifest, every entry the manifest lists (size and
//! SHA-256), and the SQLite snapshots (`PRAGMA integrity_check`, the tables a tenant has). Every
//! refusal says what is wrong and what to do; nothing outside the scratch directory is touched.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::BackupError;
use super::dump::hex;
use super::manifest::{
    FORMAT, FORMAT_VERSION, MANIFEST_ENTRY, Manifest, REPOSITORY_ENTRY, STREAMDATA_ENTRY,
};
use crate::store::StoreError;

/// Largest manifest read.
const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;

/// The tables of a tenant database.
pub(super) const TENANT_TABLES: [&str; 3] = ["ck_libraries", "entities", "associations"];
/// The tables of a stream-data store.
pub(super) const STREAMDATA_TABLES: [&str; 3] = ["series_chunks", "series_settings", "series_log"];

/// A backup whose manifest and entries check out, its snapshots extracted.
#[derive(Debug)]
pub(super) struct Verified {
    pub manifest: Manifest,
    pub repository: PathBuf,
    /// Extracted only when asked for and in the backup.
    pub streamdata: Option<PathBuf>,
}

fn refused(message: String) -> BackupError {
    BackupError::Refused(message)
}

const NOT_A_BACKUP: &str = "the upload is not an OctoMesh tenant backup";
const DUMP_AGAIN: &str = "upload the whole `.octobak` file again, or dump the tenant again";

/// Checks the backup in `file` and extracts its snapshots into `scratch`.
pub(super) fn verify(
    file: &Path,
    scratch: &Path,
    want_streamdata: bool,
) -> Result<Verified, BackupError> {
    let io = |error: std::io::Error| StoreError::Io(format!("cannot read the upload: {error}"));
    let mut input = File::open(file).map_err(io)?;
    let mut magic = [0u8; 4];
    let read = input.read(&mut magic).map_err(io)?;
    if read < 4 || !(magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06") {
        return Err(refused(format!(
            "{NOT_A_BACKUP}: it is not a ZIP archive (a backup is the `.octobak` file a dump gives)"
        )));
    }
    let mut archive = zip::ZipArchive::new(input).map_err(|error| {
        refused(format!(
            "the backup is truncated or damaged: its ZIP central directory cannot be read ({error}); {DUMP_AGAIN}"
        ))
    })?;
    let manifest = read_manifest(&mut archive)?;
    if manifest.entry(REPOSITORY_ENTRY).is_none() {
        return Err(refused(format!(
            "the backup's manifest lists no `{REPOSITORY_ENTRY}`: there is no tenant database in it to restore"
        )));
    }
    let mut names: Vec<&str> = manifest
        .entries
        .iter()
        .map(|entry| entry.name.as_str())
        .collect();
    names.sort_unstable();
    if names.windows(2).any(|pair| pair[0] == pair[1]) || names.contains(&MANIFEST_ENTRY) {
        return Err(refused(format!(
            "the backup's manifest lists an entry twice: {DUMP_AGAIN}"
        )));
    }
    let mut repository = None;
    let mut streamdata = None;
    for entry in &manifest.entries {
        let target = match entry.name.as_str() {
            REPOSITORY_ENTRY => Some(scratch.join(REPOSITORY_ENTRY)),
            STREAMDATA_ENTRY if want_streamdata => Some(scratch.join(STREAMDATA_ENTRY)),
            _ => None,
        };
        let mut zipped = match archive.by_name(&entry.name) {
            Ok(zipped) => zipped,
            Err(zip::result::ZipError::FileNotFound) => {
                return Err(refused(format!(
                    "the backup is truncated: `{}`, which its manifest lists, is not in the ZIP; {DUMP_AGAIN}",
                    entry.name
                )));
            }
            Err(error) => {
                return Err(refused(format!(
                    "the backup is damaged: `{}` cannot be read ({error}); {DUMP_AGAIN}",
                    entry.name
                )));
            }
        };
        if zipped.size() != entry.size_bytes {
            return Err(refused(format!(
                "the backup is truncated or damaged: `{}` holds {} bytes, its manifest says {}; {DUMP_AGAIN}",
                entry.name,
                zipped.size(),
                entry.size_bytes
            )));
        }
        let mut out: Box<dyn Write> = match &target {
            Some(path) => Box::new(std::io::BufWriter::new(File::create(path).map_err(
                |error| StoreError::Io(format!("cannot write {}: {error}", path.display())),
            )?)),
            None => Box::new(std::io::sink()),
        };
        let mut hash = Sha256::new();
        let mut buffer = vec![0; 256 * 1024];
        let mut size = 0u64;
        // At most one byte more than the manifest says: a longer entry is refused below.
        let mut limited = (&mut zipped).take(entry.size_bytes + 1);
        loop {
            let read = limited.read(&mut buffer).map_err(|error| {
                refused(format!(
                    "the backup is damaged: `{}` cannot be read ({error}); {DUMP_AGAIN}",
                    entry.name
                ))
            })?;
            if read == 0 {
                break;
            }
            hash.update(&buffer[..read]);
            out.write_all(&buffer[..read]).map_err(|error| {
                StoreError::Io(format!("cannot extract `{}`: {error}", entry.name))
            })?;
            size += read as u64;
        }
        out.flush()
            .map_err(|error| StoreError::Io(format!("cannot extract `{}`: {error}", entry.name)))?;
        if size != entry.size_bytes {
            return Err(refused(format!(
                "the backup is truncated or damaged: `{}` holds {size} bytes, its manifest says {}; {DUMP_AGAIN}",
                entry.name, entry.size_bytes
            )));
        }
        let actual = hex(&hash.finalize());
        if !actual.eq_ignore_ascii_case(&entry.sha256) {
            return Err(refused(format!(
                "the backup is damaged: the SHA-256 of `{}` is {actual}, its manifest says {}; {DUMP_AGAIN}",
                entry.name, entry.sha256
            )));
        }
        match entry.name.as_str() {
            REPOSITORY_ENTRY => repository = target,
            STREAMDATA_ENTRY => streamdata = target,
            _ => {}
        }
    }
    let repository = repository.expect("the manifest lists the repository, checked above");
    check_sqlite(&repository, REPOSITORY_ENTRY, &TENANT_TABLES)?;
    if let Some(streamdata) = &streamdata {
        check_sqlite(streamdata, STREAMDATA_ENTRY, &STREAMDATA_TABLES)?;
    }
    Ok(Verified {
        manifest,
        repository,
        streamdata,
    })
}

/// Reads `manifest.json`: ours (`format`), a version we restore, and whole.
fn read_manifest(archive: &mut zip::ZipArchive<File>) -> Result<Manifest, BackupError> {
    let mut text = Vec::new();
    match archive.by_name(MANIFEST_ENTRY) {
        Ok(entry) => entry
            .take(MAX_MANIFEST_BYTES)
            .read_to_end(&mut text)
            .map_err(|error| {
                refused(format!(
                    "the backup is damaged: `{MANIFEST_ENTRY}` cannot be read ({error}); {DUMP_AGAIN}"
                ))
            })?,
        Err(zip::result::ZipError::FileNotFound) => {
            return Err(refused(format!(
                "{NOT_A_BACKUP}: the ZIP holds no `{MANIFEST_ENTRY}` (a backup's manifest is written last, so a dump cut short has none either)"
            )));
        }
        Err(error) => {
            return Err(refused(format!(
                "the backup is damaged: `{MANIFEST_ENTRY}` cannot be read ({error}); {DUMP_AGAIN}"
            )));
        }
    };
    let value: Value = serde_json::from_slice(&text).map_err(|error| {
        refused(format!(
            "{NOT_A_BACKUP}: `{MANIFEST_ENTRY}` is not JSON ({error})"
        ))
    })?;
    match value.get("format").and_then(Value::as_str) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(refused(format!(
                "{NOT_A_BACKUP}: its manifest is of format `{other}`, not `{FORMAT}`"
            )));
        }
        None => {
            return Err(refused(format!(
                "{NOT_A_BACKUP}: its manifest names no `format` (`{FORMAT}` expected; upstream's mongodump backups cannot be restored here)"
            )));
        }
    }
    match value.get("formatVersion").and_then(Value::as_u64) {
        Some(version) if version == u64::from(FORMAT_VERSION) => {}
        version => {
            let producer = value
                .get("producer")
                .and_then(Value::as_str)
                .unwrap_or("an unknown producer");
            let version =
                version.map_or_else(|| "missing".to_owned(), |version| version.to_string());
            return Err(refused(format!(
                "the backup's format version is {version}; this asset repository restores version {FORMAT_VERSION} only: restore it with the release that wrote it ({producer})"
            )));
        }
    }
    serde_json::from_value(value).map_err(|error| {
        refused(format!(
            "the backup's `{MANIFEST_ENTRY}` is incomplete ({error}); {DUMP_AGAIN}"
        ))
    })
}

/// `PRAGMA integrity_check` and the tables a snapshot must have.
fn check_sqlite(path: &Path, name: &str, tables: &[&str]) -> Result<(), BackupError> {
    let damaged = |detail: String| {
        refused(format!(
            "the backup is damaged: `{name}` fails SQLite's integrity check ({detail}); dump the tenant again"
        ))
    };
    let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|error| damaged(error.to_string()))?;
    let problems: Vec<String> = db
        .prepare("PRAGMA integrity_check")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|error| damaged(error.to_string()))?;
    if problems != ["ok"] {
        return Err(damaged(
            problems.into_iter().take(5).collect::<Vec<_>>().join("; "),
        ));
    }
    let present: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|error| damaged(error.to_string()))?;
    let missing: Vec<&str> = tables
        .iter()
        .copied()
        .filter(|table| !present.iter().any(|name| name == table))
        .collect();
    if !missing.is_empty() {
        return Err(refused(format!(
            "the backup is damaged: `{name}` lacks the tables a tenant has ({}); it is not a snapshot this asset repository wrote",
            missing.join(", ")
        )));
    }
    Ok(())
}
